package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestV2MeterEventStream(t *testing.T) { acrossFrontEnds(t, testV2MeterEventStream) }

func testV2MeterEventStream(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	r := e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json")
	token, _ := r.json["authentication_token"].(string)
	if r.status != 200 || r.json["object"] != "v2.billing.meter_event_session" || token == "" ||
		r.json["expires_at"] != t0.Add(15*time.Minute).UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("session: %s", r.body)
	}
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event_name":"alpaca_ai_tokens","identifier":"s%d","payload":{"stripe_customer_id":%q,"value":"%d"}}`, i%90, cus, i+1)
	}
	b.WriteString(`]}`)
	r = e.do("POST", "/v2/billing/meter_event_stream", b.String(), "Authorization", "Bearer "+token, "Content-Type", "application/json")
	if r.status != 200 || string(r.body) != "{}" {
		t.Fatalf("stream: %d %s", r.status, r.body)
	}
	// 90 distinct identifiers: the last 10 events reuse identifiers and are dropped.
	want := 0
	for i := 0; i < 90; i++ {
		want += i + 1
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != float64(want) {
		t.Fatalf("stream usage %v, want %d", got, want)
	}
	// Asynchronous problems become error reports.
	r = e.do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"nope","payload":{"stripe_customer_id":"`+cus+`","value":"1"}},`+
		`{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":"`+cus+`","value":"1"},"timestamp":"2020-01-01T00:00:00Z"}]}`,
		"Authorization", "Bearer "+token)
	if r.status != 200 {
		t.Fatalf("stream with bad events: %s", r.body)
	}
	reports := e.do("GET", "/_emulator/meter_error_reports", "")
	if n := len(reports.json["data"].([]any)); n != 2 || !strings.Contains(string(reports.body), "timestamp_too_far_in_past") || !strings.Contains(string(reports.body), `"code":"no_meter"`) {
		t.Errorf("reports: %s", reports.body)
	}
	for _, tt := range []struct {
		body, auth string
		status     int
		typ, msg   string
	}{
		{`{"events":[]}`, token, 400, "invalid_request_error", "Missing required param: events."},
		{`{"events":[` + strings.Repeat(`{"event_name":"a","payload":{}},`, 100) + `{"event_name":"a","payload":{}}]}`, token, 400, "invalid_request_error", "at most 100 events"},
		{`not json`, token, 400, "invalid_request_error", "Invalid JSON body"},
		{`{"events":[],"extra":1}`, token, 400, "invalid_request_error", "Received unknown parameter: extra"},
		{`{"events":[{"event_name":"a","payload":{}}]}`, "sk_test_x", 401, "invalid_request_error", "Invalid authentication token"},
	} {
		r := e.do("POST", "/v2/billing/meter_event_stream", tt.body, "Authorization", "Bearer "+tt.auth)
		if r.status != tt.status || r.errField("type") != tt.typ || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%.60s: %d %s", tt.body, r.status, r.body)
		}
	}
	// The token expires after 15 minutes.
	e.clock.Add(16 * time.Minute)
	r = e.do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"alpaca_ai_tokens","payload":{"value":"1"}}]}`, "Authorization", "Bearer "+token)
	if r.status != 401 || r.errField("type") != "temporary_session_expired" || r.errField("message") != "The temporary session token has expired." {
		t.Errorf("expired: %d %s", r.status, r.body)
	}
}

func TestV2MeterEventsAndAdjustments(t *testing.T) {
	acrossFrontEnds(t, testV2MeterEventsAndAdjustments)
}

func testV2MeterEventsAndAdjustments(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	r := e.do("POST", "/v2/billing/meter_events", `{"event_name":"alpaca_ai_tokens","identifier":"v2-1","payload":{"stripe_customer_id":"`+cus+`","value":"40"},"timestamp":"2024-06-30T23:59:00.000Z"}`)
	if r.status != 200 || r.json["object"] != "v2.billing.meter_event" || r.json["timestamp"] != "2024-06-30T23:59:00.000Z" || r.json["identifier"] != "v2-1" || r.json["created"] != "2024-07-01T00:00:00.000Z" {
		t.Fatalf("v2 event: %s", r.body)
	}
	if r := e.do("POST", "/v2/billing/meter_events", `{"event_name":"alpaca_ai_tokens","identifier":"v2-1","payload":{"stripe_customer_id":"`+cus+`","value":"40"}}`); r.status != 400 || !strings.Contains(r.errField("message"), "already exists") {
		t.Errorf("duplicate: %s", r.body)
	}
	if r := e.do("POST", "/v2/billing/meter_events", `{"event_name":"alpaca_ai_tokens","payload":{"value":"1"},"timestamp":"yesterday"}`); r.status != 400 || r.errField("param") != "timestamp" {
		t.Errorf("bad timestamp: %s", r.body)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-3600, t0.Unix()+60); got != 40 {
		t.Fatalf("usage: %v", got)
	}
	r = e.do("POST", "/v2/billing/meter_event_adjustments", `{"event_name":"alpaca_ai_tokens","type":"cancel","cancel":{"identifier":"v2-1"}}`)
	if r.status != 200 || r.json["object"] != "v2.billing.meter_event_adjustment" || r.json["status"] != "complete" {
		t.Fatalf("adjustment: %s", r.body)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-3600, t0.Unix()+60); got != 0 {
		t.Fatalf("after cancel: %v", got)
	}
	if r := e.do("POST", "/v2/billing/meter_event_adjustments", `{"event_name":"alpaca_ai_tokens","type":"cancel","cancel":{"identifier":"nope"}}`); r.status != 400 {
		t.Errorf("unknown identifier: %s", r.body)
	}
}
