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

// Stub charges whole periods at the full amount and the part of the first one
// pro rata: Stripe's backdating examples (monthly on the 1st, backdated to
// Feb 15 or Jan 15) and ranges longer than a period.
func TestStub(t *testing.T) {
	month := Interval{"month", 1}
	at := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }
	full := decimal.NewFromInt(3100)
	for _, tt := range []struct {
		name      string
		anchor    int64
		from, end int64
		want      string
	}{
		{"Feb 15 to Mar 1 of 2023: 14 of 28 days", at(2023, 3, 1), at(2023, 2, 15), at(2023, 3, 1), "1550"},
		{"Jan 15 to Feb 1: 17 of 31 days", at(2024, 2, 1), at(2024, 1, 15), at(2024, 2, 1), "1700"},
		{"a whole period", at(2024, 2, 1), at(2024, 1, 1), at(2024, 2, 1), "3100"},
		{"Sep 1 to Nov 1: two whole periods", at(2024, 11, 1), at(2024, 9, 1), at(2024, 11, 1), "6200"},
		{"Aug 15 to Oct 1: 17 of 31 days and September", at(2024, 10, 1), at(2024, 8, 15), at(2024, 10, 1), "4800"},
		{"the anchor's cycle, end on it", at(2024, 1, 1), at(2024, 6, 16), at(2024, 7, 1), "1550"},
		{"nothing", at(2024, 1, 1), at(2024, 7, 1), at(2024, 7, 1), "0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stub(full, tt.anchor, month, tt.from, tt.end); !got.Round(6).Equal(decimal.RequireFromString(tt.want)) {
				t.Errorf("Stub = %s, want %s", got, tt.want)
			}
		})
	}
}
