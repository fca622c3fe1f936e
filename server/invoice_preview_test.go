package server

import (
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// The guide's walkthrough: meter, product and price, customer, subscription,
// usage, and the upcoming invoice.
func TestAlpacaUpcomingInvoice(t *testing.T) { acrossFrontEnds(t, testAlpacaUpcomingInvoice) }

func testAlpacaUpcomingInvoice(t *testing.T, newEnv func(*testing.T) *testEnv) {
	for _, tt := range []struct {
		tokens []string
		qty    int64
		amount int64
	}{
		{[]string{"3000"}, 3000, 12},
		{[]string{"2000", "1000", "1"}, 3001, 16},
		{nil, 0, 0},
		{[]string{"500", "-800"}, 0, 0}, // a negative total bills 0
	} {
		e := newEnv(t)
		m := alpacaMeter(t, e.sc)
		price := alpacaPrice(t, e.sc, m.ID)
		cus := newCustomer(t, e.sc)
		sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
		e.clock.Add(24 * time.Hour)
		for _, v := range tt.tokens {
			if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, v, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
		inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.AmountDue != tt.amount || inv.Total != tt.amount || inv.Subtotal != tt.amount || inv.AmountRemaining != tt.amount {
			t.Errorf("%v: amount_due %d total %d subtotal %d, want %d", tt.tokens, inv.AmountDue, inv.Total, inv.Subtotal, tt.amount)
		}
		if inv.Status != "draft" || inv.Customer.ID != cus || inv.Subscription.ID != sub.ID || inv.Currency != "usd" || inv.BillingReason != "upcoming" {
			t.Errorf("invoice: %+v", inv)
		}
		if inv.PeriodStart != t0.Unix() || inv.PeriodEnd != 1722470400 || inv.ID != "" { // an upcoming invoice has no id
			t.Errorf("period/id: %d %d %s", inv.PeriodStart, inv.PeriodEnd, inv.ID)
		}
		if len(inv.Lines.Data) != 1 || inv.Lines.TotalCount != 1 {
			t.Fatalf("lines: %+v", inv.Lines)
		}
		l := inv.Lines.Data[0]
		if l.Quantity != tt.qty || l.Amount != tt.amount || l.Price.ID != price.ID || l.Period.Start != t0.Unix() || l.Period.End != 1722470400 || l.Type != "subscription" || l.SubscriptionItem.ID != sub.Items.Data[0].ID {
			t.Errorf("line: %+v", l)
		}
		if !strings.Contains(l.Description, "Alpaca AI tokens") || !strings.HasPrefix(l.ID, "il_tmp_") {
			t.Errorf("line description/id: %q %s", l.Description, l.ID)
		}
	}
}

func TestUpcomingInvoiceShapeAndFields(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	cus := newCustomer(t, e.sc)
	subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "3000", 0, ""); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v1/invoices/upcoming?customer="+cus, "")
	checkShape(t, "invoice", r.body)
	line := r.json["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	checkShape(t, "line_item", mustJSON(t, line))
	if line["unit_amount_excluding_tax"] != "0.004" || line["description"] != "3000 × Alpaca AI tokens (at $0.04 per 1000 / month)" {
		t.Errorf("line: %v %v", line["unit_amount_excluding_tax"], line["description"])
	}
	if r.json["created"] != float64(1722470400) || r.json["next_payment_attempt"] != float64(1722470400+3600) || r.json["starting_balance"] != float64(0) {
		t.Errorf("created/next attempt/balance: %v %v %v", r.json["created"], r.json["next_payment_attempt"], r.json["starting_balance"])
	}
	// create_preview (POST) answers the same invoice.
	cp, err := e.sc.Invoices.CreatePreview(&stripe.InvoiceCreatePreviewParams{Customer: stripe.String(cus)})
	if err != nil || cp.AmountDue != 12 || !strings.HasPrefix(cp.ID, "upcoming_in_") { // create_preview's invoice has an id
		t.Fatalf("create_preview: %v %+v", err, cp)
	}
	// Nothing to bill.
	lone := newCustomer(t, e.sc)
	_, err = e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(lone)})
	se := wantErr(t, err, 404, "invoice_upcoming_none", "")
	if se.Msg != "No upcoming invoices for customer: "+lone {
		t.Errorf("message: %q", se.Msg)
	}
	for _, q := range []string{"", "customer=cus_nope", "customer=" + cus + "&coupon=X", "customer=" + cus + "&subscription=sub_nope"} {
		if r := e.do("GET", "/v1/invoices/upcoming?"+q, ""); r.status != 400 && r.status != 404 {
			t.Errorf("%q: %d %s", q, r.status, r.body)
		}
	}
	// A customer balance (owed) adds to amount_due.
	if _, err := e.sc.Customers.Update(cus, &stripe.CustomerParams{Balance: stripe.Int64(12)}); err != nil {
		t.Fatal(err)
	}
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil || inv.StartingBalance != 12 || inv.AmountDue != 24 || inv.Total != 12 {
		t.Errorf("balance: %v %+v", err, inv)
	}
	// A credit larger than the total leaves nothing due.
	if _, err := e.sc.Customers.Update(cus, &stripe.CustomerParams{Balance: stripe.Int64(-100)}); err != nil {
		t.Fatal(err)
	}
	if inv, _ := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)}); inv.AmountDue != 0 || inv.Total != 12 {
		t.Errorf("credit: %+v", inv)
	}
}

func TestUpcomingTieredAndMixed(t *testing.T) {
	e := newEnvWithCard(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	graduated := e.do("POST", "/v1/prices", "currency=usd&product_data[name]=Gitpod+Usage&billing_scheme=tiered&tiers_mode=graduated"+
		"&tiers[0][up_to]=1000&tiers[0][unit_amount]=0&tiers[0][flat_amount]=900&tiers[1][up_to]=inf&tiers[1][unit_amount_decimal]=3.6&tiers[1][flat_amount]=0"+
		"&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+m.ID).json["id"].(string)
	seats := licensedPrice(t, e.sc, 1500, "month")
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(graduated)}, &stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID), Quantity: stripe.Int64(3)})
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "1031", 0, ""); err != nil {
		t.Fatal(err)
	}
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus), Subscription: stripe.String(sub.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var seatLine *stripe.InvoiceLineItem
	var tierAmounts []int64
	for _, l := range inv.Lines.Data {
		if l.Price.ID == seats.ID {
			seatLine = l
		} else {
			tierAmounts = append(tierAmounts, l.Amount)
		}
	}
	// Graduated: 1000 × $0 + $9 flat + 31 × 3.6¢ (111.6 → 112) + $0 flat.
	if len(tierAmounts) != 4 || tierAmounts[0] != 0 || tierAmounts[1] != 900 || tierAmounts[2] != 112 || tierAmounts[3] != 0 {
		t.Errorf("tier lines: %v", tierAmounts)
	}
	// Licensed seats bill in advance for the next period.
	if seatLine == nil || seatLine.Amount != 4500 || seatLine.Quantity != 3 || seatLine.Period.Start != 1722470400 || seatLine.Period.End != 1725148800 {
		t.Errorf("seat line: %+v", seatLine)
	}
	if inv.AmountDue != 4500+1012 || inv.Lines.TotalCount != 5 {
		t.Errorf("total: %d (%d lines)", inv.AmountDue, inv.Lines.TotalCount)
	}
	// The lines endpoint pages through them (stripe-go auto-pagination).
	it := e.sc.Invoices.UpcomingLines(&stripe.InvoiceUpcomingLinesParams{Customer: stripe.String(cus), ListParams: stripe.ListParams{Limit: stripe.Int64(2)}})
	var sum int64
	n := 0
	for it.Next() {
		sum += it.InvoiceLineItem().Amount
		n++
	}
	if it.Err() != nil || n != 5 || sum != 5512 {
		t.Errorf("upcoming lines: %v %d %d", it.Err(), n, sum)
	}
	// cancel_at_period_end: no advance charge for a period that will not come.
	if _, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	inv, err = e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil || inv.AmountDue != 1012 {
		t.Errorf("ending subscription: %v %d", err, inv.AmountDue)
	}
}

func TestUpcomingVolumeDecimalAndJPY(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	for _, tt := range []struct {
		name, priceBody, currency, usage string
		want                             int64
	}{
		{"volume", "billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=5&tiers[0][unit_amount]=700&tiers[1][up_to]=10&tiers[1][unit_amount]=650&tiers[2][up_to]=inf&tiers[2][unit_amount]=600", "usd", "6", 3900},
		{"decimal half up", "unit_amount_decimal=0.004", "usd", "125", 1},
		{"decimal down", "unit_amount_decimal=0.004", "usd", "124", 0},
		{"round down package", "unit_amount=4&transform_quantity[divide_by]=1000&transform_quantity[round]=down", "usd", "2500", 8},
		{"yen", "unit_amount=3", "jpy", "1000", 3000},
	} {
		cus := newCustomer(t, e.sc)
		pid := e.do("POST", "/v1/prices", "currency="+tt.currency+"&product_data[name]=X&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+m.ID+"&"+tt.priceBody).json["id"].(string)
		subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(pid)})
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, tt.usage, 0, ""); err != nil {
			t.Fatal(err)
		}
		inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.AmountDue != tt.want || string(inv.Currency) != tt.currency {
			t.Errorf("%s: %d %s, want %d", tt.name, inv.AmountDue, inv.Currency, tt.want)
		}
	}
}

func TestUpcomingPreviewChanges(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	basic := licensedPrice(t, e.sc, 1000, "month")
	pro := licensedPrice(t, e.sc, 3100, "month")
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(basic.ID)})
	item := sub.Items.Data[0].ID
	e.clock.Set(t0.Add(15 * 24 * time.Hour))
	prorationDate := t0.Unix() + 15*86400 // 16 of 31 days remain
	// Legacy flat parameters (GET upcoming): swap basic for pro.
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{
		Customer:                  stripe.String(cus),
		Subscription:              stripe.String(sub.ID),
		SubscriptionItems:         []*stripe.SubscriptionItemsParams{{ID: stripe.String(item), Price: stripe.String(pro.ID)}},
		SubscriptionProrationDate: stripe.Int64(prorationDate),
	})
	if err != nil {
		t.Fatal(err)
	}
	// credit 1000 × 16/31 = 516.13 → 516; charge 3100 × 16/31 = 1600; next month 3100.
	var amounts []int64
	for _, l := range inv.Lines.Data {
		amounts = append(amounts, l.Amount)
	}
	if inv.AmountDue != 3100+1600-516 || len(amounts) != 3 {
		t.Errorf("previewed swap: due %d lines %v", inv.AmountDue, amounts)
	}
	// The preview changed nothing.
	if got, _ := e.sc.Subscriptions.Get(sub.ID, nil); got.Items.Data[0].Price.ID != basic.ID {
		t.Fatalf("a preview changed the subscription")
	}
	// subscription_details (create_preview), without prorations.
	cp, err := e.sc.Invoices.CreatePreview(&stripe.InvoiceCreatePreviewParams{
		Customer: stripe.String(cus),
		SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{
			Items:             []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(item), Quantity: stripe.Int64(4)}},
			ProrationBehavior: stripe.String("none"),
		},
	})
	if err != nil || cp.AmountDue != 4000 {
		t.Errorf("subscription_details preview: %v %+v", err, cp)
	}
	// Previewing a new subscription for a customer without one.
	fresh := newCustomer(t, e.sc)
	first, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(fresh),
		SubscriptionItems: []*stripe.SubscriptionItemsParams{{Price: stripe.String(pro.ID), Quantity: stripe.Int64(2)}}})
	if err != nil || first.AmountDue != 6200 || first.BillingReason != "subscription_create" {
		t.Errorf("new subscription preview: %v %+v", err, first)
	}
	// A new subscription with a trial: its first invoice is the trial's, free.
	trial, err := e.sc.Invoices.CreatePreview(&stripe.InvoiceCreatePreviewParams{Customer: stripe.String(fresh),
		SubscriptionDetails: &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{
			Items:    []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(pro.ID), Quantity: stripe.Int64(2)}},
			TrialEnd: stripe.Int64(first.Created + 14*86400),
		}})
	if err != nil || trial.AmountDue != 0 || len(trial.Lines.Data) != 1 || !strings.HasPrefix(trial.Lines.Data[0].Description, "Trial period for ") ||
		trial.Lines.Data[0].Period.End != first.Created+14*86400 {
		t.Errorf("new subscription preview with a trial: %v %+v", err, trial)
	}
	// One-off invoice_items in a preview.
	withItem, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus),
		InvoiceItems: []*stripe.InvoiceUpcomingInvoiceItemParams{{Amount: stripe.Int64(250), Description: stripe.String("setup"), Currency: stripe.String("usd")}}})
	if err != nil || withItem.AmountDue != 1250 {
		t.Errorf("invoice_items preview: %v %+v", err, withItem)
	}
	// cancel_now previews the final invoice: nothing licensed left to bill.
	cancel, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus), SubscriptionCancelNow: stripe.Bool(true)})
	if err != nil || cancel.AmountDue != 0 {
		t.Errorf("cancel_now preview: %v %+v", err, cancel)
	}
}

func TestUpcomingAfterCancel(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
	if _, err := e.sc.Subscriptions.Cancel(sub.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	wantErr(t, err, 404, "invoice_upcoming_none", "")
}
