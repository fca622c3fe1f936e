package billing

import (
	"maps"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Price is a stored price. Its amounts and recurring terms never change;
// active, lookup_key, metadata, nickname and tax_behavior can. Server's
// endpoints check and set them (the price rules of prices.go); the engine
// rates with them.
type Price struct {
	store.Meta
	Active      bool
	Product     string
	Currency    string
	Tiered      bool
	UnitAmount  *decimal.Decimal // per_unit prices: minor units per unit
	TiersMode   string
	Tiers       []Tier
	DivideBy    int64 // transform_quantity
	RoundUp     bool
	Recurring   *Recurring
	LookupKey   string
	Nickname    string
	Metadata    map[string]string
	TaxBehavior string
}

// Tier is one tier of a tiered price.
type Tier struct {
	UpTo       *int64
	UnitAmount *decimal.Decimal
	FlatAmount *decimal.Decimal
}

// Recurring is a recurring price's terms.
type Recurring struct {
	Interval        string
	IntervalCount   int64
	UsageType       string // licensed or metered
	Meter           string
	AggregateUsage  string // metered prices only
	TrialPeriodDays *int64
}

// Clone is a copy of the price to change and store again.
func (p *Price) Clone() *Price {
	n := *p
	n.Metadata = maps.Clone(p.Metadata)
	return &n
}

// Metered reports whether the price bills usage (recurring[usage_type]=metered).
func (p *Price) Metered() bool { return p.Recurring != nil && p.Recurring.UsageType == "metered" }

// Interval is a recurring price's billing interval (nil: one-time).
func (p *Price) Interval() *calc.Interval {
	if p.Recurring == nil {
		return nil
	}
	return &calc.Interval{Unit: p.Recurring.Interval, Count: p.Recurring.IntervalCount}
}

// Rating is what the arithmetic of calc needs of the price.
func (p *Price) Rating() calc.Price {
	bp := calc.Price{Currency: p.Currency, Tiered: p.Tiered, Volume: p.TiersMode == "volume", DivideBy: p.DivideBy, RoundUp: p.RoundUp}
	if p.UnitAmount != nil {
		bp.UnitAmount = *p.UnitAmount
	}
	for _, t := range p.Tiers {
		bp.Tiers = append(bp.Tiers, calc.Tier{UpTo: t.UpTo, UnitAmount: t.UnitAmount, FlatAmount: t.FlatAmount})
	}
	return bp
}

// AmountFor is the price of quantity units, every tier component added up.
func (p *Price) AmountFor(quantity int64) int64 {
	var amount int64
	for _, comp := range calc.Rate(p.Rating(), quantity) {
		amount = calc.Add(amount, comp.Amount)
	}
	return amount
}
