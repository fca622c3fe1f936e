package server

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
)

// idemStore remembers the outcome of requests sent with an Idempotency-Key, per
// account, for the TTL (24 hours by default). A retry with the same key and the
// same parameters gets the first response byte for byte; the same key with other
// parameters or on another endpoint gets a 400; a retry while the first request
// is still running gets a 409.
//
// Every client that retries sends a key with every POST (stripe-go does), so
// the store holds an entry per write request: it is bounded by maxBytes too,
// and by a budget shared with every other account's store; past either, the
// oldest keys are forgotten before their TTL. What counts is what the store
// retains (TestIdempotencyBytes measures it against the heap): each entry's
// own copy of its key and response, its struct, and the slots of its map
// (which never shrinks until it is rebuilt) and of its queue.
type idemStore struct {
	mu       sync.Mutex
	entries  map[string]*idemEntry // nil until the first key
	peak     int                   // the most entries the map has held since it was made
	queue    []*idemEntry          // in insertion order, for expiry
	ttl      int64                 // seconds
	maxBytes int64
	bytes    int64 // the entries' own
	retained int64 // bytes and the slots of the map and the queue
	budget   *budget
	joined   bool // registered with the budget
	closed   bool // the account is gone: keep nothing
}

type idemEntry struct {
	key      string
	endpoint string // "POST /v1/customers"
	params   [32]byte
	created  int64 // unix seconds
	status   int32
	done     bool
	version  apiversion.Version // that the response was rendered at
	body     []byte
	header   http.Header
}

// What an entry retains besides its strings and body, measured on go1.26
// (amd64) by TestIdempotencyBytes: its struct (112 bytes, rounded to its
// size class), a map slot (a 16-byte key and a pointer, with Go's map
// groups and load factor, at most about 55 bytes a slot after the map
// doubles) and a queue slot (8 bytes, twice that while append grows it). A
// header (only errors have one, Stripe-Should-Retry) is a one-key map.
const (
	idemEntryBytes  = 112
	idemMapSlot     = 64
	idemQueueSlot   = 8
	idemHeaderBytes = 400
)

// allocBytes is what the allocator gives a string or slice of n bytes, at
// most: Go's size classes round a small allocation up by less than 16
// bytes, and a larger one by less than an eighth.
func allocBytes(n int) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 1024:
		return int64(n+15) &^ 15
	}
	return int64(n + n/8)
}

func (e *idemEntry) size() int64 {
	n := idemEntryBytes + allocBytes(len(e.key)) + allocBytes(len(e.endpoint)) + allocBytes(cap(e.body))
	if e.header != nil {
		n += idemHeaderBytes
	}
	return n
}

// defaultIdemBytes is the default of Options.IdempotencyMaxBytes (per account).
const defaultIdemBytes = 256 << 20

// DefaultIdempotencyMaxTotalBytes is the default of
// Options.IdempotencyMaxTotalBytes (every account's keys together).
const DefaultIdempotencyMaxTotalBytes = 1 << 30

func newIdemStore(ttl time.Duration, maxBytes int64, b *budget) *idemStore {
	return &idemStore{ttl: int64(ttl / time.Second), maxBytes: maxBytes, budget: b}
}

// holding is what the store holds now: its entries and the slots of its map
// and queue.
func (st *idemStore) holding() int64 {
	return st.bytes + idemMapSlot*int64(st.peak) + idemQueueSlot*int64(cap(st.queue))
}

// recount updates retained after a change, and the budget with it.
func (st *idemStore) recount() {
	r := st.holding()
	st.budget.used.Add(r - st.retained)
	st.retained = r
}

// begin claims key for a request. It returns the entry to complete (first use),
// or a finished entry to replay, or an error.
func (st *idemStore) begin(key, endpoint string, params [32]byte, now time.Time) (claimed, replay *idemEntry, err *apierr.Error) {
	st.mu.Lock()
	join := false
	defer func() {
		st.mu.Unlock()
		if join {
			st.budget.join(st)
		}
		if claimed != nil {
			st.budget.enforce()
		}
	}()
	st.expire(now.Unix())
	if e, ok := st.entries[key]; ok {
		switch {
		case e.endpoint != endpoint:
			return nil, nil, apierr.Idempotency("Keys for idempotent requests can only be used for the same endpoint they were first used for ('%s' vs '%s'). Try using a key other than '%s' if you meant to execute a different request.", e.endpoint, endpoint, key)
		case e.params != params:
			return nil, nil, apierr.Idempotency("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key)
		case !e.done:
			return nil, nil, apierr.IdempotencyInUse(key)
		}
		return nil, e, nil
	}
	// The key and endpoint may be slices of the request's head or body:
	// the entry keeps its own copies.
	e := &idemEntry{key: strings.Clone(key), endpoint: strings.Clone(endpoint), params: params, created: now.Unix()}
	if st.closed {
		return e, nil, nil // the account is gone: run the request, remember nothing
	}
	if st.entries == nil {
		st.entries = map[string]*idemEntry{}
	}
	st.entries[e.key] = e
	st.peak = max(st.peak, len(st.entries))
	st.queue = append(st.queue, e)
	st.bytes += e.size()
	st.recount()
	join, st.joined = !st.joined, true
	return e, nil, nil
}

// complete records the outcome of a claimed key.
func (st *idemStore) complete(e *idemEntry, status int, body []byte, header http.Header) {
	st.mu.Lock()
	if st.entries[e.key] == e {
		st.bytes -= e.size()
		e.status, e.body, e.header = int32(status), body, header
		st.bytes += e.size()
		st.recount()
	}
	e.done = true
	st.mu.Unlock()
	st.budget.enforce()
}

// release forgets a claimed key without an outcome (the request never ran), so
// that it can be retried.
func (st *idemStore) release(e *idemEntry) {
	st.mu.Lock()
	if st.entries[e.key] == e {
		delete(st.entries, e.key)
	}
	st.mu.Unlock()
}

// expire forgets the keys older than the TTL, and the oldest ones while the
// store is over its budget.
func (st *idemStore) expire(now int64) {
	n := 0
	for n < len(st.queue) {
		e := st.queue[n]
		if now-e.created < st.ttl && st.holding() <= st.maxBytes {
			break
		}
		if !st.drop(e) {
			break
		}
		n++
	}
	st.dropped(n)
}

// drop forgets the entry at the head of the queue, unless its request is
// still running (it expires once it finishes); dropped then takes it off the
// queue.
func (st *idemStore) drop(e *idemEntry) bool {
	if !e.done && st.entries[e.key] == e {
		return false
	}
	if st.entries[e.key] == e {
		delete(st.entries, e.key)
	}
	st.bytes -= e.size()
	return true
}

// dropped takes the first n entries off the queue, and rebuilds the queue
// and the map once they hold far more slots than entries.
func (st *idemStore) dropped(n int) {
	if n == 0 {
		return
	}
	clear(st.queue[:n])
	st.queue = st.queue[n:]
	if cap(st.queue) > 1024 && len(st.queue) < cap(st.queue)/4 {
		st.queue = append([]*idemEntry(nil), st.queue...)
	}
	if st.peak > 1024 && len(st.entries) < st.peak/4 {
		m := make(map[string]*idemEntry, len(st.entries))
		for k, e := range st.entries {
			m[k] = e
		}
		st.entries, st.peak = m, len(m)
	}
	if len(st.queue) == 0 {
		st.queue, st.entries, st.peak = nil, nil, 0
	}
	st.recount()
}

// nextExpiry is when the oldest key expires (ok false: there is none).
func (st *idemStore) nextExpiry() (int64, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.queue) == 0 {
		return 0, false
	}
	return st.queue[0].created + st.ttl, true
}

// expireAt forgets the keys that have expired by now (the tick's visit).
func (st *idemStore) expireAt(now int64) {
	st.mu.Lock()
	st.expire(now)
	st.mu.Unlock()
}

func (st *idemStore) held() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.retained
}

// shed forgets the oldest finished keys until n bytes are freed.
func (st *idemStore) shed(n int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	freed, i := int64(0), 0
	for ; i < len(st.queue) && freed < n; i++ {
		e := st.queue[i]
		size := e.size()
		if !st.drop(e) {
			break
		}
		freed += size
	}
	st.dropped(i)
}

func (st *idemStore) open() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.closed
}

// close forgets every key, for good (the account was reset).
func (st *idemStore) close() {
	st.budget.leave(st, func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.closed = true
		st.queue, st.entries, st.peak, st.bytes = nil, nil, 0, 0
		st.recount()
	})
}

// runIdempotent runs a write request that carries an Idempotency-Key.
func (s *Server) runIdempotent(w http.ResponseWriter, c *call, key string) {
	fail := func(err error) {
		status, body, hdr := s.errorResponse(c.r, c.reqID, c.logURL(), err)
		s.finish(w, c, status, body, hdr)
	}
	if len(key) > 255 {
		fail(apierr.InvalidRequest("", "", "Idempotent key length is %d, which is outside accepted lengths. Idempotent Keys must be 1-255 characters long. If you're looking for a decent generator, try using a UUID defined by IETF RFC 4122.", len(key)))
		return
	}
	// Events and error reports keep the key: a copy, not a slice of the
	// request's head.
	c.idemKey = strings.Clone(key)
	endpoint := c.ep.route // shared by every entry of a route without path variables
	if c.r.Method != c.ep.method || c.r.URL.Path != c.ep.path {
		endpoint = c.r.Method + " " + c.r.URL.Path
	}
	var sum [32]byte
	switch {
	case c.fast != nil:
		sum = sha256.Sum256([]byte(c.fast.Canonical()))
	case c.params != nil:
		sum = sha256.Sum256([]byte(c.params.Canonical()))
	default:
		sum = sha256.Sum256(c.body)
	}
	claimed, replay, aerr := c.acct.idem.begin(key, endpoint, sum, c.now)
	if aerr != nil {
		fail(aerr)
		return
	}
	s.sched.wakeAt(c.acct, c.now.Unix()+c.acct.idem.ttl) // the key's expiry
	if replay != nil {
		// The first response byte for byte, and the version it was rendered at.
		hdr := http.Header{"Idempotent-Replayed": {"true"}, "Stripe-Version": s.versionHeader[replay.version]}
		for k, v := range replay.header {
			hdr[k] = v
		}
		s.writeResponse(w, int(replay.status), replay.body, hdr)
		return
	}
	claimed.version = c.v // not yet shared: begin hands out done entries only
	completed := false
	defer func() {
		if !completed { // a panic: let the key be retried
			c.acct.idem.release(claimed)
		}
	}()
	status, body, hdr := s.execute(c)
	c.acct.idem.complete(claimed, status, bytes.Clone(body), hdr) // kept exactly as long as it is
	completed = true
	s.finish(w, c, status, body, hdr)
	releaseBody(body)
}
