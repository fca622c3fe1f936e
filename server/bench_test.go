package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Handler-level benchmarks (no network): what one request costs the emulator.

func benchServer(b *testing.B) *Server {
	b.Helper()
	srv, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

func serveOnce(b *testing.B, srv *Server, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer sk_test_bench")
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	return w
}

func BenchmarkCreateCustomer(b *testing.B) { benchCreateCustomer(b) }

func benchCreateCustomer(b *testing.B, headers ...string) {
	srv := benchServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe&email=john%40example.com&metadata[plan]=pro", headers...)
		}
	})
}

func BenchmarkRetrieveCustomer(b *testing.B) {
	srv := benchServer(b)
	w := serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe")
	id := w.Body.String()[7:35]
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "GET", "/v1/customers/"+id, "")
		}
	})
}

func BenchmarkListCustomers100(b *testing.B) {
	srv := benchServer(b)
	for i := 0; i < 200; i++ {
		serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe&email=john%40example.com")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "GET", "/v1/customers?limit=100", "")
		}
	})
}

// setupAlpaca creates the Alpaca AI meter and a customer through the handler.
func setupAlpaca(b *testing.B, srv *Server) string {
	b.Helper()
	serveOnce(b, srv, "POST", "/v1/billing/meters", "display_name=Alpaca+AI+tokens&event_name=alpaca_ai_tokens&default_aggregation[formula]=sum")
	w := serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe")
	var c struct{ ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		b.Fatal(err)
	}
	return c.ID
}

func BenchmarkMeterEvent(b *testing.B) { benchMeterEvent(b) }

func benchMeterEvent(b *testing.B, headers ...string) {
	srv := benchServer(b)
	cus := setupAlpaca(b, srv)
	body := "event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=25"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "POST", "/v1/billing/meter_events", body, headers...)
		}
	})
}

// BenchmarkAtVersion is a customer created and a meter event sent with
// Stripe-Version 2024-06-20 and 2026-10-28.endive (the target: the
// endive ones at 0.9× the 2024-06-20 ones or better, in the same run).
func BenchmarkAtVersion(b *testing.B) {
	for _, v := range []string{"2024-06-20", "2026-10-28.endive"} {
		b.Run("create_customer@"+v, func(b *testing.B) { benchCreateCustomer(b, "Stripe-Version", v) })
		b.Run("meter_event@"+v, func(b *testing.B) { benchMeterEvent(b, "Stripe-Version", v) })
	}
}

// BenchmarkMeterEventsHTTP sends meter events over loopback TCP from 16
// keep-alive connections (client and emulator share the machine's cores) and
// reports accepted events per second.
func BenchmarkMeterEventsHTTP(b *testing.B) {
	srv := benchServer(b)
	cus := setupAlpaca(b, srv)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := "event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=25"
	b.SetParallelism(8) // 8 × GOMAXPROCS goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", ts.URL+"/v1/billing/meter_events", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer sk_test_bench")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkMeterEventSummary: a month's summary for a customer with 10 events
// and with 1,000,000 costs about the same (events go straight into the store,
// spread over the month, to keep the setup short).
func BenchmarkMeterEventSummary(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			srv := benchServer(b)
			cus := setupAlpaca(b, srv)
			acct := srv.accounts.get("sk_test_bench")
			if acct == nil {
				b.Fatal("no account")
			}
			tx := acct.db.Read()
			m, _ := tx.FindOne(tMeters, "event_name", "alpaca_ai_tokens")
			tx.Abort()
			now := time.Now().Unix()
			for i := 0; i < n; i++ {
				ts := now - int64(i)%(30*86400)
				_ = acct.usage.Record(metering.Event{Identifier: "id" + strconv.Itoa(i), EventName: "alpaca_ai_tokens",
					Meter: m.RecordID(), Customer: cus, Counted: true, Timestamp: ts, Received: now, Value: 3})
			}
			start := (now - 31*86400) / 60 * 60
			path := "/v1/billing/meters/" + m.RecordID() + "/event_summaries?customer=" + cus +
				"&start_time=" + strconv.FormatInt(start, 10) + "&end_time=" + strconv.FormatInt(start+31*86400+60, 10)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serveOnce(b, srv, "GET", path, "")
			}
		})
	}
}

// BenchmarkUpcomingInvoice: previewing the Alpaca AI invoice of a customer with
// 1,000,000 events this period costs about the same as with 10.
func BenchmarkUpcomingInvoice(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			srv := benchServer(b)
			cus := setupAlpaca(b, srv)
			acct := srv.accounts.get("sk_test_bench")
			if acct == nil {
				b.Fatal("no account")
			}
			tx := acct.db.Read()
			m, _ := tx.FindOne(tMeters, "event_name", "alpaca_ai_tokens")
			tx.Abort()
			w := serveOnce(b, srv, "POST", "/v1/prices", "currency=usd&unit_amount=4&transform_quantity[divide_by]=1000&transform_quantity[round]=up"+
				"&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+m.RecordID()+"&product_data[name]=Alpaca+AI+tokens")
			var pr struct{ ID string }
			_ = json.Unmarshal(w.Body.Bytes(), &pr)
			serveOnce(b, srv, "POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+pr.ID)
			now := time.Now().Unix()
			for i := 0; i < n; i++ {
				_ = acct.usage.Record(metering.Event{Identifier: "id" + strconv.Itoa(i), EventName: "alpaca_ai_tokens",
					Meter: m.RecordID(), Customer: cus, Counted: true, Timestamp: now - int64(i%3600), Received: now, Value: 3})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serveOnce(b, srv, "GET", "/v1/invoices/upcoming?customer="+cus, "")
			}
		})
	}
}

// BenchmarkAdvanceClock1000: a month (and the hour of grace) on a test clock
// with 1,000 Alpaca AI subscriptions, each with usage: 1,000 invoices created,
// re-rated, finalized and settled, with their events.
func BenchmarkAdvanceClock1000(b *testing.B) {
	benchAdvanceClock(b, "", 3000, func(srv *Server) {
		var list struct{ Data []struct{ Total int64 } }
		_ = json.Unmarshal(serveOnce(b, srv, "GET", "/v1/invoices?status=paid&limit=100", "").Body.Bytes(), &list)
		if len(list.Data) != 100 {
			b.Fatalf("invoices after the advance: %d", len(list.Data))
		}
	})
}

// BenchmarkAdvanceClock1000Cards is BenchmarkAdvanceClock1000 with every
// customer paying by card (pm_card_visa as their default) and 30,000 tokens
// (120 cents, above the minimum charge): each of the 1,000 renewals is
// also charged, a PaymentIntent and a charge with their events (design-16
// §5.5: the target is 1.5 times BenchmarkAdvanceClock1000 in the same run).
func BenchmarkAdvanceClock1000Cards(b *testing.B) {
	benchAdvanceClock(b, "&payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa", 30000, func(srv *Server) {
		tx := srv.accounts.get("sk_test_bench").db.Read()
		defer tx.Abort()
		charged := 0
		if err := tx.Ascending(tCharges, func(r store.Record) error {
			if ch := r.(*billing.Charge); ch.Status == billing.ChargeSucceeded && ch.Amount == 120 {
				charged++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		paid := 0
		if err := tx.Ascending(tInvoices, func(r store.Record) error {
			if inv := r.(*billing.Invoice); inv.Status == billing.InvoicePaid && inv.AmountPaid == 120 {
				paid++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if charged != 1000 || paid != 1000 {
			b.Fatalf("after the advance: %d charges of 120, %d invoices paid 120; want 1,000 each", charged, paid)
		}
	})
}

// benchAdvanceClock times a month's advance of a test clock with 1,000
// Alpaca AI subscriptions, their customers created with customerParams, each
// reporting tokens; check runs on the server after each advance.
func benchAdvanceClock(b *testing.B, customerParams string, tokens int, check func(*Server)) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := benchServer(b)
		cus := setupAlpaca(b, srv)
		_ = cus
		w := serveOnce(b, srv, "POST", "/v1/test_helpers/test_clocks", "frozen_time=1719792000")
		var clock, pr struct{ ID string }
		_ = json.Unmarshal(w.Body.Bytes(), &clock)
		acct := srv.accounts.get("sk_test_bench")
		tx := acct.db.Read()
		m, _ := tx.FindOne(tMeters, "event_name", "alpaca_ai_tokens")
		tx.Abort()
		w = serveOnce(b, srv, "POST", "/v1/prices", "currency=usd&unit_amount=4&transform_quantity[divide_by]=1000&transform_quantity[round]=up"+
			"&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+m.RecordID()+"&product_data[name]=Alpaca+AI+tokens")
		_ = json.Unmarshal(w.Body.Bytes(), &pr)
		for j := 0; j < 1000; j++ {
			var c struct{ ID string }
			_ = json.Unmarshal(serveOnce(b, srv, "POST", "/v1/customers", "test_clock="+clock.ID+customerParams).Body.Bytes(), &c)
			serveOnce(b, srv, "POST", "/v1/subscriptions", "customer="+c.ID+"&items[0][price]="+pr.ID)
			serveOnce(b, srv, "POST", "/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[value]="+strconv.Itoa(tokens)+"&payload[stripe_customer_id]="+c.ID)
		}
		b.StartTimer()
		serveOnce(b, srv, "POST", "/v1/test_helpers/test_clocks/"+clock.ID+"/advance", "frozen_time="+strconv.Itoa(1722470400+3600))
		b.StopTimer()
		check(srv)
		srv.Close()
		b.StartTimer()
	}
}
