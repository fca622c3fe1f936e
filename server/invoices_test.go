package server

import (
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

func TestInvoiceItemsAndManualInvoices(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	oneTime := e.do("POST", "/v1/prices", "currency=usd&unit_amount=700&product_data[name]=Setup").json["id"].(string)
	ii1, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(2500), Currency: stripe.String("usd"), Description: stripe.String("Consulting")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ii1.ID, "ii_") || ii1.Amount != 2500 || ii1.Invoice != nil || ii1.Quantity != 1 || ii1.Date != t0.Unix() {
		t.Errorf("invoice item: %+v", ii1)
	}
	checkShape(t, "invoiceitem", e.do("GET", "/v1/invoiceitems/"+ii1.ID, "").body)
	ii2, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Price: stripe.String(oneTime), Quantity: stripe.Int64(2)})
	if err != nil || ii2.Amount != 1400 || ii2.Description != "Setup" || ii2.Price.ID != oneTime {
		t.Fatalf("price item: %v %+v", err, ii2)
	}
	ii3, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), UnitAmountDecimal: stripe.Float64(12.5), Quantity: stripe.Int64(3), Currency: stripe.String("usd")})
	if err != nil || ii3.Amount != 38 { // 37.5 rounds half up
		t.Fatalf("decimal item: %v %+v", err, ii3)
	}
	upd, err := e.sc.InvoiceItems.Update(ii3.ID, &stripe.InvoiceItemParams{Quantity: stripe.Int64(4)})
	if err != nil || upd.Amount != 50 {
		t.Fatalf("update quantity: %v %+v", err, upd)
	}
	if _, err := e.sc.InvoiceItems.Del(ii3.ID, nil); err != nil {
		t.Fatal(err)
	}
	pending := e.sc.InvoiceItems.List(&stripe.InvoiceItemListParams{Customer: stripe.String(cus), Pending: stripe.Bool(true)})
	n := 0
	for pending.Next() {
		n++
	}
	if n != 2 {
		t.Errorf("pending items: %d", n)
	}
	// A manual invoice takes the pending items.
	inv, err := e.sc.Invoices.New(&stripe.InvoiceParams{Customer: stripe.String(cus), PendingInvoiceItemsBehavior: stripe.String("include"),
		Description: stripe.String("July work"), Params: stripe.Params{Metadata: map[string]string{"po": "42"}}})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != "draft" || inv.BillingReason != "manual" || inv.Total != 3900 || len(inv.Lines.Data) != 2 || inv.Description != "July work" || inv.Metadata["po"] != "42" {
		t.Fatalf("draft: %+v", inv)
	}
	// Items added to the draft land on it.
	if _, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(100), Currency: stripe.String("usd"), Invoice: stripe.String(inv.ID)}); err != nil {
		t.Fatal(err)
	}
	inv, _ = e.sc.Invoices.Get(inv.ID, nil)
	if inv.Total != 4000 || inv.Lines.TotalCount != 3 {
		t.Fatalf("draft with an added item: %d %d", inv.Total, inv.Lines.TotalCount)
	}
	raw := e.do("GET", "/v1/invoices/"+inv.ID, "")
	checkShape(t, "invoice", raw.body)
	checkShape(t, "line_item", mustJSON(t, raw.json["lines"].(map[string]any)["data"].([]any)[0]))
	// Lines page.
	lit := e.sc.Invoices.ListLines(&stripe.InvoiceListLinesParams{Invoice: stripe.String(inv.ID), ListParams: stripe.ListParams{Limit: stripe.Int64(2)}})
	var sum int64
	for lit.Next() {
		sum += lit.InvoiceLineItem().Amount
	}
	if lit.Err() != nil || sum != 4000 {
		t.Errorf("lines: %v %d", lit.Err(), sum)
	}
	fin, err := e.sc.Invoices.FinalizeInvoice(inv.ID, nil)
	if err != nil || fin.Status != "paid" || fin.AmountPaid != 4000 || fin.Number == "" {
		t.Fatalf("finalize: %v %+v", err, fin)
	}
	_, err = e.sc.Invoices.FinalizeInvoice(inv.ID, nil)
	se := wantErr(t, err, 400, "invoice_not_editable", "")
	if se.Msg != "This invoice is already finalized, you can't re-finalize a non-draft invoice." {
		t.Errorf("message: %q", se.Msg)
	}
	_, err = e.sc.Invoices.Del(inv.ID, nil)
	wantErr(t, err, 400, "", "")
	if _, err := e.sc.InvoiceItems.Update(ii1.ID, &stripe.InvoiceItemParams{Amount: stripe.Int64(1)}); err == nil {
		t.Errorf("an item on a finalized invoice changed")
	}
}

func TestInvoiceLifecycle(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	mk := func(amount int64) *stripe.Invoice {
		t.Helper()
		if _, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(amount), Currency: stripe.String("usd")}); err != nil {
			t.Fatal(err)
		}
		inv, err := e.sc.Invoices.New(&stripe.InvoiceParams{Customer: stripe.String(cus), PendingInvoiceItemsBehavior: stripe.String("include"),
			CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(14)})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	a := mk(1000)
	fa, err := e.sc.Invoices.FinalizeInvoice(a.ID, nil)
	if err != nil || fa.Status != "open" || fa.DueDate != t0.Unix()+14*86400 || fa.AmountRemaining != 1000 {
		t.Fatalf("send_invoice finalized: %v %+v", err, fa)
	}
	v, err := e.sc.Invoices.VoidInvoice(a.ID, nil)
	if err != nil || v.Status != "void" || v.StatusTransitions.VoidedAt != t0.Unix() || v.AmountRemaining != 0 {
		t.Fatalf("void: %v %+v", err, v)
	}
	_, err = e.sc.Invoices.Pay(a.ID, nil)
	se := wantErr(t, err, 400, "invoice_not_open", "")
	if se.Msg != "Voided invoices cannot be paid." {
		t.Errorf("message: %q", se.Msg)
	}
	b := mk(2000)
	if _, err := e.sc.Invoices.FinalizeInvoice(b.ID, nil); err != nil {
		t.Fatal(err)
	}
	u, err := e.sc.Invoices.MarkUncollectible(b.ID, nil)
	if err != nil || u.Status != "uncollectible" || u.StatusTransitions.MarkedUncollectibleAt == 0 {
		t.Fatalf("uncollectible: %v %+v", err, u)
	}
	c := mk(3000)
	upd, err := e.sc.Invoices.Update(c.ID, &stripe.InvoiceParams{Description: stripe.String("edited"), Params: stripe.Params{Metadata: map[string]string{"k": "v"}}})
	if err != nil || upd.Description != "edited" || upd.Metadata["k"] != "v" {
		t.Fatalf("update: %v %+v", err, upd)
	}
	del, err := e.sc.Invoices.Del(c.ID, nil)
	if err != nil || !del.Deleted {
		t.Fatalf("delete draft: %v", err)
	}
	// Its item is pending again.
	it := e.sc.InvoiceItems.List(&stripe.InvoiceItemListParams{Customer: stripe.String(cus), Pending: stripe.Bool(true)})
	if !it.Next() || it.InvoiceItem().Amount != 3000 {
		t.Errorf("items of a deleted draft: %v", it.Err())
	}
	list := func(p *stripe.InvoiceListParams) int {
		it := e.sc.Invoices.List(p)
		n := 0
		for it.Next() {
			n++
		}
		return n
	}
	if n := list(&stripe.InvoiceListParams{Customer: stripe.String(cus)}); n != 2 {
		t.Errorf("invoices: %d", n)
	}
	if n := list(&stripe.InvoiceListParams{Status: stripe.String("void")}); n != 1 {
		t.Errorf("void invoices: %d", n)
	}
	sr := e.sc.Invoices.Search(&stripe.InvoiceSearchParams{SearchParams: stripe.SearchParams{Query: "status:'uncollectible' AND total>1999"}})
	if !sr.Next() || sr.Invoice().ID != b.ID {
		t.Errorf("search: %v", sr.Err())
	}
	for _, tt := range []struct{ body, param string }{
		{"", "customer"},
		{"customer=" + cus + "&collection_method=send_invoice", "days_until_due"},
		{"customer=" + cus + "&days_until_due=3", "days_until_due"},
		{"customer=" + cus + "&discounts[0][coupon]=X", "discounts"},
	} {
		if r := e.do("POST", "/v1/invoices", tt.body); r.status != 400 || r.errField("param") != tt.param {
			t.Errorf("%q: %s", tt.body, r.body)
		}
	}
}

func TestProrationsGoOnTheNextInvoice(t *testing.T) {
	e := newEnvWithCard(t)
	clock, _ := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	cus, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	seats := licensedPrice(t, e.sc, 3100, "month")
	s := subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID)})
	advance(t, e.sc, clock.ID, t0.Unix()+15*86400) // 16 of July's 31 days remain
	if _, err := e.sc.Subscriptions.Update(s.ID, &stripe.SubscriptionParams{Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(s.Items.Data[0].ID), Quantity: stripe.Int64(2)}}}); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clock.ID, 1722470400+3600)
	aug := customerInvoices(t, e.sc, cus.ID)[0]
	// credit 1600, charge 3200, then August's two seats: 6200.
	if aug.Total != 6200+3200-1600 || aug.Status != "paid" || len(aug.Lines.Data) != 3 || !aug.Lines.Data[0].Proration {
		t.Fatalf("August: %d %+v", aug.Total, aug.Lines.Data)
	}
}

func TestUsageAlerts(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	a := newCustomer(t, e.sc)
	b := newCustomer(t, e.sc)
	all, err := e.sc.BillingAlerts.New(&stripe.BillingAlertParams{AlertType: stripe.String("usage_threshold"), Title: stripe.String("10k tokens"),
		UsageThresholdConfig: &stripe.BillingAlertUsageThresholdConfigParams{GTE: stripe.Int64(10000), Meter: stripe.String(m.ID), Recurrence: stripe.String("one_time")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(all.ID, "alrt_") || all.Status != "active" || all.UsageThresholdConfig.GTE != 10000 || all.UsageThresholdConfig.Meter.ID != m.ID || all.Filter != nil {
		t.Errorf("alert: %+v", all)
	}
	onlyB, err := e.sc.BillingAlerts.New(&stripe.BillingAlertParams{AlertType: stripe.String("usage_threshold"), Title: stripe.String("b"),
		Filter:               &stripe.BillingAlertFilterParams{Customer: stripe.String(b)},
		UsageThresholdConfig: &stripe.BillingAlertUsageThresholdConfigParams{GTE: stripe.Int64(100), Meter: stripe.String(m.ID), Recurrence: stripe.String("one_time")}})
	if err != nil || onlyB.Filter.Customer.ID != b {
		t.Fatalf("filtered alert: %v %+v", err, onlyB)
	}
	triggered := func() []*stripe.Event {
		it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("billing.alert.triggered")})
		var out []*stripe.Event
		for it.Next() {
			out = append(out, it.Event())
		}
		return out
	}
	for _, v := range []string{"6000", "3999"} {
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", a, v, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if evs := triggered(); len(evs) != 0 {
		t.Fatalf("triggered below the threshold: %d", len(evs))
	}
	for _, v := range []string{"1", "5000"} { // 10,000 reached, then more
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", a, v, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	evs := triggered()
	if len(evs) != 1 || evs[0].Data.Object["customer"] != a || evs[0].Data.Object["value"] != float64(10000) || evs[0].Data.Object["object"] != "billing.alert_triggered" {
		t.Fatalf("triggered once: %d %+v", len(evs), evs)
	}
	if _, err := e.sc.BillingAlerts.Deactivate(onlyB.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", b, "500", 0, ""); err != nil {
		t.Fatal(err)
	}
	if evs := triggered(); len(evs) != 1 {
		t.Errorf("an inactive alert fired: %d", len(evs))
	}
	if _, err := e.sc.BillingAlerts.Activate(onlyB.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", b, "1", 0, ""); err != nil {
		t.Fatal(err)
	}
	if evs := triggered(); len(evs) != 2 || evs[0].Data.Object["customer"] != b {
		t.Errorf("reactivated alert: %d", len(evs))
	}
	arch, err := e.sc.BillingAlerts.Archive(onlyB.ID, nil)
	if err != nil || arch.Status != "archived" {
		t.Fatalf("archive: %v", err)
	}
	_, err = e.sc.BillingAlerts.Activate(onlyB.ID, nil)
	wantErr(t, err, 400, "", "")
	it := e.sc.BillingAlerts.List(&stripe.BillingAlertListParams{Meter: stripe.String(m.ID)})
	n := 0
	for it.Next() {
		n++
	}
	if n != 2 {
		t.Errorf("list: %d", n)
	}
	for _, body := range []string{
		"alert_type=usage_threshold&usage_threshold_config[gte]=1&usage_threshold_config[meter]=" + m.ID + "&usage_threshold_config[recurrence]=one_time",
		"alert_type=usage_threshold&title=x&usage_threshold_config[gte]=1&usage_threshold_config[meter]=mtr_nope&usage_threshold_config[recurrence]=one_time",
		"alert_type=spend&title=x",
		"alert_type=usage_threshold&title=x&usage_threshold_config[gte]=0&usage_threshold_config[meter]=" + m.ID + "&usage_threshold_config[recurrence]=one_time",
	} {
		if r := e.do("POST", "/v1/billing/alerts", body); r.status != 400 {
			t.Errorf("%s: %d", body, r.status)
		}
	}
}
