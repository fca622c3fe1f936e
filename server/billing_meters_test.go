package server

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// alpacaMeter creates the guide's meter: alpaca_ai_tokens, sum.
func alpacaMeter(t *testing.T, sc *client.API) *stripe.BillingMeter {
	t.Helper()
	m, err := sc.BillingMeters.New(&stripe.BillingMeterParams{
		DisplayName:        stripe.String("Alpaca AI tokens"),
		EventName:          stripe.String("alpaca_ai_tokens"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")},
		CustomerMapping:    &stripe.BillingMeterCustomerMappingParams{EventPayloadKey: stripe.String("stripe_customer_id"), Type: stripe.String("by_id")},
		ValueSettings:      &stripe.BillingMeterValueSettingsParams{EventPayloadKey: stripe.String("value")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newCustomer(t *testing.T, sc *client.API) string {
	t.Helper()
	c, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe")})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func sendEvent(sc *client.API, name, customer string, value string, ts int64, identifier string) (*stripe.BillingMeterEvent, error) {
	p := &stripe.BillingMeterEventParams{
		EventName: stripe.String(name),
		Payload:   map[string]string{"stripe_customer_id": customer, "value": value},
	}
	if ts != 0 {
		p.Timestamp = stripe.Int64(ts)
	}
	if identifier != "" {
		p.Identifier = stripe.String(identifier)
	}
	return sc.BillingMeterEvents.New(p)
}

// usage is the meter's total for the customer over [start, end), via event summaries.
func usage(t *testing.T, sc *client.API, meterID, customer string, start, end int64) float64 {
	t.Helper()
	it := sc.BillingMeterEventSummaries.List(&stripe.BillingMeterEventSummaryListParams{
		ID: stripe.String(meterID), Customer: stripe.String(customer), StartTime: stripe.Int64(start), EndTime: stripe.Int64(end),
	})
	if !it.Next() {
		t.Fatalf("no summary: %v", it.Err())
	}
	v := it.BillingMeterEventSummary().AggregatedValue
	if it.Next() {
		t.Fatalf("more than one summary without a grouping window")
	}
	return v
}

func TestMeterCreateAndDefaults(t *testing.T) {
	e := newEnv(t)
	m, err := e.sc.BillingMeters.New(&stripe.BillingMeterParams{
		DisplayName:        stripe.String("API calls"),
		EventName:          stripe.String("api_call"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("count")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.ID, "mtr_") || m.Object != "billing.meter" || m.Status != "active" || m.StatusTransitions.DeactivatedAt != 0 {
		t.Errorf("meter: %+v", m)
	}
	if m.CustomerMapping.EventPayloadKey != "stripe_customer_id" || m.CustomerMapping.Type != "by_id" || m.ValueSettings.EventPayloadKey != "value" {
		t.Errorf("defaults: %+v %+v %+v", m.CustomerMapping, m.ValueSettings, m)
	}
	if m.DefaultAggregation.Formula != "count" || m.EventTimeWindow != "" || m.Created != t0.Unix() || m.Updated != m.Created {
		t.Errorf("fields: %+v", m)
	}
	r := e.do("GET", "/v1/billing/meters/"+m.ID, "")
	checkShape(t, "billing.meter", r.body)
	if r.json["event_time_window"] != nil {
		t.Errorf("event_time_window should be null: %s", r.body)
	}

	a := alpacaMeter(t, e.sc)
	if a.EventName != "alpaca_ai_tokens" || a.DefaultAggregation.Formula != "sum" {
		t.Errorf("alpaca meter: %+v", a)
	}
	hourly, err := e.sc.BillingMeters.New(&stripe.BillingMeterParams{
		DisplayName: stripe.String("Seats"), EventName: stripe.String("seats"), EventTimeWindow: stripe.String("hour"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")},
		CustomerMapping:    &stripe.BillingMeterCustomerMappingParams{EventPayloadKey: stripe.String("cust"), Type: stripe.String("by_id")},
		ValueSettings:      &stripe.BillingMeterValueSettingsParams{EventPayloadKey: stripe.String("n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if hourly.EventTimeWindow != "hour" || hourly.CustomerMapping.EventPayloadKey != "cust" || hourly.ValueSettings.EventPayloadKey != "n" {
		t.Errorf("custom keys: %+v", hourly)
	}
}

func TestMeterValidation(t *testing.T) {
	e := newEnv(t)
	alpacaMeter(t, e.sc)
	for _, tt := range []struct{ body, code, param, msg string }{
		{"display_name=x&default_aggregation[formula]=sum", "parameter_missing", "event_name", "Missing required param: event_name."},
		{"event_name=x&default_aggregation[formula]=sum", "parameter_missing", "display_name", ""},
		{"display_name=x&event_name=y", "parameter_missing", "default_aggregation", ""},
		{"display_name=x&event_name=y&default_aggregation[formula]=last", "", "default_aggregation[formula]", "Invalid formula: must be one of count or sum"},
		{"display_name=x&event_name=y&default_aggregation[formula]=sum&customer_mapping[type]=by_id", "parameter_missing", "customer_mapping[event_payload_key]", ""},
		{"display_name=x&event_name=y&default_aggregation[formula]=sum&customer_mapping[event_payload_key]=k&customer_mapping[type]=by_email", "", "customer_mapping[type]", "Invalid type"},
		{"display_name=x&event_name=y&default_aggregation[formula]=sum&event_time_window=minute", "", "event_time_window", "Invalid event_time_window"},
		{"display_name=x&event_name=alpaca_ai_tokens&default_aggregation[formula]=sum", "", "event_name", "already exists"},
		{"display_name=x&event_name=" + strings.Repeat("e", 101) + "&default_aggregation[formula]=sum", "parameter_invalid", "event_name", "at most 100 characters"},
		{"display_name=" + strings.Repeat("d", 251) + "&event_name=z&default_aggregation[formula]=sum", "parameter_invalid", "display_name", "at most 250"},
	} {
		r := e.do("POST", "/v1/billing/meters", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%.80s: %d %s", tt.body, r.status, r.body)
		}
	}
}

func TestMeterUpdateDeactivateReactivateList(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	e.clock.Add(time.Minute)
	u, err := e.sc.BillingMeters.Update(m.ID, &stripe.BillingMeterParams{DisplayName: stripe.String("Tokens")})
	if err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "Tokens" || u.Updated != t0.Unix()+60 || u.EventName != "alpaca_ai_tokens" {
		t.Errorf("update: %+v", u)
	}
	// Only display_name can change.
	for _, body := range []string{"event_name=other", "default_aggregation[formula]=count", "event_time_window=hour"} {
		r := e.do("POST", "/v1/billing/meters/"+m.ID, body)
		if r.status != 400 || r.errField("code") != "parameter_unknown" {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	e.clock.Add(time.Minute)
	d, err := e.sc.BillingMeters.Deactivate(m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "inactive" || d.StatusTransitions.DeactivatedAt != t0.Unix()+120 || d.Updated != t0.Unix()+120 {
		t.Errorf("deactivate: %+v %+v", d, d.StatusTransitions)
	}
	_, err = e.sc.BillingMeters.Deactivate(m.ID, nil)
	if se := wantErr(t, err, 400, "", ""); se.Msg != "The meter "+m.ID+" is already inactive." {
		t.Errorf("deactivated twice: %q", se.Msg)
	}

	other, err := e.sc.BillingMeters.New(&stripe.BillingMeterParams{DisplayName: stripe.String("o"), EventName: stripe.String("o"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("count")}})
	if err != nil {
		t.Fatal(err)
	}
	list := func(status string) []string {
		p := &stripe.BillingMeterListParams{}
		if status != "" {
			p.Status = stripe.String(status)
		}
		it := e.sc.BillingMeters.List(p)
		var ids []string
		for it.Next() {
			ids = append(ids, it.BillingMeter().ID)
		}
		return ids
	}
	if got := list("inactive"); len(got) != 1 || got[0] != m.ID {
		t.Errorf("inactive: %v", got)
	}
	if got := list("active"); len(got) != 1 || got[0] != other.ID {
		t.Errorf("active: %v", got)
	}
	if got := list(""); len(got) != 2 || got[0] != other.ID {
		t.Errorf("all: %v", got)
	}
	r, err := e.sc.BillingMeters.Reactivate(m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "active" || r.StatusTransitions.DeactivatedAt != 0 {
		t.Errorf("reactivate: %+v", r)
	}
	_, err = e.sc.BillingMeters.Reactivate(m.ID, nil)
	if se := wantErr(t, err, 400, "", ""); se.Msg != "The meter "+m.ID+" is already active." {
		t.Errorf("reactivated twice: %q", se.Msg)
	}
	_, err = e.sc.BillingMeters.Get("mtr_nope", nil)
	wantErr(t, err, 404, "resource_missing", "id")
}

func TestMeterEventsSumAndCount(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	ev, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "3000", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Object != "billing.meter_event" || ev.Identifier == "" || ev.Timestamp != t0.Unix() || ev.Created != t0.Unix() || ev.Payload["value"] != "3000" || ev.EventName != "alpaca_ai_tokens" {
		t.Errorf("event: %+v", ev)
	}
	r := e.do("POST", "/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+cus+"&payload[value]=25&identifier=idem-1&timestamp="+itoa(t0.Unix()-60))
	checkShape(t, "billing.meter_event", r.body)
	if r.json["identifier"] != "idem-1" || r.json["timestamp"] != float64(t0.Unix()-60) {
		t.Errorf("explicit identifier/timestamp: %s", r.body)
	}
	// Visible at once.
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-3600, t0.Unix()+3600); got != 3025 {
		t.Fatalf("sum = %v", got)
	}
	// Negative values are allowed and subtract.
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "-1025", 0, ""); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-3600, t0.Unix()+3600); got != 2000 {
		t.Fatalf("after a negative event: %v", got)
	}

	cm, err := e.sc.BillingMeters.New(&stripe.BillingMeterParams{DisplayName: stripe.String("calls"), EventName: stripe.String("calls"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("count")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"5", "500", "not-a-number"} { // count ignores the value
		if _, err := sendEvent(e.sc, "calls", cus, v, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.sc.BillingMeterEvents.New(&stripe.BillingMeterEventParams{EventName: stripe.String("calls"), Payload: map[string]string{"stripe_customer_id": cus}}); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, e.sc, cm.ID, cus, t0.Unix()-3600, t0.Unix()+3600); got != 4 {
		t.Fatalf("count = %v", got)
	}
}

func TestMeterEventValidation(t *testing.T) {
	e := newEnv(t)
	alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	now := t0.Unix()
	base := "event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=1"
	for _, tt := range []struct {
		body          string
		status        int
		code, param   string
		msg           string
		shouldRetryNo bool
	}{
		{"payload[value]=1", 400, "parameter_missing", "event_name", "", false},
		{"event_name=alpaca_ai_tokens", 400, "parameter_missing", "payload", "", false},
		{base + "&timestamp=" + itoa(now-35*86400), 200, "", "", "", false},
		{base + "&timestamp=" + itoa(now-35*86400-1), 400, "", "timestamp", "more than 35 days", false},
		{base + "&timestamp=" + itoa(now+300), 200, "", "", "", false},
		{base + "&timestamp=" + itoa(now+301), 400, "", "timestamp", "more than 5 minutes", false},
		{base + "&timestamp=soon", 400, "parameter_invalid_integer", "timestamp", "", false},
		{base + "&identifier=dup", 200, "", "", "", false},
		{base + "&identifier=dup", 400, "", "identifier", "An event already exists with identifier dup.", true},
		{base + "&identifier=" + strings.Repeat("i", 101), 400, "parameter_invalid", "identifier", "at most 100", false},
		{base + "&payload[extra][x]=1", 400, "", "payload[extra]", "", false},
	} {
		r := e.do("POST", "/v1/billing/meter_events", tt.body)
		if r.status != tt.status || (tt.status != 200 && (r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg))) {
			t.Errorf("%.100s: %d %s", tt.body, r.status, r.body)
		}
		if tt.shouldRetryNo && r.header.Get("Stripe-Should-Retry") != "false" {
			t.Errorf("duplicate identifier: Stripe-Should-Retry = %q", r.header.Get("Stripe-Should-Retry"))
		}
	}
	// stripe-go does not retry the duplicate.
	sc := e.clientWithRetries(e.key, 2)
	start := time.Now()
	_, err := sendEvent(sc, "alpaca_ai_tokens", cus, "1", 0, "dup")
	wantErr(t, err, 400, "", "identifier")
	if time.Since(start) > 400*time.Millisecond {
		t.Errorf("stripe-go retried a duplicate identifier")
	}
}

// 1,000 events from 50 goroutines, with deliberate duplicate identifiers: every
// distinct identifier counts once.
func TestMeterEventsConcurrentWithDuplicates(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	sc := e.clientWithRetries(e.key, 3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, dups := 0, 0
	var want int64
	distinct := map[string]int64{}
	for g := 0; g < 50; g++ {
		for i := 0; i < 20; i++ {
			id := "evt-" + strconv.Itoa((g*20+i)%700) // 300 of the 1,000 reuse an identifier
			v := int64((g*20+i)%700 + 1)
			distinct[id] = v
		}
	}
	for _, v := range distinct {
		want += v
	}
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				n := (g*20 + i) % 700
				_, err := sendEvent(sc, "alpaca_ai_tokens", cus, strconv.Itoa(n+1), 0, "evt-"+strconv.Itoa(n))
				mu.Lock()
				if err == nil {
					accepted++
				} else if se, ok := err.(*stripe.Error); ok && se.Param == "identifier" {
					dups++
				} else {
					t.Errorf("event %d: %v", n, err)
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	if accepted != 700 || dups != 300 {
		t.Errorf("accepted %d, refused as duplicates %d; want 700 and 300", accepted, dups)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != float64(want) {
		t.Fatalf("sum = %v, want %d", got, want)
	}
}

func TestMeterEventCancel(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	for i, v := range []string{"100", "250", "4000"} {
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, v, 0, "c"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	adj, err := e.sc.BillingMeterEventAdjustments.New(&stripe.BillingMeterEventAdjustmentParams{
		EventName: stripe.String("alpaca_ai_tokens"), Type: stripe.String("cancel"),
		Cancel: &stripe.BillingMeterEventAdjustmentCancelParams{Identifier: stripe.String("c1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if adj.Object != "billing.meter_event_adjustment" || adj.Cancel.Identifier != "c1" || adj.Type != "cancel" || adj.EventName != "alpaca_ai_tokens" || adj.Status == "" {
		t.Errorf("adjustment: %+v", adj)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 4100 {
		t.Fatalf("after cancel: %v, want 4100", got)
	}
	for _, tt := range []struct{ body, param, msg string }{
		{"event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=c1", "cancel[identifier]", "already canceled"},
		{"event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=nope", "cancel[identifier]", "No meter event with the identifier nope"},
		{"event_name=other&type=cancel&cancel[identifier]=c0", "event_name", "was not sent with the event_name 'other'"},
		{"event_name=alpaca_ai_tokens&type=cancel", "cancel[identifier]", "Missing required param: cancel[identifier]."},
		{"event_name=alpaca_ai_tokens&type=amend&cancel[identifier]=c0", "type", "Invalid type: must be one of cancel"},
	} {
		r := e.do("POST", "/v1/billing/meter_event_adjustments", tt.body)
		if r.status != 400 || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", tt.body, r.status, r.body)
		}
	}
	r := e.do("POST", "/v1/billing/meter_event_adjustments", "event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=c2")
	checkShape(t, "billing.meter_event_adjustment", r.body)
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 100 {
		t.Fatalf("after second cancel: %v", got)
	}
	// After 24 hours an event can no longer be canceled.
	e.clock.Add(24 * time.Hour)
	r = e.do("POST", "/v1/billing/meter_event_adjustments", "event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=c0")
	if r.status != 400 || !strings.Contains(r.errField("message"), "within 24 hours") {
		t.Errorf("cancel after 24h: %d %s", r.status, r.body)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 100 {
		t.Fatalf("a refused cancel changed usage: %v", got)
	}
}

func TestMeterEventHourWindowKeepsLatest(t *testing.T) {
	e := newEnv(t)
	m, err := e.sc.BillingMeters.New(&stripe.BillingMeterParams{DisplayName: stripe.String("seats"), EventName: stripe.String("seats"),
		EventTimeWindow:    stripe.String("hour"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")}})
	if err != nil {
		t.Fatal(err)
	}
	cus := newCustomer(t, e.sc)
	e.clock.Set(t0.Add(3 * time.Hour))
	h0, h1 := t0.Unix(), t0.Unix()+3600
	for _, ev := range []struct {
		ts int64
		v  string
	}{{h0 + 10, "5"}, {h0 + 3000, "7"}, {h0 + 20, "3"}, {h1 + 1, "11"}, {h1 + 2, "2"}} {
		if _, err := sendEvent(e.sc, "seats", cus, ev.v, ev.ts, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Latest received per hour: 3 (not 7, though its timestamp is later) and 2.
	if got := usage(t, e.sc, m.ID, cus, h0, h0+2*3600); got != 5 {
		t.Fatalf("hour windows: %v, want 5", got)
	}
	it := e.sc.BillingMeterEventSummaries.List(&stripe.BillingMeterEventSummaryListParams{
		ID: stripe.String(m.ID), Customer: stripe.String(cus), StartTime: stripe.Int64(h0), EndTime: stripe.Int64(h0 + 3*3600),
		ValueGroupingWindow: stripe.String("hour"),
	})
	var vals []float64
	for it.Next() {
		vals = append(vals, it.BillingMeterEventSummary().AggregatedValue)
	}
	if len(vals) != 3 || vals[0] != 0 || vals[1] != 2 || vals[2] != 3 {
		t.Fatalf("per hour, newest first: %v", vals)
	}
}

func TestMeterDeactivationStopsAggregation(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "100", 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.BillingMeters.Deactivate(m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "1000", 0, "while-inactive"); err != nil {
		t.Fatalf("events for an inactive meter are accepted (and reported): %v", err)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 100 {
		t.Fatalf("inactive meter aggregated: %v", got)
	}
	if _, err := e.sc.BillingMeters.Reactivate(m.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "10", 0, ""); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 110 {
		t.Fatalf("after reactivation: %v", got)
	}
	r := e.do("GET", "/_emulator/meter_error_reports", "")
	data := r.json["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("error reports: %s", r.body)
	}
	rep := data[0].(map[string]any)
	if rep["type"] != "v1.billing.meter.error_report_triggered" || !strings.Contains(string(r.body), `"code":"archived_meter"`) || !strings.Contains(string(r.body), `"identifier":"while-inactive"`) {
		t.Errorf("report: %s", r.body)
	}
}

func TestMeterErrorReports(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	send := func(body string) {
		t.Helper()
		if r := e.do("POST", "/v1/billing/meter_events", body); r.status != 200 {
			t.Fatalf("%s: %d %s", body, r.status, r.body)
		}
	}
	send("event_name=no_such_meter&payload[stripe_customer_id]=" + cus + "&payload[value]=1&identifier=r1")
	send("event_name=alpaca_ai_tokens&payload[value]=1&identifier=r2")
	send("event_name=alpaca_ai_tokens&payload[stripe_customer_id]=cus_ghost&payload[value]=1&identifier=r3")
	send("event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&identifier=r4")
	send("event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=1.5&identifier=r5")
	send("event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=12&identifier=ok")
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 12 {
		t.Fatalf("invalid events counted: %v", got)
	}
	r := e.do("GET", "/_emulator/meter_error_reports?limit=100", "")
	data := r.json["data"].([]any)
	want := []struct{ typ, code, id string }{
		{"v1.billing.meter.error_report_triggered", "meter_event_invalid_value", "r5"},
		{"v1.billing.meter.error_report_triggered", "meter_event_value_not_found", "r4"},
		{"v1.billing.meter.error_report_triggered", "meter_event_customer_not_found", "r3"},
		{"v1.billing.meter.error_report_triggered", "meter_event_no_customer_defined", "r2"},
		{"v1.billing.meter.no_meter_found", "no_meter", "r1"},
	}
	if len(data) != len(want) {
		t.Fatalf("%d reports: %s", len(data), r.body)
	}
	for i, w := range want {
		rep := data[i].(map[string]any)
		reason := rep["data"].(map[string]any)["reason"].(map[string]any)
		et := reason["error_types"].([]any)[0].(map[string]any)
		sample := et["sample_errors"].([]any)[0].(map[string]any)
		if rep["type"] != w.typ || et["code"] != w.code || sample["request"].(map[string]any)["identifier"] != w.id || sample["error_message"] == "" {
			t.Errorf("report %d: %v", i, rep)
		}
		if w.typ == "v1.billing.meter.error_report_triggered" && rep["related_object"].(map[string]any)["id"] != m.ID {
			t.Errorf("report %d: related object %v", i, rep["related_object"])
		}
	}
	// The identifier of an uncounted event is still taken.
	if r := e.do("POST", "/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+cus+"&payload[value]=1&identifier=r5"); r.status != 400 {
		t.Errorf("reuse of an uncounted event's identifier: %d", r.status)
	}
	// Filter by meter, paginate.
	r = e.do("GET", "/_emulator/meter_error_reports?meter="+m.ID+"&limit=2", "")
	if len(r.json["data"].([]any)) != 2 || r.json["has_more"] != true {
		t.Errorf("filtered page: %s", r.body)
	}
	last := r.json["data"].([]any)[1].(map[string]any)["id"].(string)
	r = e.do("GET", "/_emulator/meter_error_reports?meter="+m.ID+"&limit=10&starting_after="+last, "")
	if len(r.json["data"].([]any)) != 2 || r.json["has_more"] != false {
		t.Errorf("second page: %s", r.body)
	}
}

func TestMeterEventSummaries(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	day0 := t0.Unix()
	e.clock.Set(t0.Add(72 * time.Hour))
	for _, ev := range []struct {
		ts int64
		v  string
	}{{day0 + 60, "10"}, {day0 + 3600*5, "20"}, {day0 + 86400 + 7, "40"}, {day0 + 2*86400 + 3599, "80"}} {
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, ev.v, ev.ts, ""); err != nil {
			t.Fatal(err)
		}
	}
	list := func(p *stripe.BillingMeterEventSummaryListParams) ([]*stripe.BillingMeterEventSummary, error) {
		p.ID, p.Customer = stripe.String(m.ID), stripe.String(cus)
		it := e.sc.BillingMeterEventSummaries.List(p)
		var out []*stripe.BillingMeterEventSummary
		for it.Next() {
			out = append(out, it.BillingMeterEventSummary())
		}
		return out, it.Err()
	}
	all, err := list(&stripe.BillingMeterEventSummaryListParams{StartTime: stripe.Int64(day0), EndTime: stripe.Int64(day0 + 3*86400)})
	if err != nil || len(all) != 1 || all[0].AggregatedValue != 150 || all[0].StartTime != day0 || all[0].EndTime != day0+3*86400 || all[0].Meter != m.ID || !strings.HasPrefix(all[0].ID, "mtrusg_") {
		t.Fatalf("one summary: %v %+v", err, all)
	}
	days, err := list(&stripe.BillingMeterEventSummaryListParams{StartTime: stripe.Int64(day0), EndTime: stripe.Int64(day0 + 3*86400), ValueGroupingWindow: stripe.String("day")})
	if err != nil || len(days) != 3 || days[0].AggregatedValue != 80 || days[1].AggregatedValue != 40 || days[2].AggregatedValue != 30 || days[0].StartTime != day0+2*86400 {
		t.Fatalf("per day, newest first: %v %+v", err, days)
	}
	// Auto-pagination over 72 hourly windows, 5 at a time.
	hours, err := list(&stripe.BillingMeterEventSummaryListParams{StartTime: stripe.Int64(day0), EndTime: stripe.Int64(day0 + 3*86400), ValueGroupingWindow: stripe.String("hour"),
		ListParams: stripe.ListParams{Limit: stripe.Int64(5)}})
	if err != nil || len(hours) != 72 {
		t.Fatalf("hours: %v %d", err, len(hours))
	}
	var sum float64
	for i, h := range hours {
		sum += h.AggregatedValue
		if h.EndTime != day0+3*86400-int64(i)*3600 {
			t.Fatalf("hour %d out of order: %+v", i, h)
		}
	}
	if sum != 150 || hours[71].AggregatedValue != 10 || hours[66].AggregatedValue != 20 {
		t.Errorf("hourly values: sum %v", sum)
	}
	r := e.do("GET", "/v1/billing/meters/"+m.ID+"/event_summaries?customer="+cus+"&start_time="+itoa(day0)+"&end_time="+itoa(day0+3600)+"&value_grouping_window=hour", "")
	checkShape(t, "billing.meter_event_summary", mustJSON(t, r.json["data"].([]any)[0]))
	if !strings.Contains(string(r.body), `"aggregated_value":10,`) {
		t.Errorf("aggregated_value must be a JSON number: %s", r.body)
	}
	q := "/v1/billing/meters/" + m.ID + "/event_summaries?customer=" + cus
	for _, tt := range []struct{ query, status, param, msg string }{
		{"&start_time=" + itoa(day0+1) + "&end_time=" + itoa(day0+3600), "400", "start_time", "aligned to a minute"},
		{"&start_time=" + itoa(day0) + "&end_time=" + itoa(day0+90), "400", "end_time", "aligned to a minute"},
		{"&start_time=" + itoa(day0+60) + "&end_time=" + itoa(day0+7200) + "&value_grouping_window=hour", "400", "start_time", "aligned to an hour"},
		{"&start_time=" + itoa(day0+3600) + "&end_time=" + itoa(day0+86400) + "&value_grouping_window=day", "400", "start_time", "00:00 UTC"},
		{"&start_time=" + itoa(day0+120) + "&end_time=" + itoa(day0+60), "400", "end_time", "must be after start_time"},
		{"&end_time=" + itoa(day0+60), "400", "start_time", "Missing required param"},
		{"&start_time=" + itoa(day0) + "&end_time=" + itoa(day0+60) + "&starting_after=mtrusg_bogus", "400", "starting_after", "No such"},
	} {
		r := e.do("GET", q+tt.query, "")
		if itoa(int64(r.status)) != tt.status || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", tt.query, r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/billing/meters/"+m.ID+"/event_summaries?customer=cus_nope&start_time=0&end_time=60", ""); r.status != 400 || r.errField("code") != "resource_missing" || r.errField("param") != "customer" {
		t.Errorf("unknown customer: %s", r.body)
	}
	if r := e.do("GET", "/v1/billing/meters/mtr_nope/event_summaries?customer="+cus+"&start_time=0&end_time=60", ""); r.status != 404 {
		t.Errorf("unknown meter: %s", r.body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
