package billing

import (
	"slices"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// TestCreateSubscription: a subscription's start. Its first period runs from
// now (or a backdated start) to a whole period ahead, the end of a trial, or
// a billing_cycle_anchor ahead; its first invoice (subscription_create) is
// finalized at once with the licensed items of that period in advance (free
// during a trial, prorated up to an anchor ahead, the backdated time prorated
// in one line) and metered items at 0, after the customer's pending items and
// add_invoice_items. With proration_behavior=none, the time up to an anchor
// ahead is free: no invoice until then. (Amounts as in the HTTP tests.)
func TestCreateSubscription(t *testing.T) {
	jul8, jul11, jul15 := july+7*day, july+10*day, july+14*day
	for _, tc := range []struct {
		name   string
		now    int64
		prices func(s *shop) []*Price
		in     func(s *shop, in *SubscriptionCreate)
		// what the subscription becomes
		status                SubscriptionStatus
		start, end, anchor    int64 // its period and billing_cycle_anchor
		trialStart, trialEnd  int64
		startDate, freeUntil  int64
		lines                 []int64 // its first invoice's (nil: none)
		firstDesc             string  // the description of the first invoice's first line ("": not checked)
		wantQuantity, wantLen int64   // of the first item, and the number of items
	}{
		{name: "licensed: a whole period in advance", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{3100},
			firstDesc: "1 × Seats (at $31.00 / month)", wantQuantity: 1, wantLen: 1},
		{name: "a quantity", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.Items[0].Quantity = Some(int64(3)) },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{9300}, wantQuantity: 3, wantLen: 1},
		{name: "metered: a line of 0, no quantity", prices: func(s *shop) []*Price { return []*Price{s.tokens} },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{0}, wantQuantity: 0, wantLen: 1},
		{name: "trial_period_days: free until the trial ends", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.TrialPeriodDays = Some(int64(7)) },
			status: SubscriptionTrialing, start: july, end: jul8, anchor: jul8, trialStart: july, trialEnd: jul8, startDate: july,
			lines: []int64{0}, firstDesc: "Trial period for Seats", wantQuantity: 1, wantLen: 1},
		{name: "trial_period_days=0: no trial", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.TrialPeriodDays = Some(int64(0)) },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{3100}, wantQuantity: 1, wantLen: 1},
		{name: "trial_end", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.TrialEnd = Some(Moment{At: july + 3*day}) },
			status: SubscriptionTrialing, start: july, end: july + 3*day, anchor: july + 3*day, trialStart: july, trialEnd: july + 3*day,
			startDate: july, lines: []int64{0}, wantQuantity: 1, wantLen: 1},
		{name: "trial_end=now: no trial", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.TrialEnd = Some(Moment{Now: true}) },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{3100}, wantQuantity: 1, wantLen: 1},
		{name: "trial_from_plan: the price's trial", prices: func(s *shop) []*Price { return []*Price{s.seat, s.trial} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.TrialFromPlan = true },
			status: SubscriptionTrialing, start: july, end: jul8, anchor: jul8, trialStart: july, trialEnd: jul8, startDate: july,
			lines: []int64{0, 0}, wantQuantity: 1, wantLen: 2},
		{name: "trial_from_plan with a trial given: the one given", prices: func(s *shop) []*Price { return []*Price{s.trial} },
			in: func(_ *shop, in *SubscriptionCreate) {
				in.TrialFromPlan, in.TrialPeriodDays = true, Some(int64(3))
			},
			status: SubscriptionTrialing, start: july, end: july + 3*day, anchor: july + 3*day, trialStart: july, trialEnd: july + 3*day,
			startDate: july, lines: []int64{0}, wantQuantity: 1, wantLen: 1},
		// 14 days of June 15 → July 15 (30 days): 3100 · 14/30 = 1446.67.
		{name: "billing_cycle_anchor ahead: the stub prorated", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.Anchor = Some(jul15) },
			status: SubscriptionActive, start: july, end: jul15, anchor: jul15, startDate: july, lines: []int64{1447, 0}, wantQuantity: 1, wantLen: 2},
		{name: "billing_cycle_anchor ahead with proration_behavior=none: free until it", prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Anchor, in.ProrationBehavior = Some(jul15), ProrationNone
			},
			status: SubscriptionActive, start: july, end: jul15, anchor: jul15, startDate: july, wantQuantity: 1, wantLen: 2},
		{name: "billing_cycle_anchor now", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.Anchor = Some(july) },
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{3100}, wantQuantity: 1, wantLen: 1},
		{name: "a trial up to an anchor ahead, with proration_behavior=none: the stub after it free", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, in *SubscriptionCreate) {
				in.TrialPeriodDays, in.Anchor, in.ProrationBehavior = Some(int64(7)), Some(jul15), ProrationNone
			},
			status: SubscriptionTrialing, start: july, end: jul8, anchor: jul15, trialStart: july, trialEnd: jul8, startDate: july, freeUntil: jul15,
			lines: []int64{0}, wantQuantity: 1, wantLen: 1},
		{name: "a trial up to an anchor ahead: the stub after it charged", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, in *SubscriptionCreate) {
				in.TrialPeriodDays, in.Anchor = Some(int64(7)), Some(jul15)
			},
			status: SubscriptionTrialing, start: july, end: jul8, anchor: jul15, trialStart: july, trialEnd: jul8, startDate: july,
			lines: []int64{0}, wantQuantity: 1, wantLen: 1},
		// 10 days of an imagined month from the backdated start, July 1 →
		// August 1 (31 days): 3100 · 10/31 = 1000; then a whole period from now.
		{name: "backdated: the backdated time prorated, then a whole period", now: jul11, prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} },
			in:     func(_ *shop, in *SubscriptionCreate) { in.BackdateStartDate = Some(july) },
			status: SubscriptionActive, start: july, end: august + 10*day, anchor: jul11, startDate: july, lines: []int64{1000, 3100, 0},
			wantQuantity: 1, wantLen: 2},
		{name: "backdated without charging it", now: jul11, prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(_ *shop, in *SubscriptionCreate) {
				in.BackdateStartDate, in.ProrationBehavior = Some(july), ProrationNone
			},
			status: SubscriptionActive, start: july, end: august + 10*day, anchor: jul11, startDate: july, lines: []int64{3100},
			wantQuantity: 1, wantLen: 1},
		{name: "add_invoice_items: on the first invoice, before the items", prices: func(s *shop) []*Price { return []*Price{s.seat} },
			in: func(s *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some(s.setup.ID)}, Quantity: Some(int64(2))}}
			},
			status: SubscriptionActive, start: july, end: august, anchor: july, startDate: july, lines: []int64{5000, 3100},
			firstDesc: "Seats", wantQuantity: 1, wantLen: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			now := tc.now
			if now == 0 {
				now = july
			}
			cu := s.customer("", july)
			in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true}
			for i, pr := range tc.prices(s) {
				in.Items = append(in.Items, item(i, pr.ID))
			}
			if tc.in != nil {
				tc.in(s, &in)
			}
			u := s.unit(now)
			sub, err := CreateSubscription(u, in)
			if err != nil {
				t.Fatal(err)
			}
			if sub.Status != tc.status || sub.PeriodStart != tc.start || sub.PeriodEnd != tc.end || sub.BillingCycleAnchor != tc.anchor ||
				sub.TrialStart != tc.trialStart || sub.TrialEnd != tc.trialEnd || sub.StartDate != tc.startDate || sub.StubFreeUntil != tc.freeUntil {
				t.Errorf("%s, period %d-%d, anchor %d, trial %d-%d, start date %d, free until %d; want %s, %d-%d, %d, %d-%d, %d, %d",
					sub.Status, sub.PeriodStart, sub.PeriodEnd, sub.BillingCycleAnchor, sub.TrialStart, sub.TrialEnd, sub.StartDate, sub.StubFreeUntil,
					tc.status, tc.start, tc.end, tc.anchor, tc.trialStart, tc.trialEnd, tc.startDate, tc.freeUntil)
			}
			if sub.Created != now || sub.Customer != cu.ID || sub.Currency != "usd" || sub.CollectionMethod != "charge_automatically" {
				t.Errorf("created %d, customer %s, currency %s, %s", sub.Created, sub.Customer, sub.Currency, sub.CollectionMethod)
			}
			stored, _ := GetSubscription(u.Tx(), sub.ID, "id")
			if stored != sub {
				t.Errorf("the subscription returned is not the one stored")
			}
			items, _ := ItemsOf(u.Tx(), sub.ID)
			if int64(len(items)) != tc.wantLen || items[0].Quantity != tc.wantQuantity || items[0].PriceSince != 0 {
				t.Errorf("%d items, the first's quantity %d (since %d); want %d, %d", len(items), items[0].Quantity, items[0].PriceSince, tc.wantLen, tc.wantQuantity)
			}
			lines := latestLines(t, u, sub)
			if !slices.Equal(amounts(lines), tc.lines) || tc.lines == nil && lines != nil {
				t.Errorf("the first invoice: %v, want %v", amounts(lines), tc.lines)
			}
			if tc.firstDesc != "" && len(lines) > 0 && lines[0].Description != tc.firstDesc {
				t.Errorf("its first line: %q, want %q", lines[0].Description, tc.firstDesc)
			}
			if tc.lines != nil {
				inv, _ := GetInvoice(u.Tx(), sub.LatestInvoice, "invoice")
				if inv.BillingReason != "subscription_create" || inv.Status != InvoicePaid || inv.Created != now || inv.Subscription != sub.ID {
					t.Errorf("the first invoice: %s, %s, created %d, subscription %s", inv.BillingReason, inv.Status, inv.Created, inv.Subscription)
				}
			}
			if after, _ := GetCustomer(u.Tx(), cu.ID, "customer", false); after.Currency != "usd" {
				t.Errorf("the customer's currency: %q", after.Currency)
			}
		})
	}
}

// TestCreateSubscriptionChecks: each fault of a new subscription is refused
// with its parameter, and a request with two faults gets the first one's
// error, in Stripe's order: the customer, the backdated start, the items (each
// in order: its price, a duplicate, currency and interval, its quantity, its
// metadata), currency, the customer's currency, the settings, the trial, the
// anchor, add_invoice_items.
func TestCreateSubscriptionChecks(t *testing.T) {
	badDays := func(in *SubscriptionCreate) { in.Settings.DaysUntilDue = Some(int64(-1)) }
	for _, tc := range []struct {
		name        string
		in          func(s *shop, in *SubscriptionCreate) // changes a valid request
		customerEur bool                                  // the customer already pays in eur
		param, code string
	}{
		{name: "no customer, and days_until_due out of range", param: "customer", code: "parameter_invalid_empty",
			in: func(_ *shop, in *SubscriptionCreate) { in.Customer = Opt[string]{}; badDays(in) }},
		{name: "an empty customer", param: "customer", code: "parameter_invalid_empty",
			in: func(_ *shop, in *SubscriptionCreate) { in.Customer = Some("") }},
		{name: "an unknown customer, and no items", param: "customer", code: "resource_missing",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Customer, in.ItemsGiven, in.Items = Some("cus_missing"), false, nil
			}},
		{name: "backdate_start_date ahead, and no items", param: "backdate_start_date", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.BackdateStartDate, in.ItemsGiven, in.Items = Some(july), false, nil
			}},
		{name: "no items, and days_until_due out of range", param: "items", code: "parameter_missing",
			in: func(_ *shop, in *SubscriptionCreate) { in.ItemsGiven, in.Items = false, nil; badDays(in) }},
		{name: "an empty list of items", param: "items", code: "parameter_missing",
			in: func(_ *shop, in *SubscriptionCreate) { in.Items = nil }},
		{name: "21 items", param: "items", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				for i := 1; i <= 20; i++ {
					in.Items = append(in.Items, item(i, s.small.ID))
				}
			}},
		{name: "an unknown price, and a negative quantity", param: "items[0][price]", code: "resource_missing",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Items[0] = item(0, "price_missing")
				in.Items[0].Quantity = Some(int64(-1))
			}},
		{name: "price and plan", param: "items[0][price]", code: "parameters_exclusive",
			in: func(s *shop, in *SubscriptionCreate) { in.Items[0].Price.Plan = Some(s.seat.ID) }},
		{name: "none of price, plan and price_data", param: "items[0]", code: "parameter_missing",
			in: func(_ *shop, in *SubscriptionCreate) { in.Items[0].Price = PriceRef{} }},
		{name: "an empty price", param: "items[0][price]", code: "parameter_invalid_empty",
			in: func(_ *shop, in *SubscriptionCreate) { in.Items[0].Price = PriceRef{Price: Some("")} }},
		{name: "an inactive plan", param: "items[0][plan]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) { in.Items[0].Price = PriceRef{Plan: Some(s.old.ID)} }},
		{name: "a one-time price", param: "items[0][price]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) { in.Items[0] = item(0, s.setup.ID) }},
		{name: "the same price twice, and a negative quantity after", param: "items[1][price]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.Items = append(in.Items, item(1, s.seat.ID))
				in.Items[1].Quantity = Some(int64(-1))
			}},
		{name: "a quantity on a metered price, and another currency after", param: "items[0][quantity]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.Items = []ItemChange{item(0, s.tokens.ID), item(1, s.eur.ID)}
				in.Items[0].Quantity = Some(int64(2))
			}},
		{name: "prices in two currencies", param: "items[1][price]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) { in.Items = append(in.Items, item(1, s.eur.ID)) }},
		{name: "prices of two intervals", param: "items[1][price]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) { in.Items = append(in.Items, item(1, s.year.ID)) }},
		{name: "a negative quantity, and currency not the prices'", param: "items[0][quantity]", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Items[0].Quantity, in.Currency = Some(int64(-1)), Some("eur")
			}},
		{name: "an item's metadata too long a key, and currency not the prices'", param: "items[0][metadata]",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Items[0].Metadata = metadata.Patch{Given: true, Param: "items[0][metadata]", Keys: map[string]string{string(make([]byte, 41)): "v"}}
				in.Currency = Some("eur")
			}},
		{name: "currency not the prices', and days_until_due out of range", param: "currency", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { in.Currency = Some("eur"); badDays(in) }},
		{name: "the customer has another currency, and days_until_due out of range", param: "currency", code: "parameter_invalid", customerEur: true,
			in: func(_ *shop, in *SubscriptionCreate) { badDays(in) }},
		{name: "days_until_due out of range, and trial_period_days too", param: "days_until_due", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { badDays(in); in.TrialPeriodDays = Some(int64(731)) }},
		{name: "send_invoice without days_until_due", param: "days_until_due", code: "parameter_missing",
			in: func(_ *shop, in *SubscriptionCreate) { in.Settings.CollectionMethod = Some("send_invoice") }},
		{name: "days_until_due with charge_automatically", param: "days_until_due", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { in.Settings.DaysUntilDue = Some(int64(30)) }},
		{name: "cancel_at in the past, and a trial too long", param: "cancel_at", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Settings.CancelAt, in.TrialPeriodDays = Some(july), Some(int64(731))
			}},
		{name: "cancel_at and cancel_at_period_end", param: "cancel_at", code: "parameters_exclusive",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Settings.CancelAt, in.Settings.CancelAtPeriodEnd = Some(august), Some(true)
			}},
		{name: "automatic_tax, and bad metadata", param: "automatic_tax[enabled]",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Settings.AutomaticTax = true
				in.Settings.Metadata = metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"": "v"}}
			}},
		{name: "bad metadata, and trial_period_days too long", param: "metadata",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Settings.Metadata = metadata.Patch{Given: true, Param: "metadata", Keys: map[string]string{"": "v"}}
				in.TrialPeriodDays = Some(int64(731))
			}},
		{name: "trial_end and trial_period_days, and an anchor out of range", param: "trial_end", code: "parameters_exclusive",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.TrialEnd, in.TrialPeriodDays, in.Anchor = Some(Moment{Now: true}), Some(int64(3)), Some(july-1)
			}},
		{name: "trial_period_days over two years", param: "trial_period_days", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { in.TrialPeriodDays = Some(int64(731)) }},
		{name: "trial_end in the past, and an anchor out of range", param: "trial_end", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.TrialEnd, in.Anchor = Some(Moment{At: july - 1}), Some(july-1)
			}},
		{name: "trial_end over two years ahead", param: "trial_end", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { in.TrialEnd = Some(Moment{At: july + 731*day}) }},
		{name: "billing_cycle_anchor before now, and too many add_invoice_items", param: "billing_cycle_anchor", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.Anchor = Some(july - 1)
				in.AddInvoiceItems = make([]AddInvoiceItem, MaxAddInvoiceItems+1)
			}},
		{name: "billing_cycle_anchor past the first period", param: "billing_cycle_anchor", code: "parameter_invalid",
			in: func(_ *shop, in *SubscriptionCreate) { in.Anchor = Some(august + 1) }},
		{name: "21 add_invoice_items", param: "add_invoice_items", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				for i := 0; i <= MaxAddInvoiceItems; i++ {
					in.AddInvoiceItems = append(in.AddInvoiceItems, AddInvoiceItem{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some(s.setup.ID)}})
				}
			}},
		{name: "add_invoice_items: a recurring price", param: "add_invoice_items[0][price]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some(s.seat.ID)}}}
			}},
		{name: "add_invoice_items: no price", param: "add_invoice_items[0]", code: "parameter_missing",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]"}}
			}},
		{name: "add_invoice_items: a negative quantity", param: "add_invoice_items[0][quantity]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some(s.setup.ID)}, Quantity: Some(int64(-1))}}
			}},
		{name: "add_invoice_items: price and price_data", param: "add_invoice_items[0][price]", code: "parameters_exclusive",
			in: func(s *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some(s.setup.ID), Inline: func() (*Price, error) {
					return s.setup, nil
				}}}}
			}},
		{name: "add_invoice_items: price_data in another currency", param: "add_invoice_items[0][price_data][currency]", code: "parameter_invalid",
			in: func(s *shop, in *SubscriptionCreate) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Inline: func() (*Price, error) {
					return &Price{Meta: s.meta("price", july), Currency: "eur", UnitAmount: dec("5")}, nil
				}}}}
			}},
		{name: "price_data's error, in the item's place", param: "items[0][price_data][product]",
			in: func(_ *shop, in *SubscriptionCreate) {
				in.Items = []ItemChange{{Param: "items[0]", Price: PriceRef{Inline: func() (*Price, error) {
					return nil, apierr.ResourceMissing("product", "items[0][price_data][product]", "prod_missing")
				}}}, item(1, "price_missing")}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			cu := s.customer("", july)
			if tc.customerEur {
				cu.Currency = "eur"
				s.put(TableCustomers, cu)
			}
			in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.seat.ID)}}
			tc.in(s, &in)
			_, err := CreateSubscription(s.unit(july), in)
			wantErr(t, err, tc.param, tc.code)
		})
	}
}

// TestInlinePrice: price_data's price is built once, where the item's price
// is resolved, and the item bills it.
func TestInlinePrice(t *testing.T) {
	s := newShop(t)
	cu := s.customer("", july)
	var order []string
	inline := &Price{Meta: s.meta("price", july), Active: true, Product: s.seat.Product, Currency: "usd", UnitAmount: dec("1200"),
		Recurring: &Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}}
	u := s.unit(july)
	in := SubscriptionCreate{Customer: Some(cu.ID), ItemsGiven: true, Items: []ItemChange{item(0, s.seat.ID), {Param: "items[1]", Price: PriceRef{
		Inline: func() (*Price, error) { // as server's: stored in the unit's transaction
			order = append(order, "inline")
			return inline, u.Tx().Put(TablePrices, inline)
		}}}}}
	sub, err := CreateSubscription(u, in)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := ItemsOf(u.Tx(), sub.ID)
	if len(items) != 2 || items[1].Price != inline.ID || !slices.Equal(order, []string{"inline"}) {
		t.Errorf("items %+v, price_data built %v", items, order)
	}
	if got := amounts(latestLines(t, u, sub)); !slices.Equal(got, []int64{3100, 1200}) {
		t.Errorf("the first invoice: %v", got)
	}
}
