package server

import (
	"strings"
	"testing"
	"time"

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
	e := newEnv(t)
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
