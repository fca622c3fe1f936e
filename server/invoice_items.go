package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func invoiceItemEndpoints() []endpoint {
	params := []string{"amount", "description", "discountable", "metadata", "period", "price", "quantity", "unit_amount", "unit_amount_decimal"}
	return []endpoint{
		{route: "POST /v1/invoiceitems", op: "PostInvoiceitems", mode: txWrite, h: createInvoiceItem, accepts: append([]string{"currency", "customer", "invoice", "subscription"}, params...)},
		{route: "GET /v1/invoiceitems", op: "GetInvoiceitems", mode: txRead, h: listInvoiceItems},
		{route: "GET /v1/invoiceitems/{invoiceitem}", op: "GetInvoiceitemsInvoiceitem", mode: txRead, h: retrieveInvoiceItem},
		{route: "POST /v1/invoiceitems/{invoiceitem}", op: "PostInvoiceitemsInvoiceitem", mode: txWrite, h: updateInvoiceItem, accepts: params},
		{route: "DELETE /v1/invoiceitems/{invoiceitem}", op: "DeleteInvoiceitemsInvoiceitem", mode: txWrite, h: deleteInvoiceItem},
	}
}

const tInvoiceItems = billing.TableInvoiceItems

var invoiceItemResource = &resource[*billing.InvoiceItem]{
	resourceDesc: resourceDesc{
		name:   "invoiceitem",
		noun:   "invoice item",
		table:  billing.Table(tInvoiceItems),
		codec:  plainCodec[billing.InvoiceItem](),
		expand: map[string]string{"customer": "customer", "invoice": "invoice", "subscription": "subscription", "test_clock": "test_helpers.test_clock"},
		events: crudEvents("invoiceitem"),
		routes: invoiceItemEndpoints,
	},
	render: (*renderCtx).renderInvoiceItem,
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
	var priceObj, plan any
	if ii.Price != "" {
		pr, err := rc.getPrice(ii.Price, "price")
		if err != nil {
			return nil, err
		}
		priceObj, plan = rc.renderPrice(pr), rc.renderPlan(pr)
	}
	o := jsonobj.Obj{
		{K: "id", V: ii.ID},
		{K: "object", V: "invoiceitem"},
		{K: "amount", V: ii.Amount},
		{K: "currency", V: ii.Currency},
		{K: "customer", V: ii.Customer},
		{K: "date", V: ii.Created},
		{K: "description", V: orNull(ii.Description)},
		{K: "discountable", V: ii.Discountable},
		{K: "discounts", V: []any{}},
		{K: "invoice", V: orNull(ii.Invoice)},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(ii.Metadata)},
		{K: "period", V: jsonobj.Obj{{K: "end", V: ii.PeriodEnd}, {K: "start", V: ii.PeriodStart}}},
		{K: "plan", V: plan},
		{K: "price", V: priceObj},
		{K: "proration", V: ii.Proration},
		{K: "quantity", V: ii.Quantity},
		{K: "subscription", V: orNull(ii.Subscription)},
	}
	if ii.SubscriptionItem != "" {
		o = append(o, jsonobj.Field{K: "subscription_item", V: ii.SubscriptionItem})
	}
	return append(o,
		jsonobj.Field{K: "tax_rates", V: []any{}},
		jsonobj.Field{K: "test_clock", V: orNull(ii.TestClock)},
		jsonobj.Field{K: "unit_amount", V: integerOrNull(ii.UnitAmount)},
		jsonobj.Field{K: "unit_amount_decimal", V: decimalOrNull(ii.UnitAmount)},
	), nil
}
