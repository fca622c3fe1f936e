package billing

import (
	"reflect"
	"slices"
	"testing"
)

// TestPause: a flexible subscription of a seat (3,100 a month) and the
// tokens (4 per 1,000, 3,000 of them: 12) paused on 16 July. By bill_for,
// the usage so far and the credit for the seat's unused time (16 of 31
// days: -1,600, or from 1 July: -3,100) are pending items, or with
// invoicing_behavior=invoice an invoice at once; the tokens then count from
// the pause. Refused: a classic subscription, one not active, an unknown
// one, leaving what is stored as it was.
func TestPause(t *testing.T) {
	jul5, jul16 := july+4*day, july+15*day
	for _, tc := range []struct {
		name    string
		in      PauseSettings
		pending []int64
		billed  []int64 // the invoice made at once (nil: none)
	}{
		{"the defaults", PauseSettings{}, []int64{12, -1600}, nil},
		{"invoiced at once", PauseSettings{InvoicingBehavior: "invoice"}, []int64{}, []int64{12, -1600}},
		{"no usage", PauseSettings{UsageThrough: "none"}, []int64{-1600}, nil},
		{"no credit", PauseSettings{UnusedTimeFrom: "none"}, []int64{12}, nil},
		{"nothing, invoice", PauseSettings{UsageThrough: "none", UnusedTimeFrom: "none", InvoicingBehavior: "invoice"}, []int64{}, nil},
		{"credited from the period start", PauseSettings{UnusedTimeFrom: "item_current_period_start"}, []int64{-3100, 12}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			cu, sub, items := s.subscribeIn(ModeFlexible, july, nil, s.seat, s.tokens)
			s.report(s.meter, cu.ID, jul5, 3000)
			u := s.unit(jul16)
			in := PauseRequest{Subscription: sub.ID, PauseSettings: tc.in}
			paused, err := Pause(u, in)
			if err != nil {
				t.Fatal(err)
			}
			if paused.Status != SubscriptionPaused || paused.PausedAt != jul16 || paused.PauseReason != PauseRequested || paused.PeriodEnd != sub.PeriodEnd {
				t.Errorf("paused: %s at %d (%s), period end %d", paused.Status, paused.PausedAt, paused.PauseReason, paused.PeriodEnd)
			}
			if got := pendingAmounts(t, u, cu.ID); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tc.pending))) {
				t.Errorf("pending %v, want %v", got, tc.pending)
			}
			var billed []int64
			if paused.LatestInvoice != sub.LatestInvoice {
				billed = amounts(latestLines(t, u, paused))
			}
			if !slices.Equal(slices.Sorted(slices.Values(billed)), slices.Sorted(slices.Values(tc.billed))) {
				t.Errorf("billed at once %v, want %v", billed, tc.billed)
			}
			tokens, _ := GetItem(u.Tx(), items[1].ID, "id")
			if wantSince := map[bool]int64{true: 0, false: jul16}[in.UsageThrough == "none"]; tokens.PriceSince != wantSince {
				t.Errorf("the tokens count from %d, want %d", tokens.PriceSince, wantSince)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		s := newShop(t)
		_, classic, _ := s.subscribe(july, s.seat)
		_, flexible, _ := s.subscribeIn(ModeFlexible, july, nil, s.seat)
		if _, err := Pause(s.unit(jul16), PauseRequest{Subscription: flexible.ID}); err != nil {
			t.Fatal(err)
		}
		s.commit()
		before := s.stored()
		for _, id := range []string{classic.ID, flexible.ID, "sub_nope"} {
			_, err := Pause(s.unit(jul16), PauseRequest{Subscription: id})
			s.abort()
			wantErr(t, err, map[bool]string{true: "id", false: ""}[id == "sub_nope"], "")
		}
		if !reflect.DeepEqual(before, s.stored()) {
			t.Error("a refused pause changed what is stored")
		}
	})
}
