package billing

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The engine's tests run without HTTP: a world is an account's database (the
// engine's tables, and small stand-ins for the three tables of server's
// records it reads), a source of IDs and a sink that keeps every change, and
// it gives the units of work that the engine's functions take.

// world is one account's data for a test.
type world struct {
	t    *testing.T
	db   *store.DB
	ids  *countingIDs
	sink *recordingSink
	tx   *store.Txn // the open write transaction of unit, if any
}

func newWorld(t *testing.T) *world {
	t.Helper()
	tables := append(Tables(), store.Table{Name: TableProducts}, store.Table{Name: TableMeters}, store.Table{Name: TableTestClocks})
	db, err := store.New(tables...)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, db: db, ids: &countingIDs{}, sink: &recordingSink{}}
}

// unit opens a write transaction at now (aborted when the test ends unless
// committed) and returns its unit of work.
func (w *world) unit(now int64) *Unit {
	w.t.Helper()
	if w.tx != nil {
		w.t.Fatal("a unit of work is already open")
	}
	w.tx = w.db.Write()
	tx := w.tx
	w.t.Cleanup(tx.Abort)
	u := &Unit{}
	u.Init(tx, nil, w.ids, now, w.sink)
	return u
}

// commit commits the open unit of work.
func (w *world) commit() {
	w.t.Helper()
	if w.tx == nil {
		w.t.Fatal("no unit of work is open")
	}
	w.tx.Commit()
	w.tx = nil
}

// put stores records in a transaction of their own.
func (w *world) put(table string, recs ...store.Record) {
	w.t.Helper()
	tx := w.db.Write()
	defer tx.Abort()
	for _, r := range recs {
		if err := tx.Put(table, r); err != nil {
			w.t.Fatal(err)
		}
	}
	tx.Commit()
}

// meta is a new record's meta, created at a time.
func (w *world) meta(prefix string, created int64) store.Meta { return w.ids.NewMeta(prefix, created) }

// clock stores a test clock frozen at a time.
func (w *world) clock(frozen int64) *fakeClock {
	tc := &fakeClock{Meta: w.meta("clock", frozen), frozen: frozen}
	w.put(TableTestClocks, tc)
	return tc
}

// customer stores a customer (on a test clock, or on the emulator's clock
// for "").
func (w *world) customer(clock string, created int64) *Customer {
	cu := &Customer{Meta: w.meta("cus", created), InvoicePrefix: "TEST", NextInvoiceSequence: 1, TaxExempt: "none",
		Metadata: map[string]string{}, TestClock: clock}
	w.put(TableCustomers, cu)
	return cu
}

// countingIDs numbers records in order, as an account's insertion sequence does.
type countingIDs struct{ seq uint64 }

func (ids *countingIDs) NewMeta(prefix string, created int64) store.Meta {
	ids.seq++
	return store.Meta{ID: store.SortableID(prefix, created, ids.seq), Created: created, Seq: ids.seq}
}

// change is one change a sink heard.
type change struct {
	table         string
	before, after store.Record
	at            int64
	step          int
}

// recordingSink keeps every change it hears, in order.
type recordingSink struct{ changes []change }

func (s *recordingSink) Changed(table string, before, after store.Record, at int64, step int) {
	s.changes = append(s.changes, change{table: table, before: before, after: after, at: at, step: step})
}

// fakeClock is a test clock (server's are testClock records).
type fakeClock struct {
	store.Meta
	frozen int64
}

func (c *fakeClock) Frozen() int64 { return c.frozen }
