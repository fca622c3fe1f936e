package billing

import "github.com/stripe-emulator/stripe-emulator/internal/apierr"

// add_invoice_items on subscription create and update: "A list of prices and
// quantities that will generate invoice items appended to the next invoice for
// this subscription." Each becomes a pending invoice item of the subscription,
// which the next invoice the subscription makes takes: the first invoice of a
// new subscription, the invoice an update makes at once, or else the next
// renewal. discounts and tax_rates are refused by the endpoints (not modeled).

// MaxAddInvoiceItems is Stripe's limit: "You may pass up to 20 items."
const MaxAddInvoiceItems = 20

// addInvoiceItems stores add_invoice_items as pending invoice items of sub,
// dated now. It returns how many it stored.
func addInvoiceItems(u *Unit, sub *Subscription, items []AddInvoiceItem, now int64) (int, error) {
	if len(items) > MaxAddInvoiceItems {
		return 0, apierr.Invalid("add_invoice_items", "You may pass up to %d add_invoice_items; got %d.", MaxAddInvoiceItems, len(items))
	}
	for _, ai := range items {
		pr, err := oneTimePrice(u, ai, sub.Currency)
		if err != nil {
			return 0, err
		}
		qty := int64(1)
		if ai.Quantity.Set {
			if ai.Quantity.V < 0 {
				return 0, apierr.Invalid(paramPath(ai.Param, "quantity"), "This value must be greater than or equal to 0.")
			}
			qty = ai.Quantity.V
		}
		ii := &InvoiceItem{Meta: u.ids.NewMeta("ii", now), Customer: sub.Customer, Amount: pr.AmountFor(qty), Currency: pr.Currency,
			Description: productName(u.tx, pr), PeriodStart: now, PeriodEnd: now, Price: pr.ID, Quantity: qty, Subscription: sub.ID,
			Discountable: true, Metadata: map[string]string{}, TestClock: sub.TestClock}
		if pr.UnitAmount != nil && !pr.Tiered {
			unit := *pr.UnitAmount
			ii.UnitAmount = &unit
		}
		if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// oneTimePrice resolves an add_invoice_items entry's price or price_data (which
// creates a one-time price) in the subscription's currency.
func oneTimePrice(u *Unit, ai AddInvoiceItem, currency string) (*Price, error) {
	id, hasPrice := ai.Price.Price.V, ai.Price.Price.Set
	inline := ai.Price.Inline != nil
	priceParam := paramPath(ai.Param, "price")
	var pr *Price
	var err error
	switch {
	case hasPrice && inline:
		return nil, apierr.Exclusive(priceParam, paramPath(ai.Param, "price_data"))
	case inline:
		if pr, err = ai.Price.Inline(); err != nil {
			return nil, err
		}
	case !hasPrice:
		return nil, apierr.InvalidRequest("parameter_missing", ai.Param, "You must pass one of price or price_data on %s.", ai.Param)
	case id == "":
		return nil, apierr.InvalidEmpty(priceParam)
	default:
		if pr, err = GetPrice(u.tx, id, priceParam); err != nil {
			return nil, err
		}
		if !pr.Active {
			return nil, apierr.Invalid(priceParam, "The price specified is inactive. This field only accepts active prices.")
		}
		if pr.Recurring != nil {
			return nil, apierr.Invalid(priceParam, "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.")
		}
	}
	if pr.Currency != currency {
		param := priceParam
		if inline {
			param = paramPath(paramPath(ai.Param, "price_data"), "currency")
		}
		return nil, apierr.Invalid(param, "The price's currency (%s) must match the subscription's currency (%s).", pr.Currency, currency)
	}
	return pr, nil
}
