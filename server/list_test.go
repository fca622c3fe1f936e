package server

import (
	"errors"
	"strconv"
	"testing"
)

// TestCursorWindow checks the page of an indexable list (meter event
// summaries, invoice lines, meter error reports) that the cursors and limit
// give: after a cursor, before it (the items just before, has_more when older
// ones remain), from the start, and a missing cursor's error.
func TestCursorWindow(t *testing.T) {
	missing := errors.New("missing")
	find := func(id, _ string) (int, error) {
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= 10 {
			return 0, missing
		}
		return i, nil
	}
	for _, tt := range []struct {
		cur         cursors
		limit       int64
		first, last int
		more        bool
	}{
		{cursors{}, 3, 0, 3, true},
		{cursors{}, 10, 0, 10, false},
		{cursors{}, 100, 0, 10, false},
		{cursors{after: "2", hasAfter: true}, 3, 3, 6, true},
		{cursors{after: "6", hasAfter: true}, 3, 7, 10, false},
		{cursors{after: "9", hasAfter: true}, 3, 10, 10, false},
		{cursors{before: "5", hasBefore: true}, 3, 2, 5, true},
		{cursors{before: "3", hasBefore: true}, 3, 0, 3, false},
		{cursors{before: "1", hasBefore: true}, 3, 0, 1, false},
		{cursors{before: "0", hasBefore: true}, 3, 0, 0, false},
	} {
		first, last, more, err := pageParams{limit: tt.limit, cursors: tt.cur}.window(10, find)
		if err != nil || first != tt.first || last != tt.last || more != tt.more {
			t.Errorf("%+v limit %d: [%d, %d) more %v err %v; want [%d, %d) more %v", tt.cur, tt.limit, first, last, more, err, tt.first, tt.last, tt.more)
		}
	}
	for _, cur := range []cursors{{after: "x", hasAfter: true}, {before: "42", hasBefore: true}} {
		if _, _, _, err := (pageParams{limit: 3, cursors: cur}).window(10, find); err != missing {
			t.Errorf("%+v: error %v, want the cursor's", cur, err)
		}
	}
}
