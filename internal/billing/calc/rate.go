package calc

import (
	"math"

	"github.com/shopspring/decimal"
)

// Tier is one tier of a tiered price, amounts in the currency's minor unit.
type Tier struct {
	UpTo       *int64 // nil: infinity (the last tier)
	UnitAmount *decimal.Decimal
	FlatAmount *decimal.Decimal
}

// Price is what rating needs of a price.
type Price struct {
	Currency   string
	Tiered     bool            // billing_scheme=tiered
	UnitAmount decimal.Decimal // per_unit: minor units per unit (or per package)
	Volume     bool            // tiers_mode=volume (else graduated)
	Tiers      []Tier
	DivideBy   int64 // transform_quantity[divide_by]; 0: none
	RoundUp    bool  // transform_quantity[round]=up
}

// Component is one invoice line of a rated quantity: the whole quantity at the
// unit price, or, for tiered prices, the units or the flat fee of one tier.
type Component struct {
	Tier       int  // 1-based tier; 0 for per-unit prices
	Flat       bool // the tier's flat fee (quantity 0 on the line)
	Quantity   int64
	UnitAmount decimal.Decimal // per unit (per package with transform_quantity), or the flat fee
	Amount     int64
}

// MaxAmount bounds every amount a request sets (unit amounts, invoice item
// amounts, balances): 11 digits of minor units. Stripe's own limit is not
// documented; this one keeps every computation far from int64 overflow.
const MaxAmount = 99_999_999_999

// MaxLineAmount is where a computed amount saturates (a huge quantity at a
// large unit amount): 10^15 minor units, so that sums of many lines still fit
// in an int64.
const MaxLineAmount = 999_999_999_999_999

var maxLine = decimal.NewFromInt(MaxLineAmount)

// Round turns a decimal amount of minor units into an integer, half away from
// zero, as Stripe rounds each line before summing
// (https://stripe.com/docs/billing/subscriptions/decimal-amounts: 1.5 becomes 2).
// Amounts beyond ±MaxLineAmount saturate.
func Round(d decimal.Decimal) int64 {
	r := d.Round(0)
	switch {
	case r.GreaterThan(maxLine):
		return MaxLineAmount
	case r.LessThan(maxLine.Neg()):
		return -MaxLineAmount
	}
	return r.IntPart()
}

// Add adds amounts, saturating at the int64 range instead of wrapping.
func Add(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// Rate prices a quantity (usage or seats; negative counts as 0). Each component
// is rounded on its own.
func Rate(p Price, quantity int64) []Component {
	if quantity < 0 {
		quantity = 0
	}
	if !p.Tiered {
		units := decimal.NewFromInt(quantity)
		if p.DivideBy > 0 {
			units = Transform(quantity, p.DivideBy, p.RoundUp)
		}
		return []Component{{Quantity: quantity, UnitAmount: p.UnitAmount, Amount: Round(units.Mul(p.UnitAmount))}}
	}
	if p.Volume {
		return rateVolume(p, quantity)
	}
	return rateGraduated(p, quantity)
}

// Transform is transform_quantity: the quantity divided by divideBy, rounded up
// or down to a whole number of packages.
func Transform(quantity, divideBy int64, up bool) decimal.Decimal {
	q := decimal.NewFromInt(quantity).Div(decimal.NewFromInt(divideBy))
	if up {
		return q.Ceil()
	}
	return q.Floor()
}

// rateGraduated charges each tier for the units that fall in it; a tier's flat
// fee is charged once the quantity reaches the tier (tier 1's even at 0).
func rateGraduated(p Price, quantity int64) []Component {
	var out []Component
	prev := int64(0)
	for i, t := range p.Tiers {
		reached := i == 0 || quantity > prev
		if !reached {
			break
		}
		inTier := quantity - prev
		if t.UpTo != nil && quantity > *t.UpTo {
			inTier = *t.UpTo - prev
		}
		if inTier < 0 {
			inTier = 0
		}
		out = append(out, tierComponents(i+1, t, inTier)...)
		if t.UpTo == nil {
			break
		}
		prev = *t.UpTo
	}
	return out
}

// rateVolume charges every unit at the price of the tier the whole quantity
// falls in, plus that tier's flat fee.
func rateVolume(p Price, quantity int64) []Component {
	for i, t := range p.Tiers {
		if t.UpTo == nil || quantity <= *t.UpTo {
			return tierComponents(i+1, t, quantity)
		}
	}
	return nil
}

func tierComponents(n int, t Tier, units int64) []Component {
	var out []Component
	if t.UnitAmount != nil {
		out = append(out, Component{Tier: n, Quantity: units, UnitAmount: *t.UnitAmount,
			Amount: Round(decimal.NewFromInt(units).Mul(*t.UnitAmount))})
	}
	if t.FlatAmount != nil {
		out = append(out, Component{Tier: n, Flat: true, UnitAmount: *t.FlatAmount, Amount: Round(*t.FlatAmount)})
	}
	return out
}

// Prorate is the share of amount for the part [from, end) of a period [start, end).
func Prorate(amount decimal.Decimal, start, end, from int64) decimal.Decimal {
	if end <= start {
		return decimal.Zero
	}
	from = min(max(from, start), end)
	return amount.Mul(decimal.NewFromInt(end - from)).Div(decimal.NewFromInt(end - start))
}

// Span is the charge, at amount a period, for the time [start, end) counted in
// periods from start, as Stripe prorates a backdated start: "based on an
// imagined interval that starts on the backdated start date" (backdated to
// February 15, monthly on the 1st: 14 days of February 15 → March 15, half the
// price). Whole periods are charged at amount, the part of the last pro rata
// to the second, in one sum: classic billing mode bills a backdated range as a
// single line.
func Span(amount decimal.Decimal, iv Interval, start, end int64) decimal.Decimal {
	if start >= end {
		return decimal.Zero
	}
	n := periodIndex(start, iv, end)
	from, next := AddPeriods(start, iv, n), AddPeriods(start, iv, n+1)
	return amount.Mul(decimal.NewFromInt(n)).Add(amount.Mul(decimal.NewFromInt(end - from)).Div(decimal.NewFromInt(next - from)))
}

// Stub is the charge, at amount a period, for [from, end) on the billing cycle
// anchored at anchor, end being one of its boundaries: every whole period from
// the one from falls in up to end at the full amount, and that first one from
// from on, pro rata to the second. Within one period it is Prorate's share
// (the time left of a period, a stub up to an anchor); from further back (a
// proration date in a backdated first period) adds whole periods.
func Stub(amount decimal.Decimal, anchor int64, iv Interval, from, end int64) decimal.Decimal {
	if from >= end {
		return decimal.Zero
	}
	k := periodIndex(anchor, iv, from)
	whole := periodIndex(anchor, iv, end-1) - k
	start, next := AddPeriods(anchor, iv, k), AddPeriods(anchor, iv, k+1)
	return amount.Mul(decimal.NewFromInt(whole)).Add(Prorate(amount, start, next, from))
}
