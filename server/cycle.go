package server

import (
	"fmt"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
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
		_, err := billing.FinalizeInvoice(&c.u, inv, at)
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
	inv, err := billing.UpcomingRenewal(&c.u, sub, at)
	if err != nil {
		return err
	}
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
	inv, err := billing.SubscriptionInvoice(&c.u, sub, items, sub.PeriodStart, at, "subscription_cycle", true)
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
			if err := billing.CreditUnusedTime(&c.u, sub, items, at); err != nil {
				return err
			}
		}
		inv, err := billing.SubscriptionInvoice(&c.u, sub, items, sub.PeriodStart, at, "subscription_cycle", false)
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
