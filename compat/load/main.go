// Command load is stripe-emulator's load harness. It starts the emulator
// binary, stripe-mock (optional) and a bare net/http server answering a fixed
// JSON body (the ceiling of this machine), drives each with the same
// keep-alive workloads at several concurrencies, and prints requests per
// second, p50/p99 latency and the emulator's ratio to stripe-mock and to the
// ceiling, side by side, with startup time and idle memory.
//
//	go run ./compat/load                                  # emulator and ceiling
//	go run ./compat/load -stripe-mock auto                # also stripe-mock v0.190.0 (go install)
//	go run ./compat/load -duration 10s -conc 8,64,256
//	go run ./compat/load -versions 2024-06-20,2026-10-28.endive  # each workload at each API version
//	go run ./compat/load -baseline /tmp/emu-before -no-bare -rounds 10  # this binary against an older one
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		bare(os.Args[2:])
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// bare serves a fixed JSON body: nothing is cheaper for net/http to answer.
func bare(args []string) {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address")
	_ = fs.Parse(args)
	body := []byte(`{"id":"cus_bare","object":"customer","created":1719792000,"email":null,"livemode":false,"metadata":{},"name":"John Doe"}`)
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type config struct {
	emulator   string
	baseline   string
	stripeMock string
	duration   time.Duration
	rounds     int
	warmup     time.Duration
	conc       []int
	workloads  []string
	// versions are the Stripe-Version headers each workload is sent with
	// ("": none, the account's default); one or more.
	versions []string
	noBare   bool
	attach   string
}

func run() error {
	var cfg config
	var conc, workloads, versions string
	flag.StringVar(&cfg.emulator, "emulator", "", "the stripe-emulator binary (default: built from this repository)")
	flag.StringVar(&cfg.baseline, "baseline", "", "a stripe-emulator binary built from an older commit to compare the emulator with: started beside it with the same flags (-addr only), measured in the same rounds in alternating order (A B, B A, ...) with the same warm-up, and reported as the median of the per-round ratios emulator/baseline with their spread")
	flag.StringVar(&cfg.stripeMock, "stripe-mock", "", `the stripe-mock binary to compare with; "auto" installs v0.190.0 with go install; empty skips it`)
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "how long each measurement (one round of one target) runs")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds of measurements per workload and concurrency; the median is reported (to tell a 5% difference from -baseline on a shared machine, 9 or more: 10 runs each order equally often)")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "warm-up before each measurement")
	flag.StringVar(&conc, "conc", "8,64", "concurrencies (keep-alive connections), comma-separated")
	flag.StringVar(&workloads, "workloads", strings.Join(workloadNames, ","), "workloads, comma-separated: "+strings.Join(workloadNames, ", "))
	flag.StringVar(&versions, "versions", "", "API versions to run each workload at, comma-separated (sent as Stripe-Version; a workload whose endpoint a version removed is skipped there); empty: no header, the account's default")
	flag.BoolVar(&cfg.noBare, "no-bare", false, "skip the bare net/http ceiling")
	flag.StringVar(&cfg.attach, "emulator-addr", "", "drive an emulator already running at this address (for profiling it) instead of starting one")
	flag.Parse()
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-conc: %q", s)
		}
		cfg.conc = append(cfg.conc, n)
	}
	if cfg.rounds < 1 {
		return fmt.Errorf("-rounds: %d", cfg.rounds)
	}
	cfg.workloads = strings.Split(workloads, ",")
	for _, w := range cfg.workloads {
		if !slices.Contains(workloadNames, w) {
			return fmt.Errorf("unknown workload %q", w)
		}
	}
	cfg.versions = []string{""}
	if versions != "" {
		cfg.versions = strings.Split(versions, ",")
		for _, v := range cfg.versions {
			if _, ok := apiversion.Parse(v); !ok {
				return fmt.Errorf("-versions: %q is not an API version the emulator serves", v)
			}
		}
	}
	dir, err := os.MkdirTemp("", "stripe-emulator-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	if cfg.emulator == "" && cfg.attach == "" {
		cfg.emulator = filepath.Join(dir, "stripe-emulator")
		fmt.Fprintln(os.Stderr, "building the emulator...")
		if out, err := exec.Command("go", "build", "-o", cfg.emulator, "./cmd/stripe-emulator").CombinedOutput(); err != nil {
			return fmt.Errorf("building the emulator (run from the repository root): %v\n%s", err, out)
		}
	}
	if cfg.stripeMock == "auto" {
		bin := filepath.Join(dir, "bin")
		fmt.Fprintln(os.Stderr, "installing stripe-mock v0.190.0...")
		cmd := exec.Command("go", "install", "github.com/stripe/stripe-mock@v0.190.0")
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("installing stripe-mock: %v\n%s", err, out)
		}
		cfg.stripeMock = filepath.Join(bin, "stripe-mock")
	}

	var targets []*target
	if cfg.attach != "" {
		targets = append(targets, &target{name: "emulator", addr: cfg.attach, emulator: true})
	} else {
		emu, err := startEmulator("emulator", cfg.emulator)
		if err != nil {
			return err
		}
		targets = append(targets, emu)
	}
	if cfg.baseline != "" {
		base, err := startEmulator("baseline", cfg.baseline)
		if err != nil {
			stopAll(targets)
			return err
		}
		targets = append(targets, base)
	}
	if cfg.stripeMock != "" {
		mock, err := startTarget("stripe-mock", func(addr string) *exec.Cmd { return exec.Command(cfg.stripeMock, "-http-addr", addr) }, "/v1/customers")
		if err != nil {
			stopAll(targets)
			return err
		}
		targets = append(targets, mock)
	}
	if !cfg.noBare {
		self, _ := os.Executable()
		b, err := startTarget("bare net/http", func(addr string) *exec.Cmd { return exec.Command(self, "bare", "-addr", addr) }, "/")
		if err != nil {
			stopAll(targets)
			return err
		}
		targets = append(targets, b)
	}
	defer stopAll(targets)

	fmt.Printf("# stripe-emulator load run: %s, %d CPUs, %s/%s, median of %d rounds of %s per measurement\n\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cfg.rounds, cfg.duration)
	fmt.Println("| process | startup to first answer | idle RSS |")
	fmt.Println("|---|---|---|")
	for _, t := range targets {
		fmt.Printf("| %s | %.1f ms | %.1f MB |\n", t.name, float64(t.startup.Microseconds())/1000, float64(t.idleRSS)/(1<<20))
	}
	fmt.Println()

	results := map[string]map[int]map[string]result{}
	// Every round, for -baseline's per-round ratios.
	byRound := map[string]map[int]map[string][]result{}
	var rows []string // workload, or workload@version
	for _, w := range cfg.workloads {
		wl := workloads_[w]
		// The workload's rows: one per version (a version that removed its
		// endpoint skipped), measured together below.
		type wrow struct{ row, version string }
		var wrows []wrow
		for _, version := range cfg.versions {
			if v, _ := apiversion.Parse(version); version != "" && wl.removedIn != 0 && v >= wl.removedIn {
				fmt.Fprintf(os.Stderr, "%s: skipped at %s (its endpoint was removed in %s)\n", w, version, wl.removedIn)
				continue
			}
			row := w
			if version != "" {
				row = w + "@" + version
			}
			wrows = append(wrows, wrow{row, version})
			rows = append(rows, row)
			results[row] = map[int]map[string]result{}
			byRound[row] = map[int]map[string][]result{}
		}
		for _, n := range cfg.conc {
			// A slot is one target at one version. Rounds interleave the slots
			// (roundOrder: each pair once in each order every two rounds), so
			// that a slow spell of the machine, or the heap an earlier workload
			// left, does not land on one target or one version only; each
			// slot's median round is reported. Every slot's setup is done
			// before the first round is timed.
			type slot struct {
				row  string
				t    *target
				req  request
				unit int
			}
			var slots []slot
			for _, wr := range wrows {
				results[wr.row][n] = map[string]result{}
				byRound[wr.row][n] = map[string][]result{}
				for _, t := range targets {
					if wl.emulatorOnly && !t.emulator {
						continue
					}
					req, unit, err := wl.setup(t)
					if err != nil {
						return fmt.Errorf("%s on %s: %v", wr.row, t.name, err)
					}
					slots = append(slots, slot{row: wr.row, t: t, req: atVersion(req, wr.version), unit: unit})
				}
			}
			rounds := make([][]result, len(slots))
			for round := 0; round < cfg.rounds; round++ {
				for _, k := range roundOrder(len(slots), round) {
					sl := slots[k]
					measure(sl.t.addr, sl.req, n, cfg.warmup) // warm up
					idle, own := othersCPU(targets, sl.t), ownCPU(sl.t)
					r := measure(sl.t.addr, sl.req, n, cfg.duration)
					r.unit, r.idleCPU, r.cpu = sl.unit, idle(), own()
					rounds[k] = append(rounds[k], r)
					var note string
					if cfg.baseline != "" {
						note = idleNote(r.idleCPU)
					}
					fmt.Fprintf(os.Stderr, "%-18s c=%-4d %-14s round %d  %10.0f %s/s  p50 %7.3f ms  p99 %7.3f ms  errors %d%s\n", sl.row, n, sl.t.name, round+1, r.rate()*float64(r.unit), unitName(r.unit), ms(r.p50), ms(r.p99), r.errors, note)
				}
			}
			for k, rs := range rounds {
				results[slots[k].row][n][slots[k].t.name] = median(rs)
				byRound[slots[k].row][n][slots[k].t.name] = rs
			}
		}
	}
	fmt.Println("| workload | conc | emulator req/s | p50 / p99 ms | stripe-mock req/s | p50 / p99 ms | ceiling req/s | × stripe-mock | × ceiling |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, w := range rows {
		for _, n := range cfg.conc {
			r := results[w][n]
			e, m, b := r["emulator"], r["stripe-mock"], r["bare net/http"]
			cell := func(x result) (string, string) {
				if x.ok == 0 {
					return "—", "—"
				}
				rate := fmt.Sprintf("%.0f", x.rate())
				if x.unit > 1 {
					rate += fmt.Sprintf(" (%.0f events/s)", x.rate()*float64(x.unit))
				}
				return rate, fmt.Sprintf("%.2f / %.2f", ms(x.p50), ms(x.p99))
			}
			er, el := cell(e)
			mr, mlat := cell(m)
			br, _ := cell(b)
			ratio := func(a, b result) string {
				if a.ok == 0 || b.ok == 0 {
					return "—"
				}
				return fmt.Sprintf("%.2f", a.rate()/b.rate())
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", w, n, er, el, mr, mlat, br, ratio(e, m), ratio(e, b))
		}
	}
	fmt.Println()
	if cfg.baseline != "" {
		printBaseline(rows, cfg.conc, byRound)
	}
	checkTargets(results, byRound, rows, targets, cfg)
	return nil
}

func unitName(unit int) string {
	if unit > 1 {
		return "events"
	}
	return "req"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// checkTargets prints whether the emulator meets its targets.
func checkTargets(results map[string]map[int]map[string]result, byRound map[string]map[int]map[string][]result, rows []string, targets []*target, cfg config) {
	fmt.Println("| target | result |")
	fmt.Println("|---|---|")
	for _, t := range targets {
		if t.name == "emulator" {
			fmt.Printf("| startup ≤ 50 ms | %.1f ms: %s |\n", ms(t.startup), verdict(t.startup <= 50*time.Millisecond))
			fmt.Printf("| idle RSS ≤ 20 MB | %.1f MB: %s |\n", float64(t.idleRSS)/(1<<20), verdict(t.idleRSS <= 20<<20))
		}
	}
	if cfg.baseline != "" {
		checkBaseline(rows, cfg.conc, byRound)
	}
	// The version layer's target: a workload at a later version at ≥ 0.9× of
	// itself at 2024-06-20, in the same run.
	if slices.Contains(cfg.versions, "2024-06-20") {
		for _, w := range []string{"create_customer", "meter_event", "create_preview"} {
			base, ok := results[w+"@2024-06-20"]
			if !ok {
				continue
			}
			for _, v := range cfg.versions {
				at, ok := results[w+"@"+v]
				if !ok || v == "2024-06-20" {
					continue
				}
				for _, n := range cfg.conc {
					e, b := at[n]["emulator"], base[n]["emulator"]
					if e.ok > 0 && b.ok > 0 {
						fmt.Printf("| %s@%s c=%d ≥ 0.9× at 2024-06-20 | %.2f×: %s |\n", w, v, n, e.rate()/b.rate(), verdict(e.rate() >= 0.9*b.rate()))
					}
				}
			}
		}
	}
	for _, w := range []struct {
		name    string
		vsMock  float64
		vsBare  float64
		minRate float64
	}{{"meter_event", 2, 0.7, 0}, {"create_customer", 2, 0, 0}, {"retrieve_customer", 2, 0, 0}, {"stream", 0, 0, 300000}} {
		byConc, ok := results[w.name]
		if !ok {
			continue
		}
		for _, n := range cfg.conc {
			r := byConc[n]
			e, m, b := r["emulator"], r["stripe-mock"], r["bare net/http"]
			if w.vsMock > 0 && m.ok > 0 {
				fmt.Printf("| %s c=%d ≥ %.0f× stripe-mock | %.2f×: %s |\n", w.name, n, w.vsMock, e.rate()/m.rate(), verdict(e.rate() >= w.vsMock*m.rate()))
			}
			if w.vsBare > 0 && b.ok > 0 {
				fmt.Printf("| %s c=%d ≥ %.1f× the ceiling | %.2f×: %s |\n", w.name, n, w.vsBare, e.rate()/b.rate(), verdict(e.rate() >= w.vsBare*b.rate()))
			}
			if w.minRate > 0 {
				events := e.rate() * float64(e.unit)
				fmt.Printf("| %s c=%d ≥ %.0f events/s | %.0f: %s |\n", w.name, n, w.minRate, events, verdict(events >= w.minRate))
			}
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// target is a server under test.
type target struct {
	name string
	addr string
	// emulator is true for a stripe-emulator (the emulator or -baseline):
	// it keeps what the setup creates and serves every workload.
	emulator bool
	cmd      *exec.Cmd
	startup  time.Duration
	idleRSS  int64
}

// startEmulator starts a stripe-emulator binary with the flags every version
// of it has (-addr alone: a binary from an older commit may not know newer
// flags, and the emulator and its baseline run with the same ones).
func startEmulator(name, binary string) (*target, error) {
	t, err := startTarget(name, func(addr string) *exec.Cmd { return exec.Command(binary, "-addr", addr) }, "/healthz")
	if err != nil {
		return nil, err
	}
	t.emulator = true
	return t, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startTarget starts a server and measures the time until it first answers probe.
func startTarget(name string, command func(addr string) *exec.Cmd, probe string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := command(addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", name, err)
	}
	t := &target{name: name, addr: addr, cmd: cmd}
	req := buildRequest("GET", probe, "sk_test_probe", nil, "")
	for {
		if c, err := dial(addr); err == nil {
			status, _, err := c.do(req, false)
			c.close()
			if err == nil && status < 500 {
				break
			}
		}
		if time.Since(begin) > 30*time.Second {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("%s did not answer within 30s", name)
		}
		time.Sleep(time.Millisecond)
	}
	t.startup = time.Since(begin)
	time.Sleep(time.Second) // idle
	t.idleRSS = rss(cmd.Process.Pid)
	return t, nil
}

// rss reads a process's resident set size from /proc (0 where there is none).
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func stopAll(ts []*target) {
	for _, t := range ts {
		if t.cmd == nil {
			continue
		}
		_ = t.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = t.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = t.cmd.Process.Kill()
		}
	}
}

// measure sends req from n keep-alive connections for d.
func measure(addr string, req request, n int, d time.Duration) result {
	var ok, bad atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	begin := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<16)
			c, err := dial(addr)
			if err != nil {
				bad.Add(1)
				return
			}
			defer func() { c.close() }()
			for time.Now().Before(stop) {
				t0 := time.Now()
				status, _, err := c.do(req, false)
				if err != nil {
					bad.Add(1)
					c.close()
					if c, err = dial(addr); err != nil {
						return
					}
					continue
				}
				local = append(local, time.Since(t0))
				if status >= 200 && status < 300 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{ok: ok.Load(), errors: bad.Load(), elapsed: time.Since(begin)}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}
