package billing

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// The engine's tests run without HTTP: a world is an account's database (the
// engine's tables, and small stand-ins for the three tables of server's
// records it reads), a source of IDs and a sink that keeps every change, and
// it gives the units of work that the engine's functions take.

// world is one account's data for a test.
type world struct {
	t     *testing.T
	db    *store.DB
	usage *metering.Store
	ids   *countingIDs
	sink  *recordingSink
	tx    *store.Txn // the open write transaction of unit, if any
	// events numbers the meter events reported (their identifiers).
	events int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	tables := append(Tables(), store.Table{Name: TableProducts}, store.Table{Name: TableMeters}, store.Table{Name: TableTestClocks})
	db, err := store.New(tables...)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, db: db, usage: metering.New(metering.DefaultRetention), ids: &countingIDs{}, sink: &recordingSink{}}
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
	u.Init(tx, w.usage, w.ids, now, w.sink)
	return u
}

// commit commits the open unit of work.
func (w *world) commit() {
	w.t.Helper()
	w.open().Commit()
	w.tx = nil
}

// abort aborts the open unit of work (a preview's).
func (w *world) abort() {
	w.t.Helper()
	w.open().Abort()
	w.tx = nil
}

// open is the open unit of work's transaction.
func (w *world) open() *store.Txn {
	w.t.Helper()
	if w.tx == nil {
		w.t.Fatal("no unit of work is open")
	}
	return w.tx
}

// stored is every record of the engine's tables as committed, by table and
// ID (records are never changed once stored: a change is another record).
func (w *world) stored() map[string]map[string]store.Record {
	w.t.Helper()
	tx := w.db.Read()
	defer tx.Abort()
	out := map[string]map[string]store.Record{}
	for _, tb := range Tables() {
		recs := map[string]store.Record{}
		if err := tx.Ascending(tb.Name, func(r store.Record) error {
			recs[r.RecordID()] = r
			return nil
		}); err != nil {
			w.t.Fatal(err)
		}
		out[tb.Name] = recs
	}
	return out
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
// for "") with a working card as their default payment method, as test
// suites attach pm_card_visa first (collection charges it).
func (w *world) customer(clock string, created int64) *Customer {
	cu := w.customerWithoutCard(clock, created)
	w.card(cu, "visa", true)
	return w.get(TableCustomers, cu.ID).(*Customer)
}

// customerWithoutCard stores a customer with no payment method.
func (w *world) customerWithoutCard(clock string, created int64) *Customer {
	cu := &Customer{Meta: w.meta("cus", created), InvoicePrefix: "TEST", NextInvoiceSequence: 1, TaxExempt: "none",
		Metadata: map[string]string{}, TestClock: clock}
	w.put(TableCustomers, cu)
	return cu
}

// card stores a payment method of the test card with that catalogue key,
// attached to the customer, and (asDefault) their
// invoice_settings.default_payment_method.
func (w *world) card(cu *Customer, key string, asDefault bool) *PaymentMethod {
	pm := w.paymentMethod(key, cu.ID)
	if asDefault {
		n := w.get(TableCustomers, cu.ID).(*Customer).Clone()
		n.DefaultPaymentMethod = pm.ID
		w.put(TableCustomers, n)
	}
	return pm
}

// product stores a product.
func (w *world) product(name, unitLabel string) *fakeProduct {
	p := &fakeProduct{Meta: w.meta("prod", 0), name: name, unitLabel: unitLabel}
	w.put(TableProducts, p)
	return p
}

// meter stores a meter that sums (or counts) its events' values.
func (w *world) meter(formula metering.Formula) *fakeMeter {
	m := &fakeMeter{Meta: w.meta("mtr", 0), formula: formula}
	w.put(TableMeters, m)
	return m
}

// price stores a price of a product; shape sets its amounts and terms.
func (w *world) price(product, currency string, shape func(*Price)) *Price {
	pr := &Price{Meta: w.meta("price", 0), Active: true, Product: product, Currency: currency, TaxBehavior: "unspecified",
		Metadata: map[string]string{}}
	shape(pr)
	w.put(TablePrices, pr)
	return pr
}

// subscription stores an active monthly subscription of a customer in its
// first period, from start, with an item of each price (quantity 1 for
// licensed ones).
func (w *world) subscription(cu *Customer, start int64, prices ...*Price) (*Subscription, []*Item) {
	iv := calc.Interval{Unit: "month", Count: 1}
	sub := &Subscription{Meta: w.meta("sub", start), Customer: cu.ID, Status: SubscriptionActive, Currency: prices[0].Currency,
		Interval: iv, BillingCycleAnchor: start, PeriodStart: start, PeriodEnd: calc.AddPeriods(start, iv, 1), StartDate: start,
		CollectionMethod: "charge_automatically", TrialEndBehavior: "create_invoice", Metadata: map[string]string{}, TestClock: cu.TestClock}
	w.put(TableSubscriptions, sub)
	var items []*Item
	for _, pr := range prices {
		it := &Item{Meta: w.meta("si", start), Subscription: sub.ID, Price: pr.ID, Metadata: map[string]string{}}
		if !pr.Metered() {
			it.Quantity = 1
		}
		w.put(TableSubscriptionItems, it)
		items = append(items, it)
	}
	return sub, items
}

// report records a meter event of a customer's usage at a time.
func (w *world) report(m *fakeMeter, customer string, at, value int64) {
	w.t.Helper()
	w.events++
	err := w.usage.Record(metering.Event{Identifier: "ev" + itoa64s(int64(w.events)), EventName: "usage", Meter: m.ID, Customer: customer,
		Counted: true, Timestamp: at, Received: at, Value: value})
	if err != nil {
		w.t.Fatal(err)
	}
}

// dec is a decimal amount, for prices.
func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
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

// event is an event a sink heard that no change describes: About, or
// (snapshot) Snapshot.
type event struct {
	typ      string
	at       int64
	rec      store.Record
	step     int
	snapshot bool
}

// recordingSink keeps every change and event it hears, in order.
type recordingSink struct {
	changes []change
	events  []event
}

func (s *recordingSink) About(typ string, at int64, rec store.Record, step int) {
	s.events = append(s.events, event{typ: typ, at: at, rec: rec, step: step})
}

func (s *recordingSink) Snapshot(typ string, at int64, rec store.Record, step int) error {
	s.events = append(s.events, event{typ: typ, at: at, rec: rec, step: step, snapshot: true})
	return nil
}

func (s *recordingSink) Changed(table string, before, after store.Record, at int64, step int) {
	s.changes = append(s.changes, change{table: table, before: before, after: after, at: at, step: step})
}

// fakeClock is a test clock (server's are testClock records).
type fakeClock struct {
	store.Meta
	frozen int64
}

func (c *fakeClock) Frozen() int64 { return c.frozen }

// fakeProduct is a product (server's are product records).
type fakeProduct struct {
	store.Meta
	name, unitLabel string
}

func (p *fakeProduct) BillingName() string      { return p.name }
func (p *fakeProduct) BillingUnitLabel() string { return p.unitLabel }

// fakeMeter is a meter (server's are meter records).
type fakeMeter struct {
	store.Meta
	formula metering.Formula
}

func (m *fakeMeter) BillingFormula() metering.Formula { return m.formula }
