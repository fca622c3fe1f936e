package billing

import (
	"slices"
	"testing"
)

// TestClassicMode: classic billing mode's rules for metered prices changed
// mid-period (Stripe's "Compare classic and flexible billing mode"). A
// meter's price switched bills only the usage since the switch, and one
// removed bills nothing of its usage; a legacy (usage records) price keeps
// its documented rule, its usage billed with the period unless removed with
// clear_usage; an item added counts usage from then; a metered price that
// joins with always_invoice gets a line of 0 on the invoice made at once.
func TestClassicMode(t *testing.T) {
	jul5, jul16, jul20 := july+4*day, july+15*day, july+19*day
	type usage struct {
		legacy    bool // a usage record of the item at index 1, else a meter event
		at, value int64
	}
	for _, tc := range []struct {
		name    string
		second  func(s *shop) *Price // the item beside the seat (nil: none)
		usage   []usage
		change  func(s *shop, items []*Item, in *SubscriptionChange)
		metered []int64 // the metered lines that close July
		billed  []int64 // the lines of the invoice made at once (nil: none)
	}{
		{name: "a meter's price switched: only the usage since the switch", second: func(s *shop) *Price { return s.calls },
			usage: []usage{{at: jul5, value: 100}, {at: jul20, value: 3000}},
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Price = PriceRef{Price: Some(s.tokens.ID)}
			},
			metered: []int64{12}},
		{name: "a meter's item removed: nothing of its usage", second: func(s *shop) *Price { return s.calls },
			usage: []usage{{at: jul5, value: 100}, {at: jul20, value: 50}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted = true
			},
			metered: []int64{}},
		{name: "a legacy item removed: its usage billed with the period", second: func(s *shop) *Price { return s.legacy },
			usage: []usage{{legacy: true, at: jul5, value: 5}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted = true
			},
			metered: []int64{5}},
		{name: "a legacy item removed with clear_usage: nothing", second: func(s *shop) *Price { return s.legacy },
			usage: []usage{{legacy: true, at: jul5, value: 5}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted, in.Items[0].ClearUsage = true, true
			},
			metered: []int64{}},
		{name: "a legacy price switched: both prices, each for its time", second: func(s *shop) *Price { return s.legacy },
			usage: []usage{{legacy: true, at: jul5, value: 5}, {legacy: true, at: jul20, value: 7}},
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				double := s.price(s.legacy.Product, "usd", metered("2"))
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Price = PriceRef{Price: Some(double.ID)}
			},
			metered: []int64{14, 5}},
		{name: "an item added: its usage from then", usage: []usage{{at: jul5, value: 100}, {at: jul20, value: 50}},
			change:  func(s *shop, _ []*Item, in *SubscriptionChange) { in.Items = []ItemChange{item(0, s.calls.ID)} },
			metered: []int64{50}},
		{name: "an item added with always_invoice: a line of 0 at once", usage: []usage{{at: jul20, value: 50}},
			change: func(s *shop, _ []*Item, in *SubscriptionChange) {
				in.Items, in.ProrationBehavior = []ItemChange{item(0, s.calls.ID)}, ProrationAlwaysInvoice
			},
			metered: []int64{50}, billed: []int64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			prices := []*Price{s.seat}
			if tc.second != nil {
				prices = append(prices, tc.second(s))
			}
			cu, sub, items := s.subscribe(july, prices...)
			for _, us := range tc.usage {
				if us.legacy {
					s.put(TableUsageRecords, &UsageRecord{Meta: s.meta("mbur", us.at), Item: items[1].ID, Timestamp: us.at, Quantity: us.value})
				} else {
					s.report(s.meter, cu.ID, us.at, us.value)
				}
			}
			in := SubscriptionChange{Subscription: sub.ID}
			tc.change(s, items, &in)
			_, changed, billed := s.updateAt(jul16, sub, in)
			if !slices.Equal(billed, tc.billed) {
				t.Errorf("billed at once %v, want %v", billed, tc.billed)
			}
			s.commit()
			metered := s.meteredLines(changed, july, august)
			if !slices.Equal(metered, tc.metered) {
				t.Errorf("July's metered lines %v, want %v", metered, tc.metered)
			}
		})
	}
}
