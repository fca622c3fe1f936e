package billing

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Legacy usage: the usage records of a metered price without a meter
// (POST /v1/subscription_items/{id}/usage_records), the billing system that
// meters replace.

// LegacyUsage aggregates an item's usage records over [start, end) the way
// its price's recurring[aggregate_usage] says: sum (the default), max, the
// last during the period, or the last ever (before its end).
func LegacyUsage(tx *store.Txn, item, aggregate string, start, end int64) (int64, error) { // transitional: unexported in d7
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
