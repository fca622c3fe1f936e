package billing

import (
	"slices"
	"testing"
)

// TestCancel: a subscription canceled now ends at once (status canceled,
// canceled_at and ended_at now), with a final invoice of its usage so far and
// its pending items (subscription_cycle, its period up to now) unless
// invoice_now is false or there is nothing to bill; prorate credits the
// unused time of its licensed items on it.
func TestCancel(t *testing.T) {
	jul16 := july + 15*day
	for _, tc := range []struct {
		name    string
		metered bool // a metered item beside the seat, with 3,000 tokens used
		in      CancelRequest
		lines   []int64 // the final invoice's (nil: none)
	}{
		{name: "invoice_now (the default): the usage so far", metered: true, lines: []int64{12}},
		{name: "prorate: the unused time credited too", metered: true, in: CancelRequest{Prorate: true}, lines: []int64{-1600, 12}},
		{name: "invoice_now=false: no final invoice", metered: true, in: CancelRequest{InvoiceNow: Some(false)}},
		{name: "nothing to bill: no final invoice", in: CancelRequest{InvoiceNow: Some(true)}},
		{name: "cancellation_details", in: CancelRequest{Cancellation: CancellationDetails{Given: true, Comment: Some("too dear"), Feedback: Some("too_expensive")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			prices := []*Price{s.seat}
			if tc.metered {
				prices = append(prices, s.tokens)
			}
			cu, sub, _ := s.subscribe(july, prices...)
			first := sub.LatestInvoice
			if tc.metered {
				s.report(s.meter, cu.ID, july+4*day, 3000)
			}
			in := tc.in
			in.Subscription = sub.ID
			u := s.unit(jul16)
			got, err := Cancel(u, in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != SubscriptionCanceled || got.CanceledAt != jul16 || got.EndedAt != jul16 || got.CancelReason != "cancellation_requested" {
				t.Errorf("%s, canceled %d, ended %d, %s", got.Status, got.CanceledAt, got.EndedAt, got.CancelReason)
			}
			if got.CancelComment != tc.in.Cancellation.Comment.V || got.CancelFeedback != tc.in.Cancellation.Feedback.V {
				t.Errorf("cancellation_details: %q, %q", got.CancelComment, got.CancelFeedback)
			}
			var lines []int64
			if got.LatestInvoice != first {
				lines = amounts(latestLines(t, u, got))
				inv, _ := GetInvoice(u.Tx(), got.LatestInvoice, "invoice")
				if inv.BillingReason != "subscription_cycle" || inv.PeriodStart != july || inv.PeriodEnd != jul16 || inv.Status != InvoicePaid {
					t.Errorf("the final invoice: %s, %d-%d, %s", inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Status)
				}
			}
			if !slices.Equal(lines, tc.lines) {
				t.Errorf("the final invoice %v, want %v", lines, tc.lines)
			}
			if stored, _ := GetSubscription(u.Tx(), sub.ID, "id"); stored != got {
				t.Errorf("the subscription returned is not the one stored")
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		s := newShop(t)
		_, sub, _ := s.subscribe(july, s.seat)
		u := s.unit(jul16)
		_, err := Cancel(u, CancelRequest{Subscription: "sub_missing"})
		wantErr(t, err, "id", "resource_missing")
		if _, err := Cancel(u, CancelRequest{Subscription: sub.ID}); err != nil {
			t.Fatal(err)
		}
		_, err = Cancel(u, CancelRequest{Subscription: sub.ID})
		wantErr(t, err, "", "")
	})
}

// TestResume: a paused subscription (its trial ended without a payment
// method) resumes. billing_cycle_anchor=now starts a new period now, billed
// at once; unchanged returns to the period around now on its anchor and
// charges the rest of it as proration_behavior says (3,100 · 23/31 = 2,300
// for July 16 to August 8).
func TestResume(t *testing.T) {
	jul8, jul16, aug8 := july+7*day, july+15*day, august+7*day
	for _, tc := range []struct {
		name               string
		in                 ResumeRequest
		start, end, anchor int64
		pending, billed    []int64
		errParam           string
	}{
		{name: "billing_cycle_anchor=now: a new period from now, billed at once", in: ResumeRequest{AnchorNow: true},
			start: jul16, end: august + 15*day, anchor: jul16, pending: []int64{}, billed: []int64{3100}},
		{name: "unchanged: the rest of the period around now charged", in: ResumeRequest{ProrationBehavior: ProrationCreate},
			start: jul8, end: aug8, anchor: jul8, pending: []int64{2300}},
		{name: "unchanged, from proration_date", in: ResumeRequest{ProrationDate: Some(jul8 + 15*day)},
			start: jul8, end: aug8, anchor: jul8, pending: []int64{1600}},
		{name: "unchanged with none: nothing", in: ResumeRequest{ProrationBehavior: ProrationNone},
			start: jul8, end: aug8, anchor: jul8, pending: []int64{}},
		{name: "unchanged with always_invoice: invoiced at once", in: ResumeRequest{ProrationBehavior: ProrationAlwaysInvoice},
			start: jul8, end: aug8, anchor: jul8, pending: []int64{}, billed: []int64{2300}},
		{name: "proration_date outside the period", in: ResumeRequest{ProrationDate: Some(july)}, errParam: "proration_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			cu := s.customer("", july)
			sub, err := CreateSubscription(s.unit(july), SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true,
				Items: []ItemChange{item(0, s.seat.ID)}, TrialPeriodDays: Some(int64(7))})
			if err != nil {
				t.Fatal(err)
			}
			paused := sub.Clone()
			paused.Status = SubscriptionPaused
			if err := s.tx.Put(TableSubscriptions, paused); err != nil {
				t.Fatal(err)
			}
			s.commit()
			in := tc.in
			in.Subscription = sub.ID
			u := s.unit(jul16)
			got, err := Resume(u, in)
			if tc.errParam != "" {
				wantErr(t, err, tc.errParam, "parameter_invalid")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != SubscriptionActive || got.PeriodStart != tc.start || got.PeriodEnd != tc.end || got.BillingCycleAnchor != tc.anchor || got.TrialEnd != jul8 {
				t.Errorf("%s, period %d-%d, anchor %d, trial end %d; want active, %d-%d, %d", got.Status, got.PeriodStart, got.PeriodEnd,
					got.BillingCycleAnchor, got.TrialEnd, tc.start, tc.end, tc.anchor)
			}
			if p := pendingAmounts(t, u, cu.ID); !slices.Equal(p, tc.pending) {
				t.Errorf("pending %v, want %v", p, tc.pending)
			}
			var billed []int64
			if got.LatestInvoice != sub.LatestInvoice {
				billed = amounts(latestLines(t, u, got))
			}
			if !slices.Equal(billed, tc.billed) {
				t.Errorf("billed at once %v, want %v", billed, tc.billed)
			}
		})
	}
	t.Run("only a paused subscription", func(t *testing.T) {
		s := newShop(t)
		_, sub, _ := s.subscribe(july, s.seat)
		_, err := Resume(s.unit(jul16), ResumeRequest{Subscription: sub.ID, AnchorNow: true})
		wantErr(t, err, "", "")
	})
}

// TestDeleteCustomer: deleting a customer leaves a tombstone and cancels
// their live subscriptions at once, without a final invoice.
func TestDeleteCustomer(t *testing.T) {
	jul16 := july + 15*day
	s := newShop(t)
	cu, live, _ := s.subscribe(july, s.seat)
	ended := &Subscription{Meta: s.meta("sub", july), Customer: cu.ID, Status: SubscriptionCanceled, EndedAt: july + day, Metadata: map[string]string{}}
	s.put(TableSubscriptions, ended)
	u := s.unit(jul16)
	gone, err := DeleteCustomer(u, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !gone.Deleted || gone.ID != cu.ID {
		t.Errorf("the tombstone: %+v", gone)
	}
	sub, _ := GetSubscription(u.Tx(), live.ID, "id")
	if sub.Status != SubscriptionCanceled || sub.CanceledAt != jul16 || sub.EndedAt != jul16 || sub.CancelReason != "cancellation_requested" || sub.LatestInvoice != live.LatestInvoice {
		t.Errorf("the live subscription: %s, canceled %d, ended %d, %s, latest %s", sub.Status, sub.CanceledAt, sub.EndedAt, sub.CancelReason, sub.LatestInvoice)
	}
	if old, _ := GetSubscription(u.Tx(), ended.ID, "id"); old != ended {
		t.Errorf("the ended subscription changed: %+v", old)
	}
	if _, err := GetCustomer(u.Tx(), cu.ID, "customer", false); err == nil {
		t.Errorf("the customer can still be found")
	}
	_, err = DeleteCustomer(u, cu.ID)
	wantErr(t, err, "id", "resource_missing")
}
