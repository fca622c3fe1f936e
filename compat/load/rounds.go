package main

import (
	"cmp"
	"slices"
	"time"
)

// result is one measurement.
type result struct {
	ok, errors int64
	elapsed    time.Duration
	p50, p99   time.Duration
	unit       int // events per request
	// idleCPU is the CPU time the other emulators (-baseline) spent while
	// this one was measured: what "idle" cost them.
	idleCPU time.Duration
	// cpu is the CPU time the measured emulator itself spent in the
	// measurement (0 where the harness did not start it).
	cpu time.Duration
}

// cpuPerRequest is the measured emulator's CPU time per successful request,
// or 0 when unknown.
func (r result) cpuPerRequest() time.Duration {
	if r.cpu == 0 || r.ok == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ok)
}

// median is the round with the median rate (the lower middle one of an even
// number); its errors are those of every round.
func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.rate(), b.rate()) })
	m := sorted[(len(sorted)-1)/2]
	m.errors = 0
	for _, r := range rs {
		m.errors += r.errors
	}
	return m
}

func (r result) rate() float64 {
	if r.elapsed == 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// roundOrder is the order in which round (from 0) measures n slots (targets,
// or a target at a version): an odd round is the round before it reversed,
// and each even one starts one slot further on than the even one before. So
// every two rounds measure each pair of slots once in each order (with two:
// A B, B A, B A, A B, A B, ...), and a drift of the machine over the run, or
// whatever a measurement leaves behind for the next one, falls on both alike;
// plain A B A B would put A first in every pair. Over 2n rounds every slot
// has every place.
func roundOrder(n, round int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (round/2 + i) % n
	}
	if round%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// pairStats sums up the per-round ratios of a candidate to its baseline.
type pairStats struct {
	median, min, max float64
	n                int // rounds in which both answered
}

// pairRatios compares a candidate's rounds with its baseline's, round by
// round (cand[i] and base[i] ran in the same round, one beside the other): the
// median of the per-round rate ratios cand/base (the mean of the middle two
// of an even number) and their spread. A round in which either had no
// successful request is left out; ok is false when none is left.
func pairRatios(cand, base []result) (pairStats, bool) {
	return pairOf(cand, base, func(r result) float64 { return r.rate() })
}

// cpuRatios is pairRatios of the CPU time per request (cand/base: above 1,
// the candidate costs more); a round without a CPU figure on either side is
// left out.
func cpuRatios(cand, base []result) (pairStats, bool) {
	return pairOf(cand, base, func(r result) float64 { return float64(r.cpuPerRequest()) })
}

// pairOf is the median, min and max of the per-round ratios of a measure,
// leaving out rounds where either side's is 0.
func pairOf(cand, base []result, measure func(result) float64) (pairStats, bool) {
	var ratios []float64
	for i := range min(len(cand), len(base)) {
		if c, b := measure(cand[i]), measure(base[i]); c > 0 && b > 0 {
			ratios = append(ratios, c/b)
		}
	}
	if len(ratios) == 0 {
		return pairStats{}, false
	}
	slices.Sort(ratios)
	n := len(ratios)
	return pairStats{median: (ratios[(n-1)/2] + ratios[n/2]) / 2, min: ratios[0], max: ratios[n-1], n: n}, true
}

// medianCPU is the median CPU time per request over rounds (0 if none has one).
func medianCPU(rs []result) time.Duration {
	var per []time.Duration
	for _, r := range rs {
		if c := r.cpuPerRequest(); c > 0 {
			per = append(per, c)
		}
	}
	if len(per) == 0 {
		return 0
	}
	slices.Sort(per)
	return (per[(len(per)-1)/2] + per[len(per)/2]) / 2
}

// mostIdleCPU is the most CPU time another emulator spent, idle, in any of
// these rounds.
func mostIdleCPU(rs []result) time.Duration {
	var most time.Duration
	for _, r := range rs {
		most = max(most, r.idleCPU)
	}
	return most
}
