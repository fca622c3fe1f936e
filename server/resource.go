package server

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// renderCtx is what rendering an object needs besides the object: the
// transaction its related records are read from (a subscription's items, a
// line's price). Every renderer is a method of it, and a call embeds the
// request's. Issue 15 adds the API version the object is rendered at.
type renderCtx struct {
	tx *store.Txn
}
