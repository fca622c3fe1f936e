package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRoundOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		rounds int
		want   string // the measurements in time order, rounds apart by "|"
	}{
		{"two: ABBA, never A first throughout", 2, 6, "AB|BA|BA|AB|AB|BA"},
		{"one slot", 1, 3, "A|A|A"},
		{"three slots", 3, 6, "ABC|CBA|BCA|ACB|CAB|BAC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for r := range tc.rounds {
				var b strings.Builder
				for _, k := range roundOrder(tc.n, r) {
					b.WriteByte(byte('A' + k))
				}
				got = append(got, b.String())
			}
			if s := strings.Join(got, "|"); s != tc.want {
				t.Errorf("order %s, want %s", s, tc.want)
			}
		})
	}
}

// Every two rounds measure each pair of slots once in each order, every
// round measures every slot once, and over 2n rounds each slot has each place.
func TestRoundOrderBalanced(t *testing.T) {
	for n := 1; n <= 5; n++ {
		first := map[[2]int]int{} // how often slot a ran before slot b
		place := map[[2]int]int{} // how often slot k ran in place p
		for r := range 2 * n {
			order := roundOrder(n, r)
			if sorted := slices.Sorted(slices.Values(order)); !slices.Equal(sorted, identity(n)) {
				t.Fatalf("n=%d round %d: %v is not every slot once", n, r, order)
			}
			for p, k := range order {
				place[[2]int{k, p}]++
				for _, later := range order[p+1:] {
					first[[2]int{k, later}]++
				}
			}
			if r%2 == 1 {
				for a := range n {
					for b := range n {
						if a != b && first[[2]int{a, b}] != first[[2]int{b, a}] {
							t.Errorf("n=%d after round %d: %d before %d %d times, after it %d times", n, r, a, b, first[[2]int{a, b}], first[[2]int{b, a}])
						}
					}
				}
			}
		}
		for k := range n {
			for p := range n {
				if place[[2]int{k, p}] != 2 {
					t.Errorf("n=%d: slot %d in place %d %d times in %d rounds, want 2", n, k, p, place[[2]int{k, p}], 2*n)
				}
			}
		}
	}
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// rounds makes one measurement of a second per rate (0: nothing answered).
func rounds(rates ...int64) []result {
	out := make([]result, len(rates))
	for i, r := range rates {
		out[i] = result{ok: r, elapsed: time.Second}
	}
	return out
}

func TestPairRatios(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cand, base []result
		want       pairStats
		ok         bool
	}{
		{"odd number: the middle ratio, not the ratio of the medians",
			rounds(100, 90, 120), rounds(100, 100, 100), pairStats{median: 1.0, min: 0.9, max: 1.2, n: 3}, true},
		{"round by round: a slow round slows both, the ratios stay",
			rounds(50, 100, 200), rounds(50, 100, 200), pairStats{median: 1, min: 1, max: 1, n: 3}, true},
		{"even number: the mean of the middle two",
			rounds(90, 95, 105, 130), rounds(100, 100, 100, 100), pairStats{median: 1.0, min: 0.9, max: 1.3, n: 4}, true},
		{"a round one of them did not answer is left out",
			rounds(80, 0, 110), rounds(100, 100, 0), pairStats{median: 0.8, min: 0.8, max: 0.8, n: 1}, true},
		{"pairs by round: the shorter one bounds them",
			rounds(100, 50), rounds(200), pairStats{median: 0.5, min: 0.5, max: 0.5, n: 1}, true},
		{"no round both answered", rounds(0, 100), rounds(100, 0), pairStats{}, false},
		{"no rounds", nil, nil, pairStats{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pairRatios(tc.cand, tc.base)
			if ok != tc.ok || got.n != tc.want.n || !near(got.median, tc.want.median) || !near(got.min, tc.want.min) || !near(got.max, tc.want.max) {
				t.Errorf("pairRatios = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMostIdleCPU(t *testing.T) {
	rs := []result{{idleCPU: 10 * time.Millisecond}, {idleCPU: 30 * time.Millisecond}, {}}
	if got := mostIdleCPU(rs); got != 30*time.Millisecond {
		t.Errorf("mostIdleCPU = %v, want 30ms", got)
	}
	if got := mostIdleCPU(nil); got != 0 {
		t.Errorf("mostIdleCPU(nil) = %v, want 0", got)
	}
}

// TestCPURatios: the CPU time per request, compared round by round
// (candidate ÷ baseline), rounds without a CPU figure left out, and its
// median over rounds.
func TestCPURatios(t *testing.T) {
	r := func(ok int64, cpu time.Duration) result { return result{ok: ok, elapsed: time.Second, cpu: cpu} }
	ms := time.Millisecond
	cand := []result{r(1000, 110*ms), r(2000, 200*ms), r(1000, 0), r(500, 60*ms)}
	base := []result{r(1000, 100*ms), r(1000, 100*ms), r(1000, 100*ms), r(1000, 100*ms)}
	got, ok := cpuRatios(cand, base)
	// per request: 110 vs 100 µs (1.1), 100 vs 100 (1.0), none, 120 vs 100 (1.2)
	if !ok || got.n != 3 || !near(got.median, 1.1) || !near(got.min, 1.0) || !near(got.max, 1.2) {
		t.Errorf("cpuRatios = %+v, %v; want median 1.1, 1.0–1.2 over 3", got, ok)
	}
	if m := medianCPU(cand); m != 110*time.Microsecond {
		t.Errorf("medianCPU = %v, want 110µs", m)
	}
	if m := medianCPU([]result{r(10, 0)}); m != 0 {
		t.Errorf("medianCPU without figures = %v, want 0", m)
	}
	if _, ok := cpuRatios([]result{r(10, 0)}, []result{r(10, ms)}); ok {
		t.Error("cpuRatios without a candidate figure reported one")
	}
}
