package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Events of ever new event names with no meter (a client sending random
// names) leave no lasting state beyond their error reports: the meter cache
// keeps none of them, and the usage store forgets each name with the last
// event of it, once their identifiers expire.
func TestEventNamesWithoutAMeterLeaveNothing(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	e.do("POST", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum")
	cus, _ := e.do("POST", "/v1/customers", "name=C").json["id"].(string)
	acct := e.srv.accounts.get(e.key)
	const n = 2000
	for i := 0; i < n; i++ {
		if r := e.do("POST", "/v1/billing/meter_events", "event_name=random_"+strconv.Itoa(i)+"&payload[stripe_customer_id]="+cus+"&payload[value]=1"); r.status != 200 {
			t.Fatalf("meter event: %d %s", r.status, r.body)
		}
	}
	e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+cus+"&payload[value]=1")
	if cached := acct.catalog.cur.Load(); cached != nil && len(cached.meters) != 1 {
		t.Errorf("the meter cache holds %d event names, want only the meter's", len(cached.meters))
	}
	if st := acct.usage.Stats(); st.Names != n+1 {
		t.Fatalf("usage store: %+v, want %d names while their events are kept", st, n+1)
	}
	e.clock.Add(31 * time.Hour) // past the retention and the generation the events are in
	for i := 0; i < 3; i++ {
		e.srv.tick()
	}
	if st := acct.usage.Stats(); st.Names != 0 || st.Retained != 0 {
		t.Errorf("usage store after the events expired: %+v, want no names", st)
	}
	reports := e.do("GET", "/_emulator/meter_error_reports?limit=1", "")
	if data, _ := reports.json["data"].([]any); len(data) != 1 {
		t.Errorf("the error reports are gone: %s", reports.body)
	}
}

// The live meter event session tokens are bounded per account and in all,
// and expired ones make room: add drops them from the front of its queue,
// each once, rather than scanning every live token.
func TestSessionBounds(t *testing.T) {
	now := t0
	s := newSessions()
	s.perAccount, s.total = 3, 5
	add := func(key string) *apierr.Error {
		return s.add(key+"-"+strconv.Itoa(len(s.queue))+now.String(), session{accountKey: key, expires: now.Add(sessionLifetime)}, now)
	}
	for _, tt := range []struct {
		name    string
		do      func() *apierr.Error
		refused bool
		live    int
	}{
		{"a", func() *apierr.Error { return add("a") }, false, 1},
		{"a again", func() *apierr.Error { add("a"); return add("a") }, false, 3},
		{"a past its bound", func() *apierr.Error { return add("a") }, true, 3},
		{"b", func() *apierr.Error { add("b"); return add("b") }, false, 5},
		{"c past the total", func() *apierr.Error { return add("c") }, true, 5},
		{"after the first expired", func() *apierr.Error { now = now.Add(sessionLifetime + time.Second); return add("c") }, false, 1},
	} {
		err := tt.do()
		if (err != nil) != tt.refused {
			t.Errorf("%s: error %v, want refused %v", tt.name, err, tt.refused)
		}
		if err != nil && (err.Status != 400 || err.Type != "invalid_request_error" || !strings.Contains(err.Message, "live meter event sessions")) {
			t.Errorf("%s: %+v", tt.name, err)
		}
		if len(s.m) != tt.live || len(s.queue) != tt.live {
			t.Errorf("%s: %d tokens, %d queued, want %d", tt.name, len(s.m), len(s.queue), tt.live)
		}
	}
	if len(s.byAccount) != 1 || s.byAccount["c"] != 1 {
		t.Errorf("counts per account: %v", s.byAccount)
	}
}

// Past an account's bound of live sessions, creating one is a clear 400; the
// tokens already given keep working, and another account is not held up.
func TestSessionBoundOverHTTP(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	create := func(key string) response {
		return e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json", "Authorization", "Bearer "+key)
	}
	var first string
	for i := 0; i < maxSessionsPerAccount; i++ {
		r := create(e.key)
		if r.status != 200 {
			t.Fatalf("session %d: %d %s", i, r.status, r.body)
		}
		if i == 0 {
			first, _ = r.json["authentication_token"].(string)
		}
	}
	r := create(e.key)
	if msg, _ := r.json["error"].(map[string]any)["message"].(string); r.status != 400 || !strings.Contains(msg, "1000 live meter event sessions") {
		t.Errorf("past the bound: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"tokens","payload":{"stripe_customer_id":"cus_x"}}]}`, "Authorization", "Bearer "+first, "Content-Type", "application/json"); r.status != 200 {
		t.Errorf("a live token: %d %s", r.status, r.body)
	}
	if r := create("sk_test_other"); r.status != 200 {
		t.Errorf("another account: %d %s", r.status, r.body)
	}
	e.clock.Add(sessionLifetime + time.Second)
	if r := create(e.key); r.status != 200 {
		t.Errorf("once the old ones expired: %d %s", r.status, r.body)
	}
}

// BenchmarkSessionAdd creates sessions while 50,000 others are live (500
// accounts of 100): each add costs the same whatever the number live (it used
// to scan them all).
func BenchmarkSessionAdd(b *testing.B) {
	s := newSessions()
	for i := 0; i < 50_000; i++ {
		if err := s.add("live-"+strconv.Itoa(i), session{accountKey: "sk_test_" + strconv.Itoa(i%500), expires: t0.Add(sessionLifetime)}, t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%100 == 0 { // keep the number live steady
			for j := 0; j < 100 && len(s.queue) > 0; j++ {
				s.drop()
			}
		}
		_ = s.add("new-"+strconv.Itoa(i), session{accountKey: "sk_test_bench", expires: t0.Add(sessionLifetime)}, t0)
	}
}

// An account holds at most Stripe's 16 webhook endpoints and 100 test
// clocks: one more is a 400 that says which limit and what to do, creates
// nothing, and deleting one makes room.
func TestObjectCountLimits(t *testing.T) {
	for _, tt := range []struct {
		name, path, body, words string
		max                     int
	}{
		{"webhook endpoints", "/v1/webhook_endpoints", "url=https%3A%2F%2Fexample.com%2Fh&enabled_events[]=*", "maximum of 16 webhook endpoints", maxWebhookEndpoints},
		{"test clocks", "/v1/test_helpers/test_clocks", "frozen_time=1719792000", "maximum of 100 test clocks", maxTestClocks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
			var first string
			for i := 0; i < tt.max; i++ {
				r := e.do("POST", tt.path, tt.body)
				if r.status != 200 {
					t.Fatalf("%d: %d %s", i, r.status, r.body)
				}
				if i == 0 {
					first, _ = r.json["id"].(string)
				}
			}
			r := e.do("POST", tt.path, tt.body)
			errObj, _ := r.json["error"].(map[string]any)
			if msg, _ := errObj["message"].(string); r.status != 400 || errObj["type"] != "invalid_request_error" || !strings.Contains(msg, tt.words) {
				t.Errorf("one more: %d %s", r.status, r.body)
			}
			if data := e.do("GET", tt.path+"?limit=100", "").json["data"].([]any); len(data) != min(tt.max, 100) {
				t.Errorf("%d listed after the refusal", len(data))
			}
			if r := e.do("DELETE", tt.path+"/"+first, ""); r.status != 200 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if r := e.do("POST", tt.path, tt.body); r.status != 200 {
				t.Errorf("after a delete: %d %s", r.status, r.body)
			}
		})
	}
}

// TestEventLogBytes checks what an event log and the error reports count
// against the heap they hold: what closing them frees. The events are
// customer updates (with previous attributes), prices with tiers (kept as a
// tree too) and creates whose idempotency key is a slice of a 4 KB request
// head, as internal/h1 hands header values out (the log keeps a copy).
func TestEventLogBytes(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const key = "sk_test_events"
	post := func(path, body string, headers ...string) string {
		w := serveDirect(srv, "POST", path, key, body, headers...)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	cus := post("/v1/customers", "name=C")[7:35]
	for i := 0; i < 1000; i++ {
		post("/v1/customers/"+cus, "metadata[k"+strconv.Itoa(i%40)+"]="+strings.Repeat("v", 200)+"&name=N"+strconv.Itoa(i))
		post("/v1/prices", "currency=usd&product_data[name]=P&billing_scheme=tiered&tiers_mode=graduated&tiers[0][up_to]=10&tiers[0][unit_amount]=5&tiers[1][up_to]=inf&tiers[1][unit_amount]=3&recurring[interval]=month")
		head := "idem-" + strconv.Itoa(i) + "-" + strings.Repeat("h", 4096)
		post("/v1/products", "name=Q", "Idempotency-Key", head[:12])
		post("/v1/billing/meter_events", "event_name=none_"+strconv.Itoa(i)+"&payload[stripe_customer_id]="+cus)
	}
	acct := srv.accounts.get(key)
	acct.idem.close() // its responses are not the log's
	for _, tt := range []struct {
		name  string
		held  func() int64
		close func()
	}{
		{"events", acct.events.held, acct.events.close},
		{"error reports", acct.meterErrors.held, acct.meterErrors.close},
	} {
		t.Run(tt.name, func(t *testing.T) {
			held := float64(tt.held())
			before := heapInUse()
			tt.close()
			freed := float64(int64(before) - int64(heapInUse()))
			runtime.KeepAlive(acct)
			t.Logf("%.0f bytes freed, %.0f counted", freed, held)
			if freed > held*1.1 || held > freed*2 {
				t.Errorf("closing freed %.0f bytes, the log counted %.0f", freed, held)
			}
		})
	}
	if used := srv.eventsBudget.used.Load(); used != 0 {
		t.Errorf("the budget still counts %d bytes", used)
	}
}

// TestEventsTotalBudget checks the bound across accounts of the event logs
// and error reports: past it, the accounts holding the most drop their
// oldest first (ten of equal size each keep some), a small account keeps its
// own, the IDs of what is kept
// still lead to it, a state save sees the drop, and a reset frees what an
// account held.
func TestEventsTotalBudget(t *testing.T) {
	const limit = 1 << 20
	srv, err := New(Options{TickInterval: -1, EventsMaxTotalBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	create := func(key, body string) string {
		w := serveDirect(srv, "POST", "/v1/customers", key, body)
		if w.Code != 200 {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		return w.Body.String()[7:35]
	}
	create("sk_test_small", "name=S")
	small := srv.accounts.get("sk_test_small")
	smallEvent := small.events.snapshot()[0].id
	big := "&description=" + strings.Repeat("d", 300)
	for a := 0; a < 10; a++ {
		key := "sk_test_heavy" + strconv.Itoa(a)
		for i := 0; i < 200; i++ {
			create(key, "name=H"+big)
			serveDirect(srv, "POST", "/v1/billing/meter_events", key, "event_name=none&payload[stripe_customer_id]=cus_x")
		}
		if used := srv.eventsBudget.used.Load(); used > limit {
			t.Fatalf("after %d heavy accounts the logs hold %d bytes, bound %d", a+1, used, limit)
		}
	}
	if small.events.get(smallEvent) == nil {
		t.Errorf("the small account's event is gone")
	}
	for a := 0; a < 10; a++ { // accounts of equal size share the cut
		if n := len(srv.accounts.get("sk_test_heavy" + strconv.Itoa(a)).events.snapshot()); n == 0 {
			t.Errorf("heavy account %d lost every event", a)
		}
	}
	heavy := srv.accounts.get("sk_test_heavy0")
	v := heavy.version()
	if v.eventsDropped == 0 || v.errorReportsDropped == 0 {
		t.Errorf("the first heavy account dropped nothing: %+v", v)
	}
	kept := heavy.events.snapshot()
	if len(kept) == 0 || heavy.events.get(kept[0].id) != kept[0] || heavy.events.get(kept[len(kept)-1].id) != kept[len(kept)-1] {
		t.Errorf("the events kept are not found by ID")
	}
	var sum int64
	for _, a := range srv.accounts.all() {
		sum += a.events.held() + a.meterErrors.held()
	}
	if sum != srv.eventsBudget.used.Load() {
		t.Errorf("the accounts hold %d bytes, the budget counts %d", sum, srv.eventsBudget.used.Load())
	}
	before := srv.eventsBudget.used.Load()
	srv.accounts.reset("sk_test_heavy9")
	if after := srv.eventsBudget.used.Load(); after >= before {
		t.Errorf("a reset left the budget at %d bytes (from %d)", after, before)
	}
}

// A preview runs a change in a transaction that is never committed, and a
// request that fails leaves nothing: neither pins the times their changes
// would cut bills at in the usage store (kept for good, per customer), so
// previews with ever new times leave nothing behind. A committed change
// pins them.
func TestPreviewsPinNoBillingTimes(t *testing.T) {
	e := newEnvWith(t, func(o *Options) {
		withVisa(o)
		o.TickInterval = -1
	})
	price, _ := e.do("POST", "/v1/prices", "currency=usd&unit_amount=1000&recurring[interval]=month&product_data[name]=Seat").json["id"].(string)
	cus, _ := e.do("POST", "/v1/customers", "name=C").json["id"].(string)
	sub, _ := e.do("POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+price).json["id"].(string)
	usage := e.srv.accounts.get(e.key).usage
	before := usage.Version()
	for i := 1; i <= 50; i++ {
		at := strconv.FormatInt(t0.Unix()+int64(i)*86400+17, 10) // ever new times, none on a minute
		for _, r := range []response{
			e.do("GET", "/v1/invoices/upcoming?subscription="+sub+"&subscription_cancel_at="+at, ""),
			e.do("POST", "/v1/invoices/create_preview", "subscription="+sub+"&subscription_details[cancel_at]="+at),
		} {
			if r.status != 200 {
				t.Fatalf("preview: %d %s", r.status, r.body)
			}
		}
		if r := e.do("POST", "/v1/subscriptions/"+sub, "cancel_at="+at+"&items[0][price]=price_nope"); r.status != 400 {
			t.Fatalf("a failing update: %d %s", r.status, r.body)
		}
	}
	if after := usage.Version(); after != before {
		t.Errorf("previews and failed updates changed the usage store (version %d, was %d)", after, before)
	}
	if r := e.do("POST", "/v1/subscriptions/"+sub, "cancel_at="+strconv.FormatInt(t0.Unix()+86400+17, 10)); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if usage.Version() == before {
		t.Errorf("a committed change pinned nothing")
	}
}

// A reset drops the account's webhook deliveries still queued: a receiver
// that fails would otherwise keep them retrying for minutes, each holding
// the whole account (its database, usage and logs) in memory after the
// reset. The queue ends at once, though its retry waits an hour.
func TestResetDropsQueuedDeliveries(t *testing.T) {
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer receiver.Close()
	e := newEnvWith(t, func(o *Options) { o.TickInterval, o.Webhooks.RetryBase = -1, time.Hour })
	if r := e.do("POST", "/v1/webhook_endpoints", "url="+url.QueryEscape(receiver.URL)+"&enabled_events[]=*"); r.status != 200 {
		t.Fatalf("endpoint: %d %s", r.status, r.body)
	}
	for i := 0; i < 5; i++ {
		e.do("POST", "/v1/customers", "name=C")
	}
	queued := func() int {
		e.srv.hooks.mu.Lock()
		defer e.srv.hooks.mu.Unlock()
		return len(e.srv.hooks.queues)
	}
	for deadline := time.Now().Add(5 * time.Second); hits.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if hits.Load() != 1 || queued() != 1 {
		t.Fatalf("%d attempts, %d queues: want the first attempt made and its retry waiting", hits.Load(), queued())
	}
	e.do("POST", "/_emulator/reset", "")
	for deadline := time.Now().Add(5 * time.Second); queued() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := queued(); n != 0 || hits.Load() != 1 {
		t.Errorf("after the reset: %d queues, %d attempts; want none left and no more attempts", n, hits.Load())
	}
}

// The events and error reports of a state file count against the budget as
// they load; a load that fails (a damaged file, or a server that already has
// accounts) gives them back, or the budget would count for good what no
// account holds, and shed real accounts' events for it.
func TestFailedStateLoadReleasesBudget(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	e.do("POST", "/v1/customers", "name=C")
	e.do("POST", "/v1/billing/meter_events", "event_name=none&payload[stripe_customer_id]=cus_x")
	var saved bytes.Buffer
	if err := e.srv.SaveState(&saved); err != nil {
		t.Fatal(err)
	}
	damaged := bytes.Replace(saved.Bytes(), []byte(`"Name":"C"`), []byte(`"Name":"D"`), 1)
	for _, tt := range []struct {
		name  string
		state []byte
		busy  bool
		want  error
	}{
		{"a damaged file", damaged, false, ErrStateCorrupt},
		{"a server with accounts", saved.Bytes(), true, ErrStateNotEmpty},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(Options{TickInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if tt.busy {
				serveDirect(srv, "GET", "/v1/customers", "sk_test_busy", "")
			}
			if err := srv.LoadState(bytes.NewReader(tt.state)); !errors.Is(err, tt.want) {
				t.Fatalf("load: %v, want %v", err, tt.want)
			}
			srv.eventsBudget.mu.Lock()
			holders := len(srv.eventsBudget.holders)
			srv.eventsBudget.mu.Unlock()
			if used := srv.eventsBudget.used.Load(); used != 0 || holders != 0 {
				t.Errorf("after the failed load the budget counts %d bytes of %d holders", used, holders)
			}
		})
	}
}

// Undelivered webhook events are bounded in bytes across every queue: past
// the bound the queues holding the most drop their oldest, never the one
// being tried; a queue full of its own 10,000 keeps the one being tried too.
// Dropped events no longer count as pending.
func TestWebhookQueueBounds(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer receiver.Close()
	const limit = 256 << 10
	e := newEnvWith(t, func(o *Options) {
		o.TickInterval, o.Webhooks.RetryBase = -1, time.Hour
		o.Webhooks.MaxQueue, o.Webhooks.MaxQueueTotalBytes = 50, limit
	})
	hooks := e.srv.hooks
	big := "&metadata[a]=" + strings.Repeat("a", 500) + "&metadata[b]=" + strings.Repeat("b", 500) + "&metadata[c]=" + strings.Repeat("c", 500)
	for a := 0; a < 4; a++ {
		key := "sk_test_hooks" + strconv.Itoa(a)
		e.do("POST", "/v1/webhook_endpoints", "url="+url.QueryEscape(receiver.URL)+"&enabled_events[]=*", "Authorization", "Bearer "+key)
		for i := 0; i < 100; i++ {
			if r := e.do("POST", "/v1/customers", "name=C"+big, "Authorization", "Bearer "+key); r.status != 200 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			if used := hooks.budget.used.Load(); used > limit {
				t.Fatalf("account %d, event %d: the queues hold %d bytes, bound %d", a, i, used, limit)
			}
		}
	}
	oldest := map[string]string{} // each account's first event: the one being tried
	for a := 0; a < 4; a++ {
		key := "sk_test_hooks" + strconv.Itoa(a)
		events := e.do("GET", "/v1/events?limit=100", "", "Authorization", "Bearer "+key).json["data"].([]any)
		oldest[key] = events[len(events)-1].(map[string]any)["id"].(string)
	}
	hooks.mu.Lock()
	var sum int64
	for key, q := range hooks.queues {
		q.mu.Lock()
		if len(q.items) > 50 {
			t.Errorf("a queue holds %d events, bound 50", len(q.items))
		}
		if acct, _, _ := strings.Cut(key, "/"); len(q.items) == 0 || q.items[0].ev.id != oldest[acct] {
			t.Errorf("the queue of %s lost the event being tried", acct)
		}
		sum += q.share.bytes
		q.mu.Unlock()
	}
	hooks.mu.Unlock()
	if sum != hooks.budget.used.Load() {
		t.Errorf("the queues hold %d bytes, the budget counts %d", sum, hooks.budget.used.Load())
	}
	events := e.do("GET", "/v1/events?limit=100", "", "Authorization", "Bearer sk_test_hooks0").json["data"].([]any)
	if pending := events[len(events)-2].(map[string]any)["pending_webhooks"]; pending != 0.0 {
		t.Errorf("a dropped event reads pending_webhooks %v, want 0", pending)
	}
	for a := 0; a < 4; a++ {
		e.do("POST", "/_emulator/reset", "", "Authorization", "Bearer sk_test_hooks"+strconv.Itoa(a))
	}
	for deadline := time.Now().Add(5 * time.Second); hooks.budget.used.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if used := hooks.budget.used.Load(); used != 0 {
		t.Errorf("after the resets the queues hold %d bytes", used)
	}
}
