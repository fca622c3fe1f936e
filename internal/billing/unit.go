package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Unit is one unit of billing work: the transaction of a request, or of one
// visit of the tick. Everything the engine reads or writes goes through it.
// A zero Unit is not usable; Init it. It is small and is held by value in
// server's call, so that a request allocates nothing more for it.
type Unit struct {
	tx    *store.Txn // the account's transaction: writable for any change
	usage UsageStore // the account's meter usage
	ids   IDs        // new record metas (the account's insertion sequence)
	sink  Sink       // every stored change, and the events no change describes

	// dunningSettings are the account's retry settings (SetDunning;
	// DefaultDunning until set).
	dunningSettings Dunning
	dunningSet      bool

	now  int64     // the time of the work on the emulator's clock (unix seconds)
	step int       // the stage of due work that changes belong to (events per step)
	proc procState // while due work runs: the clock group, and the time of its step
}

// procState is set while due work runs: the clock group and the time of the step.
type procState struct {
	active bool
	group  string
	now    int64
}

// UsageStore is what the engine needs of the account's meter usage
// (*metering.Store has it).
type UsageStore interface {
	Sum(meter, customer string, start, end int64) metering.Total
	// Pin keeps a customer's usage exact around times bills are cut at
	// (PinBillingTimes). It does not keep times, whose buffer is reused.
	Pin(customer string, times ...int64)
}

// IDs gives new records their meta (server's account: an ID sortable by the
// account's insertion sequence).
type IDs interface {
	NewMeta(prefix string, created int64) store.Meta
}

// Sink receives, in order, what a unit of work did. Server turns it into
// events.
type Sink interface {
	// Changed is every Put and Remove of the transaction (before nil: an
	// insert; after nil: a removal), at the time it happened and in the step
	// of due work it belongs to.
	Changed(table string, before, after store.Record, at int64, step int)
	// About is an event about a stored record that no change of it
	// describes (invoice.sent), at a time and in a step; its data.object is
	// the record as the unit of work leaves it.
	About(typ string, at int64, rec store.Record, step int)
	// Snapshot is an event that no stored change describes, at a time and
	// in a step; its data.object is rec as it is now, with what it refers to
	// as the transaction holds it now: the subscription whose trial ends
	// (customer.subscription.trial_will_end), or an invoice that is never
	// stored (invoice.upcoming's preview). An error is the record's failing
	// to render: the unit of work fails with it.
	Snapshot(typ string, at int64, rec store.Record, step int) error
}

// Init readies u over tx at now (unix seconds on the emulator's clock). On a
// writable tx it hooks every change: its time (EventTime) and step go with it
// to sink. tx, usage and ids may be nil for work that reads nothing (a
// request with no account, or no transaction); only Now is usable then.
func (u *Unit) Init(tx *store.Txn, usage UsageStore, ids IDs, now int64, sink Sink) {
	*u = Unit{tx: tx, usage: usage, ids: ids, sink: sink, now: now}
	if tx != nil && tx.Writable() {
		tx.OnChange = u.onChange
	}
}

// onChange is the transaction's hook: a change happens at its record's time,
// in the current step.
func (u *Unit) onChange(table string, before, after store.Record) {
	r := after
	if r == nil {
		r = before
	}
	u.sink.Changed(table, before, after, u.EventTime(r), u.step)
}

// Tx is the unit's transaction.
func (u *Unit) Tx() *store.Txn { return u.tx }

// Now is the time of the work on the emulator's clock: the request's, or,
// while due work of the emulator's own clock runs, the time of its step.
func (u *Unit) Now() int64 { return u.now }

// Step is the stage of due work that the unit's changes belong to: each is
// its own moment, whose events are derived apart.
func (u *Unit) Step() int { return u.step }

// NextStep starts a new stage (a test clock's advance puts the clock after
// the clock's due work).
func (u *Unit) NextStep() { u.step++ }

// startDue begins due work for a clock group ("": the objects on the
// emulator's own clock).
func (u *Unit) startDue(group string) {
	u.proc = procState{active: true, group: group}
}

// dueStep begins the step of due work at a time: the clock group's time is
// then at (the emulator's clock's too, for its own group).
func (u *Unit) dueStep(at int64) {
	u.proc.now = at
	if u.proc.group == "" {
		u.now = at
	}
	u.step++
}

// endDue ends due work.
func (u *Unit) endDue() { u.proc.active = false }

// ClockTime is a test clock's time: while the clock's due work runs, the time
// of the step being run.
func (u *Unit) ClockTime(clock string) int64 {
	if u.proc.active && u.proc.group == clock {
		return u.proc.now
	}
	if rec, _ := u.tx.Get(TableTestClocks, clock); rec != nil {
		if tc, ok := rec.(ClockView); ok {
			return tc.Frozen()
		}
	}
	return u.now
}

// CustomerNow is the time on the clock the customer lives on: their test
// clock's, or the emulator's.
func (u *Unit) CustomerNow(customer string) int64 {
	if rec, _ := u.tx.Get(TableCustomers, customer); rec != nil {
		if clock := rec.(*Customer).TestClock; clock != "" {
			return u.ClockTime(clock)
		}
	}
	return u.now
}

// onClock is a record that lives on a test clock, if it names one.
type onClock interface{ clock() string }

// EventTime is when a change to a record happens: its test clock's time, or
// the emulator's.
func (u *Unit) EventTime(r store.Record) int64 {
	if x, ok := r.(onClock); ok {
		if clock := x.clock(); clock != "" {
			return u.ClockTime(clock)
		}
	}
	return u.now
}
