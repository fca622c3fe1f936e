package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// The line items of an invoice are kept with it (billing.Line); this file
// changes one of a draft's.

// invoiceLineSchema is POST /v1/invoices/{invoice}/lines/{line_item_id}'s, as
// stripe-go v79 (InvoiceLineItemParams) and the 2024-09-30 catalogue have it;
// the endpoint is not in the 2024-06-20 catalogue, which the SDKs of the time
// were generated from before it was added.
var invoiceLineSchema = form.Object(map[string]*form.Schema{
	"amount":       form.Integer(),
	"description":  form.String(),
	"discountable": form.Boolean(),
	"discounts": form.Array(form.Object(map[string]*form.Schema{
		"coupon": form.String(), "discount": form.String(), "promotion_code": form.String(),
	})).Empty(),
	"expand":   form.Array(form.String()),
	"metadata": form.Map(form.String()).Empty(),
	"period":   form.Object(map[string]*form.Schema{"end": form.Integer(), "start": form.Integer()}, "end", "start"),
	"price":    form.String(),
	"price_data": form.Object(map[string]*form.Schema{
		"currency": form.String(),
		"product":  form.String(),
		"product_data": form.Object(map[string]*form.Schema{
			"description": form.String(), "images": form.Array(form.String()), "metadata": form.Map(form.String()),
			"name": form.String(), "tax_code": form.String(),
		}, "name"),
		"tax_behavior":        form.String("exclusive", "inclusive", "unspecified"),
		"unit_amount":         form.Integer(),
		"unit_amount_decimal": form.String(),
	}, "currency"),
	"quantity": form.Integer(),
	"tax_amounts": form.Array(form.Object(map[string]*form.Schema{
		"amount": form.Integer(),
		"tax_rate_data": form.Object(map[string]*form.Schema{
			"country": form.String(), "description": form.String(), "display_name": form.String(), "inclusive": form.Boolean(),
			"jurisdiction": form.String(), "percentage": {Type: form.TNumber}, "state": form.String(),
			"tax_type": form.String("amusement_tax", "communications_tax", "gst", "hst", "igst", "jct", "lease_tax", "pst", "qst", "rst", "sales_tax", "vat"),
		}, "display_name", "inclusive", "percentage"),
		"taxable_amount": form.Integer(),
	}, "amount", "tax_rate_data", "taxable_amount")).Empty(),
	"tax_rates": form.Array(form.String()).Empty(),
})

// invoiceLineParams are what the emulator changes on a line; discounts,
// price_data, tax_amounts and tax_rates get a 400 saying it does not.
var invoiceLineParams = []string{"amount", "description", "discountable", "metadata", "period", "price", "quantity"}

// updateInvoiceLine answers POST /v1/invoices/{invoice}/lines/{line_item_id}:
// "Updating an invoice's line item is only possible before the invoice is
// finalized." An invoice-item line changes its invoice item, and the line
// shows the item as it is then ("updates on this endpoint will propagate to
// the invoice item"): amount, or price or quantity, description,
// discountable, period, metadata (merged into the item's). A subscription
// line's amount comes from its subscription: it takes description,
// discountable and metadata (set as given, not merged: "For type=subscription
// line items, the incoming metadata specified on the request is directly used
// to set this value"); those survive the re-rating of usage at finalization.
func updateInvoiceLine(c *call) (jsonobj.Obj, error) {
	cur, err := c.getInvoice(c.vars["invoice"], "id")
	if err != nil {
		return nil, err
	}
	id := c.vars["line_item_id"]
	i := 0
	for i < len(cur.Lines) && cur.Lines[i].ID != id {
		i++
	}
	if i == len(cur.Lines) {
		return nil, apierr.ResourceMissing("line item", "id", id) // a path ID, as the invoice's is
	}
	if cur.Status != billing.InvoiceDraft {
		return nil, apierr.State("invoice_not_editable", "You can only update the lines of a draft invoice; %s is %s.", cur.ID, cur.Status)
	}
	inv := cur.Clone()
	l := &inv.Lines[i]
	if d, _ := c.params.Bool("discountable"); d && l.Proration {
		return nil, apierr.Invalid("discountable", "discountable cannot be set to true for prorations.")
	}
	if l.InvoiceItem != "" {
		err = c.updateItemLine(l)
	} else {
		err = updateSubscriptionLine(l, c.params)
	}
	if err != nil {
		return nil, err
	}
	if err := c.tx.Put(tInvoices, inv); err != nil {
		return nil, err
	}
	return c.renderLine(inv, l)
}

// updateItemLine changes the invoice item behind a line, and the line with it.
func (c *call) updateItemLine(l *billing.Line) error {
	cur, err := c.getInvoiceItem(l.InvoiceItem)
	if err != nil {
		return err
	}
	ii := cur.Clone()
	if err := c.applyInvoiceItemAmount(ii, c.params, false); err != nil {
		return err
	}
	if err := c.tx.Put(tInvoiceItems, ii); err != nil {
		return err
	}
	id := l.ID
	*l = billing.ItemLines([]*billing.InvoiceItem{ii})[0]
	l.ID = id
	return nil
}

// updateSubscriptionLine changes what a subscription line lets change.
func updateSubscriptionLine(l *billing.Line, p *form.Params) error {
	for _, k := range []string{"amount", "price", "quantity"} {
		if p.Has(k) {
			return apierr.Invalid(k, "You can only change the %s of an invoice item line: %s is a subscription line, whose amount comes from its subscription's price and quantity.", k, l.ID)
		}
	}
	if p.Has("period") {
		return apierr.InvalidRequest("", "period", "stripe-emulator does not support changing the period of a subscription line yet (only of an invoice item line): the period is the usage it bills.")
	}
	if v, ok := p.String("description"); ok {
		l.Description, l.CustomDescription = v, true
	}
	if v, ok := p.Bool("discountable"); ok {
		l.Discountable = v
	}
	if p.Has("metadata") {
		md, err := metadata.Apply(map[string]string{}, decodeMetadata(p, "metadata"))
		if err != nil {
			return err
		}
		l.Metadata = md
	}
	return nil
}
