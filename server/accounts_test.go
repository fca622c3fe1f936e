package server

import (
	"fmt"
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
}

// BenchmarkIdleAccount reports what an account that only read costs, and
// what a tick costs with 10,000 such accounts and 10,000 more that each hold
// a customer (nothing due).
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
