package calc

import (
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dp(s string) *decimal.Decimal { v := d(s); return &v }

func i64(n int64) *int64 { return &n }

func total(cs []Component) int64 {
	var t int64
	for _, c := range cs {
		t += c.Amount
	}
	return t
}

func TestRatePerUnitAndPackage(t *testing.T) {
	alpaca := Price{Currency: "usd", UnitAmount: d("4"), DivideBy: 1000, RoundUp: true}
	alpacaDown := alpaca
	alpacaDown.RoundUp = false
	decimalUnit := Price{Currency: "usd", UnitAmount: d("0.004")}
	halfCent := Price{Currency: "usd", UnitAmount: d("0.5")}
	jpy := Price{Currency: "jpy", UnitAmount: d("100")}
	tests := []struct {
		name  string
		price Price
		qty   int64
		want  int64
	}{
		{"alpaca 3000 tokens", alpaca, 3000, 12},
		{"alpaca 3001 tokens: a fourth package", alpaca, 3001, 16},
		{"alpaca 2500", alpaca, 2500, 12},
		{"alpaca 1000", alpaca, 1000, 4},
		{"alpaca 1 token", alpaca, 1, 4},
		{"alpaca nothing", alpaca, 0, 0},
		{"alpaca negative usage bills 0", alpaca, -500, 0},
		{"round down 2500", alpacaDown, 2500, 8},
		{"round down 999", alpacaDown, 999, 0},
		{"decimal 3000 × 0.004", decimalUnit, 3000, 12},
		{"decimal 3001 × 0.004 = 12.004", decimalUnit, 3001, 12},
		{"decimal 2500", decimalUnit, 2500, 10},
		{"decimal 125: 0.5 rounds half up", decimalUnit, 125, 1},
		{"decimal 124: 0.496 rounds down", decimalUnit, 124, 0},
		{"half a cent × 3 = 1.5 → 2", halfCent, 3, 2},
		{"half a cent × 1 = 0.5 → 1", halfCent, 1, 1},
		{"JPY has no minor unit", jpy, 3, 300},
	}
	for _, tt := range tests {
		cs := Rate(tt.price, tt.qty)
		if len(cs) != 1 || cs[0].Amount != tt.want {
			t.Errorf("%s: %+v, want amount %d", tt.name, cs, tt.want)
		}
		if want := max(tt.qty, 0); cs[0].Quantity != want {
			t.Errorf("%s: line quantity %d, want the raw usage %d", tt.name, cs[0].Quantity, want)
		}
	}
}

func TestRateGraduated(t *testing.T) {
	// Gitpod's observed invoice: ≤1000 at $0.00 + $9.00 flat; above at 3.6¢ + $0 flat.
	gitpod := Price{Currency: "usd", Tiered: true, Tiers: []Tier{
		{UpTo: i64(1000), UnitAmount: dp("0"), FlatAmount: dp("900")},
		{UnitAmount: dp("3.6"), FlatAmount: dp("0")},
	}}
	cs := Rate(gitpod, 1031)
	want := []Component{
		{Tier: 1, Quantity: 1000, UnitAmount: d("0"), Amount: 0},
		{Tier: 1, Flat: true, UnitAmount: d("900"), Amount: 900},
		{Tier: 2, Quantity: 31, UnitAmount: d("3.6"), Amount: 112}, // 111.6, rounded on its own line
		{Tier: 2, Flat: true, UnitAmount: d("0"), Amount: 0},
	}
	if len(cs) != len(want) {
		t.Fatalf("components: %+v", cs)
	}
	for i := range want {
		if cs[i].Tier != want[i].Tier || cs[i].Flat != want[i].Flat || cs[i].Quantity != want[i].Quantity || cs[i].Amount != want[i].Amount || !cs[i].UnitAmount.Equal(want[i].UnitAmount) {
			t.Errorf("component %d: %+v, want %+v", i, cs[i], want[i])
		}
	}
	if total(cs) != 1012 {
		t.Errorf("total %d, want 1012", total(cs))
	}

	// Three tiers, flat fees on the first and last.
	p := Price{Currency: "usd", Tiered: true, Tiers: []Tier{
		{UpTo: i64(5), UnitAmount: dp("500"), FlatAmount: dp("1000")},
		{UpTo: i64(10), UnitAmount: dp("400")},
		{UnitAmount: dp("300"), FlatAmount: dp("50")},
	}}
	for _, tt := range []struct {
		qty, want int64
		lines     int
	}{
		{0, 1000, 2},  // tier 1's flat fee even with no usage
		{1, 1500, 2},  // 500 + 1000
		{5, 3500, 2},  // the boundary stays in tier 1
		{6, 3900, 3},  // one unit into tier 2
		{10, 5500, 3}, // tier 2 full
		{11, 5850, 5}, // tier 3 reached: 300 + its flat 50
		{-3, 1000, 2},
	} {
		cs := Rate(p, tt.qty)
		if total(cs) != tt.want || len(cs) != tt.lines {
			t.Errorf("graduated %d: total %d in %d lines, want %d in %d: %+v", tt.qty, total(cs), len(cs), tt.want, tt.lines, cs)
		}
	}
	// Sub-cent tier prices round per line.
	sub := Price{Currency: "usd", Tiered: true, Tiers: []Tier{{UpTo: i64(100), UnitAmount: dp("0.125")}, {UnitAmount: dp("0.0625")}}}
	if cs := Rate(sub, 104); total(cs) != 13 || cs[0].Amount != 13 || cs[1].Amount != 0 { // 12.5 → 13; 0.25 → 0
		t.Errorf("sub-cent graduated: %+v", cs)
	}
}

func TestRateVolume(t *testing.T) {
	// Stripe's docs: 1–5 at $7, 6–10 at $6.50, 11+ at $6.
	p := Price{Currency: "usd", Tiered: true, Volume: true, Tiers: []Tier{
		{UpTo: i64(5), UnitAmount: dp("700")},
		{UpTo: i64(10), UnitAmount: dp("650")},
		{UnitAmount: dp("600")},
	}}
	for _, tt := range []struct{ qty, want int64 }{{5, 3500}, {6, 3900}, {10, 6500}, {20, 12000}, {25, 15000}, {0, 0}} {
		cs := Rate(p, tt.qty)
		if total(cs) != tt.want || len(cs) != 1 {
			t.Errorf("volume %d: %+v, want %d", tt.qty, cs, tt.want)
		}
	}
	withFlat := Price{Currency: "usd", Tiered: true, Volume: true, Tiers: []Tier{
		{UpTo: i64(10), UnitAmount: dp("100"), FlatAmount: dp("500")},
		{UnitAmount: dp("80"), FlatAmount: dp("700")},
	}}
	cs := Rate(withFlat, 11)
	if total(cs) != 11*80+700 || len(cs) != 2 || cs[0].Tier != 2 || !cs[1].Flat {
		t.Errorf("volume with flat: %+v", cs)
	}
	if cs := Rate(withFlat, 0); total(cs) != 500 {
		t.Errorf("volume at 0 charges tier 1's flat fee: %+v", cs)
	}
}

func TestFormatMinor(t *testing.T) {
	for _, tt := range []struct {
		amount, currency, want string
	}{
		{"500000", "usd", "$5,000.00"},
		{"3.6", "usd", "$0.036"},
		{"4", "usd", "$0.04"},
		{"0", "usd", "$0.00"},
		{"0.004", "usd", "$0.00004"},
		{"900", "usd", "$9.00"},
		{"1000", "jpy", "¥1,000"},
		{"1234.5", "eur", "€12.345"},
		{"123456789", "gbp", "£1,234,567.89"},
		{"-250", "usd", "-$2.50"},
		{"1000", "kwd", "KWD 1.000"},
		{"199", "sek", "SEK 1.99"},
	} {
		if got := FormatMinor(d(tt.amount), tt.currency); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	month := &Interval{Unit: "month", Count: 1}
	alpaca := Price{Currency: "usd", UnitAmount: d("4"), DivideBy: 1000, RoundUp: true}
	c := Rate(alpaca, 3000)[0]
	if got := Describe(c, alpaca, "Alpaca AI tokens", "", month); got != "3000 × Alpaca AI tokens (at $0.04 per 1000 / month)" {
		t.Errorf("alpaca: %q", got)
	}
	per := Price{Currency: "usd", UnitAmount: d("500000")}
	if got := Describe(Rate(per, 1)[0], per, "Pro", "seat", &Interval{Unit: "year", Count: 1}); got != "1 seat × Pro (at $5,000.00 / year)" {
		t.Errorf("per unit: %q", got)
	}
	if got := Describe(Rate(per, 2)[0], per, "Pro", "", &Interval{Unit: "month", Count: 3}); got != "2 × Pro (at $5,000.00 / every 3 months)" {
		t.Errorf("interval count: %q", got)
	}
	gitpod := Price{Currency: "usd", Tiered: true, Tiers: []Tier{{UpTo: i64(1000), UnitAmount: dp("0"), FlatAmount: dp("900")}, {UnitAmount: dp("3.6")}}}
	cs := Rate(gitpod, 1031)
	if got := Describe(cs[0], gitpod, "Gitpod Usage", "credit", month); got != "1000 credit × Gitpod Usage (Tier 1 at $0.00 / month)" {
		t.Errorf("tier unit: %q", got)
	}
	if got := Describe(cs[1], gitpod, "Gitpod Usage", "credit", month); got != "Gitpod Usage (Tier 1 at $9.00 / month)" {
		t.Errorf("tier flat: %q", got)
	}
	if got := Describe(cs[2], gitpod, "Gitpod Usage", "", month); got != "31 × Gitpod Usage (Tier 2 at $0.036 / month)" {
		t.Errorf("tier 2: %q", got)
	}
	if got := ProrationText(true, 1, "Basic", 1705708800); got != "Unused time on 1 × Basic after 20 Jan 2024" {
		t.Errorf("proration: %q", got)
	}
}

func TestPeriods(t *testing.T) {
	month := Interval{Unit: "month", Count: 1}
	for _, tt := range []struct {
		anchor int64
		iv     Interval
		n      int64
		want   int64
	}{
		{1719792000, month, 1, 1722470400},                 // 2024-07-01 → 08-01
		{1719792000, month, 2, 1725148800},                 // → 09-01
		{1706702400, month, 1, 1709208000},                 // 2024-01-31T12:00 → 02-29T12:00
		{1706702400, month, 2, 1711886400},                 // → 03-31T12:00
		{1706702400, month, 3, 1714478400},                 // → 04-30T12:00
		{1706702400, Interval{"month", 13}, 1, 1740744000}, // → 2025-02-28T12:00
		{1709208000, Interval{"year", 1}, 1, 1740744000},   // 2024-02-29T12:00 → 2025-02-28T12:00
		{1719792000, Interval{"week", 1}, 2, 1719792000 + 14*86400},
		{1719792000, Interval{"day", 3}, 1, 1719792000 + 3*86400},
		{1719792000, Interval{"month", 3}, 1, 1727740800}, // → 2024-10-01
	} {
		if got := AddPeriods(tt.anchor, tt.iv, tt.n); got != tt.want {
			t.Errorf("AddPeriods(%d, %+v, %d) = %d, want %d", tt.anchor, tt.iv, tt.n, got, tt.want)
		}
	}
	// The period containing an instant.
	start, end := PeriodContaining(1706702400, month, 1712000000) // 2024-04-01
	if start != 1711886400 || end != 1714478400 {
		t.Errorf("PeriodContaining: %d %d", start, end)
	}
	start, end = PeriodContaining(1706702400, month, 1711886400) // exactly on a boundary
	if start != 1711886400 || end != 1714478400 {
		t.Errorf("on the boundary: %d %d", start, end)
	}
	start, end = PeriodContaining(1719792000, month, 1719792000+10*365*86400)
	if start > 1719792000+10*365*86400 || end <= 1719792000+10*365*86400 || AddPeriods(start, month, 1) != end {
		t.Errorf("ten years on: %d %d", start, end)
	}
}

func TestMinimumCharge(t *testing.T) {
	if MinimumCharge("usd") != 50 || MinimumCharge("JPY") != 50 || MinimumCharge("gbp") != 30 || MinimumCharge("xyz") != 50 {
		t.Errorf("minimum charges")
	}
	if !IsZeroDecimal("jpy") || IsZeroDecimal("usd") || Exponent("kwd") != 3 {
		t.Errorf("exponents")
	}
	if got := Prorate(d("3000"), 0, 100, 25); !got.Equal(d("2250")) {
		t.Errorf("prorate: %s", got)
	}
}
