package server

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestIdempotencyBytes checks what an idempotency store counts against the
// heap it holds. Each key is a slice of its own 4 KB "request head", as the
// HTTP/1.1 front end hands header values out: the store must keep a copy, not
// the head.
func TestIdempotencyBytes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		body   int
		header bool
	}{
		{"empty response", 0, false},
		{"small response", 300, false},
		{"an error", 200, true},
		{"large response", 5000, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := newIdemStore(time.Hour, 1<<40, newBudget(1<<40))
			now := time.Now()
			const n = 5000
			before := heapInUse()
			heads := make([]string, n)
			for i := range heads {
				heads[i] = fmt.Sprintf("%08d", i) + strings.Repeat("h", 4088)
			}
			for i := 0; i < n; i++ {
				e, _, err := st.begin(heads[i][:40], "POST /v1/customers/cus_"+fmt.Sprint(i), [32]byte{}, now)
				if err != nil {
					t.Fatal(err)
				}
				var hdr http.Header
				if tt.header {
					hdr = http.Header{"Stripe-Should-Retry": {"false"}}
				}
				st.complete(e, 200, make([]byte, tt.body), hdr)
			}
			heads = nil // what a head holds stays only if the store pins it
			heap, held := float64(int64(heapInUse())-int64(before)), float64(st.held())
			runtime.KeepAlive(st)
			t.Logf("%.0f bytes held per entry, %.0f counted", heap/n, held/n)
			if heap > held*1.1 || held > heap*2 {
				t.Errorf("the heap grew by %.0f bytes, the store counts %.0f", heap, held)
			}
			if held != float64(st.budget.used.Load()) {
				t.Errorf("the budget counts %d bytes, the store %.0f", st.budget.used.Load(), held)
			}
		})
	}
}

// TestIdempotencyTotalBudget checks the bound across accounts: past it, the
// account holding the most forgets its oldest keys, while a small account
// keeps its own.
func TestIdempotencyTotalBudget(t *testing.T) {
	srv, err := New(Options{TickInterval: -1, IdempotencyMaxTotalBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	post := func(key, idem string) (id string, replayed bool) {
		w := serveDirect(srv, "POST", "/v1/customers", key, "name=N", "Idempotency-Key", idem)
		if w.Code != http.StatusOK {
			t.Fatalf("POST: %d %s", w.Code, w.Body)
		}
		return w.Body.String()[7:35], w.Header().Get("Idempotent-Replayed") == "true"
	}
	small, _ := post("sk_test_small", "small-1")
	var first string
	for i := 0; i < 3000; i++ {
		id, _ := post("sk_test_heavy", fmt.Sprint("heavy-", i))
		if i == 0 {
			first = id
		}
		if used := srv.idemBudget.used.Load(); used > 1<<20 {
			t.Fatalf("after %d keys the stores hold %d bytes, bound 1 MiB", i+1, used)
		}
	}
	for _, tt := range []struct {
		name, key, idem, id string
		replayed            bool
	}{
		{"the small account's key", "sk_test_small", "small-1", small, true},
		{"the heavy account's newest key", "sk_test_heavy", "heavy-2999", "", true},
		{"the heavy account's oldest key", "sk_test_heavy", "heavy-0", first, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, replayed := post(tt.key, tt.idem)
			if replayed != tt.replayed || tt.id != "" && (id == tt.id) != tt.replayed {
				t.Errorf("replayed %v (id %s, first %s)", replayed, id, tt.id)
			}
		})
	}
}
