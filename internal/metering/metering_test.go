package metering

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

const day = 86400

func ev(id string, ts, value int64) Event {
	return Event{Identifier: id, EventName: "tokens", Meter: "mtr_1", Customer: "cus_1", Counted: true, Timestamp: ts, Received: ts, Value: value}
}

func TestSumAndCount(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	for i, v := range []int64{25, 975, 2000, -500} {
		if err := s.Record(ev("e"+strconv.Itoa(i), base+int64(i)*3601, v)); err != nil {
			t.Fatal(err)
		}
	}
	tot := s.Sum("mtr_1", "cus_1", base, base+30*day)
	if tot.Sum != FromInt64(2500) || tot.Count != 4 {
		t.Fatalf("total = %+v", tot)
	}
	if tot.Value(Count) != FromInt64(4) || tot.Value(Sum) != FromInt64(2500) {
		t.Fatalf("formula values")
	}
	// Half-open ranges: [start, end).
	if got := s.Sum("mtr_1", "cus_1", base, base+3601).Sum; got != FromInt64(25) {
		t.Errorf("first hour and a second: %v", got)
	}
	if got := s.Sum("mtr_1", "cus_1", base+1, base+3602).Sum; got != FromInt64(975) {
		t.Errorf("shifted: %v", got)
	}
	if got := s.Sum("mtr_1", "cus_2", base, base+day); got.Count != 0 {
		t.Errorf("another customer: %+v", got)
	}
	if got := s.Sum("mtr_2", "cus_1", base, base+day); got.Count != 0 {
		t.Errorf("another meter: %+v", got)
	}
}

// Range totals equal a brute-force sum over random events and ranges.
func TestRangeMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := New(0)
	base := int64(1719792000)
	type e struct{ ts, v int64 }
	var events []e
	for i := 0; i < 3000; i++ {
		x := e{base + r.Int64N(40*day) - 3*day, r.Int64N(2000) - 500}
		events = append(events, x)
		if err := s.Record(ev("id"+strconv.Itoa(i), x.ts, x.v)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 500; i++ {
		a := base + r.Int64N(40*day) - 4*day
		b := a + r.Int64N(20*day)
		if i%5 == 0 { // aligned ranges too
			a -= a % 3600
			b -= b % 60
		}
		var want Total
		for _, x := range events {
			if x.ts >= a && x.ts < b {
				want = want.add(Total{Sum: FromInt64(x.v), Count: 1})
			}
		}
		if got := s.Sum("mtr_1", "cus_1", a, b); got != want {
			t.Fatalf("[%d,%d): got %+v want %+v", a, b, got, want)
		}
	}
}

// Events and range ends on bucket boundaries and one second either side.
func TestRangeBoundaries(t *testing.T) {
	s := New(0)
	base := int64(1719792000) // 00:00Z, on every boundary
	var points []int64
	for _, unit := range []int64{60, 3600, day} {
		for k := int64(-1); k < 4; k++ {
			for _, d := range []int64{-1, 0, 1} {
				points = append(points, base+k*unit+d)
			}
		}
	}
	// Events span three days: the range ends are pinned first, as the server
	// pins the times it bills at, so that they stay exact once compacted.
	s.Pin("cus_1", points...)
	var events []int64
	n := 0
	for _, unit := range []int64{60, 3600, day} {
		for k := int64(0); k < 3; k++ {
			for _, d := range []int64{-1, 0, 1} {
				ts := base + k*unit + d
				events = append(events, ts)
				if err := s.Record(ev("b"+strconv.Itoa(n), ts, 1)); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	s.CompactNow()
	for _, a := range points {
		for _, b := range points {
			if b <= a {
				continue
			}
			var want int64
			for _, ts := range events {
				if ts >= a && ts < b {
					want++
				}
			}
			if got := s.Sum("mtr_1", "cus_1", a, b).Count; got != want {
				t.Fatalf("[%d,%d): %d events, want %d", a-base, b-base, got, want)
			}
		}
	}
}

func TestDuplicatesAndExpiry(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	if err := s.Record(ev("same", base, 1)); err != nil {
		t.Fatal(err)
	}
	dup := ev("same", base, 1)
	dup.Received = base + day - 1
	if err := s.Record(dup); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate within 24h: %v", err)
	}
	if got := s.Sum("mtr_1", "cus_1", base, base+1).Count; got != 1 {
		t.Fatalf("a duplicate counted: %d", got)
	}
	later := ev("same", base+day, 1)
	if err := s.Record(later); err != nil {
		t.Fatalf("identifier reuse after 24h: %v", err)
	}
	// Records are dropped a generation (a quarter of retention) at a time.
	if st := s.Stats(); st.Retained != 2 || st.Accepted != 2 {
		t.Errorf("stats: %+v", st)
	}
	s.Expire(base + 3*day)
	if st := s.Stats(); st.Retained != 0 {
		t.Errorf("records kept past retention: %+v", st)
	}
	// Aggregates survive expiry.
	if got := s.Sum("mtr_1", "cus_1", base, base+2*day).Count; got != 2 {
		t.Errorf("aggregates after expiry: %d", got)
	}
}

func TestCancel(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	for i, v := range []int64{100, 200, 300} {
		if err := s.Record(ev("c"+strconv.Itoa(i), base+int64(i), v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Cancel("c1", "tokens", base+10); err != nil {
		t.Fatal(err)
	}
	if got := s.Sum("mtr_1", "cus_1", base, base+day); got.Sum != FromInt64(400) || got.Count != 2 {
		t.Fatalf("after cancel: %+v", got)
	}
	for _, tt := range []struct {
		id, name string
		now      int64
		want     error
	}{
		{"c1", "tokens", base + 10, ErrAlreadyCanceled},
		{"nope", "tokens", base + 10, ErrUnknown},
		{"c2", "other", base + 10, ErrEventNameDiffers},
		{"c0", "tokens", base + day, ErrTooOld},
		{"c0", "tokens", base + 2*day, ErrUnknown}, // later still, its record is gone
	} {
		if err := s.Cancel(tt.id, tt.name, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("cancel %s: %v, want %v", tt.id, err, tt.want)
		}
	}
}

func TestHourWindowKeepsLatest(t *testing.T) {
	s := New(0)
	base := int64(1719792000) // 00:00Z
	rec := func(id string, ts, v, received int64) {
		t.Helper()
		e := ev(id, ts, v)
		e.Window, e.Received = Hour, received
		if err := s.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	rec("a", base+600, 10, base+700)    // 00:10 in window 00:00
	rec("b", base+300, 20, base+800)    // received later: replaces a
	rec("c", base+3600+5, 7, base+3700) // window 01:00
	rec("d", base+1200, 40, base+900)   // replaces b
	tot := s.Sum("mtr_1", "cus_1", base, base+2*3600)
	if tot.Sum != FromInt64(47) || tot.Count != 2 {
		t.Fatalf("latest per window: %+v", tot)
	}
	// The counted event's timestamp decides which range the window lands in.
	if got := s.Sum("mtr_1", "cus_1", base, base+1200).Sum; !got.IsZero() {
		t.Errorf("before the latest event's timestamp: %v", got)
	}
	// Canceling the latest falls back to the one before it.
	if err := s.Cancel("d", "tokens", base+1000); err != nil {
		t.Fatal(err)
	}
	if got := s.Sum("mtr_1", "cus_1", base, base+3600).Sum; got != FromInt64(20) {
		t.Errorf("fallback after cancel: %v", got)
	}
	if err := s.Cancel("a", "tokens", base+1000); err != nil { // already replaced: nothing changes
		t.Fatal(err)
	}
	if err := s.Cancel("b", "tokens", base+1000); err != nil {
		t.Fatal(err)
	}
	if got := s.Sum("mtr_1", "cus_1", base, base+3600); got.Count != 0 {
		t.Errorf("all canceled: %+v", got)
	}
}

func TestDayWindowFallbackAfterRetention(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	mk := func(id string, v, received int64) {
		e := ev(id, base+100, v)
		e.Window, e.Received = Day, received
		if err := s.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	mk("old", 5, base+100)
	mk("new", 9, base+100+2*day) // the old one is past retention: it stays as fallback
	if err := s.Cancel("new", "tokens", base+100+2*day+1); err != nil {
		t.Fatal(err)
	}
	if got := s.Sum("mtr_1", "cus_1", base, base+day).Sum; got != FromInt64(5) {
		t.Errorf("fallback to a settled event: %v", got)
	}
}

func TestUncountedEventsHoldTheirIdentifier(t *testing.T) {
	s := New(0)
	e := ev("x", 1719792000, 5)
	e.Counted = false
	if err := s.Record(e); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(e); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate of an uncounted event: %v", err)
	}
	if got := s.Sum("mtr_1", "cus_1", 0, 2e9); got.Count != 0 {
		t.Errorf("uncounted event counted: %+v", got)
	}
}

func TestInt128(t *testing.T) {
	a := FromInt64(math.MaxInt64)
	b := a.Add(a).Add(FromInt64(2))
	if b.Decimal().String() != "18446744073709551616" {
		t.Errorf("2^64: %s", b.Decimal())
	}
	if b.Sub(a).Sub(a).Sub(FromInt64(2)) != (Int128{}) {
		t.Errorf("sub")
	}
	n := FromInt64(-5).Add(FromInt64(3))
	if n.Decimal().String() != "-2" || n.Sign() != -1 || n.Float64() != -2 {
		t.Errorf("negative: %s", n.Decimal())
	}
	big := FromInt64(math.MinInt64).Add(FromInt64(math.MinInt64))
	if big.Decimal().String() != "-18446744073709551616" {
		t.Errorf("-2^64: %s", big.Decimal())
	}
}

// TestInt128Conversions checks Big, Float64 and Saturated across the int64
// edges, where the high word is 0 or -1 but the value is beyond int64.
func TestInt128Conversions(t *testing.T) {
	max, min := FromInt64(math.MaxInt64), FromInt64(math.MinInt64)
	for _, tt := range []struct {
		name      string
		v         Int128
		dec       string
		saturated int64
	}{
		{"max", max, "9223372036854775807", math.MaxInt64},
		{"max+1", max.Add(FromInt64(1)), "9223372036854775808", math.MaxInt64},
		{"2*max", max.Add(max), "18446744073709551614", math.MaxInt64},
		{"2^64", max.Add(max).Add(FromInt64(2)), "18446744073709551616", math.MaxInt64},
		{"min", min, "-9223372036854775808", math.MinInt64},
		{"min-1", min.Sub(FromInt64(1)), "-9223372036854775809", math.MinInt64},
		{"2*min", min.Add(min), "-18446744073709551616", math.MinInt64},
		{"-7", FromInt64(-7), "-7", -7},
		{"0", Int128{}, "0", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.Big().String(); got != tt.dec {
				t.Errorf("Big: %s, want %s", got, tt.dec)
			}
			want, _ := strconv.ParseFloat(tt.dec, 64)
			if got := tt.v.Float64(); got != want {
				t.Errorf("Float64: %v, want %v", got, want)
			}
			if got := tt.v.Saturated(); got != tt.saturated {
				t.Errorf("Saturated: %d, want %d", got, tt.saturated)
			}
		})
	}
}

// Huge and far-flung ranges cost what the data is, not what the range spans.
func TestRangeHugeAndAll(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	for i, v := range []int64{5, 7, 11} {
		if err := s.Record(ev("h"+strconv.Itoa(i), base+int64(i)*day*10+17, v)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Sum("mtr_1", "cus_1", -1<<62, 1<<62).Sum; got != FromInt64(23) {
		t.Errorf("everything: %v", got)
	}
	if got := s.Sum("mtr_1", "cus_1", 0, base+day*10+17).Sum; got != FromInt64(5) {
		t.Errorf("up to the second event: %v", got)
	}
	if got := s.All("mtr_1", "cus_1"); got.Sum != FromInt64(23) || got.Count != 3 {
		t.Errorf("all: %+v", got)
	}
}

// Totals is every customer's All of one meter, and no other meter's.
func TestTotals(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	for i, e := range []Event{ev("a", base, 5), ev("b", base+60, 7), {Identifier: "c", EventName: "tokens", Meter: "mtr_1", Customer: "cus_2", Counted: true, Timestamp: base, Received: base, Value: 3},
		{Identifier: "d", EventName: "calls", Meter: "mtr_2", Customer: "cus_1", Counted: true, Timestamp: base, Received: base, Value: 100}} {
		if err := s.Record(e); err != nil {
			t.Fatal(i, err)
		}
	}
	got := s.Totals("mtr_1")
	if len(got) != 2 || got["cus_1"] != (Total{Sum: FromInt64(12), Count: 2}) || got["cus_2"] != (Total{Sum: FromInt64(3), Count: 1}) {
		t.Errorf("totals: %+v", got)
	}
	if got := s.Totals("mtr_3"); len(got) != 0 {
		t.Errorf("a meter without usage: %+v", got)
	}
}

// TestCompaction: second buckets older than retention go, but for pinned
// minutes; totals over minute-aligned ranges and from pinned times stay exact.
func TestCompaction(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	pinned := base + 3*3600 + 17 // a period start at 03:00:17
	s.Pin("cus_1", pinned, base+7200 /* aligned: nothing to keep */)
	var events []int64
	for i := int64(0); i < 2000; i++ {
		ts := base + i*37 // spread over ~20 hours, many distinct seconds
		events = append(events, ts)
		if err := s.Record(ev("c"+strconv.FormatInt(i, 10), ts, 1)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(a, b int64) int64 {
		var n int64
		for _, ts := range events {
			if ts >= a && ts < b {
				n++
			}
		}
		return n
	}
	before := s.series[seriesKey{"mtr_1", "cus_1"}].buckets()
	s.Expire(base + 3*86400) // everything is past retention now
	sr := s.series[seriesKey{"mtr_1", "cus_1"}]
	if after := sr.buckets(); after >= before/2 {
		t.Errorf("buckets: %d before compaction, %d after", before, after)
	}
	for _, tt := range []struct{ a, b int64 }{
		{base, base + 86400}, {base + 60, base + 3*3600}, {pinned, base + 5*3600}, {base, pinned}, {pinned, pinned + 3600},
	} {
		if got := s.Sum("mtr_1", "cus_1", tt.a, tt.b).Count; got != count(tt.a, tt.b) {
			t.Errorf("[%d,%d): %d, want %d", tt.a-base, tt.b-base, got, count(tt.a, tt.b))
		}
	}
	for ts := range sr.levels[0] {
		if ts-ts%60 != pinned-pinned%60 {
			t.Fatalf("second %d kept, not in a pinned minute", ts-base)
		}
	}
	// A restored store keeps the pins and what was compacted.
	r := restored(t, s)
	if got := r.Sum("mtr_1", "cus_1", pinned, base+5*3600).Count; got != count(pinned, base+5*3600) {
		t.Errorf("restored: %d, want %d", got, count(pinned, base+5*3600))
	}
	if len(r.pins["cus_1"]) != 1 || r.compactBefore != s.compactBefore {
		t.Errorf("restored pins %v, compacted before %d (was %d)", r.pins, r.compactBefore, s.compactBefore)
	}
}

// An event name is kept while an event of it is: events of ever new names
// (sent with no meter, say) leave nothing behind once they expire, and a name
// still in use in a later generation stays there, for cancellations.
func TestEventNamesLeaveWithTheirEvents(t *testing.T) {
	s := New(0)
	base := int64(1719792000)
	for i := 0; i < 1000; i++ {
		e := ev("random-"+strconv.Itoa(i), base, 1)
		e.EventName, e.Counted = "name_"+strconv.Itoa(i), false
		if err := s.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	later := ev("kept", base+day/2, 1) // a later generation
	later.EventName = "name_7"
	if err := s.Record(later); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Names != 1001 {
		t.Fatalf("names held: %d, want 1000 in the first generation and one in the second", st.Names)
	}
	s.Expire(base + day + day/4 + 1) // the first generation is gone, not the second
	if st := s.Stats(); st.Retained != 1 || st.Names != 1 {
		t.Errorf("after the first generation expired: %+v, want 1 record and 1 name", st)
	}
	if err := s.Cancel("kept", "name_8", base+day); !errors.Is(err, ErrEventNameDiffers) {
		t.Errorf("cancel under another name: %v", err)
	}
	if err := s.Cancel("kept", "name_7", base+day); err != nil {
		t.Errorf("cancel under its name: %v", err)
	}
	s.Expire(base + 3*day)
	if st := s.Stats(); st.Names != 0 {
		t.Errorf("names left with no event: %d", st.Names)
	}
}
