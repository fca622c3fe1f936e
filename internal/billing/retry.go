package billing

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Retries and dunning (ref §3d, design-16 §3.5): a charge_automatically
// invoice whose automatic attempt fails is retried on a schedule as its clock
// moves (the invoice's RetryDue transition, at next_payment_attempt), and
// after the last retry fails the account's dunning settings say what becomes
// of its subscription and of the invoice. Stripe keeps these settings in its
// Dashboard; the emulator keeps them per account (Dunning), with Stripe's
// test-mode defaults.

// Dunning are an account's retry and final-action settings.
type Dunning struct {
	// Retries: Smart Retries (the default) make MaxRetries retries within
	// WindowDays of the first failure; custom retries are CustomDays, each
	// the days after the attempt before it.
	Smart      bool
	MaxRetries int
	WindowDays int
	CustomDays []int
	// AfterFinalFailure is what becomes of the subscription (cancel,
	// mark_unpaid, leave_past_due) and of the invoice (leave_open,
	// mark_uncollectible) once the last retry fails.
	SubscriptionAction string
	InvoiceAction      string
}

// The final actions.
const (
	DunningCancel            = "cancel"
	DunningMarkUnpaid        = "mark_unpaid"
	DunningLeavePastDue      = "leave_past_due"
	DunningLeaveOpen         = "leave_open"
	DunningMarkUncollectible = "mark_uncollectible"
)

// DefaultDunning are Stripe's settings for a new account [C] "We enable
// Smart Retries by default", "The recommended default is 8 tries within 2
// weeks"; cancel the subscription after the last one [O]; leave the invoice
// open [I] (ref §7.6).
func DefaultDunning() Dunning {
	return Dunning{Smart: true, MaxRetries: 8, WindowDays: 14, CustomDays: []int{1, 3, 5},
		SubscriptionAction: DunningCancel, InvoiceAction: DunningLeaveOpen}
}

// SmartWindows are the windows Smart Retries offer, in days (1, 2 or 3
// weeks, a month, two months).
var SmartWindows = []int{7, 14, 21, 30, 60}

// Check refuses settings Stripe's Dashboard does not offer, naming the
// parameter (param is the path of the retries settings' parent).
func (d Dunning) Check(param string) error {
	switch {
	case d.Smart && (d.MaxRetries < 1 || d.MaxRetries > 8):
		return apierr.Invalid(param+"[retries][smart][max_retries]", "Smart Retries make 1 to 8 retries, not %d.", d.MaxRetries)
	case d.Smart && !slices.Contains(SmartWindows, d.WindowDays):
		return apierr.Invalid(param+"[retries][smart][window_days]", "Smart Retries retry within 7, 14, 21, 30 or 60 days, not %d.", d.WindowDays)
	case !d.Smart && (len(d.CustomDays) < 1 || len(d.CustomDays) > 3):
		return apierr.Invalid(param+"[retries][custom][days]", "A custom retry schedule has 1 to 3 retries, not %d.", len(d.CustomDays))
	case d.SubscriptionAction != DunningCancel && d.SubscriptionAction != DunningMarkUnpaid && d.SubscriptionAction != DunningLeavePastDue:
		return apierr.Invalid(param+"[after_final_failure][subscription]", "Invalid value %q: must be one of cancel, mark_unpaid or leave_past_due.", d.SubscriptionAction)
	case d.InvoiceAction != DunningLeaveOpen && d.InvoiceAction != DunningMarkUncollectible:
		return apierr.Invalid(param+"[after_final_failure][invoice]", "Invalid value %q: must be one of leave_open or mark_uncollectible.", d.InvoiceAction)
	}
	if !d.Smart {
		for i, days := range d.CustomDays {
			if days != 1 && days != 3 && days != 5 && days != 7 {
				return apierr.Invalid(param+"[retries][custom][days]", "Retry %d is %d days after the attempt before it: a custom schedule takes 1, 3, 5 or 7.", i+1, days)
			}
		}
	}
	return nil
}

// retries is how many retries the schedule makes.
func (d Dunning) retries() int {
	if d.Smart {
		return d.MaxRetries
	}
	return len(d.CustomDays)
}

// retryAt is when retry k (1…retries) is due, for an invoice whose first
// automatic attempt failed at first and whose latest attempt was at last.
// Smart Retries' times are Stripe's model, which is not published: a
// deterministic one instead [I] (design-16 D7), retry k at
// first + ceil(k·window/retries) days (the default: 2, 4, 6, 7, 9, 11, 13
// and 14 days). A custom schedule counts from the attempt before.
func (d Dunning) retryAt(k int, first, last int64) int64 {
	const day = 86400
	if d.Smart {
		n := int64(d.MaxRetries)
		days := (int64(k)*int64(d.WindowDays) + n - 1) / n
		return first + days*day
	}
	return last + int64(d.CustomDays[k-1])*day
}

// dunning is the unit's account's settings (DefaultDunning unless set).
func (u *Unit) dunning() Dunning {
	if u.dunningSet {
		return u.dunningSettings
	}
	return DefaultDunning()
}

// SetDunning gives the unit its account's dunning settings, read with the
// request's snapshot so that one advance uses one set.
func (u *Unit) SetDunning(d Dunning) { u.dunningSettings, u.dunningSet = d, true }

// scheduleRetry sets what follows a failed automatic attempt of an invoice
// at a time: the next retry (next_payment_attempt), or, after the last, the
// final actions. A subscription's first invoice is never retried (its
// subscription stays incomplete until paid or expired [I]), nor one waiting
// for 3D Secure (it waits for the customer [I]).
func scheduleRetry(u *Unit, inv *Invoice, at int64) (final bool) {
	if inv.BillingReason == "subscription_create" || inv.ActionRequired {
		inv.NextPaymentAttempt = 0
		return false
	}
	d := u.dunning()
	if inv.RetryFrom == 0 {
		inv.RetryFrom = at
	}
	if inv.Retries >= d.retries() {
		inv.NextPaymentAttempt = 0
		return true
	}
	inv.NextPaymentAttempt = d.retryAt(inv.Retries+1, inv.RetryFrom, at)
	return false
}

// retryInvoice makes the retry due for an open invoice at a time (its
// RetryDue transition): the payment method its defaults name now is
// charged, off-session (ref §3d: a customer who fixes their default before
// the retry is charged on it). A retry without a payment method, or with the
// one that declined for good (a hard decline), is counted but not made
// (sg79: "retries will only be executed if a new payment method is
// obtained").
func retryInvoice(u *Unit, inv *Invoice, at int64) (*Invoice, error) {
	pi, err := Get[*PaymentIntent](u.tx, TablePaymentIntents, "payment_intent", inv.PaymentIntent, "payment_intent")
	if err != nil {
		return nil, err
	}
	pm, err := PaymentMethodFor(u, inv.Customer, inv.Subscription, "")
	if err != nil {
		return nil, err
	}
	n := inv.Clone()
	n.Retries++
	if pm == nil || pm.ID == n.HardDeclined || !pi.Confirmable() {
		n.AttemptCount++
		if scheduleRetry(u, n, at) {
			if err := u.tx.Put(TableInvoices, n); err != nil {
				return nil, err
			}
			return n, finalFailure(u, n, at)
		}
		return n, u.tx.Put(TableInvoices, n)
	}
	return chargeInvoice(u, n, pi, pm, true)
}

// finalFailure applies the dunning settings' final actions once an
// invoice's last retry failed: its subscription canceled (reason
// payment_failed; no final invoice [I]; every open invoice of it no longer
// auto-advances), marked unpaid, or left past_due; the invoice left open or
// marked uncollectible.
func finalFailure(u *Unit, inv *Invoice, at int64) error {
	d := u.dunning()
	if d.InvoiceAction == DunningMarkUncollectible {
		n := inv.Clone()
		n.Status, n.UncollectibleAt, n.NextPaymentAttempt = InvoiceUncollectible, at, 0
		if err := u.tx.Put(TableInvoices, n); err != nil {
			return err
		}
		inv = n
	}
	if inv.Subscription == "" || d.SubscriptionAction == DunningLeavePastDue {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil || !sub.Live() {
		return err
	}
	if d.SubscriptionAction == DunningMarkUnpaid {
		s := sub.Clone()
		s.Status = SubscriptionUnpaid
		return u.tx.Put(TableSubscriptions, s)
	}
	s, _, err := endNow(u, sub, at, "payment_failed")
	if err != nil {
		return err
	}
	if err := u.tx.Put(TableSubscriptions, s); err != nil {
		return err
	}
	return stopCollecting(u, s.ID, inv.ID)
}

// stopCollecting turns off automatic collection of a canceled subscription's
// open invoices ("automatic collection for all unpaid invoices is disabled",
// ref §3d): auto_advance false, no next attempt. (latest is the invoice whose
// last retry failed, stored already.)
func stopCollecting(u *Unit, sub, latest string) error {
	recs, err := u.tx.Find(TableInvoices, "subscription", sub)
	if err != nil {
		return err
	}
	for _, r := range recs {
		inv, ok := r.(*Invoice)
		if !ok || (inv.Status != InvoiceOpen && inv.ID != latest) || (!inv.AutoAdvance && inv.NextPaymentAttempt == 0) {
			continue
		}
		n := inv.Clone()
		n.AutoAdvance, n.NextPaymentAttempt = false, 0
		if err := u.tx.Put(TableInvoices, n); err != nil {
			return err
		}
	}
	return nil
}

// incompleteFor is how long a subscription stays incomplete before it
// expires: "If the first invoice is not paid within 23 hours, the
// subscription transitions to incomplete_expired" (ref §3b) [C].
const incompleteFor = 23 * 60 * 60

// expireIncomplete ends an incomplete subscription whose first invoice was
// not paid in time (ref §3b): incomplete_expired, for good; the invoice
// voided and its PaymentIntent canceled (void_invoice [I]). The
// subscription's event is customer.subscription.updated, not .deleted [I]
// (ref §7.5).
func expireIncomplete(u *Unit, sub *Subscription, at int64) error {
	n := sub.Clone()
	n.Status, n.IncompleteUntil, n.EndedAt = SubscriptionIncompleteExpired, 0, at
	if err := u.tx.Put(TableSubscriptions, n); err != nil {
		return err
	}
	inv, err := GetInvoice(u.tx, sub.LatestInvoice, "latest_invoice")
	if err != nil || inv.Status != InvoiceOpen {
		return nil // paid, voided or gone meanwhile: nothing left to void
	}
	_, err = Void(u, inv.ID)
	return err
}
