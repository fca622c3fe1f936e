package store

import (
	"slices"
	"strconv"
	"testing"
)

type job struct {
	Meta
	Group string
	At    int64
	Done  bool
}

// TestFirstDue checks the due index in both kinds of table (go-memdb and
// B-tree): the earliest due record of a group, groups that are prefixes of
// others, records out of the index, and a record whose due time moves or
// that is removed.
func TestFirstDue(t *testing.T) {
	for _, btree := range []bool{false, true} {
		t.Run(map[bool]string{false: "memdb", true: "btree"}[btree], func(t *testing.T) {
			db, err := New(Table{Name: "side"}, Table{Name: "jobs", BTree: btree, Indexes: []Index{{Name: "due", Due: func(r Record) (string, int64, bool) {
				j := r.(*job)
				return j.Group, j.At, !j.Done
			}}}})
			if err != nil {
				t.Fatal(err)
			}
			tx := db.Write()
			jobs := []*job{{Group: "a", At: 50}, {Group: "a", At: -10}, {Group: "b", At: 5}, {Group: "", At: 7}, {Group: "a", At: 30, Done: true}, {Group: "ab", At: 1}, {Group: "c", At: 3}}
			for i, j := range jobs {
				j.Meta = Meta{ID: NewID("job"), Seq: uint64(i + 1)}
				if err := tx.Put("jobs", j); err != nil {
					t.Fatal(err)
				}
			}
			tx.Commit()
			check := func(cases []struct {
				group string
				until int64
				want  int64 // -1: none
			}) {
				t.Helper()
				rd := db.Read()
				defer rd.Abort()
				for _, tt := range cases {
					r, err := rd.FirstDue("jobs", "due", tt.group, tt.until)
					if err != nil {
						t.Fatal(err)
					}
					got := int64(-1)
					if r != nil {
						got = r.(*job).At
					}
					if got != tt.want {
						t.Errorf("FirstDue(%q, %d) = %d, want %d", tt.group, tt.until, got, tt.want)
					}
				}
			}
			check([]struct {
				group string
				until int64
				want  int64
			}{
				{"a", 100, -10}, {"a", -11, -1}, {"a", -10, -10}, {"b", 4, -1}, {"b", 5, 5}, {"", 100, 7}, {"c", 100, 3}, {"d", 100, -1}, {"ab", 1, 1},
			})
			// The job due at -10 moves to 60, the one at 5 leaves the index,
			// the one in c is removed.
			tx = db.Write()
			moved := *jobs[1]
			moved.At = 60
			done := *jobs[2]
			done.Done = true
			for _, j := range []*job{&moved, &done} {
				if err := tx.Put("jobs", j); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Remove("jobs", jobs[6]); err != nil {
				t.Fatal(err)
			}
			tx.Commit()
			check([]struct {
				group string
				until int64
				want  int64
			}{
				{"a", 100, 50}, {"a", 49, -1}, {"b", 100, -1}, {"c", 100, -1}, {"ab", 1, 1},
			})
		})
	}
}

// TestListOrder checks that lists are newest first by (created, sequence),
// through the ID index for sortable IDs and the order index for custom IDs,
// with cursors both ways.
func TestListOrder(t *testing.T) {
	for _, custom := range []bool{false, true} {
		db, err := New(Table{Name: "jobs", CustomIDs: custom})
		if err != nil {
			t.Fatal(err)
		}
		tx := db.Write()
		// created times out of insertion order, several in one second, one before 1970.
		createds := []int64{100, 100, -5, 2_000_000_000, 100, 99}
		for i, c := range createds {
			id := SortableID("job", c, uint64(i+1))
			if custom {
				id = RandomID("job", 5) // no order in the ID itself
			}
			if err := tx.Put("jobs", &job{Meta: Meta{ID: id, Created: c, Seq: uint64(i + 1)}}); err != nil {
				t.Fatal(err)
			}
		}
		tx.Commit()
		rd := db.Read()
		var all []Record
		if err := rd.All("jobs", func(r Record) bool { all = append(all, r); return true }); err != nil {
			t.Fatal(err)
		}
		wantSeq := []uint64{4, 5, 2, 1, 6, 3}
		for i, r := range all {
			if r.RecordMeta().Seq != wantSeq[i] {
				t.Fatalf("custom=%v: order %d is seq %d, want %d", custom, i, r.RecordMeta().Seq, wantSeq[i])
			}
		}
		// Walk forward two at a time, then back.
		var seen []uint64
		var after Record
		for {
			recs, more, err := rd.List("jobs", Page{Limit: 2, After: after}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				seen = append(seen, r.RecordMeta().Seq)
			}
			if !more {
				break
			}
			after = recs[len(recs)-1]
		}
		if len(seen) != len(wantSeq) {
			t.Fatalf("custom=%v: paged %v, want %v", custom, seen, wantSeq)
		}
		for i := range seen {
			if seen[i] != wantSeq[i] {
				t.Fatalf("custom=%v: paged %v, want %v", custom, seen, wantSeq)
			}
		}
		recs, more, err := rd.List("jobs", Page{Limit: 2, Before: all[4]}, nil)
		if err != nil || len(recs) != 2 || !more || recs[0].RecordMeta().Seq != 2 || recs[1].RecordMeta().Seq != 1 {
			t.Fatalf("custom=%v: ending_before = %v, more %v, err %v", custom, recs, more, err)
		}
	}
}

func TestSequenceIDs(t *testing.T) {
	prev := ""
	for _, seq := range []uint64{0, 1, 61, 62, 1 << 20, 62*62*62*62*62*62*62*62 - 1} {
		id := SequenceID("evt", seq, 8, 24)
		if len(id) != 28 || id[:4] != "evt_" || id <= prev {
			t.Fatalf("SequenceID(%d) = %q (previous %q)", seq, id, prev)
		}
		prev = id
		if got, ok := SequenceOf(id, "evt", 8); !ok || got != seq {
			t.Fatalf("SequenceOf(%s) = %d, %v; want %d", id, got, ok, seq)
		}
	}
	for _, id := range []string{"", "evt", "evt_0000000", "evx_00000000", "evt-00000000", "evt_0000000!"} {
		if _, ok := SequenceOf(id, "evt", 8); ok {
			t.Errorf("SequenceOf(%q) accepted it", id)
		}
	}
}

// TestTemplateIsolation checks that databases made by one template share
// nothing that a write changes: a record put in one (a go-memdb table or a
// B-tree table, with its index) is in no other, nor in a database made later.
func TestTemplateIsolation(t *testing.T) {
	tp, err := NewTemplate(Table{Name: "jobs"}, Table{Name: "trees", BTree: true, Indexes: []Index{
		{Name: "group", Keys: func(r Record) []string { return []string{r.(*job).Group} }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := tp.New(), tp.New()
	tx := a.Write()
	for i, table := range []string{"jobs", "trees"} {
		j := &job{Meta: Meta{ID: NewID("job"), Seq: uint64(i + 1)}, Group: "g"}
		if err := tx.Put(table, j); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	for _, tt := range []struct {
		name string
		db   *DB
		want int
	}{{"written", a, 1}, {"sibling", b, 0}, {"made after", tp.New(), 0}} {
		t.Run(tt.name, func(t *testing.T) {
			rd := tt.db.Read()
			defer rd.Abort()
			for _, table := range []string{"jobs", "trees"} {
				n, err := rd.Count(table)
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.want {
					t.Errorf("%s: %d records, want %d", table, n, tt.want)
				}
			}
			found, err := rd.Find("trees", "group", "g")
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != tt.want {
				t.Errorf("trees by group: %d records, want %d", len(found), tt.want)
			}
		})
	}
}

// ties are n jobs in two runs of equal keys, (2, 1) and (1, 1), interleaved:
// j0 (2), j1 (1), j2 (2), …
func ties(n int) []*job {
	out := make([]*job, n)
	for i := range out {
		out[i] = &job{Meta: Meta{ID: "j" + strconv.Itoa(i), Created: int64(2 - i%2), Seq: 1}}
	}
	return out
}

// tieOrder is ties(n) sorted stably: the odd ones, then the even ones, each
// in their order.
func tieOrder(n int) []string {
	var odd, even []string
	for i := range n {
		if i%2 == 1 {
			odd = append(odd, "j"+strconv.Itoa(i))
		} else {
			even = append(even, "j"+strconv.Itoa(i))
		}
	}
	return append(odd, even...)
}

func TestSortByCreation(t *testing.T) {
	// rec is a job created at created, inserted seq-th, named by its ID.
	rec := func(id string, created int64, seq uint64) *job {
		return &job{Meta: Meta{ID: id, Created: created, Seq: seq}}
	}
	for _, tt := range []struct {
		name string
		in   []*job
		want []string
	}{
		{"none", nil, nil},
		{"one", []*job{rec("a", 5, 1)}, []string{"a"}},
		{"already in order", []*job{rec("a", 1, 1), rec("b", 2, 2), rec("c", 3, 3)}, []string{"a", "b", "c"}},
		{"newest first, as lists are", []*job{rec("c", 3, 3), rec("b", 2, 2), rec("a", 1, 1)}, []string{"a", "b", "c"}},
		{"creation time first, then insertion", []*job{rec("late", 9, 1), rec("b", 4, 3), rec("a", 4, 2), rec("early", -100, 7)}, []string{"early", "a", "b", "late"}},
		{"one second, by insertion", []*job{rec("z", 7, 30), rec("x", 7, 10), rec("y", 7, 20)}, []string{"x", "y", "z"}},
		{"ties keep their order", []*job{rec("first", 7, 5), rec("second", 7, 5), rec("zero", 0, 9)}, []string{"zero", "first", "second"}},
		{"ties keep their order, many", ties(40), tieOrder(40)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			SortByCreation(tt.in)
			var ids []string
			for _, j := range tt.in {
				ids = append(ids, j.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
}
