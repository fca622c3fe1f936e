// Package billing is the emulator's billing engine: the billing model (the
// records of customers, prices, subscriptions and their items, invoices and
// their lines, invoice items and legacy usage records, with their typed
// statuses) and the rules of Stripe's billing that move money or time.
//
// It works through a Unit: one unit of work over an account's store
// transaction, its meter usage, the source of new IDs, "now", the step of due
// work, and a Sink that hears every change. Entry points are functions that
// take a *Unit and typed inputs; they return Stripe's errors (apierr) and the
// records they stored, which server renders.
//
// The engine imports neither net/http, nor server's form decoder, nor the
// JSON renderer, nor server (TestEngineImports). The arithmetic of money and
// periods is beneath it, in calc. Records it reads but does not own
// (products, meters, test clocks) are read through views (views.go).
//
// Issue 14 moves the rules in here in slices (its stage d); until the last,
// a name exported only for server's code that has not moved yet says so
// ("transitional: unexported in d7").
package billing
