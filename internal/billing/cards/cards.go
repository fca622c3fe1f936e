// Package cards is Stripe's test-card model: every test card number,
// PaymentMethod id (pm_card_*) and token (tok_*) the emulator knows, what each
// renders as (brand, funding, country, last4, fingerprint, checks, 3D Secure
// support), and what each does at each moment of a payment: attach, a
// SetupIntent confirm, an on-session or off-session charge, after 3D Secure is
// completed or failed, and on refund. It is pure data and functions: no I/O,
// no store, no net/http (only the standard library and apierr, whose card
// errors it builds).
//
// Sources: ../shared/reference/stripe-payments.md §1 (the reference), the
// design note design-16 §2, and docs.stripe.com/testing (a 2025–26 copy read
// through the search tool) where the reference names a card without its
// number. Where Stripe's behaviour is not documented the choice is marked
// [I] in the comments, as in the reference.
//
// The callers (the billing engine's collection, intents and refunds) look a
// card up once (ByNumber, ByPaymentMethod, ByToken; ByKey for one stored by
// its Key), then ask it what happens:
//
//	c, ok := cards.ByPaymentMethod("pm_card_chargeCustomerFail")
//	r := c.Evaluate(cards.OffSession, pm.SetUp)   // Declined: r.Decline, r.Outcome
//	err := r.Decline.APIError()                   // the 402 card_error
package cards

// Moment is when a card is used.
type Moment uint8

const (
	// Attach is attaching a PaymentMethod to a customer (also customer
	// create with payment_method).
	Attach Moment = iota + 1
	// Setup is a SetupIntent confirm.
	Setup
	// OnSession is a charge with the customer present: a PaymentIntent
	// confirm without off_session.
	OnSession
	// OffSession is a charge without the customer: off_session=true, and
	// every invoice collection (first invoices, renewals, retries, pay).
	OffSession
)

func (m Moment) String() string {
	switch m {
	case Attach:
		return "attach"
	case Setup:
		return "setup"
	case OnSession:
		return "on_session"
	case OffSession:
		return "off_session"
	}
	return "unknown"
}

// charges reports whether the moment makes a charge.
func (m Moment) charges() bool { return m == OnSession || m == OffSession }

// Status is what became of an attempt.
type Status uint8

const (
	// Succeeded: attached, set up, or charged.
	Succeeded Status = iota + 1
	// RequiresAction: the card asks for 3D Secure first (the intent goes
	// requires_action with a next_action). Where no customer can act (a
	// standalone PaymentIntent confirmed with off_session=true, or with
	// error_on_requires_action) the caller declines it instead: Unattended.
	RequiresAction
	// Declined: Result.Decline says why.
	Declined
)

func (s Status) String() string {
	switch s {
	case Succeeded:
		return "succeeded"
	case RequiresAction:
		return "requires_action"
	case Declined:
		return "declined"
	}
	return "unknown"
}

// Result is the outcome of one attempt.
type Result struct {
	Status Status
	// Decline is the error when Status is Declined.
	Decline Decline
	// Outcome is the charge's outcome when the attempt made a charge (an
	// on- or off-session charge that was authorised or declined); its zero
	// value (Charged false) when it made none: attach, setup, a charge that
	// waits for authentication, a failed authentication.
	Outcome Outcome
}

// Charged reports whether the attempt made a charge (succeeded or failed).
func (r Result) Charged() bool { return r.Outcome.Type != "" }

// Unattended is the result where nobody can authenticate: a RequiresAction
// becomes a charge the issuer declines with authentication_required (ref
// §1.5: "Stripe will decline if a PaymentIntent is off_session and the
// PaymentMethod requires authentication"); any other result is unchanged.
// Invoice collection does not use it: an invoice's PaymentIntent waits in
// requires_action for the customer (ref §3f).
func (r Result) Unattended() Result {
	if r.Status != RequiresAction {
		return r
	}
	d := authenticationRequired()
	return declined(d, issuerDeclined(d))
}

// Evaluate is what the card does at moment m. setUp says the PaymentMethod is
// set up for off-session use: a SetupIntent confirmed it, or a PaymentIntent
// with setup_future_usage paid with it. It matters only off-session, and only
// to the cards that authenticate unless set up (4000002500003155).
func (c Card) Evaluate(m Moment, setUp bool) Result {
	switch m {
	case Attach:
		if c.attach.declines() {
			return declined(c.attach, Outcome{})
		}
		return Result{Status: Succeeded}
	case Setup:
		if c.setup.declines() {
			return declined(c.setup, Outcome{})
		}
		if c.auth.asks(Setup, setUp) {
			return Result{Status: RequiresAction}
		}
		return Result{Status: Succeeded}
	case OnSession, OffSession:
		if c.charge.declines() {
			return c.chargeDeclined(c.charge)
		}
		if c.auth.asks(m, setUp) {
			return Result{Status: RequiresAction}
		}
		if c.auth == authOneTime && m == OffSession {
			// 4000008260003178: "All payments are declined with an
			// insufficient_funds failure code even after being
			// successfully authenticated or previously set up"
			// (docs.stripe.com/testing); off-session it asks nothing.
			return c.chargeDeclined(c.afterAuth)
		}
		return Result{Status: Succeeded, Outcome: authorized()}
	}
	return declined(processingError(), Outcome{})
}

// Authenticated is what happens once the customer has completed (completed
// true) or failed 3D Secure for an attempt at moment m that Evaluate answered
// RequiresAction. Completed: a setup succeeds; a charge is authorised, or
// declined by the cards that decline after authentication (4000008260003178,
// 4000008400001629). Failed: nothing is charged, and the intent keeps the
// authentication failure of ref §1.5 (payment_intent_authentication_failure,
// or setup_intent_authentication_failure for a setup).
func (c Card) Authenticated(m Moment, completed bool) Result {
	if !completed {
		if m.charges() {
			return declined(paymentAuthenticationFailure(), Outcome{})
		}
		return declined(setupAuthenticationFailure(), Outcome{})
	}
	if !m.charges() {
		return Result{Status: Succeeded}
	}
	if c.afterAuth.declines() {
		return c.chargeDeclined(c.afterAuth)
	}
	return Result{Status: Succeeded, Outcome: authorized()}
}

func declined(d Decline, o Outcome) Result {
	return Result{Status: Declined, Decline: d, Outcome: o}
}

// chargeDeclined is a charge declined with d: by the issuer, or blocked by
// Radar for the cards Radar always blocks.
func (c Card) chargeDeclined(d Decline) Result {
	if c.radarBlocks {
		return declined(d, blocked())
	}
	return declined(d, issuerDeclined(d))
}
