package apiversion

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// The basil family: 2025-03-31.basil (major) … 2025-08-27.basil
// (api-versions.md §3.3, §3.4; design-15 §2.7–2.12).

var basilUpcomingRemoved = &Change{
	At: V2025_03_31_Basil, ID: "basil.upcoming-removed",
	Summary: "GET /v1/invoices/upcoming and /upcoming/lines are removed: use POST /v1/invoices/create_preview",
	Ref:     "api-versions.md §3.3 #1; CL:basil/2025-03-31/invoice-preview-api-deprecations",
	Routes: []RouteEdit{
		{Route: rUpcoming, Kind: RouteRemoved, Use: rPreview},
		{Route: rUpcomingLines, Kind: RouteRemoved, Use: rPreview},
	},
}

var basilPreviewNeedsTarget = &Change{
	At: V2025_03_31_Basil, ID: "basil.preview-needs-target",
	Summary: "create_preview needs subscription, schedule, subscription_details.items, schedule_details.phases or invoice_items beside customer",
	Ref:     "api-versions.md §3.3 #1; [O] stripe-node#2347",
	Gates:   []Gate{GatePreviewNeedsTarget},
}

var basilUsageRecordsRemoved = &Change{
	At: V2025_03_31_Basil, ID: "basil.usage-records-removed",
	Summary: "usage records and usage record summaries are removed: use billing meters",
	Ref:     "api-versions.md §3.3 #2; CL:basil/2025-03-31/deprecate-legacy-usage-based-billing",
	Routes: []RouteEdit{
		{Route: rUsageRecords, Kind: RouteRemoved, Use: "POST /v1/billing/meter_events"},
		{Route: rUsageSummaries, Kind: RouteRemoved, Use: "GET /v1/billing/meters/{id}/event_summaries"},
	},
}

var basilAggregateUsageRemoved = &Change{
	At: V2025_03_31_Basil, ID: "basil.aggregate-usage-removed",
	Summary: "prices: recurring[aggregate_usage] is removed",
	Ref:     "api-versions.md §3.3 #3",
	Params:  []ParamEdit{{Route: rPriceCreate, Path: "recurring.aggregate_usage", Kind: ParamRemoved}},
	Fields: []FieldEdit{
		{Object: "price", Path: "recurring.aggregate_usage", Kind: FieldRemoved},
		{Object: "plan", Path: "aggregate_usage", Kind: FieldRemoved},
	},
}

var basilLegacyMetered = &Change{
	At: V2025_03_31_Basil, ID: "basil.legacy-metered",
	Summary: "metered prices without a meter can no longer be created, nor attached to subscriptions or previews",
	Ref:     "api-versions.md §3.3 #4; CL:basil/2025-03-31/deprecate-legacy-usage-based-billing",
	Gates:   []Gate{GateNoLegacyMetered},
}

// basilBillingEventTypes: the billing meter and billing credit event types,
// which webhook endpoints can name from 2025-03-31.basil. Stripe's catalogue
// snapshots list them only from 2026-08-26.dahlia, but its changelog has them
// in 2025-03-31.basil and stripe-node 18.5.0 (2025-08-27.basil) types every
// one in WebhookEndpointCreateParams.EnabledEvent, so the snapshots before
// 2026-08-26 get them too (BeyondCatalogues).
var basilBillingEventTypes = &Change{
	At: V2025_03_31_Basil, ID: "basil.billing-event-types",
	Summary: "webhook endpoints: enabled_events takes billing.meter.* and billing.credit_grant.* / billing.credit_balance_transaction.created",
	Ref: "api-versions.md §3.3 #17; CL:basil/2025-03-31/billing-meter-webhooks, …/billing-credit-webhooks; " +
		"stripe-node 18.5.0 types/WebhookEndpointsResource.d.ts",
	BeyondCatalogues: true,
	Params:           webhookEventTypesAdded("billing.credit_balance_transaction.created", "billing.credit_grant.created", "billing.credit_grant.updated", "billing.meter.created", "billing.meter.deactivated", "billing.meter.reactivated", "billing.meter.updated"),
}

// webhookEventTypesAdded are the edits of a version that adds event types
// webhook endpoints can name.
func webhookEventTypesAdded(types ...string) []ParamEdit {
	return []ParamEdit{
		{Route: rWebhookCreate, Path: "enabled_events", Kind: ParamEnumAdded, Values: types},
		{Route: rWebhookUpdate, Path: "enabled_events", Kind: ParamEnumAdded, Values: types},
	}
}

// The billing_thresholds parameters, removed in 2025-03-31.basil and back in
// 2025-05-28.basil.
func thresholdParams(kind ParamKind) []ParamEdit {
	sub := form.Object(map[string]*form.Schema{"amount_gte": form.Integer(), "reset_billing_cycle_anchor": form.Boolean()}).Empty()
	item := func() *form.Schema {
		return form.Object(map[string]*form.Schema{"usage_gte": form.Integer()}, "usage_gte").Empty()
	}
	if kind == ParamRemoved {
		sub, item = nil, func() *form.Schema { return nil }
	}
	edits := onRoutes(subWrites, "billing_thresholds", kind, sub)
	edits = append(edits, onRoutes(subWrites, "items.billing_thresholds", kind, item())...)
	edits = append(edits, onRoutes(itemWrites, "billing_thresholds", kind, item())...)
	return append(edits, ParamEdit{Route: rPreview, Path: "subscription_details.items.billing_thresholds", Kind: kind, Schema: item()})
}

var basilThresholdsOut = &Change{
	At: V2025_03_31_Basil, ID: "basil.thresholds-out",
	Summary: "billing_thresholds is removed from subscriptions, subscription items and previews (until 2025-05-28.basil)",
	Ref:     "api-versions.md §3.3 #5, §3.7",
	Params:  thresholdParams(ParamRemoved),
	Fields: []FieldEdit{
		{Object: "subscription", Path: "billing_thresholds", Kind: FieldRemoved},
		{Object: "subscription_item", Path: "billing_thresholds", Kind: FieldRemoved},
	},
}

var basilPeriodsToItems = &Change{
	At: V2025_03_31_Basil, ID: "basil.periods-to-items",
	Summary: "current_period_start/end move from the subscription to each subscription item",
	Ref:     "api-versions.md §3.3 #6, §4; CL:basil/2025-03-31/deprecate-subscription-current-period-start-and-end",
	Fields: append(fieldsOn("subscription", FieldRemoved, "current_period_start", "current_period_end"),
		fieldsOn("subscription_item", FieldAdded, "current_period_start", "current_period_end")...),
}

var basilInvoiceParent = &Change{
	At: V2025_03_31_Basil, ID: "basil.invoice-parent",
	Summary: "invoices: parent replaces subscription, subscription_details, subscription_proration_date and quote",
	Ref:     "api-versions.md §3.3 #7, §4; CL:basil/2025-03-31/adds-new-parent-field-to-invoicing-objects",
	Fields: append(fieldsOn("invoice", FieldAdded, "parent"),
		fieldsOn("invoice", FieldRemoved, "subscription", "subscription_details", "subscription_proration_date", "quote")...),
}

var basilLineParent = &Change{
	At: V2025_03_31_Basil, ID: "basil.line-parent",
	Summary: "invoice lines: parent replaces type, invoice_item, subscription_item, proration and proration_details; plan is removed",
	Ref:     "api-versions.md §3.3 #8, §4",
	Fields: append(fieldsOn("line_item", FieldAdded, "parent"),
		fieldsOn("line_item", FieldRemoved, "type", "invoice_item", "subscription_item", "proration", "proration_details", "plan")...),
}

var basilPricing = &Change{
	At: V2025_03_31_Basil, ID: "basil.pricing",
	Summary: "invoice items and lines: pricing replaces price (and plan, unit_amount); the price parameter becomes pricing[price]",
	Ref:     "api-versions.md §3.3 #10, §4; CL:basil/2025-03-31/invoice-pricing-configurations",
	Params: append(append(
		onRoutes(invoiceItemWrites, "price", ParamRemoved, nil),
		onRoutes(invoiceItemWrites, "unit_amount", ParamRemoved, nil)...),
		append(onRoutes(append(invoiceItemWrites, rInvoiceLineUpdate), "pricing", ParamAdded,
			form.Object(map[string]*form.Schema{"price": form.String()})),
			ParamEdit{Route: rInvoiceLineUpdate, Path: "price", Kind: ParamRemoved})...),
	Upgrade: []RequestUpgrade{{Routes: append(append([]string{}, invoiceItemWrites...), rInvoiceLineUpdate), Params: []string{"price"}, Apply: priceToPricingUpgrade}},
	Fields: append(append(
		fieldsOn("line_item", FieldAdded, "pricing"),
		fieldsOn("line_item", FieldRemoved, "price")...),
		append(fieldsOn("invoiceitem", FieldAdded, "pricing"),
			fieldsOn("invoiceitem", FieldRemoved, "price", "plan", "unit_amount", "unit_amount_decimal")...)...),
}

// priceToPricingUpgrade turns an invoice item's (or line's) price=<id> into
// pricing[price]=<id>.
func priceToPricingUpgrade(p *form.Params) *apierr.Error {
	if v := p.Get("price"); v != nil {
		p.Del("price")
		p.Set("pricing", objectValue(v.Param, map[string]*form.Value{"price": v}))
	}
	return nil
}

var basilInvoiceItemParent = &Change{
	At: V2025_03_31_Basil, ID: "basil.invoiceitem-parent",
	Summary: "invoice items: parent replaces subscription and subscription_item",
	Ref:     "api-versions.md §3.3 #9",
	Fields: append(fieldsOn("invoiceitem", FieldAdded, "parent"),
		fieldsOn("invoiceitem", FieldRemoved, "subscription", "subscription_item")...),
}

var basilTaxes = &Change{
	At: V2025_03_31_Basil, ID: "basil.taxes",
	Summary: "invoices and lines: total_taxes and taxes replace tax, total_tax_amounts, tax_amounts, tax_rates and the amounts excluding tax",
	Ref:     "api-versions.md §3.3 #11; CL:basil/2025-03-31/invoice-tax-configurations",
	Fields: append(append(
		fieldsOn("invoice", FieldAdded, "total_taxes"),
		fieldsOn("invoice", FieldRemoved, "tax", "total_tax_amounts")...),
		append(fieldsOn("line_item", FieldAdded, "taxes"),
			fieldsOn("line_item", FieldRemoved, "tax_amounts", "tax_rates", "amount_excluding_tax", "unit_amount_excluding_tax")...)...),
}

var basilInvoicePaymentFields = &Change{
	At: V2025_03_31_Basil, ID: "basil.invoice-payment-fields",
	Summary: "invoices: paid, paid_out_of_band, payment_intent, charge, application_fee_amount and transfer_data are removed; amount_overpaid and payments (includable: the invoice's invoice payments, with expand[]=payments) are added",
	Ref:     "api-versions.md §3.3 #12; CL:basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices",
	Fields: append(fieldsOn("invoice", FieldAdded, "amount_overpaid", "payments"),
		fieldsOn("invoice", FieldRemoved, "paid", "paid_out_of_band", "payment_intent", "charge", "application_fee_amount", "transfer_data")...),
}

var basilSingularDiscountFields = &Change{
	At: V2025_03_31_Basil, ID: "basil.singular-discount-fields",
	Summary: "subscriptions and invoices: discount is removed (discounts stays); the coupon and promotion_code parameters are removed",
	Ref:     "api-versions.md §3.3 #13; CL:basil/2025-03-31/deprecate-singular-coupon-promotion-code",
	Params: append(
		onRoutes([]string{rCustomerCreate, rCustomerUpdate, rSubCreate, rSubUpdate, rPreview}, "coupon", ParamRemoved, nil),
		onRoutes([]string{rCustomerCreate, rCustomerUpdate, rSubCreate, rSubUpdate}, "promotion_code", ParamRemoved, nil)...),
	Fields: []FieldEdit{
		{Object: "subscription", Path: "discount", Kind: FieldRemoved},
		{Object: "invoice", Path: "discount", Kind: FieldRemoved},
	},
}

var basilTotalCount = &Change{
	At: V2025_03_31_Basil, ID: "basil.total-count",
	Summary: "lists: expand[]=total_count is forbidden",
	Ref:     "api-versions.md §3.3 #18; CL:basil/2025-03-31/deprecate-total-count-expansion",
	Gates:   []Gate{GateNoTotalCount},
}

var basilMeterFormulaLast = &Change{
	At: V2025_03_31_Basil, ID: "basil.meter-formula-last",
	Summary: "billing meters: default_aggregation[formula]=last",
	Ref:     "api-versions.md §3.3 #16; CL:basil/2025-03-31/meters-last-agg-formula",
	Params:  []ParamEdit{{Route: rMeterCreate, Path: "default_aggregation.formula", Kind: ParamEnumAdded, Values: []string{"last"}}},
}

var basil0430TaxProvider = &Change{
	At: V2025_04_30_Basil, ID: "basil0430.tax-provider",
	Summary: "invoices: automatic_tax.provider",
	Ref:     "sn §18.1.0",
	Fields:  []FieldEdit{{Object: "invoice", Path: "automatic_tax.provider", Kind: FieldAdded}},
}

var basil0528ThresholdsBack = &Change{
	At: V2025_05_28_Basil, ID: "basil0528.thresholds-back",
	Summary: "billing_thresholds is back on subscriptions, subscription items and previews",
	Ref:     "api-versions.md §3.4, §3.7; CL:basil/2025-05-28/reintroduce-billing-thresholds",
	Params:  thresholdParams(ParamAdded),
	Fields: []FieldEdit{
		{Object: "subscription", Path: "billing_thresholds", Kind: FieldAdded},
		{Object: "subscription_item", Path: "billing_thresholds", Kind: FieldAdded},
	},
}

var basil0528AlertMeterRequired = &Change{
	At: V2025_05_28_Basil, ID: "basil0528.alert-meter-required",
	Summary: "billing alerts: usage_threshold[meter] is required",
	// The 2025-05-28.basil catalogue, the base of 2025-03-31 and 2025-04-30
	// (Info.Catalogue), already requires it: at those two versions the
	// emulator requires it one version early.
	Ref:    "api-versions.md §3.4 (sn §18.2.0)",
	Params: []ParamEdit{{Route: rAlertCreate, Path: "usage_threshold.meter", Kind: ParamRequired}},
}

// basil0528InvoicePaymentPaid: the invoice_payment.paid event, sent when an
// invoice payment is paid, from 2025-05-28.basil (its partial payments), and
// enabled_events names it from then. The 2025-05-28.basil catalogue (an
// early cut, the base of the basil versions) names it invoice.payment.paid;
// stripe-node 18.2.0 and the clover catalogue, invoice_payment.paid
// (api-versions.md §3.7).
var basil0528InvoicePaymentPaid = &Change{
	At: V2025_05_28_Basil, ID: "basil0528.invoice-payment-paid",
	Summary: "events: invoice_payment.paid, which webhook endpoints' enabled_events can name",
	Ref:     "api-versions.md §3.4, §3.5, §3.7; CL:basil/2025-05-28/partial-payments",
	Params:  webhookEventTypesAdded("invoice_payment.paid"),
	Events:  []string{"invoice_payment.paid"},
}

func billingModeParam() *form.Schema {
	return form.Object(map[string]*form.Schema{
		"flexible": form.Object(map[string]*form.Schema{"proration_discounts": form.String("included", "itemized")}),
		"type":     form.String("classic", "flexible"),
	}, "type")
}

var basil0630BillingMode = &Change{
	At: V2025_06_30_Basil, ID: "basil0630.billing-mode",
	Summary: "subscriptions and previews: billing_mode (classic or flexible), shown on the subscription",
	Ref:     "api-versions.md §3.4, §5; CL:basil/2025-06-30/billing-mode",
	Params: []ParamEdit{
		{Route: rSubCreate, Path: "billing_mode", Kind: ParamAdded, Schema: billingModeParam()},
		{Route: rPreview, Path: "subscription_details.billing_mode", Kind: ParamAdded, Schema: billingModeParam()},
	},
	Fields: []FieldEdit{{Object: "subscription", Path: "billing_mode", Kind: FieldAdded}},
	Gates:  []Gate{GateBillingMode},
}

var basil0630Migrate = &Change{
	At: V2025_06_30_Basil, ID: "basil0630.migrate",
	Summary: "POST /v1/subscriptions/{subscription}/migrate moves a subscription from classic to flexible billing",
	Ref:     "api-versions.md §3.4, §5; CL:basil/2025-06-30/billing-mode",
	Routes:  []RouteEdit{{Route: rSubMigrate, Kind: RouteAdded}},
}

var basil0630Flexible = &Change{
	At: V2025_06_30_Basil, ID: "basil0630.flexible",
	Summary: "flexible billing: the rules of subscriptions whose billing mode is flexible (whatever version reads them)",
	Ref:     "api-versions.md §5; https://docs.stripe.com/billing/subscriptions/billing-mode/compare",
}

func cancelAtEnums() *form.Schema {
	return form.OneOf(form.Integer(), form.String("max_period_end", "min_period_end"))
}

var basil0730CancelAtEnums = &Change{
	At: V2025_07_30_Basil, ID: "basil0730.cancel-at-enums",
	Summary: "subscriptions and previews: cancel_at also takes min_period_end and max_period_end",
	Ref:     "api-versions.md §3.4; CL:basil/2025-07-30/cancel-at-enums",
	Params: []ParamEdit{
		{Route: rSubCreate, Path: "cancel_at", Kind: ParamRetyped, Schema: cancelAtEnums()},
		{Route: rSubUpdate, Path: "cancel_at", Kind: ParamRetyped, Schema: cancelAtEnums().Empty()},
		{Route: rPreview, Path: "subscription_details.cancel_at", Kind: ParamRetyped, Schema: cancelAtEnums().Empty()},
	},
}

var basil0730MixedIntervals = &Change{
	At: V2025_07_30_Basil, ID: "basil0730.mixed-intervals",
	Summary: "flexible subscriptions may mix prices of different intervals",
	Ref:     "api-versions.md §3.4; CL:basil/2025-07-30/support-mixed-intervals",
	Gates:   []Gate{GateMixedIntervals},
}

var basil0827AddInvoiceItemsPeriod = &Change{
	At: V2025_08_27_Basil, ID: "basil0827.add-invoice-items-period",
	Summary: "subscriptions: add_invoice_items[][metadata] and add_invoice_items[][period]",
	Ref:     "api-versions.md §3.4; CL:basil/2025-08-27/add_invoice_items_metadata_and_period",
	Params: append(onRoutes(subWrites, "add_invoice_items.metadata", ParamAdded, form.Map(form.String())),
		onRoutes(subWrites, "add_invoice_items.period", ParamAdded, form.Object(map[string]*form.Schema{
			"end": form.Object(map[string]*form.Schema{
				"timestamp": form.Integer(),
				"type":      form.String("min_item_period_end", "timestamp"),
			}, "type"),
			"start": form.Object(map[string]*form.Schema{
				"timestamp": form.Integer(),
				"type":      form.String("max_item_period_start", "now", "timestamp"),
			}, "type"),
		}, "end", "start"))...),
}
