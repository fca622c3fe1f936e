// Package store keeps an account's objects in a go-memdb database.
//
// Every stored object is a Record: immutable once inserted (to change one, copy
// it, edit the copy and insert that). Lists are newest first, by (created,
// insertion sequence), with a stable order for objects created in one second.
// IDs made by SortableID encode that order, so most tables are ordered by their
// unique "id" index alone; a table whose IDs callers may choose (products) has
// a second "order" index on (created, sequence).
package store

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	memdb "github.com/hashicorp/go-memdb"
)

// Record is anything stored in a table.
type Record interface {
	RecordID() string
	RecordMeta() *Meta
}

// Meta is embedded in every record.
type Meta struct {
	ID      string
	Created int64  // unix seconds, on the clock the object lives on
	Seq     uint64 // insertion sequence within the account
}

// RecordID implements Record.
func (m *Meta) RecordID() string { return m.ID }

// RecordMeta implements Record.
func (m *Meta) RecordMeta() *Meta { return m }

// OrderKey is the key of the "order" index: created, then sequence, both ascending.
func (m *Meta) OrderKey() []byte { return orderKey(m.Created, m.Seq) }

// SortByCreation orders records oldest first: by creation time, then by
// insertion (the reverse of the order lists page in). It is stable.
func SortByCreation[R Record](rs []R) {
	slices.SortStableFunc(rs, func(a, b R) int {
		ma, mb := a.RecordMeta(), b.RecordMeta()
		return cmp.Or(cmp.Compare(ma.Created, mb.Created), cmp.Compare(ma.Seq, mb.Seq))
	})
}

func orderKey(created int64, seq uint64) []byte {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:], uint64(created)^(1<<63))
	binary.BigEndian.PutUint64(raw[8:], seq)
	return nibbles(raw[:])
}

// nibbles spreads each byte over two (high and low four bits). The radix tree
// behind memdb copies a node's edges on every insert below it; sixteen edges a
// node at most keeps that copy small (256 would cost kilobytes per insert).
func nibbles(b []byte) []byte {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = c >> 4
		out[2*i+1] = c & 0xf
	}
	return out
}

// Table is a table definition: its name and its secondary indexes.
// CustomIDs marks a table whose IDs need not come from SortableID; it gets an
// "order" index to list by.
// BTree keeps the table in B-trees rather than go-memdb (see tree.go): for
// tables written at API rates or by every renewal; such a table has no
// custom IDs.
type Table struct {
	Name      string
	Indexes   []Index
	CustomIDs bool
	BTree     bool
}

// Index is a secondary index computed by a function of the record. Keys return
// the values the record is found under (none: not indexed). An index with Due
// instead orders records by a time within a group (see Txn.FirstDue).
type Index struct {
	Name string
	Keys func(Record) []string
	// Due gives the record's group and the time it is next due; ok false leaves
	// it out of the index.
	Due func(Record) (group string, at int64, ok bool)
}

type idIndexer struct{}

func (idIndexer) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(Record)
	if !ok {
		return false, nil, fmt.Errorf("not a record: %T", raw)
	}
	return true, stringKey(r.RecordID()), nil
}

// stringKey is the index key of a string: its nibbles, then a terminator (16,
// which no nibble is), so that no key is a prefix of another.
func stringKey(s string) []byte {
	out := make([]byte, 2*len(s)+1)
	for i := 0; i < len(s); i++ {
		out[2*i] = s[i] >> 4
		out[2*i+1] = s[i] & 0xf
	}
	out[2*len(s)] = 16
	return out
}

func (idIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("id index takes one argument")
	}
	switch a := args[0].(type) {
	case string:
		return stringKey(a), nil
	case []byte: // a raw key, for range scans
		return a, nil
	}
	return nil, fmt.Errorf("id index argument must be a string, not %T", args[0])
}

type orderIndexer struct{}

func (orderIndexer) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(Record)
	if !ok {
		return false, nil, fmt.Errorf("not a record: %T", raw)
	}
	return true, r.RecordMeta().OrderKey(), nil
}

func (orderIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("order index takes one argument")
	}
	b, ok := args[0].([]byte)
	if !ok {
		return nil, fmt.Errorf("order index argument must be []byte, not %T", args[0])
	}
	return b, nil
}

type funcIndexer struct{ keys func(Record) []string }

func (f funcIndexer) FromObject(raw any) (bool, [][]byte, error) {
	r, ok := raw.(Record)
	if !ok {
		return false, nil, fmt.Errorf("not a record: %T", raw)
	}
	ks := f.keys(r)
	if len(ks) == 0 {
		return false, nil, nil
	}
	out := make([][]byte, len(ks))
	for i, k := range ks {
		out[i] = stringKey(k)
	}
	return true, out, nil
}

func (funcIndexer) FromArgs(args ...any) ([]byte, error) { return idIndexer{}.FromArgs(args...) }

// dueIndexer keys records by (group, due time), so that the earliest due record
// of a group is the first at or after the group's prefix.
type dueIndexer struct {
	due func(Record) (string, int64, bool)
}

func dueKey(group string, at int64) []byte {
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(at)^(1<<63))
	return append(stringKey(group), nibbles(raw[:])...)
}

func (d dueIndexer) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(Record)
	if !ok {
		return false, nil, fmt.Errorf("not a record: %T", raw)
	}
	group, at, ok := d.due(r)
	if !ok {
		return false, nil, nil
	}
	return true, dueEntry(group, at, r), nil
}

// dueEntry is a record's key in a due index: its group and due time, then
// its creation order (go-memdb adds the ID after it; a B-tree entry
// appends it, see entries).
func dueEntry(group string, at int64, r Record) []byte {
	return append(dueKey(group, at), r.RecordMeta().OrderKey()...)
}

func (dueIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("due index takes one argument")
	}
	b, ok := args[0].([]byte)
	if !ok {
		return nil, fmt.Errorf("due index argument must be []byte, not %T", args[0])
	}
	return b, nil
}

// FirstDue returns the record of a group that is due first, if it is due at or
// before until; nil otherwise.
func (t *Txn) FirstDue(table, index, group string, until int64) (Record, error) {
	due := t.db.lay.dues[table+"/"+index]
	if due == nil {
		return nil, fmt.Errorf("%s.%s is not a due index", table, index)
	}
	var r Record
	if tt := t.tree(table); tt != nil {
		r = t.treeFirstAt(tt, table, index, string(stringKey(group)))
	} else {
		it, err := t.mem.LowerBound(table, index, stringKey(group))
		if err != nil {
			return nil, err
		}
		if raw := it.Next(); raw != nil {
			r = raw.(Record)
		}
	}
	if r == nil {
		return nil, nil
	}
	if g, at, ok := due(r); !ok || g != group || at > until {
		return nil, nil
	}
	return r, nil
}

// Schema builds the memdb schema for the given tables.
func Schema(tables ...Table) *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, t := range tables {
		if t.BTree {
			continue
		}
		ts := &memdb.TableSchema{Name: t.Name, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: idIndexer{}},
		}}
		if t.CustomIDs {
			ts.Indexes["order"] = &memdb.IndexSchema{Name: "order", Unique: true, Indexer: orderIndexer{}}
		}
		for _, ix := range t.Indexes {
			var indexer memdb.Indexer = funcIndexer{ix.Keys}
			if ix.Due != nil {
				indexer = dueIndexer{ix.Due}
			}
			ts.Indexes[ix.Name] = &memdb.IndexSchema{Name: ix.Name, AllowMissing: true, Indexer: indexer}
		}
		s.Tables[t.Name] = ts
	}
	return s
}

// DB is one account's database.
type DB struct {
	mem *memdb.MemDB
	lay *layout
	gen atomic.Uint64 // write transactions begun
	// commits counts the write transactions that changed something.
	commits atomic.Uint64
	// pub is held to publish a commit (go-memdb's root and the B-trees'
	// together) and, shared, to take a snapshot of both.
	pub   sync.RWMutex
	trees treeSet // the committed B-tree tables
}

// layout is what the databases of one set of tables share, never changed
// once made: the due indexes, the tables with an "order" index and the B-tree
// tables' definitions.
type layout struct {
	dues     map[string]func(Record) (string, int64, bool)
	ordered  map[string]bool // tables with an "order" index
	treeDefs map[string]*treeDef
}

// New creates an empty database with the given tables.
func New(tables ...Table) (*DB, error) {
	tp, err := NewTemplate(tables...)
	if err != nil {
		return nil, err
	}
	return tp.New(), nil
}

// Template makes empty databases of one set of tables. Each is a go-memdb
// snapshot of one empty database (sharing its schema and its empty root) and
// shares its layout and its empty B-trees, so that a database that is never
// written costs a few hundred bytes rather than the tens of kilobytes of
// building a go-memdb database.
type Template struct{ db *DB }

// NewTemplate checks the tables and makes the template.
func NewTemplate(tables ...Table) (*Template, error) {
	m, err := memdb.NewMemDB(Schema(tables...))
	if err != nil {
		return nil, err
	}
	db := &DB{mem: m, lay: &layout{dues: map[string]func(Record) (string, int64, bool){}, ordered: map[string]bool{}}}
	for _, t := range tables {
		if t.BTree {
			if err := db.addTree(t); err != nil {
				return nil, err
			}
			continue
		}
		db.lay.ordered[t.Name] = t.CustomIDs
		for _, ix := range t.Indexes {
			if ix.Due != nil {
				db.lay.dues[t.Name+"/"+ix.Name] = ix.Due
			}
		}
	}
	return &Template{db: db}, nil
}

// New returns an empty database. The template's own database is never
// written, so its empty B-tree tables (gen 0, no nodes) can be shared: a
// write transaction copies a table before its first change.
func (tp *Template) New() *DB {
	return &DB{mem: tp.db.mem.Snapshot(), lay: tp.db.lay, trees: tp.db.trees}
}

func (db *DB) addTree(t Table) error {
	if t.CustomIDs {
		return fmt.Errorf("table %s: a B-tree table has no custom IDs", t.Name)
	}
	if db.lay.treeDefs == nil {
		db.lay.treeDefs = map[string]*treeDef{}
	}
	def := &treeDef{slot: len(db.trees), indexes: t.Indexes, pos: map[string]int{}}
	for i, ix := range t.Indexes {
		if (ix.Due == nil) == (ix.Keys == nil) {
			return fmt.Errorf("table %s: index %s needs Keys or Due, not both", t.Name, ix.Name)
		}
		def.pos[ix.Name] = i
		if ix.Due != nil {
			db.lay.dues[t.Name+"/"+ix.Name] = ix.Due
		}
	}
	db.lay.treeDefs[t.Name] = def
	db.trees = append(db.trees, &treeTable{indexes: make([]btree, len(t.Indexes))})
	return nil
}

// Txn is a read or write transaction.
type Txn struct {
	mem   *memdb.Txn
	db    *DB
	write bool
	done  bool
	// trees is the B-tree tables this transaction sees; a write transaction
	// copies the set on its first change (ownTrees) and the nodes it changes,
	// marked with its gen.
	trees    treeSet
	ownTrees bool
	gen      uint64
	// memWrote: a change went to a go-memdb table (else Commit need not
	// commit go-memdb's transaction: nothing in it changed).
	memWrote bool
	// OnChange, when set, hears every Put and Remove: the table, the record
	// before (nil for an insert) and after (nil for a removal).
	OnChange func(table string, before, after Record)
}

// Read opens a read-only snapshot.
func (db *DB) Read() *Txn {
	if db.lay.treeDefs == nil {
		return &Txn{mem: db.mem.Txn(false), db: db}
	}
	db.pub.RLock()
	t := &Txn{mem: db.mem.Txn(false), db: db, trees: db.trees}
	db.pub.RUnlock()
	return t
}

// Write opens the write transaction (one at a time per database).
func (db *DB) Write() *Txn {
	mem := db.mem.Txn(true) // waits for the previous writer to end
	return &Txn{mem: mem, db: db, write: true, trees: db.trees, gen: db.gen.Add(1)}
}

// Commits is how many write transactions have changed the database (a
// state save compares it with the count it last wrote).
func (db *DB) Commits() uint64 { return db.commits.Load() }

// Commit makes a write transaction's changes visible to new transactions.
func (t *Txn) Commit() {
	if t.done {
		return
	}
	t.done = true
	if !t.write {
		t.mem.Abort()
		return
	}
	if t.memWrote || t.ownTrees {
		t.db.commits.Add(1)
	}
	if !t.ownTrees {
		t.commitMem()
		return
	}
	t.db.pub.Lock()
	t.db.trees = t.trees // before go-memdb's commit lets the next writer in
	t.commitMem()
	t.db.pub.Unlock()
}

// commitMem ends go-memdb's write transaction, letting the next writer in:
// it commits it if a change went to it, else aborts it, which keeps the
// same root and costs no new one.
func (t *Txn) commitMem() {
	if t.memWrote {
		t.mem.Commit()
	} else {
		t.mem.Abort()
	}
}

// Abort ends a transaction, dropping a write transaction's changes; after
// Commit it does nothing.
func (t *Txn) Abort() {
	if t.done {
		return
	}
	t.done = true
	t.mem.Abort()
}

// Writable reports whether this is a write transaction.
func (t *Txn) Writable() bool { return t.write }

// Get returns the record with the id, or nil.
func (t *Txn) Get(table, id string) (Record, error) {
	if tt := t.tree(table); tt != nil {
		return tt.ids.get(id), nil
	}
	raw, err := t.mem.First(table, "id", id)
	if err != nil || raw == nil {
		return nil, err
	}
	return raw.(Record), nil
}

// Put inserts or replaces a record.
func (t *Txn) Put(table string, r Record) error {
	if t.tree(table) != nil {
		before, err := t.treePut(table, r)
		if err == nil && t.OnChange != nil {
			t.OnChange(table, before, r)
		}
		return err
	}
	var before Record
	if t.OnChange != nil {
		var err error
		if before, err = t.Get(table, r.RecordID()); err != nil {
			return err
		}
	}
	t.memWrote = true
	if err := t.mem.Insert(table, r); err != nil {
		return err
	}
	if t.OnChange != nil {
		t.OnChange(table, before, r)
	}
	return nil
}

// Remove deletes a record.
func (t *Txn) Remove(table string, r Record) error {
	var err error
	if t.tree(table) != nil {
		err = t.treeRemove(table, r)
	} else {
		t.memWrote = true
		err = t.mem.Delete(table, r)
	}
	if err != nil {
		return err
	}
	if t.OnChange != nil {
		t.OnChange(table, r, nil)
	}
	return nil
}

// Find returns the records whose index has the key, in index order.
func (t *Txn) Find(table, index, key string) ([]Record, error) {
	if tt := t.tree(table); tt != nil {
		return t.treeFind(tt, table, index, key, 0)
	}
	it, err := t.mem.Get(table, index, key)
	if err != nil {
		return nil, err
	}
	var out []Record
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(Record))
	}
	return out, nil
}

// FindOne returns the first record whose index has the key, or nil.
func (t *Txn) FindOne(table, index, key string) (Record, error) {
	if tt := t.tree(table); tt != nil {
		out, err := t.treeFind(tt, table, index, key, 1)
		if err != nil || len(out) == 0 {
			return nil, err
		}
		return out[0], nil
	}
	raw, err := t.mem.First(table, index, key)
	if err != nil || raw == nil {
		return nil, err
	}
	return raw.(Record), nil
}

// orderIndex is the index a table is listed by, and a record's key in it.
func (t *Txn) orderIndex(table string) (string, func(Record) []byte) {
	if t.db.lay.ordered[table] {
		return "order", func(r Record) []byte { return r.RecordMeta().OrderKey() }
	}
	return "id", func(r Record) []byte { return stringKey(r.RecordID()) }
}

// All iterates over a table newest first; fn returns false to stop.
func (t *Txn) All(table string, fn func(Record) bool) error {
	if tt := t.tree(table); tt != nil {
		tt.ids.descend("", true, func(_ string, r Record) bool { return fn(r) })
		return nil
	}
	index, _ := t.orderIndex(table)
	it, err := t.mem.GetReverse(table, index)
	if err != nil {
		return err
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !fn(raw.(Record)) {
			return nil
		}
	}
	return nil
}

// Page asks for one page of a list.
type Page struct {
	Limit int
	// After (starting_after) or Before (ending_before): the cursor record, or nil.
	After, Before Record
}

// List returns one page of a table, newest first, keeping records that match,
// and whether more match beyond the page.
func (t *Txn) List(table string, page Page, match func(Record) bool) ([]Record, bool, error) {
	if tt := t.tree(table); tt != nil {
		out, more := treeList(tt, page, match)
		return out, more, nil
	}
	if page.Before != nil {
		return t.listBefore(table, page, match)
	}
	var it memdb.ResultIterator
	var err error
	index, key := t.orderIndex(table)
	if page.After != nil {
		it, err = t.mem.ReverseLowerBound(table, index, before(key(page.After)))
	} else {
		it, err = t.mem.GetReverse(table, index)
	}
	if err != nil {
		return nil, false, err
	}
	var out []Record
	for raw := it.Next(); raw != nil; raw = it.Next() {
		r := raw.(Record)
		if match != nil && !match(r) {
			continue
		}
		if len(out) == page.Limit {
			return out, true, nil
		}
		out = append(out, r)
	}
	return out, false, nil
}

func (t *Txn) listBefore(table string, page Page, match func(Record) bool) ([]Record, bool, error) {
	index, key := t.orderIndex(table)
	it, err := t.mem.LowerBound(table, index, after(key(page.Before)))
	if err != nil {
		return nil, false, err
	}
	var asc []Record
	more := false
	for raw := it.Next(); raw != nil; raw = it.Next() {
		r := raw.(Record)
		if match != nil && !match(r) {
			continue
		}
		if len(asc) == page.Limit {
			more = true
			break
		}
		asc = append(asc, r)
	}
	out := make([]Record, len(asc))
	for i, r := range asc {
		out[len(asc)-1-i] = r
	}
	return out, more, nil
}

// before is the largest order key smaller than k (k is nibbles: digits 0..15).
func before(k []byte) []byte {
	b := append([]byte(nil), k...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] > 0 {
			b[i]--
			return b
		}
		b[i] = 0xf
	}
	return b
}

// after is the smallest order key larger than k.
func after(k []byte) []byte {
	b := append([]byte(nil), k...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xf {
			b[i]++
			return b
		}
		b[i] = 0
	}
	return b
}
