package billing

import (
	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// Prorations: when a subscription's licensed items change within a period
// paid in advance, the unused time of what stops is credited and the
// remaining time of what starts is charged, up to the period's end.

// prorateChange compares licensed items before and after a change at from,
// up to the end of the subscription's current period (for what stops, the
// period before the change: a new interval that keeps the anchor ends it
// elsewhere): unused time of what stops is credited, remaining time of what
// starts is charged at the item's price. The credit is by the billing mode:
// classic's at the item's price, flexible's from what was debited
// (originalCredits).
func prorateChange(u *Unit, ch *subChange, from int64) ([]proration, error) {
	end, was := ch.sub.PeriodEnd, ch.old()
	if ch.sub.Status == SubscriptionTrialing || from >= end {
		return nil, nil
	}
	fromDebits := ch.sub.rules().CreditsOriginalDebits()
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
		sub := ch.sub
		if credit {
			sub = was
			if fromDebits {
				cs, err := originalCredits(u, was, it, from)
				out = append(out, cs...)
				return err
			}
		}
		full := decimal.Zero
		for _, comp := range calc.Rate(pr.Rating(), st.qty) {
			full = full.Add(decimal.NewFromInt(comp.Amount))
		}
		end := sub.PeriodEnd
		amount := calc.Round(sub.prorate(full, from, end))
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
			Metadata: map[string]string{}, TestClock: sub.TestClock, Credited: pr.Credited}
		if err := u.tx.Put(TableInvoiceItems, ii); err != nil {
			return err
		}
	}
	return nil
}

// debit is an amount debited for a licensed item's time: a line of one of its
// subscription's invoices, or a proration invoice item.
type debit struct {
	credited   CreditedLine
	price      string
	qty        int64
	amount     int64
	start, end int64
	// until is where the time the debit still covers ends: end, or the start
	// of the credit already given for it.
	until int64
}

// originalCredits are flexible billing mode's credits for a licensed item's
// time after from: one for each amount debited for the item that still
// covers time after from, its share of that amount for that time (pro rata
// to the second over the time it was debited for). Each names its debit.
func originalCredits(u *Unit, sub *Subscription, it *Item, from int64) ([]proration, error) {
	debits, err := itemDebits(u, sub, it.ID)
	if err != nil {
		return nil, err
	}
	var out []proration
	for _, d := range debits {
		start := max(from, d.start)
		if start >= d.until || d.end <= d.start {
			continue
		}
		pr, err := GetPrice(u.tx, d.price, "price")
		if err != nil {
			return nil, err
		}
		share := decimal.NewFromInt(d.amount).Mul(decimal.NewFromInt(d.until - start)).Div(decimal.NewFromInt(d.end - d.start))
		credited := d.credited
		out = append(out, proration{Item: it, Price: pr, Quantity: d.qty, Amount: -calc.Round(share), Start: start, End: d.until,
			Description: calc.ProrationText(true, d.qty, productName(u.tx, pr), start), Credited: &credited})
	}
	return out, nil
}

// itemDebits are the amounts debited for a licensed item of sub (in the
// store's order, the same for every run): the licensed lines (charges in advance, prorated or not) of its
// invoices that are not void, and its proration invoice items of positive
// amounts. Each covers its period up to the credit already given for it: a
// credit naming it, or one that names none (a classic credit, before the
// subscription moved to flexible [I]) starting within it.
func itemDebits(u *Unit, sub *Subscription, item string) ([]debit, error) {
	invoices, err := u.tx.Find(TableInvoices, "subscription", sub.ID)
	if err != nil {
		return nil, err
	}
	var out []debit
	void := map[string]bool{}
	for _, r := range invoices {
		inv := r.(*Invoice)
		if inv.Status == InvoiceVoid {
			void[inv.ID] = true
			continue
		}
		for _, l := range inv.Lines {
			if l.Type != "subscription" || l.SubscriptionItem != item || l.Amount <= 0 {
				continue
			}
			if pr, err := GetPrice(u.tx, l.Price, "price"); err != nil || pr.Metered() {
				if err != nil {
					return nil, err
				}
				continue
			}
			out = append(out, debit{credited: CreditedLine{Invoice: inv.ID, Line: l.ID}, price: l.Price, qty: l.Quantity, amount: l.Amount,
				start: l.PeriodStart, end: l.PeriodEnd, until: l.PeriodEnd})
		}
	}
	recs, err := u.tx.Find(TableInvoiceItems, "customer", sub.Customer)
	if err != nil {
		return nil, err
	}
	items := invoiceItems(recs)
	for _, ii := range items {
		if ii.SubscriptionItem == item && ii.Proration && ii.Amount > 0 && !void[ii.Invoice] {
			out = append(out, debit{credited: CreditedLine{Invoice: ii.Invoice, Item: ii.ID}, price: ii.Price, qty: ii.Quantity,
				amount: ii.Amount, start: ii.PeriodStart, end: ii.PeriodEnd, until: ii.PeriodEnd})
		}
	}
	for _, ii := range items {
		if ii.SubscriptionItem != item || !ii.Proration || ii.Amount >= 0 || void[ii.Invoice] {
			continue
		}
		for i := range out {
			d := &out[i]
			if ii.Credited != nil && d.credited.same(*ii.Credited) || ii.Credited == nil && d.start < ii.PeriodStart && ii.PeriodStart < d.until {
				d.until = min(d.until, ii.PeriodStart)
			}
		}
	}
	return out, nil
}
