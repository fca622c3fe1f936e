package billing

import (
	"slices"
	"testing"
)

// TestProrations: a change to a subscription's licensed items within a paid
// period credits the unused time of what stops and charges the rest of the
// period for what starts, up to the period's end (proration_behavior
// create_prorations: pending invoice items the next invoice takes;
// always_invoice: invoiced at once; none: nothing), from now or from
// proration_date. Metered items, trials and changes of nothing billed are not
// prorated; a change of interval restarts the cycle and bills at once.
// Amounts as in the HTTP tests: 3,100 a month, 16 of July's 31 days left.
func TestProrations(t *testing.T) {
	jul16 := july + 15*day
	for _, tc := range []struct {
		name     string
		prices   func(s *shop) []*Price
		trial    bool  // the subscription is in a trial until July 15
		at       int64 // when the change is made (0: July 16)
		change   func(s *shop, items []*Item, in *SubscriptionChange)
		pending  []int64 // the pending invoice items after
		billed   []int64 // the lines of the invoice the change made at once (nil: none)
		next     []int64 // the licensed lines of the next period
		descs    []string
		errParam string
	}{
		{name: "quantity 1 → 2: the unused time credited, the rest charged", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity = Some(int64(2))
			},
			pending: []int64{-1600, 3200}, next: []int64{6200},
			descs: []string{"Unused time on 1 × Seats after 16 Jul 2024", "Remaining time on 2 × Seats after 16 Jul 2024"}},
		{name: "always_invoice: invoiced at once", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity, in.ProrationBehavior = Some(int64(2)), ProrationAlwaysInvoice
			},
			pending: []int64{}, billed: []int64{-1600, 3200}, next: []int64{6200}},
		{name: "none: nothing", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity, in.ProrationBehavior = Some(int64(2)), ProrationNone
			},
			pending: []int64{}, next: []int64{6200}},
		{name: "proration_date: from that date", prices: func(s *shop) []*Price { return []*Price{s.seat} }, at: july + 19*day,
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity, in.ProrationDate = Some(int64(2)), Some(jul16)
			},
			pending: []int64{-1600, 3200}, next: []int64{6200}},
		{name: "proration_date outside the period", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity, in.ProrationDate = Some(int64(2)), Some(july-1)
			},
			errParam: "proration_date"},
		// 1000 · 16/31 = 516.13; 3100 · 16/31 = 1600.
		{name: "a price switch", prices: func(s *shop) []*Price { return []*Price{s.small} },
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Price = PriceRef{Price: Some(s.seat.ID)}
			},
			pending: []int64{-516, 1600}, next: []int64{3100}},
		{name: "a price switch with always_invoice", prices: func(s *shop) []*Price { return []*Price{s.small} },
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Price, in.ProrationBehavior = PriceRef{Price: Some(s.seat.ID)}, ProrationAlwaysInvoice
			},
			pending: []int64{}, billed: []int64{-516, 1600}, next: []int64{3100}},
		{name: "an item removed: its unused time credited", prices: func(s *shop) []*Price { return []*Price{s.seat, s.small} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted = true
			},
			pending: []int64{-516}, next: []int64{3100}},
		{name: "an item added: the rest of the period charged", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change:  func(s *shop, _ []*Item, in *SubscriptionChange) { in.Items = []ItemChange{item(0, s.small.ID)} },
			pending: []int64{516}, next: []int64{3100, 1000}},
		{name: "metered items: nothing prorated", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Price = PriceRef{Price: Some(s.calls.ID)}
			},
			pending: []int64{}, next: []int64{3100}},
		{name: "metadata only: nothing prorated", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity = Some(int64(1))
			},
			pending: []int64{}, next: []int64{3100}},
		{name: "during a trial: nothing prorated", prices: func(s *shop) []*Price { return []*Price{s.seat} }, trial: true, at: july + 9*day,
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity = Some(int64(2))
			},
			pending: []int64{}, next: []int64{6200}},
		{name: "a trial begun by the change: nothing prorated", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity, in.TrialEnd = Some(int64(2)), Some(Moment{At: august + 9*day})
			},
			pending: []int64{}, next: []int64{6200}},
		// The credit for the unused time of the month, and a year from now in
		// advance, at once.
		{name: "another interval: the cycle restarts, billed at once", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Price = PriceRef{Price: Some(s.year.ID)}
			},
			pending: []int64{}, billed: []int64{-1600, 10000}, next: []int64{10000}},
		{name: "another interval with none: the cycle restarts, no credit", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Price, in.ProrationBehavior = PriceRef{Price: Some(s.year.ID)}, ProrationNone
			},
			pending: []int64{}, billed: []int64{10000}, next: []int64{10000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			prices := tc.prices(s)
			cu := s.customer("", july)
			create := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true}
			for i, pr := range prices {
				create.Items = append(create.Items, item(i, pr.ID))
			}
			if tc.trial {
				create.TrialPeriodDays = Some(int64(14))
			}
			sub, err := CreateSubscription(s.unit(july), create)
			if err != nil {
				t.Fatal(err)
			}
			first := sub.LatestInvoice
			s.commit()
			items, _ := ItemsOf(s.db.Read(), sub.ID)
			at := tc.at
			if at == 0 {
				at = jul16
			}
			in := SubscriptionChange{Subscription: sub.ID}
			tc.change(s, items, &in)
			u := s.unit(at)
			changed, err := UpdateSubscription(u, in)
			if tc.errParam != "" {
				wantErr(t, err, tc.errParam, "parameter_invalid")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pendingAmounts(t, u, cu.ID); !slices.Equal(got, tc.pending) {
				t.Errorf("pending invoice items %v, want %v", got, tc.pending)
			}
			if tc.descs != nil {
				pending, _ := PendingItems(u.Tx(), cu.ID)
				for i, ii := range pending {
					if ii.Description != tc.descs[i] || !ii.Proration || ii.PeriodStart != at || ii.PeriodEnd != august || ii.SubscriptionItem != items[0].ID {
						t.Errorf("pending item %d: %q, proration %v, %d-%d, item %s", i, ii.Description, ii.Proration, ii.PeriodStart, ii.PeriodEnd, ii.SubscriptionItem)
					}
				}
			}
			var billed []int64
			if changed.LatestInvoice != first {
				billed = amounts(latestLines(t, u, changed))
				inv, _ := GetInvoice(u.Tx(), changed.LatestInvoice, "invoice")
				if inv.BillingReason != "subscription_update" || inv.Status != InvoicePaid {
					t.Errorf("the invoice at once: %s, %s", inv.BillingReason, inv.Status)
				}
			}
			if !slices.Equal(billed, tc.billed) {
				t.Errorf("billed at once %v, want %v", billed, tc.billed)
			}
			after, _ := ItemsOf(u.Tx(), changed.ID)
			lines, err := periodLines(u, changed, after, changed.PeriodStart, changed.PeriodEnd, true)
			if err != nil {
				t.Fatal(err)
			}
			var next []int64
			for _, l := range lines {
				if pr, _ := GetPrice(u.Tx(), l.Price, "price"); !pr.Metered() {
					next = append(next, l.Amount)
				}
			}
			if !slices.Equal(next, tc.next) {
				t.Errorf("the next period's licensed lines %v, want %v", next, tc.next)
			}
		})
	}
}
