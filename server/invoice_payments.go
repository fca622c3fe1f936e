package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Invoice payments (2025-03-31.basil and later, apiversion's
// basil.payment-fields): the PaymentIntent paying an invoice, as basil
// shows it in place of the invoice's payment_intent and charge. The
// engine keeps them at every version; earlier versions do not serve the
// routes (their 404). invoice_payment.paid (2025-05-28.basil) is not
// raised, nor is invoice.payments rendered [not modelled].

const tInvoicePayments = billing.TableInvoicePayments

var invoicePaymentResource = &resource[*billing.InvoicePayment]{
	resourceDesc: resourceDesc{
		name:   "invoice_payment",
		noun:   "invoice_payment",
		table:  billing.Table(tInvoicePayments),
		codec:  plainCodec[billing.InvoicePayment](),
		expand: map[string]string{"invoice": "invoice", "payment.payment_intent": "payment_intent", "payment.charge": "charge"},
		routes: invoicePaymentEndpoints,
	},
	render: infallible((*renderCtx).renderInvoicePayment),
}

func invoicePaymentEndpoints() []endpoint {
	return []endpoint{
		// From 2025-03-31.basil, outside the 2024-06-20 catalogue (its
		// snapshots' schemas from basil on; payment[…] is not modelled).
		{route: "GET /v1/invoice_payments/{invoice_payment}", mode: txRead, h: retrieveInvoicePayment, schema: expandOnly},
		{route: "GET /v1/invoice_payments", mode: txRead, h: listInvoicePayments,
			schema: form.Object(map[string]*form.Schema{"ending_before": form.String(), "expand": form.Array(form.String()), "invoice": form.String(),
				"limit": form.Integer(), "starting_after": form.String(), "status": form.String("canceled", "open", "paid")}),
			accepts: []string{"ending_before", "invoice", "limit", "starting_after", "status"}},
	}
}

func retrieveInvoicePayment(c *call) (jsonobj.Obj, error) {
	ip, err := getRecord[*billing.InvoicePayment](c.tx, tInvoicePayments, "invoice_payment", c.vars["invoice_payment"], "id")
	if err != nil {
		return nil, err
	}
	return c.renderInvoicePayment(ip), nil
}

func listInvoicePayments(c *call) (jsonobj.Obj, error) {
	invoice, byInvoice := c.params.String("invoice")
	status, byStatus := c.params.String("status")
	return c.list(tInvoicePayments, "invoice_payment", "/v1/invoice_payments", func(r store.Record) bool {
		ip := r.(*billing.InvoicePayment)
		return (!byInvoice || ip.Invoice == invoice) && (!byStatus || string(ip.Status) == status)
	}, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderInvoicePayment(r.(*billing.InvoicePayment)), nil
	})
}

func (rc *renderCtx) renderInvoicePayment(ip *billing.InvoicePayment) jsonobj.Obj {
	var paid any
	if ip.Status == billing.InvoicePaymentPaid {
		paid = ip.AmountPaid
	}
	return jsonobj.Obj{
		{K: "id", V: ip.ID},
		{K: "object", V: "invoice_payment"},
		{K: "amount_paid", V: paid},
		{K: "amount_requested", V: ip.AmountRequested},
		{K: "created", V: ip.Created},
		{K: "currency", V: ip.Currency},
		{K: "invoice", V: ip.Invoice},
		{K: "is_default", V: true},
		{K: "livemode", V: false},
		{K: "payment", V: jsonobj.Obj{{K: "payment_intent", V: ip.PaymentIntent}, {K: "type", V: "payment_intent"}}},
		{K: "status", V: string(ip.Status)},
		{K: "status_transitions", V: jsonobj.Obj{{K: "canceled_at", V: nullIfZero(ip.CanceledAt)}, {K: "paid_at", V: nullIfZero(ip.PaidAt)}}},
	}
}
