package cards

import (
	"slices"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// A cell of the expected tables: "ok" (Succeeded), "action"
// (RequiresAction), or the name of a decline in wantDeclines.
const (
	ok     = "ok"
	action = "action"
)

// wantDecline is a decline as ref §1.3 words it, and the outcome of a charge
// it declines.
type wantDecline struct {
	code, declineCode, param, message string
	hard                              bool
	reason, sellerMessage             string
}

var wantDeclines = map[string]wantDecline{
	"generic":      {"card_declined", "generic_decline", "", "Your card was declined.", false, "generic_decline", "The bank did not return any further details with this decline."},
	"insufficient": {"card_declined", "insufficient_funds", "", "Your card has insufficient funds.", false, "insufficient_funds", "The bank returned the decline code `insufficient_funds`."},
	"lost":         {"card_declined", "lost_card", "", "Your card was declined.", true, "lost_card", "The bank returned the decline code `lost_card`."},
	"stolen":       {"card_declined", "stolen_card", "", "Your card was declined.", true, "stolen_card", "The bank returned the decline code `stolen_card`."},
	"expired":      {"expired_card", "", "exp_month", "Your card has expired.", true, "expired_card", "The bank returned the decline code `expired_card`."},
	"cvc":          {"incorrect_cvc", "", "cvc", "Your card's security code is incorrect.", false, "incorrect_cvc", "The bank returned the decline code `incorrect_cvc`."},
	"processing":   {"processing_error", "", "", "An error occurred while processing your card. Try again in a little bit.", false, "processing_error", "The bank returned the decline code `processing_error`."},
	"velocity":     {"card_declined", "card_velocity_exceeded", "", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.", false, "card_velocity_exceeded", "The bank returned the decline code `card_velocity_exceeded`."},
	// Radar's block: the charge is never sent ([I] outcome, seller message).
	"fraudulent": {"card_declined", "fraudulent", "", "Your card was declined.", true, "highest_risk_level", "Stripe blocked this payment as too risky."},
}

// wantCard is a row of design-16 §2.2: what the card renders as, the ids that
// name it, and what it does at attach, setup, on-session, off-session,
// off-session once set up, and on-session once authentication is completed
// ("" where it never asks).
type wantCard struct {
	key, number, brand, display, funding, country string
	no3DS                                         bool
	pms, tokens                                   []string
	attach, setup, on, off, offSetUp, afterAuth   string
}

func succeeds(key, number, brand, display, funding, country string, pms, tokens []string) wantCard {
	return wantCard{key: key, number: number, brand: brand, display: display, funding: funding, country: country,
		pms: pms, tokens: tokens, attach: ok, setup: ok, on: ok, off: ok, offSetUp: ok}
}

func visaWant(key, number, country string, pms, tokens []string, cells ...string) wantCard {
	w := succeeds(key, number, "visa", "visa", "credit", country, pms, tokens)
	if len(cells) == 6 {
		w.attach, w.setup, w.on, w.off, w.offSetUp, w.afterAuth = cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]
	}
	return w
}

func ss(s ...string) []string { return s }

var wantCards = []wantCard{
	// Cards that succeed (ref §1.2; docs.stripe.com/testing for the three
	// country cards).
	succeeds("visa", "4242424242424242", "visa", "visa", "credit", "US", ss("pm_card_visa"), ss("tok_visa")),
	succeeds("visa_debit", "4000056655665556", "visa", "visa", "debit", "US", ss("pm_card_visa_debit"), ss("tok_visa_debit")),
	succeeds("mastercard", "5555555555554444", "mastercard", "mastercard", "credit", "US", ss("pm_card_mastercard"), ss("tok_mastercard")),
	succeeds("mastercard_2series", "2223003122003222", "mastercard", "mastercard", "credit", "US", nil, nil),
	succeeds("mastercard_debit", "5200828282828210", "mastercard", "mastercard", "debit", "US", ss("pm_card_mastercard_debit"), ss("tok_mastercard_debit")),
	succeeds("mastercard_prepaid", "5105105105105100", "mastercard", "mastercard", "prepaid", "US", ss("pm_card_mastercard_prepaid"), ss("tok_mastercard_prepaid")),
	succeeds("amex", "371449635398431", "amex", "american_express", "credit", "US", ss("pm_card_amex"), ss("tok_amex")),
	func() wantCard {
		w := succeeds("amex_threeDSecureNotSupported", "378282246310005", "amex", "american_express", "credit", "US",
			ss("pm_card_amex_threeDSecureNotSupported"), ss("tok_amex_threeDSecureNotSupported"))
		w.no3DS = true
		return w
	}(),
	succeeds("discover", "6011111111111117", "discover", "discover", "credit", "US", ss("pm_card_discover"), ss("tok_discover")),
	succeeds("discover_2", "6011000990139424", "discover", "discover", "credit", "US", nil, nil),
	succeeds("discover_debit", "6011981111111113", "discover", "discover", "debit", "US", nil, nil),
	succeeds("diners", "3056930009020004", "diners", "diners_club", "credit", "US", ss("pm_card_diners"), ss("tok_diners")),
	succeeds("diners_14digit", "36227206271667", "diners", "diners_club", "credit", "US", nil, nil),
	succeeds("jcb", "3566002020360505", "jcb", "jcb", "credit", "JP", ss("pm_card_jcb"), ss("tok_jcb")),
	succeeds("unionpay", "6200000000000005", "unionpay", "union_pay", "credit", "CN", ss("pm_card_unionpay"), ss("tok_unionpay")),
	succeeds("unionpay_debit", "6200000000000047", "unionpay", "union_pay", "debit", "CN", nil, nil),
	succeeds("unionpay_19digit", "6205500000000000004", "unionpay", "union_pay", "credit", "CN", nil, nil),
	succeeds("ca", "4000001240000000", "visa", "visa", "credit", "CA", ss("pm_card_ca"), ss("tok_ca")),
	succeeds("gb", "4000008260000000", "visa", "visa", "credit", "GB", ss("pm_card_gb"), ss("tok_gb")),
	succeeds("de", "4000002760000016", "visa", "visa", "credit", "DE", ss("pm_card_de"), ss("tok_de")),

	// Cards that decline at attach, setup and every charge (ref §1.3).
	visaWant("chargeDeclined", "4000000000000002", "US", ss("pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"), ss("tok_visa_chargeDeclined"),
		"generic", "generic", "generic", "generic", "generic", ""),
	visaWant("chargeDeclinedInsufficientFunds", "4000000000009995", "US",
		ss("pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds"), ss("tok_visa_chargeDeclinedInsufficientFunds"),
		"insufficient", "insufficient", "insufficient", "insufficient", "insufficient", ""),
	visaWant("chargeDeclinedLostCard", "4000000000009987", "US", ss("pm_card_visa_chargeDeclinedLostCard"), ss("tok_visa_chargeDeclinedLostCard"),
		"lost", "lost", "lost", "lost", "lost", ""),
	visaWant("chargeDeclinedStolenCard", "4000000000009979", "US", ss("pm_card_visa_chargeDeclinedStolenCard"), ss("tok_visa_chargeDeclinedStolenCard"),
		"stolen", "stolen", "stolen", "stolen", "stolen", ""),
	visaWant("chargeDeclinedExpiredCard", "4000000000000069", "US", ss("pm_card_chargeDeclinedExpiredCard"),
		ss("tok_chargeDeclinedExpiredCard", "tok_visa_chargeDeclinedExpiredCard"),
		"expired", "expired", "expired", "expired", "expired", ""),
	visaWant("chargeDeclinedIncorrectCvc", "4000000000000127", "US", ss("pm_card_chargeDeclinedIncorrectCvc"),
		ss("tok_chargeDeclinedIncorrectCvc", "tok_visa_chargeDeclinedIncorrectCvc"),
		"cvc", "cvc", "cvc", "cvc", "cvc", ""),
	visaWant("chargeDeclinedProcessingError", "4000000000000119", "US", ss("pm_card_chargeDeclinedProcessingError"),
		ss("tok_chargeDeclinedProcessingError", "tok_visa_chargeDeclinedProcessingError"),
		"processing", "processing", "processing", "processing", "processing", ""),
	visaWant("chargeDeclinedVelocityLimitExceeded", "4000000000006975", "US", ss("pm_card_visa_chargeDeclinedVelocityLimitExceeded"),
		ss("tok_visa_chargeDeclinedVelocityLimitExceeded"),
		"velocity", "velocity", "velocity", "velocity", "velocity", ""),
	// Radar attaches and sets up, and blocks every charge ([I], ref §1.3).
	visaWant("radarBlock", "4100000000000019", "US", ss("pm_card_radarBlock"), ss("tok_visa_chargeDeclinedFraudulent", "tok_radarBlock"),
		ok, ok, "fraudulent", "fraudulent", "fraudulent", ""),

	// Attaches, then every charge declines (ref §1.4; the decline codes [I]).
	visaWant("chargeCustomerFail", "4000000000000341", "US", ss("pm_card_chargeCustomerFail"), ss("tok_chargeCustomerFail", "tok_visa_chargeCustomerFail"),
		ok, ok, "generic", "generic", "generic", ""),
	visaWant("chargeCustomerFailLostCard", "4000000000000341", "US", nil, ss("tok_visa_chargeCustomerFailLostCard"),
		ok, ok, "lost", "lost", "lost", ""),
	visaWant("chargeCustomerFailStolenCard", "4000000000000341", "US", nil, ss("tok_visa_chargeCustomerFailStolenCard"),
		ok, ok, "stolen", "stolen", "stolen", ""),

	// 3D Secure (ref §1.5, design-16 §2.2). Countries FR, DE, IT, GB are the
	// emulator's choice (the numeric code in the number).
	visaWant("authenticationRequiredOnSetup", "4000002500003155", "FR", ss("pm_card_authenticationRequiredOnSetup"), nil,
		ok, action, action, action, ok, ok),
	visaWant("authenticationRequired", "4000002760003184", "DE", ss("pm_card_authenticationRequired"), nil,
		ok, action, action, action, action, ok),
	// The setup asking is the emulator's choice.
	visaWant("authenticationRequiredSetupForOffSession", "4000003800000446", "IT", ss("pm_card_authenticationRequiredSetupForOffSession"), nil,
		ok, action, action, ok, ok, ok),
	// Off-session declined outright: docs.stripe.com/testing ("requires
	// authentication for one-time payments. All payments are declined").
	visaWant("authenticationRequiredChargeDeclinedInsufficientFunds", "4000008260003178", "GB",
		ss("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"), nil,
		ok, action, action, "insufficient", "insufficient", "insufficient"),
	visaWant("threeDSecure2Required", "4000000000003220", "IE", ss("pm_card_threeDSecure2Required"), ss("tok_threeDSecure2Required"),
		ok, action, action, action, action, ok),
	visaWant("threeDSecureRequiredChargeDeclined", "4000008400001629", "US", ss("pm_card_threeDSecureRequiredChargeDeclined"), ss("tok_threeDSecureRequiredChargeDeclined"),
		ok, action, action, action, action, "generic"),
	visaWant("threeDSecureRequiredProcessingError", "4000008400001280", "US", ss("pm_card_threeDSecureRequiredProcessingError"), ss("tok_threeDSecureRequiredProcessingError"),
		ok, "generic", "generic", "generic", "generic", ""),
	visaWant("threeDSecureOptional", "4000000000003055", "US", ss("pm_card_threeDSecureOptional"), ss("tok_threeDSecureOptional")),
	visaWant("threeDSecureOptionalProcessingError", "4000000000003097", "US", ss("pm_card_threeDSecureOptionalProcessingError"), ss("tok_threeDSecureOptionalProcessingError")),

	// Asynchronous refunds and address checks: they charge like pm_card_visa.
	visaWant("pendingRefund", "4000000000007726", "US", ss("pm_card_pendingRefund"), ss("tok_pendingRefund")),
	visaWant("refundFail", "4000000000005126", "US", ss("pm_card_refundFail"), ss("tok_refundFail")),
	visaWant("avsFail", "4000000000000010", "US", ss("pm_card_avsFail"), ss("tok_avsFail")),
	visaWant("avsLine1Fail", "4000000000000028", "US", ss("pm_card_avsLine1Fail"), ss("tok_avsLine1Fail")),
	visaWant("avsZipFail", "4000000000000036", "US", ss("pm_card_avsZipFail"), ss("tok_avsZipFail")),
	visaWant("avsUnchecked", "4000000000000044", "US", ss("pm_card_avsUnchecked"), ss("tok_avsUnchecked")),
}

// TestCatalogue walks every card of the catalogue through every moment and
// checks it against the expected tables, and that every card has its row.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range wantCards {
		t.Run(w.key, func(t *testing.T) {
			if seen[w.key] {
				t.Fatalf("%s listed twice in the test", w.key)
			}
			seen[w.key] = true
			c, found := ByKey(w.key)
			if !found {
				t.Fatalf("no card %s", w.key)
			}
			if c.Number != w.number || c.Brand != w.brand || c.DisplayBrand != w.display || c.Funding != w.funding || c.Country != w.country {
				t.Errorf("card %s %s/%s %s %s, want %s %s/%s %s %s", c.Number, c.Brand, c.DisplayBrand, c.Funding, c.Country,
					w.number, w.brand, w.display, w.funding, w.country)
			}
			if c.ThreeDSecureSupported == w.no3DS {
				t.Errorf("three_d_secure_usage.supported %v", c.ThreeDSecureSupported)
			}
			if c.Last4() != w.number[len(w.number)-4:] {
				t.Errorf("last4 %s", c.Last4())
			}
			if !luhn(c.Number) {
				t.Errorf("%s fails the Luhn check", c.Number)
			}
			for _, id := range w.pms {
				if got, ok := ByPaymentMethod(id); !ok || got.Key != w.key {
					t.Errorf("ByPaymentMethod(%s) = %s, %v", id, got.Key, ok)
				}
			}
			for _, tok := range w.tokens {
				if got, ok := ByToken(tok); !ok || got.Key != w.key {
					t.Errorf("ByToken(%s) = %s, %v", tok, got.Key, ok)
				}
			}
			for _, m := range []struct {
				name   string
				moment Moment
				setUp  bool
				want   string
			}{
				{"attach", Attach, false, w.attach},
				{"setup", Setup, false, w.setup},
				{"on-session", OnSession, false, w.on},
				{"on-session, set up", OnSession, true, w.on},
				{"off-session", OffSession, false, w.off},
				{"off-session, set up", OffSession, true, w.offSetUp},
			} {
				checkResult(t, m.name, c, c.Evaluate(m.moment, m.setUp), m.moment, m.want)
			}
			if w.on == action {
				checkResult(t, "on-session, authenticated", c, c.Authenticated(OnSession, true), OnSession, w.afterAuth)
			}
			if w.setup == action {
				checkResult(t, "setup, authenticated", c, c.Authenticated(Setup, true), Setup, ok)
			}
		})
	}
	for _, e := range entries {
		if !seen[e.card.Key] {
			t.Errorf("card %s has no row in the test", e.card.Key)
		}
	}
}

// checkResult compares a result with an expected cell.
func checkResult(t *testing.T, moment string, c Card, r Result, m Moment, want string) {
	t.Helper()
	switch want {
	case ok:
		if r.Status != Succeeded {
			t.Errorf("%s: %s (%s), want succeeded", moment, r.Status, r.Decline.Code)
		}
		if m.charges() && r.Outcome != authorized() {
			t.Errorf("%s: outcome %+v, want authorized", moment, r.Outcome)
		}
		if !m.charges() && r.Charged() {
			t.Errorf("%s: charged", moment)
		}
	case action:
		if r.Status != RequiresAction || r.Charged() {
			t.Errorf("%s: %s (charged %v), want requires_action without a charge", moment, r.Status, r.Charged())
		}
	default:
		d, found := wantDeclines[want]
		if !found {
			t.Fatalf("no decline %q", want)
		}
		if r.Status != Declined {
			t.Errorf("%s: %s, want declined %s", moment, r.Status, want)
			return
		}
		e := r.Decline.APIError()
		if r.Decline.Type != apierr.TypeCard || e.Code != d.code || e.DeclineCode != d.declineCode || e.Param != d.param || e.Message != d.message || r.Decline.Hard != d.hard {
			t.Errorf("%s: %s %s/%s param %q %q hard %v, want %s/%s param %q %q hard %v", moment, r.Decline.Type, e.Code, e.DeclineCode, e.Param, e.Message, r.Decline.Hard,
				d.code, d.declineCode, d.param, d.message, d.hard)
		}
		if e.Status != 402 {
			t.Errorf("%s: status %d", moment, e.Status)
		}
		if !m.charges() {
			if r.Charged() {
				t.Errorf("%s: a declined %s made a charge", moment, m)
			}
			return
		}
		o := r.Outcome
		wantNetwork, wantType, wantRisk := DeclinedByNetwork, IssuerDeclined, RiskNormal
		if want == "fraudulent" {
			wantNetwork, wantType, wantRisk = NotSentToNetwork, Blocked, RiskHighest
		}
		if o.NetworkStatus != wantNetwork || o.Type != wantType || o.RiskLevel != wantRisk || o.Reason != d.reason || o.SellerMessage != d.sellerMessage {
			t.Errorf("%s: outcome %+v, want %s %s %s %s %q", moment, o, wantNetwork, wantType, wantRisk, d.reason, d.sellerMessage)
		}
	}
}

// TestIdentifiers: every id and token is well formed and names one card,
// and a raw number finds the first card listed with it.
func TestIdentifiers(t *testing.T) {
	keys, pms, toks := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		if keys[e.card.Key] {
			t.Errorf("key %s twice", e.card.Key)
		}
		keys[e.card.Key] = true
		for _, id := range e.pms {
			if !strings.HasPrefix(id, "pm_card_") || pms[id] {
				t.Errorf("PaymentMethod id %s malformed or twice", id)
			}
			pms[id] = true
		}
		for _, tok := range e.tokens {
			if !strings.HasPrefix(tok, "tok_") || toks[tok] {
				t.Errorf("token %s malformed or twice", tok)
			}
			toks[tok] = true
		}
	}
	for _, tt := range []struct{ number, key string }{
		{"4242424242424242", "visa"},
		{"4000000000000341", "chargeCustomerFail"}, // not the lost or stolen token variants
		{"378282246310005", "amex_threeDSecureNotSupported"},
		{"371449635398431", "amex"},
		{"2223003122003222", "mastercard_2series"},
	} {
		if c, found := ByNumber(tt.number); !found || c.Key != tt.key {
			t.Errorf("ByNumber(%s) = %s, %v, want %s", tt.number, c.Key, found, tt.key)
		}
	}
	for _, unknown := range []string{"", "pm_card_nope", "tok_nope", "4111111111111111", "visa "} {
		_, a := ByKey(unknown)
		_, b := ByPaymentMethod(unknown)
		_, c := ByToken(unknown)
		_, d := ByNumber(unknown)
		if a || b || c || d {
			t.Errorf("%q found (%v %v %v %v)", unknown, a, b, c, d)
		}
	}
	// A card is a copy: changing it changes nothing in the catalogue.
	c, _ := ByPaymentMethod("pm_card_visa")
	c.Number, c.charge = "4000000000000002", genericDecline()
	if again, _ := ByPaymentMethod("pm_card_visa"); again.Number != "4242424242424242" || again.Evaluate(OnSession, false).Status != Succeeded {
		t.Errorf("the catalogue changed through a copy")
	}
}

// TestAuthenticationFailed: a failed 3D Secure makes no charge and leaves the
// intent the authentication failure of ref §1.5 (an invalid_request_error,
// not a 402).
func TestAuthenticationFailed(t *testing.T) {
	for _, tt := range []struct {
		key    string
		moment Moment
		code   string
	}{
		{"authenticationRequired", OnSession, "payment_intent_authentication_failure"},
		{"authenticationRequired", OffSession, "payment_intent_authentication_failure"},
		{"authenticationRequiredChargeDeclinedInsufficientFunds", OnSession, "payment_intent_authentication_failure"},
		{"authenticationRequiredOnSetup", Setup, "setup_intent_authentication_failure"},
		{"threeDSecure2Required", Setup, "setup_intent_authentication_failure"},
	} {
		t.Run(tt.key+"/"+tt.moment.String(), func(t *testing.T) {
			c, _ := ByKey(tt.key)
			r := c.Authenticated(tt.moment, false)
			if r.Status != Declined || r.Charged() || r.Decline.Code != tt.code || r.Decline.Type != apierr.TypeInvalidRequest || r.Decline.DeclineCode != "" {
				t.Fatalf("%+v", r)
			}
			if e := r.Decline.APIError(); e.Type != apierr.TypeInvalidRequest || e.Code != tt.code || e.Message != r.Decline.Message || e.Param != "" {
				t.Errorf("as an error: %+v", e)
			}
		})
	}
}

// TestUnattended: where nobody can authenticate, a card that asks is
// declined authentication_required (a charge, ref §1.5); other results pass
// through.
func TestUnattended(t *testing.T) {
	c, _ := ByKey("authenticationRequired")
	r := c.Evaluate(OffSession, true).Unattended()
	e := r.Decline.APIError()
	if r.Status != Declined || e.Code != "authentication_required" || e.DeclineCode != "authentication_required" || e.Status != 402 ||
		e.Message != "Your card was declined. This transaction requires authentication." || !r.Decline.Hard {
		t.Errorf("unattended: %+v %+v", r, e)
	}
	if r.Outcome.Type != IssuerDeclined || r.Outcome.Reason != "authentication_required" || r.Outcome.NetworkStatus != DeclinedByNetwork {
		t.Errorf("outcome %+v", r.Outcome)
	}
	for _, key := range []string{"visa", "chargeDeclined", "authenticationRequiredSetupForOffSession"} {
		c, _ := ByKey(key)
		if r := c.Evaluate(OffSession, false); r.Unattended() != r {
			t.Errorf("%s: Unattended changed %+v", key, r)
		}
	}
}

// TestChecks: a value not given is not checked; given, it is unchecked until
// verified, then passes, except on the cards that fail it (ref §1.3; docs).
func TestChecks(t *testing.T) {
	all := Provided{CVC: true, AddressLine1: true, AddressPostalCode: true}
	for _, tt := range []struct {
		key      string
		given    Provided
		verified bool
		want     Checks
	}{
		{"visa", Provided{}, true, Checks{}},
		{"visa", all, false, Checks{CheckUnchecked, CheckUnchecked, CheckUnchecked}},
		{"visa", all, true, Checks{CheckPass, CheckPass, CheckPass}},
		{"visa", Provided{CVC: true}, true, Checks{CVC: CheckPass}},
		{"chargeDeclinedIncorrectCvc", all, false, Checks{CheckUnchecked, CheckUnchecked, CheckUnchecked}},
		{"chargeDeclinedIncorrectCvc", all, true, Checks{CheckFail, CheckPass, CheckPass}},
		{"chargeDeclinedIncorrectCvc", Provided{}, true, Checks{}},
		{"avsFail", all, true, Checks{CheckPass, CheckFail, CheckFail}},
		{"avsLine1Fail", all, true, Checks{CheckPass, CheckFail, CheckPass}},
		{"avsZipFail", all, true, Checks{CheckPass, CheckPass, CheckFail}},
		{"avsZipFail", Provided{CVC: true, AddressLine1: true}, true, Checks{CVC: CheckPass, AddressLine1: CheckPass}},
		{"avsUnchecked", all, true, Checks{CheckPass, CheckUnavailable, CheckUnavailable}},
	} {
		c, _ := ByKey(tt.key)
		if got := c.Checks(tt.given, tt.verified); got != tt.want {
			t.Errorf("%s %+v verified %v: %+v, want %+v", tt.key, tt.given, tt.verified, got, tt.want)
		}
	}
}

// TestRefunds: refunds succeed at once and for good, except on the two
// asynchronous refund cards (docs.stripe.com/testing; the hour is ours).
func TestRefunds(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want Refund
	}{
		{"visa", Refund{Initial: RefundSucceeded}},
		{"chargeCustomerFail", Refund{Initial: RefundSucceeded}},
		{"pendingRefund", Refund{Initial: RefundPending, Later: RefundSucceeded, After: asyncRefundDelay}},
		{"refundFail", Refund{Initial: RefundSucceeded, Later: RefundFailed, After: asyncRefundDelay, FailureReason: "expired_or_canceled_card"}},
	} {
		c, _ := ByKey(tt.key)
		if got := c.Refund(); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.key, got, tt.want)
		}
	}
	refunding := 0
	for _, e := range entries {
		if e.card.Refund().Later != "" {
			refunding++
		}
	}
	if refunding != 2 {
		t.Errorf("%d cards refund asynchronously, want 2", refunding)
	}
}

func TestMomentsAndStatusesNamed(t *testing.T) {
	var names []string
	for _, m := range []Moment{Attach, Setup, OnSession, OffSession, 0} {
		names = append(names, m.String())
	}
	for _, s := range []Status{Succeeded, RequiresAction, Declined, 0} {
		names = append(names, s.String())
	}
	want := []string{"attach", "setup", "on_session", "off_session", "unknown", "succeeded", "requires_action", "declined", "unknown"}
	if !slices.Equal(names, want) {
		t.Errorf("%v", names)
	}
	// An unknown moment is no panic: a processing error, nothing charged.
	c, _ := ByKey("visa")
	if r := c.Evaluate(0, false); r.Status != Declined || r.Decline.Code != "processing_error" || r.Charged() {
		t.Errorf("%+v", r)
	}
}
