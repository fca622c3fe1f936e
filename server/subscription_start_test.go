package server

import (
	"fmt"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
)

// The start of a subscription: a billing_cycle_anchor ahead, backdate_start_date
// and add_invoice_items.

// With a billing_cycle_anchor ahead and proration_behavior=none the time up to
// the anchor is free: no invoice until the anchor, whose invoice bills the
// first whole period in advance and the usage since the start (as the
// upcoming invoice said). create_prorations (the default) charges the
// prorated stub at once.
func TestFutureAnchorStart(t *testing.T) {
	anchor := t0.Unix() + 14*day // July 15
	for _, tt := range []struct {
		behavior  string
		wantFirst string // the first invoice's lines, "" for none
	}{
		// 14 days of June 15 → July 15 (30 days): 3100·14/30 = 1446.67.
		{"create_prorations", fmt.Sprint([]string{fmt.Sprintf("1447/1@%d", t0.Unix()), fmt.Sprintf("0/0@%d", t0.Unix())})},
		{"none", ""},
	} {
		t.Run(tt.behavior, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, t0.Unix())
			seat := licensedPrice(t, e.sc, 3100, "month")
			tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
			sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), BillingCycleAnchor: stripe.Int64(anchor),
				ProrationBehavior: stripe.String(tt.behavior), Expand: []*string{stripe.String("latest_invoice")},
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}, {Price: stripe.String(tokens.ID)}}})
			if err != nil {
				t.Fatal(err)
			}
			if sub.Status != "active" || sub.CurrentPeriodStart != t0.Unix() || sub.CurrentPeriodEnd != anchor || sub.BillingCycleAnchor != anchor {
				t.Errorf("subscription: %s period %d-%d anchor %d", sub.Status, sub.CurrentPeriodStart, sub.CurrentPeriodEnd, sub.BillingCycleAnchor)
			}
			invs := customerInvoices(t, e.sc, cus)
			switch {
			case tt.wantFirst == "" && (sub.LatestInvoice != nil || len(invs) != 0):
				t.Errorf("none: an invoice before the anchor: %+v, %d invoices", sub.LatestInvoice, len(invs))
			case tt.wantFirst != "" && (sub.LatestInvoice == nil || lineSummary(sub.LatestInvoice) != tt.wantFirst || !sub.LatestInvoice.Lines.Data[0].Proration):
				t.Errorf("the first invoice: %+v, want %s", sub.LatestInvoice, tt.wantFirst)
			}
			advance(t, e.sc, clockID, t0.Unix()+3*day)
			calls(t, e.sc, cus, 2000)
			inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, anchor+2*3600)
			want := fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", anchor), fmt.Sprintf("8/2000@%d", t0.Unix())})
			if inv.BillingReason != "subscription_cycle" || lineSummary(inv) != want || inv.Lines.Data[0].Period.End != 1723680000 {
				t.Errorf("the anchor's invoice: %s %s, want %s", inv.BillingReason, lineSummary(inv), want)
			}
		})
	}
}

// backdate_start_date: the first period runs from the backdated start; the
// anchor is the creation time (Stripe: "it also sets the start_date on the
// subscription to September 1 and the billing cycle anchor to the current
// date"), or a given one ahead. The first invoice charges the backdated time
// as one prorated line ("a proration for the timespan between the start date
// and the current time") and then the first whole period, or, with an anchor
// ahead, the whole range up to it; proration_behavior=none leaves the
// backdated time out. Usage since the backdated start is billed on the invoice
// at the next cycle, in one line for the whole range (classic).
func TestBackdatedStart(t *testing.T) {
	now := t0.Unix() + 10*day // July 11
	jun1, aug11 := int64(1717200000), int64(1723334400)
	for _, tt := range []struct {
		name          string
		backdate      int64
		anchor        int64
		behavior      string
		wantAnchor    int64
		wantPeriodEnd int64
		wantFirst     string // "" for no invoice
	}{
		// 10 days of an imagined month from the backdated start, July 1 → August 1
		// (31 days): 3100·10/31 = 1000.
		{"to July 1", t0.Unix(), 0, "create_prorations", now, aug11,
			fmt.Sprint([]string{fmt.Sprintf("1000/1@%d", t0.Unix()), fmt.Sprintf("3100/1@%d", now), fmt.Sprintf("0/0@%d", t0.Unix())})},
		{"to July 1 without charging it", t0.Unix(), 0, "none", now, aug11,
			fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", now), fmt.Sprintf("0/0@%d", t0.Unix())})},
		// Migrating: started June 1, next billing date August 1: June and July, in one line.
		{"to June 1 with an anchor ahead", jun1, aug1, "create_prorations", aug1, aug1,
			fmt.Sprint([]string{fmt.Sprintf("6200/1@%d", jun1), fmt.Sprintf("0/0@%d", jun1)})},
		{"to June 1 with an anchor ahead free until it", jun1, aug1, "none", aug1, aug1, ""},
		// June 15 → July 15, then 17 days of July 15 → August 15 (31 days): 3100 + 1700.
		{"to June 15 with an anchor ahead", jun1 + 14*day, aug1, "create_prorations", aug1, aug1,
			fmt.Sprint([]string{fmt.Sprintf("4800/1@%d", jun1+14*day), fmt.Sprintf("0/0@%d", jun1+14*day)})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, now)
			seat := licensedPrice(t, e.sc, 3100, "month")
			tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
			// Usage before the backdated start is not billed; usage since is.
			var used int64
			for i, at := range []int64{tt.backdate - 3600, tt.backdate + day, now - 60} {
				if at < now-35*day {
					continue // too old to report
				}
				if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, fmt.Sprint(1000*(i+1)), at, ""); err != nil {
					t.Fatal(err)
				}
				if at >= tt.backdate {
					used += int64(1000 * (i + 1))
				}
			}
			params := &stripe.SubscriptionParams{Customer: stripe.String(cus), BackdateStartDate: stripe.Int64(tt.backdate),
				ProrationBehavior: stripe.String(tt.behavior), Expand: []*string{stripe.String("latest_invoice")},
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}, {Price: stripe.String(tokens.ID)}}}
			if tt.anchor != 0 {
				params.BillingCycleAnchor = stripe.Int64(tt.anchor)
			}
			sub, err := e.sc.Subscriptions.New(params)
			if err != nil {
				t.Fatal(err)
			}
			if sub.StartDate != tt.backdate || sub.Created != now || sub.BillingCycleAnchor != tt.wantAnchor ||
				sub.CurrentPeriodStart != tt.backdate || sub.CurrentPeriodEnd != tt.wantPeriodEnd {
				t.Errorf("subscription: start %d created %d anchor %d period %d-%d", sub.StartDate, sub.Created, sub.BillingCycleAnchor, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
			}
			switch {
			case tt.wantFirst == "" && sub.LatestInvoice != nil:
				t.Errorf("an invoice before the anchor: %s", lineSummary(sub.LatestInvoice))
			case tt.wantFirst != "" && (sub.LatestInvoice == nil || lineSummary(sub.LatestInvoice) != tt.wantFirst):
				t.Errorf("the first invoice: %+v, want %s", sub.LatestInvoice, tt.wantFirst)
			case tt.wantFirst != "" && sub.LatestInvoice.BillingReason != "subscription_create":
				t.Errorf("the first invoice's reason: %s", sub.LatestInvoice.BillingReason)
			}
			advance(t, e.sc, clockID, now+5*day)
			calls(t, e.sc, cus, 4000)
			inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, tt.wantPeriodEnd+2*3600)
			used += 4000
			want := fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", tt.wantPeriodEnd), fmt.Sprintf("%d/%d@%d", used/1000*4, used, tt.backdate)})
			if inv.BillingReason != "subscription_cycle" || lineSummary(inv) != want || inv.Lines.Data[1].Period.End != tt.wantPeriodEnd {
				t.Errorf("the next cycle's invoice: %s %s, want %s", inv.BillingReason, lineSummary(inv), want)
			}
		})
	}
}

// backdate_start_date must be in the past on the customer's clock: a test
// clock's time, not the emulator's.
func TestBackdatedStartValidation(t *testing.T) {
	e := newEnvWithCard(t)
	now := t0.Unix() + 10*day
	_, cus := clockCustomer(t, e.sc, now) // the emulator's own clock is at t0
	seat := licensedPrice(t, e.sc, 1000, "month").ID
	for _, tt := range []struct {
		backdate int64
		ok       bool
	}{
		{now - 5*day, true}, // after the emulator's time, before the test clock's
		{0, true},           // as far back as times go: one line for 54 years
		{now, false},
		{now + 1, false},
	} {
		t.Run(fmt.Sprint(tt.backdate-now), func(t *testing.T) {
			sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), BackdateStartDate: stripe.Int64(tt.backdate),
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat)}}})
			if !tt.ok {
				se := wantErr(t, err, 400, "parameter_invalid", "backdate_start_date")
				if !strings.Contains(se.Msg, "must be in the past") {
					t.Errorf("message: %s", se.Msg)
				}
				return
			}
			if err != nil || sub.StartDate != tt.backdate || sub.CurrentPeriodStart != tt.backdate {
				t.Fatalf("%v %+v", err, sub)
			}
			if inv := latestInvoice(t, e.sc, sub.ID); len(inv.Lines.Data) != 2 || inv.Lines.Data[0].Period.Start != tt.backdate || inv.Total <= 1000 {
				t.Errorf("first invoice: %d %s", inv.Total, lineSummary(inv))
			}
		})
	}
}

// oneTimePrice creates a one-time price of amount on a new product.
func oneTimePrice(t *testing.T, e *testEnv, amount int64, currency string) *stripe.Price {
	t.Helper()
	p, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String(currency), UnitAmount: stripe.Int64(amount),
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Setup")}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// add_invoice_items on create: one-off lines on the first invoice (a price
// with a quantity, price_data), as invoice items of the subscription.
func TestAddInvoiceItemsOnCreate(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	setup := oneTimePrice(t, e, 500, "usd")
	seat := licensedPrice(t, e.sc, 1000, "month")
	prod, err := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("Onboarding")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), Expand: []*string{stripe.String("latest_invoice")},
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}},
		AddInvoiceItems: []*stripe.SubscriptionAddInvoiceItemParams{
			{Price: stripe.String(setup.ID), Quantity: stripe.Int64(2)},
			{PriceData: &stripe.InvoiceItemPriceDataParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID), UnitAmount: stripe.Int64(250)}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	inv := sub.LatestInvoice
	if inv.BillingReason != "subscription_create" || inv.Total != 2250 || fmt.Sprint(lineAmounts(inv)) != "[1000 250 1000]" {
		t.Fatalf("first invoice: %s %d %v", inv.BillingReason, inv.Total, lineAmounts(inv))
	}
	for _, l := range inv.Lines.Data[:2] {
		if l.Type != "invoiceitem" || l.InvoiceItem == nil || l.Proration || l.Subscription.ID != sub.ID || l.Description == "" {
			t.Errorf("one-off line: %+v", l)
		}
	}
	if l := inv.Lines.Data[0]; l.Quantity != 2 || l.Price.ID != setup.ID || l.Description != "Setup" {
		t.Errorf("the setup fee: %d × %s %q", l.Quantity, l.Price.ID, l.Description)
	}
	it := e.sc.InvoiceItems.List(&stripe.InvoiceItemListParams{Customer: stripe.String(cus)})
	n := 0
	for it.Next() {
		ii := it.InvoiceItem()
		if ii.Subscription.ID != sub.ID || ii.Invoice.ID != inv.ID {
			t.Errorf("invoice item %s: subscription %v invoice %v", ii.ID, ii.Subscription, ii.Invoice)
		}
		n++
	}
	if it.Err() != nil || n != 2 {
		t.Errorf("invoice items: %d %v", n, it.Err())
	}
	// They are billed once: the renewal has the seat only.
	advance(t, e.sc, clockID, aug1+2*3600)
	if got := latestInvoice(t, e.sc, sub.ID); got.Total != 1000 {
		t.Errorf("renewal: %d %v", got.Total, lineAmounts(got))
	}
}

// add_invoice_items on update: on the invoice the change makes at once
// (always_invoice, or a change that restarts the cycle), else pending on the
// next renewal, as the upcoming invoice shows. With a free stub up to an
// anchor, the items of a create wait for the anchor's invoice.
func TestAddInvoiceItemsOnUpdate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		params  func(p *stripe.SubscriptionParams)
		atOnce  string // the lines of the invoice made at once, "" for none
		renewal string // the lines of the renewal on August 1
	}{
		{"create_prorations", func(p *stripe.SubscriptionParams) {}, "", "[500 1000]"},
		{"always_invoice", func(p *stripe.SubscriptionParams) { p.ProrationBehavior = stripe.String("always_invoice") }, "[500]", "[1000]"},
		{"billing_cycle_anchor now", func(p *stripe.SubscriptionParams) { p.BillingCycleAnchorNow = stripe.Bool(true) }, "[-548 500 1000]", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, t0.Unix())
			setup := oneTimePrice(t, e, 500, "usd")
			sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
			advance(t, e.sc, clockID, t0.Unix()+14*day)
			p := &stripe.SubscriptionParams{AddInvoiceItems: []*stripe.SubscriptionAddInvoiceItemParams{{Price: stripe.String(setup.ID)}}}
			tt.params(p)
			if _, err := e.sc.Subscriptions.Update(sub.ID, p); err != nil {
				t.Fatal(err)
			}
			inv := latestInvoice(t, e.sc, sub.ID)
			switch {
			case tt.atOnce == "" && inv.ID != sub.LatestInvoice.ID:
				t.Errorf("an invoice at once: %s %v", inv.BillingReason, lineAmounts(inv))
			case tt.atOnce != "" && (inv.BillingReason != "subscription_update" || fmt.Sprint(lineAmounts(inv)) != tt.atOnce):
				t.Errorf("the invoice at once: %s %v, want %s", inv.BillingReason, lineAmounts(inv), tt.atOnce)
			}
			if tt.renewal == "" {
				return
			}
			if renewal := renewalAsPreviewed(t, e.sc, clockID, sub.ID, aug1+2*3600); fmt.Sprint(lineAmounts(renewal)) != tt.renewal {
				t.Errorf("renewal %v, want %s", lineAmounts(renewal), tt.renewal)
			}
		})
	}
	t.Run("with a free stub", func(t *testing.T) {
		e := newEnvWithCard(t)
		clockID, cus := clockCustomer(t, e.sc, t0.Unix())
		anchor := t0.Unix() + 14*day
		sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), BillingCycleAnchor: stripe.Int64(anchor),
			ProrationBehavior: stripe.String("none"), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)}},
			AddInvoiceItems: []*stripe.SubscriptionAddInvoiceItemParams{{Price: stripe.String(oneTimePrice(t, e, 500, "usd").ID)}}})
		if err != nil || sub.LatestInvoice != nil {
			t.Fatalf("%v %+v", err, sub.LatestInvoice)
		}
		if p := pendingAmounts(t, e.sc, cus); fmt.Sprint(p) != "[500]" {
			t.Errorf("pending: %v", p)
		}
		if inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, anchor+2*3600); fmt.Sprint(lineAmounts(inv)) != "[500 1000]" {
			t.Errorf("the anchor's invoice: %v", lineAmounts(inv))
		}
	})
}

// What add_invoice_items refuses, and what the emulator does not model, is a
// 400 naming the parameter; nothing is stored.
func TestAddInvoiceItemsRefused(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	seat := licensedPrice(t, e.sc, 1000, "month").ID
	setup := oneTimePrice(t, e, 500, "usd").ID
	euros := oneTimePrice(t, e, 500, "eur").ID
	prod, err := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("P")})
	if err != nil {
		t.Fatal(err)
	}
	inactive := oneTimePrice(t, e, 500, "usd").ID
	if _, err := e.sc.Prices.Update(inactive, &stripe.PriceParams{Active: stripe.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	many := ""
	for i := 0; i <= billing.MaxAddInvoiceItems; i++ {
		many += fmt.Sprintf("&add_invoice_items[%d][price]=%s", i, setup)
	}
	for _, tt := range []struct {
		name, body, param, msg string
	}{
		{"a recurring price", "&add_invoice_items[0][price]=" + seat, "add_invoice_items[0][price]", "type=one_time"},
		{"an inactive price", "&add_invoice_items[0][price]=" + inactive, "add_invoice_items[0][price]", "inactive"},
		{"another currency", "&add_invoice_items[0][price]=" + euros, "add_invoice_items[0][price]", "currency"},
		{"no price", "&add_invoice_items[0][quantity]=2", "add_invoice_items[0]", "price or price_data"},
		{"price and price_data", "&add_invoice_items[0][price]=" + setup + "&add_invoice_items[0][price_data][currency]=usd&add_invoice_items[0][price_data][product]=" + prod.ID + "&add_invoice_items[0][price_data][unit_amount]=5", "add_invoice_items[0][price]", ""},
		{"a negative quantity", "&add_invoice_items[0][price]=" + setup + "&add_invoice_items[0][quantity]=-1", "add_invoice_items[0][quantity]", "greater than or equal to 0"},
		{"a negative amount", "&add_invoice_items[0][price_data][currency]=usd&add_invoice_items[0][price_data][product]=" + prod.ID + "&add_invoice_items[0][price_data][unit_amount]=-5", "add_invoice_items[0][price_data][unit_amount]", "does not support negative amounts"},
		{"price_data in another currency", "&add_invoice_items[0][price_data][currency]=eur&add_invoice_items[0][price_data][product]=" + prod.ID + "&add_invoice_items[0][price_data][unit_amount]=5", "add_invoice_items[0][price_data][currency]", "currency"},
		{"too many", many, "add_invoice_items", "up to 20"},
		{"discounts", "&add_invoice_items[0][price]=" + setup + "&add_invoice_items[0][discounts][0][coupon]=x", "add_invoice_items[0][discounts]", "does not support"},
		{"tax_rates", "&add_invoice_items[0][price]=" + setup + "&add_invoice_items[0][tax_rates][0]=txr_1", "add_invoice_items[0][tax_rates]", "does not support"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+seat+tt.body)
			if r.status != 400 || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
	if subs := e.do("GET", "/v1/subscriptions?customer="+cus, ""); len(subs.json["data"].([]any)) != 0 {
		t.Errorf("a refused create left a subscription: %s", subs.body)
	}
	if items := e.do("GET", "/v1/invoiceitems?customer="+cus, ""); len(items.json["data"].([]any)) != 0 {
		t.Errorf("a refused create left invoice items: %s", items.body)
	}
}

// A change within a first period that is not a whole one (a stub up to an
// anchor ahead, a backdated start) prorates at the price of a whole period:
// the unused time credited is the part of the period, not of the stub.
func TestProrationWithinTheFirstPeriod(t *testing.T) {
	for _, tt := range []struct {
		name     string
		clock    int64
		params   func(p *stripe.SubscriptionParams)
		changeAt int64
		want     string // pending prorations, newest first
	}{
		// July 8 → 15 of June 15 → July 15 (30 days): 3100·7/30 = 723.33, 6200·7/30 = 1446.67.
		{"a stub up to an anchor", t0.Unix(), func(p *stripe.SubscriptionParams) { p.BillingCycleAnchor = stripe.Int64(t0.Unix() + 14*day) },
			t0.Unix() + 7*day, "[1447 -723]"},
		// July 26 → August 11 of July 11 → August 11 (31 days): 3100·16/31 = 1600.
		{"a backdated start", t0.Unix() + 10*day, func(p *stripe.SubscriptionParams) { p.BackdateStartDate = stripe.Int64(t0.Unix()) },
			t0.Unix() + 25*day, "[3200 -1600]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, tt.clock)
			p := &stripe.SubscriptionParams{Customer: stripe.String(cus), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 3100, "month").ID)}}}
			tt.params(p)
			sub, err := e.sc.Subscriptions.New(p)
			if err != nil {
				t.Fatal(err)
			}
			advance(t, e.sc, clockID, tt.changeAt)
			if _, err := e.sc.SubscriptionItems.Update(sub.Items.Data[0].ID, &stripe.SubscriptionItemParams{Quantity: stripe.Int64(2)}); err != nil {
				t.Fatal(err)
			}
			if got := pendingAmounts(t, e.sc, cus); fmt.Sprint(got) != tt.want {
				t.Errorf("prorations %v, want %s", got, tt.want)
			}
		})
	}
}

// A timestamp billing_cycle_anchor in a preview is refused, not ignored.
func TestPreviewAnchorTimestampRefused(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	seat := licensedPrice(t, e.sc, 1000, "month").ID
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat)})
	at := itoa(t0.Unix() + 14*day)
	for _, tt := range []struct{ method, path, body, param string }{
		{"POST", "/v1/invoices/create_preview", "customer=" + cus + "&subscription_details[items][0][price]=" + seat + "&subscription_details[billing_cycle_anchor]=" + at, "subscription_details[billing_cycle_anchor]"},
		{"POST", "/v1/invoices/create_preview", "subscription=" + sub.ID + "&subscription_details[billing_cycle_anchor]=" + at, "subscription_details[billing_cycle_anchor]"},
		{"GET", "/v1/invoices/upcoming?subscription=" + sub.ID + "&subscription_billing_cycle_anchor=" + at, "", "subscription_billing_cycle_anchor"},
	} {
		if r := e.do(tt.method, tt.path, tt.body); r.status != 400 || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), "does not support") {
			t.Errorf("%s %s: %s", tt.path, tt.body, r.body)
		}
	}
}

// A trial that ends before a billing_cycle_anchor ahead, however the trial is
// given (trial_period_days, a trial_end timestamp, the price's
// trial_period_days with trial_from_plan): the stub from the trial's end up to
// the anchor is charged prorated with create_prorations (the default), and is
// free with proration_behavior=none. The trial's end still makes its invoice
// (Stripe: "When the trial ends … we generate an invoice"), of 0 with none; the
// upcoming invoice and create_preview show it beforehand, with a change
// previewed during the trial too. The anchor's invoice bills the first whole
// period and the usage since the trial's end, alike for both.
func TestTrialBeforeFutureAnchor(t *testing.T) {
	trialEnd := t0.Unix() + 7*day // July 8
	for _, trial := range []struct {
		name string
		set  func(p *stripe.SubscriptionParams)
	}{
		{"trial_period_days", func(p *stripe.SubscriptionParams) { p.TrialPeriodDays = stripe.Int64(7) }},
		{"trial_end", func(p *stripe.SubscriptionParams) { p.TrialEnd = stripe.Int64(trialEnd) }},
		{"trial_from_plan", func(p *stripe.SubscriptionParams) { p.TrialFromPlan = stripe.Bool(true) }},
	} {
		for _, tt := range []struct {
			behavior   string
			atTrialEnd string // the lines of the trial end's invoice
			total      int64
			twoSeats   int64 // the total previewed for two seats instead of one
		}{
			// 24 days of July 1 → August 1 (31 days): 3100·24/31 = 2400.
			{"create_prorations", fmt.Sprint([]string{fmt.Sprintf("2400/1@%d", trialEnd), fmt.Sprintf("0/0@%d", t0.Unix())}), 2400, 4800},
			{"none", fmt.Sprint([]string{fmt.Sprintf("0/0@%d", t0.Unix())}), 0, 0},
		} {
			t.Run(trial.name+"/"+tt.behavior, func(t *testing.T) {
				e := newEnvWithCard(t)
				clockID, cus := clockCustomer(t, e.sc, t0.Unix())
				seat, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(3100),
					Recurring:   &stripe.PriceRecurringParams{Interval: stripe.String("month"), TrialPeriodDays: stripe.Int64(7)},
					ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Seat")}})
				if err != nil {
					t.Fatal(err)
				}
				tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
				params := &stripe.SubscriptionParams{Customer: stripe.String(cus), BillingCycleAnchor: stripe.Int64(aug1),
					ProrationBehavior: stripe.String(tt.behavior), Expand: []*string{stripe.String("latest_invoice")},
					Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}, {Price: stripe.String(tokens.ID)}}}
				trial.set(params)
				sub, err := e.sc.Subscriptions.New(params)
				if err != nil {
					t.Fatal(err)
				}
				if sub.Status != "trialing" || sub.TrialEnd != trialEnd || sub.CurrentPeriodEnd != trialEnd || sub.BillingCycleAnchor != aug1 {
					t.Errorf("subscription: %s trial_end %d period end %d anchor %d", sub.Status, sub.TrialEnd, sub.CurrentPeriodEnd, sub.BillingCycleAnchor)
				}
				if inv := sub.LatestInvoice; inv == nil || inv.BillingReason != "subscription_create" || inv.Total != 0 {
					t.Errorf("the trial's invoice: %+v", inv)
				}
				advance(t, e.sc, clockID, t0.Unix()+2*day)
				calls(t, e.sc, cus, 1000) // during the trial: not billed
				preview, err := e.sc.Invoices.CreatePreview(&stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(sub.ID)})
				if err != nil || preview.Total != tt.total || lineSummary(preview) != tt.atTrialEnd {
					t.Errorf("create_preview: %v, want %s", err, tt.atTrialEnd)
					if preview != nil {
						t.Errorf("create_preview: %d %s", preview.Total, lineSummary(preview))
					}
				}
				r := e.do("POST", "/v1/invoices/create_preview", "subscription="+sub.ID+"&subscription_details[items][0][id]="+sub.Items.Data[0].ID+"&subscription_details[items][0][quantity]=2")
				if r.status != 200 || r.json["total"] != float64(tt.twoSeats) {
					t.Errorf("a preview of two seats: %d %v, want %d", r.status, r.json["total"], tt.twoSeats)
				}
				inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, trialEnd+2*3600)
				if inv.BillingReason != "subscription_cycle" || inv.PeriodEnd != trialEnd || inv.Total != tt.total || inv.Status != "paid" || lineSummary(inv) != tt.atTrialEnd {
					t.Errorf("the trial end's invoice: %s %s %d %s, want %s", inv.BillingReason, inv.Status, inv.Total, lineSummary(inv), tt.atTrialEnd)
				}
				if got, err := e.sc.Subscriptions.Get(sub.ID, nil); err != nil || got.Status != "active" || got.CurrentPeriodStart != trialEnd || got.CurrentPeriodEnd != aug1 {
					t.Errorf("after the trial: %v %+v", err, got)
				}
				advance(t, e.sc, clockID, trialEnd+3*day)
				calls(t, e.sc, cus, 2000)
				inv = renewalAsPreviewed(t, e.sc, clockID, sub.ID, aug1+2*3600)
				want := fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", aug1), fmt.Sprintf("8/2000@%d", trialEnd)})
				if inv.BillingReason != "subscription_cycle" || lineSummary(inv) != want || inv.Lines.Data[0].Period.End != 1725148800 {
					t.Errorf("the anchor's invoice: %s %s, want %s", inv.BillingReason, lineSummary(inv), want)
				}
			})
		}
	}
}

// What proration_behavior=none makes free is the stub up to the anchor's first
// billing date: nothing when the trial ends on a billing date, and nothing
// once a change moves the anchor (a new trial_end, trial_end=now): the next
// period billed in advance is a whole one and is charged.
func TestTrialFreeStubFollowsTheAnchor(t *testing.T) {
	jun20 := t0.Unix() - 11*day
	for _, tt := range []struct {
		name          string
		clock         int64
		trialEnd      int64
		anchor        int64
		change        *stripe.SubscriptionParams // nil for none
		changeAt      int64
		billedAt      int64 // when the invoice checked is made
		wantLines     string
		wantUpdateInv bool // the change bills at once
	}{
		{"a trial ending on a billing date", t0.Unix(), t0.Unix() + 7*day, aug1 + 7*day, nil, 0, t0.Unix() + 7*day,
			fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", t0.Unix()+7*day)}), false},
		// Trial to June 27, anchor July 25: the stub June 27 → July 25 would be
		// free; the trial moved to June 25 moves the anchor there.
		{"a new trial_end", jun20, jun20 + 7*day, jun20 + 35*day, &stripe.SubscriptionParams{TrialEnd: stripe.Int64(jun20 + 5*day)}, jun20 + day, jun20 + 5*day,
			fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", jun20+5*day)}), false},
		// Trial to August 30, anchor September 15: the stub August 30 →
		// September 15 would be free; ended on July 15, the cycle runs from
		// then: July 15 → August 15 billed at once, August 15 → September 15
		// at August 15.
		{"trial_end now", t0.Unix(), t0.Unix() + 60*day, t0.Unix() + 76*day, &stripe.SubscriptionParams{TrialEndNow: stripe.Bool(true)}, t0.Unix() + 14*day, t0.Unix() + 45*day,
			fmt.Sprint([]string{fmt.Sprintf("3100/1@%d", t0.Unix()+45*day)}), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, tt.clock)
			sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialEnd: stripe.Int64(tt.trialEnd),
				BillingCycleAnchor: stripe.Int64(tt.anchor), ProrationBehavior: stripe.String("none"),
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 3100, "month").ID)}}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				advance(t, e.sc, clockID, tt.changeAt)
				if _, err := e.sc.Subscriptions.Update(sub.ID, tt.change); err != nil {
					t.Fatal(err)
				}
				if inv := latestInvoice(t, e.sc, sub.ID); (inv.BillingReason == "subscription_update") != tt.wantUpdateInv {
					t.Errorf("the change's invoice: %s %d", inv.BillingReason, inv.Total)
				}
			}
			if inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, tt.billedAt+2*3600); inv.BillingReason != "subscription_cycle" || lineSummary(inv) != tt.wantLines {
				t.Errorf("the invoice at %d: %s %s, want %s", tt.billedAt, inv.BillingReason, lineSummary(inv), tt.wantLines)
			}
		})
	}
}
