package calc

import (
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestPeriodContainingMatchesStepping checks the constant-time PeriodContaining
// against stepping period by period from the anchor (backward too), for
// month-end anchors, every unit and several counts.
func TestPeriodContainingMatchesStepping(t *testing.T) {
	anchors := []int64{
		time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC).Unix(),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Unix(),
		time.Date(2023, 8, 30, 23, 59, 59, 0, time.UTC).Unix(),
		time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC).Unix(),
	}
	for _, anchor := range anchors {
		for _, iv := range []Interval{{"day", 1}, {"day", 45}, {"week", 1}, {"week", 3}, {"month", 1}, {"month", 5}, {"year", 1}, {"year", 2}} {
			var end int64
			end = AddPeriods(anchor, iv, -30)
			for n := int64(-30); n < 60; n++ {
				start := AddPeriods(anchor, iv, n)
				next := AddPeriods(anchor, iv, n+1)
				if start != end {
					t.Fatalf("anchor %d %v: AddPeriods not contiguous at %d", anchor, iv, n)
				}
				end = next
				for _, at := range []int64{start, start + 1, (start + next) / 2, next - 1} {
					s, e := PeriodContaining(anchor, iv, at)
					if s != start || e != next {
						t.Fatalf("anchor %d %v: PeriodContaining(%d) = [%d, %d), want [%d, %d)", anchor, iv, at, s, e, start, next)
					}
				}
			}
		}
	}
	// Far away, it answers at once and stays consistent.
	s, e := PeriodContaining(anchors[0], Interval{"month", 1}, MaxTime)
	if !(s <= MaxTime && MaxTime < e) {
		t.Errorf("at MaxTime: [%d, %d)", s, e)
	}
}

func TestRoundAndAddSaturate(t *testing.T) {
	huge := decimal.RequireFromString("123456789012345678901234567890")
	if Round(huge) != MaxLineAmount || Round(huge.Neg()) != -MaxLineAmount || Round(decimal.RequireFromString("2.5")) != 3 {
		t.Errorf("Round: %d %d", Round(huge), Round(huge.Neg()))
	}
	if Add(math.MaxInt64, 1) != math.MaxInt64 || Add(math.MinInt64, -1) != math.MinInt64 || Add(-5, 3) != -2 {
		t.Error("Add does not saturate")
	}
}

// Span counts periods from the start (Stripe's backdating examples: monthly on
// the 1st, backdated to February 15 or January 15); Stub counts them back from
// a period's end.
func TestSpanAndStub(t *testing.T) {
	month := Interval{"month", 1}
	at := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }
	full := decimal.NewFromInt(3100)
	for _, tt := range []struct {
		name       string
		from, end  int64
		span, stub string // stub: on the cycle anchored at end
	}{
		// February 15 → March 15 2023 is 28 days: 14 of them.
		{"Feb 15 to Mar 1", at(2023, 2, 15), at(2023, 3, 1), "1550", "1550"},
		// January 15 → February 15 is 31 days: 17 of them.
		{"Jan 15 to Feb 1", at(2024, 1, 15), at(2024, 2, 1), "1700", "1700"},
		{"a whole period", at(2024, 1, 1), at(2024, 2, 1), "3100", "3100"},
		{"Sep 1 to Nov 1: two whole periods", at(2024, 9, 1), at(2024, 11, 1), "6200", "6200"},
		// Span: August 15 → September 15, then 16 of September 15 → October 15's 30 days;
		// Stub: 17 of August's 31 days, then September.
		{"Aug 15 to Oct 1", at(2024, 8, 15), at(2024, 10, 1), "4753.333333", "4800"},
		// Span: 15 of January 31 → February 29's 29 days (the end clamped);
		// Stub: 15 of January 15 → February 15's 31 days.
		{"Jan 31 to Feb 15", at(2024, 1, 31), at(2024, 2, 15), "1603.448276", "1500"},
		{"nothing", at(2024, 7, 1), at(2024, 7, 1), "0", "0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Span(full, month, tt.from, tt.end); !got.Round(6).Equal(decimal.RequireFromString(tt.span)) {
				t.Errorf("Span = %s, want %s", got, tt.span)
			}
			if got := Stub(full, tt.end, month, tt.from, tt.end); !got.Round(6).Equal(decimal.RequireFromString(tt.stub)) {
				t.Errorf("Stub = %s, want %s", got, tt.stub)
			}
		})
	}
	// Stub on the subscription's own cycle: the end of a period, from within it.
	if got := Stub(full, at(2024, 1, 1), month, at(2024, 6, 16), at(2024, 7, 1)); !got.Equal(decimal.NewFromInt(1550)) {
		t.Errorf("Stub on the anchor's cycle = %s", got)
	}
}
