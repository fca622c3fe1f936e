package apierr

import (
	"encoding/json"
	"strings"
	"testing"
)

// envelope writes the error object as the response adapter will: the
// members in order, strings as JSON strings, embedded objects as they are.
func envelope(t *testing.T, e *Error, logURL string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"error":{`)
	for i, m := range e.Members(logURL) {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		if m.Raw != nil {
			b.Write(m.Raw)
			continue
		}
		v, err := json.Marshal(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(v)
	}
	b.WriteString(`}}`)
	return b.String()
}

// TestCardEnvelope pins the 402 envelopes of ref §6.1 (the ofn cassettes:
// keys in alphabetical order, decline_code only for card_declined, param only
// for expired_card and incorrect_cvc, doc_url from the code) and design-16
// §2.3 (which objects each place embeds). The embedded objects stand for
// what the server renders.
func TestCardEnvelope(t *testing.T) {
	const (
		log = "http://127.0.0.1:12111/_emulator/requests/req_1"
		pi  = `{"id":"pi_1","object":"payment_intent","status":"requires_payment_method"}`
		pm  = `{"id":"pm_1","object":"payment_method"}`
		si  = `{"id":"seti_1","object":"setup_intent"}`
	)
	rendered := func(e *Error) *Error {
		if e.PaymentIntent.ID != "" {
			e.PaymentIntent.JSON = []byte(pi)
		}
		if e.PaymentMethod.ID != "" {
			e.PaymentMethod.JSON = []byte(pm)
		}
		if e.SetupIntent.ID != "" {
			e.SetupIntent.JSON = []byte(si)
		}
		return e
	}
	for _, tt := range []struct {
		name   string
		err    *Error
		logURL string
		want   string
	}{
		{"PaymentIntent confirm, generic decline (ref §6.1)",
			rendered(Card("card_declined", "generic_decline", "Your card was declined.").WithCharge("ch_1").WithPaymentIntent("pi_1").WithPaymentMethod("pm_1")), log,
			`{"error":{"charge":"ch_1","code":"card_declined","decline_code":"generic_decline","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card was declined.","payment_intent":` + pi + `,"payment_method":` + pm + `,"request_log_url":"` + log + `","type":"card_error"}}`},
		{"expired card: param exp_month, no decline_code even when given one",
			rendered(Card("expired_card", "expired_card", "Your card has expired.").WithCharge("ch_1").WithPaymentIntent("pi_1").WithPaymentMethod("pm_1")), log,
			`{"error":{"charge":"ch_1","code":"expired_card","doc_url":"https://stripe.com/docs/error-codes/expired-card","message":"Your card has expired.","param":"exp_month","payment_intent":` + pi + `,"payment_method":` + pm + `,"request_log_url":"` + log + `","type":"card_error"}}`},
		{"incorrect CVC: param cvc",
			Card("incorrect_cvc", "", "Your card's security code is incorrect.").WithCharge("ch_1"), "",
			`{"error":{"charge":"ch_1","code":"incorrect_cvc","doc_url":"https://stripe.com/docs/error-codes/incorrect-cvc","message":"Your card's security code is incorrect.","param":"cvc","type":"card_error"}}`},
		{"processing error: neither param nor decline_code",
			Card("processing_error", "", "An error occurred while processing your card. Try again in a little bit.").WithCharge("ch_1"), "",
			`{"error":{"charge":"ch_1","code":"processing_error","doc_url":"https://stripe.com/docs/error-codes/processing-error","message":"An error occurred while processing your card. Try again in a little bit.","type":"card_error"}}`},
		{"SetupIntent confirm: setup_intent and payment_method, no charge",
			rendered(Card("card_declined", "insufficient_funds", "Your card has insufficient funds.").WithSetupIntent("seti_1").WithPaymentMethod("pm_1")), log,
			`{"error":{"code":"card_declined","decline_code":"insufficient_funds","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card has insufficient funds.","payment_method":` + pm + `,"request_log_url":"` + log + `","setup_intent":` + si + `,"type":"card_error"}}`},
		{"attach: the payment method alone",
			rendered(Card("card_declined", "lost_card", "Your card was declined.").WithPaymentMethod("pm_1")), log,
			`{"error":{"code":"card_declined","decline_code":"lost_card","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card was declined.","payment_method":` + pm + `,"request_log_url":"` + log + `","type":"card_error"}}`},
		{"off-session authentication: decline_code authentication_required too",
			Card("authentication_required", "authentication_required", "Your card was declined. This transaction requires authentication.").WithCharge("ch_1"), "",
			`{"error":{"charge":"ch_1","code":"authentication_required","decline_code":"authentication_required","doc_url":"https://stripe.com/docs/error-codes/authentication-required","message":"Your card was declined. This transaction requires authentication.","type":"card_error"}}`},
		{"create-time number check: param number",
			Card("incorrect_number", "", "Your card number is incorrect."), log,
			`{"error":{"code":"incorrect_number","doc_url":"https://stripe.com/docs/error-codes/incorrect-number","message":"Your card number is incorrect.","param":"number","request_log_url":"` + log + `","type":"card_error"}}`},
		{"invoice pay on a 3DS card (ref §3e)",
			rendered(InvoiceRequiresAction().WithPaymentIntent("pi_1")), log,
			`{"error":{"code":"invoice_payment_intent_requires_action","doc_url":"https://stripe.com/docs/error-codes/invoice-payment-intent-requires-action","message":"This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice. For more details see: https://stripe.com/docs/billing/subscriptions/overview#requires-action","payment_intent":` + pi + `,"request_log_url":"` + log + `","type":"card_error"}}`},
		{"error_if_incomplete on a 3DS card (ref §3c): nothing embedded",
			SubscriptionRequiresAction(), log,
			`{"error":{"code":"subscription_payment_intent_requires_action","doc_url":"https://stripe.com/docs/error-codes/subscription-payment-intent-requires-action","message":"Payment for this subscription requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with ` + "`subscription.latest_invoice`" + `. Additional information is available here: https://stripe.com/docs/billing/subscriptions/overview#requires-action","request_log_url":"` + log + `","type":"card_error"}}`},
		{"an object named but not rendered is left out",
			Card("card_declined", "generic_decline", "Your card was declined.").WithPaymentIntent("pi_1"), "",
			`{"error":{"code":"card_declined","decline_code":"generic_decline","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card was declined.","type":"card_error"}}`},
		{"an ordinary error: the members the adapter writes today",
			InvalidRequest("resource_missing", "customer", "No such customer: 'cus_1'"), log,
			`{"error":{"code":"resource_missing","doc_url":"https://stripe.com/docs/error-codes/resource-missing","message":"No such customer: 'cus_1'","param":"customer","request_log_url":"` + log + `","type":"invalid_request_error"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := envelope(t, tt.err, tt.logURL); got != tt.want {
				t.Errorf("envelope\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(tt.want)) {
				t.Errorf("the expected envelope is not JSON")
			}
			if tt.err.Type == TypeCard {
				if tt.err.Status != 402 {
					t.Errorf("status %d, want 402", tt.err.Status)
				}
				if tt.err.ShouldRetry == nil || *tt.err.ShouldRetry {
					t.Errorf("Stripe-Should-Retry %v, want false", tt.err.ShouldRetry)
				}
			}
		})
	}
}

// A card error as an intent's last_payment_error: no request_log_url, the
// payment method embedded (ref §6.1's inner object).
func TestCardErrorAsLastPaymentError(t *testing.T) {
	e := Card("card_declined", "generic_decline", "Your card was declined.").WithCharge("ch_1").WithPaymentMethod("pm_1")
	e.PaymentMethod.JSON = []byte(`{"id":"pm_1"}`)
	want := `{"error":{"charge":"ch_1","code":"card_declined","decline_code":"generic_decline","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card was declined.","payment_method":{"id":"pm_1"},"type":"card_error"}}`
	if got := envelope(t, e, ""); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestCardParam: param only for the card errors about one field, by the
// name Stripe gives (ref §6.1; design-16 §2.2), and decline_code only for
// card_declined and authentication_required.
func TestCardParam(t *testing.T) {
	for _, tt := range []struct{ code, param, declineCode string }{
		{"card_declined", "", "generic_decline"},
		{"authentication_required", "", "authentication_required"},
		{"expired_card", "exp_month", ""},
		{"incorrect_cvc", "cvc", ""},
		{"invalid_cvc", "cvc", ""},
		{"invalid_expiry_month", "exp_month", ""},
		{"invalid_expiry_year", "exp_year", ""},
		{"incorrect_number", "number", ""},
		{"invalid_number", "number", ""},
		{"processing_error", "", ""},
		{"invoice_payment_intent_requires_action", "", ""},
	} {
		given := tt.declineCode
		if given == "" {
			given = "generic_decline" // dropped
		}
		e := Card(tt.code, given, "m")
		if e.Param != tt.param || e.DeclineCode != tt.declineCode {
			t.Errorf("%s: param %q decline_code %q, want %q %q", tt.code, e.Param, e.DeclineCode, tt.param, tt.declineCode)
		}
	}
}
