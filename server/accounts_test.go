package server

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// serveDirect sends a request straight to the handler, with the key and
// headers (name, value, …).
func serveDirect(srv *Server, method, path, key, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

// idleAccountBytes is what n accounts that each made one read cost, per
// account: the heap they grew, and the bytes held by what a tick does with
// them.
func idleAccountBytes(tb testing.TB, srv *Server, n int) float64 {
	tb.Helper()
	serveDirect(srv, "GET", "/v1/customers", "sk_test_warm", "") // the first request's one-time costs
	before := heapInUse()
	for i := 0; i < n; i++ {
		if w := serveDirect(srv, "GET", "/v1/customers", fmt.Sprintf("sk_test_idle_%07d", i), ""); w.Code != http.StatusOK {
			tb.Fatalf("GET: %d %s", w.Code, w.Body)
		}
	}
	after := heapInUse()
	runtime.KeepAlive(srv)
	return float64(int64(after)-int64(before)) / float64(n)
}

// An account that has only read costs about a kilobyte (its key, its struct
// and a snapshot of an empty database), far under the 8 KB the emulator
// promises; before, each held a go-memdb database and a 1,000-slot request
// log ring: 52 KB.
func TestIdleAccountCost(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if per := idleAccountBytes(t, srv, 2000); per > 8<<10 {
		t.Errorf("an idle account costs %.0f bytes, over 8 KB", per)
	}
	if n := srv.sched.scheduled(); n != 0 {
		t.Errorf("%d idle accounts wait for the tick", n)
	}
}

// BenchmarkIdleAccount reports what an account that only read costs, and
// what a tick costs with 10,000 such accounts and 10,000 more that each hold
// a customer (nothing due): the tick visits none of them.
func BenchmarkIdleAccount(b *testing.B) {
	for i := 0; i < b.N; i++ {
		srv, err := New(Options{TickInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(idleAccountBytes(b, srv, 10_000), "bytes/account")
		for j := 0; j < 10_000; j++ {
			serveDirect(srv, "POST", "/v1/customers", fmt.Sprintf("sk_test_busy_%07d", j), "name=A")
		}
		start := time.Now()
		const ticks = 100
		for k := 0; k < ticks; k++ {
			srv.tick()
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/ticks, "ns/tick-20k-accounts")
		srv.Close()
	}
}

// TestMaxAccounts checks the cap on accounts: a new key past it gets a 403
// that says what to do, the accounts already there keep working, and a reset
// makes room.
func TestMaxAccounts(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.MaxAccounts = 3 })
	for _, k := range []string{"sk_test_a", "sk_test_b", "sk_test_c"} {
		if _, err := e.client(k).Customers.New(&stripe.CustomerParams{}); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	for _, tt := range []struct {
		name, key string
		wantErr   bool
	}{
		{"a new key past the cap", "sk_test_d", true},
		{"a key already there", "sk_test_a", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client(tt.key).Customers.New(&stripe.CustomerParams{})
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			se := wantErr(t, err, 403, "", "")
			if se.Type != "invalid_request_error" || !strings.Contains(se.Msg, "maximum of 3 accounts") || !strings.Contains(se.Msg, "-max-accounts") || !strings.Contains(se.Msg, "POST /_emulator/reset") {
				t.Errorf("error: %+v", se)
			}
		})
	}
	if r := e.do("POST", "/_emulator/reset", "", "Authorization", "Bearer sk_test_b"); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if _, err := e.client("sk_test_d").Customers.New(&stripe.CustomerParams{}); err != nil {
		t.Errorf("after a reset: %v", err)
	}
	if n := len(e.srv.accounts.all()); n != 3 {
		t.Errorf("%d accounts, want 3", n)
	}
}

// TestSchedulerWakes checks the scheduler's rules: the earliest time asked
// for stands, an account taken out for a visit can be asked for again at
// once (nothing asked during a visit is lost), and a reset account is never
// scheduled again.
func TestSchedulerWakes(t *testing.T) {
	var sc scheduler
	a, b := &account{key: "a"}, &account{key: "b"}
	steps := []struct {
		name string
		do   func() []*account
		want map[*account]int64 // wake times after the step (0: not scheduled)
		due  []*account
	}{
		{"ask", func() []*account { sc.wakeAt(a, 100); sc.wakeAt(b, 50); return nil }, map[*account]int64{a: 100, b: 50}, nil},
		{"a later time does not move it", func() []*account { sc.wakeAt(a, 200); return nil }, map[*account]int64{a: 100, b: 50}, nil},
		{"an earlier one does", func() []*account { sc.wakeAt(a, 40); return nil }, map[*account]int64{a: 40, b: 50}, nil},
		{"due takes what has come", func() []*account { return sc.due(45) }, map[*account]int64{a: 0, b: 50}, []*account{a}},
		{"asked again during the visit", func() []*account { sc.wakeAt(a, 300); return nil }, map[*account]int64{a: 300, b: 50}, nil},
		{"both due", func() []*account { return sc.due(1000) }, map[*account]int64{a: 0, b: 0}, []*account{b, a}},
		{"a reset account", func() []*account { sc.wakeAt(b, 10); sc.remove(b); sc.wakeAt(b, 5); return sc.due(1000) }, map[*account]int64{a: 0, b: 0}, nil},
	}
	for _, st := range steps {
		got := st.do()
		if fmt.Sprint(got) != fmt.Sprint(st.due) {
			t.Errorf("%s: due %v, want %v", st.name, got, st.due)
		}
		for acct, want := range st.want {
			if at := acct.wake.at.Load(); at != want {
				t.Errorf("%s: %s wakes at %d, want %d", st.name, acct.key, at, want)
			}
		}
	}
	if n := sc.scheduled(); n != 0 {
		t.Errorf("%d left in the heap", n)
	}
}

// TestTickRunsScheduledWork checks that what the tick drives still runs
// when only the accounts with work are visited, with no request to the
// account: usage records expire (and their seconds are compacted), and
// idempotency keys are forgotten, after 24 hours; then nothing is left to
// schedule. A reset account leaves the schedule.
func TestTickRunsScheduledWork(t *testing.T) {
	for _, tt := range []struct {
		name string
		work func(t *testing.T, e *testEnv)
		left func(a *account) bool // whether the work's traces remain
	}{
		{"meter event", func(t *testing.T, e *testEnv) {
			// Raw requests: stripe-go sends an idempotency key with every POST,
			// which would schedule the account by itself.
			e.do("POST", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum")
			cus, _ := e.do("POST", "/v1/customers", "name=C").json["id"].(string)
			if r := e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+cus+"&payload[value]=5"); r.status != 200 {
				t.Fatalf("meter event: %s", r.body)
			}
		}, func(a *account) bool { return a.usage.Stats().Retained > 0 }},
		{"idempotency key", func(t *testing.T, e *testEnv) {
			if r := e.do("POST", "/v1/customers", "name=K", "Idempotency-Key", "k1"); r.status != 200 {
				t.Fatalf("idempotent create: %s", r.body)
			}
		}, func(a *account) bool { return a.idem.held() > 0 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
			tt.work(t, e)
			acct := e.srv.accounts.get(e.key)
			if at := acct.wake.at.Load(); at == 0 || at > t0.Unix()+86400 {
				t.Fatalf("the account wakes at %d, want within 24 hours", at)
			}
			e.srv.tick() // nothing due yet
			if !tt.left(acct) {
				t.Fatalf("an early tick dropped it")
			}
			e.clock.Add(31 * time.Hour) // past the retention and the generation an event is in
			for i := 0; i < 3; i++ {    // the first visit expires; the next ones compact, then nothing is left
				e.srv.tick()
			}
			if tt.left(acct) {
				t.Errorf("still there after 31 hours")
			}
			if at := acct.wake.at.Load(); at != 0 {
				t.Errorf("the account still wakes at %d with nothing to do", at)
			}
			e.do("POST", "/v1/customers", "name=K", "Idempotency-Key", "k2") // scheduled again
			e.do("POST", "/_emulator/reset", "")
			if n := e.srv.sched.scheduled(); n != 0 {
				t.Errorf("%d accounts scheduled after the reset", n)
			}
		})
	}
}

// A subscription's renewal runs on the tick because its commit scheduled the
// account (raw requests, without idempotency keys, which would schedule it on
// their own), and the renewal's commit schedules what comes next: the draft
// invoice's finalization an hour later.
func TestTickRenewsWhatCommitsScheduled(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	price, _ := e.do("POST", "/v1/prices", "currency=usd&unit_amount=1000&recurring[interval]=month&product_data[name]=Seat").json["id"].(string)
	cus, _ := e.do("POST", "/v1/customers", "name=C&email=c%40example.com").json["id"].(string)
	sub := e.do("POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+price+"&collection_method=send_invoice&days_until_due=30")
	if sub.status != 200 {
		t.Fatalf("subscription: %s", sub.body)
	}
	id, _ := sub.json["id"].(string)
	end := int64(sub.json["current_period_end"].(float64))
	e.clock.Set(time.Unix(end+60, 0))
	e.srv.tick()
	renewed := e.do("GET", "/v1/subscriptions/"+id+"?expand[]=latest_invoice", "")
	if start := int64(renewed.json["current_period_start"].(float64)); start != end {
		t.Fatalf("not renewed on the tick: period starts at %d, want %d", start, end)
	}
	inv := renewed.json["latest_invoice"].(map[string]any)
	if inv["status"] != "draft" {
		t.Fatalf("renewal invoice: %v", inv["status"])
	}
	e.clock.Set(time.Unix(end+3600+60, 0))
	e.srv.tick()
	if got := e.do("GET", "/v1/invoices/"+inv["id"].(string), "").json["status"]; got != "open" {
		t.Errorf("the renewal invoice is %v an hour later, want open", got)
	}
}

// A meter event whose arrival expires old records and starts a compaction
// larger than one call does schedules its account for the next tick, which
// goes on with it.
func TestTickContinuesCompaction(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	e.do("POST", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum")
	token, _ := e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json").json["authentication_token"].(string)
	var customers []string
	for i := 0; i < 2; i++ {
		id, _ := e.do("POST", "/v1/customers", "name=C").json["id"].(string)
		customers = append(customers, id)
	}
	// Two series of 4,200 second buckets each: more than one compaction call
	// (4,096 buckets) takes.
	for sent := 0; sent < 8400; sent += 100 {
		var b strings.Builder
		for i := sent; i < sent+100; i++ {
			if i > sent {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"event_name":"tokens","payload":{"stripe_customer_id":%q,"value":"1"},"timestamp":%q}`,
				customers[i%2], t0.Add(-time.Duration(i/2)*time.Second).Format(time.RFC3339))
		}
		if r := e.do("POST", "/v2/billing/meter_event_stream", `{"events":[`+b.String()+`]}`, "Authorization", "Bearer "+token, "Content-Type", "application/json"); r.status != 200 {
			t.Fatalf("stream: %s", r.body)
		}
	}
	acct := e.srv.accounts.get(e.key)
	e.srv.tick()
	e.clock.Add(31 * time.Hour)
	e.srv.sched.due(math.MaxInt64) // nothing else would visit it now
	e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+customers[0]+"&payload[value]=1")
	if !acct.usage.Compacting() {
		t.Fatal("no compaction under way: the test needs a larger one")
	}
	if at := acct.wake.at.Load(); at != e.clock.Now().Unix() {
		t.Fatalf("the account wakes at %d, want now (%d)", at, e.clock.Now().Unix())
	}
	e.srv.tick()
	if acct.usage.Compacting() {
		t.Errorf("the tick did not finish the compaction")
	}
}
