package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func invoiceEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/invoices/search", op: "GetInvoicesSearch", mode: txRead, h: searchInvoices},
		{route: "POST /v1/invoices", op: "PostInvoices", mode: txWrite, h: createInvoice,
			accepts: []string{"auto_advance", "collection_method", "currency", "customer", "days_until_due", "description", "due_date", "metadata", "pending_invoice_items_behavior", "subscription"}},
		{route: "GET /v1/invoices", op: "GetInvoices", mode: txRead, h: listInvoices},
		{route: "GET /v1/invoices/{invoice}", op: "GetInvoicesInvoice", mode: txRead, h: retrieveInvoice},
		{route: "POST /v1/invoices/{invoice}", op: "PostInvoicesInvoice", mode: txWrite, h: updateInvoice,
			accepts: []string{"auto_advance", "collection_method", "days_until_due", "description", "due_date", "metadata"}},
		{route: "DELETE /v1/invoices/{invoice}", op: "DeleteInvoicesInvoice", mode: txWrite, h: deleteInvoice},
		{route: "GET /v1/invoices/{invoice}/lines", op: "GetInvoicesInvoiceLines", mode: txRead, h: listInvoiceLines},
		{route: "POST /v1/invoices/{invoice}/finalize", op: "PostInvoicesInvoiceFinalize", mode: txWrite, h: finalizeInvoiceAPI},
		{route: "POST /v1/invoices/{invoice}/pay", op: "PostInvoicesInvoicePay", mode: txWrite, h: payInvoice, accepts: []string{"forgive", "off_session", "paid_out_of_band"}},
		{route: "POST /v1/invoices/{invoice}/void", op: "PostInvoicesInvoiceVoid", mode: txWrite, h: voidInvoice},
		{route: "POST /v1/invoices/{invoice}/mark_uncollectible", op: "PostInvoicesInvoiceMarkUncollectible", mode: txWrite, h: markUncollectible},
		// Not in the 2024-06-20 catalogue (stripe-go v79 has both).
		{route: "POST /v1/invoices/{invoice}/send", schema: expandOnly, mode: txWrite, h: sendInvoice},
		{route: "POST /v1/invoices/{invoice}/lines/{line_item_id}", schema: invoiceLineSchema, mode: txWrite, h: updateInvoiceLine,
			accepts: invoiceLineParams},
	}
}

func (c *call) getInvoice(id, param string) (*billing.Invoice, error) {
	return billing.GetInvoice(c.tx, id, param)
}

const tInvoices = billing.TableInvoices

// invoiceResource: its events follow its status (invoiceEvents).
var invoiceResource = &resource[*billing.Invoice]{
	resourceDesc: resourceDesc{
		name:  "invoice",
		noun:  "invoice",
		table: billing.Table(tInvoices),
		codec: shadowCodec(func(inv *billing.Invoice) *invoiceState {
			return &invoiceState{Invoice: inv, CustomerAddress: stateObj(objOf(inv.CustomerAddress)), CustomerShipping: stateObj(objOf(inv.CustomerShipping))}
		}, func(st *invoiceState) *billing.Invoice {
			inv := st.Invoice
			inv.CustomerAddress, inv.CustomerShipping = attrsOf(jsonobj.Obj(st.CustomerAddress)), attrsOf(jsonobj.Obj(st.CustomerShipping))
			return inv
		}),
		expand: map[string]string{"application": "application", "charge": "charge", "customer": "customer",
			"default_payment_method": "payment_method", "default_source": "source", "latest_revision": "invoice",
			"on_behalf_of": "account", "payment_intent": "payment_intent", "quote": "quote", "subscription": "subscription",
			"test_clock": "test_helpers.test_clock", "from_invoice.invoice": "invoice", "issuer.account": "account",
			"automatic_tax.liability.account": "account", "transfer_data.destination": "account"},
		search: &searchable{
			url: "/v1/invoices/search",
			fields: map[string]search.FieldType{"created": search.Number, "currency": search.Token, "customer": search.Token,
				"number": search.Token, "receipt_number": search.Token, "status": search.Token, "subscription": search.Token, "total": search.Number},
			doc: func(r store.Record) search.Doc {
				inv := r.(*billing.Invoice)
				d := fieldDoc{fields: map[string]search.Value{"created": num(inv.Created), "currency": {Str: inv.Currency},
					"customer": {Str: inv.Customer}, "status": {Str: string(inv.Status)}, "total": num(inv.Subtotal())}, metadata: inv.Metadata}
				if v, ok := text(inv.Number); ok {
					d.fields["number"] = v
				}
				if v, ok := text(inv.Subscription); ok {
					d.fields["subscription"] = v
				}
				return d
			},
		},
		routes: invoiceEndpoints,
	},
	render: (*renderCtx).renderInvoice,
}

// invoiceState is an invoice in a state file.
type invoiceState struct {
	*billing.Invoice
	CustomerAddress  stateObj
	CustomerShipping stateObj
}

// createInvoice creates a draft invoice for a customer (a one-off invoice),
// with their pending invoice items when pending_invoice_items_behavior=include.
func createInvoice(c *call) (jsonobj.Obj, error) {
	p := c.params
	inv, err := billing.CreateInvoice(&c.u, billing.InvoiceCreate{
		Customer: optString(p, "customer"), Subscription: optString(p, "subscription"), Currency: optString(p, "currency"),
		IncludePending: p.StringOr("pending_invoice_items_behavior", "exclude") == "include", Settings: decodeInvoiceSettings(p)})
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// decodeInvoiceSettings is what creating an invoice and updating a draft share.
func decodeInvoiceSettings(p *form.Params) billing.InvoiceSettings {
	return billing.InvoiceSettings{CollectionMethod: optString(p, "collection_method"), AutoAdvance: optBool(p, "auto_advance"),
		DaysUntilDue: optInt(p, "days_until_due"), DueDate: optInt(p, "due_date"), Description: optString(p, "description"),
		Metadata: decodeMetadata(p, "metadata")}
}

func retrieveInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// updateInvoice changes metadata and description; a draft also its collection.
func updateInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := billing.UpdateInvoice(&c.u, c.pathID(), decodeInvoiceSettings(c.params))
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// deleteInvoice deletes a draft; its invoice items become pending again.
func deleteInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := billing.DeleteInvoice(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: inv.ID}, {K: "object", V: "invoice"}, {K: "deleted", V: true}}, nil
}

func finalizeInvoiceAPI(c *call) (jsonobj.Obj, error) {
	inv, err := billing.FinalizeDraft(&c.u, c.pathID(), billing.FinalizeRequest{AutoAdvance: optBool(c.params, "auto_advance")})
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// payInvoice pays an open invoice: as if by the customer's card (the emulator
// holds none), or out of band with paid_out_of_band.
func payInvoice(c *call) (jsonobj.Obj, error) {
	oob, _ := c.params.Bool("paid_out_of_band")
	inv, err := billing.Pay(&c.u, c.pathID(), billing.PayRequest{PaidOutOfBand: oob})
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

// sendInvoice answers POST /v1/invoices/{invoice}/send (billing.Send): the
// invoice.sent event shows the invoice answered.
func sendInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := billing.Send(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	obj, err := c.renderInvoice(inv)
	if err != nil {
		return nil, err
	}
	return c.answer(inv, obj), nil
}

// voidInvoice voids an open or uncollectible invoice; the customer balance it
// used is given back.
func voidInvoice(c *call) (jsonobj.Obj, error) {
	inv, err := billing.Void(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

func markUncollectible(c *call) (jsonobj.Obj, error) {
	inv, err := billing.MarkUncollectible(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderInvoice(inv)
}

func listInvoices(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, byCustomer := p.String("customer")
	subID, bySub := p.String("subscription")
	status, byStatus := p.String("status")
	method, byMethod := p.String("collection_method")
	dueFilter := rangeFilter(p, "due_date")
	match := func(r store.Record) bool {
		inv := r.(*billing.Invoice)
		return (!byCustomer || inv.Customer == customerID) && (!bySub || inv.Subscription == subID) &&
			(!byStatus || inv.Status == billing.InvoiceStatus(status)) && (!byMethod || inv.CollectionMethod == method) &&
			(dueFilter == nil || inv.DueDate != 0 && dueFilter(inv.DueDate))
	}
	return c.list(tInvoices, "invoice", "/v1/invoices", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderInvoice(r.(*billing.Invoice))
	})
}

func listInvoiceLines(c *call) (jsonobj.Obj, error) {
	inv, err := c.getInvoice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	view := *inv
	view.LinesURL = "/v1/invoices/" + inv.ID + "/lines"
	return c.pageLines(&view)
}

func searchInvoices(c *call) (jsonobj.Obj, error) {
	return c.search("invoice")
}
