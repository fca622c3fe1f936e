package billing

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
