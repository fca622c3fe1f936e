package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// pinBillingTimes tells the customers' usage store which times bills are cut
// at: a subscription's period, trial and cancellation times, the times its
// items changed price, a draft invoice's periods. The store keeps second-level
// usage around those times when it compacts usage older than 24 hours, so that
// every total an invoice needs stays exact. It runs for the changes a write
// transaction is about to commit (pins are kept for good: a preview, which
// never commits, or a request that fails must leave none).
func (c *call) pinBillingTimes() {
	if c.acct == nil {
		return
	}
	for _, m := range c.log.muts {
		if m.after != nil {
			c.pinRecord(m.after)
		}
	}
}

func (c *call) pinRecord(r store.Record) {
	switch x := r.(type) {
	case *billing.Subscription:
		times := []int64{x.StartDate, x.PeriodStart, x.PeriodEnd, x.TrialStart, x.TrialEnd, x.CancelAt, x.BillingCycleAnchor}
		for _, rt := range x.Retired {
			times = append(times, rt.Since, rt.Until)
		}
		c.acct.usage.Pin(x.Customer, times...)
	case *billing.Item:
		if rec, _ := c.tx.Get(tSubscriptions, x.Subscription); rec != nil {
			c.acct.usage.Pin(rec.(*billing.Subscription).Customer, x.Created, x.PriceSince)
		}
	case *billing.Invoice:
		if x.Status != billing.InvoiceDraft {
			return
		}
		times := []int64{x.PeriodStart, x.PeriodEnd}
		for _, l := range x.Lines {
			times = append(times, l.PeriodStart, l.PeriodEnd)
		}
		c.acct.usage.Pin(x.Customer, times...)
	}
}
