package server

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// -baseline names a file of benchmark output (the commands at the top of
// testdata/baseline.txt) that TestAgainstBaseline compares with the baseline
// written before issue 14's refactor. Nothing is timed here: the test only
// reads the two files.
var baselineRun = flag.String("baseline", "", "benchmark output to compare with testdata/baseline.txt")

// TestAgainstBaseline fails when a benchmark's median allocs/op or B/op is
// more than 1% above the baseline's, or a benchmark of the baseline is
// missing; it logs the ns/op medians and ranges, which this machine makes too
// noisy to gate on. Without -baseline it checks the baseline itself: that it
// holds every benchmark design 14 §6.3 names, with all three figures.
func TestAgainstBaseline(t *testing.T) {
	path := filepath.Join("testdata", "baseline.txt")
	base, err := readBenchmarks(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"BenchmarkAdvanceClock1000", "BenchmarkUpcomingInvoice/events=10",
		"BenchmarkCreateCustomer", "BenchmarkMeterEvent", "BenchmarkRetrieveCustomer"} {
		if base[name] == nil {
			t.Errorf("%s has no %s", path, name)
		}
	}
	run := *baselineRun
	if run == "" {
		run = path
	}
	now, err := readBenchmarks(run)
	if err != nil {
		t.Fatal(err)
	}
	problems, report := compareBenchmarks(base, now)
	for _, line := range report {
		t.Log(line)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// benchmarks are, per benchmark (its name without the -GOMAXPROCS suffix),
// the values of each unit over its runs.
type benchmarks map[string]map[string][]float64

// gatedUnits are the figures a benchmark may not raise by more than 1%.
var gatedUnits = []string{"allocs/op", "B/op"}

// compareBenchmarks returns what fails the gate and a line per benchmark of
// the baseline (ns/op and allocs/op medians, now against then).
func compareBenchmarks(base, now benchmarks) (problems, report []string) {
	names := make([]string, 0, len(base))
	for name := range base {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b, n := base[name], now[name]
		if n == nil {
			problems = append(problems, name+": not run")
			continue
		}
		missing := false
		for _, unit := range append([]string{"ns/op"}, gatedUnits...) {
			if len(n[unit]) == 0 || len(b[unit]) == 0 {
				problems = append(problems, fmt.Sprintf("%s: no %s figures (go test -benchmem)", name, unit))
				missing = true
			}
		}
		if missing {
			continue
		}
		for _, unit := range gatedUnits {
			if bm, nm := median(b[unit]), median(n[unit]); nm > bm*1.01 {
				problems = append(problems, fmt.Sprintf("%s: %s %.0f, the baseline's %.0f: more than 1%% up", name, unit, nm, bm))
			}
		}
		report = append(report, fmt.Sprintf("%s: ns/op median %.0f (%.0f–%.0f), baseline %.0f (%.0f–%.0f); allocs/op %.0f, baseline %.0f; B/op %.0f, baseline %.0f",
			name, median(n["ns/op"]), slices.Min(n["ns/op"]), slices.Max(n["ns/op"]), median(b["ns/op"]), slices.Min(b["ns/op"]), slices.Max(b["ns/op"]),
			median(n["allocs/op"]), median(b["allocs/op"]), median(n["B/op"]), median(b["B/op"])))
	}
	return problems, report
}

// readBenchmarks reads a file of Go benchmark output.
func readBenchmarks(path string) (benchmarks, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := parseBenchmarks(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

func parseBenchmarks(text string) (benchmarks, error) {
	out := benchmarks{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if out[name] == nil {
			out[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", line, err)
			}
			out[name][f[i+1]] = append(out[name][f[i+1]], v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark results")
	}
	return out, nil
}

// median is the middle value of vs (the mean of the two middle ones for an
// even count); vs is not empty.
func median(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func TestCompareBenchmarks(t *testing.T) {
	const base = `goos: linux
BenchmarkAdvanceClock1000-2   	5	 403740774 ns/op	153825086 B/op	 1734340 allocs/op
BenchmarkAdvanceClock1000-2   	5	 496555194 ns/op	153823100 B/op	 1734321 allocs/op
BenchmarkAdvanceClock1000-2   	5	 451259422 ns/op	153801880 B/op	 1734332 allocs/op
BenchmarkUpcomingInvoice/events=10-2   21319	 62900 ns/op	 23951 B/op	 228 allocs/op
`
	for _, tt := range []struct {
		name, now string
		problems  []string
	}{
		{"the same", base, nil},
		{"slower but allocating the same", strings.ReplaceAll(base, " 4", " 9"), nil},
		{"B/op within 1%", "BenchmarkAdvanceClock1000-2 5 400000000 ns/op 155000000 B/op 1734340 allocs/op\nBenchmarkUpcomingInvoice/events=10-2 1 1 ns/op 23951 B/op 228 allocs/op", nil},
		{"allocs/op 2% up", "BenchmarkAdvanceClock1000-2 5 400000000 ns/op 153825086 B/op 1769000 allocs/op\nBenchmarkUpcomingInvoice/events=10-2 1 1 ns/op 23951 B/op 228 allocs/op",
			[]string{"BenchmarkAdvanceClock1000: allocs/op 1769000, the baseline's 1734332: more than 1% up"}},
		{"B/op up in two runs of three", base + "BenchmarkUpcomingInvoice/events=10-4 1 1 ns/op 30000 B/op 228 allocs/op\nBenchmarkUpcomingInvoice/events=10-2 1 1 ns/op 30000 B/op 228 allocs/op",
			[]string{"BenchmarkUpcomingInvoice/events=10: B/op 30000, the baseline's 23951: more than 1% up"}},
		{"one missing", "BenchmarkAdvanceClock1000-2 5 400000000 ns/op 153825086 B/op 1734332 allocs/op",
			[]string{"BenchmarkUpcomingInvoice/events=10: not run"}},
		{"without -benchmem", "BenchmarkAdvanceClock1000-2 5 400000000 ns/op\nBenchmarkUpcomingInvoice/events=10-2 1 1 ns/op 23951 B/op 228 allocs/op",
			[]string{"BenchmarkAdvanceClock1000: no allocs/op figures (go test -benchmem)", "BenchmarkAdvanceClock1000: no B/op figures (go test -benchmem)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := parseBenchmarks(base)
			if err != nil {
				t.Fatal(err)
			}
			n, err := parseBenchmarks(tt.now)
			if err != nil {
				t.Fatal(err)
			}
			problems, _ := compareBenchmarks(b, n)
			if !slices.Equal(problems, tt.problems) {
				t.Errorf("problems %q, want %q", problems, tt.problems)
			}
		})
	}
	if _, err := parseBenchmarks("PASS\nok\n"); err == nil {
		t.Error("output without a benchmark parsed")
	}
}
