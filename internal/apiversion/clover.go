package apiversion

import "github.com/stripe-emulator/stripe-emulator/internal/form"

// The clover family: 2025-09-30.clover (major) … 2026-02-25.clover
// (api-versions.md §3.5, §3.6; design-15 §2.13–2.18).

var cloverFlexibleDefault = &Change{
	At: V2025_09_30_Clover, ID: "clover.flexible-default",
	Summary: "new subscriptions default to the flexible billing mode",
	Ref:     "api-versions.md §3.5; CL:clover/2025-09-30/billing-mode-default-flexible",
	Gates:   []Gate{GateFlexibleDefault},
}

var cloverCustomerNames = &Change{
	At: V2025_09_30_Clover, ID: "clover.customer-names",
	Summary: "customers: business_name and individual_name",
	Ref:     "api-versions.md §3.5; CL:clover/2025-09-30/customer-business-individual-names",
	Params: append(onRoutes([]string{rCustomerCreate, rCustomerUpdate}, "business_name", ParamAdded, form.String().Empty()),
		onRoutes([]string{rCustomerCreate, rCustomerUpdate}, "individual_name", ParamAdded, form.String().Empty())...),
	Fields: fieldsOn("customer", FieldAdded, "business_name", "individual_name"),
}

var cloverInvoiceItemNet = &Change{
	At: V2025_09_30_Clover, ID: "clover.invoiceitem-net",
	Summary: "invoice items: net_amount and proration_details",
	Ref:     "api-versions.md §3.5 (sn §19.0.0)",
	Fields:  fieldsOn("invoiceitem", FieldAdded, "net_amount", "proration_details"),
}

var clover1215CustomerAccount = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.customer-account",
	Summary: "subscriptions, invoices, invoice items and previews: customer_account (an Accounts v2 customer)",
	Ref:     "api-versions.md §3.6; CL:clover/2025-12-15/accounts-v2-v1-api-support",
	Params: onRoutes([]string{rSubCreate, rSubList, rInvoiceCreate, rInvoiceList, rInvoiceItemCreate, rInvoiceItemList, rPreview},
		"customer_account", ParamAdded, form.String()),
	Fields: []FieldEdit{
		{Object: "subscription", Path: "customer_account", Kind: FieldAdded},
		{Object: "invoice", Path: "customer_account", Kind: FieldAdded},
		{Object: "invoiceitem", Path: "customer_account", Kind: FieldAdded},
		{Object: "customer", Path: "customer_account", Kind: FieldAdded},
	},
}

var clover1215CustomerOptional = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.customer-optional",
	Summary: "subscriptions and invoice items create: customer is optional (one of customer and customer_account)",
	Ref:     "api-versions.md §3.6; CL:clover/2025-12-15/accounts-v2-v1-api-support",
	Params:  onRoutes([]string{rSubCreate, rInvoiceItemCreate}, "customer", ParamOptional, nil),
}

var clover1215LineSubtotal = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.line-subtotal",
	Summary: "invoice lines: subtotal",
	Ref:     "api-versions.md §3.6; CL:clover/2025-12-15/invoice-line-item-subtotal",
	Fields:  fieldsOn("line_item", FieldAdded, "subtotal"),
}

var clover1215PriceDetailsExpandable = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.price-details-expandable",
	Summary: "invoice lines and items: pricing.price_details.price is expandable",
	Ref:     "api-versions.md §3.6; CL:clover/2025-12-15/expandable-price-details-price",
	Fields: []FieldEdit{
		{Object: "line_item", Path: "pricing.price_details.price", Kind: FieldExpandable},
		{Object: "invoiceitem", Path: "pricing.price_details.price", Kind: FieldExpandable},
	},
}

var clover0225ItemDeletePaymentBehavior = &Change{
	At: V2026_02_25_Clover, ID: "clover0225.item-delete-payment-behavior",
	Summary: "DELETE /v1/subscription_items/{item}: payment_behavior",
	Ref:     "api-versions.md §3.6; CL:clover/2026-02-25/subscription-item-deletion-payment-behavior-control",
	Params: []ParamEdit{{Route: rItemDelete, Path: "payment_behavior", Kind: ParamAdded,
		Schema: form.String("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")}},
}
