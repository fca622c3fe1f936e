package cards

import (
	"hash/fnv"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Decline is why an attempt failed, as Stripe words it. The zero Decline is no
// decline.
type Decline struct {
	// Type is apierr.TypeCard for declines, apierr.TypeInvalidRequest for a
	// failed 3D Secure authentication (ref §1.5: never an HTTP error, only
	// the intent's last_payment_error / last_setup_error).
	Type string
	// Code is the error code (card_declined, expired_card, ...): the
	// charge's failure_code.
	Code string
	// DeclineCode is the issuer's reason, for card_declined and
	// authentication_required only.
	DeclineCode string
	// Message is Stripe's text: the error's message and the charge's
	// failure_message.
	Message string
	// Hard declines are not retried automatically: the invoice's retries go
	// on being counted but are not made until the payment method changes
	// (ref §3d). [I] which are hard: lost_card, stolen_card, expired_card,
	// fraudulent (Radar) and authentication_required (ref §3d's list).
	Hard bool
}

func (d Decline) declines() bool { return d.Code != "" }

// APIError is the decline as Stripe's error: for a card error the 402
// card_error of ref §6.1 (decline_code, param and Stripe-Should-Retry by its
// rules); for a failed authentication the invalid_request_error an intent
// keeps as its last error. The caller names the objects it embeds
// (WithCharge, WithPaymentIntent, ...).
func (d Decline) APIError() *apierr.Error {
	if d.Type == apierr.TypeCard {
		return apierr.Card(d.Code, d.DeclineCode, d.Message)
	}
	return apierr.InvalidRequest(d.Code, "", "%s", d.Message)
}

// The declines of ref §1.3 and §1.5, each a function so that no caller can
// change the catalogue's values.

func cardDeclined(declineCode, message string, hard bool) Decline {
	return Decline{Type: apierr.TypeCard, Code: "card_declined", DeclineCode: declineCode, Message: message, Hard: hard}
}

const yourCardWasDeclined = "Your card was declined."

func genericDecline() Decline { return cardDeclined("generic_decline", yourCardWasDeclined, false) }
func insufficientFunds() Decline {
	return cardDeclined("insufficient_funds", "Your card has insufficient funds.", false)
}
func lostCard() Decline   { return cardDeclined("lost_card", yourCardWasDeclined, true) }
func stolenCard() Decline { return cardDeclined("stolen_card", yourCardWasDeclined, true) }
func velocityExceeded() Decline {
	return cardDeclined("card_velocity_exceeded",
		"Your card was declined for making repeated attempts too frequently or exceeding its amount limit.", false)
}

// fraudulent is Radar's block of 4100000000000019: "card errors with an
// error code of fraud" (docs); [I] card_declined / fraudulent (ref §1.3).
func fraudulent() Decline { return cardDeclined("fraudulent", yourCardWasDeclined, true) }

func expiredCard() Decline {
	return Decline{Type: apierr.TypeCard, Code: "expired_card", Message: "Your card has expired.", Hard: true}
}

// incorrectCVC is soft [I]: the customer may correct it.
func incorrectCVC() Decline {
	return Decline{Type: apierr.TypeCard, Code: "incorrect_cvc", Message: "Your card's security code is incorrect."}
}

func processingError() Decline {
	return Decline{Type: apierr.TypeCard, Code: "processing_error",
		Message: "An error occurred while processing your card. Try again in a little bit."}
}

// authenticationRequired declines a charge that asks for 3D Secure where
// nobody can authenticate (Result.Unattended). The text is observed (ref
// §1.5); the code and decline code are both authentication_required [I]
// (ref §6.2).
func authenticationRequired() Decline {
	return Decline{Type: apierr.TypeCard, Code: "authentication_required", DeclineCode: "authentication_required",
		Message: "Your card was declined. This transaction requires authentication.", Hard: true}
}

func paymentAuthenticationFailure() Decline {
	return Decline{Type: apierr.TypeInvalidRequest, Code: "payment_intent_authentication_failure",
		Message: "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."}
}

// setupAuthenticationFailure's message is [I].
func setupAuthenticationFailure() Decline {
	return Decline{Type: apierr.TypeInvalidRequest, Code: "setup_intent_authentication_failure",
		Message: "The latest attempt to set up the payment method has failed because authentication failed."}
}

// NetworkStatus is charge.outcome.network_status.
type NetworkStatus string

const (
	ApprovedByNetwork NetworkStatus = "approved_by_network"
	DeclinedByNetwork NetworkStatus = "declined_by_network"
	NotSentToNetwork  NetworkStatus = "not_sent_to_network"
)

// RiskLevel is charge.outcome.risk_level.
type RiskLevel string

const (
	RiskNormal  RiskLevel = "normal"
	RiskHighest RiskLevel = "highest"
)

// OutcomeType is charge.outcome.type.
type OutcomeType string

const (
	Authorized     OutcomeType = "authorized"
	IssuerDeclined OutcomeType = "issuer_declined"
	Blocked        OutcomeType = "blocked"
)

// Outcome is a charge's outcome (charge.outcome without risk_score, which
// RiskScore derives from the card's fingerprint, and without rule, which the
// emulator leaves out).
type Outcome struct {
	NetworkStatus NetworkStatus
	// Reason is "" (null) for an authorised charge, the decline code (or the
	// code where there is none) for a declined one.
	Reason        string
	RiskLevel     RiskLevel
	SellerMessage string
	Type          OutcomeType
}

// authorized is a successful charge's outcome (ref §2.5, observed).
func authorized() Outcome {
	return Outcome{NetworkStatus: ApprovedByNetwork, RiskLevel: RiskNormal, SellerMessage: "Payment complete.", Type: Authorized}
}

// blocked is Radar's block [I]: never sent to the network, highest risk; the
// seller message is [I].
func blocked() Outcome {
	return Outcome{NetworkStatus: NotSentToNetwork, Reason: "highest_risk_level", RiskLevel: RiskHighest,
		SellerMessage: "Stripe blocked this payment as too risky.", Type: Blocked}
}

// issuerDeclined is the outcome of a charge the issuer declined with d (ref
// §1.3, from a 2025 charge.failed capture): the reason is the decline code,
// or the code where there is none; the seller message names it, except for
// generic_decline.
func issuerDeclined(d Decline) Outcome {
	reason := d.DeclineCode
	if reason == "" {
		reason = d.Code
	}
	msg := "The bank returned the decline code `" + reason + "`."
	if reason == "generic_decline" {
		msg = "The bank did not return any further details with this decline."
	}
	return Outcome{NetworkStatus: DeclinedByNetwork, Reason: reason, RiskLevel: RiskNormal, SellerMessage: msg, Type: IssuerDeclined}
}

// RiskScore is charge.outcome.risk_score [I]: a number stable for a
// fingerprint, within the band of the risk level (Stripe's bands: normal
// below 65, highest from 75).
func (o Outcome) RiskScore(fingerprint string) int64 {
	h := fnv.New32a()
	h.Write([]byte(fingerprint))
	n := int64(h.Sum32())
	if o.RiskLevel == RiskHighest {
		return 75 + n%25
	}
	return n % 65
}
