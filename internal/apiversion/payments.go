package apiversion

import "github.com/stripe-emulator/stripe-emulator/internal/form"

// The payment side's request units (issue 16): what the later catalogues
// change in the parameters of the payment endpoints the emulator serves
// (PaymentMethods, SetupIntents, customer balance transactions), each in the
// family it belongs to (the master list, changes.go, orders them). Their
// response units come with the response side of the version layer.

const (
	rPaymentMethodCreate    = "POST /v1/payment_methods"
	rPaymentMethodUpdate    = "POST /v1/payment_methods/{payment_method}"
	rPaymentMethodList      = "GET /v1/payment_methods"
	rPaymentMethodAttach    = "POST /v1/payment_methods/{payment_method}/attach"
	rCustomerPaymentMethods = "GET /v1/customers/{customer}/payment_methods"
	rSetupIntentCreate      = "POST /v1/setup_intents"
	rSetupIntentUpdate      = "POST /v1/setup_intents/{intent}"
	rSetupIntentList        = "GET /v1/setup_intents"
	rBalanceTxnList         = "GET /v1/customers/{customer}/balance_transactions"
	rPaymentIntentCreate    = "POST /v1/payment_intents"
	rPaymentIntentUpdate    = "POST /v1/payment_intents/{intent}"
	rPaymentIntentConfirm   = "POST /v1/payment_intents/{intent}/confirm"
)

// paymentMethodTypeRoutes take a payment method type: the create's type and
// the lists' type filter.
var paymentMethodTypeRoutes = []string{rPaymentMethodCreate, rPaymentMethodList, rCustomerPaymentMethods}

// newPaymentMethodTypes are new values of the payment method type on its
// routes. The versions are those of the catalogue snapshots where they
// appear (api-versions.md §3.13 [S]) unless a changelog dates them; the
// emulator serves type card only, so any other value is a 400 that says so.
func newPaymentMethodTypes(values ...string) []ParamEdit {
	out := make([]ParamEdit, len(paymentMethodTypeRoutes))
	for i, r := range paymentMethodTypeRoutes {
		out[i] = ParamEdit{Route: r, Path: "type", Kind: ParamEnumAdded, Values: values}
	}
	return out
}

var basilPaymentMethodTypes = &Change{
	At: V2025_03_31_Basil, ID: "basil.payment-method-types",
	Summary: "payment methods: ten new types (alma, billie, kakao_pay, kr_card, naver_pay, nz_bank_account, pay_by_bank, payco, samsung_pay, satispay)",
	Ref:     "api-versions.md §3.13 [S] (acacia → basil catalogues)",
	Params: newPaymentMethodTypes("alma", "billie", "kakao_pay", "kr_card", "naver_pay", "nz_bank_account", "pay_by_bank", "payco",
		"samsung_pay", "satispay"),
}

var basilBillingDetailsTaxID = &Change{
	At: V2025_03_31_Basil, ID: "basil.billing-details-tax-id-param",
	Summary: "payment methods create and update: billing_details[tax_id]",
	// Stripe added it at 2025-04-30.basil; the 2025-05-28.basil catalogue,
	// the base of 2025-03-31 (Info.Catalogue), already has it: the
	// emulator's schemas have it one version early (and the emulator does
	// not support it yet at any version).
	Ref:    "api-versions.md §3.4; CL:basil/2025-04-30/add-tax-id-to-billing-details",
	Params: onRoutes([]string{rPaymentMethodCreate, rPaymentMethodUpdate}, "billing_details.tax_id", ParamAdded, form.String()),
	Fields: []FieldEdit{
		{Object: "payment_method", Path: "billing_details.tax_id", Kind: FieldAdded},
		{Object: "charge", Path: "billing_details.tax_id", Kind: FieldAdded},
	},
}

var cloverPaymentMethodTypes = &Change{
	At: V2025_09_30_Clover, ID: "clover.payment-method-types",
	Summary: "payment methods: types crypto and mb_way",
	Ref:     "api-versions.md §3.13 [S] (basil → clover catalogues)",
	Params:  newPaymentMethodTypes("crypto", "mb_way"),
}

var clover1029CustomPaymentMethodType = &Change{
	At: V2025_10_29_Clover, ID: "clover1029.custom-payment-method-type",
	Summary: "payment methods: type custom",
	Ref:     "api-versions.md §3.6 (CLidx), §3.13",
	Params:  newPaymentMethodTypes("custom"),
}

var clover1117BalanceTxnCreated = &Change{
	At: V2025_11_17_Clover, ID: "clover1117.balance-txn-created",
	Summary: "customer balance transactions list: created filter",
	Ref:     "api-versions.md §3.6; CL:clover/2025-11-17/customer-balance-transactions-list-created",
	Params: []ParamEdit{{Route: rBalanceTxnList, Path: "created", Kind: ParamAdded, Schema: form.OneOf(
		form.Object(map[string]*form.Schema{"gt": form.Integer(), "gte": form.Integer(), "lt": form.Integer(), "lte": form.Integer()}),
		form.Integer())}},
}

var clover1215PaymentsCustomerAccount = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.payments-customer-account",
	Summary: "payment methods and setup intents: customer_account (an Accounts v2 customer); attach takes it in place of customer; the payment methods list filters by allow_redisplay",
	// allow_redisplay and customer_account on the payment methods list came
	// in 2025-11-17.preview (CL:clover/2025-11-17/v2-accounts-payment-methods)
	// and are in no catalogue before 2026-05-27: [I] with Accounts v2 in
	// 2025-12-15.clover.
	Ref: "api-versions.md §3.6; CL:clover/2025-12-15/accounts-v2-v1-api-support",
	Params: append(append(onRoutes([]string{rPaymentMethodList, rPaymentMethodAttach, rSetupIntentCreate, rSetupIntentUpdate, rSetupIntentList},
		"customer_account", ParamAdded, form.String()),
		ParamEdit{Route: rPaymentMethodAttach, Path: "customer", Kind: ParamOptional}),
		ParamEdit{Route: rPaymentMethodList, Path: "allow_redisplay", Kind: ParamAdded, Schema: form.String("always", "limited", "unspecified")}),
	// The fields: customer_account on payment methods, PaymentIntents and
	// balance transactions (optional, so absent, on setup intents), which the
	// 2026-05-27 catalogue is the first to have (design-16 §4.6 dates them
	// with the parameters).
	Fields: []FieldEdit{
		{Object: "payment_method", Path: "customer_account", Kind: FieldAdded},
		{Object: "payment_intent", Path: "customer_account", Kind: FieldAdded},
		{Object: "customer_balance_transaction", Path: "customer_account", Kind: FieldAdded},
	},
}

var clover1215BalanceTxnInvoice = &Change{
	At: V2025_12_15_Clover, ID: "clover1215.balance-txn-invoice",
	Summary: "customer balance transactions list: invoice filter",
	Ref:     "api-versions.md §3.6; CL:clover/2025-12-15/customer-balance-transations-list-invoice",
	Params:  []ParamEdit{{Route: rBalanceTxnList, Path: "invoice", Kind: ParamAdded, Schema: form.String()}},
}

var dahlia0527PaymentMethodTypes = &Change{
	At: V2026_05_27_Dahlia, ID: "dahlia0527.payment-method-types",
	Summary: "payment methods: types bizum, payto, scalapay, sunbit and upi",
	Ref:     "api-versions.md §3.13 [S] (2025-11-17 → 2026-05-27 catalogues: the version is the snapshot's)",
	Params:  newPaymentMethodTypes("bizum", "payto", "scalapay", "sunbit", "upi"),
}

var endivePaymentMethodTypesParam = &Change{
	At: V2026_09_30_Endive, ID: "endive.payment-method-types-param",
	Summary: "setup intents and PaymentIntents create and update, PaymentIntents confirm: payment_method_types is no longer a parameter (allowed_payment_method_types replaces it)",
	// The response field payment_method_types stays (stripe-node 23 still
	// types it on both): no FieldEdit.
	Ref: "api-versions.md §3.10; CL:endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents",
	Params: onRoutes([]string{rSetupIntentCreate, rSetupIntentUpdate, rPaymentIntentCreate, rPaymentIntentUpdate, rPaymentIntentConfirm},
		"payment_method_types", ParamRemoved, nil),
}

// The response units of PaymentIntents, charges, refunds and balance
// transactions (design-16 §4.6): the fields later versions add or remove,
// each dated by its changelog where one says, else by the first catalogue
// snapshot that has it. The emulator renders each added field null (or
// false/absent as noted): it models none of what they report.

var acacia1218NetworkCodes = &Change{
	At: V2024_12_18_Acacia, ID: "acacia1218.network-codes",
	Summary: "charges: outcome.network_advice_code and outcome.network_decline_code",
	Ref:     "api-versions.md §3.2; CL:acacia/2024-12-18/add-network-advice-code-and-network-decline-code",
	Fields:  fieldsOn("charge", FieldAdded, "outcome.network_advice_code", "outcome.network_decline_code"),
}

var acacia0127AdviceCode = &Change{
	At: V2025_01_27_Acacia, ID: "acacia0127.advice-code",
	Summary: "charges: outcome.advice_code",
	Ref:     "api-versions.md §3.2; CL:acacia/2025-01-27/add-advice-code",
	Fields:  fieldsOn("charge", FieldAdded, "outcome.advice_code"),
}

var basilPaymentFields = &Change{
	At: V2025_03_31_Basil, ID: "basil.payment-fields",
	Summary: "PaymentIntents and charges: invoice is removed (the invoice_payment resource, added, links them); payment methods and charges: card regulated_status; charges: network_transaction_id; balance transactions: checkout_session",
	// regulated_status, network_transaction_id and checkout_session are in
	// the 2025-05-28 catalogue, the base of 2025-03-31 [I] (no changelog
	// entry found).
	Ref: "api-versions.md §3.3 #12, #20–21; CL:basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices",
	// The invoice_payment resource that links them to their invoices.
	Routes: []RouteEdit{{Route: "GET /v1/invoice_payments", Kind: RouteAdded}, {Route: "GET /v1/invoice_payments/{invoice_payment}", Kind: RouteAdded}},
	Fields: append(append(append(fieldsOn("payment_intent", FieldRemoved, "invoice"),
		fieldsOn("charge", FieldRemoved, "invoice")...),
		fieldsOn("charge", FieldAdded, "payment_method_details.card.network_transaction_id", "payment_method_details.card.regulated_status")...),
		FieldEdit{Object: "payment_method", Path: "card.regulated_status", Kind: FieldAdded},
		FieldEdit{Object: "customer_balance_transaction", Path: "checkout_session", Kind: FieldAdded}),
}

var cloverExcludedTypesPI = &Change{
	At: V2025_09_30_Clover, ID: "clover.excluded-types-pi",
	Summary: "PaymentIntents: excluded_payment_method_types",
	Ref:     "design-16 §4.6 (spec diff: the 2025-09-30 catalogue is the first with it)",
	Fields:  fieldsOn("payment_intent", FieldAdded, "excluded_payment_method_types"),
}

var clover1029ExcludedTypesSI = &Change{
	At: V2025_10_29_Clover, ID: "clover1029.excluded-types-si",
	Summary: "setup intents: excluded_payment_method_types",
	Ref:     "api-versions.md §3.6; design-16 §4.6",
	Fields:  fieldsOn("setup_intent", FieldAdded, "excluded_payment_method_types"),
}

var dahlia0729AllowedTypes = &Change{
	At: V2026_07_29_Dahlia, ID: "dahlia0729.allowed-types",
	Summary: "PaymentIntents and setup intents: allowed_payment_method_types; refunds: customer, customer_account and payment_method",
	Ref:     "api-versions.md §3.9; design-16 §4.6 (spec diff)",
	Fields: append(fieldsOn("refund", FieldAdded, "customer", "customer_account", "payment_method"),
		FieldEdit{Object: "payment_intent", Path: "allowed_payment_method_types", Kind: FieldAdded},
		FieldEdit{Object: "setup_intent", Path: "allowed_payment_method_types", Kind: FieldAdded}),
}

var dahlia0826TransactionLinkID = &Change{
	At: V2026_08_26_Dahlia, ID: "dahlia0826.transaction-link-id",
	Summary: "charges: payment_method_details.card.transaction_link_id",
	Ref:     "the 2026-08-26 catalogue is the first with it [I] (no changelog entry found)",
	Fields:  fieldsOn("charge", FieldAdded, "payment_method_details.card.transaction_link_id"),
}

var endivePaymentMethodTypes = &Change{
	At: V2026_09_30_Endive, ID: "endive.payment-method-types",
	Summary: "payment methods: types paypay and sequra",
	Ref:     "api-versions.md §3.13 (sn §23.0.0)",
	Params:  newPaymentMethodTypes("paypay", "sequra"),
}
