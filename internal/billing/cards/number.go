package cards

import (
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Input is a card as POST /v1/payment_methods gives it: card[number],
// card[exp_month], card[exp_year] (two or four digits) and card[cvc] ("" when
// not given). The caller has already refused missing parameters.
type Input struct {
	Number            string
	ExpMonth, ExpYear int64
	CVC               string
}

// Expiry is a card's exp_month and exp_year (four digits).
type Expiry struct {
	Month, Year int64
}

// maxYearsAhead is how far ahead an expiry may be (ref §1.1, observed).
const maxYearsAhead = 50

// Validate checks a card entered by number, as PaymentMethod create does,
// and answers its test card and expiry, or the 402 card_error Stripe gives
// (design-16 §2.2), checked in this order:
//   - not 12–19 digits, or failing the Luhn check: incorrect_number (ref
//     §1.3; [I] for what is not digits);
//   - a valid number that is no test card: card_declined /
//     live_mode_test_card (a familiar Stripe text, weakly observed);
//   - exp_month outside 1–12: invalid_expiry_month [I];
//   - an expiry before now or more than 50 years ahead: invalid_expiry_year;
//   - a CVC given that is not CVCLength digits: invalid_cvc [I].
//
// Declining cards pass: they decline at attach or confirm (ref §1.1).
func Validate(in Input, now time.Time) (Card, Expiry, *apierr.Error) {
	if !luhn(in.Number) {
		return Card{}, Expiry{}, apierr.Card("incorrect_number", "", "Your card number is incorrect.")
	}
	c, ok := ByNumber(in.Number)
	if !ok {
		return Card{}, Expiry{}, apierr.Card("card_declined", "live_mode_test_card",
			"Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.")
	}
	exp, err := ValidateExpiry(in.ExpMonth, in.ExpYear, now)
	if err != nil {
		return Card{}, Expiry{}, err
	}
	if in.CVC != "" && (len(in.CVC) != c.CVCLength() || !digits(in.CVC)) {
		return Card{}, Expiry{}, apierr.Card("invalid_cvc", "", "Your card's security code is invalid.")
	}
	return c, exp, nil
}

// ValidateExpiry checks an expiry as Validate does (a PaymentMethod update
// checks the one it sets the same way): exp_month outside 1–12 is
// invalid_expiry_month [I]; an expiry before now or more than 50 years ahead
// is invalid_expiry_year. A two-digit year is in this century.
func ValidateExpiry(month, year int64, now time.Time) (Expiry, *apierr.Error) {
	if month < 1 || month > 12 {
		return Expiry{}, apierr.Card("invalid_expiry_month", "", "Your card's expiration month is invalid.")
	}
	exp := Expiry{Month: month, Year: year}
	if exp.Year >= 0 && exp.Year < 100 {
		exp.Year += 2000
	}
	now = now.UTC()
	y, m := int64(now.Year()), int64(now.Month())
	if exp.Year < y || exp.Year == y && exp.Month < m || exp.Year > y+maxYearsAhead {
		return Expiry{}, apierr.Card("invalid_expiry_year", "", "Your card's expiration year is invalid.")
	}
	return exp, nil
}

// DefaultExpiry is the expiry of a card made from a pm_card_* id or a token
// [I] (ref §7.1: Stripe's is not known): December of next year.
func DefaultExpiry(now time.Time) Expiry {
	return Expiry{Month: 12, Year: int64(now.UTC().Year()) + 1}
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// luhn reports whether number is 12 to 19 digits that pass the Luhn check.
func luhn(number string) bool {
	if len(number) < 12 || len(number) > 19 || !digits(number) {
		return false
	}
	sum := 0
	for i := range len(number) {
		d := int(number[len(number)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Fingerprint is card.fingerprint [I]: 16 base62 characters of an
// HMAC-SHA256 of the number keyed by the account, so that one number has one
// fingerprint in an account (ref §1.6: two attaches of 4242 share it) and
// another in every other account, as on Stripe.
func Fingerprint(account, number string) string {
	m := hmac.New(sha256.New, []byte(account))
	m.Write([]byte(number))
	sum := m.Sum(nil)
	out := make([]byte, 16)
	for i := range out {
		out[i] = base62[int(sum[i])%len(base62)]
	}
	return string(out)
}
