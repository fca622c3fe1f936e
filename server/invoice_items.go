package server

import (
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func invoiceItemEndpoints() []endpoint {
	params := []string{"amount", "description", "discountable", "metadata", "period", "pricing", "quantity", "unit_amount", "unit_amount_decimal"}
	return []endpoint{
		{route: "POST /v1/invoiceitems", op: "PostInvoiceitems", mode: txWrite, h: createInvoiceItem, accepts: append([]string{"currency", "customer", "invoice", "subscription"}, params...),
			newer: []string{"pricing"}},
		{route: "GET /v1/invoiceitems", op: "GetInvoiceitems", mode: txRead, h: listInvoiceItems},
		{route: "GET /v1/invoiceitems/{invoiceitem}", op: "GetInvoiceitemsInvoiceitem", mode: txRead, h: retrieveInvoiceItem},
		{route: "POST /v1/invoiceitems/{invoiceitem}", op: "PostInvoiceitemsInvoiceitem", mode: txWrite, h: updateInvoiceItem, accepts: params, newer: []string{"pricing"}},
		{route: "DELETE /v1/invoiceitems/{invoiceitem}", op: "DeleteInvoiceitemsInvoiceitem", mode: txWrite, h: deleteInvoiceItem},
	}
}

const tInvoiceItems = billing.TableInvoiceItems

var invoiceItemResource = &resource[*billing.InvoiceItem]{
	resourceDesc: resourceDesc{
		name:  "invoiceitem",
		noun:  "invoice item",
		table: billing.Table(tInvoiceItems),
		codec: plainCodec[billing.InvoiceItem](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "subscription": "subscription", "test_clock": "test_helpers.test_clock",
			"pricing.price_details.price": "price"},
		shape:  invoiceItemShape,
		events: invoiceItemEvents,
		routes: invoiceItemEndpoints,
	},
	render: (*renderCtx).renderInvoiceItem,
}

// invoiceItemEvents: an invoice item is created and deleted. Stripe raises no
// invoiceitem.updated: it removed that event type from its API for every
// version in 2023 (no version's enabled_events lists it from 2024-06-20 on;
// Stripe's answers in stripe/stripe-node#1984 and stripe/stripe-dotnet#2763),
// so a change to an invoice item shows only in the events of its invoice.
func invoiceItemEvents(m *mutation) (string, store.Record, store.Record) {
	if m.before != nil && m.after != nil {
		return "", nil, nil
	}
	return crudEvents("invoiceitem")(m)
}

func createInvoiceItem(c *call) (jsonobj.Obj, error) {
	p := c.params
	ii, err := billing.CreateInvoiceItem(&c.u, billing.InvoiceItemCreate{Customer: optString(p, "customer"), Currency: optString(p, "currency"),
		Subscription: optString(p, "subscription"), Invoice: optString(p, "invoice"), Fields: decodeInvoiceItemFields(p)})
	if err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

func updateInvoiceItem(c *call) (jsonobj.Obj, error) {
	ii, err := billing.UpdateInvoiceItem(&c.u, c.pathID(), decodeInvoiceItemFields(c.params))
	if err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

func deleteInvoiceItem(c *call) (jsonobj.Obj, error) {
	ii, err := billing.DeleteInvoiceItem(&c.u, c.pathID())
	if err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: ii.ID}, {K: "object", V: "invoiceitem"}, {K: "deleted", V: true}}, nil
}

func retrieveInvoiceItem(c *call) (jsonobj.Obj, error) {
	ii, err := billing.GetInvoiceItem(c.tx, c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderInvoiceItem(ii)
}

func listInvoiceItems(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, byCustomer := p.String("customer")
	invID, byInvoice := p.String("invoice")
	pending, byPending := p.Bool("pending")
	match := func(r store.Record) bool {
		ii := r.(*billing.InvoiceItem)
		return (!byCustomer || ii.Customer == customerID) && (!byInvoice || ii.Invoice == invID) && (!byPending || (ii.Invoice == "") == pending)
	}
	return c.list(tInvoiceItems, "invoice item", "/v1/invoiceitems", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderInvoiceItem(r.(*billing.InvoiceItem))
	})
}

func (rc *renderCtx) renderInvoiceItem(ii *billing.InvoiceItem) (jsonobj.Obj, error) {
	iv := &invoiceItemView{ii: ii}
	if ii.Price != "" {
		pr, err := rc.getPrice(ii.Price, "price")
		if err != nil {
			return nil, err
		}
		iv.pr = pr
	}
	return invoiceItemShape.render(rc, iv), nil
}

// flexible reports whether a subscription bills in flexible billing mode.
func (rc *renderCtx) flexible(subID string) bool {
	if subID == "" || rc.tx == nil {
		return false
	}
	rec, _ := rc.tx.Get(tSubscriptions, subID)
	sub, ok := rec.(*billing.Subscription)
	return ok && sub.Mode() == billing.ModeFlexible
}

// credited is the debit a flexible subscription's credit proration credits,
// as the invoice and line it is on, or the pending invoice item it is (ok
// false: the credit names none, or is not a credit's).
func (rc *renderCtx) credited(ii *billing.InvoiceItem) (c billing.CreditedLine, ok bool) {
	if ii == nil || ii.Credited == nil || rc.tx == nil {
		return c, false
	}
	c = *ii.Credited
	if c.Item != "" {
		rec, _ := rc.tx.Get(tInvoiceItems, c.Item)
		if debit, ok := rec.(*billing.InvoiceItem); ok && debit.Invoice != "" {
			c.Invoice, c.Line, c.Item = debit.Invoice, "il_"+strings.TrimPrefix(debit.ID, "ii_"), ""
		}
	}
	return c, true
}

// itemCredited is an invoice item's proration_details[credited_items]: the
// pending invoice item, or the invoice's lines, its credit credits.
func (rc *renderCtx) itemCredited(ii *billing.InvoiceItem) any {
	c, ok := rc.credited(ii)
	switch {
	case !ok:
		return nil
	case c.Item != "":
		return jsonobj.Obj{{K: "invoice_item", V: c.Item}, {K: "type", V: "invoice_item"}}
	}
	return jsonobj.Obj{{K: "invoice_line_item_details", V: jsonobj.Obj{{K: "invoice", V: c.Invoice}, {K: "invoice_line_items", V: []any{c.Line}}}},
		{K: "type", V: "invoice_line_items"}}
}

// lineCredited is a line's proration_details[credited_items]: for a credit
// proration's line, the invoice and line its credit credits (null while that
// debit is a pending invoice item).
func (rc *renderCtx) lineCredited(l *billing.Line) any {
	if l.InvoiceItem == "" || !l.Proration || l.Amount >= 0 || rc.tx == nil {
		return nil
	}
	rec, _ := rc.tx.Get(tInvoiceItems, l.InvoiceItem)
	ii, _ := rec.(*billing.InvoiceItem)
	if c, ok := rc.credited(ii); ok && c.Item == "" {
		return jsonobj.Obj{{K: "invoice", V: c.Invoice}, {K: "invoice_line_items", V: []any{c.Line}}}
	}
	return nil
}

// invoiceItemView is what an invoice item renders from: it and its price
// (nil for one without).
type invoiceItemView struct {
	ii *billing.InvoiceItem
	pr *billing.Price
}

// invoiceItemField is a field of the invoice item object.
type invoiceItemField = field[*invoiceItemView]

// itemGet is a getter of the invoice item itself.
func itemGet(f func(ii *billing.InvoiceItem) any) func(*renderCtx, *invoiceItemView) any {
	return func(_ *renderCtx, v *invoiceItemView) any { return f(v.ii) }
}

// invoiceItemShape is the invoice item at every API version: from
// 2025-03-31.basil parent names its subscription and pricing its price.
var invoiceItemShape = newShape("invoiceitem", []invoiceItemField{
	{name: "id", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.ID })},
	{name: "object", fixed: always("invoiceitem")},
	{name: "amount", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Amount })},
	{name: "currency", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Currency })},
	{name: "customer", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Customer })},
	{name: "customer_account", fixed: fixedNull},
	{name: "date", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Created })},
	{name: "description", get: itemGet(func(ii *billing.InvoiceItem) any { return orNull(ii.Description) })},
	{name: "discountable", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Discountable })},
	{name: "discounts", fixed: fixedEmpty},
	// frozen_fields and invoicing_rules: optional; the emulator sets neither.
	{name: "frozen_fields", fixed: fixedAbsent},
	{name: "invoice", get: itemGet(func(ii *billing.InvoiceItem) any { return orNull(ii.Invoice) })},
	{name: "invoicing_rules", fixed: fixedAbsent},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: itemGet(func(ii *billing.InvoiceItem) any { return metadataOf(ii.Metadata) })},
	// net_amount: the amount less discounts, which the emulator has none of.
	{name: "net_amount", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Amount })},
	{name: "parent", get: itemGet(func(ii *billing.InvoiceItem) any {
		if ii.Subscription == "" {
			return nil
		}
		details := jsonobj.Obj{{K: "subscription", V: ii.Subscription}}
		if ii.SubscriptionItem != "" {
			details = append(details, jsonobj.Field{K: "subscription_item", V: ii.SubscriptionItem})
		}
		return jsonobj.Obj{{K: "subscription_details", V: details}, {K: "type", V: "subscription_details"}}
	})},
	{name: "period", get: itemGet(func(ii *billing.InvoiceItem) any {
		return jsonobj.Obj{{K: "end", V: ii.PeriodEnd}, {K: "start", V: ii.PeriodStart}}
	})},
	{name: "plan", get: func(rc *renderCtx, v *invoiceItemView) any { return rc.renderPlan(v.pr) }},
	{name: "price", get: func(rc *renderCtx, v *invoiceItemView) any { return rc.priceOrNull(v.pr) }},
	{name: "pricing", get: func(_ *renderCtx, v *invoiceItemView) any { return renderPricing(v.pr, v.ii.UnitAmount) }},
	{name: "proration", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Proration })},
	// proration_details: a flexible subscription's prorations carry it, and
	// from 2026-09-30.endive a classic one's too.
	{name: "proration_details", get: func(rc *renderCtx, v *invoiceItemView) any {
		if !v.ii.Proration || !rc.v.Has(apiversion.GateProrationDetailsClassic) && !rc.flexible(v.ii.Subscription) {
			return absent
		}
		return v
	}, sub: []invoiceItemField{
		{name: "credited_items", get: func(rc *renderCtx, v *invoiceItemView) any { return rc.itemCredited(v.ii) }},
		{name: "discount_amounts", fixed: fixedEmpty},
	}},
	{name: "quantity", get: itemGet(func(ii *billing.InvoiceItem) any { return ii.Quantity })},
	{name: "quantity_decimal", get: itemGet(func(ii *billing.InvoiceItem) any { return jsonobj.Decimal(strconv.FormatInt(ii.Quantity, 10)) })},
	{name: "subscription", get: itemGet(func(ii *billing.InvoiceItem) any { return orNull(ii.Subscription) })},
	{name: "subscription_item", get: itemGet(func(ii *billing.InvoiceItem) any { return orAbsent(ii.SubscriptionItem) })},
	{name: "tax_rates", fixed: fixedEmpty},
	{name: "test_clock", get: itemGet(func(ii *billing.InvoiceItem) any { return orNull(ii.TestClock) })},
	{name: "unit_amount", get: itemGet(func(ii *billing.InvoiceItem) any { return integerOrNull(ii.UnitAmount) })},
	{name: "unit_amount_decimal", get: itemGet(func(ii *billing.InvoiceItem) any { return decimalOrNull(ii.UnitAmount) })},
})
