package billing

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// The typed inputs of the engine's entry points. Server's decoders fill them
// from a request's parameters and never fail: a parameter's type and enum are
// checked by the schema before, and every other check is the engine's, made
// where and in the order Stripe makes it (error precedence is behaviour: a
// request with two faults gets the error of the first). A value whose check
// can fail travels as the request gave it.

// Opt is an optional parameter as the request gave it.
type Opt[T any] struct {
	Set   bool // given, with a value (V)
	Clear bool // given empty (key=)
	V     T
}

// Given reports whether the parameter was in the request, empty or not.
func (o Opt[T]) Given() bool { return o.Set || o.Clear }

// Some is a parameter given with a value.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, V: v} }

// AmountInput is an amount given as an integer of minor units (key) or as a
// decimal string (key_decimal), which exclude each other.
type AmountInput struct {
	IntParam, DecimalParam string // their parameters' paths, which errors name
	Int                    Opt[int64]
	Decimal                Opt[string]
	// Parsed is Decimal as a plain decimal number, if Valid (it parsed).
	Parsed decimal.Decimal
	Valid  bool
}

// Value is the amount given (nil if none), or the error for an amount that
// cannot be one: both forms, a negative one, one over calc.MaxAmount, a
// decimal that is not a number or more precise than MaxDecimalPlaces.
func (a AmountInput) Value() (*decimal.Decimal, error) {
	if a.Int.Set && a.Decimal.Set {
		return nil, apierr.Exclusive(a.IntParam, a.DecimalParam)
	}
	switch {
	case a.Int.Set:
		n := a.Int.V
		if n < 0 {
			return nil, apierr.Invalid(a.IntParam, "This value must be greater than or equal to 0.")
		}
		if err := CheckAmount(a.IntParam, n); err != nil {
			return nil, err
		}
		d := decimal.NewFromInt(n)
		return &d, nil
	case a.Decimal.Set:
		if !a.Valid {
			return nil, apierr.InvalidRequest("", a.DecimalParam, "Invalid decimal: %s", apierr.Clip(a.Decimal.V, 40))
		}
		d := a.Parsed
		if d.IsNegative() {
			return nil, apierr.Invalid(a.DecimalParam, "This value must be greater than or equal to 0.")
		}
		if d.GreaterThan(decimal.NewFromInt(calc.MaxAmount)) {
			return nil, apierr.Invalid(a.DecimalParam, "This value must be less than or equal to %d.", calc.MaxAmount)
		}
		if -d.Exponent() > MaxDecimalPlaces && !d.Equal(d.Round(MaxDecimalPlaces)) {
			return nil, apierr.Invalid(a.DecimalParam, "Invalid %s: at most %d decimal places are allowed.", lastName(a.DecimalParam), MaxDecimalPlaces)
		}
		return &d, nil
	}
	return nil, nil
}

// lastName is a parameter path's last name: "unit_amount_decimal" of
// "tiers[0][unit_amount_decimal]".
func lastName(param string) string {
	if i := strings.LastIndexByte(param, '['); i >= 0 && strings.HasSuffix(param, "]") {
		return param[i+1 : len(param)-1]
	}
	return param
}

// CheckAmount refuses an amount beyond ±calc.MaxAmount.
func CheckAmount(param string, n int64) error {
	if n > calc.MaxAmount || n < -calc.MaxAmount {
		return apierr.Invalid(param, "This value must be between -%d and %d.", calc.MaxAmount, calc.MaxAmount)
	}
	return nil
}

// InvoiceSettings are what creating an invoice and updating a draft share.
type InvoiceSettings struct {
	CollectionMethod Opt[string] // charge_automatically or send_invoice
	AutoAdvance      Opt[bool]
	DaysUntilDue     Opt[int64]
	DueDate          Opt[int64]
	Description      Opt[string]
	Metadata         metadata.Patch
}

// InvoiceCreate is POST /v1/invoices.
type InvoiceCreate struct {
	Customer     Opt[string]
	Subscription Opt[string]
	Currency     Opt[string]
	// IncludePending: pending_invoice_items_behavior=include (the default is exclude).
	IncludePending bool
	Settings       InvoiceSettings
}

// FinalizeRequest is POST /v1/invoices/{invoice}/finalize.
type FinalizeRequest struct {
	AutoAdvance Opt[bool]
}

// PayRequest is POST /v1/invoices/{invoice}/pay.
type PayRequest struct {
	PaidOutOfBand bool
	// PaymentMethod is payment_method: the payment method to charge (nil:
	// the one the invoice's defaults name). Stored already (a pm_card_* id
	// cloned by the caller, who sets Attach: the clone is attached to the
	// invoice's customer first [I]); otherwise it must be the customer's.
	PaymentMethod *PaymentMethod
	Attach        bool
	// OnSession is off_session=false (the default is off-session); a card
	// that asks for 3D Secure gets the same 402 either way [I].
	OnSession bool
}

// Period is a period parameter: period[start] and period[end].
type Period struct{ Start, End int64 }

// InvoiceItemFields are what an invoice item's create and update, and the
// update of an invoice's line, set: an amount (amount, price × quantity, or
// unit_amount × quantity), its description, period and metadata.
type InvoiceItemFields struct {
	Quantity   Opt[int64]
	UnitAmount AmountInput // unit_amount, unit_amount_decimal
	Amount     Opt[int64]
	Price      Opt[string]
	// PriceParam is the parameter the price came in, which errors name
	// (price, or pricing[price] from 2025-03-31.basil); "" is price.
	PriceParam   string
	Description  Opt[string]
	Discountable Opt[bool]
	Period       Opt[Period]
	Metadata     metadata.Patch
}

// InvoiceItemCreate is POST /v1/invoiceitems.
type InvoiceItemCreate struct {
	Customer     Opt[string]
	Currency     Opt[string]
	Subscription Opt[string]
	Invoice      Opt[string]
	Fields       InvoiceItemFields
}
