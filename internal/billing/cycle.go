package billing

import (
	"fmt"
	"math"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Billing over time: what happens when time passes (the emulator's clock, or a
// test clock being advanced). Subscriptions and invoices are indexed by when
// they are next due (the "due" index of their tables); RunDue runs every due
// transition in time order, each in a step of its own.

const (
	// upcomingNotice is how long before a renewal invoice.upcoming is sent, and
	// before a trial ends customer.subscription.trial_will_end.
	upcomingNotice = 3 * 24 * 60 * 60
	// finalizationGrace is how long a renewal invoice stays a draft: usage
	// reported for the period meanwhile is still billed on it.
	finalizationGrace = 60 * 60
	// maxSteps bounds one run of due work (a safety net against a transition
	// that does not move its object forward).
	maxSteps = 10_000_000
)

// transition is what is next due for a subscription or an invoice.
type transition uint8

// The transitions, in no particular order (they are run by time).
const (
	noTransition transition = iota
	trialNotice
	upcomingNoticeDue
	cancelAtDue
	periodEndDue
	finalizeDue
	overdueDue
	retryDue
	incompleteExpiryDue
	pendingUpdateExpiryDue
)

// next is a subscription's next transition and its time.
func (s *Subscription) next() (transition, int64) {
	if !s.Live() || s.Status == SubscriptionPaused {
		return noTransition, 0
	}
	if s.Status == SubscriptionIncomplete {
		if s.IncompleteUntil == 0 {
			return noTransition, 0
		}
		return incompleteExpiryDue, s.IncompleteUntil
	}
	kind, at := periodEndDue, s.PeriodEnd
	if s.CancelAt != 0 && s.CancelAt < at {
		kind, at = cancelAtDue, s.CancelAt
	}
	if s.Status == SubscriptionTrialing {
		if n := max(s.TrialEnd-upcomingNotice, s.PeriodStart); !s.TrialNoticeSent && n < at {
			kind, at = trialNotice, n
		}
	} else if n := s.PeriodEnd - upcomingNotice; s.UpcomingNoticeFor != s.PeriodEnd && !s.EndsAtPeriodEnd() && n > s.PeriodStart && n < at {
		kind, at = upcomingNoticeDue, n
	}
	// A pending update expires no later than the period or the trial ends:
	// before them on a tie.
	if pu := s.PendingUpdate; pu != nil && pu.ExpiresAt <= at {
		kind, at = pendingUpdateExpiryDue, pu.ExpiresAt
	}
	return kind, at
}

// next is an invoice's next transition: finalization of an auto-advancing
// draft, the due date of an open invoice sent to the customer, or the next
// retry of an open charge_automatically invoice whose payment failed
// (next_payment_attempt, retry.go).
func (inv *Invoice) next() (transition, int64) {
	switch {
	case inv.Status == InvoiceDraft && inv.AutoAdvance && inv.FinalizesAt != 0:
		return finalizeDue, inv.FinalizesAt
	case inv.Status == InvoiceOpen && inv.CollectionMethod == "send_invoice" && inv.DueDate != 0 && !inv.OverdueNotified:
		return overdueDue, inv.DueDate
	case inv.Status == InvoiceOpen && inv.CollectionMethod == "charge_automatically" && inv.AutoAdvance && inv.NextPaymentAttempt != 0:
		return retryDue, inv.NextPaymentAttempt
	}
	return noTransition, 0
}

// subscriptionDue is the subscriptions' due index: the clock group and time of
// a subscription's next transition.
func subscriptionDue(r store.Record) (string, int64, bool) {
	sub := r.(*Subscription)
	kind, at := sub.next()
	return sub.TestClock, at, kind != noTransition
}

// invoiceDue is the invoices' due index.
func invoiceDue(r store.Record) (string, int64, bool) {
	inv := r.(*Invoice)
	kind, at := inv.next()
	return inv.TestClock, at, kind != noTransition
}

// FirstDue is the time of the earliest transition of the subscriptions and
// invoices on the emulator's clock (ok false: none): when the account's due
// work next has something to do.
func FirstDue(tx *store.Txn) (at int64, ok bool, err error) {
	for _, table := range [...]string{TableSubscriptions, TableInvoices, TableRefunds} {
		r, err := tx.FirstDue(table, "due", "", math.MaxInt64)
		if err != nil {
			return 0, false, err
		}
		if t, has := DueTime(r); has && (!ok || t < at) {
			at, ok = t, true
		}
	}
	return at, ok, nil
}

// DueTime is a record's next transition on the emulator's clock, if it is a
// subscription or an invoice that has one and is not on a test clock: a
// change that stores it asks for due work then.
func DueTime(r store.Record) (int64, bool) {
	var kind transition
	var at int64
	switch x := r.(type) {
	case *Subscription:
		if x.TestClock != "" {
			return 0, false
		}
		kind, at = x.next()
	case *Invoice:
		if x.TestClock != "" {
			return 0, false
		}
		kind, at = x.next()
	case *Refund:
		if x.TestClock != "" || x.LaterAt == 0 {
			return 0, false
		}
		return x.LaterAt, true
	}
	return at, kind != noTransition
}

// RunDue runs, in time order, every transition of the objects of a clock
// group ("" for objects on the emulator's own clock) due at or before until:
// notices, renewals, cancellations, finalizations and collection, overdue
// invoices. Each transition is a step of its own (u.Step), at its own time:
// the clock group's time (and, for the emulator's own clock, u.Now) is the
// transition's while it runs.
func RunDue(u *Unit, group string, until int64) error {
	u.startDue(group)
	defer u.endDue()
	for steps := 0; ; steps++ {
		if steps == maxSteps {
			return fmt.Errorf("due work: more than %d steps", maxSteps)
		}
		sr, err := u.tx.FirstDue(TableSubscriptions, "due", group, until)
		if err != nil {
			return err
		}
		ir, err := u.tx.FirstDue(TableInvoices, "due", group, until)
		if err != nil {
			return err
		}
		rr, err := u.tx.FirstDue(TableRefunds, "due", group, until)
		if err != nil {
			return err
		}
		// The earliest, invoices first on a tie, then subscriptions, then
		// refunds.
		var step func(at int64) error
		var at int64
		if ir != nil {
			inv := ir.(*Invoice)
			_, at = inv.next()
			step = func(at int64) error { return stepInvoice(u, inv, at) }
		}
		if sr != nil {
			sub := sr.(*Subscription)
			if _, sAt := sub.next(); step == nil || sAt < at {
				at, step = sAt, func(at int64) error { return stepSubscription(u, sub, at) }
			}
		}
		if rr != nil {
			re := rr.(*Refund)
			if step == nil || re.LaterAt < at {
				at, step = re.LaterAt, func(at int64) error { return laterRefund(u, re, at) }
			}
		}
		if step == nil {
			return nil
		}
		u.dueStep(at)
		err = step(at)
		if err != nil {
			return err
		}
	}
}

// stepSubscription runs a subscription's due transition.
func stepSubscription(u *Unit, sub *Subscription, at int64) error {
	kind, _ := sub.next()
	n := sub.Clone()
	switch kind {
	case trialNotice:
		n.TrialNoticeSent = true
		if err := u.tx.Put(TableSubscriptions, n); err != nil {
			return err
		}
		return u.sink.Snapshot("customer.subscription.trial_will_end", at, n, u.step)
	case upcomingNoticeDue:
		n.UpcomingNoticeFor = sub.PeriodEnd
		if err := u.tx.Put(TableSubscriptions, n); err != nil {
			return err
		}
		return emitUpcoming(u, n, at)
	case cancelAtDue:
		return endSubscription(u, sub, at, true)
	case periodEndDue:
		return renew(u, sub, at)
	case incompleteExpiryDue:
		return expireIncomplete(u, sub, at)
	case pendingUpdateExpiryDue:
		return expirePendingUpdate(u, sub, at)
	}
	return fmt.Errorf("subscription %s has nothing due", sub.ID)
}

// stepInvoice runs an invoice's due transition.
func stepInvoice(u *Unit, inv *Invoice, at int64) error {
	kind, _ := inv.next()
	switch kind {
	case finalizeDue:
		_, err := finalizeInvoice(u, inv, at)
		return err
	case retryDue:
		_, err := retryInvoice(u, inv, at)
		return err
	case overdueDue:
		n := inv.Clone()
		n.OverdueNotified = true
		if err := u.tx.Put(TableInvoices, n); err != nil {
			return err
		}
		if err := setDelinquent(u, n.Customer, true); err != nil {
			return err
		}
		return setPastDue(u, n)
	}
	return fmt.Errorf("invoice %s has nothing due", inv.ID)
}

// setPastDue marks a subscription past_due when its latest invoice is overdue.
func setPastDue(u *Unit, inv *Invoice) error {
	if inv.Subscription == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil || !sub.Live() || sub.LatestInvoice != inv.ID || sub.Status == SubscriptionPastDue {
		return nil // a subscription gone, ended, renewed since or past_due already
	}
	n := sub.Clone()
	n.Status = SubscriptionPastDue
	return u.tx.Put(TableSubscriptions, n)
}

// emitUpcoming sends invoice.upcoming with the preview of the renewal invoice.
func emitUpcoming(u *Unit, sub *Subscription, at int64) error {
	inv, err := upcomingRenewal(u, sub, at)
	if err != nil {
		return err
	}
	return u.sink.Snapshot("invoice.upcoming", at, inv, u.step)
}

// renew closes a period at its end: the invoice for it, and the next period
// (or the end of the subscription, or of its trial).
func renew(u *Unit, sub *Subscription, at int64) error {
	if sub.Status == SubscriptionTrialing {
		switch sub.TrialEndBehavior {
		case "pause": // no payment method is ever on file in the emulator
			n := sub.Clone()
			n.Status = SubscriptionPaused
			return u.tx.Put(TableSubscriptions, n)
		case "cancel":
			return endSubscription(u, sub, at, false)
		}
	}
	if sub.EndsAtPeriodEnd() {
		return endSubscription(u, sub, at, true)
	}
	items, err := ItemsOf(u.tx, sub.ID)
	if err != nil {
		return err
	}
	inv, err := subscriptionInvoice(u, sub, items, sub.PeriodStart, at, "subscription_cycle", true)
	if err != nil {
		return err
	}
	n := sub.Clone()
	if n.Status == SubscriptionTrialing {
		n.Status = SubscriptionActive
	}
	n.PeriodStart, n.Retired = at, nil
	_, n.PeriodEnd = calc.PeriodContaining(n.BillingCycleAnchor, n.Interval, at)
	if n.PeriodEnd <= at {
		return fmt.Errorf("subscription %s: the period after %d does not move forward", sub.ID, at)
	}
	n.LatestInvoice = inv.ID
	return u.tx.Put(TableSubscriptions, n)
}

// endSubscription cancels a subscription at a time; bill makes the invoice of
// its usage up to then.
func endSubscription(u *Unit, sub *Subscription, at int64, bill bool) error {
	sub, err := endPendingUpdate(u, sub)
	if err != nil {
		return err
	}
	n := sub.Clone()
	if bill {
		items, err := ItemsOf(u.tx, sub.ID)
		if err != nil {
			return err
		}
		if at < sub.PeriodEnd && sub.Status != SubscriptionTrialing {
			// Ending before the period does (cancel_at): the unused time of its
			// licensed items, paid in advance, is credited.
			if err := creditUnusedTime(u, sub, items, at); err != nil {
				return err
			}
		}
		inv, err := subscriptionInvoice(u, sub, items, sub.PeriodStart, at, "subscription_cycle", false)
		if err != nil {
			return err
		}
		n.LatestInvoice = inv.ID
	}
	n.Status, n.EndedAt = SubscriptionCanceled, at
	if n.CanceledAt == 0 {
		n.CanceledAt = at
	}
	n.CancelReason = "cancellation_requested"
	return u.tx.Put(TableSubscriptions, n)
}
