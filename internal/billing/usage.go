package billing

import (
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Usage: the times bills are cut at, which the account's meter usage keeps
// exact (pinBillingTimes), and legacy usage: the usage records of a metered
// price without a meter (POST /v1/subscription_items/{id}/usage_records), the
// billing system that meters replace.

// PinBillingTimes tells the account's usage which times the records a unit
// of work is about to commit (n of them: stored(i) is the i-th, nil for
// none) bill at: a subscription's
// period, trial and cancellation times and the ranges of its retired items,
// the times an item was added and changed price, a draft invoice's periods
// (an invoice that is no longer a draft bills nothing more). The usage keeps
// second-level detail around those times when it compacts usage older than
// 24 hours, so that every total an invoice needs stays exact. Pins are kept
// for good: call it for what is committed only (a preview, which never
// commits, or a request that fails, must leave none).
func PinBillingTimes(u *Unit, n int, stored func(i int) store.Record) {
	if u.usage == nil {
		return
	}
	// One buffer for every record: a slice given to an interface's method
	// is on the heap. (An iterator would cost its closures too.)
	var buf []int64
	for i := range n {
		r := stored(i)
		if r == nil {
			continue
		}
		var customer string
		if customer, buf = billingTimes(u, r, buf[:0]); customer != "" {
			u.usage.Pin(customer, buf...)
		}
	}
}

// billingTimes are the times a record bills at (appended to buf), and the
// customer whose usage they are ("": none).
func billingTimes(u *Unit, r store.Record, buf []int64) (string, []int64) {
	switch x := r.(type) {
	case *Subscription:
		buf = append(buf, x.StartDate, x.PeriodStart, x.PeriodEnd, x.TrialStart, x.TrialEnd, x.CancelAt, x.BillingCycleAnchor)
		for _, rt := range x.Retired {
			buf = append(buf, rt.Since, rt.Until)
		}
		return x.Customer, buf
	case *Item:
		if rec, _ := u.tx.Get(TableSubscriptions, x.Subscription); rec != nil {
			return rec.(*Subscription).Customer, append(buf, x.Created, x.PriceSince)
		}
	case *Invoice:
		if x.Status != InvoiceDraft {
			return "", buf
		}
		buf = append(buf, x.PeriodStart, x.PeriodEnd)
		for _, l := range x.Lines {
			buf = append(buf, l.PeriodStart, l.PeriodEnd)
		}
		return x.Customer, buf
	}
	return "", buf
}

const (
	// MaxUsageQuantity bounds a usage record's quantity (and what increments
	// add up to at one timestamp): far from int64 overflow when summed over a
	// period.
	MaxUsageQuantity = 1_000_000_000_000
	// MaxUsageFuture is how far ahead of the customer's clock usage may be
	// reported (seconds): a usage record's timestamp, a meter event's.
	MaxUsageFuture = 5 * 60
)

// UsageRecordInput is POST /v1/subscription_items/{id}/usage_records.
type UsageRecordInput struct {
	Item      string // the path's subscription item
	Quantity  int64
	Timestamp Opt[int64] // a time; not set: now ("now", or none given)
	Set       bool       // action=set: the quantity replaces the usage at the timestamp (else it adds)
}

// RecordUsage stores legacy usage of a subscription item at a timestamp: a
// record of its own, or added to (or, with Set, replacing) the one at that
// timestamp. Prices with a meter refuse it, as Stripe does: their usage
// comes from meter events.
func RecordUsage(u *Unit, in UsageRecordInput) (*UsageRecord, error) {
	it, err := GetItem(u.tx, in.Item, "id")
	if err != nil {
		return nil, err
	}
	pr, err := GetPrice(u.tx, it.Price, "price")
	if err != nil {
		return nil, err
	}
	if !pr.Metered() {
		return nil, apierr.InvalidRequest("", "", "Usage records can only be created for subscription items with a metered price (recurring[usage_type]=metered); %s is licensed.", it.ID)
	}
	if pr.Recurring.Meter != "" {
		return nil, apierr.InvalidRequest("", "", "Cannot create a usage record for %s because it is not on the legacy metered billing system. Call /v1/billing/meter_events instead.", it.ID)
	}
	sub, err := GetSubscription(u.tx, it.Subscription, "subscription")
	if err != nil {
		return nil, err
	}
	now := u.CustomerNow(sub.Customer)
	qty := in.Quantity
	if qty < 0 {
		return nil, apierr.Invalid("quantity", "This value must be greater than or equal to 0.")
	}
	if qty > MaxUsageQuantity {
		return nil, apierr.Invalid("quantity", "This value must be less than or equal to %d.", MaxUsageQuantity)
	}
	ts := now
	if in.Timestamp.Set {
		ts = in.Timestamp.V
	}
	if ts < sub.PeriodStart {
		return nil, apierr.Invalid("timestamp", "Cannot create the usage record with this timestamp because timestamps must be after the subscription's last invoice period (or current period start time).")
	}
	if ts > now+MaxUsageFuture {
		return nil, apierr.Invalid("timestamp", "Cannot create the usage record with this timestamp because it is in the future.")
	}
	existing, err := u.tx.FindOne(TableUsageRecords, "item_timestamp", usageKey(it.ID, ts))
	if err != nil {
		return nil, err
	}
	var rec *UsageRecord
	if existing != nil {
		rec = &UsageRecord{}
		*rec = *existing.(*UsageRecord)
		if in.Set {
			rec.Quantity = qty
		} else if rec.Quantity += qty; rec.Quantity > MaxUsageQuantity {
			return nil, apierr.Invalid("quantity", "The usage at this timestamp would exceed %d.", MaxUsageQuantity)
		}
	} else {
		rec = &UsageRecord{Meta: u.ids.NewMeta("mbur", now), Item: it.ID, Timestamp: ts, Quantity: qty}
	}
	if err := u.tx.Put(TableUsageRecords, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// UsageSummaryRequest is GET /v1/subscription_items/{id}/usage_record_summaries.
type UsageSummaryRequest struct {
	Item string // the path's subscription item
	// Limit is the page's size, and LimitErr its fault if it has one (the
	// list rules' own, refused after the item's lookups as Stripe does).
	Limit         int64
	LimitErr      error
	StartingAfter Opt[string] // a summary's ID
}

// UsageSummary is an item's legacy usage over one billing period.
type UsageSummary struct {
	ID         string // sis_<item>_<start in base 36>: a cursor names its period
	Item       string
	Start, End int64
	Total      int64
}

// UsageSummaryPage is a page of an item's usage summaries: More reports a
// next page, Total counts the summaries of every page (the list's
// total_count).
type UsageSummaryPage struct {
	Data  []UsageSummary
	More  bool
	Total int
}

// UsageSummaries lists an item's legacy usage per billing period, newest
// (the current one) first, back to the item's creation, a page at a time.
func UsageSummaries(u *Unit, in UsageSummaryRequest) (UsageSummaryPage, error) {
	var pg UsageSummaryPage
	it, err := GetItem(u.tx, in.Item, "id")
	if err != nil {
		return pg, err
	}
	pr, err := GetPrice(u.tx, it.Price, "price")
	if err != nil {
		return pg, err
	}
	sub, err := GetSubscription(u.tx, it.Subscription, "subscription")
	if err != nil {
		return pg, err
	}
	if in.LimitErr != nil {
		return pg, in.LimitErr
	}
	prefix := "sis_" + it.ID + "_"
	end := sub.PeriodEnd
	if after := in.StartingAfter; after.Set {
		start, ok := strings.CutPrefix(after.V, prefix)
		n, err := strconv.ParseInt(start, 36, 64)
		// A summary's ID names its period's start: within the item's life.
		if !ok || err != nil || n < it.Created || n >= sub.PeriodEnd {
			return pg, apierr.ResourceMissing("usage record summary", "starting_after", after.V)
		}
		end = n
	}
	aggregate := ""
	if pr.Recurring != nil {
		aggregate = pr.Recurring.AggregateUsage
	}
	periodsBack(sub, it, sub.PeriodEnd, func(int64, int64) bool { pg.Total++; return true })
	periodsBack(sub, it, end, func(start, end int64) bool {
		if int64(len(pg.Data)) == in.Limit {
			pg.More = true
			return false
		}
		var total int64
		if total, err = legacyUsage(u.tx, it.ID, aggregate, start, end); err != nil {
			return false
		}
		pg.Data = append(pg.Data, UsageSummary{ID: prefix + strconv.FormatInt(start, 36), Item: it.ID, Start: start, End: end, Total: total})
		return true
	})
	if err != nil {
		return UsageSummaryPage{}, err
	}
	return pg, nil
}

// periodsBack calls f with each of it's billing periods on sub, newest
// first, from the one that ends at end back to the item's creation, until f
// returns false.
func periodsBack(sub *Subscription, it *Item, end int64, f func(start, end int64) bool) {
	for end > it.Created {
		start := max(previousPeriodStart(sub, end), it.Created)
		if !f(start, end) {
			return
		}
		end = start
	}
}

// previousPeriodStart is the start of the billing period that ends at end.
func previousPeriodStart(sub *Subscription, end int64) int64 {
	if end <= sub.BillingCycleAnchor {
		return sub.StartDate
	}
	start, _ := calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, end-1)
	return start
}

// legacyUsage aggregates an item's usage records over [start, end) the way
// its price's recurring[aggregate_usage] says: sum (the default), max, the
// last during the period, or the last ever (before its end).
func legacyUsage(tx *store.Txn, item, aggregate string, start, end int64) (int64, error) {
	recs, err := tx.Find(TableUsageRecords, "item", item)
	if err != nil {
		return 0, err
	}
	var total, lastTS int64 = 0, -1 << 62
	for _, r := range recs {
		u := r.(*UsageRecord)
		inPeriod := u.Timestamp >= start && u.Timestamp < end
		switch aggregate {
		case "last_ever":
			if u.Timestamp < end && u.Timestamp > lastTS {
				total, lastTS = u.Quantity, u.Timestamp
			}
		case "last_during_period":
			if inPeriod && u.Timestamp > lastTS {
				total, lastTS = u.Quantity, u.Timestamp
			}
		case "max":
			if inPeriod && u.Quantity > total {
				total = u.Quantity
			}
		default:
			if inPeriod {
				total = calc.Add(total, u.Quantity)
			}
		}
	}
	return total, nil
}
