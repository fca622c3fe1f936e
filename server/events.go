package server

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Events are derived from what a transaction changed: every Put and Remove is
// recorded as a mutation, at the time it happened (a test clock's time for
// objects on a clock), and turned into Stripe events after the handler returns.
// Their JSON is rendered then, from the state the request left.

// mutation is one change a request made, or (ev set) an event no stored change
// describes, kept in the same stream so that events come out in the order
// things happened.
type mutation struct {
	table  string
	before store.Record
	after  store.Record
	at     int64
	step   int
	ev     *eventRecord
}

// eventRecord is one event. Its data.object is rendered from the record it
// names (object), and previous_attributes from a diff with previous, when the
// event is derived.
type eventRecord struct {
	id       string
	typ      string
	created  int64
	reqID    string
	idemKey  string
	object   store.Record
	previous store.Record
	// prevItems are a subscription's items before an item change.
	prevItems []*billing.Item
	hasPrev   bool
	// raw is the data.object of events that have no record (invoice.upcoming,
	// billing.alert.triggered), rendered when they happen at each version
	// the event is rendered at.
	raw     []rawObject
	pending atomic.Int64

	// The event as created: version is the version its data was rendered
	// at, the account's default then (what /v1/events serves and an
	// endpoint without an api_version receives). data is the JSON of the
	// event's data ({"object":…,"previous_attributes":…}), made when the
	// event is derived. Bytes, not a tree: an account keeps up to 100,000
	// events, and bytes cost the garbage collector nothing to scan.
	version apiversion.Version
	data    []byte
	// tree is the data as a tree, kept only when it has includable fields
	// (jsonobj.Hidden, such as a price's tiers), which expand[] can reveal but
	// the bytes leave out.
	tree jsonobj.Obj
	// others are its renderings at the other versions of the webhook
	// endpoints that were to receive it (their api_version): each gets its own.
	others []rendering
	// size is what the event holds (eventBytes), set as it joins the log.
	size int64
}

// rendering is an event's data rendered at one API version.
type rendering struct {
	v    apiversion.Version
	data []byte
	tree jsonobj.Obj
}

// rawObject is a raw event's data.object at one version.
type rawObject struct {
	v   apiversion.Version
	obj jsonobj.Obj
}

// at is the event's data rendered at v; false when it was not (an endpoint
// made after the event).
func (ev *eventRecord) at(v apiversion.Version) (rendering, bool) {
	if v == ev.version {
		return rendering{v: v, data: ev.data, tree: ev.tree}, true
	}
	for _, r := range ev.others {
		if r.v == v {
			return r, true
		}
	}
	return rendering{}, false
}

// envelope is the event object around its data (jsonobj.Raw, or a tree to
// expand) rendered at v.
func (ev *eventRecord) envelope(v apiversion.Version, data any, pending int64) jsonobj.Obj {
	var request any = jsonobj.Obj{{K: "id", V: nil}, {K: "idempotency_key", V: nil}}
	if ev.reqID != "" {
		request = jsonobj.Obj{{K: "id", V: ev.reqID}, {K: "idempotency_key", V: orNull(ev.idemKey)}}
	}
	return jsonobj.Obj{
		{K: "id", V: ev.id},
		{K: "object", V: "event"},
		{K: "api_version", V: v.String()},
		{K: "created", V: ev.created},
		{K: "data", V: data},
		{K: "livemode", V: false},
		{K: "pending_webhooks", V: pending},
		{K: "request", V: request},
		{K: "type", V: ev.typ},
	}
}

// maxEvents is how many events an account keeps (the newest).
const maxEvents = 100_000

// DefaultEventsMaxTotalBytes is the default of Options.EventsMaxTotalBytes.
const DefaultEventsMaxTotalBytes = 1 << 30

// eventLog is an account's events, oldest first.
//
// An event gets its ID as it joins the log: evt_, its sequence number in the
// log (eight base62 characters) and sixteen random ones. The log's own events
// are numbered without gaps, so an ID leads to its event's place in the log
// with no index to keep. Events loaded from a state file keep the IDs they
// had, found through byID.
//
// The log keeps the newest maxEvents, and shares a budget in bytes with every
// other account's event log and meter error reports (Options.EventsMaxTotalBytes):
// past it, the accounts holding the most drop their oldest events first. The
// zero value with budget set is an empty log.
type eventLog struct {
	mu     sync.RWMutex
	events []*eventRecord
	// loaded is how many of events (the oldest) came from a state file.
	loaded int
	byID   map[string]*eventRecord // the loaded events
	// next is the sequence number of the next event to join; events[loaded]
	// has number next-(len(events)-loaded).
	next uint64
	// dropped counts the events dropped (the oldest, past maxEvents or the
	// budget), for state saves; share.bytes is what events hold (eventBytes).
	dropped uint64
	share   budgetShare
}

func newEventLog(b *budget) *eventLog { return &eventLog{next: 1, share: budgetShare{budget: b}} }

// eventSeqWidth is how many base62 characters of an event ID hold its number.
const eventSeqWidth = 8

// eventRecordBytes is what an event holds besides its strings and data: its
// struct (rounded to its size class) and its slot in the log (8 bytes, and
// up to half as much again while the slice grows), measured by
// TestEventLogBytes.
const eventRecordBytes = 256 + 12

// eventBytes is what a rendered event holds: its struct and slot, its own
// strings (the request ID is shared by the events of a request, and counted
// for each) and its data, as bytes and as a tree when it has one.
func eventBytes(ev *eventRecord) int64 {
	n := eventRecordBytes + allocBytes(len(ev.id)) + allocBytes(len(ev.reqID)) + allocBytes(len(ev.idemKey)) + allocBytes(cap(ev.data))
	if ev.tree != nil {
		n += treeBytes(ev.tree)
	}
	if len(ev.others) > 0 {
		n += allocBytes(cap(ev.others) * renderingBytes)
		for _, r := range ev.others {
			n += allocBytes(cap(r.data))
			if r.tree != nil {
				n += treeBytes(r.tree)
			}
		}
	}
	return n
}

// renderingBytes is the size of a rendering in a slice.
const renderingBytes = 56

// append adds events, giving each its ID (a closed log gives them IDs and
// keeps nothing).
func (l *eventLog) append(evs []*eventRecord) {
	if len(evs) == 0 {
		return
	}
	l.mu.Lock()
	for _, ev := range evs {
		ev.id = store.SequenceID("evt", l.next, eventSeqWidth, 24)
		l.next++
		if !l.share.closed {
			ev.size = eventBytes(ev)
			l.events = append(l.events, ev)
			l.share.grow(ev.size)
		}
	}
	l.trim()
	l.mu.Unlock()
	l.enforce()
}

// appendLoaded adds the events of a state file (to an empty log), as they were.
func (l *eventLog) appendLoaded(evs []*eventRecord) {
	l.mu.Lock()
	l.byID = make(map[string]*eventRecord, len(evs))
	for _, ev := range evs {
		l.byID[ev.id] = ev
		ev.size = eventBytes(ev)
		l.share.grow(ev.size)
	}
	l.events = append(l.events, evs...)
	l.loaded += len(evs)
	l.trim()
	l.mu.Unlock()
	l.enforce()
}

// enforce joins the budget on the log's first events and keeps the total
// within it (called without l.mu: the budget's lock comes first).
func (l *eventLog) enforce() {
	l.mu.Lock()
	join := l.share.joining(len(l.events) > 0)
	l.mu.Unlock()
	if join {
		l.share.budget.join(l)
	}
	l.share.budget.enforce()
}

// trim drops the oldest events beyond maxEvents, a quarter at a time, so that
// the copy is paid once per maxEvents/4 events.
func (l *eventLog) trim() {
	if over := len(l.events) - maxEvents; over > maxEvents/4 {
		l.dropOldest(over)
	}
}

// dropOldest drops the n oldest events. The slice is copied, not changed in
// place: a state save may be reading the old one (snapshot).
func (l *eventLog) dropOldest(n int) {
	for _, ev := range l.events[:n] {
		l.share.grow(-ev.size)
	}
	for _, ev := range l.events[:min(n, l.loaded)] {
		delete(l.byID, ev.id)
	}
	l.loaded = max(0, l.loaded-n)
	l.dropped += uint64(n)
	l.events = slices.Clone(l.events[n:])
}

func (l *eventLog) held() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.share.bytes
}

// shed drops the oldest events until at least n bytes are freed (or none
// is left).
func (l *eventLog) shed(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := oldestToFree(n, len(l.events), func(i int) int64 { return l.events[i].size }); k > 0 {
		l.dropOldest(k)
	}
}

func (l *eventLog) open() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return !l.share.closed
}

// close drops every event, for good (the account was reset).
func (l *eventLog) close() {
	l.share.budget.leave(l, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.share.release()
		l.events, l.byID, l.loaded = nil, nil, 0
	})
}

func (l *eventLog) get(id string) *eventRecord {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if seq, ok := store.SequenceOf(id, "evt", eventSeqWidth); ok {
		own := uint64(len(l.events) - l.loaded) // the log's own events, numbered next-own … next-1
		if seq < l.next && l.next-seq <= own {
			if ev := l.events[len(l.events)-int(l.next-seq)]; ev.id == id {
				return ev
			}
		}
	}
	return l.byID[id]
}

// snapshot returns the events, oldest first.
func (l *eventLog) snapshot() []*eventRecord {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.events
}

// changeLog is what a unit of work did (its billing.Sink), a request's or
// the tick's: every change, and the events no change describes, in the order
// they happened; and what turning them into events needs, with or without a
// request.
type changeLog struct {
	s    *Server
	acct *account
	// rc renders the events: the unit's transaction, at the version the
	// request is served at.
	rc *renderCtx
	// hooks are the account's webhook endpoints, read once for the events
	// (eventEndpoints; nil until then).
	hooks []*webhookEndpoint

	muts []mutation
	// extra are the events of a request that writes nothing.
	extra []*eventRecord
	// memo keeps recent renderings for the events (renderEventAt); nil
	// until a unit renders a record for one (most requests raise no event,
	// or one that shows their answer). lastData is the data of the last
	// event rendered, which the next one often repeats byte for byte.
	memo     *renderMemo
	lastData []byte
}

// Changed records a change of the transaction.
func (l *changeLog) Changed(table string, before, after store.Record, at int64, step int) {
	l.muts = append(l.muts, mutation{table: table, before: before, after: after, at: at, step: step})
}

// About records an event about a stored record that no change of it
// describes: its data.object is the record rendered when the event is derived.
func (l *changeLog) About(typ string, at int64, rec store.Record, step int) {
	l.event(&eventRecord{typ: typ, created: at, object: rec}, step)
}

// Snapshot records an event that no stored change describes, whose
// data.object is rec rendered now (customer.subscription.trial_will_end,
// invoice.upcoming's preview).
func (l *changeLog) Snapshot(typ string, at int64, rec store.Record, step int) error {
	return l.emit(typ, at, step, func(rc *renderCtx) (jsonobj.Obj, error) { return renderRecordAt(l.s, rc, rec, nil) })
}

// event records an event no stored change describes, among the changes.
func (l *changeLog) event(ev *eventRecord, step int) {
	l.muts = append(l.muts, mutation{ev: ev, at: ev.created, step: step})
}

// emit adds an event that no stored change describes, in the request's step.
func (c *call) emit(typ string, at int64, render func(rc *renderCtx) (jsonobj.Obj, error)) error {
	return c.log.emit(typ, at, c.u.Step(), render)
}

// emit adds an event that no stored change describes, in a step. Its
// data.object is rendered now, at each version the event is rendered at
// (eventVersions).
func (l *changeLog) emit(typ string, at int64, step int, render func(rc *renderCtx) (jsonobj.Obj, error)) error {
	vs, err := l.eventVersions(typ)
	if err != nil {
		return err
	}
	ev := &eventRecord{typ: typ, created: at, raw: make([]rawObject, vs.len())}
	for i := range ev.raw {
		obj, err := render(l.rc.at(vs.at(i)))
		if err != nil {
			return err
		}
		ev.raw[i] = rawObject{v: vs.at(i), obj: obj}
	}
	l.add(ev, step)
	return nil
}

// sameAtEveryVersion is the renderer of an event object whose shape no
// version changes (a test clock).
func sameAtEveryVersion(obj jsonobj.Obj) func(*renderCtx) (jsonobj.Obj, error) {
	return func(*renderCtx) (jsonobj.Obj, error) { return obj, nil }
}

// add adds an event no stored change describes: among the changes of a
// writable transaction, else to the events of a request that writes nothing.
func (l *changeLog) add(ev *eventRecord, step int) {
	if l.rc.tx != nil && l.rc.tx.Writable() {
		l.event(ev, step)
		return
	}
	l.extra = append(l.extra, ev)
}

// origin is the request behind a unit of work's events: its ID and
// idempotency key, and (shown, when set) its answer, not expanded, whose JSON
// an event about its record shares. The zero origin is the emulator's own
// work (the tick; a clock's advance is a request and keeps its own).
type origin struct {
	reqID, idemKey string
	shown          *answer
}

// changeKey is what the changes to one object within a step collapse by: its
// table and ID, or an event no stored change describes. The changes of a
// payment (paymentTransitions) do not collapse: each is its own key (seq,
// its position in the step).
type changeKey struct {
	table, id string
	ev        *eventRecord
	seq       int
}

// paymentTransitions reports whether the changes to a record raise their
// events at the change that caused each (design-16 D5), not all at the
// object's first change: PaymentIntents, charges, and invoices collected by
// a PaymentIntent, whose events interleave as a payment goes (invoice.created,
// invoice.finalized, payment_intent.created, charge.succeeded,
// payment_intent.succeeded, invoice.paid: ref §3). Each event type is raised
// once per object in a step, showing the object as the step leaves it.
func paymentTransitions(muts []mutation) func(table, id string) bool {
	collected := map[string]bool{}
	for i := range muts {
		if inv, ok := muts[i].after.(*billing.Invoice); ok && inv.PaymentIntent != "" {
			collected[inv.ID] = true
		}
	}
	return func(table, id string) bool {
		return table == tPaymentIntents || table == tCharges || (table == tInvoices && collected[id])
	}
}

// deriveEvents turns the recorded mutations into events, step by step: within
// a step, the changes to one object collapse into one (first before, last after).
func (l *changeLog) deriveEvents(o origin) ([]*eventRecord, error) {
	var out []*eventRecord
	muts := l.muts
	for start := 0; start < len(muts); {
		end := start
		for end < len(muts) && muts[end].step == muts[start].step {
			end++
		}
		evs, err := l.eventsOfStep(muts[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		start = end
	}
	out = append(out, l.extra...)
	kept := out[:0]
	for _, ev := range out {
		ev.reqID, ev.idemKey = o.reqID, o.idemKey
		ok, err := l.renderEvent(ev, o.shown)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, ev)
		}
	}
	return kept, nil
}

func (l *changeLog) eventsOfStep(muts []mutation) ([]*eventRecord, error) {
	order := []changeKey{}
	merged := map[changeKey]*mutation{}
	last := map[changeKey]store.Record{} // a payment's record as the step leaves it
	perChange := paymentTransitions(muts)
	for i := range muts {
		m := muts[i]
		if m.ev != nil {
			k := changeKey{ev: m.ev}
			merged[k] = &m
			order = append(order, k)
			continue
		}
		r := m.after
		if r == nil {
			r = m.before
		}
		k := changeKey{table: m.table, id: r.RecordID()}
		if perChange(m.table, k.id) {
			last[k] = m.after
			k.seq = i + 1
		} else if cur, ok := merged[k]; ok {
			cur.after, cur.at = m.after, m.at
			continue
		}
		merged[k] = &m
		order = append(order, k)
	}
	var out []*eventRecord
	raised := map[changeKey]bool{} // a payment's events so far: {table, id, event type}
	add := func(typ string, m *mutation, obj, prev store.Record) *eventRecord {
		r := m.after
		if r == nil {
			r = m.before
		}
		if k := (changeKey{table: m.table, id: r.RecordID()}); perChange(k.table, k.id) {
			if raised[changeKey{table: k.table, id: k.id + " " + typ}] {
				return &eventRecord{} // raised already in this step: dropped
			}
			raised[changeKey{table: k.table, id: k.id + " " + typ}] = true
			if obj != nil && last[k] != nil {
				obj = last[k]
			}
		}
		ev := &eventRecord{typ: typ, created: m.at, object: obj, previous: prev, hasPrev: prev != nil}
		out = append(out, ev)
		return ev
	}
	subEvents := map[string]*eventRecord{}
	createdSubs := map[string]bool{}
	itemChanges := map[string][]*mutation{}
	var itemSubs []string
	for _, k := range order {
		m := merged[k]
		if m.ev != nil {
			out = append(out, m.ev)
			continue
		}
		if m.before == nil && m.after == nil {
			continue
		}
		switch k.table {
		case tSubscriptions:
			if m.after == nil {
				continue
			}
			after := m.after.(*billing.Subscription)
			if m.before == nil {
				add("customer.subscription.created", m, after, nil)
				createdSubs[after.ID] = true
				continue
			}
			before := m.before.(*billing.Subscription)
			typ := "customer.subscription.updated"
			switch {
			case before.Live() && !after.Live() && after.Status != billing.SubscriptionIncompleteExpired:
				// (an incomplete one that expires is updated [I], design-16 §6.1)
				typ = "customer.subscription.deleted"
			case before.Status != billing.SubscriptionPaused && after.Status == billing.SubscriptionPaused:
				typ = "customer.subscription.paused"
			case before.Status == billing.SubscriptionPaused && after.Status == billing.SubscriptionActive:
				typ = "customer.subscription.resumed"
			}
			if typ == "customer.subscription.deleted" {
				add(typ, m, after, nil)
				continue
			}
			if typ != "customer.subscription.updated" {
				add(typ, m, after, nil)
			}
			subEvents[after.ID] = add("customer.subscription.updated", m, after, before)
		case tSubscriptionItems:
			r := m.after
			if r == nil {
				r = m.before
			}
			sub := r.(*billing.Item).Subscription
			if _, ok := itemChanges[sub]; !ok {
				itemSubs = append(itemSubs, sub)
			}
			itemChanges[sub] = append(itemChanges[sub], m)
		case tInvoices:
			invoiceEvents(m, add)
		default:
			if rule := l.s.reg.events[k.table]; rule != nil {
				if typ, obj, prev := rule(m); typ != "" {
					add(typ, m, obj, prev)
				}
			}
		}
	}
	// Item changes show as an update of their subscription, with its items before.
	for _, subID := range itemSubs {
		if createdSubs[subID] {
			continue
		}
		items, err := l.rc.itemsOf(subID)
		if err != nil {
			return nil, err
		}
		prev := previousItems(items, itemChanges[subID])
		ev := subEvents[subID]
		if ev == nil {
			rec, err := l.rc.tx.Get(tSubscriptions, subID)
			if err != nil || rec == nil {
				continue
			}
			m := itemChanges[subID][0]
			ev = add("customer.subscription.updated", m, rec, rec)
		}
		ev.prevItems, ev.hasPrev = prev, true
	}
	return out, nil
}

// eventRule is the event one change to a record of a resource raises (the
// change is its first before and last after in a step; before nil: created,
// after nil: removed): its type ("" for none), the record it shows, and the
// record previous_attributes are diffed with (nil: none).
type eventRule func(m *mutation) (typ string, obj, prev store.Record)

// crudEvents is the rule of a plain resource: prefix.created, .updated, .deleted.
func crudEvents(prefix string) eventRule {
	return func(m *mutation) (string, store.Record, store.Record) {
		switch {
		case m.before == nil:
			return prefix + ".created", m.after, nil
		case m.after == nil:
			return prefix + ".deleted", m.before, nil
		}
		return prefix + ".updated", m.after, m.before
	}
}

// invoiceEvents follows an invoice's status: created, finalized, paid...
func invoiceEvents(m *mutation, add func(string, *mutation, store.Record, store.Record) *eventRecord) {
	if m.after == nil {
		add("invoice.deleted", m, m.before, nil)
		return
	}
	after := m.after.(*billing.Invoice)
	from := billing.InvoiceDraft
	overdue := false
	if m.before == nil {
		add("invoice.created", m, after, nil)
	} else {
		b := m.before.(*billing.Invoice)
		from, overdue = b.Status, b.OverdueNotified
	}
	changed := false
	if from == billing.InvoiceDraft && after.Status != billing.InvoiceDraft && after.Status != billing.InvoiceVoid {
		add("invoice.finalized", m, after, nil)
		changed = true
	}
	if m.before != nil && after.FailedAttempts > m.before.(*billing.Invoice).FailedAttempts {
		add("invoice.payment_failed", m, after, nil)
	}
	if after.ActionRequired && (m.before == nil || !m.before.(*billing.Invoice).ActionRequired) {
		add("invoice.payment_action_required", m, after, nil)
	}
	if from != billing.InvoicePaid && after.Status == billing.InvoicePaid {
		if after.PaymentIntent != "" && m.before != nil {
			add("invoice.updated", m, after, m.before) // a payment's outcome updates it too (ref btest)
		}
		add("invoice.paid", m, after, nil)
		if after.AmountPaid > 0 {
			add("invoice.payment_succeeded", m, after, nil)
		}
		changed = true
	}
	if from != billing.InvoiceVoid && after.Status == billing.InvoiceVoid {
		add("invoice.voided", m, after, nil)
		changed = true
	}
	if from != billing.InvoiceUncollectible && after.Status == billing.InvoiceUncollectible {
		add("invoice.marked_uncollectible", m, after, nil)
		changed = true
	}
	if !overdue && after.OverdueNotified {
		add("invoice.overdue", m, after, nil)
		changed = true
	}
	if m.before != nil && !changed {
		add("invoice.updated", m, after, m.before)
	}
}

// previousItems undoes a step's item changes on the current items.
func previousItems(current []*billing.Item, changes []*mutation) []*billing.Item {
	byID := map[string]*billing.Item{}
	var order []string
	for _, it := range current {
		byID[it.ID] = it
		order = append(order, it.ID)
	}
	for _, m := range changes {
		switch {
		case m.before == nil:
			delete(byID, m.after.RecordID())
		case m.after == nil:
			it := m.before.(*billing.Item)
			if _, ok := byID[it.ID]; !ok {
				order = append(order, it.ID)
			}
			byID[it.ID] = it
		default:
			byID[m.before.RecordID()] = m.before.(*billing.Item)
		}
	}
	var out []*billing.Item
	for _, id := range order {
		if it, ok := byID[id]; ok {
			out = append(out, it)
		}
	}
	store.SortByCreation(out)
	return out
}

// renderEvent renders an event's JSON when it is derived, from the state of
// the transaction that made it (so that data.object shows the object as it was
// then, not as it is when someone reads the event). Changes of several steps in
// one request (a clock advance over several periods) each show their own
// record, with related objects (a subscription's items) as the request left them.
// It renders the event at each version it is rendered at (eventVersions): the
// account's default first, then those of the webhook endpoints that will
// receive it. It reports false for an update that changed nothing the API
// shows at any of them (the emulator's own bookkeeping): no event is sent
// for it; a rendering that shows no change where another does has
// previous_attributes {}.
func (l *changeLog) renderEvent(ev *eventRecord, shown *answer) (bool, error) {
	vs, err := l.eventVersions(ev.typ)
	if err != nil {
		return false, err
	}
	vs, ok := vs.having(ev.typ)
	if !ok {
		return false, nil // no version it would be rendered at has the type: not sent
	}
	kept := false
	for i := range vs.len() {
		r, changed := l.renderEventAt(ev, vs.at(i), shown)
		kept = kept || changed
		if i == 0 {
			ev.version, ev.data, ev.tree = r.v, r.data, r.tree
		} else {
			ev.others = append(ev.others, r)
		}
	}
	// The records are no longer needed.
	ev.object, ev.previous, ev.prevItems, ev.raw = nil, nil, nil, nil
	return kept, nil
}

// renderEventAt renders an event's data at v (sharing the JSON of shown, the
// request's answer, if it is the event's object); changed is false for an
// update that shows no change there.
func (l *changeLog) renderEventAt(ev *eventRecord, v apiversion.Version, shown *answer) (r rendering, changed bool) {
	var obj jsonobj.Obj
	if ev.raw != nil { // rendered when it happened, at every version of eventVersions
		obj = ev.raw[0].obj
		for _, raw := range ev.raw {
			if raw.v == v {
				obj = raw.obj
			}
		}
	}
	var objJSON []byte
	var fresh *renderedRecord // rendered now: its JSON is to be kept
	switch {
	case obj != nil:
	case ev.raw == nil && shown != nil && v == l.rc.v && ev.object == shown.rec && shown.obj != nil:
		obj = shown.obj // the response, not expanded: the same JSON
		objJSON = shown.marshal()
	default:
		rr := l.rendered(ev.object, nil, v)
		if rr.err != nil {
			l.s.log.Error("rendering an event", "type", ev.typ, "object", ev.object.RecordID(), "api_version", v.String(), "error", rr.err.Error())
			obj = jsonobj.Obj{{K: "id", V: ev.object.RecordID()}}
		} else if obj, objJSON = rr.obj, rr.json; objJSON == nil {
			fresh = rr
		}
	}
	data := jsonobj.Obj{{K: "object", V: obj}}
	changed = true
	if ev.hasPrev {
		if before := l.rendered(ev.previous, ev.prevItems, v); before.err == nil {
			diff := diffAttributes(before.obj, obj)
			changed = len(diff) > 0
			data = append(data, jsonobj.Field{K: "previous_attributes", V: diff})
		}
	}
	// data is {"object":…,"previous_attributes":…}
	b := append(bodyPool.Get().([]byte)[:0], `{"object":`...)
	if objJSON != nil {
		b = append(b, objJSON...)
	} else {
		b = jsonobj.Append(b, obj)
	}
	end := len(b)
	if len(data) > 1 {
		b = jsonobj.Append(append(b, `,"previous_attributes":`...), data[1].V)
	}
	b = append(b, '}')
	r = rendering{v: v, data: l.shared(b)}
	releaseBody(b)
	if fresh != nil && fresh.rec == ev.object { // still in the memo: the next event showing it reuses its JSON
		fresh.json = r.data[len(`{"object":`):end:end]
	}
	if jsonobj.HasHidden(data) {
		r.tree = data
	}
	return r, changed
}

// renderedRecord is a record rendered at a version for the unit's events, as
// a tree and (once an event shows it) as JSON, kept while events that show
// the same record (an invoice's invoice.paid and invoice.payment_succeeded,
// the object of one event and the previous_attributes of the next) are
// rendered: records are never changed once stored, so the same record at the
// same version renders the same.
type renderedRecord struct {
	rec  store.Record
	v    apiversion.Version
	obj  jsonobj.Obj
	json []byte
	err  error
}

// renderMemo keeps the unit's most recent renderings (a ring: events of one
// object come close together, and a bound keeps a long advance's trees
// collectable).
type renderMemo struct {
	ring [8]renderedRecord
	next int
}

// rendered renders rec at v, or returns its rendering from the memo (its
// json set once an event has shown it). A subscription with the items it had
// before a change (items) is rendered afresh.
func (l *changeLog) rendered(rec store.Record, items []*billing.Item, v apiversion.Version) *renderedRecord {
	if l.memo == nil {
		l.memo = &renderMemo{}
	}
	if items == nil {
		for i := range l.memo.ring {
			if rr := &l.memo.ring[i]; rr.rec == rec && rr.v == v && rr.rec != nil {
				return rr
			}
		}
	}
	obj, err := renderRecordAt(l.s, l.rc.at(v), rec, items)
	rr := renderedRecord{rec: rec, v: v, obj: obj, err: err}
	if items != nil {
		return &rr
	}
	slot := &l.memo.ring[l.memo.next]
	*slot = rr
	l.memo.next = (l.memo.next + 1) % len(l.memo.ring)
	return slot
}

// shared is a copy of an event's data, or the previous event's data when it
// is the same (event data is never changed once made).
func (l *changeLog) shared(b []byte) []byte {
	if l.lastData != nil && bytes.Equal(l.lastData, b) {
		return l.lastData
	}
	l.lastData = bytes.Clone(b)
	return l.lastData
}

// eventVersions are the versions an event of a type is rendered at: the
// account's default (else the emulator's), then each other api_version of
// the account's webhook endpoints that want it.
func (l *changeLog) eventVersions(typ string) (versionSet, error) {
	vs := versionSet{def: l.s.accountVersion(l.acct)}
	eps, err := l.eventEndpoints()
	if err != nil {
		return vs, err
	}
	for _, ep := range eps {
		if v, pinned := ep.version(); pinned && v != vs.def && !slices.Contains(vs.others, v) && ep.wants(typ) {
			vs.others = append(vs.others, v)
		}
	}
	return vs, nil
}

// versionSet is an event's versions: the account's default, and others
// (none, unless webhook endpoints pinned to other versions want it).
type versionSet struct {
	def    apiversion.Version
	others []apiversion.Version
}

func (s versionSet) len() int { return 1 + len(s.others) }

// having is the set without the versions that do not have events of typ
// (apiversion.EventAt: a type a later version adds). When the account's
// default lacks it, the first endpoint version that has it takes its place
// (the event as created, what /v1/events serves) [I]; false when none has it.
func (s versionSet) having(typ string) (versionSet, bool) {
	if apiversion.EventAt(typ, s.def) && !slices.ContainsFunc(s.others, func(v apiversion.Version) bool { return !apiversion.EventAt(typ, v) }) {
		return s, true
	}
	var kept []apiversion.Version
	for i := range s.len() {
		if v := s.at(i); apiversion.EventAt(typ, v) {
			kept = append(kept, v)
		}
	}
	if len(kept) == 0 {
		return versionSet{}, false
	}
	return versionSet{def: kept[0], others: kept[1:]}, true
}

func (s versionSet) at(i int) apiversion.Version {
	if i == 0 {
		return s.def
	}
	return s.others[i-1]
}

// eventEndpoints are the account's webhook endpoints, read once for the
// unit's events (l.hooks; nil: not yet): from the catalog, else its
// transaction.
func (l *changeLog) eventEndpoints() ([]*webhookEndpoint, error) {
	if l.hooks != nil {
		return l.hooks, nil
	}
	var eps []*webhookEndpoint
	gen, usable := l.acct.catalog.readGen()
	cached := false
	if usable && !l.wroteEndpoints() {
		eps, cached = l.acct.catalog.endpoints(gen)
	}
	if !cached && l.rc.tx != nil {
		if err := l.rc.tx.All(tWebhookEndpoints, func(r store.Record) bool {
			eps = append(eps, r.(*webhookEndpoint))
			return true
		}); err != nil {
			return nil, err
		}
	}
	if eps == nil {
		eps = make([]*webhookEndpoint, 0) // read, and none: not nil (and nothing allocated)
	}
	l.hooks = eps
	return eps, nil
}

// wroteEndpoints reports whether the unit of work changed a webhook endpoint.
func (l *changeLog) wroteEndpoints() bool {
	for _, m := range l.muts {
		if m.table == tWebhookEndpoints {
			return true
		}
	}
	return false
}

// eventObject is an event's JSON as created, with its current
// pending_webhooks. deep gives a data tree that the caller may change
// (expand[]); otherwise data is the stored bytes.
func (s *Server) eventObject(ev *eventRecord, deep bool) jsonobj.Obj {
	r, _ := ev.at(ev.version)
	return s.eventObjectAs(ev, r, deep)
}

// eventObjectAs is an event's JSON with one of its renderings.
func (s *Server) eventObjectAs(ev *eventRecord, r rendering, deep bool) jsonobj.Obj {
	var data any = jsonobj.Raw(r.data)
	if deep && r.tree != nil {
		data = jsonobj.Clone(r.tree)
	} else if deep {
		tree, err := jsonobj.Parse(r.data)
		if err != nil {
			s.log.Error("reading an event's data", "event", ev.id, "error", err.Error())
		} else {
			data = tree
		}
	}
	return ev.envelope(r.v, data, ev.pending.Load())
}

// renderRecordAt renders a stored record as its API object, through its
// resource; items, when given, stand in for a subscription's current items.
func renderRecordAt(s *Server, rc *renderCtx, r store.Record, items []*billing.Item) (jsonobj.Obj, error) {
	if sub, ok := r.(*billing.Subscription); ok && items != nil {
		return rc.renderSubscriptionWith(sub, items)
	}
	if res := s.reg.byRecord[reflect.TypeOf(r)]; res != nil {
		return res.renderRecord(rc, r)
	}
	return jsonobj.Obj{{K: "id", V: r.RecordID()}}, nil
}

// diffAttributes is previous_attributes: the fields of before whose value differs in after.
func diffAttributes(before, after jsonobj.Obj) jsonobj.Obj {
	out := jsonobj.Obj{}
	bb, ab := bodyPool.Get().([]byte)[:0], bodyPool.Get().([]byte)[:0]
	for i, f := range before {
		if _, hidden := f.V.(jsonobj.Hidden); hidden {
			continue
		}
		var av any
		if i < len(after) && after[i].K == f.K { // the usual case: the same fields in the same order
			av = after[i].V
		} else {
			av, _ = after.Get(f.K)
		}
		bb, ab = jsonobj.Append(bb[:0], f.V), jsonobj.Append(ab[:0], av)
		if !bytes.Equal(bb, ab) {
			out = append(out, f)
		}
	}
	releaseBody(bb)
	releaseBody(ab)
	return out
}

func eventEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/events", op: "GetEvents", mode: txRead, h: listEvents},
		{route: "GET /v1/events/{id}", op: "GetEventsId", mode: txRead, h: retrieveEvent},
	}
}

func retrieveEvent(c *call) (jsonobj.Obj, error) {
	ev := c.acct.events.get(c.pathID())
	if ev == nil {
		return nil, apierr.ResourceMissing("event", "id", c.pathID())
	}
	return c.s.eventObject(ev, c.expands()), nil
}

// typeMatches reports whether an event type matches a filter ("invoice.*" matches
// every invoice event).
func typeMatches(filter, typ string) bool {
	if prefix, ok := strings.CutSuffix(filter, "*"); ok {
		return strings.HasPrefix(typ, prefix)
	}
	return filter == typ
}

func listEvents(c *call) (jsonobj.Obj, error) {
	p := c.params
	limit, err := readLimit(p)
	if err != nil {
		return nil, err
	}
	typ, byType := p.String("type")
	types := p.Strings("types")
	if byType && len(types) > 0 {
		return nil, apierr.Exclusive("type", "types")
	}
	created := rangeFilter(p, "created")
	match := func(ev *eventRecord) bool {
		if byType && !typeMatches(typ, ev.typ) {
			return false
		}
		if len(types) > 0 && !containsFunc(types, func(t string) bool { return typeMatches(t, ev.typ) }) {
			return false
		}
		return created == nil || created(ev.created)
	}
	all := c.acct.events.snapshot()
	cur, err := readCursors(p)
	if err != nil {
		return nil, err
	}
	// Newest first: walk the log backwards from the cursor.
	pos := len(all) - 1
	if cur.hasAfter || cur.hasBefore {
		id, param := cur.after, "starting_after"
		if cur.hasBefore {
			id, param = cur.before, "ending_before"
		}
		i := indexOfEvent(all, id)
		if i < 0 {
			return nil, apierr.ResourceMissing("event", param, id)
		}
		pos = i - 1
		if cur.hasBefore {
			return c.s.eventsBefore(c, all, i, limit, match)
		}
	}
	var data []jsonobj.Obj
	more := false
	for ; pos >= 0; pos-- {
		if !match(all[pos]) {
			continue
		}
		if int64(len(data)) == limit {
			more = true
			break
		}
		data = append(data, c.s.eventObject(all[pos], c.expands()))
	}
	return eventList(data, more, all, match), nil
}

func (s *Server) eventsBefore(c *call, all []*eventRecord, cursor int, limit int64, match func(*eventRecord) bool) (jsonobj.Obj, error) {
	var asc []jsonobj.Obj
	more := false
	for i := cursor + 1; i < len(all); i++ {
		if !match(all[i]) {
			continue
		}
		if int64(len(asc)) == limit {
			more = true
			break
		}
		asc = append(asc, s.eventObject(all[i], c.expands()))
	}
	data := make([]jsonobj.Obj, len(asc))
	for i, o := range asc {
		data[len(asc)-1-i] = o
	}
	return eventList(data, more, all, match), nil
}

// eventList is the list of events; its total_count (the events match
// selects, shown when expanded before 2025-03-31.basil) counts all.
func eventList(data []jsonobj.Obj, more bool, all []*eventRecord, match func(*eventRecord) bool) jsonobj.Obj {
	if data == nil {
		data = []jsonobj.Obj{}
	}
	total := func() any {
		n := 0
		for _, ev := range all {
			if match(ev) {
				n++
			}
		}
		return n
	}
	return jsonobj.Obj{{K: "object", V: "list"}, {K: "data", V: data}, {K: "has_more", V: more},
		{K: "total_count", V: jsonobj.Hidden{Fn: total}}, {K: "url", V: "/v1/events"}}
}

func indexOfEvent(all []*eventRecord, id string) int {
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].id == id {
			return i
		}
	}
	return -1
}

func containsFunc(list []string, f func(string) bool) bool {
	for _, x := range list {
		if f(x) {
			return true
		}
	}
	return false
}
