package server

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/stripe-emulator/stripe-emulator/server/apierr"
)

// idemStore remembers the outcome of requests sent with an Idempotency-Key, per
// account, for the TTL (24 hours by default). A retry with the same key and the
// same parameters gets the first response byte for byte; the same key with other
// parameters or on another endpoint gets a 400; a retry while the first request
// is still running gets a 409.
//
// Every client that retries sends a key with every POST (stripe-go does), so
// the store holds an entry per write request: it is bounded by maxBytes too
// (an estimate of what its entries hold), and past that forgets the oldest keys
// before their TTL.
type idemStore struct {
	mu       sync.Mutex
	entries  map[string]*idemEntry
	queue    []*idemEntry // in insertion order, for expiry
	ttl      int64        // seconds
	maxBytes int64
	bytes    int64
}

type idemEntry struct {
	key      string
	endpoint string // "POST /v1/customers"
	params   [32]byte
	created  int64 // unix seconds
	status   int32
	done     bool
	body     []byte
	header   http.Header
}

// idemEntryOverhead is what an entry costs besides its strings and body: the
// struct, its map slot and its queue slot.
const idemEntryOverhead = 200

func (e *idemEntry) size() int64 {
	return int64(len(e.key) + len(e.endpoint) + len(e.body) + idemEntryOverhead)
}

func newIdemStore(ttl time.Duration, maxBytes int64) *idemStore {
	return &idemStore{entries: map[string]*idemEntry{}, ttl: int64(ttl / time.Second), maxBytes: maxBytes}
}

// begin claims key for a request. It returns the entry to complete (first use),
// or a finished entry to replay, or an error.
func (st *idemStore) begin(key, endpoint string, params [32]byte, now time.Time) (claimed, replay *idemEntry, err *apierr.Error) {
	st.mu.Lock()
	defer st.mu.Unlock()
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
	e := &idemEntry{key: key, endpoint: endpoint, params: params, created: now.Unix()}
	st.entries[key] = e
	st.queue = append(st.queue, e)
	st.bytes += e.size()
	return e, nil, nil
}

// complete records the outcome of a claimed key.
func (st *idemStore) complete(e *idemEntry, status int, body []byte, header http.Header) {
	st.mu.Lock()
	e.status, e.body, e.header, e.done = int32(status), body, header, true
	st.bytes += int64(len(body))
	st.mu.Unlock()
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
		if now-e.created < st.ttl && st.bytes <= st.maxBytes {
			break
		}
		if !e.done && st.entries[e.key] == e {
			break // still running: expire it once it finishes
		}
		if st.entries[e.key] == e {
			delete(st.entries, e.key)
		}
		st.bytes -= e.size()
		st.queue[n] = nil
		n++
	}
	if n > 0 {
		st.queue = st.queue[n:]
		if cap(st.queue) > 1024 && len(st.queue) < cap(st.queue)/4 {
			st.queue = append([]*idemEntry(nil), st.queue...)
		}
	}
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
	c.idemKey = key
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
	if replay != nil {
		hdr := http.Header{"Idempotent-Replayed": {"true"}}
		for k, v := range replay.header {
			hdr[k] = v
		}
		s.writeResponse(w, int(replay.status), replay.body, hdr)
		return
	}
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
