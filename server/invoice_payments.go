package server

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Invoice payments (2025-03-31.basil and later, apiversion's
// basil.payment-fields): the PaymentIntent paying an invoice, as basil
// shows it in place of the invoice's payment_intent and charge. The
// engine keeps them at every version; earlier versions do not serve the
// routes (their 404). The invoice's includable payments field lists them
// (expand[]=payments). An invoice payment that is paid raises
// invoice_payment.paid, an event of 2025-05-28.basil and later only
// (apiversion's basil0528.invoice-payment-paid): sent to the endpoints at
// those versions, and kept in /v1/events when the account's default, or one
// of them, is.

const tInvoicePayments = billing.TableInvoicePayments

var invoicePaymentResource = &resource[*billing.InvoicePayment]{
	resourceDesc: resourceDesc{
		name:   "invoice_payment",
		noun:   "invoice_payment",
		table:  billing.Table(tInvoicePayments),
		codec:  plainCodec[billing.InvoicePayment](),
		expand: map[string]string{"invoice": "invoice", "payment.payment_intent": "payment_intent", "payment.charge": "charge"},
		events: invoicePaymentEvents,
		routes: invoicePaymentEndpoints,
	},
	render: infallible((*renderCtx).renderInvoicePayment),
}

// invoicePaymentEvents: invoice_payment.paid when an invoice payment
// becomes paid (made and paid in one step too: Stripe has no event of its
// creation); nothing else.
func invoicePaymentEvents(m *mutation) (string, store.Record, store.Record) {
	after, _ := m.after.(*billing.InvoicePayment)
	before, _ := m.before.(*billing.InvoicePayment)
	if after == nil || after.Status != billing.InvoicePaymentPaid || (before != nil && before.Status == billing.InvoicePaymentPaid) {
		return "", nil, nil
	}
	return "invoice_payment.paid", after, nil
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

// maxEmbeddedPayments is how many invoice payments an invoice's payments
// list embeds [I] (as its lines: "the first handful"); the rest are paged
// through GET /v1/invoice_payments?invoice=….
const maxEmbeddedPayments = 10

// invoicePaymentsOf are an invoice's invoice payments, newest first (the
// order of their list).
func invoicePaymentsOf(tx *store.Txn, invoice string) ([]*billing.InvoicePayment, error) {
	recs, err := tx.Find(tInvoicePayments, "invoice", invoice)
	if err != nil {
		return nil, err
	}
	out := make([]*billing.InvoicePayment, len(recs))
	for i, r := range recs {
		out[i] = r.(*billing.InvoicePayment)
	}
	store.SortByCreation(out)
	slices.Reverse(out)
	return out, nil
}

// renderPaymentsList is an invoice's payments (2025-03-31.basil), the list
// expand[]=payments includes: its invoice payments, and the URL of their
// list, GET /v1/invoice_payments?invoice=… [I] (Stripe's reference names
// the list endpoint, not this URL). Lists from basil on have no
// total_count.
func (rc *renderCtx) renderPaymentsList(v *invoiceView) jsonobj.Obj {
	shown := v.payments[:min(len(v.payments), maxEmbeddedPayments)]
	data := make([]jsonobj.Obj, len(shown))
	for i, ip := range shown {
		data[i] = rc.renderInvoicePayment(ip)
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: len(v.payments) > len(shown)},
		{K: "url", V: "/v1/invoice_payments?invoice=" + v.inv.ID},
	}
}
