package apiversion

import "github.com/stripe-emulator/stripe-emulator/internal/form"

// The dahlia family: 2026-03-25.dahlia (major) … 2026-08-26.dahlia
// (api-versions.md §3.8, §3.9; design-15 §2.19–2.24).

var dahliaQuantityDecimal = &Change{
	At: V2026_03_25_Dahlia, ID: "dahlia.quantity-decimal",
	Summary: "invoice items and lines: quantity_decimal",
	Ref:     "api-versions.md §3.8; CL:dahlia/2026-03-25/invoice-items-decimal-quantity",
	Params: append(onRoutes([]string{rInvoiceItemCreate, rInvoiceItemUpdate, rInvoiceLineUpdate}, "quantity_decimal", ParamAdded, form.String()),
		ParamEdit{Route: rPreview, Path: "invoice_items.quantity_decimal", Kind: ParamAdded, Schema: form.String()}),
	Fields: []FieldEdit{
		{Object: "invoiceitem", Path: "quantity_decimal", Kind: FieldAdded},
		{Object: "line_item", Path: "quantity_decimal", Kind: FieldAdded},
	},
}

var dahlia0422ManagedPayments = &Change{
	At: V2026_04_22_Dahlia, ID: "dahlia0422.managed-payments",
	Summary: "subscriptions and PaymentIntents: managed_payments",
	Ref:     "sn §22.1.0; the 2026-05-27 catalogue has it on PaymentIntents (design-16 §4.6)",
	Fields:  append(fieldsOn("subscription", FieldAdded, "managed_payments"), FieldEdit{Object: "payment_intent", Path: "managed_payments", Kind: FieldAdded}),
}

// billingSchedules is the billing_schedules parameter: on create each
// schedule needs bill_until; update and previews take "" to clear them.
func billingSchedules(create bool) *form.Schema {
	var required []string
	if create {
		required = []string{"bill_until"}
	}
	s := form.Array(form.Object(map[string]*form.Schema{
		"applies_to": form.Array(form.Object(map[string]*form.Schema{
			"price": form.String(),
			"type":  form.String("price"),
		}, "type")),
		"bill_until": form.Object(map[string]*form.Schema{
			"duration":  duration(),
			"timestamp": form.Integer(),
			"type":      form.String("duration", "timestamp"),
		}, "type"),
		"key": form.String(),
	}, required...))
	if !create {
		s.Empty()
	}
	return s
}

// duration is a span of time given as an interval and a count of them
// (billing schedules' bill_until, pause schedules' resume_at).
func duration() *form.Schema {
	return form.Object(map[string]*form.Schema{
		"interval":       form.String("day", "month", "week", "year"),
		"interval_count": form.Integer(),
	}, "interval")
}

var dahlia0527BillingSchedules = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.billing-schedules",
	Summary: "subscriptions and previews: billing_schedules (prebilling, flexible billing only)",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-05-27/subscriptions-billing-schedules",
	Params: []ParamEdit{
		{Route: rSubCreate, Path: "billing_schedules", Kind: ParamAdded, Schema: billingSchedules(true)},
		{Route: rSubUpdate, Path: "billing_schedules", Kind: ParamAdded, Schema: billingSchedules(false)},
		{Route: rPreview, Path: "subscription_details.billing_schedules", Kind: ParamAdded, Schema: billingSchedules(false)},
	},
	Fields: []FieldEdit{
		{Object: "subscription", Path: "billing_schedules", Kind: FieldAdded},
		{Object: "subscription_item", Path: "billed_until", Kind: FieldAdded},
	},
}

var dahlia0527CancelAtMaxBilledUntil = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.cancel-at-max-billed-until",
	Summary: "subscriptions and previews: cancel_at=max_billed_until",
	Ref:     "api-versions.md §3.9",
	Params: []ParamEdit{
		{Route: rSubCreate, Path: "cancel_at", Kind: ParamEnumAdded, Values: []string{"max_billed_until"}},
		{Route: rSubUpdate, Path: "cancel_at", Kind: ParamEnumAdded, Values: []string{"max_billed_until"}},
		{Route: rPreview, Path: "subscription_details.cancel_at", Kind: ParamEnumAdded, Values: []string{"max_billed_until"}},
	},
}

var dahlia0527AddInvoiceItemsDiscountable = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.add-invoice-items-discountable",
	Summary: "subscriptions: add_invoice_items[][discountable]",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-05-27/invoice-items-discount-eligibility",
	Params:  onRoutes(subWrites, "add_invoice_items.discountable", ParamAdded, form.Boolean()),
}

var dahlia0527AmountPaidOffStripe = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.amount-paid-off-stripe",
	Summary: "invoices: amount_paid_off_stripe",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-05-27/invoice-object-amount-paid-off-stripe-property",
	Fields:  fieldsOn("invoice", FieldAdded, "amount_paid_off_stripe"),
}

var dahlia0527PendingUpdate = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.pending-update",
	Summary: "subscriptions: pending_update.discount, .discounts and .metadata",
	Ref:     "api-versions.md §3.9",
	Fields:  fieldsOn("subscription", FieldAdded, "pending_update.discount", "pending_update.discounts", "pending_update.metadata"),
}

var dahlia0527CreditedItems = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.credited-items",
	Summary: "invoice items: proration_details.credited_items",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-05-27/invoice-item-proration-credited-items",
	Fields:  fieldsOn("invoiceitem", FieldAdded, "proration_details.credited_items"),
}

var dahlia0527TestClockCustomer = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.test-clock-customer",
	Summary: "test clocks create: customer",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-05-27/test-clock-creation-customer-parameter",
	Params:  []ParamEdit{{Route: rTestClockCreate, Path: "customer", Kind: ParamAdded, Schema: form.String()}},
}

var dahlia0624SubInvoiceSettings = &Change{
	At: V2026_06_24_Dahlia, ID: "dahlia0624.sub-invoice-settings",
	Summary: "subscriptions: invoice_settings custom_fields, description and footer",
	Ref:     "sn §22.3.0",
	Params: append(append(
		onRoutes(subWrites, "invoice_settings.custom_fields", ParamAdded, form.Array(form.Object(map[string]*form.Schema{
			"name": form.String(), "value": form.String(),
		}, "name", "value")).Empty()),
		// create takes a string, update also "" to clear it
		ParamEdit{Route: rSubCreate, Path: "invoice_settings.description", Kind: ParamAdded, Schema: form.String()},
		ParamEdit{Route: rSubCreate, Path: "invoice_settings.footer", Kind: ParamAdded, Schema: form.String()}),
		ParamEdit{Route: rSubUpdate, Path: "invoice_settings.description", Kind: ParamAdded, Schema: form.String().Empty()},
		ParamEdit{Route: rSubUpdate, Path: "invoice_settings.footer", Kind: ParamAdded, Schema: form.String().Empty()}),
	Fields: fieldsOn("subscription", FieldAdded, "invoice_settings.custom_fields", "invoice_settings.description", "invoice_settings.footer"),
}

var dahlia0729PreviewMetadata = &Change{
	At: V2026_07_29_Dahlia, ID: "dahlia0729.preview-metadata",
	Summary: "previews: subscription_details[metadata]",
	Ref:     "sn §22.4.0",
	Params:  []ParamEdit{{Route: rPreview, Path: "subscription_details.metadata", Kind: ParamAdded, Schema: form.Map(form.String()).Empty()}},
}

var dahlia0826FeedbackOption = &Change{
	At: V2026_08_26_Dahlia, ID: "dahlia0826.feedback-option",
	Summary: "subscriptions update and cancel: cancellation_details[feedback_option]",
	Ref:     "sn §22.6.0",
	Params:  onRoutes([]string{rSubUpdate, rSubCancel}, "cancellation_details.feedback_option", ParamAdded, form.String()),
	Fields:  fieldsOn("subscription", FieldAdded, "cancellation_details.feedback_option"),
}

var dahlia0826FrozenFields = &Change{
	At: V2026_08_26_Dahlia, ID: "dahlia0826.frozen-fields",
	Summary: "invoice items: frozen_fields",
	Ref:     "api-versions.md §3.9; CL:dahlia/2026-08-26/adds-frozen-fields-property-to-invoice-items",
	Fields:  fieldsOn("invoiceitem", FieldAdded, "frozen_fields"),
}
