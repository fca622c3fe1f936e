package billing

import (
	"fmt"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Finalization and collection: a draft becomes an open invoice with a
// number, the customer's balance applied, and is collected: an amount due
// at or above the minimum charge of a charge_automatically invoice is paid
// by a PaymentIntent on the payment method that PaymentMethodFor resolves
// (design-16 D2), never "as if by a card".

// finalizeInvoice finalizes a draft at a time: its usage re-rated (a renewal
// invoice's, for the usage reported during the grace hour), a number given,
// the customer's balance applied, and the invoice collected (collect). A
// past_due subscription whose latest invoice this is and which is paid
// becomes active again. A charge that fails leaves the invoice open (the
// attempt counted, invoice.payment_failed); it is no error.
func finalizeInvoice(u *Unit, inv *Invoice, at int64) (*Invoice, error) {
	return finalize(u, inv, at, collection{})
}

// collection is how a finalization collects a charge it makes.
type collection struct {
	// requirePaymentMethod: no payment method to charge is Stripe's 400
	// (a subscription created or updated with the default payment_behavior,
	// ref §3a), not a failed attempt.
	requirePaymentMethod bool
	// noAttempt: the intent is made but not confirmed; it waits for the
	// customer (payment_behavior=default_incomplete, ref §3b).
	noAttempt bool
}

func finalize(u *Unit, inv *Invoice, at int64, how collection) (*Invoice, error) {
	n := inv.Clone()
	if n.BillingReason == "subscription_cycle" {
		if err := refreshUsage(u, n); err != nil {
			return nil, err
		}
	}
	cur, err := GetCustomer(u.tx, n.Customer, "customer", true)
	if err != nil {
		return nil, err
	}
	cu := cur.Clone()
	if !cu.Deleted {
		n.Number = cu.InvoicePrefix + "-" + fmt.Sprintf("%04d", cu.NextInvoiceSequence)
		cu.NextInvoiceSequence++
	}
	n.StartingBalance = cu.Balance
	n.Status, n.FinalizedAt, n.EffectiveAt, n.FinalizesAt = InvoiceOpen, at, at, 0
	c := collect(n, at)
	n.EndingBalance = &c.balance
	var pm *PaymentMethod
	var pi *PaymentIntent
	if c.charge {
		if pm, err = PaymentMethodFor(u, n.Customer, n.Subscription, ""); err != nil {
			return nil, err
		}
		if pm == nil && how.requirePaymentMethod {
			return nil, ErrNoPaymentMethod()
		}
		pi = invoiceIntent(u, n, at)
		n.PaymentIntent = pi.ID
	}
	if err := u.tx.Put(TableInvoices, n); err != nil {
		return nil, err
	}
	if !cu.Deleted {
		if err := u.tx.Put(TableCustomers, cu); err != nil {
			return nil, err
		}
		if err := ledgerInvoice(u, cu, n, c); err != nil {
			return nil, err
		}
	}
	charge := c.charge
	if !charge {
		return n, afterPaid(u, n)
	}
	if pm != nil {
		pi.PaymentMethod, pi.Status = pm.ID, PaymentIntentRequiresConfirmation
	}
	if err := u.tx.Put(TablePaymentIntents, pi); err != nil {
		return nil, err
	}
	if err := newInvoicePayment(u, n, pi, at); err != nil {
		return nil, err
	}
	if how.noAttempt {
		return n, nil
	}
	if unpaid, err := renewalOfUnpaid(u, n); err != nil || unpaid {
		return n, err
	}
	return chargeInvoice(u, n, pi, pm, true)
}

// renewalOfUnpaid reports whether an invoice is a renewal of an unpaid
// subscription (its last retries failed, and the account's settings mark it
// unpaid): its invoices "continue to be generated, but payments aren't
// attempted" [C] (ref §3d), so collection leaves their PaymentIntent
// waiting and schedules no retry; paying the latest one makes the
// subscription active again. (An update that invoices at once is charged as
// the request asks [I].)
func renewalOfUnpaid(u *Unit, inv *Invoice) (bool, error) {
	id := inv.Subscription
	if id == "" || inv.BillingReason != "subscription_cycle" {
		return false, nil
	}
	sub, err := GetSubscription(u.tx, id, "subscription")
	if err != nil {
		return false, err
	}
	return sub.Status == SubscriptionUnpaid, nil
}

// ErrNoPaymentMethod is Stripe's 400 for an invoice to charge with no
// payment method (ref §6.2, observed text; [I] the code and no param).
func ErrNoPaymentMethod() *apierr.Error {
	return apierr.InvalidRequest("resource_missing", "",
		"This customer has no attached payment source or default payment method. Please consider adding a default payment method.")
}

// invoiceIntent is the PaymentIntent collection makes for an invoice's
// amount due (not stored yet): off-session, saved for future use (ref
// §2.4, observed), described by the subscription's billing reason.
func invoiceIntent(u *Unit, inv *Invoice, at int64) *PaymentIntent {
	meta := u.ids.NewMeta("pi", at)
	pi := &PaymentIntent{Meta: meta, Amount: inv.AmountDue(), Currency: inv.Currency, Customer: inv.Customer, Invoice: inv.ID,
		Status: PaymentIntentRequiresPaymentMethod, CaptureMethod: CaptureAutomatic, ConfirmationMethod: CaptureAutomatic,
		ClientSecret: meta.ID + "_secret_" + store.RandomString(25), Metadata: map[string]string{}, TestClock: inv.TestClock}
	switch inv.BillingReason {
	case "subscription_create":
		pi.Description = "Subscription creation"
	case "subscription_cycle", "subscription_update":
		pi.Description = "Subscription update"
	}
	if inv.Subscription != "" {
		pi.SetupFutureUsage = SetupUsageOffSession
	}
	return pi
}

// chargeInvoice makes one attempt to pay an open invoice with its
// PaymentIntent, off-session, on pm (nil: no payment method, a failed
// attempt that charges nothing). automatic: collection's own attempt (at
// finalization, a retry), which always counts.
func chargeInvoice(u *Unit, inv *Invoice, pi *PaymentIntent, pm *PaymentMethod, automatic bool) (*Invoice, error) {
	if pm == nil {
		return settleInvoice(u, inv, pi, cards.Result{Status: cards.Declined}, automatic)
	}
	r := pm.TestCard().Evaluate(cards.OffSession, pm.SetUp)
	n, _, err := attempt(u, pi.Clone(), pm, r, "", "")
	if err != nil {
		return nil, err
	}
	return settleInvoice(u, inv, n, r, automatic)
}

// settleInvoice stores what an attempt of its PaymentIntent (pi, as the
// attempt left it; r, the card's answer) did to an invoice: paid by the
// charge, or open with the failure counted (invoice.payment_failed) or
// waiting for 3D Secure (invoice.payment_action_required). The attempt
// counts when it is collection's own (automatic) or the first; a payment by
// hand after that does not (ref §3d, sg79 attempt_count). Its subscription
// follows: active once paid, incomplete (a first invoice) or past_due when
// it fails.
func settleInvoice(u *Unit, inv *Invoice, pi *PaymentIntent, r cards.Result, automatic bool) (*Invoice, error) {
	n := inv.Clone()
	if automatic || !n.Attempted {
		n.AttemptCount++
	}
	n.Attempted = true
	if pi.LatestCharge != "" {
		n.Charge = pi.LatestCharge
	}
	at := u.EventTime(n)
	final := false
	switch {
	case r.Status == cards.Succeeded && pi.Status == PaymentIntentSucceeded:
		n.ActionRequired, n.NextPaymentAttempt = false, 0
		n.markPaid(at, pi.AmountReceived)
	case r.Status == cards.RequiresAction:
		n.ActionRequired = true
		if automatic {
			n.FailedAttempts++
			scheduleRetry(u, n, at)
		}
	default:
		n.ActionRequired = false
		n.FailedAttempts++
		if r.Decline.Hard {
			n.HardDeclined = pi.LastErrorPaymentMethod
		}
		if automatic {
			final = scheduleRetry(u, n, at)
		}
	}
	if err := u.tx.Put(TableInvoices, n); err != nil {
		return nil, err
	}
	if n.Paid {
		if err := settleInvoicePayment(u, n.ID, InvoicePaymentPaid, pi.AmountReceived, at); err != nil {
			return nil, err
		}
		if err := setDelinquent(u, n.Customer, false); err != nil {
			return nil, err
		}
		if err := saveDefaultPaymentMethod(u, n, pi); err != nil {
			return nil, err
		}
		return n, afterPaid(u, n)
	}
	if err := afterFailed(u, n); err != nil {
		return nil, err
	}
	if automatic && r.Status != cards.RequiresAction {
		if err := setDelinquent(u, n.Customer, true); err != nil {
			return nil, err
		}
	}
	if final {
		return n, finalFailure(u, n, at)
	}
	return n, nil
}

// saveDefaultPaymentMethod makes the payment method that paid a
// subscription's invoice its default_payment_method when its
// payment_settings say save_default_payment_method=on_subscription [C]
// sg79 (the payment method is attached by then: the invoice's
// PaymentIntent is for future off-session use).
func saveDefaultPaymentMethod(u *Unit, inv *Invoice, pi *PaymentIntent) error {
	if inv.Subscription == "" || pi.PaymentMethod == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil || !sub.SaveDefaultPaymentMethod || sub.DefaultPaymentMethod == pi.PaymentMethod {
		return err
	}
	if pm, err := Get[*PaymentMethod](u.tx, TablePaymentMethods, "PaymentMethod", pi.PaymentMethod, "payment_method"); err != nil || pm.Customer != sub.Customer {
		return err
	}
	n := sub.Clone()
	n.DefaultPaymentMethod = pi.PaymentMethod
	return u.tx.Put(TableSubscriptions, n)
}

// paidByIntent pays an invoice whose PaymentIntent was confirmed by hand
// (POST /v1/payment_intents/{id}/confirm, or its 3D Secure completed): as
// settleInvoice, an attempt that is not collection's own.
func paidByIntent(u *Unit, pi *PaymentIntent, r cards.Result) error {
	inv, err := GetInvoice(u.tx, pi.Invoice, "invoice")
	if err != nil || inv.Status != InvoiceOpen {
		return err
	}
	_, err = settleInvoice(u, inv, pi, r, false)
	return err
}

// afterFailed marks the subscription of an invoice whose payment failed: a
// first invoice leaves it incomplete (ref §3b), a later one past_due (ref
// §3d), unless it has ended.
func afterFailed(u *Unit, inv *Invoice) error {
	if inv.Subscription == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil {
		return err
	}
	status := SubscriptionPastDue
	if inv.BillingReason == "subscription_create" {
		status = SubscriptionIncomplete
	}
	if !sub.Live() || sub.Status == status || sub.Status == SubscriptionIncomplete || sub.Status == SubscriptionUnpaid {
		return nil
	}
	n := sub.Clone()
	n.Status = status
	if status == SubscriptionIncomplete {
		n.IncompleteUntil = sub.Created + incompleteFor
	}
	return u.tx.Put(TableSubscriptions, n)
}

// collected is what collect did: the customer's balance after the invoice,
// the part of the starting balance the invoice took (applied: ending −
// starting before a carry, 0 for none), the amount carried to the balance
// because it is below the minimum charge (tooSmall), and whether a charge
// is due.
type collected struct {
	balance, applied, tooSmall int64
	charge                     bool
}

// ledgerInvoice writes what an invoice's finalization did to its customer's
// balance as balance transactions (ref §3g, design-16 §3.8): the balance it
// took (applied_to_invoice: positive when a credit is consumed [O], negative
// when a debt moves onto the invoice [I]), then the amount too small to
// charge (invoice_too_small, positive: owed with the next invoice) [I] two
// transactions when both happen. cu is the customer as stored, at the
// starting balance.
func ledgerInvoice(u *Unit, cu *Customer, inv *Invoice, c collected) error {
	for _, ch := range []BalanceChange{
		{Amount: c.applied, Type: BalanceAppliedToInvoice},
		{Amount: c.tooSmall, Type: BalanceInvoiceTooSmall},
	} {
		if ch.Amount == 0 {
			continue
		}
		ch.Currency, ch.SetCurrency, ch.Invoice = inv.Currency, true, inv.ID
		var err error
		if _, cu, err = ChangeBalance(u, cu, ch, "amount", "currency"); err != nil {
			return err
		}
	}
	return nil
}

// collect collects a finalized invoice at a time, after its starting balance
// (the customer's: positive is owed and adds, a credit subtracts), and
// returns what it did (collected), the customer's balance after it:
//   - nothing due: paid at once, and a credit larger than the total stays a
//     credit;
//   - charge_automatically, below Stripe's minimum charge for the currency:
//     not charged; marked paid, and the amount is carried to the balance for
//     the next invoice;
//   - charge_automatically: open, to be charged (charge reports it);
//   - send_invoice: open until its due date (30 days if it has none).
func collect(inv *Invoice, at int64) collected {
	after := calc.Add(inv.Subtotal(), inv.StartingBalance)
	c := collected{balance: min(after, 0)}
	c.applied = c.balance - inv.StartingBalance
	due := max(after, 0)
	switch {
	case due == 0:
		inv.markPaid(at, 0)
	case inv.CollectionMethod == "charge_automatically" && due < calc.MinimumCharge(inv.Currency):
		c.balance, c.tooSmall = calc.Add(c.balance, due), due
		inv.markPaid(at, 0)
	case inv.CollectionMethod == "charge_automatically":
		c.charge = true
	default:
		if inv.DueDate == 0 {
			inv.DueDate = at + 30*86400
		}
	}
	return c
}

// markPaid marks the invoice paid at a time, amount of it charged.
func (inv *Invoice) markPaid(at, amount int64) {
	inv.Status, inv.Paid, inv.PaidAt, inv.AmountPaid = InvoicePaid, true, at, amount
}

// afterPaid applies the pending update an invoice's payment was waiting for
// (pending.go), and brings a past_due subscription back once its latest
// invoice is paid, and an incomplete one once its first invoice is.
func afterPaid(u *Unit, inv *Invoice) error {
	if !inv.Paid || inv.Subscription == "" {
		return nil
	}
	if err := applyPendingUpdate(u, inv); err != nil {
		return err
	}
	sub, err := GetSubscription(u.tx, inv.Subscription, "subscription")
	if err != nil {
		return nil
	}
	pastDue := (sub.Status == SubscriptionPastDue || sub.Status == SubscriptionUnpaid) && (sub.LatestInvoice == inv.ID || sub.LatestInvoice == "")
	incomplete := sub.Status == SubscriptionIncomplete && inv.BillingReason == "subscription_create"
	if !pastDue && !incomplete {
		return nil
	}
	n := sub.Clone()
	n.Status, n.IncompleteUntil = SubscriptionActive, 0
	return u.tx.Put(TableSubscriptions, n)
}
