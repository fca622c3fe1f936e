package server

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

var (
	memEvents    = flag.Int("events", 10_000_000, "events BenchmarkMemory10MEventsADay sends")
	memCustomers = flag.Int("customers", 1000, "customers BenchmarkMemory10MEventsADay spreads them over")
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemory10MEventsADay sends 10,000,000 meter events through the v2
// stream (in-process, 100 per request, each with its own identifier, spread
// over one day of the emulator's clock and 1,000 customers) and reports the heap
// the emulator holds per event then, and after 24 hours more, when only the
// aggregates remain (identifiers can no longer be deduplicated or canceled).
// Run it with -benchtime 1x; -events and -customers change the load. After
// the 24 hours, what remains is one bucket per customer and second (minute,
// hour, day) that had usage: the fewer events each customer sends per second,
// the more that is per event.
func BenchmarkMemory10MEventsADay(b *testing.B) {
	customers, n := *memCustomers, *memEvents
	for i := 0; i < b.N; i++ {
		clk := clock.NewManual(t0)
		srv, err := New(Options{Clock: clk, TickInterval: -1, Logger: nil})
		if err != nil {
			b.Fatal(err)
		}
		key := "sk_test_memory"
		do := func(method, path, body, auth, ctype string) string {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+auth)
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
			}
			return w.Body.String()
		}
		form := "application/x-www-form-urlencoded"
		do("POST", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value", key, form)
		ids := make([]string, customers)
		for j := range ids {
			body := do("POST", "/v1/customers", "name=C", key, form)
			ids[j] = body[strings.Index(body, `"id":"`)+6:][:28]
		}
		session := do("POST", "/v2/billing/meter_event_session", "{}", key, "application/json")
		token := session[strings.Index(session, `"authentication_token":"`)+24:]
		token = token[:strings.IndexByte(token, '"')]

		before := heapInUse()
		step := 86400 * time.Second / time.Duration(n/100)
		var sb strings.Builder
		renewed := clk.Now()
		for j := 0; j < n; j += 100 {
			if clk.Now().Sub(renewed) > 10*time.Minute { // sessions last 15 minutes
				session = do("POST", "/v2/billing/meter_event_session", "{}", key, "application/json")
				token = session[strings.Index(session, `"authentication_token":"`)+24:]
				token = token[:strings.IndexByte(token, '"')]
				renewed = clk.Now()
			}
			sb.Reset()
			sb.WriteString(`{"events":[`)
			for k := 0; k < 100; k++ {
				if k > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `{"event_name":"tokens","identifier":"ev-%d","payload":{"stripe_customer_id":%q,"value":"25"}}`, j+k, ids[(j+k)%customers])
			}
			sb.WriteString(`]}`)
			do("POST", "/v2/billing/meter_event_stream", sb.String(), token, "application/json")
			clk.Add(step)
		}
		during := heapInUse()
		clk.Add(25 * time.Hour)
		session = do("POST", "/v2/billing/meter_event_session", "{}", key, "application/json")
		token = session[strings.Index(session, `"authentication_token":"`)+24:]
		token = token[:strings.IndexByte(token, '"')]
		do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"tokens","identifier":"late","payload":{"stripe_customer_id":"`+ids[0]+`","value":"1"}}]}`, token, "application/json")
		for _, a := range srv.accounts.all() { // what the emulator's ticks do over the next minutes
			a.usage.Expire(clk.Now().Unix())
		}
		after := heapInUse()
		b.ReportMetric(float64(int64(during)-int64(before))/float64(n), "bytes/event")
		b.ReportMetric(float64(int64(after)-int64(before))/float64(n), "bytes/event-after-24h")
		b.ReportMetric(float64(during-before)/(1<<20), "MiB-held")
		runtime.KeepAlive(srv)
		srv.Close()
	}
}

// BenchmarkStartHeap reports the heap a new server holds once it has served
// one request: what every GC cycle marks for as long as it runs, and so part
// of every request's cost while the state is small. server-B is what New
// and the request added (the catalogue's schemas, the routes, the account);
// heap-B is the whole heap then, with what the packages made at init (the
// versions' field plans) and the test binary's own. Run it with -benchtime 1x.
func BenchmarkStartHeap(b *testing.B) {
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		srv, err := New(Options{TickInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer sk_test_start")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET /v1/customers: %d %s", w.Code, w.Body)
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before), "server-B")
		b.ReportMetric(float64(after), "heap-B")
		runtime.KeepAlive(srv)
		srv.Close()
	}
}
