package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// add_invoice_items on subscription create and update: "A list of prices and
// quantities that will generate invoice items appended to the next invoice for
// this subscription." Each becomes a pending invoice item of the subscription,
// which the next invoice the subscription makes takes: the first invoice of a
// new subscription, the invoice an update makes at once, or else the next
// renewal. discounts and tax_rates are refused by the endpoints (not modeled).

// maxAddInvoiceItems is Stripe's limit: "You may pass up to 20 items."
const maxAddInvoiceItems = 20

// addInvoiceItems stores add_invoice_items[N] as pending invoice items of sub,
// dated now. It returns how many it stored.
func (c *call) addInvoiceItems(sub *billing.Subscription, params []*form.Params, now int64) (int, error) {
	if len(params) > maxAddInvoiceItems {
		return 0, apierr.Invalid("add_invoice_items", "You may pass up to %d add_invoice_items; got %d.", maxAddInvoiceItems, len(params))
	}
	for _, ip := range params {
		pr, err := c.oneTimePrice(ip, sub.Currency)
		if err != nil {
			return 0, err
		}
		qty := int64(1)
		if q, ok := ip.Int("quantity"); ok {
			if q < 0 {
				return 0, apierr.Invalid(ip.Path("quantity"), "This value must be greater than or equal to 0.")
			}
			qty = q
		}
		ii := &billing.InvoiceItem{Meta: c.newMetaAt("ii", now), Customer: sub.Customer, Amount: pr.AmountFor(qty), Currency: pr.Currency,
			Description: billing.ProductName(c.tx, pr), PeriodStart: now, PeriodEnd: now, Price: pr.ID, Quantity: qty, Subscription: sub.ID,
			Discountable: true, Metadata: map[string]string{}, TestClock: sub.TestClock}
		if pr.UnitAmount != nil && !pr.Tiered {
			u := *pr.UnitAmount
			ii.UnitAmount = &u
		}
		if err := c.tx.Put(tInvoiceItems, ii); err != nil {
			return 0, err
		}
	}
	return len(params), nil
}

// oneTimePrice resolves an add_invoice_items entry's price or price_data (which
// creates a one-time price) in the subscription's currency.
func (c *call) oneTimePrice(ip *form.Params, currency string) (*billing.Price, error) {
	id, hasPrice := ip.String("price")
	pd := ip.Object("price_data")
	var pr *billing.Price
	var err error
	switch {
	case hasPrice && pd != nil:
		return nil, apierr.Exclusive(ip.Path("price"), ip.Path("price_data"))
	case pd != nil:
		if err := refuseNegativeAmount(pd); err != nil {
			return nil, err
		}
		if pr, err = c.inlinePrice(pd); err != nil {
			return nil, err
		}
	case !hasPrice:
		return nil, apierr.InvalidRequest("parameter_missing", ip.Param(), "You must pass one of price or price_data on %s.", ip.Param())
	case id == "":
		return nil, apierr.InvalidEmpty(ip.Path("price"))
	default:
		if pr, err = c.getPrice(id, ip.Path("price")); err != nil {
			return nil, err
		}
		if !pr.Active {
			return nil, apierr.Invalid(ip.Path("price"), "The price specified is inactive. This field only accepts active prices.")
		}
		if pr.Recurring != nil {
			return nil, apierr.Invalid(ip.Path("price"), "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.")
		}
	}
	if pr.Currency != currency {
		param := ip.Path("price")
		if pd != nil {
			param = pd.Path("currency")
		}
		return nil, apierr.Invalid(param, "The price's currency (%s) must match the subscription's currency (%s).", pr.Currency, currency)
	}
	return pr, nil
}

// refuseNegativeAmount refuses a negative price_data unit amount, which Stripe
// takes in add_invoice_items (a credit) and the emulator does not yet.
func refuseNegativeAmount(pd *form.Params) error {
	for _, key := range []string{"unit_amount", "unit_amount_decimal"} {
		v := pd.Get(key)
		if v == nil {
			continue
		}
		negative := v.Kind == form.KInt && v.Int < 0
		if d, err := form.ParseDecimal(v.Str); v.Kind == form.KString && err == nil && d.IsNegative() {
			negative = true
		}
		if negative {
			return apierr.InvalidRequest("", pd.Path(key), "stripe-emulator does not support negative amounts in %s yet; for a credit, create an invoice item with a negative amount (POST /v1/invoiceitems) instead.", pd.Path(key))
		}
	}
	return nil
}
