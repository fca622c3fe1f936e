package server

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// licensedPrice creates a monthly licensed price on a new product.
func licensedPrice(t *testing.T, sc *client.API, amount int64, interval string) *stripe.Price {
	t.Helper()
	p, err := sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(amount),
		Recurring:   &stripe.PriceRecurringParams{Interval: stripe.String(interval)},
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Seat " + interval)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func subscribe(t *testing.T, sc *client.API, customer string, items ...*stripe.SubscriptionItemsParams) *stripe.Subscription {
	t.Helper()
	s, err := sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(customer), Items: items})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSubscriptionCreateMetered(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	cus := newCustomer(t, e.sc)
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	if !strings.HasPrefix(s.ID, "sub_") || s.Status != "active" || s.Customer.ID != cus || s.Currency != "usd" || s.CollectionMethod != "charge_automatically" {
		t.Errorf("subscription: %+v", s)
	}
	if s.CurrentPeriodStart != t0.Unix() || s.CurrentPeriodEnd != 1722470400 || s.BillingCycleAnchor != t0.Unix() || s.StartDate != t0.Unix() {
		t.Errorf("period: %d %d anchor %d", s.CurrentPeriodStart, s.CurrentPeriodEnd, s.BillingCycleAnchor)
	}
	if len(s.Items.Data) != 1 || s.Items.TotalCount != 1 || s.Items.URL != "/v1/subscription_items?subscription="+s.ID {
		t.Fatalf("items: %+v", s.Items)
	}
	it := s.Items.Data[0]
	if !strings.HasPrefix(it.ID, "si_") || it.Price.ID != price.ID || it.Plan.ID != price.ID || it.Plan.Meter != m.ID || it.Subscription != s.ID {
		t.Errorf("item: %+v", it)
	}
	raw := e.do("GET", "/v1/subscriptions/"+s.ID, "")
	checkShape(t, "subscription", raw.body)
	if strings.Contains(string(raw.body), `"quantity"`) {
		t.Errorf("a metered item carries no quantity: %s", raw.body)
	}
	// The customer takes the subscription's currency.
	if c, _ := e.sc.Customers.Get(cus, nil); c.Currency != "usd" {
		t.Errorf("customer currency: %q", c.Currency)
	}
	// Metered items take no quantity.
	_, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID), Quantity: stripe.Int64(1)}}})
	se := wantErr(t, err, 400, "parameter_invalid", "items[0][quantity]")
	if se.Msg != "You cannot set the quantity for metered plans." {
		t.Errorf("message: %q", se.Msg)
	}
}

func TestSubscriptionValidation(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	monthly := licensedPrice(t, e.sc, 1000, "month")
	yearly := licensedPrice(t, e.sc, 10000, "year")
	oneTime := e.do("POST", "/v1/prices", "currency=usd&unit_amount=5&product_data[name]=x").json["id"].(string)
	eur := e.do("POST", "/v1/prices", "currency=eur&unit_amount=5&product_data[name]=x&recurring[interval]=month").json["id"].(string)
	archived := e.do("POST", "/v1/prices", "currency=usd&unit_amount=5&product_data[name]=x&recurring[interval]=month&active=false").json["id"].(string)
	base := "customer=" + cus
	for _, tt := range []struct{ body, code, param, msg string }{
		{"items[0][price]=" + monthly.ID, "parameter_missing", "customer", "Missing required param: customer."},
		{base, "parameter_missing", "items", "Missing required param: items."},
		{"customer=cus_nope&items[0][price]=" + monthly.ID, "resource_missing", "customer", "No such customer: 'cus_nope'"},
		{base + "&items[0][quantity]=1", "parameter_missing", "items[0]", "You must pass one of plan, price, or price_data"},
		{base + "&items[0][price]=price_nope", "resource_missing", "items[0][price]", "No such price: 'price_nope'"},
		{base + "&items[0][price]=" + monthly.ID + "&items[1][price]=" + yearly.ID, "parameter_invalid", "items[1][price]", "Found mismatch in interval field."},
		{base + "&items[0][price]=" + monthly.ID + "&items[1][price]=" + eur, "parameter_invalid", "items[1][price]", "Found mismatch in currency field."},
		{base + "&items[0][price]=" + monthly.ID + "&items[1][price]=" + monthly.ID, "parameter_invalid", "items[1][price]", "Cannot add multiple subscription items with the same plan"},
		{base + "&items[0][price]=" + oneTime, "parameter_invalid", "items[0][price]", "type=one_time"},
		{base + "&items[0][price]=" + archived, "parameter_invalid", "items[0][price]", "The price specified is inactive."},
		{base + "&items[0][price]=" + monthly.ID + "&items[0][quantity]=-1", "parameter_invalid", "items[0][quantity]", ""},
		{base + "&items[0][price]=" + monthly.ID + "&collection_method=send_invoice", "parameter_missing", "days_until_due", ""},
		{base + "&items[0][price]=" + monthly.ID + "&days_until_due=30", "parameter_invalid", "days_until_due", "send_invoice"},
		{base + "&items[0][price]=" + monthly.ID + "&billing_cycle_anchor=" + itoa(t0.Unix()-1), "parameter_invalid", "billing_cycle_anchor", ""},
		{base + "&items[0][price]=" + monthly.ID + "&billing_cycle_anchor=" + itoa(t0.Unix()+40*86400), "parameter_invalid", "billing_cycle_anchor", "next natural billing date"},
		{base + "&items[0][price]=" + monthly.ID + "&trial_end=" + itoa(t0.Unix()-5), "parameter_invalid", "trial_end", "future"},
		{base + "&items[0][price]=" + monthly.ID + "&coupon=FREE", "", "coupon", "does not support"},
		{base + "&items[0][price]=" + monthly.ID + "&items[0][tax_rates][0]=txr_1", "", "items[0][tax_rates]", "does not support"},
		{base + "&items[0][price]=" + monthly.ID + "&automatic_tax[enabled]=true", "", "automatic_tax[enabled]", "does not calculate tax"},
	} {
		r := e.do("POST", "/v1/subscriptions", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", strings.TrimPrefix(tt.body, base), r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/subscriptions?status=all", ""); len(r.json["data"].([]any)) != 0 {
		t.Errorf("failed creates stored subscriptions: %s", r.body)
	}
	// A second currency on the same customer is refused.
	subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(monthly.ID)})
	r := e.do("POST", "/v1/subscriptions", base+"&items[0][price]="+eur)
	if r.status != 400 || !strings.Contains(r.errField("message"), "cannot combine currencies") {
		t.Errorf("second currency: %s", r.body)
	}
}

func TestSubscriptionPeriods(t *testing.T) {
	e := newEnvWithCard(t)
	monthly := licensedPrice(t, e.sc, 1000, "month")
	// Created on Jan 31: periods clamp to the end of shorter months.
	e.clock.Set(time.Unix(1706702400, 0)) // 2024-01-31T12:00Z
	cus := newCustomer(t, e.sc)
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(monthly.ID), Quantity: stripe.Int64(2)})
	if s.CurrentPeriodStart != 1706702400 || s.CurrentPeriodEnd != 1709208000 || s.Items.Data[0].Quantity != 2 {
		t.Errorf("Jan 31: %d → %d, quantity %d", s.CurrentPeriodStart, s.CurrentPeriodEnd, s.Items.Data[0].Quantity)
	}
	// A billing_cycle_anchor in the future: the first period runs up to it.
	anchor := int64(1706702400 + 10*86400)
	s2, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), BillingCycleAnchor: stripe.Int64(anchor),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 500, "month").ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	if s2.CurrentPeriodStart != 1706702400 || s2.CurrentPeriodEnd != anchor || s2.BillingCycleAnchor != anchor {
		t.Errorf("anchor: %d %d %d", s2.CurrentPeriodStart, s2.CurrentPeriodEnd, s2.BillingCycleAnchor)
	}
	// Every 3 weeks.
	every3 := e.do("POST", "/v1/prices", "currency=usd&unit_amount=5&product_data[name]=w&recurring[interval]=week&recurring[interval_count]=3").json["id"].(string)
	s3 := subscribe(t, e.sc, newCustomer(t, e.sc), &stripe.SubscriptionItemsParams{Price: stripe.String(every3)})
	if s3.CurrentPeriodEnd-s3.CurrentPeriodStart != 21*86400 {
		t.Errorf("3 weeks: %d", s3.CurrentPeriodEnd-s3.CurrentPeriodStart)
	}
}

func TestSubscriptionTrial(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	monthly := licensedPrice(t, e.sc, 1000, "month")
	s, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(14),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(monthly.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	end := t0.Unix() + 14*86400
	if s.Status != "trialing" || s.TrialStart != t0.Unix() || s.TrialEnd != end || s.CurrentPeriodEnd != end || s.BillingCycleAnchor != end {
		t.Errorf("trial: %+v", s)
	}
	// Ending the trial now starts the first paid period.
	e.clock.Add(48 * time.Hour)
	u, err := e.sc.Subscriptions.Update(s.ID, &stripe.SubscriptionParams{TrialEndNow: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Unix() + 2*86400
	if u.Status != "active" || u.TrialEnd != now || u.CurrentPeriodStart != now || u.CurrentPeriodEnd != 1722470400+2*86400 {
		t.Errorf("trial ended: %+v", u)
	}
}

func TestSubscriptionUpdateAndItems(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	a := licensedPrice(t, e.sc, 1000, "month")
	b := licensedPrice(t, e.sc, 3000, "month")
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a.ID)})
	itemA := s.Items.Data[0].ID
	u, err := e.sc.Subscriptions.Update(s.ID, &stripe.SubscriptionParams{
		Items:             []*stripe.SubscriptionItemsParams{{ID: stripe.String(itemA), Quantity: stripe.Int64(3)}, {Price: stripe.String(b.ID)}},
		ProrationBehavior: stripe.String("none"),
		Params:            stripe.Params{Metadata: map[string]string{"plan": "team"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Items.Data) != 2 || u.Items.Data[0].Quantity != 3 || u.Items.Data[1].Price.ID != b.ID || u.Items.Data[1].Quantity != 1 || u.Metadata["plan"] != "team" {
		t.Fatalf("update: %+v", u.Items.Data)
	}
	// Subscription item endpoints.
	it, err := e.sc.SubscriptionItems.Update(itemA, &stripe.SubscriptionItemParams{Quantity: stripe.Int64(5), ProrationBehavior: stripe.String("none")})
	if err != nil || it.Quantity != 5 || it.Subscription != s.ID {
		t.Fatalf("item update: %v %+v", err, it)
	}
	c := licensedPrice(t, e.sc, 50, "month")
	added, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(s.ID), Price: stripe.String(c.ID), Quantity: stripe.Int64(7), ProrationBehavior: stripe.String("none")})
	if err != nil || added.Quantity != 7 || added.Price.ID != c.ID {
		t.Fatalf("item create: %v %+v", err, added)
	}
	checkShape(t, "subscription_item", e.do("GET", "/v1/subscription_items/"+added.ID, "").body)
	itr := e.sc.SubscriptionItems.List(&stripe.SubscriptionItemListParams{Subscription: stripe.String(s.ID)})
	n := 0
	for itr.Next() {
		n++
	}
	if n != 3 {
		t.Errorf("items listed: %d", n)
	}
	del, err := e.sc.SubscriptionItems.Del(added.ID, &stripe.SubscriptionItemParams{ProrationBehavior: stripe.String("none")})
	if err != nil || !del.Deleted {
		t.Fatalf("item delete: %v %+v", err, del)
	}
	checkShape(t, "deleted_subscription_item", e.do("DELETE", "/v1/subscription_items/"+u.Items.Data[1].ID, "proration_behavior=none").body)
	_, err = e.sc.SubscriptionItems.Del(itemA, nil)
	se := wantErr(t, err, 400, "parameter_invalid", "items")
	if !strings.Contains(se.Msg, "at least one active plan") {
		t.Errorf("last item: %q", se.Msg)
	}
	_, err = e.sc.SubscriptionItems.Get("si_nope", nil)
	wantErr(t, err, 404, "resource_missing", "id")
	// Deleting an item by id through the subscription, and unknown ids.
	r := e.do("POST", "/v1/subscriptions/"+s.ID, "items[0][id]=si_nope&items[0][deleted]=true")
	if r.status != 400 || r.errField("param") != "items[0][id]" {
		t.Errorf("unknown item id: %s", r.body)
	}
}

func TestSubscriptionProrations(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	a := licensedPrice(t, e.sc, 3000, "month") // July 2024 has 31 days
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a.ID)})
	// Ten days in, double the quantity: credit 21 days of 1, charge 21 days of 2.
	e.clock.Set(t0.Add(10 * 24 * time.Hour))
	if _, err := e.sc.Subscriptions.Update(s.ID, &stripe.SubscriptionParams{Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(s.Items.Data[0].ID), Quantity: stripe.Int64(2)}}}); err != nil {
		t.Fatal(err)
	}
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	// 3000 × 21/31 = 2032.26 → 2032; 6000 × 21/31 = 4064.5 → 4065; next period 2 × 3000.
	var credits, charges, next int64
	for _, l := range inv.Lines.Data {
		switch {
		case l.Proration && l.Amount < 0:
			credits += l.Amount
			if !strings.HasPrefix(l.Description, "Unused time on 1 × Seat month after 11 Jul 2024") {
				t.Errorf("credit description: %q", l.Description)
			}
		case l.Proration:
			charges += l.Amount
			if !strings.HasPrefix(l.Description, "Remaining time on 2 × Seat month after") {
				t.Errorf("charge description: %q", l.Description)
			}
		default:
			next += l.Amount
		}
	}
	if credits != -2032 || charges != 4065 || next != 6000 || inv.AmountDue != 6000+4065-2032 {
		t.Errorf("prorations: credit %d charge %d next %d due %d", credits, charges, next, inv.AmountDue)
	}
}

func TestSubscriptionCancelListSearch(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	a := licensedPrice(t, e.sc, 1000, "month")
	b := licensedPrice(t, e.sc, 2000, "month")
	s1 := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a.ID)})
	e.clock.Add(time.Second)
	s2 := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(b.ID)})
	other := subscribe(t, e.sc, newCustomer(t, e.sc), &stripe.SubscriptionItemsParams{Price: stripe.String(b.ID)})

	e.clock.Add(time.Hour)
	c, err := e.sc.Subscriptions.Cancel(s1.ID, &stripe.SubscriptionCancelParams{
		CancellationDetails: &stripe.SubscriptionCancelCancellationDetailsParams{Comment: stripe.String("too pricey"), Feedback: stripe.String("too_expensive")}})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Unix() + 3601
	if c.Status != "canceled" || c.CanceledAt != now || c.EndedAt != now || c.CancellationDetails.Reason != "cancellation_requested" || c.CancellationDetails.Comment != "too pricey" {
		t.Errorf("canceled: %+v %+v", c, c.CancellationDetails)
	}
	if _, err := e.sc.Subscriptions.Cancel(s1.ID, nil); err == nil {
		t.Errorf("canceling twice")
	}
	if r := e.do("POST", "/v1/subscriptions/"+s1.ID, "metadata[a]=b"); r.status != 400 {
		t.Errorf("updating a canceled subscription: %s", r.body)
	}
	list := func(p *stripe.SubscriptionListParams) []string {
		it := e.sc.Subscriptions.List(p)
		var ids []string
		for it.Next() {
			ids = append(ids, it.Subscription().ID)
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return ids
	}
	if got := list(&stripe.SubscriptionListParams{Customer: stripe.String(cus)}); len(got) != 1 || got[0] != s2.ID {
		t.Errorf("default excludes canceled: %v", got)
	}
	if got := list(&stripe.SubscriptionListParams{Customer: stripe.String(cus), Status: stripe.String("all")}); len(got) != 2 {
		t.Errorf("all: %v", got)
	}
	if got := list(&stripe.SubscriptionListParams{Status: stripe.String("canceled")}); len(got) != 1 || got[0] != s1.ID {
		t.Errorf("canceled: %v", got)
	}
	if got := list(&stripe.SubscriptionListParams{Price: stripe.String(b.ID)}); len(got) != 2 || got[0] != other.ID {
		t.Errorf("price: %v", got)
	}
	if got := list(&stripe.SubscriptionListParams{}); len(got) != 2 {
		t.Errorf("all live: %v", got)
	}
	sr := e.sc.Subscriptions.Search(&stripe.SubscriptionSearchParams{SearchParams: stripe.SearchParams{Query: "status:'canceled'"}})
	if !sr.Next() || sr.Subscription().ID != s1.ID || sr.Next() {
		t.Errorf("search: %v", sr.Err())
	}
	// cancel_at_period_end shows as cancel_at.
	u, err := e.sc.Subscriptions.Update(s2.ID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)})
	if err != nil || !u.CancelAtPeriodEnd || u.CancelAt != u.CurrentPeriodEnd {
		t.Errorf("cancel_at_period_end: %v %+v", err, u)
	}
	_, err = e.sc.Subscriptions.Resume(s2.ID, nil)
	wantErr(t, err, 400, "", "")
}

func TestUsageRecordsLegacy(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	legacy := e.do("POST", "/v1/prices", "currency=usd&unit_amount=2&product_data[name]=Calls&recurring[interval]=month&recurring[usage_type]=metered").json["id"].(string)
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(legacy)})
	si := s.Items.Data[0].ID
	e.clock.Add(time.Hour)
	rec, err := e.sc.UsageRecords.New(&stripe.UsageRecordParams{SubscriptionItem: stripe.String(si), Quantity: stripe.Int64(100)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.ID, "mbur_") || rec.Quantity != 100 || rec.Timestamp != t0.Unix()+3600 || rec.SubscriptionItem != si {
		t.Errorf("usage record: %+v", rec)
	}
	checkShape(t, "usage_record", e.do("POST", "/v1/subscription_items/"+si+"/usage_records", "quantity=50&timestamp="+itoa(t0.Unix()+3600)).body) // increments to 150
	if _, err := e.sc.UsageRecords.New(&stripe.UsageRecordParams{SubscriptionItem: stripe.String(si), Quantity: stripe.Int64(7), Timestamp: stripe.Int64(t0.Unix() + 10), Action: stripe.String("set")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.UsageRecords.New(&stripe.UsageRecordParams{SubscriptionItem: stripe.String(si), Quantity: stripe.Int64(3), Timestamp: stripe.Int64(t0.Unix() + 10), Action: stripe.String("set")}); err != nil {
		t.Fatal(err)
	}
	it := e.sc.UsageRecordSummaries.List(&stripe.UsageRecordSummaryListParams{SubscriptionItem: stripe.String(si)})
	if !it.Next() || it.UsageRecordSummary().TotalUsage != 153 || it.UsageRecordSummary().Period.Start != t0.Unix() {
		t.Fatalf("summary: %v %+v", it.Err(), it.UsageRecordSummary())
	}
	checkShape(t, "usage_record_summary", mustJSON(t, e.do("GET", "/v1/subscription_items/"+si+"/usage_record_summaries", "").json["data"].([]any)[0]))
	// Cursors outside the item's life are refused at once (a far one used to spin).
	for _, start := range []int64{t0.Unix() - 1, 1e17, s.CurrentPeriodEnd, -1 << 62} {
		r := e.do("GET", "/v1/subscription_items/"+si+"/usage_record_summaries?starting_after=sis_"+si+"_"+strconv.FormatInt(start, 36), "")
		if r.errField("code") != "resource_missing" || r.errField("param") != "starting_after" {
			t.Errorf("cursor %d: %s", start, r.body)
		}
	}
	if r := e.do("GET", "/v1/subscription_items/"+si+"/usage_record_summaries?starting_after=sis_"+si+"_"+strconv.FormatInt(t0.Unix(), 36), ""); r.status != 200 || len(r.json["data"].([]any)) != 0 {
		t.Errorf("cursor at the item's start: %s", r.body)
	}
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.AmountDue != 306 || len(inv.Lines.Data) != 1 || inv.Lines.Data[0].Quantity != 153 {
		t.Errorf("upcoming with usage records: %d %+v", inv.AmountDue, inv.Lines.Data)
	}
	for _, tt := range []struct{ body, msg string }{
		{"quantity=1&timestamp=" + itoa(t0.Unix()-1), "current period start"},
		{"quantity=1&timestamp=" + itoa(t0.Unix()+7200), "in the future"},
		{"quantity=-1", "greater than or equal to 0"},
		{"timestamp=now", "Missing required param: quantity."},
	} {
		if r := e.do("POST", "/v1/subscription_items/"+si+"/usage_records", tt.body); r.status != 400 || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %s", tt.body, r.body)
		}
	}
	// Prices with a meter refuse usage records.
	m := alpacaMeter(t, e.sc)
	withMeter := alpacaPrice(t, e.sc, m.ID)
	s2 := subscribe(t, e.sc, newCustomer(t, e.sc), &stripe.SubscriptionItemsParams{Price: stripe.String(withMeter.ID)})
	si2 := s2.Items.Data[0].ID
	r := e.do("POST", "/v1/subscription_items/"+si2+"/usage_records", "quantity=1")
	if r.status != 400 || r.errField("message") != "Cannot create a usage record for "+si2+" because it is not on the legacy metered billing system. Call /v1/billing/meter_events instead." {
		t.Errorf("meter price: %s", r.body)
	}
}

// GET /v1/subscriptions leaves out subscriptions on a test clock unless
// test_clock or customer is given ("The response will not include
// subscriptions with test clocks if this and the customer parameter is not set").
func TestListSubscriptionsAndTestClocks(t *testing.T) {
	e := newEnvWithCard(t)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	price := e.do("POST", "/v1/prices", "currency=usd&unit_amount=500&recurring[interval]=month&product_data[name]=Seat").json["id"].(string)
	plainCus := newCustomer(t, e.sc)
	clockCus, err := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	plain := subscribe(t, e.sc, plainCus, &stripe.SubscriptionItemsParams{Price: stripe.String(price)})
	onClock := subscribe(t, e.sc, clockCus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price)})
	for _, tt := range []struct {
		name   string
		params *stripe.SubscriptionListParams
		want   []string
	}{
		{"all", &stripe.SubscriptionListParams{}, []string{plain.ID}},
		{"status all", &stripe.SubscriptionListParams{Status: stripe.String("all")}, []string{plain.ID}},
		{"by price", &stripe.SubscriptionListParams{Price: stripe.String(price)}, []string{plain.ID}},
		{"by test clock", &stripe.SubscriptionListParams{TestClock: stripe.String(clock.ID)}, []string{onClock.ID}},
		{"by customer on the clock", &stripe.SubscriptionListParams{Customer: stripe.String(clockCus.ID)}, []string{onClock.ID}},
		{"by customer", &stripe.SubscriptionListParams{Customer: stripe.String(plainCus)}, []string{plain.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			it := e.sc.Subscriptions.List(tt.params)
			for it.Next() {
				got = append(got, it.Subscription().ID)
			}
			if it.Err() != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v %v, want %v", got, it.Err(), tt.want)
			}
		})
	}
}
