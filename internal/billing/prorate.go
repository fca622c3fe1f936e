package billing

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// Prorations: when a subscription's licensed items change within a period
// paid in advance, the unused time of what stops is credited and the
// remaining time of what starts is charged, up to the period's end.

// prorateChange compares licensed items before and after a change at from,
// up to the end of the subscription's current period: unused time of what
// stops is credited, remaining time of what starts is charged, each at the
// item's price (classic billing mode's credit: the current price, not what
// was paid).
func prorateChange(u *Unit, ch *subChange, from int64) ([]proration, error) {
	end := ch.sub.PeriodEnd
	if ch.sub.Status == SubscriptionTrialing || from >= end {
		return nil, nil
	}
	type state struct {
		price string
		qty   int64
	}
	old := map[string]state{}
	for _, it := range ch.before {
		old[it.ID] = state{it.Price, it.Quantity}
	}
	now := map[string]state{}
	for _, it := range ch.after {
		now[it.ID] = state{it.Price, it.Quantity}
	}
	var out []proration
	line := func(it *Item, st state, credit bool) error {
		pr, err := GetPrice(u.tx, st.price, "price")
		if err != nil || pr.Metered() {
			return err
		}
		full := decimal.Zero
		for _, comp := range calc.Rate(pr.Rating(), st.qty) {
			full = full.Add(decimal.NewFromInt(comp.Amount))
		}
		amount := calc.Round(ch.sub.prorate(full, from, end))
		if credit {
			amount = -amount
		}
		out = append(out, proration{Item: it, Price: pr, Quantity: st.qty, Amount: amount, Start: from, End: end,
			Description: calc.ProrationText(credit, st.qty, productName(u.tx, pr), from)})
		return nil
	}
	for _, it := range ch.before {
		if st, ok := now[it.ID]; !ok || st != old[it.ID] {
			if err := line(it, old[it.ID], true); err != nil {
				return nil, err
			}
		}
	}
	for _, it := range ch.after {
		if st, ok := old[it.ID]; !ok || st != now[it.ID] {
			if err := line(it, now[it.ID], false); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// unusedTime is the credit for the unused time of a subscription's licensed
// items, from at to the end of its period (the subscription ends early).
func unusedTime(u *Unit, sub *Subscription, items []*Item, at int64) ([]proration, error) {
	return prorateChange(u, &subChange{sub: sub, before: items}, at)
}

// creditUnusedTime pends the credit for the unused time of a subscription's
// licensed items, from at to the end of its period: it ends early (cancel_at).
func creditUnusedTime(u *Unit, sub *Subscription, items []*Item, at int64) error {
	credits, err := unusedTime(u, sub, items, at)
	if err != nil {
		return err
	}
	return pendProrations(u, sub, credits)
}

// pendProrations stores prorations as pending invoice items: the next invoice
// takes them.
func pendProrations(u *Unit, sub *Subscription, ps []proration) error {
	for _, pr := range ps {
		unit := decimal.Zero
		if pr.Quantity != 0 {
			unit = decimal.NewFromInt(pr.Amount).Div(decimal.NewFromInt(pr.Quantity))
		}
		ii := &InvoiceItem{Meta: u.ids.NewMeta("ii", pr.Start), Customer: sub.Customer, Amount: pr.Amount, Currency: sub.Currency,
			Description: pr.Description, PeriodStart: pr.Start, PeriodEnd: pr.End, Price: pr.Price.ID, Quantity: pr.Quantity,
			UnitAmount: &unit, Proration: true, Subscription: sub.ID, SubscriptionItem: pr.Item.ID, Discountable: false,
			Metadata: map[string]string{}, TestClock: sub.TestClock}
		if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
			return err
		}
	}
	return nil
}
