// Package metering is the hot path of usage-based billing: it takes meter
// events, counts each accepted one exactly once, and answers "how much did this
// customer use of this meter between two instants" at a cost that does not grow
// with the number of events.
//
// Usage is kept as running aggregates per meter, customer and time bucket, at
// four resolutions (second, minute, hour, UTC day); a range query adds up at most
// a few hundred buckets whatever the number of events. A per-event record is kept
// only while the event can still be deduplicated by identifier or canceled (24
// hours after it was received), and for meters with an event time window
// (hour, day) where the latest event of a window replaces the earlier ones.
package metering

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
)

// Formula is how a meter aggregates its events.
type Formula uint8

// Formulas of API version 2024-06-20.
const (
	Sum Formula = iota
	Count
)

// Window is a meter's event time window.
type Window uint8

// Event time windows: with Hour or Day only the latest event received for a
// customer in each UTC window counts.
const (
	NoWindow Window = iota
	Hour
	Day
)

// Seconds is the length of the window.
func (w Window) Seconds() int64 {
	switch w {
	case Hour:
		return 3600
	case Day:
		return 86400
	}
	return 0
}

// Errors of Record and Cancel.
var (
	ErrDuplicate        = errors.New("an event already exists with this identifier")
	ErrUnknown          = errors.New("no event with this identifier")
	ErrTooOld           = errors.New("the event was received more than 24 hours ago")
	ErrAlreadyCanceled  = errors.New("the event is already canceled")
	ErrEventNameDiffers = errors.New("the event has another event name")
)

// DefaultRetention is how long an event's identifier is remembered: duplicates
// are refused and cancellations accepted for 24 hours after receipt.
const DefaultRetention = 24 * 60 * 60

// Event is an accepted meter event.
type Event struct {
	Identifier string
	EventName  string
	// Meter and Customer identify the series the event counts in; Counted is
	// false for events accepted but not aggregated (no meter, inactive meter,
	// unknown customer, bad value): they still hold their identifier.
	Meter    string
	Customer string
	Counted  bool
	Window   Window
	// Timestamp is when the usage happened (unix seconds); Received when the
	// emulator accepted the event (on the account's clock).
	Timestamp int64
	Received  int64
	Value     int64
	// Generated marks an identifier the emulator made up (random, 143 bits):
	// it cannot be a duplicate, so Record does not look it up.
	Generated bool
}

// Total is an aggregate over a range: the sum of the values and the number of events.
type Total struct {
	Sum   Int128
	Count int64
}

// Value is the total under a formula.
func (t Total) Value(f Formula) Int128 {
	if f == Count {
		return FromInt64(t.Count)
	}
	return t.Sum
}

func (t Total) add(o Total) Total { return Total{Sum: t.Sum.Add(o.Sum), Count: t.Count + o.Count} }

func (t Total) sub(o Total) Total { return Total{Sum: t.Sum.Sub(o.Sum), Count: t.Count - o.Count} }

// key is an identifier's 128-bit hash (SipHash-2-4-128 under the store's random
// hashKey). Records are keyed by it rather than by the identifier itself, so
// that an event costs no string allocation; two identifiers colliding is a
// 2^-128 chance, far below any other failure. The hash is portable, and the key
// is part of a Snapshot, so that a restored store still knows its identifiers.
type key [2]uint64

// record is what is kept of one event while it is within retention.
type record struct {
	ts       int64
	value    int64
	received int64
	series   *series // nil: not aggregated
	name     uint32  // interned event name
	canceled bool
}

// generation holds the records of the events received in one span of time.
// Expiry drops whole generations, so it costs nothing per event and leaves no
// half-empty maps behind (Go maps never shrink).
type generation struct {
	start   int64
	records map[key]record
	// names are the event names of the generation's records (a record's
	// name indexes it). They are interned per generation, so that a name
	// leaves with the last event of it: a client sending events of ever new
	// names (with no meter, say) leaves nothing behind once they expire.
	names   []string
	nameIdx map[string]uint32
}

func newGeneration(start int64, size int) *generation {
	return &generation{start: start, records: make(map[key]record, size), nameIdx: map[string]uint32{}}
}

func (g *generation) intern(name string) uint32 {
	if i, ok := g.nameIdx[name]; ok {
		return i
	}
	i := uint32(len(g.names))
	name = strings.Clone(name) // not a slice of the request's body
	g.names = append(g.names, name)
	g.nameIdx[name] = i
	return i
}

// Store is one account's metering data. It is safe for concurrent use.
type Store struct {
	mu        sync.Mutex
	retention int64
	span      int64         // of a generation: a quarter of retention
	gens      []*generation // oldest first
	hashKey   [2]uint64
	series    map[seriesKey]*series
	accepted  uint64
	// Second buckets of usage older than retention are compacted away (the
	// minute, hour and day buckets keep the totals), except in the minutes
	// pinned for a customer: the minutes of the non-aligned times their bills
	// are cut at (period starts and ends…). compactQueue holds the series still
	// to compact for compactBefore, a few per call.
	pins          map[string]map[int64]struct{}
	compactQueue  []seriesKey
	compactBefore int64
	compacting    atomic.Bool // compactQueue is not empty (see Compacting)
	version       uint64      // see Version
}

type seriesKey struct{ meter, customer string }

// New returns an empty store remembering identifiers for retention seconds.
func New(retention int64) *Store {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Store{
		retention: retention,
		span:      max(retention/4, 1),
		hashKey:   [2]uint64{rand.Uint64(), rand.Uint64()},
		series:    map[seriesKey]*series{},
		pins:      map[string]map[int64]struct{}{},
	}
}

func (s *Store) key(identifier string) key {
	return sipHash128(s.hashKey[0], s.hashKey[1], identifier)
}

// find returns the newest record of an identifier and its generation.
func (s *Store) find(k key) (record, *generation, bool) {
	for i := len(s.gens) - 1; i >= 0; i-- {
		if r, ok := s.gens[i].records[k]; ok {
			return r, s.gens[i], true
		}
	}
	return record{}, nil, false
}

// Record accepts an event: ErrDuplicate if its identifier was received within
// retention; otherwise the event counts (if Counted) at once.
func (s *Store) Record(e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(e.Received)
	k := s.key(e.Identifier)
	if e.Generated {
		// no lookup
	} else if r, _, ok := s.find(k); ok && e.Received-r.received < s.retention {
		return ErrDuplicate
	}
	g := s.generationFor(e.Received)
	r := record{ts: e.Timestamp, value: e.Value, received: e.Received, name: g.intern(e.EventName)}
	if e.Counted {
		sk := seriesKey{e.Meter, e.Customer}
		sr := s.series[sk]
		if sr == nil {
			sr = newSeries(e.Window)
			s.series[sk] = sr
		}
		r.series = sr
		sr.add(k, r, s.retention)
	}
	g.records[k] = r
	s.accepted++
	s.version++
	return nil
}

func (s *Store) generationFor(received int64) *generation {
	if n := len(s.gens); n > 0 && received < s.gens[n-1].start+s.span {
		return s.gens[n-1] // also for a clock that went back: ages are checked per record
	}
	g := newGeneration(received-received%s.span, 0)
	s.gens = append(s.gens, g)
	return g
}

// Cancel removes an event from every aggregate. now is the account's time;
// events received more than retention ago can no longer be canceled.
func (s *Store) Cancel(identifier, eventName string, now int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	k := s.key(identifier)
	r, g, ok := s.find(k)
	if !ok {
		return ErrUnknown
	}
	if now-r.received >= s.retention {
		return ErrTooOld
	}
	if g.names[r.name] != eventName {
		return ErrEventNameDiffers
	}
	if r.canceled {
		return ErrAlreadyCanceled
	}
	r.canceled = true
	g.records[k] = r
	s.version++
	if r.series != nil {
		r.series.cancel(k, r, now, s.retention)
	}
	return nil
}

// Sum is the aggregate of a meter for a customer over [start, end).
func (s *Store) Sum(meter, customer string, start, end int64) Total {
	s.mu.Lock()
	defer s.mu.Unlock()
	sr := s.series[seriesKey{meter, customer}]
	if sr == nil || end <= start {
		return Total{}
	}
	return sr.rangeTotal(start, end)
}

// All is the aggregate of a meter for a customer over every event counted.
func (s *Store) All(meter, customer string) Total {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sr := s.series[seriesKey{meter, customer}]; sr != nil {
		return sr.all()
	}
	return Total{}
}

// Totals is the aggregate of a meter over every event counted, for each
// customer with a series of it.
func (s *Store) Totals(meter string) map[string]Total {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Total{}
	for k, sr := range s.series {
		if k.meter == meter {
			out[k.customer] = sr.all()
		}
	}
	return out
}

// Stats describe a store, for benchmarks and the soak test.
type Stats struct {
	Accepted uint64 // events ever accepted
	Retained int    // per-event records held (those within retention, and up to a generation more)
	Names    int    // event names those records hold (each once per generation)
	Series   int    // meter × customer series
	Buckets  int    // aggregate buckets across every resolution
}

// Stats counts what the store holds.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Accepted: s.accepted, Series: len(s.series)}
	for _, g := range s.gens {
		st.Retained += len(g.records)
		st.Names += len(g.names)
	}
	for _, sr := range s.series {
		st.Buckets += sr.buckets()
	}
	return st
}

// Expire drops the records of events received more than retention before now.
func (s *Store) Expire(now int64) {
	s.mu.Lock()
	s.expire(now)
	s.compactSome(math.MaxInt) // all of it, at once
	s.mu.Unlock()
}

// expire drops every generation whose events are all past retention, and
// then compacts the second buckets older than retention, a few series a call.
func (s *Store) expire(now int64) {
	n := 0
	for n < len(s.gens) && now-(s.gens[n].start+s.span) >= s.retention {
		s.gens[n] = nil
		n++
	}
	if n > 0 {
		s.gens = append(s.gens[:0], s.gens[n:]...)
		if before := now - s.retention; before > s.compactBefore {
			s.compactBefore = before
			s.compactQueue = s.compactQueue[:0]
			for k := range s.series {
				s.compactQueue = append(s.compactQueue, k)
			}
		}
	}
	s.compactSome(compactBudget)
}

// compactBudget is how many second buckets one call may look at while
// compacting: the work is spread over the calls that follow an expiry.
const compactBudget = 4096

func (s *Store) compactSome(budget int) {
	for budget > 0 && len(s.compactQueue) > 0 {
		k := s.compactQueue[len(s.compactQueue)-1]
		s.compactQueue = s.compactQueue[:len(s.compactQueue)-1]
		if sr := s.series[k]; sr != nil {
			budget -= sr.compactSeconds(s.compactBefore, s.pins[k.customer])
		}
	}
	s.compacting.Store(len(s.compactQueue) > 0)
}

// Compacting reports, without taking the store's lock, whether compaction is
// under way: Maintain then has work at once.
func (s *Store) Compacting() bool { return s.compacting.Load() }

// Pin keeps the second buckets of a customer's usage around the given times
// (the times bills are cut at), so that totals from or up to them stay exact
// after compaction. Times on a minute boundary need nothing.
func (s *Store) Pin(customer string, times ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range times {
		if t == 0 || t%60 == 0 {
			continue
		}
		m := s.pins[customer]
		if m == nil {
			m = map[int64]struct{}{}
			s.pins[customer] = m
		}
		if _, ok := m[floorDiv(t, 60)*60]; !ok {
			m[floorDiv(t, 60)*60] = struct{}{}
			s.version++
		}
	}
}

// Maintain drops what has aged out by now and goes on compacting, a bounded
// amount at a time (the emulator calls it every second).
func (s *Store) Maintain(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	s.compactSome(maintainBudget)
}

// maintainBudget is how many second buckets one Maintain may look at: a few
// milliseconds of work.
const maintainBudget = 100_000

// Retention is how long the store remembers an event's identifier, in seconds.
func (s *Store) Retention() int64 { return s.retention }

// NextMaintenance is when Maintain next has work (ok false: never, until an
// event comes): now while compaction is under way, else when the oldest
// generation of per-event records expires.
func (s *Store) NextMaintenance(now int64) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(s.compactQueue) > 0:
		return now, true
	case len(s.gens) > 0:
		return s.gens[0].start + s.span + s.retention, true
	}
	return 0, false
}

// Version counts the changes to what a Snapshot holds (events recorded and
// canceled, times pinned); maintenance, which drops only what has aged out,
// does not count.
func (s *Store) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// CompactNow compacts every series at once (tests and benchmarks).
func (s *Store) CompactNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compactSome(math.MaxInt)
}
