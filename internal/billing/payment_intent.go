package billing

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// PaymentIntent is a stored PaymentIntent: a payment of an amount, by card
// (ref §2.4). Its state machine is here: Confirm (with the attempt every
// charge goes through, attempt), Authenticate, Capture, Cancel; server's
// endpoints set its descriptive fields. An invoice's PaymentIntent is made
// and confirmed by collection (collect.go).
type PaymentIntent struct {
	store.Meta
	Amount int64
	// AmountReceived is what was captured; AmountCapturable what an
	// authorised, not yet captured charge holds (requires_capture).
	AmountReceived, AmountCapturable int64
	Currency                         string
	Customer                         string
	Invoice                          string
	PaymentMethod                    string
	Status                           PaymentIntentStatus
	// CaptureMethod is automatic (the default), automatic_async (the same
	// for cards) or manual.
	CaptureMethod      string
	ConfirmationMethod string
	SetupFutureUsage   string // off_session, on_session, or "" (null)
	ClientSecret       string
	AllowRedirects     string // automatic_payment_methods[allow_redirects] ("": not enabled)
	// LastError is last_payment_error: the decline (or failed
	// authentication) of the latest attempt, the payment method it used and
	// the charge it made.
	LastError              *cards.Decline
	LastErrorPaymentMethod string
	LastErrorCharge        string
	// FailedAttempts counts the attempts that failed (each raises
	// payment_intent.payment_failed).
	FailedAttempts int
	LatestCharge   string
	// NextAction is set while the intent requires_action.
	NextAction         *NextAction
	CanceledAt         int64
	CancellationReason string
	Description        string
	ReceiptEmail       string
	Metadata           map[string]string
	TestClock          string
}

// Clone is a copy of the PaymentIntent to change and store again.
func (pi *PaymentIntent) Clone() *PaymentIntent {
	n := *pi
	n.Metadata = maps.Clone(pi.Metadata)
	return &n
}

func (pi *PaymentIntent) clock() string { return pi.TestClock }

// Confirmable reports whether the intent can be confirmed (or have its
// payment method changed): it waits for a payment method, a confirmation
// or an action.
func (pi *PaymentIntent) Confirmable() bool {
	switch pi.Status {
	case PaymentIntentRequiresPaymentMethod, PaymentIntentRequiresConfirmation, PaymentIntentRequiresAction:
		return true
	}
	return false
}

// manualCapture reports whether a successful charge waits to be captured.
func (pi *PaymentIntent) manualCapture() bool { return pi.CaptureMethod == CaptureManual }

// The capture methods.
const (
	CaptureAutomatic      = "automatic"
	CaptureAutomaticAsync = "automatic_async"
	CaptureManual         = "manual"
)

// PaymentConfirm is a confirm's input: the payment method (stored; a magic
// id already cloned; nil: the intent's own), off_session, and what a
// next_action would carry.
type PaymentConfirm struct {
	PaymentMethod *PaymentMethod
	// OffSession: the customer is not there (off_session=true): a card that
	// asks for 3D Secure is declined authentication_required (ref §1.5), as
	// with ErrorOnRequiresAction.
	OffSession, ErrorOnRequiresAction bool
	// SetupFutureUsage is setup_future_usage given to the confirm ("": the
	// intent's).
	SetupFutureUsage string
	// ReturnURL is return_url; ChallengeURL is the emulator's page for the
	// intent (next_action's url or stripe_js).
	ReturnURL, ChallengeURL string
}

// errNoPaymentMethod is a confirm without a payment method [I] text.
func errNoPaymentMethod() *apierr.Error {
	return apierr.State("payment_intent_unexpected_state",
		"You cannot confirm this PaymentIntent because it's missing a payment method. To confirm a payment with a PaymentMethod, please provide a payment_method.")
}

// ConfirmPaymentIntent confirms a PaymentIntent with a payment method (ref
// §2.4, design-16 §2.2): the card is charged (succeeded, or requires_capture
// for a manual capture), asks for 3D Secure (requires_action with a
// next_action; declined authentication_required where nobody can act), or
// declines: a failed charge, the intent back at requires_payment_method with
// last_payment_error, and the 402 card_error that names the charge, the
// intent and the payment method, with Commit set (design-16 D4). An
// invoice's intent pays its invoice when it succeeds.
func ConfirmPaymentIntent(u *Unit, pi *PaymentIntent, in PaymentConfirm) (*PaymentIntent, error) {
	if !pi.Confirmable() {
		return nil, apierr.State("payment_intent_unexpected_state",
			"You cannot confirm this PaymentIntent because it has a status of %s. A PaymentIntent can only be confirmed while it requires a payment method, a confirmation or an action.", pi.Status)
	}
	pm := in.PaymentMethod
	if pm == nil && pi.PaymentMethod != "" {
		var err error
		if pm, err = Get[*PaymentMethod](u.tx, TablePaymentMethods, "PaymentMethod", pi.PaymentMethod, "payment_method"); err != nil {
			return nil, err
		}
	}
	if pm == nil {
		return nil, errNoPaymentMethod()
	}
	if err := usableFor(pm, pi.Customer, "payment_method"); err != nil {
		return nil, err
	}
	n := pi.Clone()
	if in.SetupFutureUsage != "" {
		n.SetupFutureUsage = in.SetupFutureUsage
	}
	moment := cards.OnSession
	if in.OffSession {
		moment = cards.OffSession
	}
	r := pm.TestCard().Evaluate(moment, pm.SetUp)
	if in.OffSession || in.ErrorOnRequiresAction {
		r = r.Unattended()
	}
	n, ch, err := attempt(u, n, pm, r, in.ReturnURL, in.ChallengeURL)
	if err != nil {
		return nil, err
	}
	if n.Invoice != "" {
		if err := paidByIntent(u, n, r); err != nil {
			return nil, err
		}
	}
	if r.Status == cards.Declined {
		e := r.Decline.APIError().WithPaymentIntent(n.ID).WithPaymentMethod(pm.ID).WithCommit()
		if ch != nil {
			e.WithCharge(ch.ID)
		}
		return nil, e
	}
	return n, nil
}

// AuthenticatePaymentIntent completes (completed) or fails the 3D Secure
// authentication a PaymentIntent in requires_action waits for: completed,
// the card is charged as the customer authenticated it (ref §1.5: some
// cards decline then); failed, nothing is charged and the intent goes back
// to requires_payment_method with the authentication failure as its
// last_payment_error. Neither is an HTTP error: the intent is answered.
func AuthenticatePaymentIntent(u *Unit, pi *PaymentIntent, completed bool) (*PaymentIntent, error) {
	if pi.Status != PaymentIntentRequiresAction {
		return nil, apierr.State("payment_intent_unexpected_state",
			"You cannot authenticate this PaymentIntent because it has a status of %s: only a PaymentIntent that requires_action has an authentication to complete.", pi.Status)
	}
	pm, err := Get[*PaymentMethod](u.tx, TablePaymentMethods, "PaymentMethod", pi.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	r := pm.TestCard().Authenticated(cards.OnSession, completed)
	n, _, err := attempt(u, pi.Clone(), pm, r, "", "")
	if err != nil || n.Invoice == "" {
		return n, err
	}
	return n, paidByIntent(u, n, r)
}

// attempt stores what became of one attempt to pay pi with pm (r, the
// card's answer), in Stripe's order: the charge it made (charge.succeeded
// or charge.failed), then the intent; then, for a success, the payment
// method (verified; attached to the intent's customer and set up when the
// intent saves it for future use; used up when it stays unattached [I]).
// The caller settles the intent's invoice, if it has one. A card that asks for 3D Secure leaves the
// intent requires_action, its next action pointing at challengeURL.
func attempt(u *Unit, pi *PaymentIntent, pm *PaymentMethod, r cards.Result, returnURL, challengeURL string) (*PaymentIntent, *Charge, error) {
	var ch *Charge
	if r.Charged() {
		var err error
		if ch, err = newCharge(u, pi, pm, r); err != nil {
			return nil, nil, err
		}
		pi.LatestCharge = ch.ID
	}
	pi.NextAction = nil
	switch r.Status {
	case cards.Succeeded:
		pi.PaymentMethod, pi.LastError, pi.LastErrorPaymentMethod, pi.LastErrorCharge = pm.ID, nil, "", ""
		if pi.manualCapture() {
			pi.Status, pi.AmountCapturable = PaymentIntentRequiresCapture, pi.Amount
		} else {
			pi.Status, pi.AmountReceived = PaymentIntentSucceeded, pi.Amount
		}
	case cards.RequiresAction:
		pi.PaymentMethod, pi.Status = pm.ID, PaymentIntentRequiresAction
		pi.NextAction = &NextAction{ReturnURL: returnURL, URL: challengeURL, Source: store.RandomID("src", 24)}
	default:
		d := r.Decline
		pi.Status, pi.PaymentMethod = PaymentIntentRequiresPaymentMethod, ""
		pi.LastError, pi.LastErrorPaymentMethod, pi.LastErrorCharge = &d, pm.ID, ""
		if ch != nil {
			pi.LastErrorCharge = ch.ID
		}
		pi.FailedAttempts++
	}
	if err := u.tx.Put(TablePaymentIntents, pi); err != nil {
		return nil, nil, err
	}
	if err := usedBy(u, pm, pi, r.Status == cards.Succeeded); err != nil {
		return nil, nil, err
	}
	return pi, ch, nil
}

// usedBy stores what an attempt did to its payment method: its checks run
// (verified); after a success, attached to the intent's customer and set up
// for off-session use when the intent saves it (setup_future_usage), or used
// up when it is attached to nobody [I] ("previously used without being
// attached to a Customer", ref §2.2).
func usedBy(u *Unit, pm *PaymentMethod, pi *PaymentIntent, succeeded bool) error {
	n := pm.Clone()
	n.Verified = true
	if succeeded {
		switch {
		case pi.SetupFutureUsage != "" && pi.Customer != "":
			if n.Customer == "" {
				if err := roomToAttach(u, pi.Customer); err != nil {
					return err
				}
				n.Customer = pi.Customer
			}
			n.SetUp = n.SetUp || pi.SetupFutureUsage == SetupUsageOffSession
		case n.Customer == "":
			n.Consumed = true
		}
	}
	if n.Verified == pm.Verified && n.Customer == pm.Customer && n.SetUp == pm.SetUp && n.Consumed == pm.Consumed {
		return nil
	}
	return u.tx.Put(TablePaymentMethods, n)
}

// CapturePaymentIntent captures an authorised charge (requires_capture):
// amount (amount_to_capture; unset: all of it) of what it holds. The intent
// succeeds with amount_received the amount; the charge is captured. The
// rest of the authorisation is released; no Refund is made for it, at any
// version [I] (basil's rule, design-16 §3.11).
func CapturePaymentIntent(u *Unit, pi *PaymentIntent, amount Opt[int64]) (*PaymentIntent, error) {
	if pi.Status != PaymentIntentRequiresCapture {
		return nil, apierr.State("payment_intent_unexpected_state",
			"This PaymentIntent could not be captured because it has a status of %s. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.", pi.Status)
	}
	amt := pi.AmountCapturable
	if amount.Set {
		if amount.V <= 0 || amount.V > pi.AmountCapturable {
			return nil, apierr.Invalid("amount_to_capture", "The amount to capture must be a positive integer no greater than the amount capturable (%d).", pi.AmountCapturable)
		}
		amt = amount.V
	}
	ch, err := Get[*Charge](u.tx, TableCharges, "charge", pi.LatestCharge, "charge")
	if err != nil {
		return nil, err
	}
	c := ch.Clone()
	c.Captured, c.AmountCaptured = true, amt
	if err := u.tx.Put(TableCharges, c); err != nil {
		return nil, err
	}
	n := pi.Clone()
	n.Status, n.AmountReceived, n.AmountCapturable = PaymentIntentSucceeded, amt, 0
	return n, u.tx.Put(TablePaymentIntents, n)
}

// CancelPaymentIntent cancels a PaymentIntent that has not succeeded, with
// an optional reason. An invoice's intent is canceled by voiding the
// invoice, not here [I] text.
func CancelPaymentIntent(u *Unit, pi *PaymentIntent, reason string) (*PaymentIntent, error) {
	if pi.Invoice != "" {
		return nil, apierr.State("payment_intent_unexpected_state",
			"You cannot cancel this PaymentIntent because it was created by an invoice. Void the invoice instead.")
	}
	return cancelIntent(u, pi, reason)
}

// cancelIntent cancels pi, if it can be.
func cancelIntent(u *Unit, pi *PaymentIntent, reason string) (*PaymentIntent, error) {
	if !pi.Confirmable() && pi.Status != PaymentIntentRequiresCapture {
		return nil, apierr.State("payment_intent_unexpected_state",
			"You cannot cancel this PaymentIntent because it has a status of %s. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.", pi.Status)
	}
	n := pi.Clone()
	n.Status, n.CancellationReason, n.NextAction, n.AmountCapturable = PaymentIntentCanceled, reason, nil, 0
	n.CanceledAt = u.EventTime(pi)
	return n, u.tx.Put(TablePaymentIntents, n)
}
