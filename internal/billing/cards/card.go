package cards

import "time"

// Card is one test card: what a PaymentMethod made from it renders as, and
// (unexported) what it does. Cards are values: a caller's copy cannot change
// the catalogue.
type Card struct {
	// Key names the card in the catalogue, stable across versions: what a
	// stored PaymentMethod keeps to find its card again (ByKey). Several
	// cards may share a number (the tokens of 4000000000000341 decline
	// differently), so the number does not name one.
	Key    string
	Number string
	// Brand is card.brand (visa, mastercard, amex, discover, diners, jcb,
	// unionpay); DisplayBrand is card.display_brand (american_express,
	// diners_club, union_pay for those three, the brand otherwise).
	Brand, DisplayBrand string
	// Funding is credit, debit or prepaid.
	Funding string
	// Country is the issuing country, ISO 3166-1 alpha-2.
	Country string
	// ThreeDSecureSupported is card.three_d_secure_usage.supported.
	ThreeDSecureSupported bool

	attach, setup, charge Decline // the declines at attach, at setup, of every charge
	auth                  authRule
	afterAuth             Decline // a charge's decline once authenticated (or, authOneTime, off-session)
	radarBlocks           bool    // Radar blocks every charge (outcome "blocked")
	cvcFails              bool
	line1, postal         Check // the address checks once verified (zero: pass)
	refund                Refund
}

// Last4 is card.last4.
func (c Card) Last4() string { return c.Number[len(c.Number)-4:] }

// CVCLength is the length of the card's security code: 4 for American
// Express, 3 otherwise.
func (c Card) CVCLength() int {
	if c.Brand == "amex" {
		return 4
	}
	return 3
}

// authRule is how a card treats 3D Secure (ref §1.5, docs.stripe.com/testing
// "Test 3D Secure authentication").
type authRule uint8

const (
	authNever       authRule = iota // never asks (supported, optional, unenrolled or unsupported)
	authUnlessSetUp                 // 4000002500003155: asks on-session, and off-session until set up
	authAlways                      // 4000002760003184, 3DS-required cards: asks every time, set up or not
	authOnSession                   // 4000003800000446: asks on-session; off-session as if set up
	authOneTime                     // 4000008260003178: asks on-session; off-session declined outright
)

// asks reports whether the card asks for authentication at moment m. A
// SetupIntent confirm asks for every card that authenticates at all [I] for
// 4000003800000446 and 4000008260003178 (ref leaves them open).
func (a authRule) asks(m Moment, setUp bool) bool {
	switch a {
	case authNever:
		return false
	case authUnlessSetUp:
		return m != OffSession || !setUp
	case authAlways:
		return true
	case authOnSession, authOneTime:
		return m != OffSession
	}
	return false
}

// Check is one of card.checks: cvc_check, address_line1_check,
// address_postal_code_check. The zero Check renders null.
type Check string

const (
	CheckPass        Check = "pass"
	CheckFail        Check = "fail"
	CheckUnchecked   Check = "unchecked"
	CheckUnavailable Check = "unavailable"
)

// Checks are card.checks.
type Checks struct {
	CVC, AddressLine1, AddressPostalCode Check
}

// Provided says which checked values a PaymentMethod was given: a CVC
// (card[cvc]; [I] a pm_card_* clone counts as given one), and
// billing_details[address][line1] and [postal_code].
type Provided struct {
	CVC, AddressLine1, AddressPostalCode bool
}

// Checks are the card's checks for the values given: a value not given is
// not checked (null: "Stripe skips the CVC check if you omit it", docs); a
// value given is "unchecked" until verified, and verified (attached, or used
// by a confirm: ref §1.3, observed) it passes, except on the cards that fail
// it (4000000000000127 the CVC; 4000000000000010, …0028, …0036 the address;
// …0044 address unavailable).
func (c Card) Checks(p Provided, verified bool) Checks {
	check := func(given bool, result Check) Check {
		switch {
		case !given:
			return ""
		case !verified:
			return CheckUnchecked
		case result == "":
			return CheckPass
		}
		return result
	}
	cvc := Check("")
	if c.cvcFails {
		cvc = CheckFail
	}
	return Checks{CVC: check(p.CVC, cvc), AddressLine1: check(p.AddressLine1, c.line1), AddressPostalCode: check(p.AddressPostalCode, c.postal)}
}

// RefundStatus is a refund's status.
type RefundStatus string

const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund is what becomes of a refund of a charge on the card: it starts
// Initial and, when Later is set, turns Later After its creation (a due
// transition on the charge's clock), failing with FailureReason.
type Refund struct {
	Initial, Later RefundStatus
	After          time.Duration
	FailureReason  string
}

// Refund is how the card's refunds behave: "With all other test cards,
// refunds succeed immediately and don't change status after that" (docs,
// ref §2.6).
func (c Card) Refund() Refund {
	if c.refund.Initial == "" {
		return Refund{Initial: RefundSucceeded}
	}
	return c.refund
}

// asyncRefundDelay is how long the asynchronous refund cards take to change
// a refund's status [I]: Stripe says "some time later".
const asyncRefundDelay = time.Hour
