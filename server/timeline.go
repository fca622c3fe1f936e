package server

import "github.com/stripe-emulator/stripe-emulator/internal/store"

// The timeline: what time it is for a record. The emulator's clock gives a
// request its time (c.unix()); a record on a test clock lives at that clock's
// time instead, and, while due work runs for the clock, at the time of the
// step being run. (Issue 14 moves these onto the billing engine's unit of
// work, as Unit.ClockTime, Unit.CustomerNow and Unit.EventTime.)

// clockTime is a test clock's time: while the clock is being advanced, the
// time of the step being run.
func (c *call) clockTime(id string) int64 {
	if c.proc.active && c.proc.group == id {
		return c.proc.now
	}
	if rec, _ := c.tx.Get(tTestClocks, id); rec != nil {
		return rec.(*testClock).FrozenTime
	}
	return c.unix()
}

// customerNow is the time on the clock the customer lives on: their test
// clock's, or the emulator's.
func (c *call) customerNow(customerID string) int64 {
	if rec, _ := c.tx.Get(tCustomers, customerID); rec != nil {
		if clock := rec.(*customer).TestClock; clock != "" {
			return c.clockTime(clock)
		}
	}
	return c.unix()
}

// eventTime is when a change to a record happens: its test clock's time, or the
// emulator's.
func (c *call) eventTime(r store.Record) int64 {
	clock := ""
	switch x := r.(type) {
	case *customer:
		clock = x.TestClock
	case *subscription:
		clock = x.TestClock
	case *invoice:
		clock = x.TestClock
	case *invoiceItem:
		clock = x.TestClock
	}
	if clock != "" {
		return c.clockTime(clock)
	}
	return c.unix()
}
