package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A state file written before issue 14 moved any code, and what it answered
// then: testdata/state/before-r14.jsonl (buildRichState's objects of every
// kind, saved) and before-r14.answers.json. They are written once, by
//
//	go test ./server -run TestStateFileFromBefore -write-state-golden
//
// on the code before the refactor, and kept: a later stage that needs them
// rewritten has changed the state format.
var writeStateGolden = flag.Bool("write-state-golden", false, "rewrite testdata/state/before-r14.* from this code (only before issue 14's refactor)")

// stateAnswers is what the state file answered when it was written.
type stateAnswers struct {
	Now     int64             // the emulator's clock
	Paths   []string          // the reads, in order
	Answers map[string]string // by path: "status body"
	// After are the reads once time has gone on from the state (a month on
	// the test clock, a renewal on the emulator's clock), IDs renumbered.
	After                     []string
	Clock, ClockCustomer      string
	RealCustomer, RealSub     string
	PeriodEnd, ClockAdvanceTo int64
}

// TestStateFileFromBefore loads the state file written before issue 14 into
// a fresh server on the same time: every read answers as it did, the state
// saves again to the same lines (the header's saved_at and the end mark's
// checksum aside), and time going on from it bills as it did.
func TestStateFileFromBefore(t *testing.T) {
	file := filepath.Join("testdata", "state", "before-r14.jsonl")
	answersFile := filepath.Join("testdata", "state", "before-r14.answers.json")
	e := newEnvWithCard(t) // the account's key is the test's name, the same when written and checked
	if *writeStateGolden {
		e.clock.Add(3 * time.Hour)
		st := buildRichState(t, e)
		sa := stateAnswers{Now: e.clock.Now().Unix(), Paths: st.readPaths(t, e), Clock: st.clockID, ClockCustomer: st.clockCus,
			RealCustomer: st.customers[1], RealSub: st.realSub, PeriodEnd: st.periodEnd, ClockAdvanceTo: 1725148800 + 3600}
		sa.Answers = answers(e, sa.Paths)
		state := saveBytes(t, e.srv)
		sa.After = timeGoesOn(t, e, sa)
		b, err := json.MarshalIndent(sa, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, state, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(answersFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes) and %s", file, len(state), answersFile)
		return
	}
	state, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sa stateAnswers
	b, err := os.ReadFile(answersFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sa); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(time.Unix(sa.Now, 0))
	if err := e.srv.LoadState(bytes.NewReader(state)); err != nil {
		t.Fatalf("the state file written before issue 14 does not load: %v", err)
	}
	got := answers(e, sa.Paths)
	for _, p := range sa.Paths {
		if got[p] != sa.Answers[p] {
			t.Errorf("%s:\nbefore %s\nnow    %s", p, sa.Answers[p], got[p])
		}
	}
	// Saved again: the same lines but the first (saved_at) and the end mark,
	// and the empty sections of the tables added since it was written.
	before, again := strings.Split(string(state), "\n"), withoutNewEmptySections(state, saveBytes(t, e.srv))
	if len(before) != len(again) {
		t.Errorf("the loaded state saves %d lines, it had %d", len(again), len(before))
	} else {
		for i := 1; i < len(before)-2; i++ {
			if before[i] != again[i] {
				t.Errorf("the loaded state saves line %d differently:\nbefore %s\nnow    %s", i+1, before[i], again[i])
				break
			}
		}
	}
	after := timeGoesOn(t, e, sa)
	if len(after) != len(sa.After) {
		t.Fatalf("%d reads after time went on, %d before", len(after), len(sa.After))
	}
	// Since issue 16 a renewal is charged to the customer's card, and that
	// file's customers have none (it was written when collection paid "as
	// if by a card"): the renewals stay open, unpaid, and the subscription
	// goes past_due, where they were paid (design-16 "Breaking").
	for i, want := range [][]string{{`"amount_paid":0`, `"status":"open"`, `"attempt_count":1`}, {`"amount_paid":0`, `"status":"open"`}, {`"status":"past_due"`}} {
		if after[i] == sa.After[i] {
			t.Errorf("after time went on, read %d is as it was before issue 16: %s", i, after[i])
		}
		for _, w := range want {
			if !strings.Contains(after[i], w) {
				t.Errorf("after time went on, read %d lacks %s: %s", i, w, after[i])
			}
		}
	}
}

// withoutNewEmptySections is the lines of a state saved again (again) without
// the empty sections of tables the state it was loaded from (orig) has no
// section for: the tables added since orig was written.
func withoutNewEmptySections(orig, again []byte) []string {
	var out []string
	for _, line := range strings.Split(string(again), "\n") {
		var mark struct {
			Section string `json:"section"`
			Count   *int   `json:"count"`
		}
		if json.Unmarshal([]byte(line), &mark) == nil && mark.Section != "" && mark.Count != nil && *mark.Count == 0 &&
			!bytes.Contains(orig, []byte(`{"section":"`+mark.Section+`",`)) {
			continue
		}
		out = append(out, line)
	}
	return out
}

// timeGoesOn advances the state's test clock a month and the emulator's
// clock past the real subscription's period, and reads what they billed,
// with IDs renumbered (new objects' IDs are random).
func timeGoesOn(t *testing.T, e *testEnv, sa stateAnswers) []string {
	t.Helper()
	// The state's webhook endpoint points at the receiver of the run that
	// wrote it: paused, so that nothing is sent there.
	hooks := e.do("GET", "/v1/webhook_endpoints", "")
	for _, h := range hooks.json["data"].([]any) {
		id, _ := h.(map[string]any)["id"].(string)
		if r := e.do("POST", "/v1/webhook_endpoints/"+id, "disabled=true"); r.status != 200 {
			t.Fatalf("pausing the webhook endpoint: %d %s", r.status, r.body)
		}
	}
	if r := e.do("POST", "/v1/test_helpers/test_clocks/"+sa.Clock+"/advance", "frozen_time="+strconv.FormatInt(sa.ClockAdvanceTo, 10)); r.status != 200 {
		t.Fatalf("advancing the test clock: %d %s", r.status, r.body)
	}
	e.clock.Set(time.Unix(sa.PeriodEnd+3600, 0))
	e.srv.tick()
	var out []string
	for _, p := range []string{
		"/v1/invoices?limit=100&customer=" + sa.ClockCustomer,
		"/v1/invoices?limit=100&customer=" + sa.RealCustomer,
		"/v1/subscriptions/" + sa.RealSub,
		"/v1/customers/" + sa.ClockCustomer,
	} {
		r := e.do("GET", p, "")
		out = append(out, p+" "+strconv.Itoa(r.status)+" "+string(r.body))
	}
	return strings.Split(renumberIDs(strings.Join(out, "\n")), "\n")
}
