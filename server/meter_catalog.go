package server

import (
	"sync"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/server/store"
)

// meterCatalog caches, across requests, the two lookups every meter event makes
// that change only when a meter or an alert does: the meter of an event name,
// and a meter's alerts. It saves the hot path its memdb index walks.
//
// Entries are tied to a generation, bumped after every commit that writes a
// meter or an alert. A reader notes the generation before it takes its snapshot
// and uses or fills only entries of that generation, so an entry never outlives
// the state it was read from.
type meterCatalog struct {
	gen atomic.Uint64
	mu  sync.Mutex // serializes writers of cur
	cur atomic.Pointer[catalogEntries]
}

// catalogEntries is one generation's entries; never changed once published.
type catalogEntries struct {
	gen    uint64
	meters map[string]*meter         // by event name (nil: no meter)
	alerts map[string][]store.Record // by meter ID
}

// maxCatalogEntries bounds each map: event names without a meter are cached
// too, and a client may send any number of them.
const maxCatalogEntries = 1024

func (mc *meterCatalog) entries(gen uint64) *catalogEntries {
	if e := mc.cur.Load(); e != nil && e.gen == gen {
		return e
	}
	return nil
}

func (mc *meterCatalog) meter(gen uint64, name string) (*meter, bool) {
	if e := mc.entries(gen); e != nil {
		m, ok := e.meters[name]
		return m, ok
	}
	return nil, false
}

func (mc *meterCatalog) alerts(gen uint64, meterID string) ([]store.Record, bool) {
	if e := mc.entries(gen); e != nil {
		recs, ok := e.alerts[meterID]
		return recs, ok
	}
	return nil, false
}

func (mc *meterCatalog) putMeter(gen uint64, name string, m *meter) {
	mc.put(gen, func(e *catalogEntries) bool {
		if len(e.meters) >= maxCatalogEntries {
			return false
		}
		e.meters[name] = m
		return true
	})
}

func (mc *meterCatalog) putAlerts(gen uint64, meterID string, recs []store.Record) {
	mc.put(gen, func(e *catalogEntries) bool {
		if len(e.alerts) >= maxCatalogEntries {
			return false
		}
		e.alerts[meterID] = recs
		return true
	})
}

// put publishes a copy of the generation's entries with one more, if gen is
// still current.
func (mc *meterCatalog) put(gen uint64, add func(*catalogEntries) bool) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.gen.Load() != gen {
		return
	}
	next := &catalogEntries{gen: gen, meters: map[string]*meter{}, alerts: map[string][]store.Record{}}
	if old := mc.cur.Load(); old != nil && old.gen == gen {
		for k, v := range old.meters {
			next.meters[k] = v
		}
		for k, v := range old.alerts {
			next.alerts[k] = v
		}
	}
	if add(next) {
		mc.cur.Store(next)
	}
}

// invalidate starts a new generation: called after a commit that wrote a meter
// or an alert.
func (mc *meterCatalog) invalidate() {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.gen.Add(1)
	mc.cur.Store(nil)
}
