package billing

import "time"

// Interval is a recurring price's interval.
type Interval struct {
	Unit  string // day, week, month, year
	Count int64
}

// AddPeriods returns anchor moved n intervals forward, keeping the anchor's time
// of day (UTC) and clamping to the end of shorter months: a Jan 31 anchor bills
// on Feb 28 (29), Mar 31, Apr 30, and so on.
func AddPeriods(anchor int64, iv Interval, n int64) int64 {
	t := time.Unix(anchor, 0).UTC()
	count := iv.Count
	if count <= 0 {
		count = 1
	}
	steps := n * count
	switch iv.Unit {
	case "day":
		return t.AddDate(0, 0, int(steps)).Unix()
	case "week":
		return t.AddDate(0, 0, int(7*steps)).Unix()
	case "year":
		return addMonths(t, 12*steps).Unix()
	default:
		return addMonths(t, steps).Unix()
	}
}

func addMonths(t time.Time, months int64) time.Time {
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(total/12), time.Month(total%12+1)
	if last := daysIn(ny, nm); d > last {
		d = last
	}
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// PeriodContaining returns the period [start, end) of a billing cycle anchored at
// anchor that contains t (t at or after anchor).
func PeriodContaining(anchor int64, iv Interval, t int64) (int64, int64) {
	if t < anchor {
		return anchor, AddPeriods(anchor, iv, 1)
	}
	// Estimate, then correct: month lengths vary.
	n := estimatePeriods(anchor, iv, t)
	for n > 0 && AddPeriods(anchor, iv, n) > t {
		n--
	}
	for AddPeriods(anchor, iv, n+1) <= t {
		n++
	}
	return AddPeriods(anchor, iv, n), AddPeriods(anchor, iv, n+1)
}

func estimatePeriods(anchor int64, iv Interval, t int64) int64 {
	count := max(iv.Count, 1)
	var unit int64
	switch iv.Unit {
	case "day":
		unit = 86400
	case "week":
		unit = 7 * 86400
	case "year":
		unit = 365 * 86400
	default:
		unit = 28 * 86400
	}
	return (t - anchor) / (unit * count)
}

// MaxIntervalCount is Stripe's limit on interval_count: three years.
func MaxIntervalCount(unit string) int64 {
	switch unit {
	case "day":
		return 1095
	case "week":
		return 156
	case "month":
		return 36
	case "year":
		return 3
	}
	return 0
}
