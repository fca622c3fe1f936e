package store

import "testing"

type job struct {
	Meta
	Group string
	At    int64
	Done  bool
}

func TestFirstDue(t *testing.T) {
	db, err := New(Table{Name: "jobs", Indexes: []Index{{Name: "due", Due: func(r Record) (string, int64, bool) {
		j := r.(*job)
		return j.Group, j.At, !j.Done
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.Write()
	for i, j := range []*job{{Group: "a", At: 50}, {Group: "a", At: -10}, {Group: "b", At: 5}, {Group: "", At: 7}, {Group: "a", At: 30, Done: true}, {Group: "ab", At: 1}} {
		j.Meta = Meta{ID: NewID("job"), Seq: uint64(i + 1)}
		if err := tx.Put("jobs", j); err != nil {
			t.Fatal(err)
		}
	}
	tx.Commit()
	rd := db.Read()
	for _, tt := range []struct {
		group string
		until int64
		want  int64 // -1: none
	}{
		{"a", 100, -10}, {"a", -11, -1}, {"a", -10, -10}, {"b", 4, -1}, {"b", 5, 5}, {"", 100, 7}, {"c", 100, -1}, {"ab", 1, 1},
	} {
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
