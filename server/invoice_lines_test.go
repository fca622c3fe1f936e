package server

import (
	"slices"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

// eventTypesOf are the types of the account's events about one object, oldest first.
func eventTypesOf(t *testing.T, e *testEnv, objectID string) []string {
	t.Helper()
	var out []string
	it := e.sc.Events.List(&stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(100)}})
	for it.Next() {
		if ev := it.Event(); ev.Data.Object["id"] == objectID {
			out = append([]string{string(ev.Type)}, out...)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// manualInvoice is a draft one-off invoice of a new customer with one
// invoice item of amount (0: none), collected by method.
func manualInvoice(t *testing.T, e *testEnv, method string, amount int64) (*stripe.Invoice, string) {
	t.Helper()
	cus := newCustomer(t, e.sc)
	p := &stripe.InvoiceParams{Customer: stripe.String(cus), CollectionMethod: stripe.String(method), PendingInvoiceItemsBehavior: stripe.String("include")}
	if method == "send_invoice" {
		p.DaysUntilDue = stripe.Int64(30)
	}
	if amount != 0 {
		if _, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(amount), Currency: stripe.String("usd"),
			Description: stripe.String("Consulting"), Metadata: map[string]string{"x": "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := e.sc.Invoices.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return inv, cus
}

// POST /v1/invoices/{invoice}/send: a send_invoice invoice is open after it
// (a draft is finalized first) and invoice.sent is sent; a paid one can be
// sent again; a void or charge_automatically one cannot.
func TestSendInvoice(t *testing.T) {
	for _, tt := range []struct {
		name    string
		method  string
		amount  int64
		prepare func(e *testEnv, id string)
		status  string   // after sending; "" for an error
		events  []string // the invoice's events after it was created
		code    string
	}{
		{name: "a draft is finalized and sent", method: "send_invoice", amount: 2500, status: "open",
			events: []string{"invoice.finalized", "invoice.sent"}},
		{name: "an open invoice", method: "send_invoice", amount: 2500, status: "open",
			prepare: func(e *testEnv, id string) { e.ok(e.sc.Invoices.FinalizeInvoice(id, nil)) },
			events:  []string{"invoice.finalized", "invoice.sent"}},
		{name: "a paid invoice", method: "send_invoice", amount: 2500, status: "paid",
			prepare: func(e *testEnv, id string) {
				e.ok(e.sc.Invoices.FinalizeInvoice(id, nil))
				e.ok(e.sc.Invoices.Pay(id, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)}))
			},
			events: []string{"invoice.finalized", "invoice.paid", "invoice.sent"}},
		{name: "a draft with nothing to pay", method: "send_invoice", status: "paid", events: []string{"invoice.finalized", "invoice.paid", "invoice.sent"}},
		{name: "a void invoice", method: "send_invoice", amount: 2500, code: "invoice_not_open",
			prepare: func(e *testEnv, id string) {
				e.ok(e.sc.Invoices.FinalizeInvoice(id, nil))
				e.ok(e.sc.Invoices.VoidInvoice(id, nil))
			},
			events: []string{"invoice.finalized", "invoice.voided"}},
		{name: "charge_automatically", method: "charge_automatically", amount: 2500, events: nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			inv, _ := manualInvoice(t, e, tt.method, tt.amount)
			if tt.prepare != nil {
				tt.prepare(e, inv.ID)
			}
			sent, err := e.sc.Invoices.SendInvoice(inv.ID, nil)
			if tt.status == "" {
				wantErr(t, err, 400, tt.code, "")
			} else if err != nil || string(sent.Status) != tt.status || sent.ID != inv.ID {
				t.Fatalf("sent: %v %+v", err, sent)
			}
			if got := eventTypesOf(t, e, inv.ID); !slices.Equal(got, append([]string{"invoice.created"}, tt.events...)) {
				t.Errorf("events %v, want invoice.created then %v", got, tt.events)
			}
		})
	}
	e := newEnv(t)
	_, err := e.sc.Invoices.SendInvoice("in_missing", nil)
	wantErr(t, err, 404, "resource_missing", "id")
	// The event carries the invoice as sent.
	inv, _ := manualInvoice(t, e, "send_invoice", 900)
	e.ok(e.sc.Invoices.SendInvoice(inv.ID, nil))
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("invoice.sent")})
	if !it.Next() || it.Event().Data.Object["status"] != "open" || it.Event().Data.Object["id"] != inv.ID {
		t.Fatalf("invoice.sent: %v", it.Err())
	}
	checkShape(t, "event", e.do("GET", "/v1/events/"+it.Event().ID, "").body)
}

// ok fails the env's test on a call's error (the result is not needed).
func (e *testEnv) ok(_ any, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// POST /v1/invoices/{invoice}/lines/{line_item_id} on an invoice-item line:
// the invoice item changes, the line shows it (same ID), and the totals follow.
func TestUpdateInvoiceItemLine(t *testing.T) {
	e := newEnv(t)
	inv, cus := manualInvoice(t, e, "send_invoice", 2500)
	if _, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(100), Currency: stripe.String("usd"), Invoice: stripe.String(inv.ID)}); err != nil {
		t.Fatal(err)
	}
	inv, _ = e.sc.Invoices.Get(inv.ID, nil)
	line := inv.Lines.Data[0]
	oneTime := e.do("POST", "/v1/prices", "currency=usd&unit_amount=700&product_data[name]=Setup").json["id"].(string)
	for _, tt := range []struct {
		name     string
		params   *stripe.InvoiceLineItemParams
		amount   int64
		desc     string
		metadata map[string]string
	}{
		{"amount, description, metadata merged, period", &stripe.InvoiceLineItemParams{Amount: stripe.Int64(4000), Description: stripe.String("More consulting"),
			Metadata: map[string]string{"a": "b"}, Period: &stripe.InvoiceLineItemPeriodParams{Start: stripe.Int64(t0.Unix() - 86400), End: stripe.Int64(t0.Unix())}},
			4000, "More consulting", map[string]string{"x": "1", "a": "b"}},
		{"a price and a quantity", &stripe.InvoiceLineItemParams{Price: stripe.String(oneTime), Quantity: stripe.Int64(2)},
			1400, "More consulting", map[string]string{"x": "1", "a": "b"}},
		{"a metadata key unset", &stripe.InvoiceLineItemParams{Metadata: map[string]string{"x": ""}, Discountable: stripe.Bool(false)},
			1400, "More consulting", map[string]string{"a": "b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.params.Invoice = stripe.String(inv.ID)
			l, err := e.sc.InvoiceLineItems.Update(line.ID, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if l.ID != line.ID || l.Amount != tt.amount || l.Description != tt.desc || !mapsEqual(l.Metadata, tt.metadata) || l.InvoiceItem.ID != line.InvoiceItem.ID {
				t.Errorf("line: %+v", l)
			}
			got, _ := e.sc.Invoices.Get(inv.ID, nil)
			if got.Total != tt.amount+100 || got.Subtotal != tt.amount+100 || got.AmountDue != tt.amount+100 || got.Lines.Data[0].ID != line.ID {
				t.Errorf("invoice totals: total %d subtotal %d due %d", got.Total, got.Subtotal, got.AmountDue)
			}
			ii, _ := e.sc.InvoiceItems.Get(line.InvoiceItem.ID, nil)
			if ii.Amount != tt.amount || ii.Description != tt.desc || !mapsEqual(ii.Metadata, tt.metadata) {
				t.Errorf("the invoice item does not follow: %+v", ii)
			}
		})
	}
	l, _ := e.sc.InvoiceItems.Get(line.InvoiceItem.ID, nil)
	if l.Period.Start != t0.Unix()-86400 || l.Period.End != t0.Unix() || l.Discountable || l.Quantity != 2 || l.Price.ID != oneTime {
		t.Errorf("invoice item: %+v", l)
	}
	if it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("invoice.updated")}); !it.Next() {
		t.Error("no invoice.updated event")
	}
	if got := eventTypesOf(t, e, line.InvoiceItem.ID); !slices.Equal(got, []string{"invoiceitem.created"}) {
		t.Errorf("the invoice item's events: %v (Stripe sends no invoiceitem.updated)", got)
	}
	raw := e.do("GET", "/v1/invoices/"+inv.ID+"/lines", "")
	checkShape(t, "line_item", mustJSON(t, raw.json["data"].([]any)[0]))
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The errors: a finalized invoice, a line that is not on it, what the
// emulator does not implement, a price in a currency other than the line's.
func TestUpdateInvoiceLineErrors(t *testing.T) {
	e := newEnv(t)
	draft, _ := manualInvoice(t, e, "send_invoice", 2500)
	line := draft.Lines.Data[0].ID
	open, _ := manualInvoice(t, e, "send_invoice", 900)
	e.ok(e.sc.Invoices.FinalizeInvoice(open.ID, nil))
	euros := e.do("POST", "/v1/prices", "currency=eur&unit_amount=700&product_data[name]=Setup").json["id"].(string)
	for _, tt := range []struct {
		name, invoice, line, body string
		status                    int
		code, param, msg          string
	}{
		{"a finalized invoice", open.ID, open.Lines.Data[0].ID, "description=x", 400, "invoice_not_editable", "", "only update the lines of a draft invoice"},
		{"no such line", draft.ID, "il_missing", "description=x", 404, "resource_missing", "id", "No such line item"},
		{"a line of another invoice", draft.ID, open.Lines.Data[0].ID, "description=x", 404, "resource_missing", "id", "No such line item"},
		{"no such invoice", "in_missing", line, "description=x", 404, "resource_missing", "id", "No such invoice"},
		{"tax rates", draft.ID, line, "tax_rates[]=txr_1", 400, "", "tax_rates", "does not support the parameter tax_rates"},
		{"discounts", draft.ID, line, "discounts[0][coupon]=c", 400, "", "discounts", "does not support the parameter discounts"},
		{"price_data", draft.ID, line, "price_data[currency]=usd&price_data[product]=prod_x&price_data[unit_amount]=5", 400, "", "price_data", "does not support the parameter price_data"},
		{"tax amounts", draft.ID, line, "tax_amounts[0][amount]=1&tax_amounts[0][taxable_amount]=10&tax_amounts[0][tax_rate_data][display_name]=VAT&tax_amounts[0][tax_rate_data][inclusive]=false&tax_amounts[0][tax_rate_data][percentage]=10",
			400, "", "tax_amounts", "does not support the parameter tax_amounts"},
		{"an unknown parameter", draft.ID, line, "unit_amount=5", 400, "parameter_unknown", "unit_amount", "Received unknown parameter"},
		{"a period without its end", draft.ID, line, "period[start]=1", 400, "parameter_missing", "period[end]", ""},
		{"amount and price", draft.ID, line, "amount=5&price=price_x", 400, "parameters_exclusive", "amount", ""},
		{"a price in another currency", draft.ID, line, "price=" + euros, 400, "parameter_invalid", "price", "must match the invoice item's currency (usd)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/v1/invoices/"+tt.invoice+"/lines/"+tt.line, tt.body)
			if r.status != tt.status || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
	if got, _ := e.sc.Invoices.Get(draft.ID, nil); got.Total != 2500 || got.Lines.Data[0].Description != "Consulting" || got.Lines.Data[0].Currency != "usd" {
		t.Errorf("a refused change changed the draft: %+v", got.Lines.Data[0])
	}
	// The invoice item itself refuses it too.
	if r := e.do("POST", "/v1/invoiceitems/"+draft.Lines.Data[0].InvoiceItem.ID, "price="+euros); r.status != 400 || r.errField("param") != "price" {
		t.Errorf("an invoice item moved to a price in another currency: %d %s", r.status, r.body)
	}
}

// A subscription line of a renewal draft takes a description, discountable
// and metadata (set as given), which survive the re-rating of its usage at
// finalization, as does its ID; its amount, price, quantity and period are
// refused.
func TestUpdateSubscriptionLine(t *testing.T) {
	e := newEnv(t)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	cus, err := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	mustSend(t, e.sc, cus.ID, "3000", 0)
	aug1 := int64(1722470400)
	advance(t, e.sc, clock.ID, aug1)
	draft := customerInvoices(t, e.sc, cus.ID)[0]
	if draft.Status != "draft" || len(draft.Lines.Data) != 1 {
		t.Fatalf("the renewal draft: %+v", draft)
	}
	line := draft.Lines.Data[0]
	for _, tt := range []struct{ body, param, msg string }{
		{"amount=100", "amount", "only change the amount of an invoice item line"},
		{"quantity=5", "quantity", "only change the quantity of an invoice item line"},
		{"price=" + price.ID, "price", "only change the price of an invoice item line"},
		{"period[start]=1719792000&period[end]=1719795600", "period", "does not support changing the period of a subscription line"},
	} {
		r := e.do("POST", "/v1/invoices/"+draft.ID+"/lines/"+line.ID, tt.body)
		if r.status != 400 || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", tt.body, r.status, r.body)
		}
	}
	l, err := e.sc.InvoiceLineItems.Update(line.ID, &stripe.InvoiceLineItemParams{Invoice: stripe.String(draft.ID),
		Description: stripe.String("Tokens, July"), Metadata: map[string]string{"team": "a"}})
	if err != nil || l.Description != "Tokens, July" || !mapsEqual(l.Metadata, map[string]string{"team": "a"}) || l.Amount != 12 || l.SubscriptionItem == nil {
		t.Fatalf("subscription line: %v %+v", err, l)
	}
	// Metadata replaces, it does not merge.
	l, err = e.sc.InvoiceLineItems.Update(line.ID, &stripe.InvoiceLineItemParams{Invoice: stripe.String(draft.ID), Metadata: map[string]string{"cost": "x"}})
	if err != nil || !mapsEqual(l.Metadata, map[string]string{"cost": "x"}) || l.Description != "Tokens, July" {
		t.Fatalf("metadata of a subscription line: %v %+v", err, l)
	}
	// Usage reported in the grace hour is billed; the edits stay.
	mustSend(t, e.sc, cus.ID, "1000", aug1-60)
	advance(t, e.sc, clock.ID, aug1+3600)
	fin, err := e.sc.Invoices.Get(draft.ID, nil)
	if err != nil || fin.Status == "draft" || len(fin.Lines.Data) != 1 {
		t.Fatalf("finalized: %v %+v", err, fin)
	}
	if fl := fin.Lines.Data[0]; fl.ID != line.ID || fl.Quantity != 4000 || fl.Amount != 16 || fl.Description != "Tokens, July" || !mapsEqual(fl.Metadata, map[string]string{"cost": "x"}) {
		t.Errorf("the re-rated line: %+v", fl)
	}
}

// A line keeps its ID while the draft's invoice items change: on a renewal
// draft with a proration (an invoice-item line) and a subscription line, an
// invoice item added to the draft leaves both IDs as they were, so the
// proration's line can still be edited by the ID read before.
func TestDraftLineIDsStayWhenItsItemsChange(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 3100, "month").ID)})
	advance(t, e.sc, clockID, t0.Unix()+10*day)
	if _, err := e.sc.SubscriptionItems.Update(sub.Items.Data[0].ID, &stripe.SubscriptionItemParams{Quantity: stripe.Int64(2)}); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clockID, aug1)
	draft := latestInvoice(t, e.sc, sub.ID)
	if draft.Status != "draft" || len(draft.Lines.Data) != 3 || draft.Lines.Data[0].Type != "invoiceitem" {
		t.Fatalf("the renewal draft: %s %s", draft.Status, lineSummary(draft))
	}
	if _, err := e.sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(100), Currency: stripe.String("usd"),
		Invoice: stripe.String(draft.ID)}); err != nil {
		t.Fatal(err)
	}
	got, err := e.sc.Invoices.Get(draft.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range got.Lines.Data {
		ids[l.ID] = true
	}
	for _, l := range draft.Lines.Data {
		if !ids[l.ID] {
			t.Errorf("line %s (%s %d) is gone from the draft after an invoice item joined it", l.ID, l.Type, l.Amount)
		}
	}
	if len(got.Lines.Data) != 4 {
		t.Errorf("lines after: %s", lineSummary(got))
	}
	credit := draft.Lines.Data[0]
	if _, err := e.sc.InvoiceLineItems.Update(credit.ID, &stripe.InvoiceLineItemParams{Invoice: stripe.String(draft.ID), Description: stripe.String("Seat credit")}); err != nil {
		t.Errorf("editing the proration line by the ID read before: %v", err)
	}
}

// An invoice item raises invoiceitem.created and invoiceitem.deleted, never
// invoiceitem.updated (an event type Stripe removed from every version), at
// every version: updating one through its own endpoint or through its
// invoice's line shows only in the invoice's events.
func TestInvoiceItemEvents(t *testing.T) {
	for _, v := range []string{"2024-06-20", "2025-03-31.basil", "2026-10-28.endive"} {
		t.Run(strings.ReplaceAll(v, ".", "_"), func(t *testing.T) {
			e := newEnv(t)
			draft, _ := manualInvoice(t, e, "send_invoice", 2500)
			ii := draft.Lines.Data[0].InvoiceItem.ID
			for _, tt := range []struct{ path, body string }{
				{"/v1/invoiceitems/" + ii, "description=Changed&metadata[y]=2"},
				{"/v1/invoices/" + draft.ID + "/lines/" + draft.Lines.Data[0].ID, "description=Again"},
			} {
				if r := e.do("POST", tt.path, tt.body, at(v)...); r.status != 200 {
					t.Fatalf("POST %s: %d %s", tt.path, r.status, r.body)
				}
			}
			if r := e.do("DELETE", "/v1/invoiceitems/"+ii, "", at(v)...); r.status != 200 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if got, want := eventTypesOf(t, e, ii), []string{"invoiceitem.created", "invoiceitem.deleted"}; !slices.Equal(got, want) {
				t.Errorf("events of the invoice item: %v, want %v", got, want)
			}
			if got := eventTypesOf(t, e, draft.ID); !slices.Contains(got, "invoice.updated") {
				t.Errorf("events of the invoice: %v, want an invoice.updated", got)
			}
		})
	}
}
