package cards

import (
	"strings"
	"testing"
	"time"
)

// TestValidate: a card entered by number at PaymentMethod create, each
// refusal the 402 card_error of design-16 §2.2 (codes and params by ref
// §1.1, §6.2; the texts marked there).
func TestValidate(t *testing.T) {
	// Each refusal's param and message, by code.
	refusals := map[string]struct{ param, message string }{
		"incorrect_number":     {"number", "Your card number is incorrect."},
		"card_declined":        {"", "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing."},
		"invalid_expiry_month": {"exp_month", "Your card's expiration month is invalid."},
		"invalid_expiry_year":  {"exp_year", "Your card's expiration year is invalid."},
		"invalid_cvc":          {"cvc", "Your card's security code is invalid."},
	}
	now := time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name              string
		in                Input
		key               string
		exp               Expiry
		code, declineCode string
	}{
		{name: "4242", in: Input{"4242424242424242", 12, 2030, "123"}, key: "visa", exp: Expiry{12, 2030}},
		{name: "no CVC", in: Input{"4242424242424242", 1, 2027, ""}, key: "visa", exp: Expiry{1, 2027}},
		{name: "two-digit year", in: Input{"5555555555554444", 8, 34, "123"}, key: "mastercard", exp: Expiry{8, 2034}},
		{name: "this month", in: Input{"4242424242424242", 3, 2026, "123"}, key: "visa", exp: Expiry{3, 2026}},
		{name: "50 years ahead", in: Input{"4242424242424242", 12, 2076, "123"}, key: "visa", exp: Expiry{12, 2076}},
		{name: "amex, four-digit CVC", in: Input{"378282246310005", 5, 2030, "1234"}, key: "amex_threeDSecureNotSupported", exp: Expiry{5, 2030}},
		{name: "a declining card is created (ref §1.1)", in: Input{"4000000000000002", 5, 2030, "123"}, key: "chargeDeclined", exp: Expiry{5, 2030}},
		{name: "0341 by number: the default of its cards", in: Input{"4000000000000341", 5, 2030, "123"}, key: "chargeCustomerFail", exp: Expiry{5, 2030}},

		{name: "Luhn fails", in: Input{"4242424242424241", 12, 2030, "123"}, code: "incorrect_number"},
		{name: "not digits", in: Input{"4242 4242 4242 4242", 12, 2030, "123"}, code: "incorrect_number"},
		{name: "too short", in: Input{"42424242424", 12, 2030, "123"}, code: "incorrect_number"},
		{name: "empty", in: Input{"", 12, 2030, "123"}, code: "incorrect_number"},
		{name: "a live card", in: Input{"4111111111111111", 12, 2030, "123"}, code: "card_declined", declineCode: "live_mode_test_card"},
		{name: "month 13", in: Input{"4242424242424242", 13, 2030, "123"}, code: "invalid_expiry_month"},
		{name: "month 0", in: Input{"4242424242424242", 0, 2030, "123"}, code: "invalid_expiry_month"},
		{name: "last year", in: Input{"4242424242424242", 12, 2025, "123"}, code: "invalid_expiry_year"},
		{name: "last month", in: Input{"4242424242424242", 2, 2026, "123"}, code: "invalid_expiry_year"},
		{name: "95 (the docs' example)", in: Input{"4242424242424242", 12, 95, "123"}, code: "invalid_expiry_year"},
		{name: "51 years ahead", in: Input{"4242424242424242", 12, 2077, "123"}, code: "invalid_expiry_year"},
		{name: "negative year", in: Input{"4242424242424242", 12, -1, "123"}, code: "invalid_expiry_year"},
		{name: "two-digit CVC (the docs' example)", in: Input{"4242424242424242", 12, 2030, "99"}, code: "invalid_cvc"},
		{name: "three-digit CVC on an amex", in: Input{"371449635398431", 12, 2030, "123"}, code: "invalid_cvc"},
		{name: "CVC not digits", in: Input{"4242424242424242", 12, 2030, "12a"}, code: "invalid_cvc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, exp, err := Validate(tt.in, now)
			if tt.code == "" {
				if err != nil || c.Key != tt.key || exp != tt.exp {
					t.Fatalf("%s %+v %v, want %s %+v", c.Key, exp, err, tt.key, tt.exp)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %s", c.Key)
			}
			want := refusals[tt.code]
			if err.Status != 402 || err.Type != "card_error" || err.Code != tt.code || err.DeclineCode != tt.declineCode || err.Param != want.param || err.Message != want.message {
				t.Errorf("%d %s %s/%s param %q %q", err.Status, err.Type, err.Code, err.DeclineCode, err.Param, err.Message)
			}
			if err.ShouldRetry == nil || *err.ShouldRetry {
				t.Errorf("Stripe-Should-Retry not false")
			}
		})
	}
}

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		n  string
		ok bool
	}{
		{"4242424242424242", true}, {"4242424242424241", false}, {"36227206271667", true}, {"6205500000000000004", true},
		{"62055000000000000040", false}, {"424242424242", true}, {"42424242424", false}, {"4242x24242424242", false},
	} {
		if got := luhn(tt.n); got != tt.ok {
			t.Errorf("luhn(%s) = %v", tt.n, got)
		}
	}
}

func TestDefaultExpiry(t *testing.T) {
	// The emulator's choice (ref §7.1): December of next year, in UTC.
	if got := DefaultExpiry(time.Date(2026, time.December, 31, 23, 30, 0, 0, time.FixedZone("x", -3600))); got != (Expiry{12, 2028}) {
		t.Errorf("%+v", got)
	}
	if got := DefaultExpiry(time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)); got != (Expiry{12, 2027}) {
		t.Errorf("%+v", got)
	}
}

// TestFingerprint: stable for a number in an account, another in another
// account or for another number; 16 base62 characters.
func TestFingerprint(t *testing.T) {
	a := Fingerprint("sk_test_a", "4242424242424242")
	for _, tt := range []struct {
		name    string
		fp      string
		sameAsA bool
	}{
		{"same number, same account", Fingerprint("sk_test_a", "4242424242424242"), true},
		{"same number, another account", Fingerprint("sk_test_b", "4242424242424242"), false},
		{"another number, same account", Fingerprint("sk_test_a", "5555555555554444"), false},
	} {
		if (tt.fp == a) != tt.sameAsA {
			t.Errorf("%s: %s vs %s", tt.name, tt.fp, a)
		}
		if len(tt.fp) != 16 || strings.Trim(tt.fp, base62) != "" {
			t.Errorf("%s: %q is not 16 base62 characters", tt.name, tt.fp)
		}
	}
}

// TestRiskScore: stable for a fingerprint, inside the band of its risk level
// (the scores themselves are the emulator's).
func TestRiskScore(t *testing.T) {
	for i := range 200 {
		fp := Fingerprint("acct", string(rune('a'+i%26))+strings.Repeat("x", i))
		n, h := authorized().RiskScore(fp), blocked().RiskScore(fp)
		if n < 0 || n > 64 || h < 75 || h > 99 {
			t.Fatalf("%s: normal %d, highest %d", fp, n, h)
		}
		if authorized().RiskScore(fp) != n {
			t.Fatalf("%s: not stable", fp)
		}
	}
}
