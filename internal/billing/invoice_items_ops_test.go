package billing

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// unitDecimal is unit_amount_decimal as a decoder gives it.
func unitDecimal(s string) AmountInput {
	a := AmountInput{IntParam: "unit_amount", DecimalParam: "unit_amount_decimal", Decimal: Some(s)}
	d, err := decimal.NewFromString(s)
	a.Parsed, a.Valid = d, err == nil
	return a
}

func unitInt(n int64) AmountInput {
	return AmountInput{IntParam: "unit_amount", DecimalParam: "unit_amount_decimal", Int: Some(n)}
}

// TestInvoiceItemAmounts: an invoice item's amount is amount, price ×
// quantity or unit_amount(_decimal) × quantity, exactly one of them; each
// fault is refused with its parameter, the first fault of a request first.
func TestInvoiceItemAmounts(t *testing.T) {
	type want struct {
		amount   int64
		unit     string
		currency string
		desc     string
	}
	for _, tc := range []struct {
		name      string
		fields    InvoiceItemFields
		currency  Opt[string]
		noCurrent bool // the customer has no currency yet
		want      want
		errParam  string
		errCode   string
	}{
		{name: "amount", fields: InvoiceItemFields{Amount: Some(int64(500))}, want: want{500, "500", "usd", ""}},
		{name: "amount over quantity", fields: InvoiceItemFields{Amount: Some(int64(500)), Quantity: Some(int64(3))},
			want: want{500, "166.666666666667", "usd", ""}},
		{name: "price × quantity", fields: InvoiceItemFields{Price: Some("price_widget"), Quantity: Some(int64(3))}, want: want{750, "250", "usd", "Widget"}},
		{name: "price, a description given", fields: InvoiceItemFields{Price: Some("price_widget"), Description: Some("Setup")}, want: want{250, "250", "usd", "Setup"}},
		{name: "decimal unit amount × quantity", fields: InvoiceItemFields{UnitAmount: unitDecimal("0.5"), Quantity: Some(int64(3))}, want: want{2, "0.5", "usd", ""}},
		{name: "the currency given", fields: InvoiceItemFields{Amount: Some(int64(500))}, currency: Some("eur"), noCurrent: true, want: want{500, "500", "eur", ""}},
		{name: "a negative quantity", fields: InvoiceItemFields{Quantity: Some(int64(-1)), Amount: Some(int64(5))}, errParam: "quantity", errCode: "parameter_invalid"},
		{name: "unit_amount and unit_amount_decimal", fields: InvoiceItemFields{UnitAmount: func() AmountInput {
			a := unitDecimal("1")
			a.Int = Some(int64(1))
			return a
		}()}, errParam: "unit_amount", errCode: "parameters_exclusive"},
		{name: "a bad decimal before an unknown price", fields: InvoiceItemFields{UnitAmount: unitDecimal("1e5x"), Price: Some("price_missing")},
			errParam: "unit_amount_decimal"},
		{name: "a decimal too precise", fields: InvoiceItemFields{UnitAmount: unitDecimal("0.0000000000001")}, errParam: "unit_amount_decimal", errCode: "parameter_invalid"},
		{name: "a negative unit amount", fields: InvoiceItemFields{UnitAmount: unitInt(-1)}, errParam: "unit_amount", errCode: "parameter_invalid"},
		{name: "an amount too large", fields: InvoiceItemFields{Amount: Some(int64(100_000_000_000))}, errParam: "amount", errCode: "parameter_invalid"},
		{name: "amount and price", fields: InvoiceItemFields{Amount: Some(int64(5)), Price: Some("price_widget")}, errParam: "amount", errCode: "parameters_exclusive"},
		{name: "no amount", fields: InvoiceItemFields{Quantity: Some(int64(2))}, errParam: "amount", errCode: "parameter_missing"},
		{name: "an unknown price", fields: InvoiceItemFields{Price: Some("price_missing")}, errParam: "price", errCode: "resource_missing"},
		{name: "an inactive price", fields: InvoiceItemFields{Price: Some("price_old")}, errParam: "price", errCode: "parameter_invalid"},
		{name: "a period ending before it starts", fields: InvoiceItemFields{Amount: Some(int64(5)), Period: Some(Period{Start: august, End: july})},
			errParam: "period[end]", errCode: "parameter_invalid"},
		{name: "no currency at all", fields: InvoiceItemFields{Amount: Some(int64(5))}, noCurrent: true, errParam: "currency", errCode: "parameter_missing"},
		{name: "another currency than the customer's", fields: InvoiceItemFields{Amount: Some(int64(5))}, currency: Some("eur"), errParam: "currency", errCode: "parameter_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			prod := w.product("Widget", "")
			w.put(TablePrices,
				&Price{Meta: store.Meta{ID: "price_widget"}, Active: true, Product: prod.ID, Currency: "usd", UnitAmount: dec("250")},
				&Price{Meta: store.Meta{ID: "price_old"}, Active: false, Product: prod.ID, Currency: "usd", UnitAmount: dec("250")})
			cu := w.customer("", july)
			if !tc.noCurrent {
				cu.Currency = "usd"
				w.put(TableCustomers, cu)
			}
			u := w.unit(august)
			ii, err := CreateInvoiceItem(u, InvoiceItemCreate{Customer: Some(cu.ID), Currency: tc.currency, Fields: tc.fields})
			if tc.errParam != "" {
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.Param != tc.errParam || tc.errCode != "" && ae.Code != tc.errCode {
					t.Fatalf("error %v, want one on %s (%s)", err, tc.errParam, tc.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{ii.Amount, "", ii.Currency, ii.Description}
			if ii.UnitAmount != nil {
				got.unit = ii.UnitAmount.String()
			}
			if got != tc.want {
				t.Errorf("%+v, want %+v", got, tc.want)
			}
			after, _ := GetCustomer(u.Tx(), cu.ID, "customer", false)
			if after.Currency != tc.want.currency {
				t.Errorf("the customer's currency is %q, want %q", after.Currency, tc.want.currency)
			}
		})
	}
}
