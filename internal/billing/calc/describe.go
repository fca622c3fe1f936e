package calc

import (
	"strconv"
	"time"
)

// IntervalText is "month", or "every 3 months".
func IntervalText(iv Interval) string {
	if iv.Count <= 1 {
		return iv.Unit
	}
	return "every " + strconv.FormatInt(iv.Count, 10) + " " + iv.Unit + "s"
}

// Describe is the description of an invoice line for a rated component, in
// Stripe's words: "3 × Alpaca AI (at $0.04 / month)", "1000 credit × Gitpod
// Usage (Tier 1 at $0.00 / month)", "Gitpod Usage (Tier 1 at $9.00 / month)".
// iv is nil for one-time prices.
func Describe(c Component, p Price, product, unitLabel string, iv *Interval) string {
	per := ""
	if iv != nil {
		per = " / " + IntervalText(*iv)
	}
	qty := strconv.FormatInt(c.Quantity, 10)
	if unitLabel != "" {
		qty += " " + unitLabel
	}
	amount := FormatMinor(c.UnitAmount, p.Currency)
	switch {
	case c.Flat:
		return product + " (Tier " + strconv.Itoa(c.Tier) + " at " + amount + per + ")"
	case c.Tier > 0:
		return qty + " × " + product + " (Tier " + strconv.Itoa(c.Tier) + " at " + amount + per + ")"
	case p.DivideBy > 0:
		return qty + " × " + product + " (at " + amount + " per " + strconv.FormatInt(p.DivideBy, 10) + per + ")"
	case iv == nil:
		return qty + " × " + product
	}
	return qty + " × " + product + " (at " + amount + per + ")"
}

// ProrationText is "Unused time on 1 × Basic after 20 Jan 2024" (credit) or
// "Remaining time on …" (charge).
func ProrationText(credit bool, quantity int64, product string, from int64) string {
	what := "Remaining time on "
	if credit {
		what = "Unused time on "
	}
	return what + strconv.FormatInt(quantity, 10) + " × " + product + " after " + time.Unix(from, 0).UTC().Format("02 Jan 2006")
}

// TrialText is the description of a free line of a trial: classic billing
// mode's "Trial period for Basic", flexible's "Free trial for 1 × Basic".
func TrialText(flexible bool, quantity int64, product string) string {
	if flexible {
		return "Free trial for " + strconv.FormatInt(quantity, 10) + " × " + product
	}
	return "Trial period for " + product
}
