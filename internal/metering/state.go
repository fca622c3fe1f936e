package metering

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Snapshot is everything a Store holds, for saving it and restoring it later
// (the emulator's -state-file): the aggregates of every series, and the
// per-event records still within retention, so that a restored store refuses a
// replayed identifier and cancels an event exactly as the original would.
//
// Series and generations are packed (varints, see below): a million events cost
// about 30 bytes each. Snapshot's JSON (Retention, HashKey, Accepted, Names) is
// the store's header; Series and Generations are left to the caller to write
// one by one (each is its own JSON value), so that no single value is huge.
type Snapshot struct {
	// Retention is how long identifiers are remembered, in seconds.
	Retention int64 `json:"retention"`
	// HashKey is the key identifiers are hashed under (SipHash-2-4-128).
	HashKey [2]uint64 `json:"hash_key"`
	// Accepted counts the events ever accepted.
	Accepted uint64 `json:"accepted"`
	// Names are the event names records refer to (by index).
	Names []string `json:"names"`
	// Pins are, per customer, the minutes whose second buckets are kept past
	// retention (see Store.Pin); CompactBefore is where compaction reached.
	Pins          map[string][]int64 `json:"pins,omitempty"`
	CompactBefore int64              `json:"compact_before,omitempty"`

	Series      []SeriesState     `json:"-"`
	Generations []GenerationState `json:"-"`
}

// SeriesState is one meter × customer series.
type SeriesState struct {
	Meter    string `json:"meter"`
	Customer string `json:"customer"`
	Window   Window `json:"window"`
	// Buckets are the aggregates at the four resolutions: for each, a count, then
	// per bucket (ascending) the start's delta from the previous one, the sum
	// (high varint, low uvarint) and the count.
	Buckets []byte `json:"buckets"`
	// Windows (meters with an event time window) are the events of each window
	// that may still count: a count, then per window (ascending) the start's
	// delta, the entry counted now (-1: none), and the entries (key, timestamp,
	// value, received, canceled).
	Windows []byte `json:"windows,omitempty"`
}

// GenerationState is (part of) a generation of per-event records: those
// received from Start on. A generation may come in several parts with the same
// Start; Restore joins them.
type GenerationState struct {
	Start int64 `json:"start"`
	Count int   `json:"count"`
	// Records are, per record: the identifier's 16-byte hash, received - Start,
	// timestamp - received, value, series index + 1 (0: not aggregated), event
	// name index, canceled (a byte).
	Records []byte `json:"records"`
}

// maxRecordsPerPart bounds a GenerationState, so that a saved generation is
// written in parts of a few megabytes.
const maxRecordsPerPart = 1 << 16

// minRecordBytes is the least a packed record takes: the hash, five one-byte
// varints and the canceled byte.
const minRecordBytes = 16 + 5 + 1

type keyed struct {
	k key
	r record
}

type bucketCopy struct {
	start int64
	t     Total
}

type windowCopy struct {
	start   int64
	cur     int
	entries []windowEntry
}

type seriesCopy struct {
	k       seriesKey
	window  Window
	levels  [4]map[int64]Total
	windows []windowCopy
}

// Snapshot copies the store. It holds the store's lock only while it copies
// (meter events wait that long: some 50 ms per million events received in the
// last 24 hours, on a 2-core machine); sorting and packing happen after.
func (s *Store) Snapshot() *Snapshot {
	s.mu.Lock()
	s.compactSome(math.MaxInt) // a snapshot holds no half-done compaction
	sn := &Snapshot{Retention: s.retention, HashKey: s.hashKey, Accepted: s.accepted, CompactBefore: s.compactBefore}
	for cus, minutes := range s.pins {
		if sn.Pins == nil {
			sn.Pins = map[string][]int64{}
		}
		sn.Pins[cus] = slices.Sorted(maps.Keys(minutes))
	}
	// Names are interned per generation; the snapshot holds each once, in
	// order, and a generation's records refer to it by its index there
	// (remaps).
	global := map[string]uint64{}
	for _, g := range s.gens {
		for _, name := range g.names {
			global[name] = 0
		}
	}
	sn.Names = append([]string{}, slices.Sorted(maps.Keys(global))...)
	for i, name := range sn.Names {
		global[name] = uint64(i)
	}
	remaps := make([][]uint64, len(s.gens))
	for i, g := range s.gens {
		remaps[i] = make([]uint64, len(g.names))
		for j, name := range g.names {
			remaps[i][j] = global[name]
		}
	}
	keys := make([]seriesKey, 0, len(s.series))
	for k := range s.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(cmp.Compare(a.meter, b.meter), cmp.Compare(a.customer, b.customer))
	})
	index := make(map[*series]uint64, len(keys))
	sers := make([]seriesCopy, len(keys))
	for i, k := range keys {
		sr := s.series[k]
		index[sr] = uint64(i)
		c := seriesCopy{k: k, window: sr.window}
		for l, m := range sr.levels {
			c.levels[l] = maps.Clone(m)
		}
		for start, w := range sr.windows {
			c.windows = append(c.windows, windowCopy{start: start, cur: w.cur, entries: slices.Clone(w.entries)})
		}
		sers[i] = c
	}
	gens := make([][]keyed, len(s.gens))
	starts := make([]int64, len(s.gens))
	for i, g := range s.gens {
		recs := make([]keyed, 0, len(g.records))
		for k, r := range g.records {
			recs = append(recs, keyed{k, r})
		}
		gens[i], starts[i] = recs, g.start
	}
	s.mu.Unlock()

	for _, c := range sers {
		sn.Series = append(sn.Series, c.pack())
	}
	for i, recs := range gens {
		slices.SortFunc(recs, func(a, b keyed) int {
			return cmp.Or(cmp.Compare(a.k[0], b.k[0]), cmp.Compare(a.k[1], b.k[1]))
		})
		for { // one part at least, even for an empty generation
			n := min(len(recs), maxRecordsPerPart)
			sn.Generations = append(sn.Generations, packRecords(starts[i], recs[:n], index, remaps[i]))
			if recs = recs[n:]; len(recs) == 0 {
				break
			}
		}
	}
	return sn
}

func (c seriesCopy) pack() SeriesState {
	st := SeriesState{Meter: c.k.meter, Customer: c.k.customer, Window: c.window}
	var b []byte
	for _, m := range c.levels {
		level := make([]bucketCopy, 0, len(m))
		for start, t := range m {
			level = append(level, bucketCopy{start, t})
		}
		slices.SortFunc(level, func(x, y bucketCopy) int { return cmp.Compare(x.start, y.start) })
		b = binary.AppendUvarint(b, uint64(len(level)))
		prev := int64(0)
		for _, bk := range level {
			b = binary.AppendVarint(b, bk.start-prev)
			b = binary.AppendVarint(b, bk.t.Sum.Hi)
			b = binary.AppendUvarint(b, bk.t.Sum.Lo)
			b = binary.AppendVarint(b, bk.t.Count)
			prev = bk.start
		}
	}
	st.Buckets = b
	if c.window != NoWindow {
		slices.SortFunc(c.windows, func(x, y windowCopy) int { return cmp.Compare(x.start, y.start) })
		w := binary.AppendUvarint(nil, uint64(len(c.windows)))
		prev := int64(0)
		for _, win := range c.windows {
			w = binary.AppendVarint(w, win.start-prev)
			w = binary.AppendVarint(w, int64(win.cur))
			w = binary.AppendUvarint(w, uint64(len(win.entries)))
			for _, e := range win.entries {
				w = appendKey(w, e.k)
				w = binary.AppendVarint(w, e.ts)
				w = binary.AppendVarint(w, e.value)
				w = binary.AppendVarint(w, e.received)
				w = appendBool(w, e.canceled)
			}
			prev = win.start
		}
		st.Windows = w
	}
	return st
}

func packRecords(start int64, recs []keyed, index map[*series]uint64, names []uint64) GenerationState {
	b := make([]byte, 0, len(recs)*30)
	for _, kr := range recs {
		r := kr.r
		b = appendKey(b, kr.k)
		b = binary.AppendVarint(b, r.received-start)
		b = binary.AppendVarint(b, r.ts-r.received)
		b = binary.AppendVarint(b, r.value)
		sidx := uint64(0)
		if r.series != nil {
			sidx = index[r.series] + 1
		}
		b = binary.AppendUvarint(b, sidx)
		b = binary.AppendUvarint(b, names[r.name])
		b = appendBool(b, r.canceled)
	}
	return GenerationState{Start: start, Count: len(recs), Records: b}
}

func appendKey(b []byte, k key) []byte {
	b = binary.LittleEndian.AppendUint64(b, k[0])
	return binary.LittleEndian.AppendUint64(b, k[1])
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// reader decodes packed values, remembering the first error.
type reader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, at most what the remaining bytes can hold (each
// element takes at least min bytes), so that a damaged count allocates nothing.
func (r *reader) count(minBytes int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/minBytes) {
		r.fail(fmt.Errorf("count %d exceeds the data", n))
		return 0
	}
	return int(n)
}

func (r *reader) key() key {
	if r.err != nil {
		return key{}
	}
	if len(r.b) < 16 {
		r.fail(errTruncated)
		return key{}
	}
	k := key{binary.LittleEndian.Uint64(r.b), binary.LittleEndian.Uint64(r.b[8:])}
	r.b = r.b[16:]
	return k
}

func (r *reader) bool() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < 1 {
		r.fail(errTruncated)
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	if v > 1 {
		r.fail(fmt.Errorf("invalid boolean %d", v))
	}
	return v == 1
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail(fmt.Errorf("%d bytes left over", len(r.b)))
	}
	return r.err
}

// Restore builds a store from a snapshot, checking that it is consistent.
func Restore(sn *Snapshot) (*Store, error) {
	if sn.Retention <= 0 {
		return nil, fmt.Errorf("metering: invalid retention %d", sn.Retention)
	}
	s := New(sn.Retention)
	s.hashKey = sn.HashKey
	s.accepted = sn.Accepted
	s.compactBefore = sn.CompactBefore
	for cus, minutes := range sn.Pins {
		m := make(map[int64]struct{}, len(minutes))
		for _, t := range minutes {
			if t%60 != 0 {
				return nil, fmt.Errorf("metering: pinned minute %d of %q is not a minute's start", t, cus)
			}
			m[t] = struct{}{}
		}
		s.pins[cus] = m
	}
	seen := make(map[string]bool, len(sn.Names))
	for _, name := range sn.Names {
		if seen[name] {
			return nil, fmt.Errorf("metering: event name %q appears twice", name)
		}
		seen[name] = true
	}
	byIndex := make([]*series, len(sn.Series))
	for i, st := range sn.Series {
		sr, err := restoreSeries(st)
		if err != nil {
			return nil, fmt.Errorf("metering: series %d (meter %q, customer %q): %w", i, st.Meter, st.Customer, err)
		}
		k := seriesKey{st.Meter, st.Customer}
		if s.series[k] != nil {
			return nil, fmt.Errorf("metering: series (meter %q, customer %q) appears twice", st.Meter, st.Customer)
		}
		s.series[k] = sr
		byIndex[i] = sr
	}
	for i, gs := range sn.Generations {
		if gs.Count < 0 || gs.Count > len(gs.Records)/minRecordBytes {
			return nil, fmt.Errorf("metering: generation %d (start %d): %d records cannot fit in %d bytes", i, gs.Start, gs.Count, len(gs.Records))
		}
		var g *generation
		if n := len(s.gens); n > 0 && s.gens[n-1].start == gs.Start {
			g = s.gens[n-1]
		} else {
			if n > 0 && gs.Start < s.gens[n-1].start {
				return nil, fmt.Errorf("metering: generation %d starts at %d, before the previous one (%d)", i, gs.Start, s.gens[n-1].start)
			}
			g = newGeneration(gs.Start, gs.Count)
			s.gens = append(s.gens, g)
		}
		if err := restoreRecords(g, gs, byIndex, sn.Names); err != nil {
			return nil, fmt.Errorf("metering: generation %d (start %d): %w", i, gs.Start, err)
		}
	}
	return s, nil
}

func restoreSeries(st SeriesState) (*series, error) {
	if st.Window > Day {
		return nil, fmt.Errorf("invalid event time window %d", st.Window)
	}
	sr := newSeries(st.Window)
	r := reader{b: st.Buckets}
	for l, size := range bucketSizes {
		n := r.count(4)
		start := int64(0)
		for i := 0; i < n && r.err == nil; i++ {
			d := r.varint()
			if i > 0 && d <= 0 {
				r.fail(fmt.Errorf("buckets out of order"))
			}
			start += d
			t := Total{Sum: Int128{Hi: r.varint(), Lo: r.uvarint()}, Count: r.varint()}
			if start%size != 0 {
				r.fail(fmt.Errorf("bucket %d of resolution %ds is not aligned", start, size))
			}
			sr.levels[l][start] = t
		}
	}
	if err := r.end(); err != nil {
		return nil, fmt.Errorf("buckets: %w", err)
	}
	if st.Window == NoWindow {
		if len(st.Windows) > 0 {
			return nil, errors.New("windows for a series without an event time window")
		}
		return sr, nil
	}
	r = reader{b: st.Windows}
	n := r.count(3)
	start := int64(0)
	for i := 0; i < n && r.err == nil; i++ {
		d := r.varint()
		if i > 0 && d <= 0 {
			r.fail(fmt.Errorf("windows out of order"))
		}
		start += d
		w := &windowState{cur: int(r.varint())}
		entries := r.count(20)
		if r.err == nil && (w.cur < -1 || w.cur >= entries) {
			r.fail(fmt.Errorf("window %d: invalid current entry %d of %d", start, w.cur, entries))
		}
		if start%st.Window.Seconds() != 0 {
			r.fail(fmt.Errorf("window %d is not aligned", start))
		}
		w.entries = make([]windowEntry, 0, entries)
		for j := 0; j < entries && r.err == nil; j++ {
			w.entries = append(w.entries, windowEntry{k: r.key(), ts: r.varint(), value: r.varint(), received: r.varint(), canceled: r.bool()})
		}
		sr.windows[start] = w
	}
	if err := r.end(); err != nil {
		return nil, fmt.Errorf("windows: %w", err)
	}
	return sr, nil
}

// restoreRecords adds a GenerationState's records to g, interning in g the
// names (of the snapshot's) they refer to.
func restoreRecords(g *generation, gs GenerationState, byIndex []*series, names []string) error {
	r := reader{b: gs.Records}
	for i := 0; i < gs.Count && r.err == nil; i++ {
		k := r.key()
		rec := record{}
		rec.received = gs.Start + r.varint()
		rec.ts = rec.received + r.varint()
		rec.value = r.varint()
		sidx := r.uvarint()
		name := r.uvarint()
		rec.canceled = r.bool()
		if r.err != nil {
			break
		}
		if sidx > uint64(len(byIndex)) {
			return fmt.Errorf("record %d: no series %d", i, sidx-1)
		}
		if sidx > 0 {
			rec.series = byIndex[sidx-1]
		}
		if name >= uint64(len(names)) {
			return fmt.Errorf("record %d: no event name %d", i, name)
		}
		rec.name = g.intern(names[name])
		if _, dup := g.records[k]; dup {
			return fmt.Errorf("record %d: an identifier appears twice", i)
		}
		g.records[k] = rec
	}
	if err := r.end(); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	return nil
}
