package billing

import "testing"

// TestEventTime: a change to a record on a test clock happens at the clock's
// time, and at the time of the step while the clock's due work runs; any
// other change happens at the unit's time, which due work of the emulator's
// own clock moves step by step. Every change reaches the sink with its time
// and its step.
func TestEventTime(t *testing.T) {
	const now, frozen, step = 1_719_792_000, 1_719_000_000, 1_719_500_000
	for _, tc := range []struct {
		name      string
		onClock   bool
		due       string // the clock group whose due work runs ("-": none)
		wantAt    int64
		wantSteps int
	}{
		{name: "emulator's clock", due: "-", wantAt: now},
		{name: "test clock", onClock: true, due: "-", wantAt: frozen},
		{name: "test clock, its due work", onClock: true, due: "clock", wantAt: step, wantSteps: 1},
		{name: "test clock, another group's due work", onClock: true, due: "", wantAt: frozen, wantSteps: 1},
		{name: "emulator's clock, its due work", due: "", wantAt: step, wantSteps: 1},
		{name: "emulator's clock, a test clock's due work", due: "clock", wantAt: now, wantSteps: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			clock := w.clock(frozen)
			owner := ""
			if tc.onClock {
				owner = clock.ID
			}
			cu := w.customer(owner, now)
			u := w.unit(now)
			if tc.due != "-" {
				group := tc.due
				if group == "clock" {
					group = clock.ID
				}
				u.startDue(group)
				u.dueStep(step)
			}
			inv := &Invoice{Meta: w.meta("in", now), Customer: cu.ID, Status: InvoiceDraft, TestClock: cu.TestClock}
			if got := u.CustomerNow(cu.ID); got != tc.wantAt {
				t.Errorf("CustomerNow = %d, want %d", got, tc.wantAt)
			}
			if got := u.EventTime(inv); got != tc.wantAt {
				t.Errorf("EventTime = %d, want %d", got, tc.wantAt)
			}
			if err := u.Tx().Put(TableInvoices, inv); err != nil {
				t.Fatal(err)
			}
			u.endDue()
			if err := u.Tx().Remove(TableInvoices, inv); err != nil {
				t.Fatal(err)
			}
			want := []change{{table: TableInvoices, after: inv, at: tc.wantAt, step: tc.wantSteps}, {table: TableInvoices, before: inv, at: frozen, step: tc.wantSteps}}
			if !tc.onClock {
				want[1].at = u.Now()
			}
			if got := w.sink.changes; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("the sink heard %+v, want %+v", got, want)
			}
		})
	}
}

// TestUnitInit: a unit over a read transaction hooks nothing; one without a
// transaction has only its time.
func TestUnitInit(t *testing.T) {
	w := newWorld(t)
	rd := w.db.Read()
	defer rd.Abort()
	var u Unit
	u.Init(rd, nil, w.ids, 42, w.sink)
	if rd.OnChange != nil {
		t.Error("a read transaction got a change hook")
	}
	var none Unit
	none.Init(nil, nil, nil, 7, nil)
	if none.Now() != 7 || none.Tx() != nil || none.Step() != 0 {
		t.Errorf("a unit without a transaction: now %d, tx %v, step %d", none.Now(), none.Tx(), none.Step())
	}
	none.NextStep()
	if none.Step() != 1 {
		t.Errorf("NextStep: step %d, want 1", none.Step())
	}
}
