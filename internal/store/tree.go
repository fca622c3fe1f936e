package store

import (
	"errors"
	"fmt"
	"strings"
)

// Tables kept in B-trees (Table.BTree) rather than in go-memdb: tables written
// at API rates. A go-memdb write copies every radix node on the path of every
// index it touches, with a watch channel each, and commits each index into its
// root tree; a record that lands in a B-tree copies a few nodes instead, and
// the nodes it copied stay writable for the rest of its transaction.
//
// Both kinds live in one database and one transaction: go-memdb's writer lock
// serializes write transactions over both, and a reader takes its go-memdb
// snapshot and the B-trees' roots together (DB.pub), so it never sees one
// half of a commit.

// treeTable is one B-tree table in a snapshot: its records by ID and one tree
// per secondary index, keyed by the index key, a NUL and the ID.
type treeTable struct {
	gen     uint64 // the write transaction that made this copy
	ids     btree
	indexes []btree
	// inline holds indexes, when they are this few, in the table's own
	// allocation.
	inline [2]btree
}

// treeDef is a B-tree table's definition.
type treeDef struct {
	slot    int // its place in a treeSet
	indexes []Index
	pos     map[string]int // index name → position in indexes
}

// treeSet is the B-tree tables of a snapshot, in treeDef.slot order.
type treeSet []*treeTable

// tree is the table as this transaction sees it, or nil if it is not a
// B-tree table.
func (t *Txn) tree(table string) *treeTable {
	if t.trees == nil {
		return nil
	}
	if def := t.db.lay.treeDefs[table]; def != nil {
		return t.trees[def.slot]
	}
	return nil
}

// writableTree is the table for changing in this write transaction: the first
// change copies the set and the table.
func (t *Txn) writableTree(table string) (*treeTable, error) {
	if !t.write || t.done {
		return nil, errors.New("a change outside an open write transaction")
	}
	if !t.ownTrees {
		t.trees = append(treeSet(nil), t.trees...)
		t.ownTrees = true
	}
	slot := t.db.lay.treeDefs[table].slot
	tt := t.trees[slot]
	if tt.gen != t.gen {
		c := &treeTable{gen: t.gen, ids: tt.ids}
		if len(tt.indexes) <= len(c.inline) {
			c.indexes = append(c.inline[:0:len(c.inline)], tt.indexes...)
		} else {
			c.indexes = append([]btree(nil), tt.indexes...)
		}
		tt = c
		t.trees[slot] = tt
	}
	return tt, nil
}

// indexEntry is a record's key in a secondary index tree.
func indexEntry(key, id string) string { return key + "\x00" + id }

// entries are a record's keys in the tree of an index: one per key of a
// Keys index; for a due index, at most one, ordered as go-memdb's due
// index orders them (group, due time, creation), then the ID.
func entries(ix Index, r Record) []string {
	if ix.Due == nil {
		keys := ix.Keys(r)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = indexEntry(k, r.RecordID())
		}
		return out
	}
	group, at, ok := ix.Due(r)
	if !ok {
		return nil
	}
	return []string{string(append(dueEntry(group, at, r), stringKey(r.RecordID())...))}
}

// treeFirstAt is the record of an index's first entry at or after key (nil
// if none): FirstDue's lookup in a B-tree table, whose index it has checked.
func (t *Txn) treeFirstAt(tt *treeTable, table, index, key string) Record {
	var first Record
	tt.indexes[t.db.lay.treeDefs[table].pos[index]].ascend(key, true, func(_ string, r Record) bool {
		first = r
		return false
	})
	return first
}

// treePut inserts or replaces a record, updating the table's indexes; it
// returns the record it replaced.
func (t *Txn) treePut(table string, r Record) (Record, error) {
	tt, err := t.writableTree(table)
	if err != nil {
		return nil, err
	}
	id := r.RecordID()
	var before Record
	tt.ids, before = tt.ids.set(t.gen, id, r)
	def := t.db.lay.treeDefs[table]
	for i, ix := range def.indexes {
		if before != nil {
			for _, k := range entries(ix, before) {
				tt.indexes[i], _ = tt.indexes[i].delete(t.gen, k)
			}
		}
		for _, k := range entries(ix, r) {
			tt.indexes[i], _ = tt.indexes[i].set(t.gen, k, r)
		}
	}
	return before, nil
}

// treeRemove deletes a record and its index entries.
func (t *Txn) treeRemove(table string, r Record) error {
	tt, err := t.writableTree(table)
	if err != nil {
		return err
	}
	id := r.RecordID()
	var old Record
	if tt.ids, old = tt.ids.delete(t.gen, id); old == nil {
		return fmt.Errorf("remove %s %s: not found", table, id)
	}
	def := t.db.lay.treeDefs[table]
	for i, ix := range def.indexes {
		for _, k := range entries(ix, old) {
			tt.indexes[i], _ = tt.indexes[i].delete(t.gen, k)
		}
	}
	return nil
}

// treeFind returns the records an index has under key, in ID order.
func (t *Txn) treeFind(tt *treeTable, table, index, key string, limit int) ([]Record, error) {
	def := t.db.lay.treeDefs[table]
	i, ok := def.pos[index]
	if !ok || def.indexes[i].Due != nil {
		return nil, fmt.Errorf("table %s has no index %s to find by key", table, index)
	}
	prefix := indexEntry(key, "")
	var out []Record
	tt.indexes[i].ascend(prefix, true, func(k string, r Record) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		// The entry is key's only if the rest is the ID: the entries of a
		// key that itself holds a NUL ("a\x00x" after "a") follow too.
		if k[len(prefix):] == r.RecordID() {
			out = append(out, r)
		}
		return limit == 0 || len(out) < limit
	})
	return out, nil
}

// treeList is List over a B-tree table.
func treeList(tt *treeTable, page Page, match func(Record) bool) ([]Record, bool) {
	var out []Record
	more := false
	collect := func(_ string, r Record) bool {
		if match != nil && !match(r) {
			return true
		}
		if len(out) == page.Limit {
			more = true
			return false
		}
		out = append(out, r)
		return true
	}
	switch {
	case page.Before != nil:
		tt.ids.ascend(page.Before.RecordID(), false, collect)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case page.After != nil:
		tt.ids.descend(page.After.RecordID(), false, collect)
	default:
		tt.ids.descend("", true, collect)
	}
	return out, more
}
