package server

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// The values renderers share: how a stored field that may be unset appears in
// an API object.

// orNull renders "" as null.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orNullInt renders a nil pointer as null.
func orNullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// orAbsent renders "" as an absent field (optional, not nullable).
func orAbsent(s string) any {
	if s == "" {
		return absent
	}
	return s
}

// nullIfZero renders 0 (a time never set) as null.
func nullIfZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// metadataOf renders a metadata map ({} when empty: one shared empty map,
// as a record's own map is shared with what renders it; neither is ever
// written to).
func metadataOf(m map[string]string) map[string]string {
	if m == nil {
		return noMetadata
	}
	return m
}

var noMetadata = map[string]string{}

// nilObj renders a nested object that was never set as null.
func nilObj(o jsonobj.Obj) any {
	if o == nil {
		return nil
	}
	return o
}

// objOf is the object a record's opaque field holds (billing.Attrs: a
// customer's address, shipping and invoice settings, an invoice's copies):
// nil when it holds none.
func objOf(a billing.Attrs) jsonobj.Obj {
	o, _ := a.Value().(jsonobj.Obj)
	return o
}

// attrsOf holds an object in a record's opaque field (nil: none).
func attrsOf(o jsonobj.Obj) billing.Attrs {
	if o == nil {
		return billing.Attrs{}
	}
	return billing.AttrsOf(o)
}

// decimalOrNull renders an amount as a decimal string (unit_amount_decimal).
func decimalOrNull(d *decimal.Decimal) any {
	if d == nil {
		return nil
	}
	return jsonobj.Decimal(d.String())
}

// integerOrNull renders an amount as an integer when it is one.
func integerOrNull(d *decimal.Decimal) any {
	if d == nil || !d.IsInteger() {
		return nil
	}
	return d.IntPart()
}
