package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// One implementation of a change to a live subscription serves the update
// endpoint, the subscription item endpoints and the invoice previews (which run
// it in a transaction that is never committed), so that a preview shows exactly
// what the change does.
//
// What a change bills, as Stripe does:
//   - items changed within the cycle: prorations for the rest of the period
//     (proration_behavior create_prorations: pending invoice items the next
//     invoice takes; always_invoice: invoiced at once; none: nothing);
//   - a change that restarts the cycle (a price with another interval,
//     billing_cycle_anchor=now, trial_end=now on a trial): an invoice at once
//     (billing_reason subscription_update) with the credit for the unused time
//     of the old items, the metered usage of the period so far, and the
//     licensed items of the new period in advance;
//   - metered prices by the subscription's billing mode (classic: a price that
//     stops mid-period bills nothing of its usage, one that starts counts from
//     then, and one that joins with always_invoice gets a line of 0);
//   - add_invoice_items: one-off items on the next invoice the change makes.

// subUpdate is one change to a subscription.
type subUpdate struct {
	items         []*form.Params
	behavior      string // proration_behavior
	prorationDate *int64
	trialEnd      *form.Value    // a timestamp, or "now"
	anchorNow     bool           // billing_cycle_anchor=now
	invoiceItems  []*form.Params // add_invoice_items
	// settings applies the rest of an update's parameters to the changed copy.
	settings func(sub *billing.Subscription) error
}

// maxTrialDays is how far ahead a trial may end: two years.
const maxTrialDays = 730

// checkTrialEnd refuses a trial end in the past or more than two years ahead.
func checkTrialEnd(param string, end, now int64) error {
	if end <= now {
		return apierr.Invalid(param, "Invalid timestamp: must be an integer Unix timestamp in the future.")
	}
	if end > now+maxTrialDays*86400 {
		return apierr.Invalid(param, "The maximum number of trial period days is %d (2 years).", maxTrialDays)
	}
	return nil
}

// changeSubscription applies a change to a live subscription and stores the
// result: the subscription, its items, pending prorations, and the invoice the
// change bills at once (nil if none).
func (c *call) changeSubscription(cur *billing.Subscription, u subUpdate, now int64) (*billing.Subscription, *subChange, *billing.Invoice, error) {
	ch, err := c.changeItems(cur, u.items, now)
	if err != nil {
		return nil, nil, nil, err
	}
	sub := ch.sub
	if u.settings != nil {
		if err := u.settings(sub); err != nil {
			return nil, nil, nil, err
		}
	}
	behavior := u.behavior
	if behavior == "" {
		behavior = "create_prorations"
	}
	from := now
	if u.prorationDate != nil {
		if d := *u.prorationDate; d < cur.PeriodStart || d > cur.PeriodEnd {
			return nil, nil, nil, apierr.Invalid("proration_date", "proration_date must be within the subscription's current period (%d to %d).", cur.PeriodStart, cur.PeriodEnd)
		}
		from = *u.prorationDate
	}
	trialEndsNow := false
	if v := u.trialEnd; v != nil {
		if v.Kind == form.KString { // "now"
			trialEndsNow = cur.Status == billing.SubscriptionTrialing
		} else {
			if err := checkTrialEnd("trial_end", v.Int, now); err != nil {
				return nil, nil, nil, err
			}
			if sub.Status != billing.SubscriptionTrialing {
				sub.TrialStart, sub.PeriodStart = now, now
			}
			sub.Status, sub.TrialEnd = billing.SubscriptionTrialing, v.Int
			sub.BillingCycleAnchor, sub.PeriodEnd, sub.StubFreeUntil = v.Int, v.Int, 0
		}
	}
	paid := cur.Status != billing.SubscriptionTrialing // the current period's licensed items were charged
	var prorations []billing.Proration
	var inv *billing.Invoice
	// A new interval during a trial keeps the trial; the first paid period
	// follows it.
	if trialEndsNow || u.anchorNow || ch.intervalChanged(cur) && paid {
		if paid && behavior != "none" {
			if prorations, err = c.prorations(&subChange{sub: cur, before: ch.before}, from); err != nil {
				return nil, nil, nil, err
			}
		}
		return c.restartCycle(cur, sub, ch, prorations, u.invoiceItems, now)
	}
	inCycle := paid && sub.Status != billing.SubscriptionTrialing // the period goes on, paid for
	if len(u.items) > 0 && inCycle && behavior != "none" {
		if prorations, err = c.prorations(ch, from); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := c.storeChange(sub, ch); err != nil {
		return nil, nil, nil, err
	}
	if err := c.pendProrations(sub, prorations); err != nil {
		return nil, nil, nil, err
	}
	added, err := c.addInvoiceItems(sub, u.invoiceItems, now)
	if err != nil {
		return nil, nil, nil, err
	}
	if behavior != "always_invoice" {
		return sub, ch, nil, nil
	}
	var joined []billing.Line
	if inCycle && sub.Rules().ZeroLineForAddedUsage() {
		if joined, err = c.joinedUsageLines(ch, now); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(prorations) > 0 || len(joined) > 0 || added > 0 {
		if sub, inv, err = c.invoiceNow(sub, joined, now); err != nil {
			return nil, nil, nil, err
		}
	}
	return sub, ch, inv, nil
}

// joinedUsageLines are lines of 0 for the metered prices a change adds to the
// subscription (a new item, or an item moved to the price), for the rest of
// the period: classic billing mode puts them on the invoice an always_invoice
// change makes.
func (c *call) joinedUsageLines(ch *subChange, now int64) ([]billing.Line, error) {
	had := map[string]string{}
	for _, it := range ch.before {
		had[it.ID] = it.Price
	}
	var out []billing.Line
	for _, it := range ch.after {
		if had[it.ID] == it.Price {
			continue
		}
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		if pr.Metered() {
			out = append(out, billing.RateLines(c.tx, ch.sub, it, pr, 0, now, ch.sub.PeriodEnd)...)
		}
	}
	return out, nil
}

// storeChange stores a changed subscription and its items.
func (c *call) storeChange(sub *billing.Subscription, ch *subChange) error {
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return err
	}
	for _, it := range ch.removed {
		if err := c.tx.Remove(tSubscriptionItems, it); err != nil {
			return err
		}
	}
	for _, it := range ch.after {
		if err := c.tx.Put(tSubscriptionItems, it); err != nil {
			return err
		}
	}
	return nil
}

// restartCycle starts a new billing period at now and bills it at once: the
// credits given, the one-off items of add_invoice_items, the usage of the old
// period so far, and the new period's licensed items in advance.
func (c *call) restartCycle(cur, sub *billing.Subscription, ch *subChange, credits []billing.Proration, invoiceItems []*form.Params, now int64) (*billing.Subscription, *subChange, *billing.Invoice, error) {
	usage, err := billing.PeriodLines(&c.u, cur, ch.before, cur.PeriodStart, now, false)
	if err != nil {
		return nil, nil, nil, err
	}
	if cur.Status == billing.SubscriptionTrialing { // the trial ends now
		sub.Status, sub.TrialEnd = billing.SubscriptionActive, now
	}
	sub.BillingCycleAnchor, sub.PeriodStart, sub.Retired, sub.StubFreeUntil = now, now, nil, 0
	sub.PeriodEnd = calc.AddPeriods(now, sub.Interval, 1)
	sub.UpcomingNoticeFor = 0
	for i := range ch.after {
		if ch.after[i].PriceSince != 0 {
			n := ch.after[i].Clone()
			n.PriceSince = 0
			ch.after[i] = n
		}
	}
	if err := c.storeChange(sub, ch); err != nil {
		return nil, nil, nil, err
	}
	if err := c.pendProrations(sub, credits); err != nil {
		return nil, nil, nil, err
	}
	if _, err := c.addInvoiceItems(sub, invoiceItems, now); err != nil {
		return nil, nil, nil, err
	}
	var lines []billing.Line
	for _, it := range ch.after {
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return nil, nil, nil, err
		}
		if !pr.Metered() {
			lines = append(lines, billing.AdvanceLines(c.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)...)
		}
	}
	sub, inv, err := c.invoiceNow(sub, append(lines, usage...), now)
	return sub, ch, inv, err
}

// invoiceNow bills a subscription at once (billing_reason subscription_update):
// its pending invoice items and the lines given, finalized and collected now.
// The subscription's latest_invoice becomes that invoice: it is returned, as stored.
func (c *call) invoiceNow(sub *billing.Subscription, lines []billing.Line, now int64) (*billing.Subscription, *billing.Invoice, error) {
	inv, err := billing.NewInvoice(&c.u, sub, "subscription_update", now, now, now, lines, 0)
	if err != nil {
		return nil, nil, err
	}
	if inv, err = billing.FinalizeInvoice(&c.u, inv, now); err != nil {
		return nil, nil, err
	}
	latest, err := c.getSubscription(sub.ID, "subscription")
	if err != nil {
		return nil, nil, err
	}
	n := latest.Clone()
	n.LatestInvoice = inv.ID
	return n, inv, c.tx.Put(tSubscriptions, n)
}
