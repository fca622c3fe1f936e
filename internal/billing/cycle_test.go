package billing

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

const (
	september = int64(1_725_148_800) // 2024-09-01T00:00:00Z
	october   = int64(1_727_740_800) // 2024-10-01
	hour      = int64(3600)
)

// dueShop is a shop whose customers live on one test clock, frozen at the
// start of July (or, onEmulator, on the emulator's own clock).
type dueShop struct {
	*shop
	group string // the clock group of its customers' due work
}

func newDueShop(t *testing.T, onEmulator bool) *dueShop {
	s := &dueShop{shop: newShop(t)}
	if !onEmulator {
		s.group = s.clock(july).ID
	}
	return s
}

// start subscribes a new customer of the shop's clock on July 1 (in is the
// request, with its customer and items filled in) and commits it.
func (s *dueShop) start(in SubscriptionCreate, prices ...*Price) (*Customer, *Subscription) {
	s.t.Helper()
	cu, sub, _ := s.subscribeWith(s.group, july, in, prices...)
	return cu, sub
}

// run runs the due work of the shop's clock group up to until, in a unit of
// its own, and commits it.
func (s *dueShop) run(until int64) {
	s.t.Helper()
	if err := RunDue(s.unit(july), s.group, until); err != nil {
		s.t.Fatal(err)
	}
	s.commit()
}

// dueInvoice is what an invoice of a test's customer is.
type dueInvoice struct {
	reason     string
	status     InvoiceStatus
	start, end int64 // its period
	lines      []int64
	paid       int64 // amount_paid
}

func (d dueInvoice) String() string {
	return fmt.Sprintf("%s %s [%d, %d) %v paid %d", d.reason, d.status, d.start, d.end, d.lines, d.paid)
}

// invoicesOf are a customer's stored invoices, oldest first.
func (s *dueShop) invoicesOf(customer string) []dueInvoice {
	s.t.Helper()
	tx := s.db.Read()
	defer tx.Abort()
	recs, err := tx.Find(TableInvoices, "customer", customer)
	if err != nil {
		s.t.Fatal(err)
	}
	invs := make([]*Invoice, len(recs))
	for i, r := range recs {
		invs[i] = r.(*Invoice)
	}
	store.SortByCreation(invs)
	var out []dueInvoice
	for _, inv := range invs {
		out = append(out, dueInvoice{inv.BillingReason, inv.Status, inv.PeriodStart, inv.PeriodEnd, amounts(inv.Lines), inv.AmountPaid})
	}
	return out
}

// read is a record as committed.
func read[T any](s *dueShop, table, id string) T {
	s.t.Helper()
	tx := s.db.Read()
	defer tx.Abort()
	x, err := Get[T](tx, table, "record", id, "id")
	if err != nil {
		s.t.Fatal(err)
	}
	return x
}

// snapshots are the events no change describes that the sink heard, as
// "type at time".
func (s *dueShop) snapshots() []string {
	var out []string
	for _, ev := range s.sink.events {
		if ev.snapshot {
			out = append(out, fmt.Sprintf("%s at %d", ev.typ, ev.at))
		}
	}
	return out
}

// TestCycles: when time passes, each subscription's period ends at its end:
// the invoice of the period (usage in arrears, licensed items' next period
// in advance) is a draft for an hour, then finalized and collected; a trial
// ends into its first paid period, or, by its end behaviour, pauses or
// cancels; a cancel_at ends the subscription (in the first period, the
// period cut short at it), cancel_at_period_end at the period's end; an open send_invoice
// invoice past its due date makes its subscription past_due; renewal
// notices come three days ahead. (Amounts as in the HTTP tests: seats at
// 3,100 a month; 3,000 Alpaca tokens are 12, below the minimum charge of 50,
// so carried to the balance; 30,000 are 120.)
func TestCycles(t *testing.T) {
	jul2, jul5, jul8, jul16, jul29 := july+day, july+4*day, july+7*day, july+15*day, august-3*day
	upcoming := func(at int64) string { return fmt.Sprintf("invoice.upcoming at %d", at) }
	trialEnds := fmt.Sprintf("customer.subscription.trial_will_end at %d", jul5)
	created := func(lines ...int64) dueInvoice {
		return dueInvoice{"subscription_create", InvoicePaid, july, july, lines, max(lines[0], 0)}
	}
	for _, tc := range []struct {
		name       string
		onEmulator bool // on the emulator's clock, not a test clock
		prices     func(s *shop) []*Price
		in         SubscriptionCreate
		tokens     int64 // Alpaca tokens used on July 5
		until      int64
		status     SubscriptionStatus
		start, end int64 // the subscription's period after
		endedAt    int64
		invoices   []dueInvoice
		balance    int64 // the customer's after
		events     []string
	}{
		{name: "in arrears: the usage of the period, below the minimum charge: carried",
			prices: func(s *shop) []*Price { return []*Price{s.tokens} }, tokens: 3000, until: august + hour,
			status: SubscriptionActive, start: august, end: september,
			invoices: []dueInvoice{created(0), {"subscription_cycle", InvoicePaid, july, august, []int64{12}, 0}},
			balance:  12, events: []string{upcoming(jul29)}},
		{name: "in arrears: charged",
			prices: func(s *shop) []*Price { return []*Price{s.tokens} }, tokens: 30_000, until: august + hour,
			status: SubscriptionActive, start: august, end: september,
			invoices: []dueInvoice{created(0), {"subscription_cycle", InvoicePaid, july, august, []int64{120}, 120}},
			events:   []string{upcoming(jul29)}},
		{name: "in arrears, on the emulator's clock", onEmulator: true,
			prices: func(s *shop) []*Price { return []*Price{s.tokens} }, tokens: 30_000, until: august + hour,
			status: SubscriptionActive, start: august, end: september,
			invoices: []dueInvoice{created(0), {"subscription_cycle", InvoicePaid, july, august, []int64{120}, 120}},
			events:   []string{upcoming(jul29)}},
		{name: "in advance: a licensed item's next period, with the usage in arrears",
			prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} }, tokens: 30_000, until: august + hour,
			status: SubscriptionActive, start: august, end: september,
			invoices: []dueInvoice{created(3100, 0), {"subscription_cycle", InvoicePaid, july, august, []int64{3100, 120}, 3220}},
			events:   []string{upcoming(jul29)}},
		{name: "the draft stays a draft for the hour of grace",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: august + hour - 1,
			status: SubscriptionActive, start: august, end: september,
			invoices: []dueInvoice{created(3100), {"subscription_cycle", InvoiceDraft, july, august, []int64{3100}, 0}},
			events:   []string{upcoming(jul29)}},
		{name: "several periods in one run",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: october + hour,
			status: SubscriptionActive, start: october, end: october + 31*day,
			invoices: []dueInvoice{created(3100),
				{"subscription_cycle", InvoicePaid, july, august, []int64{3100}, 3100},
				{"subscription_cycle", InvoicePaid, august, september, []int64{3100}, 3100},
				{"subscription_cycle", InvoicePaid, september, october, []int64{3100}, 3100}},
			events: []string{upcoming(jul29), upcoming(september - 3*day), upcoming(october - 3*day)}},
		{name: "a trial ends: its first period, in advance",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, in: SubscriptionCreate{TrialPeriodDays: Some(int64(7))}, until: jul8 + hour,
			status: SubscriptionActive, start: jul8, end: jul8 + 31*day,
			invoices: []dueInvoice{created(0), {"subscription_cycle", InvoicePaid, july, jul8, []int64{3100}, 3100}},
			events:   []string{trialEnds}},
		{name: "a trial's end behaviour pause: paused, nothing billed",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: jul8 + hour,
			in:     SubscriptionCreate{TrialPeriodDays: Some(int64(7)), Settings: SubscriptionSettings{TrialEndBehavior: Some("pause")}},
			status: SubscriptionPaused, start: july, end: jul8,
			invoices: []dueInvoice{created(0)}, events: []string{trialEnds}},
		{name: "a trial's end behaviour cancel: canceled, nothing billed",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: jul8 + hour,
			in:     SubscriptionCreate{TrialPeriodDays: Some(int64(7)), Settings: SubscriptionSettings{TrialEndBehavior: Some("cancel")}},
			status: SubscriptionCanceled, start: july, end: jul8, endedAt: jul8,
			invoices: []dueInvoice{created(0)}, events: []string{trialEnds}},
		{name: "cancel_at in the first period: it ends then, charged pro rata (15 of 31 days)",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: jul16 + hour,
			in:     SubscriptionCreate{Settings: SubscriptionSettings{CancelAt: Some(jul16)}},
			status: SubscriptionCanceled, start: july, end: jul16, endedAt: jul16,
			invoices: []dueInvoice{created(1500), {"subscription_cycle", InvoicePaid, july, jul16, []int64{}, 0}}},
		{name: "cancel_at_period_end: the usage of the last period, no next period, no notice",
			prices: func(s *shop) []*Price { return []*Price{s.seat, s.tokens} }, tokens: 30_000, until: august + hour,
			in:     SubscriptionCreate{Settings: SubscriptionSettings{CancelAtPeriodEnd: Some(true)}},
			status: SubscriptionCanceled, start: july, end: august, endedAt: august,
			invoices: []dueInvoice{created(3100, 0), {"subscription_cycle", InvoicePaid, july, august, []int64{120}, 120}}},
		{name: "send_invoice: open until its due date",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: jul2 - 1,
			in:     SubscriptionCreate{Settings: SubscriptionSettings{CollectionMethod: Some("send_invoice"), DaysUntilDue: Some(int64(1))}},
			status: SubscriptionActive, start: july, end: august,
			invoices: []dueInvoice{{"subscription_create", InvoiceOpen, july, july, []int64{3100}, 0}}},
		{name: "send_invoice: past its due date, past_due",
			prices: func(s *shop) []*Price { return []*Price{s.seat} }, until: jul2,
			in:     SubscriptionCreate{Settings: SubscriptionSettings{CollectionMethod: Some("send_invoice"), DaysUntilDue: Some(int64(1))}},
			status: SubscriptionPastDue, start: july, end: august,
			invoices: []dueInvoice{{"subscription_create", InvoiceOpen, july, july, []int64{3100}, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newDueShop(t, tc.onEmulator)
			cu, sub := s.start(tc.in, tc.prices(s.shop)...)
			if tc.tokens != 0 {
				s.report(s.meter, cu.ID, jul5, tc.tokens)
			}
			s.run(tc.until)
			got := read[*Subscription](s, TableSubscriptions, sub.ID)
			if got.Status != tc.status || got.PeriodStart != tc.start || got.PeriodEnd != tc.end || got.EndedAt != tc.endedAt {
				t.Errorf("status %s, period [%d, %d), ended at %d; want %s, [%d, %d), %d", got.Status, got.PeriodStart, got.PeriodEnd,
					got.EndedAt, tc.status, tc.start, tc.end, tc.endedAt)
			}
			invs := s.invoicesOf(cu.ID)
			if !slices.EqualFunc(invs, tc.invoices, func(a, b dueInvoice) bool { return a.String() == b.String() }) {
				t.Errorf("invoices:\n%v\nwant\n%v", invs, tc.invoices)
			}
			if b := read[*Customer](s, TableCustomers, cu.ID).Balance; b != tc.balance {
				t.Errorf("the customer's balance %d, want %d", b, tc.balance)
			}
			if evs := s.snapshots(); !slices.Equal(evs, tc.events) {
				t.Errorf("events %v, want %v", evs, tc.events)
			}
		})
	}
}

// TestGraceHourUsage: usage of the period reported while its renewal invoice
// is still a draft (the hour of grace) is billed on it when it is
// finalized: 4,000 tokens are 16.
func TestGraceHourUsage(t *testing.T) {
	s := newDueShop(t, false)
	cu, _ := s.start(SubscriptionCreate{}, s.tokens)
	s.report(s.meter, cu.ID, july+4*day, 3000)
	s.run(august)
	if invs := s.invoicesOf(cu.ID); len(invs) != 2 || invs[1].status != InvoiceDraft || !slices.Equal(invs[1].lines, []int64{12}) {
		t.Fatalf("at the period's end: %v, want a draft of 12", invs)
	}
	s.report(s.meter, cu.ID, august-hour, 1000)
	s.run(august + hour)
	if invs := s.invoicesOf(cu.ID); len(invs) != 2 || invs[1].status != InvoicePaid || !slices.Equal(invs[1].lines, []int64{16}) {
		t.Errorf("after the hour of grace: %v, want paid, 16", invs)
	}
}

// TestDueSteps: each transition of a run of due work is a step of its own,
// and what it changes happens at the transition's time: on the emulator's
// clock, the unit's time moves with the steps; a test clock's group leaves
// the unit's time alone and its objects take each step's time.
func TestDueSteps(t *testing.T) {
	for _, onEmulator := range []bool{true, false} {
		t.Run(fmt.Sprintf("on the emulator's clock: %v", onEmulator), func(t *testing.T) {
			s := newDueShop(t, onEmulator)
			_, sub := s.start(SubscriptionCreate{}, s.seat)
			heard := len(s.sink.changes)
			u := s.unit(july)
			if err := RunDue(u, s.group, september+hour); err != nil {
				t.Fatal(err)
			}
			// Jul 29 notice, Aug 1 renewal, Aug 1 + 1h finalization, Aug 29
			// notice, Sep 1 renewal, Sep 1 + 1h finalization.
			wantAt := []int64{august - 3*day, august, august + hour, september - 3*day, september, september + hour}
			var steps []int
			var ats []int64
			for _, ch := range s.sink.changes[heard:] {
				if len(steps) == 0 || steps[len(steps)-1] != ch.step {
					steps, ats = append(steps, ch.step), append(ats, ch.at)
				} else if ch.at != ats[len(ats)-1] {
					t.Errorf("step %d: a change at %d, another at %d", ch.step, ats[len(ats)-1], ch.at)
				}
			}
			if !slices.Equal(ats, wantAt) || !slices.Equal(steps, []int{1, 2, 3, 4, 5, 6}) {
				t.Errorf("steps %v at %v, want 1…6 at %v", steps, ats, wantAt)
			}
			wantNow := july
			if onEmulator {
				wantNow = september + hour
			}
			if u.Now() != wantNow || u.Step() != 6 {
				t.Errorf("after the run: now %d, step %d; want %d, 6", u.Now(), u.Step(), wantNow)
			}
			if got := u.CustomerNow(sub.Customer); got != wantNow {
				t.Errorf("after the run the customer's time is %d, want %d (due work is over)", got, wantNow)
			}
		})
	}
}

// TestUpcomingNoticeWritesOnlyTheNotice: the renewal notice stores the
// subscription's note that it was sent, and nothing else: the invoice it
// announces is a preview, never stored (no ID), with the renewal's lines.
func TestUpcomingNoticeWritesOnlyTheNotice(t *testing.T) {
	s := newDueShop(t, false)
	_, sub := s.start(SubscriptionCreate{}, s.seat)
	heard, events := len(s.sink.changes), len(s.sink.events)
	s.run(august - 3*day)
	changes := s.sink.changes[heard:]
	if len(changes) != 1 || changes[0].table != TableSubscriptions || changes[0].before != sub ||
		changes[0].after.(*Subscription).UpcomingNoticeFor != august {
		t.Fatalf("the notice changed %+v, want the subscription's UpcomingNoticeFor only", changes)
	}
	evs := s.sink.events[events:]
	if len(evs) != 1 || evs[0].typ != "invoice.upcoming" || !evs[0].snapshot || evs[0].at != august-3*day || evs[0].step != changes[0].step {
		t.Fatalf("events %+v, want invoice.upcoming in the notice's step", evs)
	}
	inv := evs[0].rec.(*Invoice)
	if inv.ID != "" || !inv.Preview || inv.Subscription != sub.ID || !slices.Equal(amounts(inv.Lines), []int64{3100}) {
		t.Errorf("the upcoming invoice: id %q, preview %v, subscription %s, lines %v", inv.ID, inv.Preview, inv.Subscription, amounts(inv.Lines))
	}
}

// TestFirstDue: the earliest transition of the emulator's own clock, of
// subscriptions and invoices alike; objects on a test clock have their
// clock's due work, never the tick's.
func TestFirstDue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		onClock  bool
		draftAt  int64 // an auto-advancing draft of the customer finalizing then (0: none)
		wantAt   int64
		wantNone bool
	}{
		{name: "nothing due", wantNone: true, onClock: true},
		{name: "a subscription's renewal notice", wantAt: august - 3*day},
		{name: "an invoice before it", draftAt: july + day, wantAt: july + day},
		{name: "an invoice after it", draftAt: august, wantAt: august - 3*day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newDueShop(t, !tc.onClock)
			cu, sub := s.start(SubscriptionCreate{}, s.seat)
			if tc.draftAt != 0 {
				s.put(TableInvoices, &Invoice{Meta: s.meta("in", july), Customer: cu.ID, Status: InvoiceDraft, AutoAdvance: true,
					FinalizesAt: tc.draftAt, TestClock: cu.TestClock})
			}
			tx := s.db.Read()
			defer tx.Abort()
			at, ok, err := FirstDue(tx)
			if err != nil || ok == tc.wantNone || at != tc.wantAt {
				t.Errorf("FirstDue = %d, %v, %v; want %d, %v", at, ok, err, tc.wantAt, !tc.wantNone)
			}
			if at, ok := DueTime(sub); ok != !tc.onClock || ok && at != august-3*day {
				t.Errorf("DueTime(subscription) = %d, %v", at, ok)
			}
		})
	}
}
