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
	Summary: "setup intents create and update: payment_method_types is no longer a parameter (allowed_payment_method_types replaces it)",
	// The PaymentIntent routes join when the emulator serves them.
	Ref:    "api-versions.md §3.10; CL:endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents",
	Params: onRoutes([]string{rSetupIntentCreate, rSetupIntentUpdate}, "payment_method_types", ParamRemoved, nil),
}

var endivePaymentMethodTypes = &Change{
	At: V2026_09_30_Endive, ID: "endive.payment-method-types",
	Summary: "payment methods: types paypay and sequra",
	Ref:     "api-versions.md §3.13 (sn §23.0.0)",
	Params:  newPaymentMethodTypes("paypay", "sequra"),
}
