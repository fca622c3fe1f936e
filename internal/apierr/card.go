package apierr

// The 402 card_error: declines, and the payments that need the customer to act
// (reference stripe-payments.md §6.1, §6.2; design-16 §2.3).

// statusPaymentRequired is net/http's StatusPaymentRequired.
const statusPaymentRequired = 402

// Embedded is an object a card error carries in full (the PaymentIntent, the
// PaymentMethod, the SetupIntent): the engine names it by ID, and the server
// renders it into JSON, at the request's API version, before the response
// adapter writes the envelope. An object named but not rendered is left out
// of the envelope.
type Embedded struct {
	ID   string
	JSON []byte
}

// cardParam is the param Stripe names for the card errors about one field
// (ref §6.1: exp_month for expired_card, cvc for incorrect_cvc; the create-time
// checks of design-16 §2.2). Every other card error has none.
var cardParam = map[string]string{
	"expired_card":         "exp_month",
	"incorrect_cvc":        "cvc",
	"incorrect_number":     "number",
	"invalid_cvc":          "cvc",
	"invalid_expiry_month": "exp_month",
	"invalid_expiry_year":  "exp_year",
	"invalid_number":       "number",
}

// hasDeclineCode reports whether a card error with this code carries a
// decline_code: card_declined (ref §6.1), and authentication_required, whose
// decline code is authentication_required too (ref §6.2, an inference).
func hasDeclineCode(code string) bool {
	return code == "card_declined" || code == "authentication_required"
}

// Card is the 402 card_error of a card that was declined, in the envelope of
// ref §6.1: code, decline_code only where hasDeclineCode says so, param only
// for the codes about a field, message as given (Stripe's words, which the
// caller has), doc_url from the code, and Stripe-Should-Retry: false (the same
// request would be declined again). The objects it embeds are added with
// WithCharge, WithPaymentIntent, WithPaymentMethod and WithSetupIntent.
func Card(code, declineCode, message string) *Error {
	e := &Error{Status: statusPaymentRequired, Type: TypeCard, Code: code, Param: cardParam[code], Message: message}
	if hasDeclineCode(code) {
		e.DeclineCode = declineCode
	}
	return e.NoRetry()
}

// InvoiceRequiresAction is the 402 of POST /v1/invoices/{id}/pay when the card
// asks for authentication (ref §3e, observed text); it embeds the invoice's
// PaymentIntent, left requires_action.
func InvoiceRequiresAction() *Error {
	return Card("invoice_payment_intent_requires_action", "",
		"This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice. For more details see: https://stripe.com/docs/billing/subscriptions/overview#requires-action")
}

// SubscriptionRequiresAction is the 402 of a subscription created with
// payment_behavior=error_if_incomplete whose first payment asks for
// authentication (ref §3c, observed text).
func SubscriptionRequiresAction() *Error {
	return Card("subscription_payment_intent_requires_action", "",
		"Payment for this subscription requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with `subscription.latest_invoice`. Additional information is available here: https://stripe.com/docs/billing/subscriptions/overview#requires-action")
}

// WithCharge names the failed charge (Stripe embeds its id, not the object).
func (e *Error) WithCharge(id string) *Error {
	e.Charge = id
	return e
}

// WithPaymentIntent names the PaymentIntent the server embeds in full.
func (e *Error) WithPaymentIntent(id string) *Error {
	e.PaymentIntent = Embedded{ID: id}
	return e
}

// WithPaymentMethod names the PaymentMethod the server embeds in full.
func (e *Error) WithPaymentMethod(id string) *Error {
	e.PaymentMethod = Embedded{ID: id}
	return e
}

// WithSetupIntent names the SetupIntent the server embeds in full (SetupIntent
// confirm failures embed it in place of a PaymentIntent).
func (e *Error) WithSetupIntent(id string) *Error {
	e.SetupIntent = Embedded{ID: id}
	return e
}

// WithCommit marks the error as one whose request commits what it did before
// failing: the server commits the transaction (and its events), then answers
// the error (design-16 D4: a declined confirm keeps its failed attempt, and
// an idempotent retry replays the error without charging again).
func (e *Error) WithCommit() *Error {
	e.Commit = true
	return e
}

// Member is one key of the "error" object: a string, or (Raw set) an object
// already rendered as JSON.
type Member struct {
	Key   string
	Value string
	Raw   []byte
}

// Members are the keys of the error object in the order Stripe sends them
// (alphabetical, ref §6.1), each present only when it has a value: charge,
// code, decline_code, doc_url, message, param, payment_intent, payment_method,
// request_log_url (logURL; "" for none), setup_intent, type. The same list,
// without a log URL, is the last_payment_error / last_setup_error an intent
// renders.
func (e *Error) Members(logURL string) []Member {
	m := make([]Member, 0, 11)
	str := func(k, v string) {
		if v != "" {
			m = append(m, Member{Key: k, Value: v})
		}
	}
	obj := func(k string, o Embedded) {
		if len(o.JSON) > 0 {
			m = append(m, Member{Key: k, Raw: o.JSON})
		}
	}
	str("charge", e.Charge)
	str("code", e.Code)
	str("decline_code", e.DeclineCode)
	str("doc_url", e.DocURL())
	m = append(m, Member{Key: "message", Value: e.Message})
	str("param", e.Param)
	obj("payment_intent", e.PaymentIntent)
	obj("payment_method", e.PaymentMethod)
	str("request_log_url", logURL)
	obj("setup_intent", e.SetupIntent)
	m = append(m, Member{Key: "type", Value: e.Type})
	return m
}
