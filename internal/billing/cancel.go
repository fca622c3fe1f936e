package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// Ending and resuming subscriptions: a cancellation now (with its final
// invoice), a paused subscription resumed, and a customer's deletion, which
// cancels what they have.

// Cancel ends a subscription now, with a final invoice unless invoice_now is
// false. It returns the subscription as stored.
func Cancel(u *Unit, in CancelRequest) (*Subscription, error) {
	cur, err := GetSubscription(u.tx, in.Subscription, "id")
	if err != nil {
		return nil, err
	}
	if !cur.Live() {
		return nil, apierr.InvalidRequest("", "", "No such subscription: '%s'. It is already canceled.", cur.ID)
	}
	now := u.CustomerNow(cur.Customer)
	sub, cur, err := endNow(u, cur, now, "cancellation_requested")
	if err != nil {
		return nil, err
	}
	if cd := in.Cancellation; cd.Given {
		sub.CancelComment, sub.CancelFeedback = cd.Comment.V, cd.Feedback.V
	}
	invoiceNow := !in.InvoiceNow.Set || in.InvoiceNow.V
	if err := u.tx.Put(TableSubscriptions, sub); err != nil {
		return nil, err
	}
	if err := afterCancel(u, cur, sub, now, invoiceNow, in.Prorate); err != nil {
		return nil, err
	}
	return GetSubscription(u.tx, sub.ID, "id")
}

// afterCancel makes the final invoice of a subscription canceled with invoice_now.
func afterCancel(u *Unit, before, sub *Subscription, now int64, invoiceNow, prorate bool) error {
	if !invoiceNow {
		return nil
	}
	inv, err := finalInvoice(u, before, now, prorate)
	if err != nil || inv == nil {
		return err
	}
	n := sub.Clone()
	n.LatestInvoice = inv.ID
	return u.tx.Put(TableSubscriptions, n)
}

// Resume resumes a paused subscription. billing_cycle_anchor=now (the
// default) starts a new period now and bills it at once;
// billing_cycle_anchor=unchanged returns to the period around now on the old
// anchor, with prorations for the rest of it (proration_behavior). It returns
// the subscription as stored.
func Resume(u *Unit, in ResumeRequest) (*Subscription, error) {
	cur, err := GetSubscription(u.tx, in.Subscription, "id")
	if err != nil {
		return nil, err
	}
	if cur.Status != SubscriptionPaused {
		return nil, apierr.InvalidRequest("", "", "Only a paused subscription can be resumed; %s is %s.", cur.ID, cur.Status)
	}
	now := u.CustomerNow(cur.Customer)
	items, err := ItemsOf(u.tx, cur.ID)
	if err != nil {
		return nil, err
	}
	sub := cur.Clone()
	sub.Status, sub.Retired, sub.UpcomingNoticeFor = SubscriptionActive, nil, 0
	sub.PausedAt, sub.PauseReason = 0, ""
	if sub.TrialEnd > now {
		sub.TrialEnd = now
	}
	ch := &subChange{sub: sub, before: items, after: items}
	if in.AnchorNow {
		// Nothing of the paused time is billed: the new period starts now.
		paused := cur.Clone()
		paused.PeriodStart = now
		sub, _, _, err = restartCycle(u, paused, sub, ch, nil, nil, nil, now, updateCollection(""))
		return sub, err
	}
	sub.PeriodStart, sub.PeriodEnd = calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, now)
	from := now
	if d := in.ProrationDate; d.Set {
		if d.V < sub.PeriodStart || d.V > sub.PeriodEnd {
			return nil, apierr.Invalid("proration_date", "proration_date must be within the period the subscription resumes in (%d to %d).", sub.PeriodStart, sub.PeriodEnd)
		}
		from = d.V
	}
	var charges []proration
	if in.ProrationBehavior != ProrationNone {
		// The rest of the period is charged: the items, as if added now.
		if charges, err = prorateChange(u, &subChange{sub: sub, after: items}, from); err != nil {
			return nil, err
		}
	}
	if err := u.tx.Put(TableSubscriptions, sub); err != nil {
		return nil, err
	}
	if err := pendProrations(u, sub, charges); err != nil {
		return nil, err
	}
	if in.ProrationBehavior == ProrationAlwaysInvoice && len(charges) > 0 {
		if sub, _, err = invoiceNow(u, sub, nil, now, updateCollection("")); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

// DeleteCustomer deletes a customer, leaving a tombstone, and cancels their
// live subscriptions at once, without a final invoice. It returns the
// tombstone.
func DeleteCustomer(u *Unit, id string) (*Customer, error) {
	cur, err := GetCustomer(u.tx, id, "id", false)
	if err != nil {
		return nil, err
	}
	now := u.CustomerNow(cur.ID)
	recs, err := u.tx.Find(TableSubscriptions, "customer", cur.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		sub := r.(*Subscription)
		if !sub.Live() {
			continue
		}
		n, _, err := endNow(u, sub, now, "cancellation_requested")
		if err != nil {
			return nil, err
		}
		if err := u.tx.Put(TableSubscriptions, n); err != nil {
			return nil, err
		}
	}
	gone := &Customer{Meta: cur.Meta, Deleted: true, Email: cur.Email}
	return gone, u.tx.Put(TableCustomers, gone)
}
