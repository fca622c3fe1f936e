package main

import (
	"slices"
	"strings"
	"testing"
)

func TestRoundOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		rounds int
		want   string // the measurements in time order, rounds apart by "|"
	}{
		{"two: ABBA, never A first throughout", 2, 6, "AB|BA|BA|AB|AB|BA"},
		{"one slot", 1, 3, "A|A|A"},
		{"three slots", 3, 6, "ABC|CBA|BCA|ACB|CAB|BAC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for r := range tc.rounds {
				var b strings.Builder
				for _, k := range roundOrder(tc.n, r) {
					b.WriteByte(byte('A' + k))
				}
				got = append(got, b.String())
			}
			if s := strings.Join(got, "|"); s != tc.want {
				t.Errorf("order %s, want %s", s, tc.want)
			}
		})
	}
}

// Every two rounds measure each pair of slots once in each order, every
// round measures every slot once, and over 2n rounds each slot has each place.
func TestRoundOrderBalanced(t *testing.T) {
	for n := 1; n <= 5; n++ {
		first := map[[2]int]int{} // how often slot a ran before slot b
		place := map[[2]int]int{} // how often slot k ran in place p
		for r := range 2 * n {
			order := roundOrder(n, r)
			if sorted := slices.Sorted(slices.Values(order)); !slices.Equal(sorted, identity(n)) {
				t.Fatalf("n=%d round %d: %v is not every slot once", n, r, order)
			}
			for p, k := range order {
				place[[2]int{k, p}]++
				for _, later := range order[p+1:] {
					first[[2]int{k, later}]++
				}
			}
			if r%2 == 1 {
				for a := range n {
					for b := range n {
						if a != b && first[[2]int{a, b}] != first[[2]int{b, a}] {
							t.Errorf("n=%d after round %d: %d before %d %d times, after it %d times", n, r, a, b, first[[2]int{a, b}], first[[2]int{b, a}])
						}
					}
				}
			}
		}
		for k := range n {
			for p := range n {
				if place[[2]int{k, p}] != 2 {
					t.Errorf("n=%d: slot %d in place %d %d times in %d rounds, want 2", n, k, p, place[[2]int{k, p}], 2*n)
				}
			}
		}
	}
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
