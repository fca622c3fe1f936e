package billing

import (
	"maps"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/cards"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// SetupIntent is a stored SetupIntent: a payment method being set up for
// later payments (ref §2.3). Its state machine is here: Confirm,
// Authenticate, Cancel; server's endpoints set its descriptive fields.
type SetupIntent struct {
	store.Meta
	Customer      string
	PaymentMethod string
	Status        SetupIntentStatus
	Usage         string // off_session (the default) or on_session
	ClientSecret  string
	// AllowRedirects is automatic_payment_methods[allow_redirects] when
	// automatic_payment_methods[enabled] was set ("": not set).
	AllowRedirects string
	Description    string
	Metadata       map[string]string
	// LastError is last_setup_error: the decline (or failed authentication)
	// of the latest attempt, and the payment method it used.
	LastError              *cards.Decline
	LastErrorPaymentMethod string
	// FailedAttempts counts the attempts that failed (each raises
	// setup_intent.setup_failed).
	FailedAttempts int
	// NextAction is set while the intent requires_action.
	NextAction         *NextAction
	CancellationReason string
	TestClock          string
	// ForSubscription is the subscription whose pending_setup_intent it is
	// (cleared when it succeeds).
	ForSubscription string `json:",omitempty"`
}

// NextAction is an intent's next_action while it waits for 3D Secure
// (design-16 §3.7 [I]): a redirect to URL when the confirm gave a return
// URL, else use_stripe_sdk with URL as its stripe_js and Source as its
// source. URL is the emulator's page for the intent (the authentication is
// completed through POST /_emulator/intents/{id}/authenticate).
type NextAction struct {
	ReturnURL, URL, Source string
}

// Clone is a copy of the SetupIntent to change and store again.
func (si *SetupIntent) Clone() *SetupIntent {
	n := *si
	n.Metadata = maps.Clone(si.Metadata)
	return &n
}

func (si *SetupIntent) clock() string { return si.TestClock }

// Open reports whether the intent can still be changed, confirmed or
// canceled: it has neither succeeded nor been canceled.
func (si *SetupIntent) Open() bool {
	return si.Status != SetupIntentSucceeded && si.Status != SetupIntentCanceled
}

// SetupConfirm is a confirm's input: the payment method (stored; a magic
// id already cloned), and what a next_action would carry.
type SetupConfirm struct {
	PaymentMethod *PaymentMethod
	// ReturnURL is return_url; ChallengeURL is the emulator's page for the
	// intent (next_action's url or stripe_js).
	ReturnURL, ChallengeURL string
}

// ConfirmSetupIntent confirms an open SetupIntent with a payment method (ref
// §2.3): the card succeeds (the intent succeeded, the payment method
// verified, set up for off-session use when usage is off_session, and
// attached to the intent's customer: "If present, the SetupIntent's payment
// method will be attached to the Customer on successful setup"), asks for 3D
// Secure (requires_action with a next_action), or declines: the intent goes
// back to requires_payment_method with last_setup_error, and the 402
// card_error that names the intent and the payment method is returned with
// Commit set (design-16 D4: the failed attempt stands).
func ConfirmSetupIntent(u *Unit, si *SetupIntent, in SetupConfirm) (*SetupIntent, error) {
	if !si.Open() {
		return nil, apierr.State("setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it has a status of %s.", si.Status)
	}
	pm := in.PaymentMethod
	if pm == nil {
		return nil, apierr.State("setup_intent_unexpected_state",
			"You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.")
	}
	if err := usableFor(pm, si.Customer, "payment_method"); err != nil {
		return nil, err
	}
	n := si.Clone()
	n.PaymentMethod = pm.ID
	r := pm.TestCard().Evaluate(cards.Setup, pm.SetUp)
	switch r.Status {
	case cards.Succeeded:
		return setupSucceeded(u, n, pm)
	case cards.RequiresAction:
		n.Status, n.LastError, n.LastErrorPaymentMethod = SetupIntentRequiresAction, nil, ""
		n.NextAction = &NextAction{ReturnURL: in.ReturnURL, URL: in.ChallengeURL, Source: store.RandomID("src", 24)}
		return n, u.tx.Put(TableSetupIntents, n)
	}
	if _, err := setupFailed(u, n, pm, r.Decline); err != nil {
		return nil, err
	}
	return nil, r.Decline.APIError().WithSetupIntent(n.ID).WithPaymentMethod(pm.ID).WithCommit()
}

// AuthenticateSetupIntent completes (completed) or fails the 3D Secure
// authentication a SetupIntent in requires_action waits for: completed, it
// succeeds as a confirm that asked nothing would; failed, it goes back to
// requires_payment_method with the authentication failure as its
// last_setup_error (ref §1.5), which is no HTTP error.
func AuthenticateSetupIntent(u *Unit, si *SetupIntent, completed bool) (*SetupIntent, error) {
	if si.Status != SetupIntentRequiresAction {
		return nil, apierr.State("setup_intent_unexpected_state",
			"You cannot authenticate this SetupIntent because it has a status of %s: only a SetupIntent that requires_action has an authentication to complete.", si.Status)
	}
	pm, err := Get[*PaymentMethod](u.tx, TablePaymentMethods, "PaymentMethod", si.PaymentMethod, "payment_method")
	if err != nil {
		return nil, err
	}
	n := si.Clone()
	r := pm.TestCard().Authenticated(cards.Setup, completed)
	if r.Status == cards.Succeeded {
		return setupSucceeded(u, n, pm)
	}
	return setupFailed(u, n, pm, r.Decline)
}

// CancelSetupIntent cancels an open SetupIntent, with an optional reason
// (abandoned, duplicate, requested_by_customer).
func CancelSetupIntent(u *Unit, si *SetupIntent, reason string) (*SetupIntent, error) {
	if !si.Open() {
		return nil, apierr.State("setup_intent_unexpected_state",
			"You cannot cancel this SetupIntent because it has a status of %s. Only a SetupIntent with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action.", si.Status)
	}
	n := si.Clone()
	n.Status, n.CancellationReason, n.NextAction = SetupIntentCanceled, reason, nil
	return n, u.tx.Put(TableSetupIntents, n)
}

// setupSucceeded stores the intent succeeded and its payment method
// verified, set up (usage off_session) and attached to the intent's
// customer, in that order (setup_intent.succeeded, then
// payment_method.attached).
func setupSucceeded(u *Unit, si *SetupIntent, pm *PaymentMethod) (*SetupIntent, error) {
	si.Status, si.NextAction, si.LastError, si.LastErrorPaymentMethod = SetupIntentSucceeded, nil, nil, ""
	if err := u.tx.Put(TableSetupIntents, si); err != nil {
		return nil, err
	}
	p := pm.Clone()
	p.Verified = true
	p.SetUp = p.SetUp || si.Usage != SetupUsageOnSession
	if p.Customer == "" && si.Customer != "" {
		if err := roomToAttach(u, si.Customer); err != nil {
			return nil, err
		}
		p.Customer = si.Customer
	}
	if err := u.tx.Put(TablePaymentMethods, p); err != nil {
		return nil, err
	}
	return si, setUpFor(u, si)
}

// setUpFor clears the pending_setup_intent of the subscription a SetupIntent
// that succeeded was made for (customer.subscription.updated).
func setUpFor(u *Unit, si *SetupIntent) error {
	if si.ForSubscription == "" {
		return nil
	}
	sub, err := GetSubscription(u.tx, si.ForSubscription, "subscription")
	if err != nil || sub.PendingSetupIntent != si.ID {
		return err
	}
	n := sub.Clone()
	n.PendingSetupIntent = ""
	return u.tx.Put(TableSubscriptions, n)
}

// pendingSetupIntent is the SetupIntent a subscription created
// default_incomplete gets when its first invoice charged nothing (ref §3b,
// design-16 §3.4): off-session usage, for the subscription's customer,
// requires_confirmation when their defaults name a card [I], else
// requires_payment_method; stored after the subscription, so that
// setup_intent.created follows customer.subscription.created.
func pendingSetupIntent(u *Unit, sub *Subscription, now int64) (*SetupIntent, error) {
	meta := u.ids.NewMeta("seti", now)
	si := &SetupIntent{Meta: meta, Customer: sub.Customer, Status: SetupIntentRequiresPaymentMethod, Usage: SetupUsageOffSession,
		ClientSecret: meta.ID + "_secret_" + store.RandomString(32), Metadata: map[string]string{}, TestClock: sub.TestClock, ForSubscription: sub.ID}
	pm, err := PaymentMethodFor(u, sub.Customer, sub.ID, "")
	if err != nil {
		return nil, err
	}
	if pm != nil {
		si.PaymentMethod, si.Status = pm.ID, SetupIntentRequiresConfirmation
	}
	return si, u.tx.Put(TableSetupIntents, si)
}

// setupFailed stores the intent back at requires_payment_method with the
// decline as its last error (the payment method is verified: the confirm
// ran its checks).
func setupFailed(u *Unit, si *SetupIntent, pm *PaymentMethod, d cards.Decline) (*SetupIntent, error) {
	si.Status, si.PaymentMethod, si.NextAction = SetupIntentRequiresPaymentMethod, "", nil
	si.LastError, si.LastErrorPaymentMethod = &d, pm.ID
	si.FailedAttempts++
	if err := u.tx.Put(TableSetupIntents, si); err != nil {
		return nil, err
	}
	if !pm.Verified {
		p := pm.Clone()
		p.Verified = true
		if err := u.tx.Put(TablePaymentMethods, p); err != nil {
			return nil, err
		}
	}
	return si, nil
}

// usableFor checks that a payment method can be used by an intent of the
// customer (""; none): not detached, and attached to no other customer [I]
// (Stripe's words for that case are not known).
func usableFor(pm *PaymentMethod, customer, param string) error {
	switch {
	case pm.Consumed:
		return errConsumed(param)
	case pm.Customer != "" && pm.Customer != customer:
		return apierr.InvalidRequest("", param,
			"The provided PaymentMethod %s belongs to the customer %s: use it with that customer.", pm.ID, pm.Customer)
	}
	return nil
}

// SetupUsageOnSession and SetupUsageOffSession are a SetupIntent's usage.
const (
	SetupUsageOnSession  = "on_session"
	SetupUsageOffSession = "off_session"
)
