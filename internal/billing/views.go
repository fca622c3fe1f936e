package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The records the engine reads but does not own are server's: products,
// meters and test clocks, catalogue and tooling resources. The engine needs
// a name, a formula and a time of them, and reads them through these views,
// which those records implement.

// ProductView is a product (TableProducts): what a line's description names.
type ProductView interface {
	store.Record
	BillingName() string
	BillingUnitLabel() string
}

// MeterView is a billing meter (TableMeters): how its usage aggregates.
type MeterView interface {
	store.Record
	// BillingFormula is how the meter aggregates a period's events.
	BillingFormula() metering.Formula
}

// ClockView is a test clock (TableTestClocks).
type ClockView interface {
	store.Record
	// Frozen is the clock's frozen time (unix seconds).
	Frozen() int64
}

// product is a product, or nil if it is gone.
func product(tx *store.Txn, id string) ProductView {
	rec, _ := tx.Get(TableProducts, id)
	p, _ := rec.(ProductView)
	return p
}

// meter is a meter, or the resource_missing error naming it in param.
func meter(tx *store.Txn, id, param string) (MeterView, error) {
	return Get[MeterView](tx, TableMeters, "billing meter", id, param)
}
