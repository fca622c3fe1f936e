package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// A request's unit of work tells its call what it did (billing.Sink): the
// changes and the events no change describes go to the call's change log.

// Changed records a change of the transaction.
func (c *call) Changed(table string, before, after store.Record, at int64, step int) {
	c.log.Changed(table, before, after, at, step)
}

// About records an event about a stored record that no change of it describes.
func (c *call) About(typ string, at int64, rec store.Record, step int) {
	c.log.About(typ, at, rec, step)
}

// Snapshot records an event that no stored change describes, whose
// data.object is rec rendered now.
func (c *call) Snapshot(typ string, at int64, rec store.Record, step int) error {
	return c.emit(typ, at, func(rc *renderCtx) (jsonobj.Obj, error) { return renderRecordAt(c.s, rc, rec, nil) })
}
