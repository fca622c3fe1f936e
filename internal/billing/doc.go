// Package billing is the emulator's billing engine: the billing model (the
// records of customers, prices, subscriptions and their items, invoices and
// their lines, invoice items and legacy usage records, with their typed
// statuses) and every rule of Stripe's billing that moves money or time.
//
// # The unit of work
//
// Everything goes through a Unit: one unit of work over an account's store
// transaction (a request's, or one visit of the tick's), its meter usage, the
// source of new IDs, "now" on the emulator's clock, the step of due work, and
// a Sink that hears every change (Sink.Changed, with its time and step) and
// the events no change describes (Sink.About, Sink.Snapshot). Entry points
// are functions that take a *Unit and a typed input (inputs.go,
// subscription_inputs.go); they check it in Stripe's order, return Stripe's
// errors (apierr) and the records they stored, which server renders. The
// engine never commits: its caller does, or aborts (a preview's writes are
// never committed). Stored records are never changed: a change stores a copy.
// A record on a test clock lives on the clock's time (Unit.EventTime); while
// due work runs, each transition is a step of its own at its own time.
//
// # Where each rule is
//
//   - the model: customer.go, price.go, subscription.go, invoice.go,
//     invoice_item.go, usage_record.go, status.go; the tables and their
//     indexes, the due indexes among them: tables.go; the records server owns
//     and the engine reads (products, meters, test clocks): views.go
//   - a line's amount (rating, usage in arrears, a licensed period in
//     advance, backdating, prorated lines): lines.go
//   - the draft a period or a change makes, the pending items it takes, the
//     re-rating of a renewal's usage: assemble.go
//   - finalization and collection, the minimum charge, the customer's
//     balance: collect.go
//   - invoice and invoice item operations: invoice_ops.go, invoice_items_ops.go
//   - subscriptions: creation subscribe.go, changes and the item endpoints
//     change.go, prorations prorate.go, add_invoice_items add_items.go,
//     cancel, resume and a customer's deletion cancel.go, pausing pause.go;
//     the rules in which billing modes (classic, flexible) differ: mode.go,
//     and migrating between them: migrate.go
//   - previews (dry runs of the code they preview): preview.go
//   - time: the due transitions (notices, renewals, cancellations,
//     finalization, overdue invoices) and RunDue, which runs them in order:
//     cycle.go; a test clock's advance limit, advance and deletion: clock.go
//   - usage: the times bills are cut at (PinBillingTimes), legacy usage
//     records and their summaries: usage.go
//
// # Imports
//
// The engine imports neither net/http, nor server's form decoder, nor the
// JSON renderer, nor server (TestEngineImports): it takes typed inputs and
// returns records. Its direct imports are an allowlist (TestEngineDirectImports):
// the standard library, decimal, store, metering, apierr, metadata, and calc,
// beneath it, the arithmetic of money and periods. Every exported name is an
// entry point, a record, an input or a view of server's (none is left
// "transitional" from issue 14's move: TestNoTransitionalExports).
package billing
