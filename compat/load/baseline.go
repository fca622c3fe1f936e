package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// printBaseline prints, for -baseline, each workload and concurrency's median
// round of the baseline and of the emulator (the candidate), the median of
// their per-round ratios with its spread, and the most CPU time the idle one
// used in a round while the other was measured.
func printBaseline(rows []string, conc []int, byRound map[string]map[int]map[string][]result) {
	fmt.Println("| workload | conc | baseline req/s | p50 / p99 ms | emulator req/s | p50 / p99 ms | × baseline (median of rounds) | per-round min–max | CPU µs/request, baseline → emulator | CPU × baseline (median of rounds, min–max) | idle one's CPU, most in a round |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, w := range rows {
		for _, n := range conc {
			cand, base := byRound[w][n]["emulator"], byRound[w][n]["baseline"]
			if len(cand) == 0 || len(base) == 0 {
				continue
			}
			c, b := median(cand), median(base)
			ratio, spread := "—", "—"
			if p, ok := pairRatios(cand, base); ok {
				ratio, spread = fmt.Sprintf("%.3f", p.median), fmt.Sprintf("%.3f–%.3f", p.min, p.max)
			}
			cpu := "—"
			if p, ok := cpuRatios(cand, base); ok {
				cpu = fmt.Sprintf("%.3f (%.3f–%.3f)", p.median, p.min, p.max)
			}
			idle := max(mostIdleCPU(cand), mostIdleCPU(base))
			fmt.Printf("| %s | %d | %.0f | %.2f / %.2f | %.0f | %.2f / %.2f | %s | %s | %.1f → %.1f | %s | %.0f ms |\n", w, n,
				b.rate(), ms(b.p50), ms(b.p99), c.rate(), ms(c.p50), ms(c.p99), ratio, spread,
				us(medianCPU(base)), us(medianCPU(cand)), cpu, ms(idle))
		}
	}
	fmt.Println()
}

// checkBaseline prints the before/after target: each workload within 5% of
// the baseline or faster, by the median of the per-round ratios.
func checkBaseline(rows []string, conc []int, byRound map[string]map[int]map[string][]result) {
	for _, w := range rows {
		for _, n := range conc {
			p, ok := pairRatios(byRound[w][n]["emulator"], byRound[w][n]["baseline"])
			if !ok {
				continue
			}
			fmt.Printf("| %s c=%d ≥ 0.95× the baseline | %.3f× (rounds %.3f–%.3f, %d of them): %s |\n", w, n, p.median, p.min, p.max, p.n, verdict(p.median >= 0.95))
			if c, ok := cpuRatios(byRound[w][n]["emulator"], byRound[w][n]["baseline"]); ok {
				fmt.Printf("| %s c=%d CPU per request ≤ 1.05× the baseline | %.3f× (rounds %.3f–%.3f, %d of them): %s |\n", w, n, c.median, c.min, c.max, c.n, verdict(c.median <= 1.05))
			}
		}
	}
}

// idleNote is the progress line's note of what the other emulator spent,
// idle, while this one was measured.
func idleNote(d time.Duration) string {
	return fmt.Sprintf("  the other emulator's CPU %.0f ms", ms(d))
}

// cpuTime is the CPU time (user and system, every thread) a process has
// used, from /proc (ok false where there is none). The kernel counts it in
// ticks of 10 ms (USER_HZ, 100 on Linux).
func cpuTime(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime, the 14th and 15th fields of a
// /proc/PID/stat line (counted after the command name, which is in
// parentheses and may hold spaces).
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(stat[i+1:]) // from the 3rd field, the state
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// ownCPU starts counting the CPU time t itself spends; the function it
// returns is its total since (0 for a server this harness did not start, or
// one that is not an emulator).
func ownCPU(t *target) func() time.Duration { return cpuSince([]*target{t}) }

// us is a duration in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// othersCPU starts counting the CPU time the emulators other than busy (the
// one about to be measured) spend; the function it returns is their total
// since. An emulator this harness did not start is not counted.
func othersCPU(targets []*target, busy *target) func() time.Duration {
	var others []*target
	for _, t := range targets {
		if t != busy {
			others = append(others, t)
		}
	}
	return cpuSince(others)
}

// cpuSince starts counting the CPU time the emulators among targets that
// this harness started spend; the function it returns is their total since.
func cpuSince(targets []*target) func() time.Duration {
	type mark struct {
		pid   int
		since time.Duration
	}
	var marks []mark
	for _, t := range targets {
		if !t.emulator || t.cmd == nil {
			continue
		}
		if c, ok := cpuTime(t.cmd.Process.Pid); ok {
			marks = append(marks, mark{t.cmd.Process.Pid, c})
		}
	}
	return func() time.Duration {
		var total time.Duration
		for _, m := range marks {
			if c, ok := cpuTime(m.pid); ok {
				total += c - m.since
			}
		}
		return total
	}
}
