package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
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
var invoiceLineParams = []string{"amount", "description", "discountable", "metadata", "period", "pricing", "quantity"}

// updateInvoiceLine answers POST /v1/invoices/{invoice}/lines/{line_item_id}
// (billing.UpdateLine: a draft's line, and the invoice item behind it).
func updateInvoiceLine(c *call) (jsonobj.Obj, error) {
	inv, l, err := billing.UpdateLine(&c.u, c.vars["invoice"], c.vars["line_item_id"], decodeInvoiceItemFields(c.params))
	if err != nil {
		return nil, err
	}
	return c.renderLine(inv, l)
}
