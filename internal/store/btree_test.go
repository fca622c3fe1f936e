package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// model is the reference a btree is checked against: a sorted key list.
type model map[string]Record

func (m model) sorted() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkTree compares every read of the tree with the model.
func checkTree(t *testing.T, tr btree, m model, rng *rand.Rand) {
	t.Helper()
	if tr.size != len(m) {
		t.Fatalf("size %d, want %d", tr.size, len(m))
	}
	keys := m.sorted()
	var asc []string
	tr.ascend("", true, func(k string, r Record) bool {
		if r != m[k] {
			t.Fatalf("ascend: %s holds %v, want %v", k, r, m[k])
		}
		asc = append(asc, k)
		return true
	})
	if !slices.Equal(asc, keys) {
		t.Fatalf("ascend gave %d keys, want %d (%v vs %v)", len(asc), len(keys), asc, keys)
	}
	var desc []string
	tr.descend("", true, func(k string, _ Record) bool { desc = append(desc, k); return true })
	slices.Reverse(desc)
	if !slices.Equal(desc, keys) {
		t.Fatalf("descend differs from the sorted keys")
	}
	for range 20 {
		bound := randKey(rng)
		if len(keys) > 0 && rng.IntN(2) == 0 {
			bound = keys[rng.IntN(len(keys))]
		}
		if got, want := tr.get(bound), m[bound]; got != want {
			t.Fatalf("get(%s) = %v, want %v", bound, got, want)
		}
		i := 0
		for i < len(keys) && keys[i] < bound {
			i++
		}
		j := i
		if j < len(keys) && keys[j] == bound {
			j++
		}
		limit := rng.IntN(5) + 1
		var got []string
		tr.ascend(bound, false, func(k string, _ Record) bool { got = append(got, k); return len(got) < limit })
		if want := keys[j:min(j+limit, len(keys))]; !slices.Equal(got, want) {
			t.Fatalf("ascend(>%s, %d) = %v, want %v", bound, limit, got, want)
		}
		got = got[:0]
		tr.ascend(bound, true, func(k string, _ Record) bool { got = append(got, k); return len(got) < limit })
		if want := keys[i:min(i+limit, len(keys))]; !slices.Equal(got, want) {
			t.Fatalf("ascend(>=%s, %d) = %v, want %v", bound, limit, got, want)
		}
		got = got[:0]
		tr.descend(bound, false, func(k string, _ Record) bool { got = append(got, k); return len(got) < limit })
		want := slices.Clone(keys[max(0, i-limit):i])
		slices.Reverse(want)
		if !slices.Equal(got, want) {
			t.Fatalf("descend(<%s, %d) = %v, want %v", bound, limit, got, want)
		}
	}
}

func randKey(rng *rand.Rand) string { return fmt.Sprintf("k%03d", rng.IntN(600)) }

// TestBtreeAgainstModel runs random transactions of inserts, replacements and
// deletes (appends, random keys, runs of deletes) and checks, after each, the
// tree against the model, and that every earlier snapshot still reads as it
// did when it was taken.
func TestBtreeAgainstModel(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		var tr btree
		m := model{}
		type snap struct {
			tr btree
			m  model
		}
		var snaps []snap
		next := 0 // appended keys: a0000, a0001, ... above every k key
		for gen := uint64(1); gen <= 120; gen++ {
			for range rng.IntN(40) {
				var key string
				switch op := rng.IntN(10); {
				case op < 3:
					key = fmt.Sprintf("z%05d", next)
					next++
				case op < 7:
					key = randKey(rng)
				default:
					key = randKey(rng)
					if len(m) > 0 && rng.IntN(2) == 0 {
						ks := m.sorted()
						key = ks[rng.IntN(len(ks))]
					}
					var old Record
					tr, old = tr.delete(gen, key)
					if old != m[key] {
						t.Fatalf("delete(%s) removed %v, want %v", key, old, m[key])
					}
					delete(m, key)
					continue
				}
				r := &rec{Meta: Meta{ID: key, Seq: gen}}
				var old Record
				tr, old = tr.set(gen, key, r)
				if old != m[key] {
					t.Fatalf("set(%s) replaced %v, want %v", key, old, m[key])
				}
				m[key] = r
			}
			checkTree(t, tr, m, rng)
			snaps = append(snaps, snap{tr, maps(m)})
			if gen%10 == 0 {
				for _, s := range snaps {
					checkTree(t, s.tr, s.m, rng)
				}
			}
		}
	}
}

func maps(m model) model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestBtreeSequentialAppends checks that appends keep nodes full: appended
// keys make a tree of the least depth the fanout allows.
func TestBtreeSequentialAppends(t *testing.T) {
	var tr btree
	const n = 100_000
	for i := range n {
		tr, _ = tr.set(uint64(i+1), fmt.Sprintf("k%08d", i), &rec{})
	}
	depth := 0
	for nd := tr.root; nd != nil; nd = nd.kids[0] {
		depth++
		if nd.leaf {
			break
		}
	}
	want := 1 // the least depth whose full tree holds n records
	for c := fanout; c < n; c *= fanout {
		want++
	}
	if depth != want || tr.size != n {
		t.Fatalf("depth %d, size %d; want %d, %d", depth, tr.size, want, n)
	}
}

// tableDefs are one table's definition kept in go-memdb and in B-trees.
func tableDefs(tree bool) []Table {
	return []Table{
		{Name: "jobs", BTree: tree, Indexes: []Index{
			{Name: "group", Keys: func(r Record) []string {
				j := r.(*job)
				if j.Group == "" {
					return nil
				}
				return []string{j.Group, j.Group + "\x00x"} // a key holding a NUL, and two per record
			}},
			{Name: "due", Due: func(r Record) (string, int64, bool) { j := r.(*job); return j.Group, j.At, !j.Done }},
		}},
		{Name: "side"}, // a go-memdb table beside it
	}
}

// TestBTreeTableMatchesMemdb runs the same random transactions against a
// table kept in go-memdb and the same table kept in B-trees, and checks that
// every read answers alike: Get, Find, FindOne, FirstDue, List with both
// cursors, a filter and limits, All, Ascending and Count.
func TestBTreeTableMatchesMemdb(t *testing.T) {
	mem, err := New(tableDefs(false)...)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := New(tableDefs(true)...)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var ids []string
	seq := uint64(0)
	ids2 := func() []string { return ids }
	groups := []string{"", "a", "b", "a\x00x"}
	for round := range 200 {
		txs := []*Txn{mem.Write(), tree.Write()}
		var changes [2][]string
		for i, tx := range txs {
			i := i
			tx.OnChange = func(table string, before, after Record) {
				changes[i] = append(changes[i], fmt.Sprintf("%s %v %v", table, before != nil, after != nil))
			}
		}
		for range rng.IntN(12) {
			op := rng.IntN(10)
			switch {
			case op < 5 || len(ids) == 0:
				seq++
				created := int64(1700000000 + rng.IntN(5))
				j := &job{Meta: Meta{ID: SortableID("job", created, seq), Created: created, Seq: seq}, Group: groups[rng.IntN(len(groups))],
					At: int64(rng.IntN(20) - 5), Done: rng.IntN(4) == 0}
				ids = append(ids, j.ID)
				for _, tx := range txs {
					if err := tx.Put("jobs", j); err != nil {
						t.Fatal(err)
					}
				}
			case op < 8:
				id := ids[rng.IntN(len(ids))]
				group := groups[rng.IntN(len(groups))]
				at, done := int64(rng.IntN(20)-5), rng.IntN(4) == 0
				for _, tx := range txs {
					old, err := tx.Get("jobs", id)
					if err != nil || old == nil {
						t.Fatalf("get %s: %v %v", id, old, err)
					}
					j := *old.(*job)
					j.Group, j.At, j.Done = group, at, done
					if err := tx.Put("jobs", &j); err != nil {
						t.Fatal(err)
					}
				}
			default:
				k := rng.IntN(len(ids))
				id := ids[k]
				ids = slices.Delete(ids, k, k+1)
				for _, tx := range txs {
					old, err := tx.Get("jobs", id)
					if err != nil || old == nil {
						t.Fatalf("get %s: %v %v", id, old, err)
					}
					if err := tx.Remove("jobs", old); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if !slices.Equal(changes[0], changes[1]) {
			t.Fatalf("round %d: OnChange heard %v and %v", round, changes[0], changes[1])
		}
		abort := rng.IntN(5) == 0
		for _, tx := range txs {
			if abort {
				tx.Abort()
			} else {
				tx.Commit()
			}
		}
		if abort {
			// the model's ids are rebuilt from the committed state
			rd := tree.Read()
			ids = ids[:0]
			_ = rd.Ascending("jobs", func(r Record) error { ids = append(ids, r.RecordID()); return nil })
		}
		compareReads(t, mem.Read(), tree.Read(), ids2(), groups, rng)
	}
}

func describe(rs []Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RecordID() + "/" + r.(*job).Group
	}
	return out
}

func compareReads(t *testing.T, a, b *Txn, ids []string, groups []string, rng *rand.Rand) {
	t.Helper()
	both := func(what string, f func(tx *Txn) ([]Record, error)) {
		t.Helper()
		x, err1 := f(a)
		y, err2 := f(b)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", what, err1, err2)
		}
		if !slices.Equal(describe(x), describe(y)) {
			t.Fatalf("%s: go-memdb %v, B-tree %v", what, describe(x), describe(y))
		}
	}
	na, _ := a.Count("jobs")
	nb, _ := b.Count("jobs")
	if na != nb || na != len(ids) {
		t.Fatalf("count %d and %d, want %d", na, nb, len(ids))
	}
	both("ascending", func(tx *Txn) ([]Record, error) {
		var out []Record
		err := tx.Ascending("jobs", func(r Record) error { out = append(out, r); return nil })
		return out, err
	})
	both("all", func(tx *Txn) ([]Record, error) {
		var out []Record
		err := tx.All("jobs", func(r Record) bool { out = append(out, r); return len(out) < 7 })
		return out, err
	})
	for _, g := range append(groups, "c", "a\x00") {
		for _, until := range []int64{-6, 0, 7, 100} {
			both(fmt.Sprintf("first due %q until %d", g, until), func(tx *Txn) ([]Record, error) {
				r, err := tx.FirstDue("jobs", "due", g, until)
				if r == nil {
					return nil, err
				}
				return []Record{r}, err
			})
		}
		both("find "+g, func(tx *Txn) ([]Record, error) { return tx.Find("jobs", "group", g) })
		both("find one "+g, func(tx *Txn) ([]Record, error) {
			r, err := tx.FindOne("jobs", "group", g)
			if r == nil {
				return nil, err
			}
			return []Record{r}, err
		})
	}
	for range 10 {
		page := Page{Limit: rng.IntN(6) + 1}
		if len(ids) > 0 {
			cursor, _ := a.Get("jobs", ids[rng.IntN(len(ids))])
			switch rng.IntN(3) {
			case 0:
				page.After = cursor
			case 1:
				page.Before = cursor
			}
		}
		var match func(Record) bool
		if rng.IntN(2) == 0 {
			match = func(r Record) bool { return r.(*job).Group != "a" }
		}
		var more [2]bool
		for i, tx := range []*Txn{a, b} {
			_, m, err := tx.List("jobs", page, match)
			if err != nil {
				t.Fatal(err)
			}
			more[i] = m
		}
		if more[0] != more[1] {
			t.Fatalf("list %+v: has_more %v and %v", page, more[0], more[1])
		}
		both(fmt.Sprintf("list %+v", page), func(tx *Txn) ([]Record, error) {
			out, _, err := tx.List("jobs", page, match)
			return out, err
		})
	}
	for _, id := range append(slices.Clone(ids), "job_missing") {
		x, _ := a.Get("jobs", id)
		y, _ := b.Get("jobs", id)
		if (x == nil) != (y == nil) || (x != nil && x.(*job).Group != y.(*job).Group) {
			t.Fatalf("get %s: %v and %v", id, x, y)
		}
	}
}

// TestBTreeSnapshotsAndAtomicCommits checks a B-tree table's transactions: a
// read snapshot keeps what it saw, an aborted write leaves nothing, and
// readers running beside a writer see each commit across a go-memdb table and
// a B-tree table whole (run under -race).
func TestBTreeSnapshotsAndAtomicCommits(t *testing.T) {
	db, err := New(tableDefs(true)...)
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx *Txn, table, id string) {
		if err := tx.Put(table, &job{Meta: Meta{ID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	tx := db.Write()
	put(tx, "jobs", "j1")
	tx.Commit()
	before := db.Read()
	tx = db.Write()
	put(tx, "jobs", "j2")
	if r, _ := tx.Get("jobs", "j2"); r == nil {
		t.Fatal("a write transaction does not see its own insert")
	}
	tx.Abort()
	tx.Abort() // twice is harmless
	if r, _ := db.Read().Get("jobs", "j2"); r != nil {
		t.Fatal("an aborted insert is visible")
	}
	tx = db.Write()
	put(tx, "jobs", "j3")
	tx.Commit()
	tx.Abort() // after Commit: nothing
	if err := tx.Put("jobs", &job{Meta: Meta{ID: "j5"}}); err == nil {
		t.Fatal("a committed transaction accepted a change")
	}
	if r, _ := before.Get("jobs", "j3"); r != nil {
		t.Fatal("a snapshot taken before a commit sees it")
	}
	if r, _ := db.Read().Get("jobs", "j3"); r == nil {
		t.Fatal("a commit is not visible")
	}
	if err := before.Put("jobs", &job{Meta: Meta{ID: "j4"}}); err == nil {
		t.Fatal("a read transaction accepted a change")
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var torn atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				rd := db.Read()
				nj, _ := rd.Count("jobs")
				ns, _ := rd.Count("side")
				if nj != ns+2 { // j1 and j3 have no side record
					torn.Add(1)
				}
			}
		}()
	}
	for i := range 2000 {
		tx := db.Write()
		id := fmt.Sprintf("x%05d", i)
		put(tx, "jobs", id)
		put(tx, "side", id)
		tx.Commit()
	}
	stop.Store(true)
	wg.Wait()
	if n := torn.Load(); n > 0 {
		t.Fatalf("%d reads saw one table's half of a commit", n)
	}
}

func TestBTreeTableDefinitions(t *testing.T) {
	for _, tb := range []Table{
		{Name: "x", BTree: true, CustomIDs: true},
		{Name: "x", BTree: true, Indexes: []Index{{Name: "both", Keys: func(Record) []string { return nil }, Due: func(Record) (string, int64, bool) { return "", 0, false }}}},
		{Name: "x", BTree: true, Indexes: []Index{{Name: "neither"}}},
	} {
		if _, err := New(tb, Table{Name: "y"}); err == nil {
			t.Errorf("New accepted %+v", tb)
		}
	}
	db, err := New(Table{Name: "x", BTree: true}, Table{Name: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Read().Find("x", "nope", "k"); err == nil {
		t.Error("Find on a missing index of a B-tree table did not fail")
	}
	if _, err := db.Read().FirstDue("x", "nope", "", 0); err == nil {
		t.Error("FirstDue on a missing index of a B-tree table did not fail")
	}
	tx := db.Write()
	defer tx.Abort()
	if err := tx.Remove("x", &job{Meta: Meta{ID: "gone"}}); err == nil {
		t.Error("removing a missing record did not fail")
	}
}
