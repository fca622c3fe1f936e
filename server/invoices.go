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

// lineItemResource is an invoice's line, rendered by its invoice (renderLine).
var lineItemResource = &resource[*billing.Line]{resourceDesc: resourceDesc{
	name:   "line_item",
	expand: map[string]string{"invoice_item": "invoiceitem", "subscription": "subscription", "subscription_item": "subscription_item"},
}}

// maxEmbeddedLines is how many lines an invoice object embeds; the rest are
// paged through its lines endpoint.
const maxEmbeddedLines = 10

func (rc *renderCtx) renderInvoice(inv *billing.Invoice) (jsonobj.Obj, error) {
	lines := make([]jsonobj.Obj, 0, min(len(inv.Lines), maxEmbeddedLines))
	for i := range inv.Lines {
		if i == maxEmbeddedLines {
			break
		}
		l, err := rc.renderLine(inv, &inv.Lines[i])
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	linesURL := "/v1/invoices/" + inv.ID + "/lines"
	if inv.Preview {
		linesURL = inv.LinesURL
	}
	subtotal := inv.Subtotal()
	var ending any
	if inv.EndingBalance != nil {
		ending = *inv.EndingBalance
	}
	var dueDate any
	if inv.DueDate != 0 {
		dueDate = inv.DueDate
	}
	var subDetails any
	if inv.Subscription != "" {
		subDetails = jsonobj.Obj{{K: "metadata", V: metadataOf(inv.SubscriptionMetadata)}}
	} else {
		subDetails = jsonobj.Obj{{K: "metadata", V: nil}}
	}
	taxExempt := inv.CustomerTaxExempt
	if taxExempt == "" {
		taxExempt = "none"
	}
	o := make(jsonobj.Obj, 0, 90)
	if inv.ID != "" { // an upcoming invoice has no id (optional, not nullable, in Stripe's spec)
		o = append(o, jsonobj.Field{K: "id", V: inv.ID})
	}
	return append(o, jsonobj.Obj{
		{K: "object", V: "invoice"},
		{K: "account_country", V: "US"},
		{K: "account_name", V: "stripe-emulator"},
		{K: "account_tax_ids", V: nil},
		{K: "amount_due", V: inv.AmountDue()},
		{K: "amount_paid", V: inv.AmountPaid},
		{K: "amount_remaining", V: inv.AmountRemaining()},
		{K: "amount_shipping", V: 0},
		{K: "application", V: nil},
		{K: "application_fee_amount", V: nil},
		{K: "attempt_count", V: inv.AttemptCount},
		{K: "attempted", V: inv.Attempted},
		{K: "auto_advance", V: inv.AutoAdvance},
		{K: "automatic_tax", V: jsonobj.Obj{{K: "enabled", V: false}, {K: "liability", V: nil}, {K: "status", V: nil}}},
		{K: "automatically_finalizes_at", V: nullIfZero(inv.FinalizesAt)},
		{K: "billing_reason", V: inv.BillingReason},
		{K: "charge", V: nil},
		{K: "collection_method", V: inv.CollectionMethod},
		{K: "created", V: inv.Created},
		{K: "currency", V: inv.Currency},
		{K: "custom_fields", V: nil},
		{K: "customer", V: inv.Customer},
		{K: "customer_address", V: nilObj(objOf(inv.CustomerAddress))},
		{K: "customer_email", V: orNull(inv.CustomerEmail)},
		{K: "customer_name", V: orNull(inv.CustomerName)},
		{K: "customer_phone", V: orNull(inv.CustomerPhone)},
		{K: "customer_shipping", V: nilObj(objOf(inv.CustomerShipping))},
		{K: "customer_tax_exempt", V: taxExempt},
		{K: "customer_tax_ids", V: []any{}},
		{K: "default_payment_method", V: nil},
		{K: "default_source", V: nil},
		{K: "default_tax_rates", V: []any{}},
		{K: "description", V: orNull(inv.Description)},
		{K: "discount", V: nil},
		{K: "discounts", V: []any{}},
		{K: "due_date", V: dueDate},
		{K: "effective_at", V: nullIfZero(inv.EffectiveAt)},
		{K: "ending_balance", V: ending},
		{K: "footer", V: nil},
		{K: "from_invoice", V: nil},
		{K: "hosted_invoice_url", V: nil},
		{K: "invoice_pdf", V: nil},
		{K: "issuer", V: jsonobj.Obj{{K: "type", V: "self"}}},
		{K: "last_finalization_error", V: nil},
		{K: "latest_revision", V: nil},
		{K: "lines", V: jsonobj.Obj{
			{K: "object", V: "list"},
			{K: "data", V: lines},
			{K: "has_more", V: len(inv.Lines) > len(lines)},
			{K: "total_count", V: len(inv.Lines)},
			{K: "url", V: linesURL},
		}},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(inv.Metadata)},
		{K: "next_payment_attempt", V: nullIfZero(inv.NextPaymentAttempt)},
		{K: "number", V: orNull(inv.Number)},
		{K: "on_behalf_of", V: nil},
		{K: "paid", V: inv.Paid},
		{K: "paid_out_of_band", V: inv.PaidOutOfBand},
		{K: "payment_intent", V: nil},
		{K: "payment_settings", V: jsonobj.Obj{{K: "default_mandate", V: nil}, {K: "payment_method_options", V: nil}, {K: "payment_method_types", V: nil}}},
		{K: "period_end", V: inv.PeriodEnd},
		{K: "period_start", V: inv.PeriodStart},
		{K: "post_payment_credit_notes_amount", V: 0},
		{K: "pre_payment_credit_notes_amount", V: 0},
		{K: "quote", V: nil},
		{K: "receipt_number", V: nil},
		{K: "rendering", V: nil},
		{K: "shipping_cost", V: nil},
		{K: "shipping_details", V: nil},
		{K: "starting_balance", V: inv.StartingBalance},
		{K: "statement_descriptor", V: nil},
		{K: "status", V: string(inv.Status)},
		{K: "status_transitions", V: jsonobj.Obj{
			{K: "finalized_at", V: nullIfZero(inv.FinalizedAt)},
			{K: "marked_uncollectible_at", V: nullIfZero(inv.UncollectibleAt)},
			{K: "paid_at", V: nullIfZero(inv.PaidAt)},
			{K: "voided_at", V: nullIfZero(inv.VoidedAt)},
		}},
		{K: "subscription", V: orNull(inv.Subscription)},
		{K: "subscription_details", V: subDetails},
		{K: "subtotal", V: subtotal},
		{K: "subtotal_excluding_tax", V: subtotal},
		{K: "tax", V: nil},
		{K: "test_clock", V: orNull(inv.TestClock)},
		{K: "total", V: subtotal},
		{K: "total_discount_amounts", V: []any{}},
		{K: "total_excluding_tax", V: subtotal},
		{K: "total_tax_amounts", V: []any{}},
		{K: "transfer_data", V: nil},
		{K: "webhooks_delivered_at", V: nullIfZero(inv.FinalizedAt)},
	}...), nil
}

func (rc *renderCtx) renderLine(inv *billing.Invoice, l *billing.Line) (jsonobj.Obj, error) {
	var priceObj, plan any
	if l.Price != "" {
		pr, err := rc.getPrice(l.Price, "price")
		if err != nil {
			return nil, err
		}
		priceObj, plan = rc.renderPrice(pr), rc.renderPlan(pr)
	}
	var invoiceID any
	if !inv.Preview {
		invoiceID = inv.ID
	}
	// invoice_item and subscription_item are optional and not nullable in
	// Stripe's spec: a line without one leaves the key out, as Stripe does.
	o := make(jsonobj.Obj, 0, 25)
	o = append(o,
		jsonobj.Field{K: "id", V: l.ID},
		jsonobj.Field{K: "object", V: "line_item"},
		jsonobj.Field{K: "amount", V: l.Amount},
		jsonobj.Field{K: "amount_excluding_tax", V: l.Amount},
		jsonobj.Field{K: "currency", V: l.Currency},
		jsonobj.Field{K: "description", V: orNull(l.Description)},
		jsonobj.Field{K: "discount_amounts", V: []any{}},
		jsonobj.Field{K: "discountable", V: l.Discountable},
		jsonobj.Field{K: "discounts", V: []any{}},
		jsonobj.Field{K: "invoice", V: invoiceID},
	)
	if l.InvoiceItem != "" {
		o = append(o, jsonobj.Field{K: "invoice_item", V: l.InvoiceItem})
	}
	o = append(o,
		jsonobj.Field{K: "livemode", V: false},
		jsonobj.Field{K: "metadata", V: metadataOf(l.Metadata)},
		jsonobj.Field{K: "period", V: jsonobj.Obj{{K: "end", V: l.PeriodEnd}, {K: "start", V: l.PeriodStart}}},
		jsonobj.Field{K: "plan", V: plan},
		jsonobj.Field{K: "price", V: priceObj},
		jsonobj.Field{K: "proration", V: l.Proration},
		jsonobj.Field{K: "proration_details", V: jsonobj.Obj{{K: "credited_items", V: nil}}},
		jsonobj.Field{K: "quantity", V: l.Quantity},
		jsonobj.Field{K: "subscription", V: orNull(l.Subscription)},
	)
	if l.SubscriptionItem != "" {
		o = append(o, jsonobj.Field{K: "subscription_item", V: l.SubscriptionItem})
	}
	return append(o,
		jsonobj.Field{K: "tax_amounts", V: []any{}},
		jsonobj.Field{K: "tax_rates", V: []any{}},
		jsonobj.Field{K: "type", V: l.Type},
		jsonobj.Field{K: "unit_amount_excluding_tax", V: decimalOrNull(l.UnitAmount)},
	), nil
}
