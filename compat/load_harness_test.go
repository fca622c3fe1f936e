package compat

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// The load harness runs end to end (tiny durations: this checks that it works
// and reports, not how fast anything is).
func TestLoadHarnessSmoke(t *testing.T) {
	if testing.Short() {
		testnote.Skip(t, "-short: the load harness smoke run does not run")
	}
	bin := builtBinary(t)
	cmd := exec.Command("go", "run", "./load", "-emulator", bin, "-workloads", "meter_event,create_customer,stream",
		"-conc", "2", "-duration", "150ms", "-warmup", "20ms", "-rounds", "3")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("harness: %v\n%s\n%s", err, out, stderr.String())
	}
	text := string(out)
	for _, re := range []string{
		`median of 3 rounds of 150ms per measurement`,
		`\| meter_event \| 2 \| \d+ \| [\d.]+ / [\d.]+ \| — \| — \| \d+ \| — \| [\d.]+ \|`,
		`\| create_customer \| 2 \| \d+ \|`,
		`\| stream \| 2 \| \d+ \(\d+ events/s\) \|`,
		`\| startup ≤ 50 ms \| [\d.]+ ms: (met|MISSED) \|`,
		`\| meter_event c=2 ≥ 0.7× the ceiling \| [\d.]+×: (met|MISSED) \|`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("no line matching %s in:\n%s", re, text)
		}
	}
	// Every measurement of every round is reported, and none failed a request.
	progress := regexp.MustCompile(`(?m)^(\w+) +c=2 +(emulator|bare net/http) +round (\d) .* errors (\d+)$`).FindAllStringSubmatch(stderr.String(), -1)
	if len(progress) != 2*3+2*3+3 { // (emulator, bare) × 3 rounds × 2 workloads, and the stream
		t.Errorf("%d progress lines, want 15:\n%s", len(progress), stderr.String())
	}
	for _, m := range progress {
		if m[4] != "0" {
			t.Errorf("failed requests: %s", m[0])
		}
	}
	// -versions: each workload at each API version, the version targets, and
	// the upcoming invoice left out where basil removed it.
	cmd = exec.Command("go", "run", "./load", "-emulator", bin, "-workloads", "create_preview,upcoming_invoice",
		"-versions", "2024-06-20,2026-10-28.endive", "-conc", "2", "-duration", "100ms", "-warmup", "20ms", "-rounds", "1", "-no-bare")
	stderr.Reset()
	cmd.Stderr = &stderr
	if out, err = cmd.Output(); err != nil {
		t.Fatalf("harness -versions: %v\n%s\n%s", err, out, stderr.String())
	}
	for _, re := range []string{
		`\| create_preview@2024-06-20 \| 2 \| \d+ \|`,
		`\| create_preview@2026-10-28.endive \| 2 \| \d+ \|`,
		`\| upcoming_invoice@2024-06-20 \| 2 \| \d+ \|`,
		`\| create_preview@2026-10-28.endive c=2 ≥ 0.9× at 2024-06-20 \| [\d.]+×: (met|MISSED) \|`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	if strings.Contains(string(out), "upcoming_invoice@2026-10-28.endive") || !strings.Contains(stderr.String(), "upcoming_invoice: skipped at 2026-10-28.endive") {
		t.Errorf("the upcoming invoice at endive:\n%s\n%s", out, stderr.String())
	}
	// -baseline: a second emulator (here the same binary) measured in the
	// same rounds, in alternating order, and compared round by round.
	cmd = exec.Command("go", "run", "./load", "-emulator", bin, "-baseline", bin, "-workloads", "create_customer,stream",
		"-conc", "2", "-duration", "100ms", "-warmup", "20ms", "-rounds", "2", "-no-bare")
	stderr.Reset()
	cmd.Stderr = &stderr
	if out, err = cmd.Output(); err != nil {
		t.Fatalf("harness -baseline: %v\n%s\n%s", err, out, stderr.String())
	}
	for _, re := range []string{
		`\| baseline \| [\d.]+ ms \| [\d.]+ MB \|`,
		`\| create_customer \| 2 \| \d+ \| [\d.]+ / [\d.]+ \| \d+ \| [\d.]+ / [\d.]+ \| [\d.]+ \| [\d.]+–[\d.]+ \| [\d.]+ → [\d.]+ \| ([\d.]+ \([\d.]+–[\d.]+\)|—) \| \d+ ms \|`,
		`\| create_customer c=2 CPU per request ≤ 1.05× the baseline \| [\d.]+× \(rounds [\d.]+–[\d.]+, 2 of them\): (met|MISSED) \|`,
		`\| stream \| 2 \| \d+ \|.* \| [\d.]+–[\d.]+ \|`,
		`\| create_customer c=2 ≥ 0.95× the baseline \| [\d.]+× \(rounds [\d.]+–[\d.]+, 2 of them\): (met|MISSED) \|`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	// Rounds alternate the order: emulator first, then baseline first.
	var order []string
	for _, m := range regexp.MustCompile(`(?m)^create_customer +c=2 +(emulator|baseline) +round (\d) .* errors 0  the other emulator's CPU \d+ ms$`).FindAllStringSubmatch(stderr.String(), -1) {
		order = append(order, m[1]+" "+m[2])
	}
	if got := strings.Join(order, ", "); got != "emulator 1, baseline 1, baseline 2, emulator 2" {
		t.Errorf("create_customer's measurements in the order %q, want emulator 1, baseline 1, baseline 2, emulator 2:\n%s", got, stderr.String())
	}
}
