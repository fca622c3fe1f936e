package billing

import (
	"hash/fnv"
	"strconv"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/metering"
)

// The period of these tests: July 2024, a month from its anchor.
const (
	july   = int64(1_719_792_000) // 2024-07-01T00:00:00Z
	august = int64(1_722_470_400) // 2024-08-01
	sept   = int64(1_725_148_800) // 2024-09-01
)

// wantLine is what a test checks of a line.
type wantLine struct {
	amount, quantity int64
	unit             string // the unit amount's decimal string, "" for none
	description      string
	start, end       int64
}

func lineOf(l Line) wantLine {
	unit := ""
	if l.UnitAmount != nil {
		unit = l.UnitAmount.String()
	}
	return wantLine{amount: l.Amount, quantity: l.Quantity, unit: unit, description: l.Description, start: l.PeriodStart, end: l.PeriodEnd}
}

func metered(unit string) func(*Price) {
	return func(pr *Price) {
		pr.UnitAmount = dec(unit)
		pr.Recurring = &Recurring{Interval: "month", IntervalCount: 1, UsageType: "metered", AggregateUsage: "sum"}
	}
}

func tiered(mode string, tiers ...Tier) func(*Price) {
	return func(pr *Price) {
		pr.Tiered, pr.TiersMode, pr.Tiers = true, mode, tiers
		pr.Recurring = &Recurring{Interval: "month", IntervalCount: 1, UsageType: "metered", AggregateUsage: "sum"}
	}
}

func upTo(n int64) *int64 { return &n }

// TestRating: the lines that close a period for a metered item rate its
// usage as its price says (per unit, per package, graduated and volume tiers
// with flat fees, decimal amounts, zero-decimal currencies), with Stripe's
// descriptions; usage outside what is billed (before the period, during a
// trial, before the item's price began) is left out; a licensed item is
// charged for the next period in advance. Amounts are those of the HTTP tests
// (the Alpaca AI tokens: 3,000 tokens at $0.04 per 1,000, rounded up, is 12).
func TestRating(t *testing.T) {
	type usage struct{ at, value int64 }
	for _, tc := range []struct {
		name           string
		product, label string
		currency       string
		shape          func(*Price)
		formula        metering.Formula
		legacy         bool // usage records instead of a meter
		usage          []usage
		change         func(sub *Subscription, it *Item)
		want           []wantLine
	}{
		{name: "per unit", product: "Alpaca AI", currency: "usd", shape: metered("4"), usage: []usage{{july + 10, 1}, {july + 20, 2}},
			want: []wantLine{{12, 3, "4", "3 × Alpaca AI (at $0.04 / month)", july, august}}},
		{name: "per package, rounded up", product: "Alpaca AI tokens", currency: "usd", shape: packaged(1000, true), usage: []usage{{july + 10, 3000}},
			want: []wantLine{{12, 3000, "0.004", "3000 × Alpaca AI tokens (at $0.04 per 1000 / month)", july, august}}},
		{name: "per package, one begun", product: "Alpaca AI tokens", currency: "usd", shape: packaged(1000, true), usage: []usage{{july + 10, 3001}},
			want: []wantLine{{16, 3001, "0.005331556148", "3001 × Alpaca AI tokens (at $0.04 per 1000 / month)", july, august}}},
		{name: "per package, rounded down", product: "Alpaca AI tokens", currency: "usd", shape: packaged(1000, false), usage: []usage{{july + 10, 3999}},
			want: []wantLine{{12, 3999, "0.003000750188", "3999 × Alpaca AI tokens (at $0.04 per 1000 / month)", july, august}}},
		{name: "graduated with a flat tier", product: "Gitpod Usage", label: "credit", currency: "usd",
			shape: tiered("graduated", Tier{UpTo: upTo(1000), UnitAmount: dec("0"), FlatAmount: dec("900")}, Tier{UnitAmount: dec("2")}),
			usage: []usage{{july + 10, 1500}},
			want: []wantLine{
				{0, 1000, "0", "1000 credit × Gitpod Usage (Tier 1 at $0.00 / month)", july, august},
				{900, 0, "", "Gitpod Usage (Tier 1 at $9.00 / month)", july, august},
				{1000, 500, "2", "500 credit × Gitpod Usage (Tier 2 at $0.02 / month)", july, august},
			}},
		{name: "graduated, no usage: the first tier's flat fee", product: "Gitpod Usage", label: "credit", currency: "usd",
			shape: tiered("graduated", Tier{UpTo: upTo(1000), UnitAmount: dec("0"), FlatAmount: dec("900")}, Tier{UnitAmount: dec("2")}),
			want: []wantLine{
				{0, 0, "", "0 credit × Gitpod Usage (Tier 1 at $0.00 / month)", july, august},
				{900, 0, "", "Gitpod Usage (Tier 1 at $9.00 / month)", july, august},
			}},
		{name: "volume", product: "Storage", currency: "usd",
			shape: tiered("volume", Tier{UpTo: upTo(100), UnitAmount: dec("10")}, Tier{UnitAmount: dec("5")}),
			usage: []usage{{july + 10, 150}},
			want:  []wantLine{{750, 150, "5", "150 × Storage (Tier 2 at $0.05 / month)", july, august}}},
		{name: "decimal amount, rounded half away from zero", product: "API calls", currency: "usd", shape: metered("0.5"), usage: []usage{{july + 10, 3}},
			want: []wantLine{{2, 3, "0.666666666667", "3 × API calls (at $0.005 / month)", july, august}}},
		{name: "zero-decimal currency", product: "Alpaca AI", currency: "jpy", shape: metered("100"), usage: []usage{{july + 10, 3}},
			want: []wantLine{{300, 3, "100", "3 × Alpaca AI (at ¥100 / month)", july, august}}},
		{name: "a meter that counts events", product: "Alpaca AI", currency: "usd", shape: metered("4"), formula: metering.Count,
			usage: []usage{{july + 10, 5}, {july + 20, 5}, {july + 30, 5}},
			want:  []wantLine{{12, 3, "4", "3 × Alpaca AI (at $0.04 / month)", july, august}}},
		{name: "usage outside the period", product: "Alpaca AI", currency: "usd", shape: metered("4"),
			usage: []usage{{july - 10, 100}, {july + 10, 2}, {august, 100}},
			want:  []wantLine{{8, 2, "4", "2 × Alpaca AI (at $0.04 / month)", july, august}}},
		{name: "usage during a trial", product: "Alpaca AI", currency: "usd", shape: metered("4"),
			usage:  []usage{{july + 10, 100}, {july + 86400 + 10, 3}},
			change: func(sub *Subscription, _ *Item) { sub.TrialStart, sub.TrialEnd = july, july+86400 },
			want:   []wantLine{{12, 3, "4", "3 × Alpaca AI (at $0.04 / month)", july, august}}},
		{name: "an item that joined mid-period", product: "Alpaca AI", currency: "usd", shape: metered("4"),
			usage:  []usage{{july + 10, 100}, {july + 1000, 3}},
			change: func(_ *Subscription, it *Item) { it.PriceSince = july + 1000 },
			want:   []wantLine{{12, 3, "4", "3 × Alpaca AI (at $0.04 / month)", july + 1000, august}}},
		{name: "legacy usage records", product: "Alpaca AI", currency: "usd", shape: metered("4"), legacy: true,
			usage: []usage{{july + 10, 2}, {july + 20, 3}, {august + 10, 7}},
			want:  []wantLine{{20, 5, "4", "5 × Alpaca AI (at $0.04 / month)", july, august}}},
		{name: "licensed, in advance for the next period", product: "Basic", currency: "usd",
			shape: func(pr *Price) {
				pr.UnitAmount = dec("3100")
				pr.Recurring = &Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}
			},
			change: func(_ *Subscription, it *Item) { it.Quantity = 2 },
			want:   []wantLine{{6200, 2, "3100", "2 × Basic (at $31.00 / month)", august, sept}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			prod := w.product(tc.product, tc.label)
			m := w.meter(tc.formula)
			shape := tc.shape
			pr := w.price(prod.ID, tc.currency, func(pr *Price) {
				shape(pr)
				if pr.Metered() && !tc.legacy {
					pr.Recurring.Meter = m.ID
				}
			})
			cu := w.customer("", july)
			sub, items := w.subscription(cu, july, pr)
			if tc.change != nil {
				tc.change(sub, items[0])
			}
			for _, us := range tc.usage {
				if tc.legacy {
					w.put(TableUsageRecords, &UsageRecord{Meta: w.meta("mbur", us.at), Item: items[0].ID, Timestamp: us.at, Quantity: us.value})
				} else {
					w.report(m, cu.ID, us.at, us.value)
				}
			}
			u := w.unit(august)
			lines, err := periodLines(u, sub, items, july, august, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d: %+v", len(lines), len(tc.want), lines)
			}
			for i, l := range lines {
				if got := lineOf(l); got != tc.want[i] {
					t.Errorf("line %d: %+v, want %+v", i, got, tc.want[i])
				}
				if l.Type != "subscription" || l.Price != pr.ID || l.SubscriptionItem != items[0].ID || l.Subscription != sub.ID || l.Currency != tc.currency {
					t.Errorf("line %d: type %s, price %s, item %s, subscription %s, currency %s", i, l.Type, l.Price, l.SubscriptionItem, l.Subscription, l.Currency)
				}
			}
		})
	}
}

func packaged(divideBy int64, up bool) func(*Price) {
	return func(pr *Price) {
		metered("4")(pr)
		pr.DivideBy, pr.RoundUp = divideBy, up
	}
}

// TestLineIDIsFNV: a line's ID is FNV-1a of its parts, each followed by a 0
// byte, as hash/fnv computes it: the IDs of previews and stored state do
// not change with how it is computed.
func TestLineIDIsFNV(t *testing.T) {
	for _, parts := range [][]string{
		{}, {""}, {"sub_1", "si_1", "price_1", "1700000000", "0"},
		{"proration", "sub_X", "si_Y", "price_Z", "-5", "12"}, {"in_1", "invoice_items", "3"}, {"日本", "\x00", "x"},
	} {
		h := fnv.New64a()
		for _, p := range parts {
			_, _ = h.Write([]byte(p))
			_, _ = h.Write([]byte{0})
		}
		if got, want := lineID(parts...), "il_tmp_"+strconv.FormatUint(h.Sum64(), 36); got != want {
			t.Errorf("lineID(%q) = %s, want %s", parts, got, want)
		}
	}
}
