package billing

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// pinned is one call of a usage store's Pin.
type pinned struct {
	customer string
	times    []int64
}

// pinRecorder is the account's usage, recording what is pinned.
type pinRecorder struct {
	UsageStore
	pins []pinned
}

func (p *pinRecorder) Pin(customer string, times ...int64) {
	p.pins = append(p.pins, pinned{customer, slices.Clone(times)})
}

// TestUsagePins: what a record about to be committed bills at is pinned in
// its customer's usage: a subscription's period, trial, cancellation and
// anchor times and its retired prices' ranges; an item's creation and price
// change (its subscription's customer's); a draft invoice's periods and its
// lines'. An invoice that is no longer a draft, and any other record, pin
// nothing; a unit without usage pins nothing.
func TestUsagePins(t *testing.T) {
	sub := &Subscription{Meta: store.Meta{ID: "sub_1"}, Customer: "cus_1", StartDate: 1, PeriodStart: 2, PeriodEnd: 3, TrialStart: 4,
		TrialEnd: 5, CancelAt: 6, BillingCycleAnchor: 7, Retired: []RetiredItem{{Since: 8, Until: 9}, {Since: 10, Until: 11}}}
	draft := &Invoice{Meta: store.Meta{ID: "in_1"}, Customer: "cus_2", Status: InvoiceDraft, PeriodStart: 20, PeriodEnd: 21,
		Lines: []Line{{PeriodStart: 22, PeriodEnd: 23}, {PeriodStart: 24, PeriodEnd: 25}}}
	open := draft.Clone()
	open.Status = InvoiceOpen
	item := &Item{Meta: store.Meta{ID: "si_1", Created: 30}, Subscription: "sub_1", PriceSince: 31}
	for _, tc := range []struct {
		name string
		recs []store.Record
		want []pinned
	}{
		{"a subscription", []store.Record{sub}, []pinned{{"cus_1", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}}}},
		{"an item", []store.Record{item}, []pinned{{"cus_1", []int64{30, 31}}}},
		{"an item of no stored subscription", []store.Record{&Item{Meta: store.Meta{ID: "si_2", Created: 30}, Subscription: "sub_gone"}}, nil},
		{"a draft invoice", []store.Record{draft}, []pinned{{"cus_2", []int64{20, 21, 22, 23, 24, 25}}}},
		{"an open invoice", []store.Record{open}, nil},
		{"a customer", []store.Record{&Customer{Meta: store.Meta{ID: "cus_1"}}}, nil},
		{"several, in order, each its own times (nil: none)", []store.Record{draft, nil, open, item},
			[]pinned{{"cus_2", []int64{20, 21, 22, 23, 24, 25}}, {"cus_1", []int64{30, 31}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.put(TableSubscriptions, sub)
			usage := &pinRecorder{UsageStore: w.usage}
			tx := w.db.Read()
			defer tx.Abort()
			var u Unit
			u.Init(tx, usage, w.ids, july, w.sink)
			PinBillingTimes(&u, len(tc.recs), func(i int) store.Record { return tc.recs[i] })
			if !slices.EqualFunc(usage.pins, tc.want, func(a, b pinned) bool { return a.customer == b.customer && slices.Equal(a.times, b.times) }) {
				t.Errorf("pinned %v, want %v", usage.pins, tc.want)
			}
			var none Unit
			none.Init(tx, nil, w.ids, july, w.sink)
			PinBillingTimes(&none, len(tc.recs), func(i int) store.Record { return tc.recs[i] }) // no usage: nothing to pin, and no panic
		})
	}
}

// legacyShop is a shop with a subscription of the legacy metered price (and
// a licensed and a meter's price) started on July 1, of a customer on the
// emulator's clock or on a test clock frozen then.
func legacyShop(t *testing.T, onClock bool) (*dueShop, *Subscription, []*Item) {
	s := newDueShop(t, !onClock)
	_, sub, items := s.subscribeWith(s.group, july, SubscriptionCreate{}, s.legacy, s.seat, s.tokens)
	return s, sub, items
}

// TestRecordUsage: legacy usage is added at a timestamp (now by default, on
// the customer's clock), or with action=set replaces what is there; the
// faults are refused in Stripe's order.
func TestRecordUsage(t *testing.T) {
	const now = july + 10*day
	for _, tc := range []struct {
		name     string
		onClock  bool
		item     int // 0 legacy, 1 licensed, 2 a meter's price, -1 none
		before   []UsageRecordInput
		in       UsageRecordInput
		wantQty  int64
		wantTS   int64
		errParam string
		errCode  string
		errMsg   string
	}{
		{name: "now, by default", in: UsageRecordInput{Quantity: 5}, wantQty: 5, wantTS: now},
		{name: "now, on the customer's test clock", onClock: true, in: UsageRecordInput{Quantity: 5}, wantQty: 5, wantTS: july},
		{name: "at a timestamp", in: UsageRecordInput{Quantity: 5, Timestamp: Some(july + day)}, wantQty: 5, wantTS: july + day},
		{name: "up to five minutes ahead", in: UsageRecordInput{Quantity: 5, Timestamp: Some(now + 300)}, wantQty: 5, wantTS: now + 300},
		{name: "added to the usage at the timestamp", before: []UsageRecordInput{{Quantity: 5}}, in: UsageRecordInput{Quantity: 3},
			wantQty: 8, wantTS: now},
		{name: "set replaces it", before: []UsageRecordInput{{Quantity: 5}}, in: UsageRecordInput{Quantity: 2, Set: true},
			wantQty: 2, wantTS: now},
		{name: "quantity 0", in: UsageRecordInput{}, wantQty: 0, wantTS: now},
		{name: "no such item", item: -1, in: UsageRecordInput{Quantity: -1}, errParam: "id", errCode: "resource_missing"},
		{name: "a licensed item", item: 1, in: UsageRecordInput{Quantity: -1}, errMsg: "Usage records can only be created for subscription items with a metered price"},
		{name: "a meter's price", item: 2, in: UsageRecordInput{Quantity: -1}, errMsg: "Cannot create a usage record for"},
		{name: "a negative quantity, before a timestamp too early", in: UsageRecordInput{Quantity: -1, Timestamp: Some(july - 1)}, errParam: "quantity"},
		{name: "a quantity too large", in: UsageRecordInput{Quantity: MaxUsageQuantity + 1}, errParam: "quantity"},
		{name: "before the period", in: UsageRecordInput{Quantity: 1, Timestamp: Some(july - 1)}, errParam: "timestamp"},
		{name: "in the future", in: UsageRecordInput{Quantity: 1, Timestamp: Some(now + 301)}, errParam: "timestamp"},
		{name: "increments past the largest quantity", before: []UsageRecordInput{{Quantity: MaxUsageQuantity}},
			in: UsageRecordInput{Quantity: 1}, errParam: "quantity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, items := legacyShop(t, tc.onClock)
			itemID := "si_missing"
			if tc.item >= 0 {
				itemID = items[tc.item].ID
			}
			for _, b := range tc.before {
				b.Item = itemID
				if _, err := RecordUsage(s.unit(now), b); err != nil {
					t.Fatal(err)
				}
				s.commit()
			}
			heard := len(s.sink.changes)
			tc.in.Item = itemID
			u := s.unit(now)
			rec, err := RecordUsage(u, tc.in)
			if tc.errParam != "" || tc.errMsg != "" {
				wantErr(t, err, tc.errParam, tc.errCode)
				if ae := err.Error(); tc.errMsg != "" && !strings.Contains(ae, tc.errMsg) {
					t.Errorf("error %q, want %q", ae, tc.errMsg)
				}
				if wrote := s.sink.changes[heard:]; len(wrote) > 0 {
					t.Errorf("a refused usage record wrote %+v", wrote)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Item != itemID || rec.Quantity != tc.wantQty || rec.Timestamp != tc.wantTS {
				t.Errorf("record %s: %d at %d; want %s: %d at %d", rec.Item, rec.Quantity, rec.Timestamp, itemID, tc.wantQty, tc.wantTS)
			}
			if len(tc.before) > 0 && len(s.sink.changes) > 0 {
				if last := s.sink.changes[len(s.sink.changes)-1]; last.before == nil {
					t.Error("the usage at the timestamp was stored anew, not changed")
				}
			}
		})
	}
}

// TestUsageSummaries: an item's legacy usage per billing period, newest
// first, back to its creation, a page at a time; a cursor names a period of
// the item's.
func TestUsageSummaries(t *testing.T) {
	s, sub, items := legacyShop(t, false)
	s.run(september + hour)
	legacy := items[0].ID
	for _, r := range []struct{ at, qty int64 }{{july + day, 4}, {july + 2*day, 3}, {august + day, 10}, {september + day, 1}} {
		s.put(TableUsageRecords, &UsageRecord{Meta: s.meta("mbur", r.at), Item: legacy, Timestamp: r.at, Quantity: r.qty})
	}
	id := func(start int64) string { return "sis_" + legacy + "_" + strconv.FormatInt(start, 36) }
	errBadLimit := apierr.Invalid("limit", "This value must be less than or equal to 100.")
	all := []UsageSummary{
		{ID: id(september), Item: legacy, Start: september, End: october, Total: 1},
		{ID: id(august), Item: legacy, Start: august, End: september, Total: 10},
		{ID: id(july), Item: legacy, Start: july, End: august, Total: 7},
	}
	for _, tc := range []struct {
		name     string
		in       UsageSummaryRequest
		want     []UsageSummary
		more     bool
		errParam string
		errCode  string
	}{
		{name: "every period", in: UsageSummaryRequest{Limit: 10}, want: all},
		{name: "a page", in: UsageSummaryRequest{Limit: 2}, want: all[:2], more: true},
		{name: "after a cursor", in: UsageSummaryRequest{Limit: 2, StartingAfter: Some(id(august))}, want: all[2:]},
		{name: "after the last", in: UsageSummaryRequest{Limit: 2, StartingAfter: Some(id(july))}},
		{name: "a cursor of another item", in: UsageSummaryRequest{Limit: 2, StartingAfter: Some("sis_si_other_" + strconv.FormatInt(july, 36))},
			errParam: "starting_after", errCode: "resource_missing"},
		{name: "a cursor before the item", in: UsageSummaryRequest{Limit: 2, StartingAfter: Some(id(july - day))},
			errParam: "starting_after", errCode: "resource_missing"},
		{name: "a cursor of the period to come", in: UsageSummaryRequest{Limit: 2, StartingAfter: Some(id(october))},
			errParam: "starting_after", errCode: "resource_missing"},
		{name: "a bad limit", in: UsageSummaryRequest{LimitErr: errBadLimit}, errParam: "limit"},
		{name: "no such item, before a bad limit", in: UsageSummaryRequest{Item: "si_missing", LimitErr: errBadLimit},
			errParam: "id", errCode: "resource_missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.Item == "" {
				tc.in.Item = legacy
			}
			pg, err := UsageSummaries(s.unit(october), tc.in)
			s.abort()
			if tc.errParam != "" {
				wantErr(t, err, tc.errParam, tc.errCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pg.Data, tc.want) || pg.More != tc.more || pg.Total != len(all) {
				t.Errorf("page %+v (more %v, total %d), want %+v (%v, %d)", pg.Data, pg.More, pg.Total, tc.want, tc.more, len(all))
			}
		})
	}
	if got := read[*Subscription](s, TableSubscriptions, sub.ID); got.PeriodStart != september {
		t.Fatalf("the subscription's period starts at %d, want September", got.PeriodStart)
	}
}

// TestLegacyUsage: usage records aggregate over a period as the price's
// recurring[aggregate_usage] says.
func TestLegacyUsage(t *testing.T) {
	records := []struct{ at, qty int64 }{{july - 100, 9}, {july + 10, 4}, {july + 20, 7}, {july + 30, 2}, {august + 5, 11}}
	for _, tc := range []struct {
		aggregate string
		want      int64
	}{
		{"sum", 13},
		{"", 13},
		{"max", 7},
		{"last_during_period", 2},
		{"last_ever", 2},
	} {
		t.Run(tc.aggregate, func(t *testing.T) {
			w := newWorld(t)
			for _, r := range records {
				w.put(TableUsageRecords, &UsageRecord{Meta: w.meta("mbur", r.at), Item: "si_1", Timestamp: r.at, Quantity: r.qty})
			}
			w.put(TableUsageRecords, &UsageRecord{Meta: w.meta("mbur", july), Item: "si_other", Timestamp: july + 15, Quantity: 1000})
			got, err := legacyUsage(w.db.Read(), "si_1", tc.aggregate, july, august)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s over July: %d, want %d", tc.aggregate, got, tc.want)
			}
		})
	}
	t.Run("last_ever, nothing in the period", func(t *testing.T) {
		w := newWorld(t)
		w.put(TableUsageRecords, &UsageRecord{Meta: w.meta("mbur", july), Item: "si_1", Timestamp: july - 100, Quantity: 9})
		if got, err := legacyUsage(w.db.Read(), "si_1", "last_ever", july, august); err != nil || got != 9 {
			t.Errorf("last_ever: %d, %v; want 9 (the last before the period's end)", got, err)
		}
	})
}
