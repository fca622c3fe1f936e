package metering

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

// uuidLike is a 36-character identifier, the size of the UUIDs Stripe recommends.
func uuidLike(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
}

// fill records n events for one customer, received over 24 hours (so that all
// are within retention), with timestamps a few seconds before receipt.
func fill(s *Store, n int, base int64) {
	for i := 0; i < n; i++ {
		received := base + int64(i)*86399/int64(max(n, 1))
		_ = s.Record(Event{Identifier: uuidLike(i), EventName: "alpaca_ai_tokens", Meter: "mtr_1", Customer: "cus_1",
			Counted: true, Timestamp: received - int64(i%7), Received: received, Value: int64(i%1000 + 1)})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkMemoryPerEvent reports the bytes the store holds per event at
// 1,000,000 events received within one day (all still within the 24-hour
// identifier retention), and after those 24 hours, when only aggregates remain.
func BenchmarkMemoryPerEvent(b *testing.B) {
	const n = 1_000_000
	base := int64(1719792000)
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		s := New(0)
		fill(s, n, base)
		during := heapInUse()
		s.Expire(base + 2*86400)
		after := heapInUse()
		b.ReportMetric(float64(during-before)/n, "bytes/event")
		b.ReportMetric(float64(int64(after)-int64(before))/n, "bytes/event-after-24h")
		runtime.KeepAlive(s)
	}
}

// BenchmarkSum: the cost of a month's total does not depend on how many events
// the customer sent.
func BenchmarkSum(b *testing.B) {
	base := int64(1719792000)
	for _, n := range []int{10, 1_000_000} {
		s := New(0)
		fill(s, n, base)
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				// An unaligned month, the worst case for bucket decomposition.
				s.Sum("mtr_1", "cus_1", base-86400*3-3599, base+86400*28+1234)
			}
		})
	}
}

func BenchmarkRecord(b *testing.B) {
	s := New(0)
	base := int64(1719792000)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = uuidLike(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = s.Record(Event{Identifier: ids[i], EventName: "alpaca_ai_tokens", Meter: "mtr_1", Customer: "cus_1",
			Counted: true, Timestamp: base + int64(i/1000), Received: base + int64(i/1000), Value: 3})
	}
}
