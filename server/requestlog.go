package server

import (
	"sync"

	"github.com/stripe-emulator/stripe-emulator/server/jsonobj"
)

const requestLogSize = 1000

// requestLog keeps an account's most recent failed requests, which the
// request_log_url of every error points at (GET /_emulator/requests/{id}).
type requestLog struct {
	mu   sync.Mutex
	ring []jsonobj.Obj
	next int
	byID map[string]int
}

func newRequestLog(size int) *requestLog {
	return &requestLog{ring: make([]jsonobj.Obj, size), byID: map[string]int{}}
}

func (l *requestLog) add(id string, entry jsonobj.Obj) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.ring[l.next]; old != nil {
		delete(l.byID, old.Str("id"))
	}
	l.ring[l.next] = entry
	l.byID[id] = l.next
	l.next = (l.next + 1) % len(l.ring)
}

func (l *requestLog) get(id string) jsonobj.Obj {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, ok := l.byID[id]; ok {
		return l.ring[i]
	}
	return nil
}
