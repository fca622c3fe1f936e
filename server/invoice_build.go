package server

import (
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// This file builds invoice lines from subscriptions, for previews and for the
// invoices that periods produce.

// rateLines rates a quantity of an item's price into invoice lines (one, or one
// per tier component) for the period [start, end).
func (c *call) rateLines(sub *billing.Subscription, it *billing.Item, pr *billing.Price, qty, start, end int64) []billing.Line {
	name, unitLabel := "", ""
	if rec, _ := c.tx.Get(tProducts, pr.Product); rec != nil {
		prod := rec.(*product)
		name, unitLabel = prod.Name, prod.UnitLabel
	}
	bp := pr.Rating()
	comps := calc.Rate(bp, qty)
	lines := make([]billing.Line, 0, len(comps))
	for i, comp := range comps {
		l := billing.Line{
			Type:             "subscription",
			Amount:           comp.Amount,
			Currency:         pr.Currency,
			Description:      calc.Describe(comp, bp, name, unitLabel, pr.Interval()),
			PeriodStart:      start,
			PeriodEnd:        end,
			Price:            pr.ID,
			Quantity:         comp.Quantity,
			Subscription:     sub.ID,
			SubscriptionItem: it.ID,
			Discountable:     true,
			Metadata:         map[string]string{},
		}
		if comp.Flat {
			l.Quantity = 0
		} else if comp.Quantity > 0 {
			u := decimal.NewFromInt(comp.Amount).DivRound(decimal.NewFromInt(comp.Quantity), maxDecimalPlaces)
			l.UnitAmount = &u
		}
		l.ID = lineID(sub.ID, it.ID, pr.ID, itoa64s(start), itoa64s(int64(i)))
		lines = append(lines, l)
	}
	return lines
}

func itoa64s(n int64) string { return strconv.FormatInt(n, 10) }

// meteredQuantity is an item's usage over [start, end): the meter's aggregate
// for the subscription's customer (or, for legacy prices, the usage records).
// Usage during a trial is not billed.
func (c *call) meteredQuantity(sub *billing.Subscription, it *billing.Item, pr *billing.Price, start, end int64) (int64, error) {
	start = max(start, it.PriceSince)
	if sub.TrialEnd > start && sub.TrialStart < end {
		start = max(start, sub.TrialEnd)
	}
	if start >= end {
		return 0, nil
	}
	if pr.Recurring.Meter == "" {
		return c.legacyUsage(it.ID, pr.Recurring.AggregateUsage, start, end)
	}
	m, err := c.getMeter(pr.Recurring.Meter, "meter")
	if err != nil {
		return 0, err
	}
	return clampInt64(c.acct.usage.Sum(m.ID, sub.Customer, start, end).Value(m.formula())), nil
}

func clampInt64(v metering.Int128) int64 {
	return max(v.Saturated(), 0) // a negative period total bills as 0
}

// periodLines are the subscription lines of the invoice that closes the period
// [start, end): metered usage over it, in arrears (with the usage of metered
// prices retired during it), and, unless the subscription ends with it
// (advance false) or the next period is a free stub after a trial, licensed
// items for the next period in advance.
func (c *call) periodLines(sub *billing.Subscription, items []*billing.Item, start, end int64, advance bool) ([]billing.Line, error) {
	var metered, licensed []billing.Line
	_, next := calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, end)
	advance = advance && !sub.FreeStub(next)
	for _, it := range items {
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		if pr.Metered() {
			ls, err := c.usageLines(sub, it, pr, start, end)
			if err != nil {
				return nil, err
			}
			metered = append(metered, ls...)
		} else if advance {
			licensed = append(licensed, c.advanceLines(sub, it, pr, end, next)...)
		}
	}
	for _, r := range sub.Retired {
		s, e := max(start, r.Since), min(end, r.Until)
		if s >= e {
			continue
		}
		pr, err := c.getPrice(r.Price, "price")
		if err != nil {
			return nil, err
		}
		ls, err := c.usageLines(sub, &billing.Item{Meta: store.Meta{ID: r.Item}, Subscription: sub.ID, Price: r.Price, PriceSince: r.Since}, pr, s, e)
		if err != nil {
			return nil, err
		}
		metered = append(metered, ls...)
	}
	return append(licensed, metered...), nil
}

// usageLines rates a metered item's usage over [start, end).
func (c *call) usageLines(sub *billing.Subscription, it *billing.Item, pr *billing.Price, start, end int64) ([]billing.Line, error) {
	qty, err := c.meteredQuantity(sub, it, pr, start, end)
	if err != nil {
		return nil, err
	}
	return c.rateLines(sub, it, pr, qty, max(start, it.PriceSince), end), nil
}

// advanceLines rate a licensed item for [start, end), charged in advance: the
// price of a whole period, or of the rest of one up to its end, prorated (after
// a trial that ends before the billing cycle anchor, say).
func (c *call) advanceLines(sub *billing.Subscription, it *billing.Item, pr *billing.Price, start, end int64) []billing.Line {
	ls := c.rateLines(sub, it, pr, it.Quantity, start, end)
	if full, _ := calc.PeriodContaining(sub.CycleAt(end), sub.Interval, end-1); start == full || start >= end {
		return ls
	}
	return c.prorated(ls, pr, start, func(amount decimal.Decimal) decimal.Decimal { return sub.Prorate(amount, start, end) })
}

// backdatedLines rate a licensed item for the backdated time [start, end) of a
// new subscription, charged in one line: prorated on periods counted from the
// backdated start (billing.Span), as Stripe's backdating does.
func (c *call) backdatedLines(sub *billing.Subscription, it *billing.Item, pr *billing.Price, start, end int64) []billing.Line {
	ls := c.rateLines(sub, it, pr, it.Quantity, start, end)
	return c.prorated(ls, pr, start, func(amount decimal.Decimal) decimal.Decimal { return calc.Span(amount, sub.Interval, start, end) })
}

// prorated makes lines rated at a whole period's price charge share of it, as
// prorations from start.
func (c *call) prorated(ls []billing.Line, pr *billing.Price, start int64, share func(decimal.Decimal) decimal.Decimal) []billing.Line {
	for i := range ls {
		ls[i].Amount = calc.Round(share(decimal.NewFromInt(ls[i].Amount)))
		ls[i].Proration = true
		ls[i].Description = calc.ProrationText(false, ls[i].Quantity, c.productName(pr), start)
		if ls[i].Quantity > 0 {
			u := decimal.NewFromInt(ls[i].Amount).DivRound(decimal.NewFromInt(ls[i].Quantity), maxDecimalPlaces)
			ls[i].UnitAmount = &u
		}
	}
	return ls
}

// productName is the name of a price's product ("" if it is gone).
func (c *call) productName(pr *billing.Price) string {
	if prod, _ := c.tx.Get(tProducts, pr.Product); prod != nil {
		return prod.(*product).Name
	}
	return ""
}

// storedItemLines turns invoice items into the lines of a stored invoice:
// each line's ID is the item's (il_ for ii_), so that it stays the same
// however the invoice's items change while it is a draft.
func storedItemLines(items []*billing.InvoiceItem) []billing.Line {
	lines := itemLines(items)
	for i := range lines {
		lines[i].ID = "il_" + lines[i].InvoiceItem[len("ii_"):]
	}
	return lines
}

// itemLines turns invoice items into lines (of a preview: il_tmp_ IDs).
func itemLines(items []*billing.InvoiceItem) []billing.Line {
	out := make([]billing.Line, 0, len(items))
	for _, ii := range items {
		out = append(out, billing.Line{
			ID: "il_tmp_" + ii.ID[len("ii_"):], Type: "invoiceitem", Amount: ii.Amount, Currency: ii.Currency,
			Description: ii.Description, PeriodStart: ii.PeriodStart, PeriodEnd: ii.PeriodEnd, Price: ii.Price,
			Quantity: ii.Quantity, UnitAmount: ii.UnitAmount, Proration: ii.Proration, Subscription: ii.Subscription,
			SubscriptionItem: ii.SubscriptionItem, InvoiceItem: ii.ID, Discountable: ii.Discountable, Metadata: ii.Metadata,
		})
	}
	return out
}

// prorationLines turns prorations of a previewed change into lines.
func prorationLines(sub *billing.Subscription, ps []proration) []billing.Line {
	out := make([]billing.Line, 0, len(ps))
	for i, p := range ps {
		var unit *decimal.Decimal
		if p.quantity != 0 {
			u := decimal.NewFromInt(p.amount).DivRound(decimal.NewFromInt(p.quantity), maxDecimalPlaces)
			unit = &u
		}
		out = append(out, billing.Line{
			ID: lineID("proration", sub.ID, p.item.ID, p.price.ID, itoa64s(p.start), itoa64s(int64(i))), Type: "invoiceitem",
			Amount: p.amount, Currency: sub.Currency, Description: p.description, PeriodStart: p.start, PeriodEnd: p.end,
			Price: p.price.ID, Quantity: p.quantity, UnitAmount: unit, Proration: true, Subscription: sub.ID,
			SubscriptionItem: p.item.ID, Metadata: map[string]string{},
		})
	}
	return out
}

// snapshotCustomer copies the customer fields an invoice shows.
func snapshotCustomer(inv *billing.Invoice, cu *billing.Customer) {
	inv.CustomerEmail, inv.CustomerName, inv.CustomerPhone = cu.Email, cu.Name, cu.Phone
	inv.CustomerAddress, inv.CustomerShipping, inv.CustomerTaxExempt = cu.Address, cu.Shipping, cu.TaxExempt
}
