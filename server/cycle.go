package server

import (
	"fmt"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Billing over time: what happens when time passes (the emulator's clock, or a
// test clock being advanced). Subscriptions and invoices are indexed by when
// they are next due; processDue runs every due transition in time order.

// maxSteps bounds one processDue run (a safety net against a transition that
// does not move its object forward).
const maxSteps = 10_000_000

// processDue runs, in time order, every transition of the objects of a clock
// group ("" for objects on the emulator's own clock) due at or before until.
func (c *call) processDue(group string, until int64) error {
	c.u.StartDue(group)
	defer c.u.EndDue()
	for steps := 0; ; steps++ {
		if steps == maxSteps {
			return fmt.Errorf("processDue: more than %d steps", maxSteps)
		}
		sr, err := c.tx.FirstDue(tSubscriptions, "due", group, until)
		if err != nil {
			return err
		}
		ir, err := c.tx.FirstDue(tInvoices, "due", group, until)
		if err != nil {
			return err
		}
		var sub *billing.Subscription
		var inv *billing.Invoice
		var at int64
		switch {
		case sr == nil && ir == nil:
			return nil
		case sr == nil:
			inv = ir.(*billing.Invoice)
			_, at = inv.Next()
		case ir == nil:
			sub = sr.(*billing.Subscription)
			_, at = sub.Next()
		default:
			_, sAt := sr.(*billing.Subscription).Next()
			_, iAt := ir.(*billing.Invoice).Next()
			if iAt <= sAt {
				inv, at = ir.(*billing.Invoice), iAt
			} else {
				sub, at = sr.(*billing.Subscription), sAt
			}
		}
		c.u.DueStep(at)
		if sub != nil {
			err = c.stepSubscription(sub, at)
		} else {
			err = c.stepInvoice(inv, at)
		}
		if err != nil {
			return err
		}
	}
}

func (c *call) stepSubscription(sub *billing.Subscription, at int64) error {
	kind, _ := sub.Next()
	n := sub.Clone()
	switch kind {
	case billing.TrialNotice:
		n.TrialNoticeSent = true
		if err := c.tx.Put(tSubscriptions, n); err != nil {
			return err
		}
		return c.emit("customer.subscription.trial_will_end", at, func(rc *renderCtx) (jsonobj.Obj, error) { return rc.renderSubscription(n) })
	case billing.UpcomingNoticeDue:
		n.UpcomingNoticeFor = sub.PeriodEnd
		if err := c.tx.Put(tSubscriptions, n); err != nil {
			return err
		}
		return c.emitUpcoming(n, at)
	case billing.CancelAtDue:
		return c.endSubscription(sub, at, true)
	case billing.PeriodEndDue:
		return c.renewSubscription(sub, at)
	}
	return fmt.Errorf("subscription %s has nothing due", sub.ID)
}

func (c *call) stepInvoice(inv *billing.Invoice, at int64) error {
	kind, _ := inv.Next()
	switch kind {
	case billing.FinalizeDue:
		_, err := c.finalizeInvoice(inv, at)
		return err
	case billing.OverdueDue:
		n := inv.Clone()
		n.OverdueNotified = true
		if err := c.tx.Put(tInvoices, n); err != nil {
			return err
		}
		return c.setPastDue(n)
	}
	return fmt.Errorf("invoice %s has nothing due", inv.ID)
}

// setPastDue marks a subscription past_due when its latest invoice is overdue.
func (c *call) setPastDue(inv *billing.Invoice) error {
	if inv.Subscription == "" {
		return nil
	}
	sub, err := c.getSubscription(inv.Subscription, "subscription")
	if err != nil || !sub.Live() || sub.LatestInvoice != inv.ID || sub.Status == billing.SubscriptionPastDue {
		return nil
	}
	n := sub.Clone()
	n.Status = billing.SubscriptionPastDue
	return c.tx.Put(tSubscriptions, n)
}

// emitUpcoming sends invoice.upcoming with the preview of the renewal invoice.
func (c *call) emitUpcoming(sub *billing.Subscription, at int64) error {
	cu, err := c.getCustomer(sub.Customer, "customer", true)
	if err != nil {
		return err
	}
	inv := &billing.Invoice{Meta: store.Meta{Created: at}, Preview: true, Customer: cu.ID, Status: billing.InvoiceDraft, BillingReason: "upcoming",
		Currency: sub.Currency, StartingBalance: cu.Balance, TestClock: sub.TestClock, Metadata: map[string]string{},
		LinesURL: "/v1/invoices/upcoming/lines?customer=" + cu.ID + "&subscription=" + sub.ID}
	billing.SnapshotCustomer(inv, cu)
	if err := c.previewSubscription(inv, sub, previewChange{prorationBehavior: "none"}, at, false); err != nil {
		return err
	}
	pending, err := c.pendingItems(cu.ID)
	if err != nil {
		return err
	}
	inv.Lines = append(billing.ItemLines(keepItemsFor(pending, sub.ID)), inv.Lines...)
	// no id: an upcoming invoice has none
	return c.emit("invoice.upcoming", at, func(rc *renderCtx) (jsonobj.Obj, error) { return rc.renderInvoice(inv) })
}

// renewSubscription closes a period at its end: the invoice for it, and the next
// period (or the end of the subscription, or of its trial).
func (c *call) renewSubscription(sub *billing.Subscription, at int64) error {
	if sub.Status == billing.SubscriptionTrialing {
		switch sub.TrialEndBehavior {
		case "pause": // no payment method is ever on file in the emulator
			n := sub.Clone()
			n.Status = billing.SubscriptionPaused
			return c.tx.Put(tSubscriptions, n)
		case "cancel":
			return c.endSubscription(sub, at, false)
		}
	}
	if sub.EndsAtPeriodEnd() {
		return c.endSubscription(sub, at, true)
	}
	items, err := c.itemsOf(sub.ID)
	if err != nil {
		return err
	}
	inv, err := c.subscriptionInvoice(sub, items, sub.PeriodStart, at, "subscription_cycle", true)
	if err != nil {
		return err
	}
	n := sub.Clone()
	if n.Status == billing.SubscriptionTrialing {
		n.Status = billing.SubscriptionActive
	}
	n.PeriodStart, n.Retired = at, nil
	_, n.PeriodEnd = calc.PeriodContaining(n.BillingCycleAnchor, n.Interval, at)
	if n.PeriodEnd <= at {
		return fmt.Errorf("subscription %s: the period after %d does not move forward", sub.ID, at)
	}
	n.LatestInvoice = inv.ID
	return c.tx.Put(tSubscriptions, n)
}

// endSubscription cancels a subscription at a time; bill makes the invoice of its
// usage up to then.
func (c *call) endSubscription(sub *billing.Subscription, at int64, bill bool) error {
	n := sub.Clone()
	if bill {
		items, err := c.itemsOf(sub.ID)
		if err != nil {
			return err
		}
		if at < sub.PeriodEnd && sub.Status != billing.SubscriptionTrialing {
			// Ending before the period does (cancel_at): the unused time of its
			// licensed items, paid in advance, is credited.
			credits, err := c.prorations(&subChange{sub: sub, before: items}, at)
			if err != nil {
				return err
			}
			if err := c.pendProrations(sub, credits); err != nil {
				return err
			}
		}
		inv, err := c.subscriptionInvoice(sub, items, sub.PeriodStart, at, "subscription_cycle", false)
		if err != nil {
			return err
		}
		n.LatestInvoice = inv.ID
	}
	n.Status, n.EndedAt = billing.SubscriptionCanceled, at
	if n.CanceledAt == 0 {
		n.CanceledAt = at
	}
	n.CancelReason = "cancellation_requested"
	return c.tx.Put(tSubscriptions, n)
}

// subscriptionInvoice creates the draft invoice closing [start, end) of a
// subscription, with the customer's pending invoice items; it finalizes on its
// own an hour later.
func (c *call) subscriptionInvoice(sub *billing.Subscription, items []*billing.Item, start, end int64, reason string, advance bool) (*billing.Invoice, error) {
	lines, err := billing.PeriodLines(&c.u, sub, items, start, end, advance)
	if err != nil {
		return nil, err
	}
	return c.newInvoice(sub, reason, start, end, end, lines, end+billing.FinalizationGrace)
}

// newInvoice stores a draft invoice for a subscription's customer, taking their
// pending invoice items. It auto-advances; finalizesAt (0: finalized by the
// caller at once) is when it finalizes on its own.
func (c *call) newInvoice(sub *billing.Subscription, reason string, start, end, created int64, lines []billing.Line, finalizesAt int64) (*billing.Invoice, error) {
	cu, err := c.getCustomer(sub.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	inv := &billing.Invoice{Meta: c.newMetaAt("in", created), Customer: sub.Customer, Subscription: sub.ID, Status: billing.InvoiceDraft,
		BillingReason: reason, CollectionMethod: sub.CollectionMethod, Currency: sub.Currency, PeriodStart: start, PeriodEnd: end,
		StartingBalance: cu.Balance, AutoAdvance: true, FinalizesAt: finalizesAt, SubscriptionMetadata: sub.Metadata,
		TestClock: sub.TestClock, Metadata: map[string]string{}}
	if sub.CollectionMethod == "send_invoice" && sub.DaysUntilDue != nil {
		inv.DueDate = created + *sub.DaysUntilDue*86400
	}
	billing.SnapshotCustomer(inv, cu)
	pending, err := c.pendingItems(cu.ID)
	if err != nil {
		return nil, err
	}
	pending = keepItemsFor(pending, sub.ID)
	if err := c.takeItems(inv, pending); err != nil {
		return nil, err
	}
	inv.Lines = append(billing.StoredItemLines(pending), lines...)
	for i := len(pending); i < len(inv.Lines); i++ {
		inv.Lines[i].ID = store.NewID("il")
	}
	return inv, c.tx.Put(tInvoices, inv)
}

// takeItems attaches pending invoice items to an invoice.
func (c *call) takeItems(inv *billing.Invoice, items []*billing.InvoiceItem) error {
	for _, ii := range items {
		n := ii.Clone()
		n.Invoice = inv.ID
		if err := c.tx.Put(tInvoiceItems, n); err != nil {
			return err
		}
	}
	return nil
}

// refreshUsage re-rates an invoice's metered lines with the usage known now: usage
// reported during the grace period after the period's end still counts.
func (c *call) refreshUsage(inv *billing.Invoice) error {
	if inv.Subscription == "" {
		return nil
	}
	sub, err := c.getSubscription(inv.Subscription, "subscription")
	if err != nil {
		return nil // the subscription is gone (its test clock was deleted)
	}
	rerated := func(l billing.Line) *billing.Price {
		if pr, _ := c.getPrice(l.Price, "price"); l.Type == "subscription" && !l.Proration && pr != nil && pr.Metered() {
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
	key := func(l billing.Line) rating { return rating{l.SubscriptionItem, l.Price, l.PeriodStart} }
	old := map[rating][]billing.Line{}
	for _, l := range inv.Lines {
		if rerated(l) != nil {
			old[key(l)] = append(old[key(l)], l)
		}
	}
	var out []billing.Line
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
		it := &billing.Item{Meta: store.Meta{ID: l.SubscriptionItem}, Subscription: sub.ID, Price: pr.ID}
		qty, err := billing.MeteredQuantity(&c.u, sub, it, pr, l.PeriodStart, l.PeriodEnd)
		if err != nil {
			return err
		}
		for j, nl := range billing.RateLines(c.tx, sub, it, pr, qty, l.PeriodStart, l.PeriodEnd) {
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
func keepLine(nl *billing.Line, was billing.Line) {
	nl.ID, nl.Metadata, nl.Discountable = was.ID, was.Metadata, was.Discountable
	if was.CustomDescription {
		nl.Description, nl.CustomDescription = was.Description, true
	}
}

// finalizeInvoice finalizes a draft at a time: the customer's balance is
// applied, a number given, and the invoice collected: charge_automatically
// invoices are paid at once (as if the customer had a working card), unless the
// amount due is below Stripe's minimum charge, in which case it is not charged,
// the invoice is marked paid and the amount is added to the customer's balance
// for the next invoice. send_invoice invoices stay open until their due date.
func (c *call) finalizeInvoice(inv *billing.Invoice, at int64) (*billing.Invoice, error) {
	n := inv.Clone()
	if n.BillingReason == "subscription_cycle" {
		if err := c.refreshUsage(n); err != nil {
			return nil, err
		}
	}
	cur, err := c.getCustomer(n.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	cu := cur.Clone()
	if !cu.Deleted {
		n.Number = cu.InvoicePrefix + "-" + fmt.Sprintf("%04d", cu.NextInvoiceSequence)
		cu.NextInvoiceSequence++
	}
	n.StartingBalance = cu.Balance
	after := calc.Add(n.Subtotal(), cu.Balance)
	balance := min(after, 0) // a credit larger than the total stays a credit
	due := max(after, 0)
	n.Status, n.FinalizedAt, n.EffectiveAt, n.FinalizesAt = billing.InvoiceOpen, at, at, 0
	switch {
	case due == 0:
		n.MarkPaid(at, 0)
	case n.CollectionMethod == "charge_automatically" && due < calc.MinimumCharge(n.Currency):
		balance = calc.Add(balance, due) // too small to charge: carried to the next invoice
		n.MarkPaid(at, 0)
	case n.CollectionMethod == "charge_automatically":
		n.Attempted, n.AttemptCount = true, 1
		n.MarkPaid(at, due)
	default:
		if n.DueDate == 0 {
			n.DueDate = at + 30*86400
		}
	}
	n.EndingBalance = &balance
	cu.Balance = balance
	if err := c.tx.Put(tInvoices, n); err != nil {
		return nil, err
	}
	if !cu.Deleted {
		if err := c.tx.Put(tCustomers, cu); err != nil {
			return nil, err
		}
	}
	return n, c.afterPaid(n)
}

// afterPaid brings a past_due subscription back once its latest invoice is paid.
func (c *call) afterPaid(inv *billing.Invoice) error {
	if !inv.Paid || inv.Subscription == "" {
		return nil
	}
	sub, err := c.getSubscription(inv.Subscription, "subscription")
	if err != nil || sub.Status != billing.SubscriptionPastDue || sub.LatestInvoice != inv.ID {
		return nil
	}
	n := sub.Clone()
	n.Status = billing.SubscriptionActive
	return c.tx.Put(tSubscriptions, n)
}

// firstInvoice is the invoice a new subscription starts with
// (billing_reason subscription_create), finalized at once: licensed items for
// the first period in advance (free during a trial; prorated up to a
// billing_cycle_anchor ahead; after a backdated start, the time up to now, or
// up to the anchor ahead, prorated in one line, then a whole period), and
// metered items with no usage yet. prorate false (proration_behavior=none)
// leaves the prorated part out: with a billing_cycle_anchor ahead, the time up
// to it is free and there is no invoice (nil) until the anchor.
func (c *call) firstInvoice(sub *billing.Subscription, items []*billing.Item, prorate bool) (*billing.Invoice, error) {
	now, trial := sub.Created, sub.Status == billing.SubscriptionTrialing
	stub := sub.BillingCycleAnchor > now // the first period ends at the anchor
	backdated := sub.PeriodStart < now
	if stub && !trial && !prorate {
		return nil, nil
	}
	var lines []billing.Line
	for _, it := range items {
		pr, err := c.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		var ls []billing.Line
		switch {
		case pr.Metered():
			ls = billing.RateLines(c.tx, sub, it, pr, 0, sub.PeriodStart, sub.PeriodEnd)
		case trial:
			ls = billing.RateLines(c.tx, sub, it, pr, it.Quantity, sub.PeriodStart, sub.PeriodEnd)
		case stub && backdated:
			ls = billing.BackdatedLines(c.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)
		case stub:
			ls = billing.AdvanceLines(c.tx, sub, it, pr, sub.PeriodStart, sub.PeriodEnd)
		default:
			if prorate && backdated {
				ls = billing.BackdatedLines(c.tx, sub, it, pr, sub.PeriodStart, now)
			}
			ls = append(ls, billing.AdvanceLines(c.tx, sub, it, pr, now, sub.PeriodEnd)...)
		}
		if trial {
			for i := range ls {
				ls[i].Amount, ls[i].UnitAmount = 0, nil
				ls[i].Description = "Trial period for " + billing.ProductName(c.tx, pr)
			}
		}
		lines = append(lines, ls...)
	}
	inv, err := c.newInvoice(sub, "subscription_create", now, now, now, lines, 0)
	if err != nil {
		return nil, err
	}
	return c.finalizeInvoice(inv, now)
}

// finalInvoice bills a subscription canceled now with invoice_now: its usage so
// far, pending items and, with prorate, a credit for unused licensed time.
func (c *call) finalInvoice(before *billing.Subscription, at int64, prorate bool) (*billing.Invoice, error) {
	items, err := c.itemsOf(before.ID)
	if err != nil {
		return nil, err
	}
	lines, err := billing.PeriodLines(&c.u, before, items, before.PeriodStart, at, false)
	if err != nil {
		return nil, err
	}
	if prorate {
		ps, err := c.prorations(&subChange{sub: before, before: items}, at)
		if err != nil {
			return nil, err
		}
		lines = append(billing.ProrationLines(before, ps), lines...)
	}
	pending, err := c.pendingItems(before.Customer)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 && len(keepItemsFor(pending, before.ID)) == 0 {
		return nil, nil
	}
	inv, err := c.newInvoice(before, "subscription_cycle", before.PeriodStart, at, at, lines, 0)
	if err != nil {
		return nil, err
	}
	return c.finalizeInvoice(inv, at)
}
