package metering

// series is the usage of one meter for one customer: running totals per bucket
// at four resolutions, so that a range is a sum of at most a few hundred buckets.
type series struct {
	levels [4]map[int64]Total // keyed by bucket start: second, minute, hour, day
	window Window
	// windows holds, for meters with an event time window, the events of each
	// window (by window start) that may still matter: the one counted now, and
	// those that could take its place if it were canceled.
	windows map[int64]*windowState
}

var bucketSizes = [4]int64{1, 60, 3600, 86400}

// windowEntry is an event of a window, kept while it may still count.
type windowEntry struct {
	k        key
	ts       int64
	value    int64
	received int64
	canceled bool
}

func (w windowEntry) total() Total { return Total{Sum: FromInt64(w.value), Count: 1} }

type windowState struct {
	entries []windowEntry // in order of receipt
	cur     int           // the entry counted now, or -1
}

func newSeries(w Window) *series {
	s := &series{window: w}
	for i := range s.levels {
		s.levels[i] = map[int64]Total{}
	}
	if w != NoWindow {
		s.windows = map[int64]*windowState{}
	}
	return s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// apply adds t at timestamp ts in every resolution.
func (s *series) apply(ts int64, t Total) {
	for i, size := range bucketSizes {
		k := floorDiv(ts, size) * size
		v := s.levels[i][k].add(t)
		if v.Count == 0 && v.Sum.IsZero() {
			delete(s.levels[i], k)
		} else {
			s.levels[i][k] = v
		}
	}
}

func (t Total) neg() Total { return Total{Sum: t.Sum.Neg(), Count: -t.Count} }

func (s *series) windowOf(ts int64) (int64, *windowState) {
	start := floorDiv(ts, s.window.Seconds()) * s.window.Seconds()
	return start, s.windows[start]
}

func (s *series) add(k key, r record, retention int64) {
	entry := windowEntry{k: k, ts: r.ts, value: r.value, received: r.received}
	if s.window == NoWindow {
		s.apply(r.ts, entry.total())
		return
	}
	start, w := s.windowOf(r.ts)
	if w == nil {
		w = &windowState{cur: -1}
		s.windows[start] = w
	}
	// The latest received event of the window is the one that counts.
	if w.cur >= 0 {
		c := w.entries[w.cur]
		s.apply(c.ts, c.total().neg())
	}
	w.entries = append(w.entries, entry)
	w.cur = len(w.entries) - 1
	s.apply(r.ts, entry.total())
	w.prune(r.received, retention)
}

func (s *series) cancel(k key, r record, now, retention int64) {
	if s.window == NoWindow {
		s.apply(r.ts, Total{Sum: FromInt64(r.value), Count: 1}.neg())
		return
	}
	_, w := s.windowOf(r.ts)
	if w == nil {
		return
	}
	i := len(w.entries) - 1
	for i >= 0 && w.entries[i].k != k {
		i--
	}
	if i < 0 {
		return
	}
	w.entries[i].canceled = true
	if i == w.cur { // fall back on the latest event of the window not canceled
		s.apply(w.entries[i].ts, w.entries[i].total().neg())
		w.cur = -1
		for j := len(w.entries) - 1; j >= 0; j-- {
			if !w.entries[j].canceled {
				w.cur = j
				s.apply(w.entries[j].ts, w.entries[j].total())
				break
			}
		}
	}
	w.prune(now, retention)
}

// prune drops entries that can no longer matter: those past retention (they
// cannot be canceled any more) older than the latest of them not canceled, which
// stays as the fallback.
func (w *windowState) prune(now, retention int64) {
	firstLive := 0
	settled := -1
	for firstLive < len(w.entries) && now-w.entries[firstLive].received >= retention {
		if !w.entries[firstLive].canceled {
			settled = firstLive
		}
		firstLive++
	}
	if firstLive == 0 || (firstLive == 1 && settled == 0) {
		return
	}
	kept := make([]windowEntry, 0, len(w.entries)-firstLive+1)
	if settled >= 0 {
		kept = append(kept, w.entries[settled])
	}
	kept = append(kept, w.entries[firstLive:]...)
	w.entries = kept
	w.cur = -1
	for j := len(kept) - 1; j >= 0; j-- {
		if !kept[j].canceled {
			w.cur = j
			break
		}
	}
}

// rangeTotal adds the buckets covering [start, end): whole UTC days from the
// day buckets, the partial days at either end from hour, minute and second
// buckets (largest aligned first). The cost is bounded by a few hundred lookups
// plus the days of the range (or the days that have usage, if fewer), never by
// the number of events.
func (s *series) rangeTotal(start, end int64) Total {
	const day = 86400
	d0 := floorDiv(start+day-1, day) * day // first day boundary at or after start
	d1 := floorDiv(end, day) * day         // last day boundary at or before end
	if d0 >= d1 {
		return s.partial(start, end)
	}
	t := s.partial(start, d0).add(s.partial(d1, end))
	days := s.levels[3]
	if (d1-d0)/day <= int64(len(days)) {
		for d := d0; d < d1; d += day {
			t = t.add(days[d])
		}
		return t
	}
	for d, v := range days {
		if d >= d0 && d < d1 {
			t = t.add(v)
		}
	}
	return t
}

// partial adds the second, minute and hour buckets of a range shorter than two
// days, largest aligned first.
func (s *series) partial(start, end int64) Total {
	var t Total
	for ts := start; ts < end; {
		level := 0
		for l := 2; l > 0; l-- {
			size := bucketSizes[l]
			if ts%size == 0 && ts+size <= end {
				level = l
				break
			}
		}
		if len(s.levels[level]) > 0 {
			t = t.add(s.levels[level][ts])
		}
		ts += bucketSizes[level]
	}
	return t
}

// all is the total of every event of the series.
func (s *series) all() Total {
	var t Total
	for _, v := range s.levels[3] {
		t = t.add(v)
	}
	return t
}

func (s *series) buckets() int {
	n := 0
	for _, l := range s.levels {
		n += len(l)
	}
	return n
}

// compactSeconds drops the second buckets before `before`, except those in a
// pinned minute, and reports how many buckets it looked at. The map is rebuilt
// (Go maps never shrink).
func (s *series) compactSeconds(before int64, pinned map[int64]struct{}) int {
	secs := s.levels[0]
	old := 0
	for ts := range secs {
		if ts < before {
			if _, ok := pinned[floorDiv(ts, 60)*60]; !ok {
				old++
			}
		}
	}
	if old == 0 {
		return len(secs)
	}
	kept := make(map[int64]Total, len(secs)-old)
	for ts, t := range secs {
		if ts >= before {
			kept[ts] = t
		} else if _, ok := pinned[floorDiv(ts, 60)*60]; ok {
			kept[ts] = t
		}
	}
	s.levels[0] = kept
	return 2 * len(secs)
}
