package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v79/webhook"
)

// rawReceiver keeps every delivery whose signature holds, as JSON.
type rawReceiver struct {
	t      *testing.T
	ts     *httptest.Server
	mu     sync.Mutex
	secret string
	events []map[string]any
	// shapes checks each delivery against its version's shapes (set by endpoint).
	shapes *shapeRecorder
}

func newRawReceiver(t *testing.T) *rawReceiver {
	r := &rawReceiver{t: t}
	r.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.ValidatePayload(body, req.Header.Get("Stripe-Signature"), r.secret); err != nil {
			t.Errorf("a delivery's signature: %v", err)
			w.WriteHeader(400)
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("a delivery: %v", err)
		}
		r.events = append(r.events, ev)
		r.shapes.noteDelivery(body)
	}))
	t.Cleanup(r.ts.Close)
	return r
}

// endpoint registers the receiver at an API version ("" for none) for events.
func (r *rawReceiver) endpoint(e *testEnv, version string, events ...string) {
	r.t.Helper()
	r.endpointAs(e, "", version, events...)
}

// endpointAs is endpoint with a request at another version (the one whose
// event types enabled_events takes; "": the account's default).
func (r *rawReceiver) endpointAs(e *testEnv, request, version string, events ...string) {
	r.t.Helper()
	body := "url=" + r.ts.URL
	for _, ev := range events {
		body += "&enabled_events[]=" + ev
	}
	if version != "" {
		body += "&api_version=" + version
	}
	var headers []string
	if request != "" {
		headers = at(request)
	}
	resp := e.do("POST", "/v1/webhook_endpoints", body, headers...)
	if resp.status != 200 {
		r.t.Fatalf("%d %s", resp.status, resp.body)
	}
	r.mu.Lock()
	r.secret, r.shapes = resp.json["secret"].(string), e.shapes
	r.mu.Unlock()
}

// wait returns the first delivery of a type, waiting for it.
func (r *rawReceiver) wait(typ string) map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if ev["type"] == typ {
				r.mu.Unlock()
				return ev
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			r.t.Fatalf("no %s delivered", typ)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dataObject(ev map[string]any) map[string]any {
	return ev["data"].(map[string]any)["object"].(map[string]any)
}

func TestEventsPerEndpointVersion(t *testing.T) {
	e := newEnv(t)
	pinned, plain := newRawReceiver(t), newRawReceiver(t)
	pinned.endpoint(e, "2026-03-25.dahlia", "customer.subscription.created", "customer.subscription.updated")
	plain.endpoint(e, "", "customer.subscription.created", "customer.subscription.updated")
	fx := alpaca(t, e) // at 2024-06-20, the account's default (stripe-go v79 set it)

	dahlia, old := pinned.wait("customer.subscription.created"), plain.wait("customer.subscription.created")
	if dahlia["api_version"] != "2026-03-25.dahlia" || old["api_version"] != "2024-06-20" || dahlia["id"] != old["id"] {
		t.Fatalf("api_version %v and %v, ids %v and %v", dahlia["api_version"], old["api_version"], dahlia["id"], old["id"])
	}
	ds, os := dataObject(dahlia), dataObject(old)
	if _, ok := ds["current_period_end"]; ok {
		t.Error("the dahlia rendering has the subscription's current_period_end")
	}
	if os["current_period_end"] == nil || ds["billing_mode"] == nil || os["billing_mode"] != nil {
		t.Errorf("the 2024-06-20 rendering: current_period_end %v, billing_mode %v; dahlia's billing_mode %v", os["current_period_end"], os["billing_mode"], ds["billing_mode"])
	}
	item := ds["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if item["current_period_end"] != float64(fx.periodEnd) {
		t.Errorf("the dahlia rendering's item: current_period_end %v", item["current_period_end"])
	}
	// The event log has it as created: at the account's default, whatever
	// the request's version.
	for _, v := range []string{"2024-06-20", "2026-10-28.endive"} {
		got := e.getAt("/v1/events/"+old["id"].(string), v)
		if got["api_version"] != "2024-06-20" || string(mustJSON(t, got["data"])) != string(mustJSON(t, old["data"])) {
			t.Errorf("GET /v1/events/{id} at %s: %v", v, got["api_version"])
		}
	}

	// previous_attributes at each version: basil moved the period to the items.
	e.clock.Add(5 * 24 * time.Hour)
	e.postAt("/v1/subscriptions/"+fx.sub, "billing_cycle_anchor=now&proration_behavior=none", "2024-06-20", 200)
	dUp, oUp := pinned.wait("customer.subscription.updated"), plain.wait("customer.subscription.updated")
	dPrev := dUp["data"].(map[string]any)["previous_attributes"].(map[string]any)
	oPrev := oUp["data"].(map[string]any)["previous_attributes"].(map[string]any)
	if _, ok := oPrev["current_period_start"]; !ok {
		t.Errorf("the 2024-06-20 previous_attributes lack current_period_start: %v", oPrev)
	}
	if _, ok := dPrev["current_period_start"]; ok {
		t.Errorf("the dahlia previous_attributes have the subscription's current_period_start: %v", dPrev)
	}
	if _, ok := dPrev["items"]; !ok {
		t.Errorf("the dahlia previous_attributes lack the items, whose periods changed: %v", dPrev)
	}
}

func TestEventsAtTheAccountDefault(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/_emulator/account", "default_api_version=2026-10-28.endive")
	rcv := newRawReceiver(t)
	rcv.endpoint(e, "", "customer.created")
	// A request at another version still makes events at the account's default.
	cu := e.do("POST", "/v1/customers", "name=J", at("2024-06-20")...)
	ev := rcv.wait("customer.created")
	if ev["api_version"] != "2026-10-28.endive" || dataObject(ev)["id"] != cu.json["id"] {
		t.Errorf("delivered at %v: %v", ev["api_version"], dataObject(ev)["id"])
	}
	list := e.getAt("/v1/events?type=customer.created", "2024-06-20")
	if got := list["data"].([]any)[0].(map[string]any)["api_version"]; got != "2026-10-28.endive" {
		t.Errorf("listed at %v", got)
	}
}

func TestAlertTriggeredPerVersion(t *testing.T) {
	e := newEnv(t)
	fx := alpaca(t, e)
	rcv := newRawReceiver(t)
	rcv.endpoint(e, "2024-09-30.acacia", "billing.alert.triggered")
	e.postAt("/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold[gte]=10&usage_threshold[meter]="+fx.meter+"&usage_threshold[recurrence]=one_time", "2024-09-30.acacia", 200)
	e.postAt("/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+fx.customer+"&payload[value]=25", "2024-06-20", 200)
	ev := rcv.wait("billing.alert.triggered")
	alert := dataObject(ev)["alert"].(map[string]any)
	if ev["api_version"] != "2024-09-30.acacia" || alert["usage_threshold"] == nil || alert["usage_threshold_config"] != nil {
		t.Errorf("delivered at %v: %v", ev["api_version"], alert)
	}
	logged := e.getAt("/v1/events/"+ev["id"].(string), "2024-06-20")
	if a := dataObject(logged)["alert"].(map[string]any); a["usage_threshold_config"] == nil || a["usage_threshold"] != nil {
		t.Errorf("the logged event (at 2024-06-20): %v", a)
	}
}

// A state file keeps each event as created, at its version.
func TestStateKeepsEventVersions(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/_emulator/account", "default_api_version=2025-09-30.clover")
	cu := e.do("POST", "/v1/customers", "business_name=Acme")
	state := saveBytes(t, e.srv)
	e2 := loadedEnv(t, e, state)
	list := e2.getAt("/v1/events?type=customer.created", "2024-06-20")
	ev := list["data"].([]any)[0].(map[string]any)
	if ev["api_version"] != "2025-09-30.clover" || dataObject(ev)["business_name"] != "Acme" || dataObject(ev)["id"] != cu.json["id"] {
		t.Errorf("after loading: %v %v", ev["api_version"], dataObject(ev))
	}
	bad := withChecksum(bytes.Replace(state, []byte(`"api_version":"2025-09-30.clover","created"`), []byte(`"api_version":"2025-09-30.acacia","created"`), 1))
	if bytes.Equal(bad, withChecksum(state)) {
		t.Fatal("the event line was not found")
	}
	if err := newEnv(t).srv.LoadState(bytes.NewReader(bad)); !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), `an event rendered at an unknown API version "2025-09-30.acacia"`) {
		t.Errorf("an unknown event version: %v", err)
	}
}

// TestInvoicePaymentPaidEvent: invoice_payment.paid is an event of
// 2025-05-28.basil and later (api-versions.md §3.4): enabled_events takes it
// from then, a paid invoice payment raises it, and only the endpoints at a
// version that has it receive it ("*" at an earlier one does not); the
// event log keeps it when the account's default or an endpoint has it, else
// there is none.
func TestInvoicePaymentPaidEvent(t *testing.T) {
	const basil0528, basil0430 = "2025-05-28.basil", "2025-04-30.basil"
	t.Run("enabled_events", func(t *testing.T) {
		e := newEnv(t)
		for _, tc := range []struct {
			version string
			status  int
		}{{"2024-06-20", 400}, {basil0430, 400}, {basil0528, 200}, {"2025-09-30.clover", 200}, {"2026-10-28.endive", 200}} {
			r := e.do("POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=invoice_payment.paid", at(tc.version)...)
			if r.status != tc.status || (tc.status == 400 && r.errField("param") != "enabled_events[0]") {
				t.Errorf("at %s: %d %s, want %d", tc.version, r.status, r.body, tc.status)
			}
			if r.status == 200 {
				e.do("DELETE", "/v1/webhook_endpoints/"+r.json["id"].(string), "")
			}
		}
	})
	t.Run("endpoint_at_basil", func(t *testing.T) {
		e := newEnv(t)
		newCustomer(t, e.sc) // the account's default: stripe-go's 2024-06-20, its first request's
		basil, older, plain := newRawReceiver(t), newRawReceiver(t), newRawReceiver(t)
		basil.endpointAs(e, basil0528, basil0528, "invoice_payment.paid", "customer.created")
		older.endpoint(e, basil0430, "*")
		plain.endpoint(e, "", "*")
		_, _, inv := paidByCard(t, e.sc)
		ev := basil.wait("invoice_payment.paid")
		ip := dataObject(ev)
		if ev["api_version"] != basil0528 || ip["object"] != "invoice_payment" || ip["invoice"] != inv.ID || ip["status"] != "paid" ||
			ip["amount_paid"] != float64(1000) {
			t.Fatalf("invoice_payment.paid: %v", ev)
		}
		newCustomer(t, e.sc) // delivered after everything before it, to each endpoint in order
		for name, r := range map[string]*rawReceiver{"basil": basil, "2025-04-30.basil, *": older, "unpinned, *": plain} {
			r.wait("customer.created")
			r.mu.Lock()
			n := 0
			for _, got := range r.events {
				if got["type"] == "invoice_payment.paid" {
					n++
				}
			}
			r.mu.Unlock()
			if want := map[bool]int{true: 1, false: 0}[name == "basil"]; n != want {
				t.Errorf("%s: %d invoice_payment.paid delivered, want %d", name, n, want)
			}
		}
		list := e.getAt("/v1/events?type=invoice_payment.paid", "2024-06-20")
		data := list["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["id"] != ev["id"] || data[0].(map[string]any)["api_version"] != basil0528 {
			t.Errorf("listed: %v", data)
		}
		if got := dataObject(plain.wait("invoice.paid")); got["id"] != inv.ID {
			t.Errorf("invoice.paid to the unpinned endpoint is about %v", got["id"])
		}
	})
	t.Run("account_default", func(t *testing.T) {
		e := newEnv(t)
		plain := newRawReceiver(t)
		plain.endpoint(e, "", "*")
		paidByCard(t, e.sc)
		if list := e.getAt("/v1/events?type=invoice_payment.paid", "2024-06-20"); len(list["data"].([]any)) != 0 {
			t.Errorf("an invoice_payment.paid at 2024-06-20: %v", list["data"])
		}
		if r := e.do("POST", "/_emulator/account", "default_api_version="+basil0528); r.status != 200 {
			t.Fatal(string(r.body))
		}
		_, _, inv := paidByCard(t, e.sc)
		ev := plain.wait("invoice_payment.paid")
		if ev["api_version"] != basil0528 || dataObject(ev)["invoice"] != inv.ID {
			t.Errorf("invoice_payment.paid at the account's default: %v", ev)
		}
	})
}
