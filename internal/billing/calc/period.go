package calc

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

// PeriodContaining returns the period [start, end) of the billing cycle
// anchored at anchor that contains t: periods run from the anchor forward and
// backward (before the anchor, the period ending at the anchor contains t). It
// takes constant time: the number of whole periods is computed from the
// calendar, then corrected by at most one or two.
func PeriodContaining(anchor int64, iv Interval, t int64) (int64, int64) {
	n := periodIndex(anchor, iv, t)
	return AddPeriods(anchor, iv, n), AddPeriods(anchor, iv, n+1)
}

// periodIndex is the n for which t falls in [AddPeriods(anchor, iv, n),
// AddPeriods(anchor, iv, n+1)).
func periodIndex(anchor int64, iv Interval, t int64) int64 {
	n := estimatePeriods(anchor, iv, t)
	for i := 0; i < 3 && AddPeriods(anchor, iv, n) > t; i++ {
		n--
	}
	for i := 0; i < 3 && AddPeriods(anchor, iv, n+1) <= t; i++ {
		n++
	}
	return n
}

// estimatePeriods is the number of whole intervals from anchor to t (negative
// before the anchor), exact for days and weeks and within one for months and years.
func estimatePeriods(anchor int64, iv Interval, t int64) int64 {
	count := max(iv.Count, 1)
	switch iv.Unit {
	case "day":
		return floorDiv(t-anchor, 86400*count)
	case "week":
		return floorDiv(t-anchor, 7*86400*count)
	}
	a, b := time.Unix(anchor, 0).UTC(), time.Unix(t, 0).UTC()
	months := (int64(b.Year())-int64(a.Year()))*12 + int64(b.Month()) - int64(a.Month())
	if iv.Unit == "year" {
		count *= 12
	}
	return floorDiv(months, count)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// MinTime and MaxTime bound the times the emulator accepts anywhere (the
// years 1970 to 9999): period arithmetic stays exact and far from overflow.
const (
	MinTime int64 = 0
	MaxTime int64 = 253402300799 // 9999-12-31T23:59:59Z
)

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
