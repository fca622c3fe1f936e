// Package billing is the emulator's billing domain, with no I/O: currencies,
// billing periods, and rating usage and quantities into invoice line amounts as
// Stripe does (per-unit, decimal unit amounts, package pricing through
// transform_quantity, graduated and volume tiers, rounding per line).
//
// Money is decimal.Decimal throughout and becomes an integer of the currency's
// minor unit only at the last step.
package calc

import (
	"strings"

	"github.com/shopspring/decimal"
)

// zeroDecimal are the currencies whose amounts have no minor unit (Stripe's list).
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// threeDecimal are the currencies with three decimal places.
var threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}

// Exponent is the number of decimal places of a currency's major unit.
func Exponent(currency string) int32 {
	c := strings.ToLower(currency)
	switch {
	case zeroDecimal[c]:
		return 0
	case threeDecimal[c]:
		return 3
	}
	return 2
}

// IsZeroDecimal reports whether amounts in the currency have no minor unit.
func IsZeroDecimal(currency string) bool { return zeroDecimal[strings.ToLower(currency)] }

// minimumCharge is the smallest amount Stripe charges, in the minor unit
// (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
var minimumCharge = map[string]int64{
	"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
	"eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200,
	"nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

// MinimumCharge is the smallest chargeable amount in the currency's minor unit;
// 50 minor units where Stripe lists none.
func MinimumCharge(currency string) int64 {
	if m, ok := minimumCharge[strings.ToLower(currency)]; ok {
		return m
	}
	return 50
}

// IsCurrency reports whether s looks like a currency code Stripe takes: three
// lowercase letters.
func IsCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

var symbols = map[string]string{
	"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "CN¥", "inr": "₹", "krw": "₩",
	"aud": "A$", "cad": "CA$", "nzd": "NZ$", "hkd": "HK$", "sgd": "SGD ", "chf": "CHF ", "brl": "R$", "mxn": "MX$",
}

// FormatMinor renders an amount given in the currency's minor unit as Stripe's
// invoice descriptions do: "$5,000.00", "$0.036", "¥1,000". At least the
// currency's decimal places are shown, more when the amount has them.
func FormatMinor(amount decimal.Decimal, currency string) string {
	exp := Exponent(currency)
	text := amount.Shift(-exp).String()
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	intPart, frac, _ := strings.Cut(text, ".")
	for len(frac) < int(exp) {
		frac += "0"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	sym, ok := symbols[strings.ToLower(currency)]
	if !ok {
		sym = strings.ToUpper(currency) + " "
	}
	b.WriteString(sym)
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
