package billing

import (
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The lines of invoices: a subscription's items rated over a period (usage in
// arrears, licensed items in advance, prorated parts), and invoice items as
// lines. They serve the invoices that periods and changes make, and previews.

// MaxDecimalPlaces is how precise a decimal amount may be (unit_amount_decimal,
// flat_amount_decimal), and how precise a line's unit amount is.
const MaxDecimalPlaces = 12

// rateLines rates a quantity of an item's price into invoice lines (one, or
// one per tier component) for the period [start, end).
func rateLines(tx *store.Txn, sub *Subscription, it *Item, pr *Price, qty, start, end int64) []Line {
	name, unitLabel := "", ""
	if prod := product(tx, pr.Product); prod != nil {
		name, unitLabel = prod.BillingName(), prod.BillingUnitLabel()
	}
	bp := pr.Rating()
	comps := calc.Rate(bp, qty)
	lines := make([]Line, 0, len(comps))
	for i, comp := range comps {
		l := Line{
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
			u := decimal.NewFromInt(comp.Amount).DivRound(decimal.NewFromInt(comp.Quantity), MaxDecimalPlaces)
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
func meteredQuantity(u *Unit, sub *Subscription, it *Item, pr *Price, start, end int64) (int64, error) {
	start = max(start, it.PriceSince)
	if sub.TrialEnd > start && sub.TrialStart < end {
		start = max(start, sub.TrialEnd)
	}
	if start >= end {
		return 0, nil
	}
	if pr.Recurring.Meter == "" {
		return legacyUsage(u.tx, it.ID, pr.Recurring.AggregateUsage, start, end)
	}
	m, err := meter(u.tx, pr.Recurring.Meter, "meter")
	if err != nil {
		return 0, err
	}
	return UsageQuantity(u.usage.Sum(m.RecordID(), sub.Customer, start, end).Value(m.BillingFormula())), nil
}

// UsageQuantity is a total of usage as a quantity to bill: a negative total
// bills as 0, and one past int64 as int64's largest.
func UsageQuantity(v metering.Int128) int64 {
	return max(v.Saturated(), 0)
}

// periodLines are the subscription lines of the invoice that closes the
// period [start, end): metered usage over it, in arrears (with the usage of
// metered prices retired during it), and, unless the subscription ends with
// it (advance false) or the next period is a free stub after a trial,
// licensed items for the next period in advance.
func periodLines(u *Unit, sub *Subscription, items []*Item, start, end int64, advance bool) ([]Line, error) {
	var metered, licensed []Line
	_, next := calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, end)
	advance = advance && !sub.freeStub(next)
	for _, it := range items {
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return nil, err
		}
		if pr.Metered() {
			ls, err := usageLines(u, sub, it, pr, start, end)
			if err != nil {
				return nil, err
			}
			metered = append(metered, ls...)
		} else if advance {
			licensed = append(licensed, advanceLines(u.tx, sub, it, pr, end, next)...)
		}
	}
	for _, r := range sub.Retired {
		s, e := max(start, r.Since), min(end, r.Until)
		if s >= e {
			continue
		}
		pr, err := GetPrice(u.tx, r.Price, "price")
		if err != nil {
			return nil, err
		}
		ls, err := usageLines(u, sub, &Item{Meta: store.Meta{ID: r.Item}, Subscription: sub.ID, Price: r.Price, PriceSince: r.Since}, pr, s, e)
		if err != nil {
			return nil, err
		}
		metered = append(metered, ls...)
	}
	return append(licensed, metered...), nil
}

// usageLines rates a metered item's usage over [start, end).
func usageLines(u *Unit, sub *Subscription, it *Item, pr *Price, start, end int64) ([]Line, error) {
	qty, err := meteredQuantity(u, sub, it, pr, start, end)
	if err != nil {
		return nil, err
	}
	return rateLines(u.tx, sub, it, pr, qty, max(start, it.PriceSince), end), nil
}

// advanceLines rate a licensed item for [start, end), charged in advance: the
// price of a whole period, or of the rest of one up to its end, prorated
// (after a trial that ends before the billing cycle anchor, say).
func advanceLines(tx *store.Txn, sub *Subscription, it *Item, pr *Price, start, end int64) []Line {
	ls := rateLines(tx, sub, it, pr, it.Quantity, start, end)
	if full, _ := calc.PeriodContaining(sub.cycleAt(end), sub.Interval, end-1); start == full || start >= end {
		return ls
	}
	return prorated(tx, ls, pr, start, func(amount decimal.Decimal) decimal.Decimal { return sub.prorate(amount, start, end) })
}

// truncatedLines rate a licensed item for a new subscription's first period
// [start, end), cut short by a cancel_at before the cycle's boundary natural:
// prorated, the share of [start, natural) that it is; otherwise (a billing
// mode whose proration_behavior=none disables the proration) the price of a
// whole period.
func truncatedLines(tx *store.Txn, sub *Subscription, it *Item, pr *Price, start, end, natural int64, prorate bool) []Line {
	ls := rateLines(tx, sub, it, pr, it.Quantity, start, end)
	if !prorate {
		return ls
	}
	return prorated(tx, ls, pr, start, func(amount decimal.Decimal) decimal.Decimal {
		return sub.prorate(amount, start, natural).Sub(sub.prorate(amount, end, natural))
	})
}

// backdatedLines rate a licensed item for the backdated time [start, end) of
// a new subscription, charged in one line: prorated on periods counted from
// the backdated start (calc.Span), as Stripe's backdating does.
func backdatedLines(tx *store.Txn, sub *Subscription, it *Item, pr *Price, start, end int64) []Line {
	ls := rateLines(tx, sub, it, pr, it.Quantity, start, end)
	return prorated(tx, ls, pr, start, func(amount decimal.Decimal) decimal.Decimal { return calc.Span(amount, sub.Interval, start, end) })
}

// prorated makes lines rated at a whole period's price charge share of it, as
// prorations from start.
func prorated(tx *store.Txn, ls []Line, pr *Price, start int64, share func(decimal.Decimal) decimal.Decimal) []Line {
	for i := range ls {
		ls[i].Amount = calc.Round(share(decimal.NewFromInt(ls[i].Amount)))
		ls[i].Proration = true
		ls[i].Description = calc.ProrationText(false, ls[i].Quantity, productName(tx, pr), start)
		if ls[i].Quantity > 0 {
			u := decimal.NewFromInt(ls[i].Amount).DivRound(decimal.NewFromInt(ls[i].Quantity), MaxDecimalPlaces)
			ls[i].UnitAmount = &u
		}
	}
	return ls
}

// productName is the name of a price's product ("" if it is gone).
func productName(tx *store.Txn, pr *Price) string {
	if prod := product(tx, pr.Product); prod != nil {
		return prod.BillingName()
	}
	return ""
}

// storedItemLines turns invoice items into the lines of a stored invoice:
// each line's ID is the item's (il_ for ii_), so that it stays the same
// however the invoice's items change while it is a draft.
func storedItemLines(items []*InvoiceItem) []Line {
	lines := itemLines(items)
	for i := range lines {
		lines[i].ID = "il_" + lines[i].InvoiceItem[len("ii_"):]
	}
	return lines
}

// itemLines turns invoice items into lines (of a preview: il_tmp_ IDs).
func itemLines(items []*InvoiceItem) []Line {
	out := make([]Line, 0, len(items))
	for _, ii := range items {
		out = append(out, Line{
			ID: "il_tmp_" + ii.ID[len("ii_"):], Type: "invoiceitem", Amount: ii.Amount, Currency: ii.Currency,
			Description: ii.Description, PeriodStart: ii.PeriodStart, PeriodEnd: ii.PeriodEnd, Price: ii.Price,
			Quantity: ii.Quantity, UnitAmount: ii.UnitAmount, Proration: ii.Proration, Subscription: ii.Subscription,
			SubscriptionItem: ii.SubscriptionItem, InvoiceItem: ii.ID, Discountable: ii.Discountable, Metadata: ii.Metadata,
		})
	}
	return out
}

// proration is one line of credit or charge for a licensed item changed
// mid-period.
type proration struct {
	Item        *Item
	Price       *Price
	Quantity    int64
	Amount      int64
	Start, End  int64
	Description string
	// Credited is the debit a flexible credit proration credits (nil: none).
	Credited *CreditedLine
}

// prorationLines turns prorations of a previewed change into lines.
func prorationLines(sub *Subscription, ps []proration) []Line {
	out := make([]Line, 0, len(ps))
	for i, p := range ps {
		var unit *decimal.Decimal
		if p.Quantity != 0 {
			u := decimal.NewFromInt(p.Amount).DivRound(decimal.NewFromInt(p.Quantity), MaxDecimalPlaces)
			unit = &u
		}
		out = append(out, Line{
			ID: lineID("proration", sub.ID, p.Item.ID, p.Price.ID, itoa64s(p.Start), itoa64s(int64(i))), Type: "invoiceitem",
			Amount: p.Amount, Currency: sub.Currency, Description: p.Description, PeriodStart: p.Start, PeriodEnd: p.End,
			Price: p.Price.ID, Quantity: p.Quantity, UnitAmount: unit, Proration: true, Subscription: sub.ID,
			SubscriptionItem: p.Item.ID, Metadata: map[string]string{},
		})
	}
	return out
}

// lineID is a preview line's ID: stable for the same source, so that paging
// through a preview's lines works across requests.
func lineID(parts ...string) string {
	// FNV-1a (hash/fnv's New64a) over each part and a 0 byte after it, over
	// the strings themselves: no hasher or byte slices allocated per line.
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * prime
		}
		h *= prime // the 0 byte: h ^ 0 is h
	}
	return "il_tmp_" + strconv.FormatUint(h, 36)
}
