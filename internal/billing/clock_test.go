package billing

import (
	"strings"
	"testing"
)

// TestAdvanceLimit: a test clock moves at most two intervals of the shortest
// live subscription on it in one advance, or two years without one.
func TestAdvanceLimit(t *testing.T) {
	const twoYears = july + (365+365)*day // 2026-07-01: no February 29 in between
	for _, tc := range []struct {
		name    string
		prices  func(s *shop) [][]*Price // one subscription of each
		cancel  bool                     // the first subscription has ended
		want    int64
		wantWhy string
	}{
		{name: "no subscription", want: twoYears, wantWhy: "two years (there is no subscription on it)"},
		{name: "a monthly one", prices: func(s *shop) [][]*Price { return [][]*Price{{s.seat}} },
			want: july + (31+31)*day, wantWhy: "two intervals of the shortest subscription on it (SUB, month)"},
		{name: "the shortest of a yearly and a monthly one", prices: func(s *shop) [][]*Price { return [][]*Price{{s.year}, {s.seat}} },
			want: july + (31+31)*day, wantWhy: "two intervals of the shortest subscription on it (SUB, month)"},
		{name: "a yearly one: two years", prices: func(s *shop) [][]*Price { return [][]*Price{{s.year}} },
			want: twoYears, wantWhy: "two years (there is no subscription on it)"},
		{name: "an ended one does not count", prices: func(s *shop) [][]*Price { return [][]*Price{{s.seat}} }, cancel: true,
			want: twoYears, wantWhy: "two years (there is no subscription on it)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newDueShop(t, false)
			var monthly string
			if tc.prices != nil {
				for i, prices := range tc.prices(s.shop) {
					_, sub := s.start(SubscriptionCreate{}, prices...)
					if i == 0 && tc.cancel {
						sub = sub.Clone()
						sub.Status = SubscriptionCanceled
						s.put(TableSubscriptions, sub)
					}
					if prices[0] == s.seat {
						monthly = sub.ID
					}
				}
			}
			u := s.unit(july)
			limit, why, err := AdvanceLimit(u, s.group, july)
			if err != nil {
				t.Fatal(err)
			}
			wantWhy := strings.Replace(tc.wantWhy, "SUB", monthly, 1)
			if limit != tc.want || why != wantWhy {
				t.Errorf("AdvanceLimit = %d, %q; want %d, %q", limit, why, tc.want, wantWhy)
			}
		})
	}
}

// TestAdvanceClock: an advance runs the due work of its clock's objects only,
// up to its target.
func TestAdvanceClock(t *testing.T) {
	s := newDueShop(t, false)
	_, onClock := s.start(SubscriptionCreate{}, s.seat)
	other := &dueShop{shop: s.shop, group: s.clock(july).ID}
	_, elsewhere := other.start(SubscriptionCreate{}, s.seat)
	u := s.unit(july)
	if err := AdvanceClock(u, s.group, august+hour); err != nil {
		t.Fatal(err)
	}
	s.commit()
	if got := read[*Subscription](s, TableSubscriptions, onClock.ID); got.PeriodStart != august {
		t.Errorf("the clock's subscription is in the period from %d, want %d", got.PeriodStart, august)
	}
	if got := read[*Subscription](s, TableSubscriptions, elsewhere.ID); got.PeriodStart != july || got.UpcomingNoticeFor != 0 {
		t.Errorf("another clock's subscription moved: period from %d, notice for %d", got.PeriodStart, got.UpcomingNoticeFor)
	}
}

// TestDeleteClockObjects: deleting a test clock removes its subscriptions
// (with their items), invoices and invoice items, and deletes its customers
// (a tombstone stays); nothing of another clock is touched.
func TestDeleteClockObjects(t *testing.T) {
	s := newDueShop(t, false)
	cu, sub := s.start(SubscriptionCreate{}, s.seat, s.tokens)
	s.put(TableInvoiceItems, &InvoiceItem{Meta: s.meta("ii", july), Customer: cu.ID, Amount: 500, Currency: "usd", TestClock: cu.TestClock})
	other := &dueShop{shop: s.shop, group: ""}
	ocu, osub := other.start(SubscriptionCreate{}, s.seat)
	before := s.stored()
	u := s.unit(july)
	if err := DeleteClockObjects(u, s.group); err != nil {
		t.Fatal(err)
	}
	s.commit()
	after := s.stored()
	for _, table := range []string{TableSubscriptions, TableSubscriptionItems, TableInvoices, TableInvoiceItems} {
		for id, r := range before[table] {
			if _, kept := after[table][id]; kept == isOnClock(r, sub.ID, cu.ID) {
				t.Errorf("%s %s: kept %v", table, id, kept)
			}
		}
	}
	if got := after[TableCustomers][cu.ID].(*Customer); !got.Deleted || got.TestClock != "" || got.ID != cu.ID || got.Created != cu.Created {
		t.Errorf("the clock's customer is %+v, want a tombstone", got)
	}
	if got := after[TableCustomers][ocu.ID].(*Customer); got != before[TableCustomers][ocu.ID] {
		t.Error("another customer was changed")
	}
	if after[TableSubscriptions][osub.ID] != before[TableSubscriptions][osub.ID] {
		t.Error("another subscription was changed")
	}
}

// isOnClock reports whether a record belongs to the clock's customer.
func isOnClock(r any, sub, customer string) bool {
	switch x := r.(type) {
	case *Subscription:
		return x.ID == sub
	case *Item:
		return x.Subscription == sub
	case *Invoice:
		return x.Customer == customer
	case *InvoiceItem:
		return x.Customer == customer
	}
	return false
}
