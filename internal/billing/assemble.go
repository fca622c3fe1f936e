package billing

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Invoice assembly: what goes on an invoice when it is made (the lines of a
// subscription's period, the customer's pending invoice items, a copy of the
// customer), and the re-rating of a draft's usage before it is finalized.

// subscriptionInvoice creates the draft invoice closing [start, end) of a
// subscription, with the customer's pending invoice items; it finalizes on
// its own an hour later. advance: the licensed items of the next period are
// charged on it (the subscription goes on).
func subscriptionInvoice(u *Unit, sub *Subscription, items []*Item, start, end int64, reason string, advance bool) (*Invoice, error) {
	lines, err := periodLines(u, sub, items, start, end, advance)
	if err != nil {
		return nil, err
	}
	return newInvoice(u, sub, reason, start, end, end, lines, end+finalizationGrace)
}

// newInvoice stores a draft invoice for a subscription's customer, taking
// their pending invoice items. It auto-advances; finalizesAt (0: finalized by
// the caller at once) is when it finalizes on its own.
func newInvoice(u *Unit, sub *Subscription, reason string, start, end, created int64, lines []Line, finalizesAt int64) (*Invoice, error) {
	return newInvoiceHolding(u, sub, reason, start, end, created, lines, finalizesAt, nil)
}

// newInvoiceHolding is newInvoice, leaving pending the invoice items held
// (by ID).
func newInvoiceHolding(u *Unit, sub *Subscription, reason string, start, end, created int64, lines []Line, finalizesAt int64, held map[string]bool) (*Invoice, error) {
	cu, err := GetCustomer(u.tx, sub.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	inv := &Invoice{Meta: u.ids.NewMeta("in", created), Customer: sub.Customer, Subscription: sub.ID, Status: InvoiceDraft,
		BillingReason: reason, CollectionMethod: sub.CollectionMethod, Currency: sub.Currency, PeriodStart: start, PeriodEnd: end,
		StartingBalance: cu.Balance, AutoAdvance: true, FinalizesAt: finalizesAt, SubscriptionMetadata: sub.Metadata,
		TestClock: sub.TestClock, Metadata: map[string]string{}}
	if sub.CollectionMethod == "send_invoice" && sub.DaysUntilDue != nil {
		inv.DueDate = created + *sub.DaysUntilDue*86400
	}
	snapshotCustomer(inv, cu)
	pending, err := PendingItems(u.tx, cu.ID)
	if err != nil {
		return nil, err
	}
	pending = slices.DeleteFunc(keepItemsFor(pending, sub.ID), func(ii *InvoiceItem) bool { return held[ii.ID] })
	if err := takeItems(u, inv, pending); err != nil {
		return nil, err
	}
	inv.Lines = append(storedItemLines(pending), lines...)
	for i := len(pending); i < len(inv.Lines); i++ {
		inv.Lines[i].ID = store.NewID("il")
	}
	return inv, u.tx.Put(TableInvoices, inv)
}

// snapshotCustomer copies onto an invoice the customer fields it shows.
func snapshotCustomer(inv *Invoice, cu *Customer) {
	inv.CustomerEmail, inv.CustomerName, inv.CustomerPhone = cu.Email, cu.Name, cu.Phone
	inv.CustomerAddress, inv.CustomerShipping, inv.CustomerTaxExempt = cu.Address, cu.Shipping, cu.TaxExempt
}

// PendingItems are a customer's invoice items not yet on an invoice, oldest
// first.
func PendingItems(tx *store.Txn, customer string) ([]*InvoiceItem, error) {
	recs, err := tx.Find(TableInvoiceItems, "pending", customer)
	if err != nil {
		return nil, err
	}
	return invoiceItems(recs), nil
}

// invoiceItems are records of the invoice items table, oldest first.
func invoiceItems(recs []store.Record) []*InvoiceItem {
	out := make([]*InvoiceItem, len(recs))
	for i, r := range recs {
		out[i] = r.(*InvoiceItem)
	}
	store.SortByCreation(out)
	return out
}

// keepItemsFor keeps the invoice items a subscription's invoice takes: its
// own, and those not tied to any subscription.
func keepItemsFor(items []*InvoiceItem, sub string) []*InvoiceItem {
	out := items[:0:0]
	for _, ii := range items {
		if ii.Subscription == "" || ii.Subscription == sub {
			out = append(out, ii)
		}
	}
	return out
}

// takeItems attaches pending invoice items to an invoice.
func takeItems(u *Unit, inv *Invoice, items []*InvoiceItem) error {
	for _, ii := range items {
		n := ii.Clone()
		n.Invoice = inv.ID
		if err := u.tx.Put(TableInvoiceItems, n); err != nil {
			return err
		}
	}
	return nil
}

// refreshUsage re-rates an invoice's metered lines with the usage known now:
// usage reported during the grace period after the period's end still counts.
func refreshUsage(u *Unit, inv *Invoice) error {
	if inv.Subscription == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil {
		return nil // the subscription is gone (its test clock was deleted)
	}
	rerated := func(l Line) *Price {
		if pr, _ := GetPrice(u.tx, l.Price, "price"); l.Type == "subscription" && !l.Proration && pr != nil && pr.Metered() {
			return pr
		}
		return nil
	}
	// The metered lines of each rating, in order: an item's price over the
	// line's period. One item can have several (legacy usage records: the
	// price it moved from, billed up to the move, and the one it moved to).
	type rating struct {
		item, price string
		start       int64
	}
	key := func(l Line) rating { return rating{l.SubscriptionItem, l.Price, l.PeriodStart} }
	old := map[rating][]Line{}
	for _, l := range inv.Lines {
		if rerated(l) != nil {
			old[key(l)] = append(old[key(l)], l)
		}
	}
	var out []Line
	done := map[rating]bool{}
	for _, l := range inv.Lines {
		pr := rerated(l)
		if pr == nil {
			out = append(out, l)
			continue
		}
		if done[key(l)] {
			continue
		}
		done[key(l)] = true
		it := &Item{Meta: store.Meta{ID: l.SubscriptionItem}, Subscription: sub.ID, Price: pr.ID}
		qty, err := meteredQuantity(u, sub, it, pr, l.PeriodStart, l.PeriodEnd)
		if err != nil {
			return err
		}
		for j, nl := range rateLines(u.tx, sub, it, pr, qty, l.PeriodStart, l.PeriodEnd) {
			if was := old[key(l)]; j < len(was) {
				keepLine(&nl, was[j])
			} else {
				nl.ID = store.NewID("il") // a tier component the usage now reaches
			}
			out = append(out, nl)
		}
	}
	inv.Lines = out
	return nil
}

// keepLine carries to a re-rated line the ID of the line it replaces, and
// what POST /v1/invoices/{invoice}/lines/{line_item_id} may have set on it:
// metadata, discountable, and a description given there.
func keepLine(nl *Line, was Line) {
	nl.ID, nl.Metadata, nl.Discountable = was.ID, was.Metadata, was.Discountable
	if was.CustomDescription {
		nl.Description, nl.CustomDescription = was.Description, true
	}
}

// firstInvoice is the invoice a new subscription starts with
// (billing_reason subscription_create), finalized at once: licensed items for
// the first period in advance (free during a trial; prorated up to a
// billing_cycle_anchor ahead; after a backdated start, the time up to now, or
// up to the anchor ahead, prorated in one line, then a whole period; or, where
// the billing mode splits backdating, each backdated period and the one
// around now whole, with the backdated periods' usage), and metered items
// with no usage yet. prorate false (proration_behavior=none)
// leaves the prorated part out: with a billing_cycle_anchor ahead, the time up
// to it is free and there is no invoice (nil) until the anchor.
func firstInvoice(u *Unit, sub *Subscription, items []*Item, prorate bool, how collection) (*Invoice, error) {
	now, trial := sub.Created, sub.Status == SubscriptionTrialing
	stub := sub.BillingCycleAnchor > now // the first period ends at the anchor
	if stub && !trial && !prorate {
		return nil, nil
	}
	lines, err := firstLines(u, sub, items, prorate)
	if err != nil {
		return nil, err
	}
	inv, err := newInvoice(u, sub, "subscription_create", now, now, now, lines, 0)
	if err != nil {
		return nil, err
	}
	return finalize(u, inv, now, how)
}

// firstLines are the lines of a new subscription's first invoice (its first
// period set, firstPeriod): its backdated time, its first period in advance
// (a stub to an anchor prorated), its metered items' empty usage, and with a
// trial the trial's free lines.
func firstLines(u *Unit, sub *Subscription, items []*Item, prorate bool) ([]Line, error) {
	now, trial := sub.Created, sub.Status == SubscriptionTrialing
	stub := sub.BillingCycleAnchor > now // the first period ends at the anchor
	backdated := sub.PeriodStart < now
	// a cancel_at cut the first period short of the cycle's first boundary
	_, natural := calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, now)
	truncated := !trial && !backdated && sub.PeriodEnd < natural
	lines, err := backdatedPeriodLines(u, sub, items, prorate)
	if err != nil {
		return nil, err
	}
	from := now // the first period is charged from
	if split := sub.rules().SplitsBackdating() && backdated && sub.BillingCycleAnchor == sub.StartDate; split {
		// On a cycle anchored at the backdated start, the period around now is
		// charged whole.
		from, backdated = sub.PeriodStart, false
	}
	for _, it := range items {
		pr, err := GetPrice(u.tx, it.Price, "price")
		if err != nil {
			return nil, err
		}
		var ls []Line
		switch {
		case pr.Metered():
			ls = rateLines(u.tx, sub, it, pr, 0, sub.PeriodStart, sub.PeriodEnd)
		case trial:
			ls = rateLines(u.tx, sub, it, pr, it.Quantity, sub.PeriodStart, sub.PeriodEnd)
		case truncated:
			ls = truncatedLines(u.tx, sub, it, pr, now, sub.PeriodEnd, natural, prorate)
		case stub && backdated:
			ls = backdatedLines(u.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)
		case stub:
			ls = advanceLines(u.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)
		default:
			if prorate && backdated {
				ls = backdatedLines(u.tx, sub, it, pr, sub.PeriodStart, now)
			}
			ls = append(ls, advanceLines(u.tx, sub, it, pr, from, sub.PeriodEnd)...)
		}
		if trial {
			for i := range ls {
				ls[i].Amount, ls[i].UnitAmount = 0, nil
				ls[i].Description = sub.rules().TrialLineText(ls[i].Quantity, productName(u.tx, pr))
			}
		}
		lines = append(lines, ls...)
	}
	return lines, nil
}

// backdatedPeriods is how many whole periods of a new subscription came
// before its first: the backdated time a billing mode that splits backdating
// bills period by period (0 for any other subscription).
func backdatedPeriods(sub *Subscription) int64 {
	n := int64(0)
	for sub.StartDate < sub.PeriodStart && calc.AddPeriods(sub.StartDate, sub.Interval, n) < sub.PeriodStart {
		n++
	}
	return n
}

// backdatedPeriodLines are the lines of a new subscription's backdated
// periods (backdatedPeriods), on its first invoice, one a period and item:
// the metered usage of each period, and, with charge (not
// proration_behavior=none [I]), the licensed items' whole periods.
func backdatedPeriodLines(u *Unit, sub *Subscription, items []*Item, charge bool) ([]Line, error) {
	var lines []Line
	for i := range backdatedPeriods(sub) {
		start, end := calc.AddPeriods(sub.StartDate, sub.Interval, i), calc.AddPeriods(sub.StartDate, sub.Interval, i+1)
		for _, it := range items {
			pr, err := GetPrice(u.tx, it.Price, "price")
			if err != nil {
				return nil, err
			}
			switch {
			case pr.Metered():
				ls, err := usageLines(u, sub, it, pr, start, end)
				if err != nil {
					return nil, err
				}
				lines = append(lines, ls...)
			case charge:
				lines = append(lines, rateLines(u.tx, sub, it, pr, it.Quantity, start, end)...)
			}
		}
	}
	return lines, nil
}

// finalInvoice bills a subscription canceled now with invoice_now: its usage so
// far, pending items and, with prorate, a credit for unused licensed time.
func finalInvoice(u *Unit, before *Subscription, at int64, prorate bool) (*Invoice, error) {
	items, err := ItemsOf(u.tx, before.ID)
	if err != nil {
		return nil, err
	}
	lines, err := periodLines(u, before, items, before.PeriodStart, at, false)
	if err != nil {
		return nil, err
	}
	if prorate {
		ps, err := unusedTime(u, before, items, at)
		if err != nil {
			return nil, err
		}
		lines = append(prorationLines(before, ps), lines...)
	}
	pending, err := PendingItems(u.tx, before.Customer)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 && len(keepItemsFor(pending, before.ID)) == 0 {
		return nil, nil
	}
	inv, err := newInvoice(u, before, "subscription_cycle", before.PeriodStart, at, at, lines, 0)
	if err != nil {
		return nil, err
	}
	return finalizeInvoice(u, inv, at)
}
