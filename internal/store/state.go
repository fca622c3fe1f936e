package store

import (
	"errors"
	"fmt"
)

// Saving and restoring a database (the emulator's -state-file): records are
// read in a stable order and put back as they were, which rebuilds every
// index, the due indexes included.

// Ascending calls fn for every record of a table in ascending ID order (a
// stable order for saving); an error from fn stops the walk and is returned.
func (t *Txn) Ascending(table string, fn func(Record) error) error {
	if tt := t.tree(table); tt != nil {
		var err error
		tt.ids.ascend("", true, func(_ string, r Record) bool {
			err = fn(r)
			return err == nil
		})
		return err
	}
	it, err := t.mem.Get(table, "id")
	if err != nil {
		return err
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if err := fn(raw.(Record)); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of records in a table.
func (t *Txn) Count(table string) (int, error) {
	if tt := t.tree(table); tt != nil {
		return tt.ids.size, nil
	}
	n := 0
	err := t.Ascending(table, func(Record) error { n++; return nil })
	return n, err
}

// Errors of Restore.
var (
	ErrDuplicateID    = errors.New("duplicate ID")
	ErrDuplicateOrder = errors.New("duplicate creation order (created, sequence)")
)

// Restore inserts a saved record into a write transaction. Unlike Put it
// refuses a record whose ID is already in the table, or (tables with custom
// IDs) whose creation order another record has, rather than replace it, and no
// OnChange hook hears it.
func (t *Txn) Restore(table string, r Record) error {
	if !t.write {
		return errors.New("restore needs a write transaction")
	}
	if r.RecordID() == "" {
		return errors.New("a record without an ID")
	}
	if prev, err := t.Get(table, r.RecordID()); err != nil {
		return err
	} else if prev != nil {
		return fmt.Errorf("%w %s", ErrDuplicateID, r.RecordID())
	}
	if t.db.lay.ordered[table] {
		prev, err := t.mem.First(table, "order", r.RecordMeta().OrderKey())
		if err != nil {
			return err
		}
		if prev != nil {
			m := r.RecordMeta()
			return fmt.Errorf("%w (%d, %d): %s and %s", ErrDuplicateOrder, m.Created, m.Seq, prev.(Record).RecordID(), m.ID)
		}
	}
	if t.tree(table) != nil {
		_, err := t.treePut(table, r)
		return err
	}
	t.memWrote = true
	return t.mem.Insert(table, r)
}
