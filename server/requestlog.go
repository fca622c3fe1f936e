package server

import (
	"bytes"
	"strings"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Bounds of the failed-request log (GET /_emulator/requests/{id}).
const (
	// requestLogEntries is how many failed requests an account keeps at most.
	requestLogEntries = 1000
	// Defaults of Options.RequestLogMaxBytes (per account) and
	// RequestLogMaxTotalBytes (every account's together).
	defaultRequestLogBytes      = 1 << 20
	defaultRequestLogTotalBytes = 64 << 20
	// maxLoggedRunes cuts the method and path kept in an entry, and each
	// string of a response kept cut.
	maxLoggedRunes = 1024
	// maxLoggedBody is the longest response kept whole; a longer one is kept
	// with each of its strings cut to maxLoggedRunes.
	maxLoggedBody = 8 << 10
	// requestLogEntryOverhead is what an entry holds beyond its strings and
	// response: its fields, its boxed values and its slot (measured by
	// TestRequestLogBytes).
	requestLogEntryOverhead = 640
)

// requestLog keeps an account's most recent failed requests, which the
// request_log_url of every error points at. It is bounded in entries and in
// bytes (max), and shares a budget with every other account's log. The zero
// value with max and budget set is an empty log: it allocates nothing until
// a request fails.
type requestLog struct {
	mu      sync.Mutex
	entries []logEntry // oldest first
	max     int64
	share   budgetShare
}

// logEntry is one failed request; size is what it holds, in bytes.
type logEntry struct {
	id   string
	obj  jsonobj.Obj
	size int64
}

// newLogEntry is the entry of a failed request: its method, path (cut to
// maxLoggedRunes) and response (kept whole up to maxLoggedBody, else with
// each string cut); "truncated": true says something was cut. It copies what
// it keeps, so that it pins neither the request nor the response buffer.
func newLogEntry(c *call, status int, body []byte) logEntry {
	method, cutMethod := cutLogged(c.r.Method)
	path, cutPath := cutLogged(c.r.URL.Path)
	cut := cutMethod || cutPath
	resp := jsonobj.Raw(bytes.Clone(body))
	if len(body) > maxLoggedBody {
		resp, cut = shortenJSON(body), true
	}
	obj := jsonobj.Obj{
		{K: "id", V: c.reqID},
		{K: "object", V: "emulator.request"},
		{K: "created", V: c.now.Unix()},
		{K: "method", V: strings.Clone(method)},
		{K: "path", V: strings.Clone(path)},
		{K: "status", V: status},
		{K: "response", V: resp},
	}
	if cut {
		obj = append(obj, jsonobj.Field{K: "truncated", V: true})
	}
	return logEntry{id: c.reqID, obj: obj, size: allocBytes(len(method)) + allocBytes(len(path)) + int64(cap(resp)) + requestLogEntryOverhead}
}

// cutLogged cuts s to maxLoggedRunes, and says whether it did.
func cutLogged(s string) (string, bool) {
	t := apierr.Clip(s, maxLoggedRunes)
	return t, t != s
}

// shortenJSON is a response with every string cut to maxLoggedRunes (a body
// that does not parse, which the emulator never writes, is kept as a cut
// string).
func shortenJSON(body []byte) jsonobj.Raw {
	v, err := jsonobj.Parse(body)
	if err != nil {
		t, _ := cutLogged(string(body[:maxLoggedBody]))
		return jsonobj.Marshal(t)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			t, _ := cutLogged(x)
			return t
		case jsonobj.Obj:
			for i := range x {
				x[i].V = walk(x[i].V)
			}
		case []jsonobj.Obj:
			for _, o := range x {
				walk(o)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return jsonobj.Marshal(walk(v))
}

func (l *requestLog) add(e logEntry) {
	l.mu.Lock()
	if l.share.closed {
		l.mu.Unlock()
		return
	}
	l.entries = append(l.entries, e)
	l.share.grow(e.size)
	for len(l.entries) > requestLogEntries || l.share.bytes > l.max {
		l.dropOldest()
	}
	join := l.share.joining(true)
	l.mu.Unlock()
	if join {
		l.share.budget.join(l)
	}
	l.share.budget.enforce()
}

func (l *requestLog) dropOldest() {
	l.share.grow(-l.entries[0].size)
	l.entries[0] = logEntry{}
	l.entries = l.entries[1:]
	if len(l.entries) == 0 {
		l.entries = nil
	}
}

func (l *requestLog) get(id string) jsonobj.Obj {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.entries) - 1; i >= 0; i-- {
		if l.entries[i].id == id {
			return l.entries[i].obj
		}
	}
	return nil
}

func (l *requestLog) held() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.share.bytes
}

func (l *requestLog) shed(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := oldestToFree(n, len(l.entries), func(i int) int64 { return l.entries[i].size }); k > 0; k-- {
		l.dropOldest()
	}
}

func (l *requestLog) open() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.share.closed
}

// close drops every entry, for good (the account was reset).
func (l *requestLog) close() {
	l.share.budget.leave(l, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.share.release()
		l.entries = nil
	})
}
