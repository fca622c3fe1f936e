package metering

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The reference vectors of SipHash-2-4 with a 128-bit output (key 00..0f,
// message 00..n-1), from the reference implementation's vectors.h.
func TestSipHash128Vectors(t *testing.T) {
	want := [][16]byte{
		{0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93},
		{0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44, 0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45},
		{0x81, 0x77, 0x22, 0x8d, 0xa4, 0xa4, 0x5d, 0xc7, 0xfc, 0xa3, 0x8b, 0xde, 0xf6, 0x0a, 0xff, 0xe4},
		{0x9c, 0x70, 0xb6, 0x0c, 0x52, 0x67, 0xa9, 0x4e, 0x5f, 0x33, 0xb6, 0xb0, 0x29, 0x85, 0xed, 0x51},
		{0xf8, 0x81, 0x64, 0xc1, 0x2d, 0x9c, 0x8f, 0xaf, 0x7d, 0x0f, 0x6e, 0x7c, 0x7b, 0xcd, 0x55, 0x79},
	}
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	msg := make([]byte, 0, len(want))
	for i, w := range want {
		got := appendKey(nil, sipHash128(k0, k1, string(msg)))
		if string(got) != string(w[:]) {
			t.Errorf("length %d: got %x, want %x", i, got, w)
		}
		msg = append(msg, byte(i))
	}
	// Longer messages cover the 8-byte blocks: the hash of each length differs.
	seen := map[key]int{}
	long := ""
	for i := 0; i < 40; i++ {
		k := sipHash128(k0, k1, long)
		if j, dup := seen[k]; dup {
			t.Fatalf("lengths %d and %d hash alike", j, i)
		}
		seen[k] = i
		long += string(rune('a' + i%26))
	}
}

// jsonRoundTrip passes a snapshot through JSON the way the state file does:
// the header, then each series and generation as its own value.
func jsonRoundTrip(t *testing.T, sn *Snapshot) *Snapshot {
	t.Helper()
	var out Snapshot
	b, err := json.Marshal(sn)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for _, st := range sn.Series {
		b, _ := json.Marshal(st)
		var x SeriesState
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatal(err)
		}
		out.Series = append(out.Series, x)
	}
	for _, g := range sn.Generations {
		b, _ := json.Marshal(g)
		var x GenerationState
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatal(err)
		}
		out.Generations = append(out.Generations, x)
	}
	return &out
}

func restored(t *testing.T, s *Store) *Store {
	t.Helper()
	r, err := Restore(jsonRoundTrip(t, s.Snapshot()))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	base := int64(1719792000)
	s := New(0)
	// A plain sum meter over 30 hours (several generations, some expired by the
	// end), a count meter, an hour-window meter, events not counted.
	for i := 0; i < 3000; i++ {
		rcv := base + int64(i)*36
		ev := Event{Identifier: "sum-" + strconv.Itoa(i), EventName: "tokens", Meter: "mtr_sum", Customer: "cus_" + strconv.Itoa(i%3),
			Counted: true, Timestamp: rcv - int64(i%50), Received: rcv, Value: int64(i%17) - 3}
		if err := s.Record(ev); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			ev = Event{Identifier: "cnt-" + strconv.Itoa(i), EventName: "calls", Meter: "mtr_cnt", Customer: "cus_0", Counted: true,
				Timestamp: rcv, Received: rcv, Value: 1}
			if err := s.Record(ev); err != nil {
				t.Fatal(err)
			}
		}
		if i%7 == 0 {
			ev = Event{Identifier: "win-" + strconv.Itoa(i), EventName: "seats", Meter: "mtr_win", Customer: "cus_1", Counted: true,
				Window: Hour, Timestamp: rcv - 100, Received: rcv, Value: int64(i)}
			if err := s.Record(ev); err != nil {
				t.Fatal(err)
			}
		}
		if i%11 == 0 {
			ev = Event{Identifier: "lost-" + strconv.Itoa(i), EventName: "nothing", Timestamp: rcv, Received: rcv}
			if err := s.Record(ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := base + 2999*36
	// Cancellations: a plain one, and the counted event of a window (which falls
	// back on the previous one).
	if err := s.Cancel("sum-2990", "tokens", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel("win-2996", "seats", now); err != nil {
		t.Fatal(err)
	}
	r := restored(t, s)
	if !reflect.DeepEqual(jsonRoundTrip(t, r.Snapshot()), jsonRoundTrip(t, s.Snapshot())) {
		t.Fatal("the restored store's snapshot differs from the original's")
	}
	if s.Stats() != r.Stats() {
		t.Fatalf("stats: %+v vs %+v", s.Stats(), r.Stats())
	}
	check := func(stage string) {
		t.Helper()
		for _, m := range []string{"mtr_sum", "mtr_cnt", "mtr_win", "mtr_none"} {
			for c := 0; c < 4; c++ {
				cus := "cus_" + strconv.Itoa(c)
				for _, rg := range [][2]int64{{base - 86400, now + 86400}, {base + 3599, base + 7201}, {base + 86400, now}, {base + 17, base + 61}} {
					if a, b := s.Sum(m, cus, rg[0], rg[1]), r.Sum(m, cus, rg[0], rg[1]); a != b {
						t.Fatalf("%s: %s %s %v: %+v vs %+v", stage, m, cus, rg, a, b)
					}
				}
				if a, b := s.All(m, cus), r.All(m, cus); a != b {
					t.Fatalf("%s: all %s %s: %+v vs %+v", stage, m, cus, a, b)
				}
			}
		}
	}
	check("restored")
	// Both behave alike from here on: duplicates, cancellations, expiry.
	for _, st := range []*Store{s, r} {
		if err := st.Record(Event{Identifier: "sum-2999", EventName: "tokens", Received: now + 1}); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("a replayed identifier: %v", err)
		}
		if err := st.Record(Event{Identifier: "lost-2992", EventName: "nothing", Received: now + 1}); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("a replayed identifier of an event not counted: %v", err)
		}
		if err := st.Cancel("sum-2990", "tokens", now+2); !errors.Is(err, ErrAlreadyCanceled) {
			t.Fatalf("canceled twice: %v", err)
		}
		if err := st.Cancel("sum-2995", "other", now+2); !errors.Is(err, ErrEventNameDiffers) {
			t.Fatalf("another name: %v", err)
		}
		if err := st.Cancel("win-2989", "seats", now+3); err != nil {
			t.Fatal(err)
		}
		if err := st.Cancel("sum-2000", "tokens", now+3); err != nil {
			t.Fatal(err)
		}
		if err := st.Cancel("sum-1", "tokens", now+3); !errors.Is(err, ErrUnknown) && !errors.Is(err, ErrTooOld) {
			t.Fatalf("an event received 30 hours ago: %v", err)
		}
		if err := st.Record(Event{Identifier: "new", EventName: "tokens", Meter: "mtr_sum", Customer: "cus_3", Counted: true,
			Timestamp: now, Received: now + 4, Value: 5}); err != nil {
			t.Fatal(err)
		}
	}
	check("after the same changes")
	s.Expire(now + 2*86400)
	r.Expire(now + 2*86400)
	check("after expiry")
	if s.Stats() != r.Stats() {
		t.Fatalf("stats after expiry: %+v vs %+v", s.Stats(), r.Stats())
	}
	// A store restored from an empty one is empty and works.
	e := restored(t, New(0))
	if err := e.Record(Event{Identifier: "x", EventName: "n", Received: base}); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefusesInconsistentSnapshots(t *testing.T) {
	base := int64(1719792000)
	s := New(0)
	for i := 0; i < 20; i++ {
		_ = s.Record(Event{Identifier: strconv.Itoa(i), EventName: "seats", Meter: "m", Customer: "c", Counted: true, Window: Day,
			Timestamp: base + int64(i), Received: base + int64(i), Value: 3})
	}
	good := s.Snapshot()
	for _, tt := range []struct {
		name   string
		change func(sn *Snapshot)
		want   string
	}{
		{"retention", func(sn *Snapshot) { sn.Retention = 0 }, "invalid retention"},
		{"duplicate name", func(sn *Snapshot) { sn.Names = append(sn.Names, sn.Names[0]) }, "appears twice"},
		{"duplicate series", func(sn *Snapshot) { sn.Series = append(sn.Series, sn.Series[0]) }, "appears twice"},
		{"truncated buckets", func(sn *Snapshot) { sn.Series[0].Buckets = sn.Series[0].Buckets[:5] }, "truncated"},
		{"extra bytes", func(sn *Snapshot) { sn.Series[0].Buckets = append(sn.Series[0].Buckets, 0) }, "left over"},
		{"bad window", func(sn *Snapshot) { sn.Series[0].Window = 9 }, "invalid event time window"},
		{"truncated windows", func(sn *Snapshot) { sn.Series[0].Windows = sn.Series[0].Windows[:10] }, "windows: count 20 exceeds the data"},
		{"truncated records", func(sn *Snapshot) {
			sn.Generations[0].Records = sn.Generations[0].Records[:len(sn.Generations[0].Records)-3]
		}, "cannot fit"},
		{"truncated record", func(sn *Snapshot) {
			sn.Generations[0].Count = 1
			sn.Generations[0].Records = sn.Generations[0].Records[:10]
		}, "cannot fit"},
		{"damaged record", func(sn *Snapshot) {
			sn.Generations[0].Count = 1
			sn.Generations[0].Records = append(sn.Generations[0].Records[:16], 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80)
		}, "records: truncated"},
		{"huge count", func(sn *Snapshot) { sn.Generations[0].Count = 1 << 40 }, "cannot fit"},
		{"series index", func(sn *Snapshot) { sn.Series = nil }, "no series"},
		{"name index", func(sn *Snapshot) { sn.Names = []string{} }, "no event name"},
		{"generation order", func(sn *Snapshot) {
			sn.Generations = append(sn.Generations, GenerationState{Start: sn.Generations[0].Start - 21600})
		}, "before the previous one"},
	} {
		sn := jsonRoundTrip(t, good)
		tt.change(sn)
		_, err := Restore(sn)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// BenchmarkSnapshot measures saving and restoring a store of 1,000,000 events
// received within one day (every per-event record kept), and the longest a
// meter event waits while a snapshot copies the store:
//
//	go test ./internal/metering -run X -bench Snapshot -benchtime 1x
func BenchmarkSnapshot(b *testing.B) {
	const n = 1_000_000
	base := int64(1719792000)
	s := New(0)
	fill(s, n, base)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stop := make(chan struct{})
		waited := make(chan time.Duration)
		go func() {
			var worst time.Duration
			for j := 0; ; j++ {
				select {
				case <-stop:
					waited <- worst
					return
				default:
				}
				start := time.Now()
				_ = s.Record(Event{Identifier: "during-" + strconv.Itoa(i) + "-" + strconv.Itoa(j), EventName: "alpaca_ai_tokens", Meter: "mtr_1",
					Customer: "cus_1", Counted: true, Timestamp: base + 86000, Received: base + 86000, Value: 1})
				worst = max(worst, time.Since(start))
			}
		}()
		time.Sleep(10 * time.Millisecond)
		start := time.Now()
		sn := s.Snapshot()
		took := time.Since(start)
		close(stop)
		worst := <-waited
		size := 0
		for _, g := range sn.Generations {
			size += len(g.Records)
		}
		for _, st := range sn.Series {
			size += len(st.Buckets) + len(st.Windows)
		}
		start = time.Now()
		if _, err := Restore(sn); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(took.Seconds()*1000, "snapshot-ms")
		b.ReportMetric(worst.Seconds()*1000, "max-event-wait-ms")
		b.ReportMetric(time.Since(start).Seconds()*1000, "restore-ms")
		b.ReportMetric(float64(size)/n, "packed-bytes/event")
	}
}
