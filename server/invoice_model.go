package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

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
