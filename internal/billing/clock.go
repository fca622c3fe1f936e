package billing

import "github.com/stripe-emulator/stripe-emulator/internal/billing/calc"

// Test clocks: the engine's part of advancing one (how far it may go, and
// the due work of the objects on it), and of deleting one (the objects on it).

// AdvanceLimit is how far a test clock frozen at a time may move in one
// advance, and why: two intervals of the shortest live subscription on it,
// or two years.
func AdvanceLimit(u *Unit, clock string, frozen int64) (int64, string, error) {
	limit := calc.AddPeriods(frozen, calc.Interval{Unit: "year", Count: 1}, 2)
	why := "two years (there is no subscription on it)"
	recs, err := u.tx.Find(TableSubscriptions, "test_clock", clock)
	if err != nil {
		return 0, "", err
	}
	for _, r := range recs {
		sub := r.(*Subscription)
		if !sub.Live() {
			continue
		}
		if l := calc.AddPeriods(frozen, sub.Interval, 2); l < limit {
			limit, why = l, "two intervals of the shortest subscription on it ("+sub.ID+", "+calc.IntervalText(sub.Interval)+")"
		}
	}
	return limit, why, nil
}

// AdvanceClock runs, in time order and a step each, everything due on a test
// clock up to target: renewals, invoices, finalizations, payments, notices.
// The caller stores the clock at target afterwards, in a step of its own
// (u.NextStep).
func AdvanceClock(u *Unit, clock string, target int64) error {
	return RunDue(u, clock, target)
}

// DeleteClockObjects removes what lives on a test clock that is being
// deleted: its subscriptions (with their items), invoices and invoice items;
// its customers are deleted (what a deleted customer shows is kept). The
// caller removes the clock.
func DeleteClockObjects(u *Unit, clock string) error {
	for _, table := range [...]string{TableSubscriptions, TableInvoices, TableInvoiceItems, TableCustomers} {
		recs, err := u.tx.Find(table, "test_clock", clock)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if cu, ok := r.(*Customer); ok {
				if err := u.tx.Put(TableCustomers, &Customer{Meta: cu.Meta, Deleted: true}); err != nil {
					return err
				}
				continue
			}
			if sub, ok := r.(*Subscription); ok {
				items, err := ItemsOf(u.tx, sub.ID)
				if err != nil {
					return err
				}
				for _, it := range items {
					if err := u.tx.Remove(TableSubscriptionItems, it); err != nil {
						return err
					}
				}
			}
			if err := u.tx.Remove(table, r); err != nil {
				return err
			}
		}
	}
	return nil
}
