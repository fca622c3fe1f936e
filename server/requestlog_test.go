package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// failDirect makes a request that fails with the id in its path and in its
// error message (a 404 resource_missing), and returns the request id.
func failDirect(t testing.TB, srv *Server, key, id string) string {
	t.Helper()
	w := serveDirect(srv, "GET", "/v1/customers/"+id, key, "")
	if w.Code != http.StatusNotFound {
		t.Fatalf("GET a missing customer: %d %.200s", w.Code, w.Body)
	}
	return w.Header().Get("Request-Id")
}

// logEntry fetches a request log entry (nil: 404).
func logEntryOf(t testing.TB, srv *Server, key, reqID string) map[string]any {
	t.Helper()
	w := serveDirect(srv, "GET", "/_emulator/requests/"+reqID, key, "")
	if w.Code == http.StatusNotFound {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != http.StatusOK {
		t.Fatalf("request log entry: %d %v %.200s", w.Code, err, w.Body)
	}
	return m
}

// A failed request with a 900 KB id keeps an entry of a few kilobytes: its
// path and the strings of its response cut to 1,024 characters, marked
// truncated; a short failure is kept whole.
func TestRequestLogEntryTruncated(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const key = "sk_test_log"
	for _, tt := range []struct {
		name, id string
		cut      bool
	}{
		{"short", "cus_nope", false},
		{"900 KB id", strings.Repeat("x", 900<<10), true},
		{"multibyte id", strings.Repeat("é", 5000), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := logEntryOf(t, srv, key, failDirect(t, srv, key, tt.id))
			path, _ := e["path"].(string)
			msg, _ := e["response"].(map[string]any)["error"].(map[string]any)["message"].(string)
			if tt.cut {
				if e["truncated"] != true || utf8.RuneCountInString(path) != maxLoggedRunes+3 || !strings.HasSuffix(path, "...") ||
					utf8.RuneCountInString(msg) != maxLoggedRunes+3 || !strings.HasPrefix(msg, "No such customer: '") || !utf8.ValidString(path) {
					t.Errorf("entry: truncated %v, path %d runes, message %d runes", e["truncated"], utf8.RuneCountInString(path), utf8.RuneCountInString(msg))
				}
				return
			}
			if _, ok := e["truncated"]; ok || path != "/v1/customers/"+tt.id || msg != "No such customer: '"+tt.id+"'" || e["status"] != 404.0 || e["method"] != "GET" {
				t.Errorf("entry: %v", e)
			}
		})
	}
	if held := srv.accounts.get(key).reqs.held(); held > 3*(8<<10) {
		t.Errorf("three entries hold %d bytes", held)
	}
}

// TestRequestLogBounds checks both bounds: an account keeps its newest
// failures within its bytes, and every account's log together stays within
// the total, the accounts holding the most giving up their oldest first.
func TestRequestLogBounds(t *testing.T) {
	big := strings.Repeat("y", 20<<10) // an entry of about 3 KB once cut
	t.Run("per account", func(t *testing.T) {
		srv, err := New(Options{TickInterval: -1, RequestLogMaxBytes: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		var ids []string
		for i := 0; i < 200; i++ {
			ids = append(ids, failDirect(t, srv, "sk_test_one", fmt.Sprint(i, big)))
		}
		if held := srv.accounts.get("sk_test_one").reqs.held(); held > 64<<10 || held < 32<<10 {
			t.Errorf("the log holds %d bytes, bound 64 KiB", held)
		}
		if logEntryOf(t, srv, "sk_test_one", ids[199]) == nil || logEntryOf(t, srv, "sk_test_one", ids[0]) != nil {
			t.Errorf("the newest entry is gone or the oldest kept")
		}
	})
	t.Run("total", func(t *testing.T) {
		srv, err := New(Options{TickInterval: -1, RequestLogMaxTotalBytes: 256 << 10})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		small := failDirect(t, srv, "sk_test_small", "cus_nope") // one small entry, never the largest
		var last string
		for a := 0; a < 20; a++ {
			for i := 0; i < 30; i++ {
				last = failDirect(t, srv, fmt.Sprintf("sk_test_acct%02d", a), fmt.Sprint(i, big))
			}
			if used := srv.reqLogBudget.used.Load(); used > 256<<10 {
				t.Fatalf("after %d accounts the logs hold %d bytes, bound 256 KiB", a+1, used)
			}
		}
		if logEntryOf(t, srv, "sk_test_acct19", last) == nil || logEntryOf(t, srv, "sk_test_small", small) == nil {
			t.Errorf("the newest entry, or the small account's, is gone")
		}
		var sum int64
		for _, a := range srv.accounts.all() {
			sum += a.reqs.held()
		}
		if sum != srv.reqLogBudget.used.Load() {
			t.Errorf("the accounts hold %d bytes, the budget counts %d", sum, srv.reqLogBudget.used.Load())
		}
		srv.accounts.reset("sk_test_acct19")
		if sum2 := srv.reqLogBudget.used.Load(); sum2 >= sum {
			t.Errorf("a reset left the budget at %d bytes (from %d)", sum2, sum)
		}
	})
}

// TestRequestLogBytes checks what the log counts against the heap it holds.
func TestRequestLogBytes(t *testing.T) {
	srv, err := New(Options{TickInterval: -1, RequestLogMaxBytes: 1 << 30, RequestLogMaxTotalBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const key = "sk_test_bytes"
	failDirect(t, srv, key, "warm")
	log := &srv.accounts.get(key).reqs
	for _, id := range []string{"cus_short", strings.Repeat("z", 3000), strings.Repeat("w", 50<<10)} {
		t.Run(fmt.Sprint(len(id)), func(t *testing.T) {
			held0, heap0 := log.held(), heapInUse()
			for i := 0; i < 300; i++ { // under the 1,000 entries of an account
				failDirect(t, srv, key, id+fmt.Sprint(i))
			}
			heap, held := float64(int64(heapInUse())-int64(heap0)), float64(log.held()-held0)
			runtime.KeepAlive(srv)
			t.Logf("ids of %d bytes: %.0f bytes held, %.0f counted per entry", len(id), heap/300, held/300)
			if heap > held*1.1 || held > heap*2 {
				t.Errorf("ids of %d bytes: the heap grew by %.0f bytes, the log counts %.0f", len(id), heap, held)
			}
		})
		if t.Failed() {
			return
		}
		for len(log.entries) > 700 { // room for the next case
			log.mu.Lock()
			log.dropOldest()
			log.mu.Unlock()
		}
	}
}
