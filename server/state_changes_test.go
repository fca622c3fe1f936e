package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSaveStateFileIfChanged checks that a periodic save is skipped when
// nothing the state file holds changed, and happens after any change,
// including those that do not go through the store (usage, error reports,
// alert firings, accounts created or reset); reads, previews and what is
// not saved (the request log, idempotency keys) change nothing.
func TestSaveStateFileIfChanged(t *testing.T) {
	for _, tt := range []struct {
		name    string
		change  func(e *testEnv, ids map[string]string)
		changed bool
	}{
		{"nothing", func(*testEnv, map[string]string) {}, false},
		{"reads", func(e *testEnv, ids map[string]string) {
			e.do("GET", "/v1/customers", "")
			e.do("GET", "/v1/invoices/upcoming?customer="+ids["cus"], "")
			e.do("GET", "/v1/billing/meters/"+ids["mtr"]+"/event_summaries?customer="+ids["cus"]+"&start_time=1719792000&end_time=1719795600", "")
		}, false},
		{"a preview", func(e *testEnv, ids map[string]string) {
			e.do("POST", "/v1/invoices/create_preview", "customer="+ids["cus"])
		}, false},
		{"a failed request", func(e *testEnv, _ map[string]string) {
			e.do("GET", "/v1/customers/cus_nope", "")
		}, false},
		{"an idempotent replay", func(e *testEnv, ids map[string]string) {
			e.do("POST", "/v1/customers/"+ids["cus"], "name=Same", "Idempotency-Key", "setup-update")
		}, false},
		{"an object", func(e *testEnv, _ map[string]string) { e.do("POST", "/v1/customers", "name=New") }, true},
		{"an object without an event", func(e *testEnv, _ map[string]string) {
			e.do("POST", "/v1/webhook_endpoints", "url=https://example.com/hook&enabled_events[]=*")
		}, true},
		{"a meter event", func(e *testEnv, ids map[string]string) {
			e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+ids["cus"]+"&payload[value]=1")
		}, true},
		{"a cancellation", func(e *testEnv, _ map[string]string) {
			e.do("POST", "/v1/billing/meter_event_adjustments", "event_name=tokens&type=cancel&cancel[identifier]=setup-event")
		}, true},
		{"an error report only", func(e *testEnv, ids map[string]string) {
			e.do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"tokens","payload":{"stripe_customer_id":"x"},"timestamp":"nope"}]}`,
				"Authorization", "Bearer "+ids["token"], "Content-Type", "application/json")
		}, true},
		{"an alert firing", func(e *testEnv, ids map[string]string) {
			e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+ids["cus"]+"&payload[value]=100")
		}, true},
		{"a default API version set by a request", func(e *testEnv, _ map[string]string) {
			e.do("GET", "/v1/customers", "", "Stripe-Version", "2025-03-31.basil")
		}, true},
		{"a default API version set explicitly", func(e *testEnv, _ map[string]string) {
			e.do("POST", "/_emulator/account", "default_api_version=2024-06-20")
		}, true},
		{"a new account", func(e *testEnv, _ map[string]string) {
			e.do("GET", "/v1/customers", "", "Authorization", "Bearer sk_test_someone_else")
		}, true},
		{"a reset", func(e *testEnv, _ map[string]string) { e.do("POST", "/_emulator/reset", "") }, true},
		{"a renewal on the tick", func(e *testEnv, ids map[string]string) {
			e.clock.Set(time.Unix(1722470400+60, 0))
			e.srv.tick()
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
			ids := stateChangeSetup(t, e)
			path := filepath.Join(t.TempDir(), "state.jsonl")
			if _, err := e.srv.SaveStateFile(path); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Add(time.Second) // a save would write another saved_at
			if _, saved, err := e.srv.SaveStateFileIfChanged(path); err != nil || saved {
				t.Fatalf("right after a save: saved %v, %v", saved, err)
			}
			tt.change(e, ids)
			e.clock.Add(time.Second)
			_, saved, err := e.srv.SaveStateFileIfChanged(path)
			if err != nil || saved != tt.changed {
				t.Fatalf("saved %v, want %v (%v)", saved, tt.changed, err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(before, after) == tt.changed {
				t.Errorf("the file changed: %v, want %v", !bytes.Equal(before, after), tt.changed)
			}
			if _, saved, _ := e.srv.SaveStateFileIfChanged(path); saved {
				t.Errorf("saved again with nothing new")
			}
			// A state file loaded is one nothing has changed since.
			loaded, err := New(Options{TickInterval: -1, Clock: e.clock})
			if err != nil {
				t.Fatal(err)
			}
			defer loaded.Close()
			if _, err := loaded.LoadStateFile(path); err != nil {
				t.Fatal(err)
			}
			if _, saved, err := loaded.SaveStateFileIfChanged(path); err != nil || saved {
				t.Errorf("after a load: saved %v, %v", saved, err)
			}
		})
	}
}

// stateChangeSetup gives the account a meter, a customer with a monthly
// subscription, an alert at 50, an event, a meter event session and an
// idempotent update to replay.
func stateChangeSetup(t *testing.T, e *testEnv) map[string]string {
	t.Helper()
	ids := map[string]string{}
	post := func(name, path, body string, headers ...string) {
		r := e.do("POST", path, body, headers...)
		if r.status != 200 {
			t.Fatalf("%s: %s", path, r.body)
		}
		if id, ok := r.json["id"].(string); ok {
			ids[name] = id
		}
	}
	post("mtr", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum")
	post("cus", "/v1/customers", "name=C&payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa")
	post("price", "/v1/prices", "currency=usd&unit_amount=100&recurring[interval]=month&product_data[name]=Seat")
	post("sub", "/v1/subscriptions", "customer="+ids["cus"]+"&items[0][price]="+ids["price"])
	post("alert", "/v1/billing/alerts", "alert_type=usage_threshold&title=T&usage_threshold_config[gte]=50&usage_threshold_config[meter]="+ids["mtr"]+
		"&usage_threshold_config[recurrence]=one_time&filter[customer]="+ids["cus"])
	post("", "/v1/billing/meter_events", "event_name=tokens&identifier=setup-event&payload[stripe_customer_id]="+ids["cus"]+"&payload[value]=1")
	post("", "/v1/customers/"+ids["cus"], "name=Same", "Idempotency-Key", "setup-update")
	r := e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json")
	ids["token"], _ = r.json["authentication_token"].(string)
	return ids
}

// An account's version changes with every change to its event log and
// error reports, drops included: a log of loaded events that takes a
// quarter more and drops as many of the loaded ones is another log, though
// the count of events joined plus those loaded comes back to the same sum.
func TestAccountVersionCountsDrops(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	acct := srv.accounts.get("sk_test_version")
	loaded := make([]*eventRecord, maxEvents)
	for i := range loaded {
		loaded[i] = &eventRecord{id: "evt_loaded" + strconv.Itoa(i), typ: "a"}
	}
	acct.events.appendLoaded(loaded)
	before := acct.version()
	more := make([]*eventRecord, maxEvents/4+1)
	for i := range more {
		more[i] = &eventRecord{typ: "b"}
	}
	acct.events.append(more)
	if acct.version() == before {
		t.Errorf("the version did not change with %d events joined and as many dropped", len(more))
	}
	before = acct.version()
	acct.meterErrors.shed(1)
	acct.events.shed(1)
	if acct.version() == before {
		t.Errorf("the version did not change when the budget dropped an event")
	}
}
