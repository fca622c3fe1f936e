package store

import (
	"errors"
	"testing"
)

// Restoring records rebuilds every index (the due index included, in go-memdb
// and B-tree tables alike), in a stable order, and refuses what would silently
// replace another record.
func TestRestoreRebuildsIndexes(t *testing.T) {
	for _, btree := range []bool{false, true} {
		t.Run(map[bool]string{false: "memdb", true: "btree"}[btree], func(t *testing.T) { testRestoreRebuildsIndexes(t, btree) })
	}
}

func testRestoreRebuildsIndexes(t *testing.T, btree bool) {
	tables := []Table{
		{Name: "jobs", BTree: btree, Indexes: []Index{
			{Name: "group", Keys: func(r Record) []string { return []string{r.(*job).Group} }},
			{Name: "due", Due: func(r Record) (string, int64, bool) { j := r.(*job); return j.Group, j.At, !j.Done }},
		}},
		{Name: "named", CustomIDs: true},
	}
	src, err := New(tables...)
	if err != nil {
		t.Fatal(err)
	}
	tx := src.Write()
	for i, j := range []*job{{Group: "a", At: 50}, {Group: "a", At: 20}, {Group: "b", At: 5, Done: true}} {
		j.Meta = Meta{ID: SortableID("job", 100, uint64(i+1)), Created: 100, Seq: uint64(i + 1)}
		if err := tx.Put("jobs", j); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"zeta", "alpha"} {
		if err := tx.Put("named", &job{Meta: Meta{ID: id, Created: 100, Seq: uint64(10 + i)}}); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()

	dst, err := New(tables...)
	if err != nil {
		t.Fatal(err)
	}
	rd, wr := src.Read(), dst.Write()
	heard := 0
	wr.OnChange = func(string, Record, Record) { heard++ }
	for _, table := range []string{"jobs", "named"} {
		var ids []string
		err := rd.Ascending(table, func(r Record) error {
			ids = append(ids, r.RecordID())
			return wr.Restore(table, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				t.Fatalf("%s: not ascending: %v", table, ids)
			}
		}
	}
	if heard != 0 {
		t.Errorf("OnChange heard %d restores", heard)
	}
	dup := &job{Meta: Meta{ID: "zeta", Created: 1, Seq: 99}}
	if err := wr.Restore("named", dup); !errors.Is(err, ErrDuplicateID) {
		t.Errorf("a duplicate ID: %v", err)
	}
	clash := &job{Meta: Meta{ID: "beta", Created: 100, Seq: 10}}
	if err := wr.Restore("named", clash); !errors.Is(err, ErrDuplicateOrder) {
		t.Errorf("a duplicate order: %v", err)
	}
	if err := wr.Restore("jobs", &job{}); err == nil {
		t.Error("a record without an ID was restored")
	}
	if err := rd.Restore("jobs", &job{Meta: Meta{ID: "x"}}); err == nil {
		t.Error("restored in a read transaction")
	}
	wr.Commit()

	got := dst.Read()
	if r, _ := got.FirstDue("jobs", "due", "a", 100); r == nil || r.(*job).At != 20 {
		t.Errorf("due index after restore: %v", r)
	}
	if r, _ := got.FirstDue("jobs", "due", "b", 100); r != nil {
		t.Errorf("a record out of the due index is in it after restore: %v", r)
	}
	if recs, _ := got.Find("jobs", "group", "a"); len(recs) != 2 {
		t.Errorf("group index after restore: %d records", len(recs))
	}
	page, _, _ := got.List("named", Page{Limit: 10}, nil)
	if len(page) != 2 || page[0].RecordID() != "alpha" || page[1].RecordID() != "zeta" {
		t.Errorf("order index after restore: %v", page)
	}
	for table, want := range map[string]int{"jobs": 3, "named": 2} {
		if n, err := got.Count(table); err != nil || n != want {
			t.Errorf("%s: %d records (%v), want %d", table, n, err, want)
		}
	}
}
