package server

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// The checker itself: a null where the spec makes a field optional and not
// nullable is reported, at any depth (an expanded object, a list's data, an
// event's data.object); a nullable field's null, an absent field and an
// event's previous_attributes are not.
func TestCheckNullsFindsNulls(t *testing.T) {
	schemas, err := loadSpecSchemas()
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("Stripe's spec is absent (%v): the null-versus-absent checker is not tested", err))
	}
	for _, tt := range []struct {
		name, object, body string
		want               []string
	}{
		{"absent is fine", "line_item", `{"id":"il_1","object":"line_item","type":"invoiceitem","invoice_item":"ii_1"}`, nil},
		{"nullable null is fine", "line_item", `{"id":"il_1","object":"line_item","subscription":null,"price":null}`, nil},
		{"optional null", "line_item", `{"id":"il_1","object":"line_item","subscription_item":null}`,
			[]string{"line_item.subscription_item: null, but the spec makes it optional and not nullable"}},
		{"in a list inside an invoice", "invoice", `{"object":"invoice","lines":{"object":"list","data":[{"object":"line_item","invoice_item":null}]}}`,
			[]string{"invoice.lines.data[0].invoice_item: null, but the spec makes it optional and not nullable"}},
		{"invoice id", "invoice", `{"id":null,"object":"invoice"}`, []string{"invoice.id: null, but the spec makes it optional and not nullable"}},
		{"in an expanded object", "line_item", `{"object":"line_item","price":{"object":"price","tiers":null}}`,
			[]string{"line_item.price.tiers: null, but the spec makes it optional and not nullable"}},
		{"in an event's object", "event", `{"object":"event","data":{"object":{"object":"line_item","subscription_item":null}}}`,
			[]string{"event.data.object.subscription_item: null, but the spec makes it optional and not nullable"}},
		{"a field the spec lacks", "line_item", `{"object":"line_item","plan":null}`, nil},
		// previous_attributes holds what fields were, nulls included (a field
		// set for the first time was null): not the object's shape.
		{"an event's previous_attributes", "event", `{"object":"event","data":{"object":{"object":"invoiceitem","subscription_item":"si_1"},"previous_attributes":{"subscription_item":null,"invoice":null}}}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := jsonUnmarshal([]byte(tt.body), &v); err != nil {
				t.Fatal(err)
			}
			var got []string
			nullProblems(schemas, schemas[tt.object], v, tt.object, &got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Every object the emulator renders sends no null where Stripe leaves the
// field out: lines of both kinds in invoices, previews, line lists and events;
// upcoming invoices without an id; per-unit prices listed with their tiers
// expanded; and the rest (customers with shipping, products, subscriptions,
// items, invoice items, test clocks, webhook endpoints).
func TestNoNullWhereStripeLeavesFieldsOut(t *testing.T) {
	e := newEnvWithCard(t)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	cr := e.do("POST", "/v1/customers", "name=J&test_clock="+clock.ID+"&shipping[name]=J&shipping[address][line1]=x")
	checkShape(t, "customer", cr.body)
	cus := cr.json["id"].(string)
	m := alpacaMeter(t, e.sc)
	metered := alpacaPrice(t, e.sc, m.ID)
	licensed := e.do("POST", "/v1/prices", "currency=usd&unit_amount=1000&recurring[interval]=month&product_data[name]=Seat").json["id"].(string)
	tiered := e.do("POST", "/v1/prices", "currency=usd&recurring[interval]=month&product_data[name]=T&billing_scheme=tiered&tiers_mode=graduated&tiers[0][up_to]=10&tiers[0][unit_amount]=5&tiers[1][up_to]=inf&tiers[1][unit_amount]=3").json["id"].(string)
	for _, path := range []string{"/v1/prices/" + metered.ID + "?expand[]=tiers", "/v1/prices/" + tiered + "?expand[]=tiers"} {
		checkShape(t, "price", e.do("GET", path, "").body)
	}
	prices := e.do("GET", "/v1/prices?expand[]=data.tiers", "")
	for _, p := range prices.json["data"].([]any) {
		checkShape(t, "price", mustJSON(t, p))
	}
	checkShape(t, "product", e.do("POST", "/v1/products", "name=P&marketing_features[0][name]=f").body)
	sub := e.do("POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+metered.ID+"&items[1][price]="+licensed)
	checkShape(t, "subscription", sub.body)
	items := sub.json["items"].(map[string]any)["data"].([]any)
	checkShape(t, "subscription_item", e.do("GET", "/v1/subscription_items/"+items[0].(map[string]any)["id"].(string), "").body)
	ii := e.do("POST", "/v1/invoiceitems", "customer="+cus+"&amount=250&currency=usd")
	checkShape(t, "invoiceitem", ii.body)
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "3000", 0, ""); err != nil {
		t.Fatal(err)
	}

	upcoming := e.do("GET", "/v1/invoices/upcoming?customer="+cus, "")
	checkShape(t, "invoice", upcoming.body)
	if _, has := upcoming.json["id"]; has {
		t.Errorf("GET /v1/invoices/upcoming has an id key: %v", upcoming.json["id"])
	}
	if n := len(upcoming.json["lines"].(map[string]any)["data"].([]any)); n != 3 {
		t.Fatalf("upcoming lines: %d, want the invoice item and both subscription lines", n)
	}
	checkShape(t, "invoice", e.do("POST", "/v1/invoices/create_preview", "customer="+cus).body)
	for _, l := range e.do("GET", "/v1/invoices/upcoming/lines?customer="+cus, "").json["data"].([]any) {
		checkShape(t, "line_item", mustJSON(t, l))
	}
	// Expanding a field a line leaves out is not an error; it stays out.
	expanded := e.do("GET", "/v1/invoices/upcoming/lines?customer="+cus+"&expand[]=data.invoice_item&expand[]=data.subscription_item", "")
	if expanded.status != 200 {
		t.Fatalf("expanding the lines' references: %d %s", expanded.status, expanded.body)
	}
	lit := e.sc.Invoices.UpcomingLines(&stripe.InvoiceUpcomingLinesParams{Customer: stripe.String(cus),
		ListParams: stripe.ListParams{Expand: stripe.StringSlice([]string{"data.invoice_item", "data.subscription_item"})}})
	for lit.Next() {
		l := lit.InvoiceLineItem()
		switch l.Type {
		case "invoiceitem":
			if l.InvoiceItem == nil || l.InvoiceItem.Amount != 250 || l.SubscriptionItem != nil {
				t.Errorf("invoice-item line, expanded: %+v", l)
			}
		default:
			if l.SubscriptionItem == nil || l.SubscriptionItem.Created == 0 || l.InvoiceItem != nil {
				t.Errorf("subscription line, expanded: %+v", l)
			}
		}
	}
	if err := lit.Err(); err != nil {
		t.Fatal(err)
	}
	first := sub.json["latest_invoice"].(string)
	checkShape(t, "invoice", e.do("GET", "/v1/invoices/"+first, "").body)
	for _, l := range e.do("GET", "/v1/invoices/"+first+"/lines", "").json["data"].([]any) {
		checkShape(t, "line_item", mustJSON(t, l))
	}
	manual := e.do("POST", "/v1/invoices", "customer="+cus+"&pending_invoice_items_behavior=include")
	checkShape(t, "invoice", manual.body)

	// Events: invoice.upcoming three days before the renewal, and every event so far.
	advance(t, e.sc, clock.ID, 1722470400-2*86400)
	checkShape(t, "test_helpers.test_clock", e.do("GET", "/v1/test_helpers/test_clocks/"+clock.ID, "").body)
	wh := e.do("POST", "/v1/webhook_endpoints", "url="+url.QueryEscape("https://example.com/h")+"&enabled_events[]=*")
	checkShape(t, "webhook_endpoint", e.do("GET", "/v1/webhook_endpoints/"+wh.json["id"].(string), "").body)
	seen := map[string]bool{}
	evs := e.sc.Events.List(&stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(100)}})
	for evs.Next() {
		ev := evs.Event()
		seen[string(ev.Type)] = true
		checkShape(t, "event", e.do("GET", "/v1/events/"+ev.ID, "").body)
	}
	if err := evs.Err(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"invoice.upcoming", "invoice.created", "invoiceitem.created", "customer.subscription.created"} {
		if !seen[typ] {
			t.Errorf("no %s event among %v", typ, seen)
		}
	}
	upEvents := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("invoice.upcoming")})
	for upEvents.Next() {
		raw := e.do("GET", "/v1/events/"+upEvents.Event().ID, "")
		obj := raw.json["data"].(map[string]any)["object"].(map[string]any)
		if _, has := obj["id"]; has {
			t.Errorf("invoice.upcoming's invoice has an id key: %v", obj["id"])
		}
	}
}
