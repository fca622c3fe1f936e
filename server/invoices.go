package server

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

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
		{route: "POST /v1/invoices/{invoice}/pay", op: "PostInvoicesInvoicePay", mode: txWrite, h: payInvoice, accepts: []string{"forgive", "off_session", "paid_out_of_band", "payment_method"}},
		{route: "POST /v1/invoices/{invoice}/void", op: "PostInvoicesInvoiceVoid", mode: txWrite, h: voidInvoice},
		{route: "POST /v1/invoices/{invoice}/mark_uncollectible", op: "PostInvoicesInvoiceMarkUncollectible", mode: txWrite, h: markUncollectible},
		// Not in the 2024-06-20 catalogue (stripe-go v79 has both).
		{route: "POST /v1/invoices/{invoice}/send", schema: expandOnly, mode: txWrite, h: sendInvoice},
		{route: "POST /v1/invoices/{invoice}/lines/{line_item_id}", schema: invoiceLineSchema, mode: txWrite, h: updateInvoiceLine,
			accepts: invoiceLineParams, newer: []string{"pricing"}},
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
			"automatic_tax.liability.account": "account", "transfer_data.destination": "account",
			"parent.subscription_details.subscription": "subscription"},
		shape: invoiceShape,
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

// payInvoice pays an invoice (billing.Pay): by card (payment_method, a
// pm_card_* id cloned here; or the invoice's defaults'), or out of band with
// paid_out_of_band.
func payInvoice(c *call) (jsonobj.Obj, error) {
	p := c.params
	in := billing.PayRequest{PaidOutOfBand: optBool(p, "paid_out_of_band").V}
	if v := optBool(p, "off_session"); v.Set {
		in.OnSession = !v.V
	}
	if id, ok := p.String("payment_method"); ok && !in.PaidOutOfBand {
		if _, err := billing.GetInvoice(c.tx, c.pathID(), "id"); err != nil {
			return nil, err // before a magic id is cloned for nothing
		}
		pm, err := c.paymentMethod(id, "payment_method")
		if err != nil {
			return nil, err
		}
		in.PaymentMethod, in.Attach = pm, pm.ID != id
	}
	inv, err := billing.Pay(&c.u, c.pathID(), in)
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
	name: "line_item",
	expand: map[string]string{"invoice_item": "invoiceitem", "subscription": "subscription", "subscription_item": "subscription_item",
		"pricing.price_details.price": "price"},
	shape: lineItemShape,
}}

// maxEmbeddedLines is how many lines an invoice object embeds; the rest are
// paged through its lines endpoint.
const maxEmbeddedLines = 10

func (rc *renderCtx) renderInvoice(inv *billing.Invoice) (jsonobj.Obj, error) {
	iv := &invoiceView{inv: inv, lines: make([]lineView, 0, min(len(inv.Lines), maxEmbeddedLines))}
	for i := range inv.Lines {
		if i == maxEmbeddedLines {
			break
		}
		lv, err := rc.lineView(inv, &inv.Lines[i])
		if err != nil {
			return nil, err
		}
		iv.lines = append(iv.lines, lv)
	}
	if !inv.Preview && invoiceShape.has(rc.v, "payments") {
		ps, err := invoicePaymentsOf(rc.tx, inv.ID)
		if err != nil {
			return nil, err
		}
		iv.payments = ps
	}
	return invoiceShape.render(rc, iv), nil
}

// invoiceView is what an invoice renders from: it, its embedded lines and
// (at the versions that have invoice.payments) its invoice payments, newest
// first.
type invoiceView struct {
	inv      *billing.Invoice
	lines    []lineView
	payments []*billing.InvoicePayment
}

// lineView is what an invoice line renders from: it, its invoice and its
// price (nil for a line without one).
type lineView struct {
	inv *billing.Invoice
	l   *billing.Line
	pr  *billing.Price
}

func (rc *renderCtx) lineView(inv *billing.Invoice, l *billing.Line) (lineView, error) {
	lv := lineView{inv: inv, l: l}
	if l.Price != "" {
		pr, err := rc.getPrice(l.Price, "price")
		if err != nil {
			return lv, err
		}
		lv.pr = pr
	}
	return lv, nil
}

func (rc *renderCtx) renderLine(inv *billing.Invoice, l *billing.Line) (jsonobj.Obj, error) {
	lv, err := rc.lineView(inv, l)
	if err != nil {
		return nil, err
	}
	return lineItemShape.render(rc, &lv), nil
}

// invoiceField is a field of the invoice object.
type invoiceField = field[*invoiceView]

// invoiceGet is a getter of the invoice itself.
func invoiceGet(f func(inv *billing.Invoice) any) func(*renderCtx, *invoiceView) any {
	return func(_ *renderCtx, v *invoiceView) any { return f(v.inv) }
}

// fixedSelfIssuer is an invoice's and a subscription's issuer: the account
// itself.
var fixedSelfIssuer = always(jsonobj.Obj{{K: "type", V: "self"}})

// invoiceShape is the invoice at every API version. From 2025-03-31.basil
// parent says what made it (subscription_details, for a subscription's).
var invoiceShape = newShape("invoice", []invoiceField{
	{name: "id", get: invoiceGet(func(inv *billing.Invoice) any {
		if inv.ID == "" {
			return absent // an upcoming invoice has no id (optional, not nullable, in Stripe's spec)
		}
		return inv.ID
	})},
	{name: "object", fixed: always("invoice")},
	{name: "account_country", fixed: always("US")},
	{name: "account_name", fixed: always("stripe-emulator")},
	{name: "account_tax_ids", fixed: fixedNull},
	{name: "amount_due", get: invoiceGet(func(inv *billing.Invoice) any { return inv.AmountDue() })},
	{name: "amount_overpaid", fixed: fixedZero},
	{name: "amount_paid", get: invoiceGet(func(inv *billing.Invoice) any { return inv.AmountPaid })},
	{name: "amount_paid_off_stripe", fixed: fixedZero},
	{name: "amount_remaining", get: invoiceGet(func(inv *billing.Invoice) any { return inv.AmountRemaining() })},
	{name: "amount_shipping", fixed: fixedZero},
	{name: "application", fixed: fixedNull},
	{name: "application_fee_amount", fixed: fixedNull},
	{name: "attempt_count", get: invoiceGet(func(inv *billing.Invoice) any { return inv.AttemptCount })},
	{name: "attempted", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Attempted })},
	{name: "auto_advance", get: invoiceGet(func(inv *billing.Invoice) any { return inv.AutoAdvance })},
	{name: "automatic_tax", sub: []invoiceField{
		{name: "disabled_reason", fixed: fixedNull},
		{name: "enabled", fixed: fixedFalse},
		{name: "liability", fixed: fixedNull},
		{name: "provider", fixed: fixedNull},
		{name: "status", fixed: fixedNull},
	}},
	{name: "automatically_finalizes_at", get: invoiceGet(func(inv *billing.Invoice) any { return nullIfZero(inv.FinalizesAt) })},
	{name: "billing_reason", get: invoiceGet(func(inv *billing.Invoice) any { return inv.BillingReason })},
	{name: "charge", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.Charge) })},
	{name: "collection_method", get: invoiceGet(func(inv *billing.Invoice) any { return inv.CollectionMethod })},
	{name: "created", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Created })},
	{name: "currency", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Currency })},
	{name: "custom_fields", fixed: fixedNull},
	{name: "customer", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Customer })},
	{name: "customer_account", fixed: fixedNull},
	{name: "customer_address", get: invoiceGet(func(inv *billing.Invoice) any { return nilObj(objOf(inv.CustomerAddress)) })},
	{name: "customer_email", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.CustomerEmail) })},
	{name: "customer_name", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.CustomerName) })},
	{name: "customer_phone", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.CustomerPhone) })},
	{name: "customer_shipping", get: invoiceGet(func(inv *billing.Invoice) any { return nilObj(objOf(inv.CustomerShipping)) })},
	{name: "customer_tax_exempt", get: invoiceGet(func(inv *billing.Invoice) any {
		if inv.CustomerTaxExempt == "" {
			return "none"
		}
		return inv.CustomerTaxExempt
	})},
	{name: "customer_tax_ids", fixed: fixedEmpty},
	{name: "default_payment_method", fixed: fixedNull},
	{name: "default_source", fixed: fixedNull},
	{name: "default_tax_rates", fixed: fixedEmpty},
	{name: "description", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.Description) })},
	{name: "discount", fixed: fixedNull},
	{name: "discounts", fixed: fixedEmpty},
	{name: "due_date", get: invoiceGet(func(inv *billing.Invoice) any { return nullIfZero(inv.DueDate) })},
	{name: "effective_at", get: invoiceGet(func(inv *billing.Invoice) any { return nullIfZero(inv.EffectiveAt) })},
	{name: "ending_balance", get: invoiceGet(func(inv *billing.Invoice) any { return orNullInt(inv.EndingBalance) })},
	{name: "footer", fixed: fixedNull},
	{name: "from_invoice", fixed: fixedNull},
	{name: "hosted_invoice_url", fixed: fixedNull},
	{name: "invoice_pdf", fixed: fixedNull},
	{name: "issuer", fixed: fixedSelfIssuer},
	{name: "last_finalization_error", fixed: fixedNull},
	{name: "latest_revision", fixed: fixedNull},
	{name: "lines", get: func(rc *renderCtx, v *invoiceView) any {
		inv := v.inv
		data := make([]jsonobj.Obj, len(v.lines))
		for i := range v.lines {
			data[i] = lineItemShape.render(rc, &v.lines[i])
		}
		url := "/v1/invoices/" + inv.ID + "/lines"
		if inv.Preview {
			url = inv.LinesURL
		}
		return jsonobj.Obj{
			{K: "object", V: "list"},
			{K: "data", V: data},
			{K: "has_more", V: len(inv.Lines) > len(data)},
			{K: "total_count", V: len(inv.Lines)},
			{K: "url", V: url},
		}
	}},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: invoiceGet(func(inv *billing.Invoice) any { return metadataOf(inv.Metadata) })},
	{name: "next_payment_attempt", get: invoiceGet(func(inv *billing.Invoice) any { return nullIfZero(inv.NextPaymentAttempt) })},
	{name: "number", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.Number) })},
	{name: "on_behalf_of", fixed: fixedNull},
	{name: "paid", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Paid })},
	{name: "paid_out_of_band", get: invoiceGet(func(inv *billing.Invoice) any { return inv.PaidOutOfBand })},
	{name: "parent", get: invoiceGet(func(inv *billing.Invoice) any {
		if inv.Subscription == "" {
			return nil // a one-off invoice
		}
		return jsonobj.Obj{
			{K: "quote_details", V: nil},
			{K: "subscription_details", V: jsonobj.Obj{{K: "metadata", V: metadataOf(inv.SubscriptionMetadata)}, {K: "subscription", V: inv.Subscription}}},
			{K: "type", V: "subscription_details"},
		}
	})},
	{name: "payment_intent", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.PaymentIntent) })},
	{name: "payment_settings", fixed: always(jsonobj.Obj{{K: "default_mandate", V: nil}, {K: "payment_method_options", V: nil}, {K: "payment_method_types", V: nil}})},
	// payments (2025-03-31.basil): includable, shown only with
	// expand[]=payments.
	{name: "payments", get: func(rc *renderCtx, v *invoiceView) any {
		if v.inv.Preview {
			return jsonobj.Hidden{} // nothing to include
		}
		return jsonobj.Hidden{V: rc.renderPaymentsList(v)}
	}},
	{name: "period_end", get: invoiceGet(func(inv *billing.Invoice) any { return inv.PeriodEnd })},
	{name: "period_start", get: invoiceGet(func(inv *billing.Invoice) any { return inv.PeriodStart })},
	{name: "post_payment_credit_notes_amount", fixed: fixedZero},
	{name: "pre_payment_credit_notes_amount", fixed: fixedZero},
	{name: "quote", fixed: fixedNull},
	{name: "receipt_number", fixed: fixedNull},
	{name: "rendering", fixed: fixedNull},
	{name: "shipping_cost", fixed: fixedNull},
	{name: "shipping_details", fixed: fixedNull},
	{name: "starting_balance", get: invoiceGet(func(inv *billing.Invoice) any { return inv.StartingBalance })},
	{name: "statement_descriptor", fixed: fixedNull},
	{name: "status", get: invoiceGet(func(inv *billing.Invoice) any { return string(inv.Status) })},
	{name: "status_details", fixed: fixedAbsent},
	{name: "status_transitions", get: invoiceGet(func(inv *billing.Invoice) any {
		return jsonobj.Obj{
			{K: "finalized_at", V: nullIfZero(inv.FinalizedAt)},
			{K: "marked_uncollectible_at", V: nullIfZero(inv.UncollectibleAt)},
			{K: "paid_at", V: nullIfZero(inv.PaidAt)},
			{K: "voided_at", V: nullIfZero(inv.VoidedAt)},
		}
	})},
	{name: "subscription", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.Subscription) })},
	{name: "subscription_details", get: invoiceGet(func(inv *billing.Invoice) any {
		if inv.Subscription == "" {
			return jsonobj.Obj{{K: "metadata", V: nil}}
		}
		return jsonobj.Obj{{K: "metadata", V: metadataOf(inv.SubscriptionMetadata)}}
	})},
	// subscription_proration_date: the emulator records none (optional).
	{name: "subscription_proration_date", fixed: fixedAbsent},
	{name: "subtotal", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Subtotal() })},
	{name: "subtotal_excluding_tax", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Subtotal() })},
	{name: "tax", fixed: fixedNull},
	{name: "test_clock", get: invoiceGet(func(inv *billing.Invoice) any { return orNull(inv.TestClock) })},
	{name: "total", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Subtotal() })},
	{name: "total_discount_amounts", fixed: fixedEmpty},
	{name: "total_excluding_tax", get: invoiceGet(func(inv *billing.Invoice) any { return inv.Subtotal() })},
	{name: "total_pretax_credit_amounts", fixed: fixedEmpty},
	{name: "total_tax_amounts", fixed: fixedEmpty},
	{name: "total_taxes", fixed: fixedEmpty},
	{name: "transfer_data", fixed: fixedNull},
	{name: "webhooks_delivered_at", get: invoiceGet(func(inv *billing.Invoice) any { return nullIfZero(inv.FinalizedAt) })},
})

// lineField is a field of the invoice line object.
type lineField = field[*lineView]

// lineGet is a getter of the line itself.
func lineGet(f func(l *billing.Line) any) func(*renderCtx, *lineView) any {
	return func(_ *renderCtx, v *lineView) any { return f(v.l) }
}

// lineItemShape is the invoice line at every API version. From
// 2025-03-31.basil parent says what made the line, and pricing its price: a
// line of a subscription item (a proration too, which an invoice item
// carries) is subscription_item_details, any other invoice item's
// invoice_item_details.
var lineItemShape = newShape("line_item", []lineField{
	{name: "id", get: lineGet(func(l *billing.Line) any { return l.ID })},
	{name: "object", fixed: always("line_item")},
	{name: "amount", get: lineGet(func(l *billing.Line) any { return l.Amount })},
	{name: "amount_excluding_tax", get: lineGet(func(l *billing.Line) any { return l.Amount })},
	{name: "currency", get: lineGet(func(l *billing.Line) any { return l.Currency })},
	{name: "description", get: lineGet(func(l *billing.Line) any { return orNull(l.Description) })},
	{name: "discount_amounts", fixed: fixedEmpty},
	{name: "discountable", get: lineGet(func(l *billing.Line) any { return l.Discountable })},
	{name: "discounts", fixed: fixedEmpty},
	{name: "invoice", get: func(_ *renderCtx, v *lineView) any {
		if v.inv.Preview {
			return nil
		}
		return v.inv.ID
	}},
	// invoice_item and subscription_item are optional and not nullable in
	// Stripe's spec: a line without one leaves the key out, as Stripe does.
	{name: "invoice_item", get: lineGet(func(l *billing.Line) any { return orAbsent(l.InvoiceItem) })},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: lineGet(func(l *billing.Line) any { return metadataOf(l.Metadata) })},
	{name: "parent", get: func(rc *renderCtx, v *lineView) any {
		l := v.l
		details := jsonobj.Obj{
			{K: "invoice_item", V: orNull(l.InvoiceItem)},
			{K: "proration", V: l.Proration},
			{K: "proration_details", V: jsonobj.Obj{{K: "credited_items", V: rc.lineCredited(l)}}},
			{K: "subscription", V: orNull(l.Subscription)},
		}
		if l.SubscriptionItem != "" {
			details = append(details, jsonobj.Field{K: "subscription_item", V: l.SubscriptionItem})
			return jsonobj.Obj{{K: "invoice_item_details", V: nil}, {K: "subscription_item_details", V: details}, {K: "type", V: "subscription_item_details"}}
		}
		if l.InvoiceItem == "" {
			// A preview's invoice_items[] line has no stored invoice item;
			// invoice_item_details needs one: a temporary ID, as its line's.
			details[0].V = "ii_tmp_" + strings.TrimPrefix(l.ID, "il_tmp_")
		}
		return jsonobj.Obj{{K: "invoice_item_details", V: details}, {K: "subscription_item_details", V: nil}, {K: "type", V: "invoice_item_details"}}
	}},
	{name: "period", get: lineGet(func(l *billing.Line) any {
		return jsonobj.Obj{{K: "end", V: l.PeriodEnd}, {K: "start", V: l.PeriodStart}}
	})},
	{name: "plan", get: func(rc *renderCtx, v *lineView) any { return rc.renderPlan(v.pr) }},
	{name: "pretax_credit_amounts", fixed: fixedEmpty},
	{name: "price", get: func(rc *renderCtx, v *lineView) any { return rc.priceOrNull(v.pr) }},
	{name: "pricing", get: func(_ *renderCtx, v *lineView) any { return renderPricing(v.pr, v.l.UnitAmount) }},
	{name: "proration", get: lineGet(func(l *billing.Line) any { return l.Proration })},
	{name: "proration_details", get: func(rc *renderCtx, v *lineView) any {
		return jsonobj.Obj{{K: "credited_items", V: rc.lineCredited(v.l)}}
	}},
	{name: "quantity", get: lineGet(func(l *billing.Line) any { return l.Quantity })},
	{name: "quantity_decimal", get: lineGet(func(l *billing.Line) any { return jsonobj.Decimal(strconv.FormatInt(l.Quantity, 10)) })},
	{name: "subscription", get: lineGet(func(l *billing.Line) any { return orNull(l.Subscription) })},
	{name: "subscription_item", get: lineGet(func(l *billing.Line) any { return orAbsent(l.SubscriptionItem) })},
	{name: "subtotal", get: lineGet(func(l *billing.Line) any { return l.Amount })},
	{name: "tax_amounts", fixed: fixedEmpty},
	{name: "tax_rates", fixed: fixedEmpty},
	{name: "taxes", fixed: fixedEmpty},
	{name: "type", get: lineGet(func(l *billing.Line) any { return l.Type })},
	{name: "unit_amount_excluding_tax", get: lineGet(func(l *billing.Line) any { return decimalOrNull(l.UnitAmount) })},
})

// renderPricing is pricing (2025-03-31.basil) of a line or an invoice item:
// its price and product, and its unit amount; null without a price.
func renderPricing(pr *billing.Price, unit *decimal.Decimal) any {
	if pr == nil {
		return nil
	}
	return jsonobj.Obj{
		{K: "price_details", V: jsonobj.Obj{{K: "price", V: pr.ID}, {K: "product", V: pr.Product}}},
		{K: "type", V: "price_details"},
		{K: "unit_amount_decimal", V: decimalOrNull(unit)},
	}
}
