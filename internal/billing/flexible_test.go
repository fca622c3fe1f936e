package billing

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// The rules of flexible billing mode beside classic's (Stripe's "Compare
// classic and flexible billing mode" and "Manage usage-based billing"; the
// rows of api-versions.md §5), each case in both modes.

// byMode is what a case wants in a billing mode.
func byMode[T any](mode Mode, classic, flexible T) T {
	if mode == ModeFlexible {
		return flexible
	}
	return classic
}

// TestFlexibleUsage: metered prices changed mid-period. Flexible bills the
// usage of a price switched from, or of an item removed, at once as an
// invoice item, at the price in effect when it was reported (AV§5's example:
// 1,000 calls at A, 0.1 GBP a 100, then 500 at B, 0.15 GBP a 100: 1.75 GBP,
// classic 0.75); proration_behavior=none (or clear_usage [I]) bills none of
// it; always_invoice invoices it at once; a metered price added with
// always_invoice makes no line of 0 and no invoice.
func TestFlexibleUsage(t *testing.T) {
	jan5, jan15, jan20 := july+4*day, july+14*day, july+19*day
	type want struct {
		pending []int64 // the customer's pending invoice items after the change
		billed  []int64 // the lines of an invoice made at once (nil: none)
		metered []int64 // the metered lines that close the period
	}
	for _, tc := range []struct {
		name              string
		usage             [][2]int64 // meter events: at, value
		change            func(s *shop, items []*Item, in *SubscriptionChange)
		classic, flexible want
	}{
		{name: "a price switched: each usage at its price", usage: [][2]int64{{jan5, 1000}, {jan20, 500}},
			change: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Price = PriceRef{Price: Some(s.priceB().ID)}
			},
			classic:  want{pending: []int64{}, metered: []int64{75}},
			flexible: want{pending: []int64{100}, metered: []int64{75}}},
		{name: "an item removed: an invoice item for its usage", usage: [][2]int64{{jan5, 1000}, {jan20, 500}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted = true
			},
			classic:  want{pending: []int64{}, metered: []int64{}},
			flexible: want{pending: []int64{100}, metered: []int64{}}},
		{name: "an item removed with proration_behavior=none: nothing", usage: [][2]int64{{jan5, 1000}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items, in.ProrationBehavior = []ItemChange{changeOf(0, items[1])}, ProrationNone
				in.Items[0].Deleted = true
			},
			classic:  want{pending: []int64{}, metered: []int64{}},
			flexible: want{pending: []int64{}, metered: []int64{}}},
		{name: "an item removed with clear_usage: nothing", usage: [][2]int64{{jan5, 1000}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted, in.Items[0].ClearUsage = true, true
			},
			classic:  want{pending: []int64{}, metered: []int64{}},
			flexible: want{pending: []int64{}, metered: []int64{}}},
		{name: "an item removed with always_invoice: invoiced at once", usage: [][2]int64{{jan5, 1000}},
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items, in.ProrationBehavior = []ItemChange{changeOf(0, items[1])}, ProrationAlwaysInvoice
				in.Items[0].Deleted = true
			},
			classic:  want{pending: []int64{}, metered: []int64{}},
			flexible: want{pending: []int64{}, billed: []int64{100}, metered: []int64{}}},
		{name: "an item removed with no usage: nothing [I]",
			change: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Deleted = true
			},
			classic:  want{pending: []int64{}, metered: []int64{}},
			flexible: want{pending: []int64{}, metered: []int64{}}},
		{name: "a metered price added with always_invoice", usage: [][2]int64{{jan5, 1000}, {jan20, 500}},
			change: func(s *shop, _ []*Item, in *SubscriptionChange) {
				in.Items, in.ProrationBehavior = []ItemChange{item(0, s.priceB().ID)}, ProrationAlwaysInvoice
			},
			// A counts all of July's calls; B those since it was added.
			classic:  want{pending: []int64{}, billed: []int64{0}, metered: []int64{150, 75}},
			flexible: want{pending: []int64{}, metered: []int64{150, 75}}},
	} {
		for _, mode := range []Mode{ModeClassic, ModeFlexible} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				w := byMode(mode, tc.classic, tc.flexible)
				s := newShop(t)
				cu, sub, items := s.subscribeIn(mode, july, nil, s.seat, s.priceA())
				for _, us := range tc.usage {
					s.report(s.meter, cu.ID, us[0], us[1])
				}
				in := SubscriptionChange{Subscription: sub.ID}
				tc.change(s, items, &in)
				u, changed, billed := s.updateAt(jan15, sub, in)
				if !slices.Equal(billed, w.billed) {
					t.Errorf("billed at once %v, want %v", billed, w.billed)
				}
				if got := pendingAmounts(t, u, cu.ID); !slices.Equal(got, w.pending) {
					t.Errorf("pending %v, want %v", got, w.pending)
				}
				s.commit()
				metered := s.meteredLines(changed, july, august)
				if !slices.Equal(metered, w.metered) {
					t.Errorf("the period's metered lines %v, want %v", metered, w.metered)
				}
			})
		}
	}
}

// priceA and priceB are AV§5's prices, on the shop's meter: 0.1 and 0.15
// (in cents here) a call.
func (s *shop) priceA() *Price { return s.meteredPrice("0.1") }
func (s *shop) priceB() *Price { return s.meteredPrice("0.15") }

// meteredPrice is a price on the shop's meter at unit a call, made once.
func (s *shop) meteredPrice(unit string) *Price {
	tx := s.db.Read()
	defer tx.Abort()
	recs, _ := tx.Find(TablePrices, "product", s.tokens.Product)
	for _, r := range recs {
		if pr := r.(*Price); pr.Recurring.Meter == s.meter.ID && pr.UnitAmount != nil && pr.UnitAmount.String() == unit {
			return pr
		}
	}
	return s.price(s.tokens.Product, "usd", func(pr *Price) {
		metered(unit)(pr)
		pr.Recurring.Meter = s.meter.ID
	})
}

// TestFlexibleCredits: a credit proration credits what was debited for the
// time, one credit per debit, where classic credits the item's current
// price and quantity. Seats at 3,100 a month from 1 July.
func TestFlexibleCredits(t *testing.T) {
	jul10, jul16, jul24 := july+9*day, july+15*day, july+23*day
	quantity := func(it *Item, q int64, behavior ProrationBehavior, at int64) func(*SubscriptionChange) {
		return func(in *SubscriptionChange) {
			in.Items = []ItemChange{changeOf(0, it)}
			in.Items[0].Quantity, in.ProrationBehavior = Some(q), behavior
			if at != 0 {
				in.ProrationDate = Some(at)
			}
		}
	}
	type step struct {
		at     int64
		change func(it *Item) func(*SubscriptionChange)
	}
	for _, tc := range []struct {
		name              string
		steps             []step
		classic, flexible []int64 // the pending items after the last step, in any order
	}{
		{name: "one change: the same in both", steps: []step{
			{jul16, func(it *Item) func(*SubscriptionChange) { return quantity(it, 2, "", 0) }}},
			classic: []int64{-1600, 3200}, flexible: []int64{-1600, 3200}},
		{name: "after a change that prorated nothing, what was paid", steps: []step{
			{jul16, func(it *Item) func(*SubscriptionChange) { return quantity(it, 2, ProrationNone, 0) }},
			{jul24, func(it *Item) func(*SubscriptionChange) { return quantity(it, 1, "", 0) }}},
			// classic credits 2 seats for 8 days (-1,600) and charges one (800);
			// flexible credits the 1 seat paid for July (-800).
			classic: []int64{-1600, 800}, flexible: []int64{-800, 800}},
		{name: "a time debited twice: two credits", steps: []step{
			{jul16, func(it *Item) func(*SubscriptionChange) { return quantity(it, 2, "", 0) }},
			{jul24, func(it *Item) func(*SubscriptionChange) { return quantity(it, 3, "", jul10) }}},
			// From 10 July: classic credits 2 seats for 22 days (-4,400);
			// flexible July's seat for 10 to 16 July (-600) and the 2 seats
			// debited from 16 July (-3,200).
			classic: []int64{-1600, 3200, -4400, 6600}, flexible: []int64{-1600, 3200, -600, -3200, 6600}},
	} {
		for _, mode := range []Mode{ModeClassic, ModeFlexible} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				want := byMode(mode, tc.classic, tc.flexible)
				s := newShop(t)
				cu, sub, items := s.subscribeIn(mode, july, nil, s.seat)
				for _, st := range tc.steps {
					in := SubscriptionChange{Subscription: sub.ID}
					st.change(items[0])(&in)
					u := s.unit(st.at)
					if _, err := UpdateSubscription(u, in); err != nil {
						t.Fatal(err)
					}
					s.commit()
				}
				u := s.unit(jul24)
				if got := pendingAmounts(t, u, cu.ID); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
					t.Errorf("pending %v, want %v", got, want)
				}
				if mode == ModeFlexible {
					pending, _ := PendingItems(u.Tx(), cu.ID)
					for _, ii := range pending {
						if (ii.Amount < 0) != (ii.Credited != nil) {
							t.Errorf("%d: credited %+v", ii.Amount, ii.Credited)
						}
					}
				}
			})
		}
	}
}

// TestFlexibleAnchor: a price of another interval restarts classic's cycle
// now (an invoice at once); flexible keeps the anchor, prorating up to the
// new interval's next billing date on it.
func TestFlexibleAnchor(t *testing.T) {
	jul16 := july + 15*day
	nextJuly := calc.AddPeriods(july, calc.Interval{Unit: "year", Count: 1}, 1)
	for _, mode := range []Mode{ModeClassic, ModeFlexible} {
		t.Run(string(mode), func(t *testing.T) {
			s := newShop(t)
			cu, sub, items := s.subscribeIn(mode, july, nil, s.seat)
			in := SubscriptionChange{Subscription: sub.ID, Items: []ItemChange{changeOf(0, items[0])}}
			in.Items[0].Price = PriceRef{Price: Some(s.year.ID)}
			u := s.unit(jul16)
			changed, err := UpdateSubscription(u, in)
			if err != nil {
				t.Fatal(err)
			}
			pending := pendingAmounts(t, u, cu.ID)
			switch mode {
			case ModeClassic:
				if changed.BillingCycleAnchor != jul16 || changed.LatestInvoice == sub.LatestInvoice || len(pending) != 0 {
					t.Errorf("anchor %d (want %d), invoice %s, pending %v", changed.BillingCycleAnchor, jul16, changed.LatestInvoice, pending)
				}
			case ModeFlexible:
				// 16 July to 1 July next year: 350 of 365 days of 10,000.
				if changed.BillingCycleAnchor != july || changed.PeriodStart != july || changed.PeriodEnd != nextJuly ||
					changed.LatestInvoice != sub.LatestInvoice || !slices.Equal(pending, []int64{-1600, 9589}) {
					t.Errorf("anchor %d period %d-%d (want %d, %d-%d), invoice %s, pending %v", changed.BillingCycleAnchor,
						changed.PeriodStart, changed.PeriodEnd, july, july, nextJuly, changed.LatestInvoice, pending)
				}
			}
		})
	}
}

// TestFlexibleBackdating: a start backdated to 1 May, made on 16 July, with
// usage on 5 May and 10 June. Classic bills the backdated time in one
// prorated line and its usage when the subscription cycles; flexible anchors
// the cycle on 1 May and bills May and June whole, each with its usage, and
// July whole, on the first invoice.
func TestFlexibleBackdating(t *testing.T) {
	month := calc.Interval{Unit: "month", Count: 1}
	may, june := calc.AddPeriods(july, month, -2), calc.AddPeriods(july, month, -1)
	jul16 := july + 15*day
	backdate := func(in *SubscriptionCreate) { in.BackdateStartDate = Some(may) }
	for _, tc := range []struct {
		mode          Mode
		anchor, start int64
		lines         [][3]int64 // amount, period start, period end
	}{
		{ModeClassic, jul16, may, [][3]int64{{7700, may, jul16}, {3100, jul16, calc.AddPeriods(jul16, month, 1)}, {0, may, calc.AddPeriods(jul16, month, 1)}}},
		{ModeFlexible, may, july, [][3]int64{{3100, may, june}, {4, may, june}, {3100, june, july}, {8, june, july}, {3100, july, august}, {0, july, august}}},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := newShop(t)
			cu := s.customer("", may)
			s.report(s.meter, cu.ID, may+4*day, 1000)
			s.report(s.meter, cu.ID, june+9*day, 1500)
			in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)},
				Mode: ModeRequest{Default: tc.mode}}
			backdate(&in)
			u := s.unit(jul16)
			sub, err := CreateSubscription(u, in)
			if err != nil {
				t.Fatal(err)
			}
			if sub.BillingCycleAnchor != tc.anchor || sub.PeriodStart != tc.start || sub.StartDate != may {
				t.Errorf("anchor %d, period start %d, start %d; want %d, %d, %d", sub.BillingCycleAnchor, sub.PeriodStart, sub.StartDate, tc.anchor, tc.start, may)
			}
			var got [][3]int64
			for _, l := range latestLines(t, u, sub) {
				got = append(got, [3]int64{l.Amount, l.PeriodStart, l.PeriodEnd})
			}
			if !slices.Equal(got, tc.lines) {
				t.Errorf("first invoice %v\nwant %v", got, tc.lines)
			}
		})
	}
	t.Run("more than 250 lines", func(t *testing.T) {
		s := newShop(t)
		cu := s.customer("", may)
		long := calc.AddPeriods(july, month, -126) // 126 months × 2 items
		in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)},
			Mode: ModeRequest{Default: ModeFlexible}, BackdateStartDate: Some(long)}
		_, err := CreateSubscription(s.unit(jul16), in)
		wantErr(t, err, "backdate_start_date", "")
		s.abort()
		in.BackdateStartDate = Some(calc.AddPeriods(long, month, 1)) // 125 × 2
		if _, err := CreateSubscription(s.unit(jul16), in); err != nil {
			t.Errorf("250 lines: %v", err)
		}
	})
}

// TestFlexibleTruncatedPeriod: a subscription created on 1 July with a
// cancel_at on 16 July: its first period ends then. Classic applies
// prorations to it whatever proration_behavior says (15 of 31 days of 3,100:
// 1,500); flexible too, but for proration_behavior=none, which disables
// them: the truncated period is charged whole [I].
func TestFlexibleTruncatedPeriod(t *testing.T) {
	jul16 := july + 15*day
	for _, tc := range []struct {
		name              string
		behavior          ProrationBehavior
		classic, flexible []int64
	}{
		{"create_prorations (the default)", "", []int64{1500, 0}, []int64{1500, 0}},
		{"proration_behavior=none", ProrationNone, []int64{1500, 0}, []int64{3100, 0}},
	} {
		for _, mode := range []Mode{ModeClassic, ModeFlexible} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				s := newShop(t)
				_, sub, _ := s.subscribeIn(mode, july, func(in *SubscriptionCreate) {
					in.Settings.CancelAt, in.ProrationBehavior = Some(jul16), tc.behavior
				}, s.seat, s.tokens)
				if sub.PeriodStart != july || sub.PeriodEnd != jul16 || sub.BillingCycleAnchor != july {
					t.Errorf("period [%d, %d), anchor %d; want [%d, %d), %d", sub.PeriodStart, sub.PeriodEnd, sub.BillingCycleAnchor, july, jul16, july)
				}
				u := s.unit(july)
				lines := latestLines(t, u, sub)
				if got, want := amounts(lines), byMode(mode, tc.classic, tc.flexible); !slices.Equal(got, want) {
					t.Errorf("first invoice %v, want %v", got, want)
				}
				for _, l := range lines {
					if l.PeriodStart != july || l.PeriodEnd != jul16 {
						t.Errorf("line %q: period [%d, %d), want [%d, %d)", l.Description, l.PeriodStart, l.PeriodEnd, july, jul16)
					}
				}
				s.abort()
				u, ended := s.runUntil(jul16+hour, sub)
				if ended.Status != SubscriptionCanceled || ended.EndedAt != jul16 {
					t.Errorf("at the cancel_at: %s, ended at %d; want canceled at %d", ended.Status, ended.EndedAt, jul16)
				}
				if final := latestLines(t, u, ended); len(final) != 1 || final[0].Amount != 0 {
					t.Errorf("final invoice %v, want the usage's line of 0 and no credit", amounts(final))
				}
				s.abort()
			})
		}
	}
}

// TestFlexiblePendingOnReset: a quantity change on 5 July leaves its
// prorations pending; on 16 July billing_cycle_anchor=now restarts the cycle
// with an invoice at once. Classic's invoice takes those pending items "only
// when proration behavior isn't always_invoice" (with it, they stay pending
// for the next invoice); flexible's always does.
func TestFlexiblePendingOnReset(t *testing.T) {
	jul5, jul16 := july+4*day, july+15*day
	for _, tc := range []struct {
		behavior ProrationBehavior
		classic  bool // whether classic's reset invoice takes the earlier pending items
	}{
		{"", true},
		{ProrationNone, true},
		{ProrationAlwaysInvoice, false},
	} {
		for _, mode := range []Mode{ModeClassic, ModeFlexible} {
			t.Run(string(tc.behavior)+"/"+string(mode), func(t *testing.T) {
				s := newShop(t)
				cu, sub, items := s.subscribeIn(mode, july, nil, s.seat)
				more := SubscriptionChange{Subscription: sub.ID, Items: []ItemChange{changeOf(0, items[0])}}
				more.Items[0].Quantity = Some(int64(2))
				_, sub, _ = s.updateAt(jul5, sub, more)
				s.commit()
				u := s.unit(jul5)
				earlier, err := PendingItems(u.Tx(), cu.ID)
				if err != nil || len(earlier) != 2 {
					t.Fatalf("pending after the quantity change: %d items, %v", len(earlier), err)
				}
				s.abort()
				u, changed, _ := s.updateAt(jul16, sub, SubscriptionChange{Subscription: sub.ID, AnchorNow: true, ProrationBehavior: tc.behavior})
				if changed.LatestInvoice == sub.LatestInvoice {
					t.Fatal("billing_cycle_anchor=now made no invoice")
				}
				took := 0
				for _, l := range latestLines(t, u, changed) {
					for _, ii := range earlier {
						if l.InvoiceItem == ii.ID {
							took++
						}
					}
				}
				pending := pendingAmounts(t, u, cu.ID)
				if want := byMode(mode, tc.classic, true); (took == len(earlier)) != want || (len(pending) == 0) != want {
					t.Errorf("the reset invoice took %d of the %d earlier pending items, %v left pending; want taken: %v", took, len(earlier), pending, want)
				}
			})
		}
	}
}

// TestFlexibleTrials: the trial rules of each mode. Classic's trial_start is
// the first trial ever, flexible's the most recent; a cancel_at before the
// trial's end rewrites classic's trial_end to it (the trial and the period
// end then), while flexible keeps trial_end (the subscription still ends at
// the cancel_at); a trial's line reads "Trial period for Seats" in classic,
// "Free trial for 1 × Seats" in flexible.
func TestFlexibleTrials(t *testing.T) {
	jul8, jul10, jul15, jul16, jul20 := july+7*day, july+9*day, july+14*day, july+15*day, july+19*day
	type want struct {
		trialStart, trialEnd, periodEnd int64
		line                            string // the first invoice's
	}
	for _, tc := range []struct {
		name              string
		create            func(in *SubscriptionCreate)
		then              func(s *shop, sub *Subscription) *Subscription // nil: nothing
		classic, flexible want
	}{
		{name: "a trial's line",
			create:   func(in *SubscriptionCreate) { in.TrialEnd = Some(Moment{At: jul15}) },
			classic:  want{july, jul15, jul15, "Trial period for Seats"},
			flexible: want{july, jul15, jul15, "Free trial for 1 × Seats"}},
		{name: "cancel_at before trial_end on create",
			create: func(in *SubscriptionCreate) {
				in.TrialEnd, in.Settings.CancelAt = Some(Moment{At: jul15}), Some(jul10)
			},
			classic:  want{july, jul10, jul10, "Trial period for Seats"},
			flexible: want{july, jul15, jul15, "Free trial for 1 × Seats"}},
		{name: "cancel_at before trial_end by an update",
			create: func(in *SubscriptionCreate) { in.TrialEnd = Some(Moment{At: jul15}) },
			then: func(s *shop, sub *Subscription) *Subscription {
				_, changed, _ := s.updateAt(july+day, sub, SubscriptionChange{Subscription: sub.ID, Settings: SubscriptionSettings{CancelAt: Some(jul10)}})
				s.commit()
				return changed
			},
			classic:  want{july, jul10, jul10, "Trial period for Seats"},
			flexible: want{july, jul15, jul15, "Free trial for 1 × Seats"}},
		{name: "a second trial",
			create: func(in *SubscriptionCreate) { in.TrialEnd = Some(Moment{At: jul8}) },
			then: func(s *shop, sub *Subscription) *Subscription {
				s.runUntil(jul8+hour, sub)
				s.abort()
				_, changed, _ := s.updateAt(jul16, sub, SubscriptionChange{Subscription: sub.ID, TrialEnd: Some(Moment{At: jul20})})
				s.commit()
				return changed
			},
			classic:  want{july, jul20, jul20, "Trial period for Seats"},
			flexible: want{jul16, jul20, jul20, "Free trial for 1 × Seats"}},
	} {
		for _, mode := range []Mode{ModeClassic, ModeFlexible} {
			t.Run(tc.name+"/"+string(mode), func(t *testing.T) {
				s := newShop(t)
				_, sub, _ := s.subscribeIn(mode, july, tc.create, s.seat)
				u := s.unit(july)
				first := latestLines(t, u, sub)
				s.abort()
				if tc.then != nil {
					sub = tc.then(s, sub)
				}
				w := byMode(mode, tc.classic, tc.flexible)
				got := want{sub.ShownTrialStart(), sub.TrialEnd, sub.PeriodEnd, ""}
				if len(first) == 1 {
					got.line = first[0].Description
				}
				if got != w {
					t.Errorf("trial_start %d, trial_end %d, period end %d, line %q; want %d, %d, %d, %q",
						got.trialStart, got.trialEnd, got.periodEnd, got.line, w.trialStart, w.trialEnd, w.periodEnd, w.line)
				}
				if sub.CancelAt == 0 {
					return
				}
				_, ended := s.runUntil(jul15+hour, sub)
				if ended.Status != SubscriptionCanceled || ended.EndedAt != jul10 {
					t.Errorf("after the cancel_at: %s, ended at %d; want canceled at %d", ended.Status, ended.EndedAt, jul10)
				}
				s.abort()
			})
		}
	}
}

// runUntil runs the due work of the emulator's clock up to until and
// commits it; it returns sub as it is then, read in a unit at until it
// leaves open.
func (s *shop) runUntil(until int64, sub *Subscription) (*Unit, *Subscription) {
	s.t.Helper()
	if err := RunDue(s.unit(july), "", until); err != nil {
		s.t.Fatal(err)
	}
	s.commit()
	u := s.unit(until)
	got, err := GetSubscription(u.Tx(), sub.ID, "id")
	if err != nil {
		s.t.Fatal(err)
	}
	return u, got
}

// TestModeRequest: a new subscription's billing mode, checked.
func TestModeRequest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    ModeRequest
		want  Mode
		param string // the error's ("": none)
	}{
		{"the default", ModeRequest{Default: ModeFlexible}, ModeFlexible, ""},
		{"type given", ModeRequest{Default: ModeFlexible, Param: "billing_mode", Type: Some("classic")}, ModeClassic, ""},
		{"flexible settings", ModeRequest{Default: ModeClassic, Param: "billing_mode", Type: Some("flexible"), FlexibleGiven: true, ProrationDiscounts: Some("included")}, ModeFlexible, ""},
		{"flexible settings on classic", ModeRequest{Default: ModeFlexible, Param: "billing_mode", Type: Some("classic"), FlexibleGiven: true}, "", "billing_mode[flexible]"},
		{"itemized", ModeRequest{Param: "subscription_details[billing_mode]", Type: Some("flexible"), FlexibleGiven: true, ProrationDiscounts: Some("itemized")}, "",
			"subscription_details[billing_mode][flexible][proration_discounts]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.resolve()
			if tc.param != "" {
				wantErr(t, err, tc.param, "")
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("%s %v, want %s", got, err, tc.want)
			}
		})
	}
}

// TestMigrate: a live classic subscription moves to flexible, stamped with
// the customer's time, and bills by flexible's rules; a flexible one, a
// canceled one, an unknown one and a move to classic are refused, leaving
// what is stored as it was.
func TestMigrate(t *testing.T) {
	jul16 := july + 15*day
	flexible := ModeRequest{Param: "billing_mode", Type: Some("flexible")}
	s := newShop(t)
	_, sub, _ := s.subscribe(july, s.seat)
	u := s.unit(jul16)
	got, err := Migrate(u, MigrateRequest{Subscription: sub.ID, Mode: flexible})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := GetSubscription(u.Tx(), sub.ID, "id")
	if got.Mode() != ModeFlexible || got.BillingModeSince != jul16 || stored.Mode() != ModeFlexible || sub.Mode() != ModeClassic {
		t.Errorf("migrated %s at %d (stored %s; before %s)", got.Mode(), got.BillingModeSince, stored.Mode(), sub.Mode())
	}
	if _, ok := got.rules().(flexibleMode); !ok {
		t.Errorf("rules %T", got.rules())
	}
	s.commit()
	_, canceled, _ := s.subscribe(july, s.seat)
	u = s.unit(jul16)
	if _, err := Cancel(u, CancelRequest{Subscription: canceled.ID}); err != nil {
		t.Fatal(err)
	}
	s.commit()
	before := s.stored()
	for _, tc := range []struct {
		name  string
		in    MigrateRequest
		param string
	}{
		{"already flexible", MigrateRequest{Subscription: sub.ID, Mode: flexible}, "billing_mode[type]"},
		{"to classic", MigrateRequest{Subscription: sub.ID, Mode: ModeRequest{Param: "billing_mode", Type: Some("classic")}}, "billing_mode[type]"},
		{"canceled", MigrateRequest{Subscription: canceled.ID, Mode: flexible}, ""},
		{"unknown", MigrateRequest{Subscription: "sub_nope", Mode: flexible}, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Migrate(s.unit(jul16), tc.in)
			s.abort()
			wantErr(t, err, tc.param, "")
		})
	}
	if after := s.stored(); !reflect.DeepEqual(after, before) {
		t.Error("a refused migration changed what is stored")
	}
}
