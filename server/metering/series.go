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

type windowState struct {
	current *record   // the event counted for this window, or nil
	history []*record // events of the window in order of receipt
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

func contribution(r *record) Total { return Total{Sum: FromInt64(r.value), Count: 1} }

func (s *series) add(r *record, retention int64) {
	if s.window == NoWindow {
		s.apply(r.ts, contribution(r))
		return
	}
	start := floorDiv(r.ts, s.window.Seconds()) * s.window.Seconds()
	w := s.windows[start]
	if w == nil {
		w = &windowState{}
		s.windows[start] = w
	}
	// The latest received event of the window is the one that counts.
	if w.current != nil {
		s.apply(w.current.ts, contribution(w.current).neg())
	}
	w.current = r
	s.apply(r.ts, contribution(r))
	w.history = append(w.history, r)
	w.prune(r.received, retention)
}

func (t Total) neg() Total { return Total{Sum: t.Sum.Neg(), Count: -t.Count} }

func (s *series) cancel(r *record, now, retention int64) {
	if s.window == NoWindow {
		s.apply(r.ts, contribution(r).neg())
		return
	}
	start := floorDiv(r.ts, s.window.Seconds()) * s.window.Seconds()
	w := s.windows[start]
	if w == nil || w.current != r {
		return // an event that had already been replaced: nothing counted changes
	}
	s.apply(r.ts, contribution(r).neg())
	w.current = nil
	for i := len(w.history) - 1; i >= 0; i-- {
		if h := w.history[i]; !h.canceled {
			w.current = h
			s.apply(h.ts, contribution(h))
			break
		}
	}
	w.prune(now, retention)
}

// prune drops history that can no longer matter: events past retention (they
// cannot be canceled) older than the latest such event that is not canceled,
// which stays as the fallback.
func (w *windowState) prune(now, retention int64) {
	settled := -1
	for i, h := range w.history {
		if now-h.received < retention {
			break
		}
		if !h.canceled {
			settled = i
		}
	}
	firstLive := 0
	for firstLive < len(w.history) && now-w.history[firstLive].received >= retention {
		firstLive++
	}
	if firstLive == 0 {
		return
	}
	kept := w.history[:0]
	if settled >= 0 {
		kept = append(kept, w.history[settled])
	}
	kept = append(kept, w.history[firstLive:]...)
	clear(w.history[len(kept):])
	w.history = kept
}

// rangeTotal adds the buckets covering [start, end), largest aligned first.
func (s *series) rangeTotal(start, end int64) Total {
	var t Total
	for ts := start; ts < end; {
		level := 0
		for l := len(bucketSizes) - 1; l > 0; l-- {
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

func (s *series) buckets() int {
	n := 0
	for _, l := range s.levels {
		n += len(l)
	}
	return n
}
