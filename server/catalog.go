package server

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// catalog caches, across requests, lookups of records that change rarely and
// are read on hot paths: the meter of an event name and a meter's alerts (every
// meter event), and the webhook endpoints (every request that makes events).
// It saves those requests their memdb index walks.
//
// Entries are tied to a generation. A commit that writes a meter, an alert or
// a webhook endpoint (a cached resource) is bracketed by beginWrite and endWrite:
// while one is under way the cache is neither used nor filled, and endWrite
// starts a new generation. A reader notes the generation before it takes its
// snapshot (readGen) and uses or fills only entries of that generation. So an
// entry never outlives the state it was read from, and a request that starts
// after a commit (one that may have seen its change) never gets an entry from
// before it.
type catalog struct {
	gen     atomic.Uint64
	writing atomic.Int64 // commits of cached resources' records under way
	mu      sync.Mutex   // serializes writers of cur
	cur     atomic.Pointer[catalogEntries]
}

// catalogEntries is one generation's entries; never changed once published.
type catalogEntries struct {
	gen    uint64
	meters map[string]*meter         // by event name (nil: no meter)
	alerts map[string][]store.Record // by meter ID
	// endpoints are the webhook endpoints (hasEndpoints: known).
	endpoints    []*webhookEndpoint
	hasEndpoints bool
}

// maxCatalogEntries bounds each map (an account may have any number of
// meters). An event name without a meter is not cached: a client may send
// any number of them, and each would cost a copy of the map and a slot that
// a meter's name could use.
const maxCatalogEntries = 1024

func (mc *catalog) entries(gen uint64) *catalogEntries {
	if e := mc.cur.Load(); e != nil && e.gen == gen {
		return e
	}
	return nil
}

func (mc *catalog) meter(gen uint64, name string) (*meter, bool) {
	if e := mc.entries(gen); e != nil {
		m, ok := e.meters[name]
		return m, ok
	}
	return nil, false
}

func (mc *catalog) alerts(gen uint64, meterID string) ([]store.Record, bool) {
	if e := mc.entries(gen); e != nil {
		recs, ok := e.alerts[meterID]
		return recs, ok
	}
	return nil, false
}

func (mc *catalog) endpoints(gen uint64) ([]*webhookEndpoint, bool) {
	if e := mc.entries(gen); e != nil && e.hasEndpoints {
		return e.endpoints, true
	}
	return nil, false
}

func (mc *catalog) putEndpoints(gen uint64, eps []*webhookEndpoint) {
	mc.put(gen, func(*catalogEntries) bool { return true }, func(e *catalogEntries) {
		e.endpoints, e.hasEndpoints = eps, true
	})
}

// putMeter caches the meter of an event name (none: nothing is cached).
func (mc *catalog) putMeter(gen uint64, name string, m *meter) {
	if m == nil {
		return
	}
	mc.put(gen, func(e *catalogEntries) bool { return len(e.meters) < maxCatalogEntries }, func(e *catalogEntries) {
		e.meters[strings.Clone(name)] = m // not a slice of the request's body
	})
}

func (mc *catalog) putAlerts(gen uint64, meterID string, recs []store.Record) {
	mc.put(gen, func(e *catalogEntries) bool { return len(e.alerts) < maxCatalogEntries }, func(e *catalogEntries) {
		e.alerts[meterID] = recs
	})
}

// put publishes a copy of the generation's entries with one more, if gen is
// still current and the entries have room for it (fits, asked before
// anything is copied).
func (mc *catalog) put(gen uint64, fits func(*catalogEntries) bool, add func(*catalogEntries)) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.gen.Load() != gen || mc.writing.Load() != 0 {
		return
	}
	next := &catalogEntries{gen: gen, meters: map[string]*meter{}, alerts: map[string][]store.Record{}}
	if old := mc.cur.Load(); old != nil && old.gen == gen {
		if !fits(old) {
			return
		}
		next.endpoints, next.hasEndpoints = old.endpoints, old.hasEndpoints
		next.meters, next.alerts = maps.Clone(old.meters), maps.Clone(old.alerts)
	}
	add(next)
	mc.cur.Store(next)
}

// readGen is the generation a reader about to take a snapshot may use; false
// while a commit of cached resources' records is under way.
func (mc *catalog) readGen() (uint64, bool) {
	gen := mc.gen.Load()
	if mc.writing.Load() != 0 {
		return 0, false
	}
	return gen, true
}

// beginWrite is called before a commit that writes a record of a cached resource.
func (mc *catalog) beginWrite() { mc.writing.Add(1) }

// endWrite is called after that commit: a new generation, then the cache is
// open again.
func (mc *catalog) endWrite() {
	mc.invalidate()
	mc.writing.Add(-1)
}

// invalidate starts a new generation.
func (mc *catalog) invalidate() {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.gen.Add(1)
	mc.cur.Store(nil)
}
