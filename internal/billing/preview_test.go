package billing

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestPreviews: a preview is the invoice a customer would get next: the
// renewal of their subscription (its usage so far in arrears, the next
// period in advance), with a previewed change applied by the update's own
// code (its prorations pending before the renewal, or the invoice it bills
// at once), the final invoice of a cancellation now, or a new subscription's
// first invoice; with their pending items and the request's invoice_items
// unless only the recurring charges are asked for. It writes in the unit's
// transaction only: after each, the transaction is aborted and the stored
// records are as they were. (The Alpaca walkthrough: 3,000 tokens is 12.)
func TestPreviews(t *testing.T) {
	jul16, jul20, jul25 := july+15*day, july+19*day, july+24*day
	quantity2 := func(items []*Item) []ItemChange {
		ic := changeOf(0, items[0])
		ic.Param, ic.Quantity = "subscription_details[items][0]", Some(int64(2))
		return []ItemChange{ic}
	}
	for _, tc := range []struct {
		name     string
		prices   func(s *shop) []*Price // the subscription's (nil: none)
		pending  int64                  // a pending invoice item of the customer, if not 0
		at       int64                  // when the preview is made (0: July 16)
		in       func(s *shop, sub *Subscription, items []*Item, in *PreviewRequest)
		lines    []int64
		reason   string
		start    int64 // the invoice's period
		end      int64
		created  int64
		noSub    bool // the invoice is of no subscription (a new one)
		errParam string
		errCode  string
	}{
		{name: "the renewal: usage so far in arrears", prices: func(s *shop) []*Price { return []*Price{s.tokens} },
			lines: []int64{12}, reason: "upcoming", start: july, end: august, created: august},
		{name: "the renewal of a licensed item: the next period in advance", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			lines: []int64{3100, 12}, reason: "upcoming", start: july, end: august, created: august},
		{name: "the customer's pending items first", prices: func(s *shop) []*Price { return []*Price{s.seat} }, pending: 500,
			lines: []int64{500, 3100}, reason: "upcoming", start: july, end: august, created: august},
		{name: "a quantity change from proration_date: its prorations, then the renewal", prices: func(s *shop) []*Price { return []*Price{s.seat} }, at: jul20,
			in: func(_ *shop, _ *Subscription, items []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven, in.Change.ProrationDate = quantity2(items), true, Some(jul16)
			},
			lines: []int64{-1600, 3200, 6200}, reason: "upcoming", start: july, end: august, created: august},
		{name: "always_invoice: the invoice the change makes at once", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, _ *Subscription, items []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven, in.Change.ProrationBehavior = quantity2(items), true, ProrationAlwaysInvoice
			},
			lines: []int64{-1600, 3200}, reason: "subscription_update", start: jul16, end: jul16, created: jul16},
		{name: "preview_mode=recurring: no prorations, no pending items", prices: func(s *shop) []*Price { return []*Price{s.seat} }, pending: 500,
			in: func(_ *shop, _ *Subscription, items []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven, in.Recurring = quantity2(items), true, true
				in.InvoiceItems = []InvoiceItemSpec{{Param: "invoice_items[0]", Fields: InvoiceItemFields{Amount: Some(int64(300))}}}
			},
			lines: []int64{6200}, reason: "upcoming", start: july, end: august, created: august},
		{name: "cancel_now: the usage so far", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in:    func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) { in.Change.CancelNow = true },
			lines: []int64{12}, reason: "subscription_cycle", start: july, end: jul16, created: jul16},
		{name: "cancel_at_period_end: the last invoice, usage only", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.CancelAtPeriodEnd = Some(true)
			},
			lines: []int64{12}, reason: "upcoming", start: july, end: august, created: august},
		{name: "cancel_at: the period up to it", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in:    func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) { in.Change.CancelAt = Some(jul25) },
			lines: []int64{12}, reason: "upcoming", start: july, end: jul25, created: jul25},
		{name: "invoice_items: after the pending items", prices: func(s *shop) []*Price { return []*Price{s.tokens} }, pending: 500,
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.InvoiceItems = []InvoiceItemSpec{
					{Param: "invoice_items[0]", Fields: InvoiceItemFields{Amount: Some(int64(300))}},
					{Param: "invoice_items[1]", Fields: InvoiceItemFields{Price: Some(s.setup.ID), Quantity: Some(int64(2))}},
				}
			},
			lines: []int64{500, 300, 5000, 12}, reason: "upcoming", start: july, end: august, created: august},
		{name: "a new subscription: its first invoice",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)}, true
			},
			lines: []int64{3100, 0}, reason: "subscription_create", start: jul16, end: jul16, created: jul16, noSub: true},
		{name: "a new subscription with a trial: the trial's free lines",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)}, true
				in.Change.TrialEnd = Some(Moment{At: jul16 + 14*day})
			},
			lines: []int64{0, 0}, reason: "subscription_create", start: jul16, end: jul16, created: jul16, noSub: true},
		{name: "a new subscription with trial_end now: no trial",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)}, true
				in.Change.TrialEnd = Some(Moment{Now: true})
			},
			lines: []int64{3100, 0}, reason: "subscription_create", start: jul16, end: jul16, created: jul16, noSub: true},
		{name: "a new subscription with a cancel_at on 1 August: its first period truncated, prorated (16 of 31 days)",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID), item(1, s.tokens.ID)}, true
				in.Change.CancelAt = Some(august)
			},
			lines: []int64{1600, 0}, reason: "subscription_create", start: jul16, end: jul16, created: jul16, noSub: true},
		{name: "a new subscription with a cancel_at in the past",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID)}, true
				in.Change.CancelAt = Some(jul16)
			},
			errParam: "subscription_details[cancel_at]", errCode: "parameter_invalid"},
		{name: "a new subscription with a trial_end in the past",
			in: func(s *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{item(0, s.seat.ID)}, true
				in.Change.TrialEnd = Some(Moment{At: jul16 - day})
			},
			errParam: "subscription_details[trial_end]", errCode: "parameter_invalid"},
		{name: "no customer, no subscription", in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) { in.Customer = Opt[string]{} },
			errParam: "customer", errCode: "parameter_missing"},
		{name: "an unknown subscription, and an anchor timestamp", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Subscription, in.Change.AnchorTimestamp = Some("sub_missing"), "subscription_details[billing_cycle_anchor]"
			},
			errParam: "subscription", errCode: "resource_missing"},
		{name: "the subscription of another customer", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, sub *Subscription, _ []*Item, in *PreviewRequest) {
				in.Customer, in.Subscription = Some("cus_other"), Some(sub.ID)
			},
			errParam: "subscription", errCode: "parameter_invalid"},
		{name: "an anchor timestamp, and an unknown item", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.AnchorTimestamp = "subscription_billing_cycle_anchor"
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{{Param: "subscription_items[0]", ID: Some("si_missing")}}, true
			},
			errParam: "subscription_billing_cycle_anchor"},
		{name: "the change's own error", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.Change.Items, in.Change.ItemsGiven = []ItemChange{{Param: "subscription_items[0]", ID: Some("si_missing")}}, true
			},
			errParam: "subscription_items[0][id]", errCode: "resource_missing"},
		{name: "another currency than the invoice's", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:       func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) { in.Currency = Some("eur") },
			errParam: "currency", errCode: "parameter_invalid"},
		{name: "an invoice item without an amount", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, _ *Subscription, _ []*Item, in *PreviewRequest) {
				in.InvoiceItems = []InvoiceItemSpec{{Param: "invoice_items[0]", Fields: InvoiceItemFields{Quantity: Some(int64(2))}}}
			},
			errParam: "invoice_items[0]", errCode: "parameter_missing"},
		{name: "nothing upcoming", errCode: "invoice_upcoming_none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			cu := s.customer("", july)
			var sub *Subscription
			var items []*Item
			if tc.prices != nil {
				in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true}
				for i, pr := range tc.prices(s) {
					in.Items = append(in.Items, item(i, pr.ID))
				}
				u := s.unit(july)
				var err error
				if sub, err = CreateSubscription(u, in); err != nil {
					t.Fatal(err)
				}
				items, _ = ItemsOf(u.Tx(), sub.ID)
				s.commit()
			}
			if tc.pending != 0 {
				s.put(TableInvoiceItems, &InvoiceItem{Meta: s.meta("ii", july+day), Customer: cu.ID, Amount: tc.pending, Currency: "usd",
					Quantity: 1, Metadata: map[string]string{}})
			}
			s.report(s.meter, cu.ID, july+4*day, 3000)
			in := PreviewRequest{Customer: Some(cu.ID), Change: PreviewChange{ProrationBehavior: ProrationCreate}}
			if tc.in != nil {
				tc.in(s, sub, items, &in)
			}
			at := tc.at
			if at == 0 {
				at = jul16
			}
			before := s.stored()
			u := s.unit(at)
			inv, err := Preview(u, in)
			s.abort()
			if !maps.EqualFunc(before, s.stored(), maps.Equal) {
				t.Errorf("the preview changed what is stored")
			}
			if tc.errCode != "" || tc.errParam != "" {
				wantErr(t, err, tc.errParam, tc.errCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(amounts(inv.Lines), tc.lines) {
				t.Errorf("lines %v, want %v", amounts(inv.Lines), tc.lines)
			}
			if inv.BillingReason != tc.reason || inv.PeriodStart != tc.start || inv.PeriodEnd != tc.end || inv.Created != tc.created {
				t.Errorf("%s, period %d-%d, created %d; want %s, %d-%d, %d", inv.BillingReason, inv.PeriodStart, inv.PeriodEnd, inv.Created,
					tc.reason, tc.start, tc.end, tc.created)
			}
			wantSub, wantURL := "", "/v1/invoices/upcoming/lines?customer="+cu.ID
			if !tc.noSub {
				wantSub = sub.ID
				wantURL += "&subscription=" + sub.ID
			}
			if !inv.Preview || !strings.HasPrefix(inv.ID, "upcoming_in_") || inv.Status != InvoiceDraft || inv.Customer != cu.ID ||
				inv.Subscription != wantSub || inv.Currency != "usd" || inv.LinesURL != wantURL || inv.NextPaymentAttempt != inv.Created+3600 {
				t.Errorf("preview %v, id %s, %s, customer %s, subscription %s, %s, lines %s, next attempt %d",
					inv.Preview, inv.ID, inv.Status, inv.Customer, inv.Subscription, inv.Currency, inv.LinesURL, inv.NextPaymentAttempt)
			}
		})
	}
}

// TestPreviewThePreviewedSubscription: without a subscription given, the
// preview is of the customer's live subscription that renews first.
func TestPreviewThePreviewedSubscription(t *testing.T) {
	s := newShop(t)
	cu := s.customer("", july)
	u := s.unit(july)
	yearly, err := CreateSubscription(u, SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.year.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	monthly, err := CreateSubscription(u, SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.seat.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	s.commit()
	u = s.unit(july + day)
	inv, err := Preview(u, PreviewRequest{Customer: Some(cu.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Subscription != monthly.ID || !slices.Equal(amounts(inv.Lines), []int64{3100}) {
		t.Errorf("the preview is of %s (%v); want the monthly %s, not the yearly %s", inv.Subscription, amounts(inv.Lines), monthly.ID, yearly.ID)
	}
}

// TestUpcomingRenewal: invoice.upcoming's preview of a renewal is the next
// invoice, unchanged, with the pending items; it writes nothing.
func TestUpcomingRenewal(t *testing.T) {
	s := newShop(t)
	cu, sub, _ := s.subscribe(july, s.seat, s.tokens)
	s.put(TableInvoiceItems, &InvoiceItem{Meta: s.meta("ii", july+day), Customer: cu.ID, Amount: 500, Currency: "usd", Quantity: 1,
		Metadata: map[string]string{}})
	s.report(s.meter, cu.ID, july+4*day, 3000)
	u := s.unit(august - 3*day)
	heard := len(s.sink.changes)
	inv, err := upcomingRenewal(u, sub, august-3*day)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.sink.changes) != heard {
		t.Errorf("the preview wrote %d changes", len(s.sink.changes)-heard)
	}
	if inv.ID != "" || !inv.Preview || inv.BillingReason != "upcoming" || inv.Created != august || inv.Subscription != sub.ID ||
		!slices.Equal(amounts(inv.Lines), []int64{500, 3100, 12}) || inv.LinesURL != "/v1/invoices/upcoming/lines?customer="+cu.ID+"&subscription="+sub.ID {
		t.Errorf("id %q, preview %v, %s, created %d, subscription %s, lines %v, %s", inv.ID, inv.Preview, inv.BillingReason, inv.Created,
			inv.Subscription, amounts(inv.Lines), inv.LinesURL)
	}
}
