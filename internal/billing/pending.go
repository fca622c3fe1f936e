package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Pending updates (docs.stripe.com/billing/subscriptions/pending-updates-
// reference, design-16 §3.10): an update made with
// payment_behavior=pending_if_incomplete that invoices at once applies only
// if that invoice is paid. The change is made as any other (changeSubscription)
// and its invoice charged; when the invoice stays open (a decline, 3D
// Secure), the subscription and its items go back to what they were, as if
// no update had been made, and the change waits on the subscription's
// pending_update: paying the invoice later applies it
// (customer.subscription.pending_update_applied), and at its expires_at the
// invoice is voided and the change discarded
// (customer.subscription.pending_update_expired). An update that invoices
// nothing applies at once.

// pendingFor is the longest a pending update waits: "If these times are
// greater than 23 hours from the time the update is made, the expires_at
// time is calculated to 23 hours after the update call was made" [C].
const pendingFor = 23 * 60 * 60

// PendingUpdate is an update waiting for its invoice to be paid.
type PendingUpdate struct {
	// Invoice is the open invoice whose payment applies the update.
	Invoice string
	// ExpiresAt is when the update is discarded unless Invoice is paid: the
	// trial's end or the period's, whichever comes first, and at most
	// pendingFor after the update [C].
	ExpiresAt int64
	// After is the subscription as the update left it (its billing: cycle,
	// period, trial, status); Items are its items then.
	After *Subscription
	Items []*Item
	// ItemsGiven: the update changed items (pending_update.subscription_items
	// lists Items); AnchorChanged, TrialEndChanged: it moved the billing
	// cycle anchor or the trial's end (pending_update.billing_cycle_anchor,
	// trial_end).
	ItemsGiven, AnchorChanged, TrialEndChanged bool
}

// checkPendingAllowed refuses a pending_if_incomplete update of a
// subscription that cannot have one: "Pending updates aren't supported when
// the subscription's collection_method is send_invoice" [C] ([I] the text);
// and, while a pending update waits, a change of the subscription's items,
// trial or cycle [I] (the emulator keeps one pending change at a time: pay
// or void its invoice first).
func checkPendingAllowed(sub *Subscription, pending, changesBilling bool) error {
	if pending && sub.CollectionMethod == "send_invoice" {
		return apierr.Invalid("payment_behavior", "payment_behavior=pending_if_incomplete is not supported for subscriptions with collection_method=send_invoice.")
	}
	if pu := sub.PendingUpdate; pu != nil && changesBilling {
		return apierr.InvalidRequest("", "", "The subscription %s has a pending update waiting for its invoice %s to be paid: pay or void that invoice before changing its items, trial or billing cycle.", sub.ID, pu.Invoice)
	}
	return nil
}

// pendIfUnpaid finishes a pending_if_incomplete change of cur (sub as the
// change stored it, ch its items) whose invoice made at once is inv (nil:
// none). Paid, or no invoice: the change stands. Open: the subscription and
// its items are put back as they were before the change, and the change
// waits as the subscription's pending update, with the invoice as its
// latest_invoice [C]. It returns the subscription as stored.
func pendIfUnpaid(u *Unit, cur, sub *Subscription, ch *subChange, inv *Invoice, itemsGiven bool, now int64) (*Subscription, error) {
	if inv == nil || inv.Status != InvoiceOpen {
		return sub, nil
	}
	latest, err := GetSubscription(u.tx, cur.ID, "subscription")
	if err != nil {
		return nil, err
	}
	after := latest.Clone()
	after.PendingUpdate = nil
	if after.Status == SubscriptionPastDue && cur.Status != SubscriptionPastDue {
		after.Status = SubscriptionActive // past_due only because this invoice failed
	}
	items, err := ItemsOf(u.tx, cur.ID)
	if err != nil {
		return nil, err
	}
	if err := restoreItems(u, ch.before, items); err != nil {
		return nil, err
	}
	expires := min(now+pendingFor, cur.PeriodEnd)
	if cur.Status == SubscriptionTrialing && cur.TrialEnd != 0 {
		expires = min(expires, cur.TrialEnd)
	}
	n := cur.Clone()
	n.LatestInvoice = inv.ID
	n.PendingUpdate = &PendingUpdate{Invoice: inv.ID, ExpiresAt: expires, After: after, Items: items, ItemsGiven: itemsGiven,
		AnchorChanged: after.BillingCycleAnchor != cur.BillingCycleAnchor, TrialEndChanged: after.TrialEnd != cur.TrialEnd}
	return n, u.tx.Put(TableSubscriptions, n)
}

// restoreItems puts a subscription's items back as they were (before) in
// place of what a change stored (now): those it changed or removed
// re-stored, those it added removed.
func restoreItems(u *Unit, before, now []*Item) error {
	was := map[string]*Item{}
	for _, it := range before {
		was[it.ID] = it
	}
	for _, it := range now {
		if old, ok := was[it.ID]; ok {
			if old != it {
				if err := u.tx.Put(TableSubscriptionItems, old); err != nil {
					return err
				}
			}
			delete(was, it.ID)
			continue
		}
		if err := u.tx.Remove(TableSubscriptionItems, it); err != nil {
			return err
		}
	}
	for _, it := range before {
		if _, removed := was[it.ID]; removed {
			if err := u.tx.Put(TableSubscriptionItems, it); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyPendingUpdate applies the pending update of an invoice's
// subscription once the invoice is paid: its billing as the update left it,
// and its items; the pending update cleared [C], with
// customer.subscription.pending_update_applied. A subscription whose pending
// update is another invoice's is left alone.
func applyPendingUpdate(u *Unit, inv *Invoice) error {
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil {
		return err
	}
	pu := sub.PendingUpdate
	if pu == nil || pu.Invoice != inv.ID {
		return nil
	}
	n := sub.Clone()
	a := pu.After
	n.PendingUpdate = nil
	n.Currency, n.Interval, n.BillingCycleAnchor, n.PeriodStart, n.PeriodEnd = a.Currency, a.Interval, a.BillingCycleAnchor, a.PeriodStart, a.PeriodEnd
	n.TrialStart, n.TrialEnd, n.StubFreeUntil, n.Retired = a.TrialStart, a.TrialEnd, a.StubFreeUntil, a.Retired
	n.UpcomingNoticeFor, n.TrialNoticeSent = a.UpcomingNoticeFor, a.TrialNoticeSent
	if n.Status == SubscriptionActive || n.Status == SubscriptionTrialing || n.Status == SubscriptionPastDue {
		n.Status = a.Status
	}
	current, err := ItemsOf(u.tx, sub.ID)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, it := range pu.Items {
		keep[it.ID] = true
	}
	for _, it := range current {
		if !keep[it.ID] {
			if err := u.tx.Remove(TableSubscriptionItems, it); err != nil {
				return err
			}
		}
	}
	for _, it := range pu.Items {
		if err := u.tx.Put(TableSubscriptionItems, it); err != nil {
			return err
		}
	}
	if err := u.tx.Put(TableSubscriptions, n); err != nil {
		return err
	}
	u.sink.About("customer.subscription.pending_update_applied", u.EventTime(n), n, u.step)
	return nil
}

// dropPendingUpdate discards the pending update whose invoice is inv (when
// it is voided: "If you cancel a pending update, the pending_update hash is
// cleared and the associated changes are discarded" [C]; voiding its
// invoice is how the emulator cancels one [I]). It returns the subscription
// as stored without it (nil: no pending update waited on inv).
func dropPendingUpdate(u *Unit, inv *Invoice) (*Subscription, error) {
	if inv.Subscription == "" {
		return nil, nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil || sub.PendingUpdate == nil || sub.PendingUpdate.Invoice != inv.ID {
		return nil, err
	}
	n := sub.Clone()
	n.PendingUpdate = nil
	return n, u.tx.Put(TableSubscriptions, n)
}

// expirePendingUpdate discards a subscription's pending update at its
// expires_at: its invoice voided and the change discarded [C]
// (invoice.voided, payment_intent.canceled, customer.subscription.updated
// and customer.subscription.pending_update_expired).
func expirePendingUpdate(u *Unit, sub *Subscription, at int64) error {
	n, err := discardPendingUpdate(u, sub)
	if err != nil {
		return err
	}
	u.sink.About("customer.subscription.pending_update_expired", at, n, u.step)
	return nil
}

// endPendingUpdate discards the pending update, if any, of a subscription
// that is about to end (canceled now, at its cancel_at, by dunning after a
// renewal's last retry, or with its customer): the change can no longer
// apply, so its invoice is voided as at its expiry, and nobody pays for a
// change that will not be made [I]. It returns the subscription as stored.
func endPendingUpdate(u *Unit, sub *Subscription) (*Subscription, error) {
	if sub.PendingUpdate == nil {
		return sub, nil
	}
	return discardPendingUpdate(u, sub)
}

// endNow is a subscription ended at at for reason, not yet stored: its
// pending update discarded first (endPendingUpdate), then status canceled,
// canceled_at and ended_at at. before is the subscription as stored once
// the pending update is gone (what a final invoice bills).
func endNow(u *Unit, sub *Subscription, at int64, reason string) (ended, before *Subscription, err error) {
	if before, err = endPendingUpdate(u, sub); err != nil {
		return nil, nil, err
	}
	ended = before.Clone()
	ended.Status, ended.CanceledAt, ended.EndedAt, ended.CancelReason = SubscriptionCanceled, at, at, reason
	return ended, before, nil
}

// discardPendingUpdate discards a subscription's pending update, at its
// expiry or when the subscription ends: the update's invoice voided
// (when still open or uncollectible) and the pending update cleared. It
// returns the subscription as stored without it.
func discardPendingUpdate(u *Unit, sub *Subscription) (*Subscription, error) {
	inv, err := GetInvoice(u.tx, sub.PendingUpdate.Invoice, "invoice")
	if err != nil {
		return nil, err
	}
	n, err := dropPendingUpdate(u, inv)
	if err != nil {
		return nil, err
	}
	if n == nil { // the invoice is another subscription's: only clear it
		n = sub.Clone()
		n.PendingUpdate = nil
		if err := u.tx.Put(TableSubscriptions, n); err != nil {
			return nil, err
		}
	}
	if inv.Status == InvoiceOpen || inv.Status == InvoiceUncollectible {
		if _, err := Void(u, inv.ID); err != nil {
			return nil, err
		}
	}
	return GetSubscription(u.tx, sub.ID, "subscription")
}
