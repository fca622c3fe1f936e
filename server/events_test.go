package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
	stripe "github.com/stripe/stripe-go/v79"
)

func TestEventsAPI(t *testing.T) {
	e := newEnv(t)
	c, err := e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("Old"), Params: stripe.Params{IdempotencyKey: stripe.String("ik-1")}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	if _, err := e.sc.Customers.Update(c.ID, &stripe.CustomerParams{Name: stripe.String("New")}); err != nil {
		t.Fatal(err)
	}
	p, _ := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("P")})
	if _, err := e.sc.Products.Del(p.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.Customers.Del(c.ID, nil); err != nil {
		t.Fatal(err)
	}
	list := func(p *stripe.EventListParams) []*stripe.Event {
		it := e.sc.Events.List(p)
		var out []*stripe.Event
		for it.Next() {
			out = append(out, it.Event())
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return out
	}
	all := list(&stripe.EventListParams{})
	var types []string
	for _, ev := range all {
		types = append(types, string(ev.Type))
	}
	if strings.Join(types, ",") != "customer.deleted,product.deleted,product.created,customer.updated,customer.created" {
		t.Fatalf("events, newest first: %v", types)
	}
	created := all[4]
	if created.APIVersion != "2024-06-20" || created.Request.IdempotencyKey != "ik-1" || created.Request.ID == "" || created.Data.Object["id"] != c.ID || created.Created != t0.Unix() {
		t.Errorf("customer.created: %+v %+v", created, created.Request)
	}
	upd := all[3]
	if upd.Data.PreviousAttributes["name"] != "Old" || upd.Data.Object["name"] != "New" || len(upd.Data.PreviousAttributes) != 1 {
		t.Errorf("previous_attributes: %v", upd.Data.PreviousAttributes)
	}
	if all[0].Data.Object["name"] != "New" { // the customer as it was when deleted
		t.Errorf("customer.deleted object: %v", all[0].Data.Object)
	}
	checkShape(t, "event", e.do("GET", "/v1/events/"+created.ID, "").body)
	got, err := e.sc.Events.Get(upd.ID, nil)
	if err != nil || got.Type != "customer.updated" {
		t.Errorf("retrieve: %v %+v", err, got)
	}
	_, err = e.sc.Events.Get("evt_nope", nil)
	wantErr(t, err, 404, "resource_missing", "id")
	if evs := list(&stripe.EventListParams{Type: stripe.String("product.*")}); len(evs) != 2 {
		t.Errorf("type wildcard: %d", len(evs))
	}
	if evs := list(&stripe.EventListParams{Types: stripe.StringSlice([]string{"customer.created", "product.deleted"})}); len(evs) != 2 {
		t.Errorf("types[]: %d", len(evs))
	}
	if evs := list(&stripe.EventListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThan: t0.Unix()}}); len(evs) != 4 {
		t.Errorf("created: %d", len(evs))
	}
	page := e.do("GET", "/v1/events?limit=2&starting_after="+all[1].ID, "")
	d := page.json["data"].([]any)
	if len(d) != 2 || d[0].(map[string]any)["id"] != all[2].ID || page.json["has_more"] != true {
		t.Errorf("starting_after: %s", page.body)
	}
	page = e.do("GET", "/v1/events?limit=2&ending_before="+all[3].ID, "")
	d = page.json["data"].([]any)
	if len(d) != 2 || d[0].(map[string]any)["id"] != all[1].ID || d[1].(map[string]any)["id"] != all[2].ID || page.json["has_more"] != true {
		t.Errorf("ending_before: %s", page.body)
	}
	// Other accounts see none of these.
	if it := e.client("sk_test_other").Events.List(nil); it.Next() {
		t.Errorf("another account sees events")
	}
}

func TestSubscriptionEvents(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	a := licensedPrice(t, e.sc, 1000, "month")
	b := licensedPrice(t, e.sc, 2000, "month")
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a.ID)})
	if _, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(s.ID), Price: stripe.String(b.ID)}); err != nil {
		t.Fatal(err)
	}
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.subscription.*")})
	var evs []*stripe.Event
	for it.Next() {
		evs = append(evs, it.Event())
	}
	if len(evs) != 2 || evs[0].Type != "customer.subscription.updated" || evs[1].Type != "customer.subscription.created" {
		t.Fatalf("subscription events: %d", len(evs))
	}
	prev := evs[0].Data.PreviousAttributes["items"].(map[string]any)["data"].([]any)
	now := evs[0].Data.Object["items"].(map[string]any)["data"].([]any)
	if len(prev) != 1 || len(now) != 2 {
		t.Errorf("previous items %d, items %d", len(prev), len(now))
	}
	if _, err := e.sc.Subscriptions.Cancel(s.ID, &stripe.SubscriptionCancelParams{InvoiceNow: stripe.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	last := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.subscription.*"), ListParams: stripe.ListParams{Limit: stripe.Int64(1), Single: true}})
	if !last.Next() || last.Event().Type != "customer.subscription.deleted" {
		t.Errorf("cancel event: %v", last.Err())
	}
}

// TestEventsShowTheirMoment checks that an event's data.object is the object as
// it was when the event happened, however it changed later.
func TestEventsShowTheirMoment(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	var prices []*stripe.Price
	for _, amount := range []int64{100, 200, 300} {
		prices = append(prices, licensedPrice(t, e.sc, amount, "month"))
	}
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(prices[0].ID)})
	si := s.Items.Data[0].ID
	for _, p := range prices[1:] {
		if _, err := e.sc.SubscriptionItems.Update(si, &stripe.SubscriptionItemParams{Price: stripe.String(p.ID), ProrationBehavior: stripe.String("none")}); err != nil {
			t.Fatal(err)
		}
	}
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.subscription.*")})
	var amounts []float64
	for it.Next() {
		ev := it.Event()
		data := ev.Data.Object["items"].(map[string]any)["data"].([]any)
		amounts = append(amounts, data[0].(map[string]any)["price"].(map[string]any)["unit_amount"].(float64))
		if ev.Type == "customer.subscription.updated" {
			prev := ev.Data.PreviousAttributes["items"].(map[string]any)["data"].([]any)
			amounts = append(amounts, -prev[0].(map[string]any)["price"].(map[string]any)["unit_amount"].(float64))
		}
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	// Newest first: 300 (was 200), 200 (was 100), created with 100.
	want := []float64{300, -200, 200, -100, 100}
	if fmt.Sprint(amounts) != fmt.Sprint(want) {
		t.Errorf("item prices in events = %v, want %v", amounts, want)
	}
}

// TestEventExpansion checks expand[] on events, and that an expansion does not
// stay in the event for later readers.
func TestEventExpansion(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 100, "month").ID)})
	r := e.do("GET", "/v1/events?type=customer.subscription.created&expand[]=data.data.object.customer", "")
	if r.status != 200 {
		t.Fatalf("list with expand: %s", r.body)
	}
	data := r.json["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["data"].(map[string]any)["object"].(map[string]any)["customer"].(map[string]any)["id"] != cus {
		t.Errorf("expanded customer: %s", r.body)
	}
	evID := data[0].(map[string]any)["id"].(string)
	r = e.do("GET", "/v1/events/"+evID+"?expand[]=data.object.latest_invoice", "")
	if r.status != 200 || r.json["data"].(map[string]any)["object"].(map[string]any)["latest_invoice"].(map[string]any)["id"] != s.LatestInvoice.ID {
		t.Errorf("retrieve with expand: %s", r.body)
	}
	r = e.do("GET", "/v1/events/"+evID, "")
	obj := r.json["data"].(map[string]any)["object"].(map[string]any)
	if obj["customer"] != cus || obj["latest_invoice"] != s.LatestInvoice.ID {
		t.Errorf("expansion stayed in the event: %s", r.body)
	}
}

// An event about the object a request answered with carries, byte for byte,
// the JSON of the response (written once for both), with its
// previous_attributes after it.
func TestEventDataIsTheResponse(t *testing.T) {
	e := newEnv(t)
	created := e.do("POST", "/v1/customers", "name=Ann&metadata[k]=v")
	id := created.json["id"].(string)
	updated := e.do("POST", "/v1/customers/"+id, "name=Bob")
	var list struct {
		Data []struct {
			Type string `json:"type"`
			Data struct {
				Object   json.RawMessage `json:"object"`
				Previous json.RawMessage `json:"previous_attributes"`
			} `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(e.do("GET", "/v1/events", "").body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 || list.Data[0].Type != "customer.updated" || list.Data[1].Type != "customer.created" {
		t.Fatalf("events: %+v", list.Data)
	}
	if got := list.Data[1].Data.Object; !bytes.Equal(got, created.body) || list.Data[1].Data.Previous != nil {
		t.Errorf("customer.created data:\n%s\nresponse:\n%s", got, created.body)
	}
	if got := list.Data[0].Data.Object; !bytes.Equal(got, updated.body) {
		t.Errorf("customer.updated data:\n%s\nresponse:\n%s", got, updated.body)
	}
	if got := string(list.Data[0].Data.Previous); got != `{"name":"Ann"}` {
		t.Errorf("previous_attributes: %s", got)
	}
}

// TestEventLogIDs checks how the log finds events by ID: its own events
// through the number in their ID (after a trim too), loaded ones through
// their saved IDs, even one whose ID reads as a number the log gives out, and
// nothing for an ID that has a right number but not the rest.
func TestEventLogIDs(t *testing.T) {
	l := newEventLog(newBudget(1 << 40))
	loaded := []*eventRecord{{id: "evt_legacyRandomID000000000", typ: "a"}, {id: "", typ: "b"}}
	loaded[1].id = store.SequenceID("evt", 2, eventSeqWidth, 24) // the number of an event the log will give out
	l.appendLoaded(loaded)
	var own []*eventRecord
	for range maxEvents/4 + 10 {
		own = append(own, &eventRecord{typ: "c"})
	}
	l.append(own[:3])
	l.append(own[3:])
	seen := map[string]bool{}
	for i, ev := range own {
		if len(ev.id) != len("evt_")+24 || seen[ev.id] {
			t.Fatalf("event %d has ID %q (repeated: %v)", i, ev.id, seen[ev.id])
		}
		seen[ev.id] = true
		if seq, ok := store.SequenceOf(ev.id, "evt", eventSeqWidth); !ok || seq != uint64(i+1) {
			t.Fatalf("event %d: ID %s reads as %d, %v", i, ev.id, seq, ok)
		}
	}
	for _, ev := range append(loaded, own[0], own[1], own[len(own)-1]) {
		if got := l.get(ev.id); got != ev {
			t.Errorf("get(%s) = %v, want the event", ev.id, got)
		}
	}
	forged := own[5].id[:len(own[5].id)-1] + "!"
	for _, id := range []string{forged, store.SequenceID("evt", uint64(len(own)+1), eventSeqWidth, 24), "evt_", "evt_!!!!!!!!", "cus_00000001aaaaaaaaaaaaaaaa", ""} {
		if got := l.get(id); got != nil {
			t.Errorf("get(%q) found %s", id, got.id)
		}
	}

	// Enough events to trim: the loaded ones go first, then the oldest own.
	var more []*eventRecord
	for range maxEvents {
		more = append(more, &eventRecord{typ: "d"})
	}
	l.append(more)
	all := l.snapshot()
	if len(all) > maxEvents+maxEvents/4 || all[len(all)-1] != more[len(more)-1] {
		t.Fatalf("after trimming: %d events, last %s", len(all), all[len(all)-1].id)
	}
	for _, ev := range append(loaded, own[0]) {
		if l.get(ev.id) != nil {
			t.Errorf("trimmed event %s still found", ev.id)
		}
	}
	if l.loaded != 0 || len(l.byID) != 0 {
		t.Errorf("after trimming the loaded events: loaded %d, byID %d", l.loaded, len(l.byID))
	}
	for _, ev := range []*eventRecord{all[0], all[len(all)/2], more[len(more)-1]} {
		if got := l.get(ev.id); got != ev {
			t.Errorf("get(%s) after trimming = %v", ev.id, got)
		}
	}
}
