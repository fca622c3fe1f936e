package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// attachCard attaches a new clone of a magic id (pm_card_visa…) to a customer.
func attachCard(t *testing.T, sc *client.API, magic, customer string) *stripe.PaymentMethod {
	t.Helper()
	pm, err := sc.PaymentMethods.Attach(magic, &stripe.PaymentMethodAttachParams{Customer: stripe.String(customer)})
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// cardParams is a card entered by number.
func cardParams(number string, month, year int64, cvc string) *stripe.PaymentMethodParams {
	p := &stripe.PaymentMethodParams{Type: stripe.String("card"), Card: &stripe.PaymentMethodCardParams{
		Number: stripe.String(number), ExpMonth: stripe.Int64(month), ExpYear: stripe.Int64(year)}}
	if cvc != "" {
		p.Card.CVC = stripe.String(cvc)
	}
	return p
}

// TestPaymentMethodCreate: a card from a test number or token renders as
// Stripe's test cards do; numbers and expiries Stripe's test mode refuses
// are its 402 card errors, and nothing is stored.
func TestPaymentMethodCreate(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name                                 string
		params                               *stripe.PaymentMethodParams
		brand, display, last4, funding, ctry string
		month, year                          int64
		cvc                                  stripe.PaymentMethodCardChecksCVCCheck
	}{
		{name: "visa by number, with a CVC", params: cardParams("4242424242424242", 8, 2030, "123"),
			brand: "visa", display: "visa", last4: "4242", funding: "credit", ctry: "US", month: 8, year: 2030, cvc: "unchecked"},
		{name: "without a CVC: no check", params: cardParams("4242424242424242", 1, 2031, ""),
			brand: "visa", display: "visa", last4: "4242", funding: "credit", ctry: "US", month: 1, year: 2031},
		{name: "a two-digit year", params: cardParams("5555555555554444", 12, 34, "999"),
			brand: "mastercard", display: "mastercard", last4: "4444", funding: "credit", ctry: "US", month: 12, year: 2034, cvc: "unchecked"},
		{name: "amex takes four digits", params: cardParams("371449635398431", 3, 2029, "1234"),
			brand: "amex", display: "american_express", last4: "8431", funding: "credit", ctry: "US", month: 3, year: 2029, cvc: "unchecked"},
		{name: "a declining card is made", params: cardParams("4000000000000002", 3, 2029, "123"),
			brand: "visa", display: "visa", last4: "0002", funding: "credit", ctry: "US", month: 3, year: 2029, cvc: "unchecked"},
		{name: "a token", params: &stripe.PaymentMethodParams{Type: stripe.String("card"), Card: &stripe.PaymentMethodCardParams{Token: stripe.String("tok_visa_debit")}},
			brand: "visa", display: "visa", last4: "5556", funding: "debit", ctry: "US", cvc: "unchecked"},
		{name: "a JCB token", params: &stripe.PaymentMethodParams{Type: stripe.String("card"), Card: &stripe.PaymentMethodCardParams{Token: stripe.String("tok_jcb")}},
			brand: "jcb", display: "jcb", last4: "0505", funding: "credit", ctry: "JP", cvc: "unchecked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pm, err := e.sc.PaymentMethods.New(tc.params)
			if err != nil {
				t.Fatal(err)
			}
			c := pm.Card
			if !strings.HasPrefix(pm.ID, "pm_") || pm.Type != "card" || pm.Customer != nil || pm.Livemode {
				t.Errorf("payment method %s type %s customer %v", pm.ID, pm.Type, pm.Customer)
			}
			if string(c.Brand) != tc.brand || c.DisplayBrand != tc.display || c.Last4 != tc.last4 || string(c.Funding) != tc.funding || c.Country != tc.ctry {
				t.Errorf("card %s/%s …%s %s %s", c.Brand, c.DisplayBrand, c.Last4, c.Funding, c.Country)
			}
			if tc.month != 0 && (c.ExpMonth != tc.month || c.ExpYear != tc.year) {
				t.Errorf("expiry %d/%d, want %d/%d", c.ExpMonth, c.ExpYear, tc.month, tc.year)
			}
			if c.Checks.CVCCheck != tc.cvc || c.Checks.AddressLine1Check != "" {
				t.Errorf("checks %+v", c.Checks)
			}
			if len(c.Fingerprint) != 16 || len(c.Networks.Available) != 1 || string(c.Networks.Available[0]) != tc.brand || !c.ThreeDSecureUsage.Supported {
				t.Errorf("fingerprint %q, networks %+v, 3DS %+v", c.Fingerprint, c.Networks, c.ThreeDSecureUsage)
			}
			if pm.AllowRedisplay != "unspecified" || pm.BillingDetails == nil || pm.BillingDetails.Address == nil {
				t.Errorf("allow_redisplay %q, billing details %+v", pm.AllowRedisplay, pm.BillingDetails)
			}
		})
	}

	t.Run("the shape", func(t *testing.T) {
		r := e.do("POST", "/v1/payment_methods", "type=card&card[number]=4242424242424242&card[exp_month]=8&card[exp_year]=2030&card[cvc]=123"+
			"&billing_details[name]=Jenny&billing_details[address][postal_code]=94107&metadata[k]=v")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		checkShape(t, "payment_method", r.body)
		card := r.json["card"].(map[string]any)
		checks := card["checks"].(map[string]any)
		if checks["address_postal_code_check"] != "unchecked" || checks["address_line1_check"] != nil {
			t.Errorf("checks %v", checks)
		}
		if bd := r.json["billing_details"].(map[string]any); bd["name"] != "Jenny" || bd["email"] != nil {
			t.Errorf("billing details %v", bd)
		}
	})

	t.Run("a number has one fingerprint in an account, another in another", func(t *testing.T) {
		a, err := e.sc.PaymentMethods.New(cardParams("4242424242424242", 1, 2030, ""))
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.sc.PaymentMethods.New(&stripe.PaymentMethodParams{Type: stripe.String("card"), Card: &stripe.PaymentMethodCardParams{Token: stripe.String("tok_visa")}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.client("sk_test_other_account").PaymentMethods.New(cardParams("4242424242424242", 1, 2030, ""))
		if err != nil {
			t.Fatal(err)
		}
		if a.Card.Fingerprint != b.Card.Fingerprint || a.Card.Fingerprint == other.Card.Fingerprint {
			t.Errorf("fingerprints %s %s, other account %s", a.Card.Fingerprint, b.Card.Fingerprint, other.Card.Fingerprint)
		}
	})

	t.Run("refused", func(t *testing.T) {
		before := listAll(t, e, "/v1/payment_methods")
		for _, tc := range []struct {
			name, body          string
			status              int
			typ, code, decline  string
			param, msgSubstring string
		}{
			{"Luhn fails", "type=card&card[number]=4242424242424241&card[exp_month]=1&card[exp_year]=2030", 402, "card_error", "incorrect_number", "", "number", "Your card number is incorrect."},
			{"not a test card", "type=card&card[number]=4111111111111111&card[exp_month]=1&card[exp_year]=2030", 402, "card_error", "card_declined", "live_mode_test_card", "", "non test (live) card"},
			{"month 13", "type=card&card[number]=4242424242424242&card[exp_month]=13&card[exp_year]=2030", 402, "card_error", "invalid_expiry_month", "", "exp_month", "expiration month is invalid"},
			{"expired", "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2024", 402, "card_error", "invalid_expiry_year", "", "exp_year", "expiration year is invalid"},
			{"60 years ahead", "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2084", 402, "card_error", "invalid_expiry_year", "", "exp_year", ""},
			{"a short CVC", "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2030&card[cvc]=12", 402, "card_error", "invalid_cvc", "", "cvc", "security code is invalid"},
			{"amex with three", "type=card&card[number]=378282246310005&card[exp_month]=1&card[exp_year]=2030&card[cvc]=123", 402, "card_error", "invalid_cvc", "", "cvc", ""},
			{"no expiry", "type=card&card[number]=4242424242424242", 400, "invalid_request_error", "parameter_missing", "", "card[exp_month]", "Missing required param: card[exp_month]."},
			{"an unknown token", "type=card&card[token]=tok_nope", 400, "invalid_request_error", "resource_missing", "", "card[token]", "No such token: 'tok_nope'"},
			{"no type", "card[token]=tok_visa", 400, "invalid_request_error", "parameter_missing", "", "type", "Missing required param: type."},
			{"another type", "type=sepa_debit", 400, "invalid_request_error", "", "", "type", "type card only"},
			{"no card", "type=card", 400, "invalid_request_error", "parameter_missing", "", "card", "Missing required param: card."},
			{"networks", "type=card&card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2030&card[networks][preferred]=visa", 400, "invalid_request_error", "", "", "card[networks]", "does not support"},
			{"a Connect clone", "type=card&customer=cus_x&payment_method=pm_x", 400, "invalid_request_error", "", "", "customer", "does not support"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do("POST", "/v1/payment_methods", tc.body)
				if r.status != tc.status || r.errField("type") != tc.typ || r.errField("code") != tc.code || r.errField("decline_code") != tc.decline ||
					r.errField("param") != tc.param || !strings.Contains(r.errField("message"), tc.msgSubstring) {
					t.Errorf("%d %s", r.status, r.body)
				}
				if tc.status == 402 && r.header.Get("Stripe-Should-Retry") != "false" {
					t.Errorf("Stripe-Should-Retry: %q", r.header.Get("Stripe-Should-Retry"))
				}
			})
		}
		if after := listAll(t, e, "/v1/payment_methods"); after != before {
			t.Errorf("refused creates stored payment methods: %d, then %d", before, after)
		}
	})
}

// listAll is how many objects a list endpoint lists (up to 100).
func listAll(t *testing.T, e *testEnv, path string) int {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	r := e.do("GET", path+sep+"limit=100", "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	return len(r.json["data"].([]any))
}

// TestMagicPaymentMethodIDs: a pm_card_* id is a template: each use stores a
// new payment method of its card (a GET too), and later calls use the
// clone's id; the template itself is attached to no one.
func TestMagicPaymentMethodIDs(t *testing.T) {
	e := newEnv(t)
	a, err := e.sc.PaymentMethods.Get("pm_card_mastercard", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.sc.PaymentMethods.Get("pm_card_mastercard", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || !strings.HasPrefix(a.ID, "pm_") || a.ID == "pm_card_mastercard" || a.Card.Brand != "mastercard" || a.Customer != nil {
		t.Fatalf("clones %s and %s (%s)", a.ID, b.ID, a.Card.Brand)
	}
	if a.Card.Fingerprint != b.Card.Fingerprint || a.Card.Checks.CVCCheck != "unchecked" {
		t.Errorf("clones: fingerprints %s %s, cvc_check %q", a.Card.Fingerprint, b.Card.Fingerprint, a.Card.Checks.CVCCheck)
	}
	// A GET stores nothing, so that reading a test id over and over cannot
	// grow the account (the emulator's choice): the clone it answered is
	// not found afterwards.
	_, err = e.sc.PaymentMethods.Get(a.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
	if n := listAll(t, e, "/v1/payment_methods"); n != 0 {
		t.Errorf("%d payment methods after two GETs of a magic id, want 0", n)
	}
	cus := newCustomer(t, e.sc)
	pm := attachCard(t, e.sc, "pm_card_amex", cus)
	if pm.ID == "pm_card_amex" || pm.Customer == nil || pm.Customer.ID != cus || pm.Card.Brand != "amex" || pm.Card.Checks.CVCCheck != "pass" {
		t.Errorf("attached clone: %s customer %v brand %s cvc %s", pm.ID, pm.Customer, pm.Card.Brand, pm.Card.Checks.CVCCheck)
	}
	// The template is nobody's: it cannot be a default.
	_, err = e.sc.Customers.Update(cus, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_amex")}})
	se := wantErr(t, err, 400, "resource_missing", "invoice_settings[default_payment_method]")
	if se.Msg != "The customer does not have a payment method with the ID pm_card_amex. The payment method must be attached to the customer." {
		t.Errorf("message %q", se.Msg)
	}
	_, err = e.sc.PaymentMethods.Get("tok_visa", nil)
	se = wantErr(t, err, 404, "resource_missing", "id")
	if se.Msg != "No such PaymentMethod: 'tok_visa'" {
		t.Errorf("message %q", se.Msg)
	}
}

// TestAttachAndDetach: attach sets the customer and runs the card's checks
// (payment_method.attached); a method attached, or detached once, cannot be
// attached again; detach clears the defaults that named it
// (payment_method.detached, customer.updated, customer.subscription.updated).
func TestAttachAndDetach(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	pm, err := e.sc.PaymentMethods.New(cardParams("4242424242424242", 8, 2030, "123"))
	if err != nil {
		t.Fatal(err)
	}
	att, err := e.sc.PaymentMethods.Attach(pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	if att.ID != pm.ID || att.Customer.ID != cus || att.Card.Checks.CVCCheck != "pass" {
		t.Errorf("attached: %s %v %s", att.ID, att.Customer, att.Card.Checks.CVCCheck)
	}
	other := newCustomer(t, e.sc)
	_, err = e.sc.PaymentMethods.Attach(pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(other)})
	if se := wantErr(t, err, 400, "payment_method_unexpected_state", ""); se.Msg != "The payment method you provided has already been attached to a customer." {
		t.Errorf("message %q", se.Msg)
	}
	_, err = e.sc.PaymentMethods.Attach(pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String("cus_nope")})
	wantErr(t, err, 400, "resource_missing", "customer")

	// Defaults that name it.
	if _, err := e.sc.Customers.Update(cus, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(pm.ID)}}); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
	if s, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{DefaultPaymentMethod: stripe.String(pm.ID)}); err != nil || s.DefaultPaymentMethod.ID != pm.ID {
		t.Fatalf("subscription default: %v", err)
	}
	det, err := e.sc.PaymentMethods.Detach(pm.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if det.Customer != nil {
		t.Errorf("detached, customer %v", det.Customer)
	}
	c, err := e.sc.Customers.Get(cus, nil)
	if err != nil || c.InvoiceSettings.DefaultPaymentMethod != nil {
		t.Errorf("the customer's default after detach: %v %v", c.InvoiceSettings.DefaultPaymentMethod, err)
	}
	s, err := e.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil || s.DefaultPaymentMethod != nil {
		t.Errorf("the subscription's default after detach: %v %v", s.DefaultPaymentMethod, err)
	}
	_, err = e.sc.PaymentMethods.Detach(pm.ID, nil)
	if se := wantErr(t, err, 400, "payment_method_unexpected_state", ""); !strings.Contains(se.Msg, "not attached to a customer so detachment is impossible") {
		t.Errorf("message %q", se.Msg)
	}
	_, err = e.sc.PaymentMethods.Attach(pm.ID, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
	if se := wantErr(t, err, 400, "payment_method_unexpected_state", ""); !strings.Contains(se.Msg, "may not be used again") {
		t.Errorf("message %q", se.Msg)
	}
	if got := eventTypesOf(t, e, pm.ID); strings.Join(got, ",") != "payment_method.attached,payment_method.detached" {
		t.Errorf("payment method events %v", got)
	}
	detached := lastEvent(t, e, "payment_method.detached")
	if detached.Data.Object["customer"] != nil || detached.Data.PreviousAttributes != nil {
		t.Errorf("detached event: customer %v, previous %v", detached.Data.Object["customer"], detached.Data.PreviousAttributes)
	}
	cu := lastEvent(t, e, "customer.updated")
	if prev := cu.Data.PreviousAttributes["invoice_settings"].(map[string]any); prev["default_payment_method"] != pm.ID {
		t.Errorf("customer.updated previous %v", cu.Data.PreviousAttributes)
	}
	su := lastEvent(t, e, "customer.subscription.updated")
	if su.Data.PreviousAttributes["default_payment_method"] != pm.ID || su.Data.Object["default_payment_method"] != nil {
		t.Errorf("customer.subscription.updated: %v", su.Data.PreviousAttributes)
	}
}

// lastEvent is the account's newest event of a type.
func lastEvent(t *testing.T, e *testEnv, typ string) *stripe.Event {
	t.Helper()
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String(typ), ListParams: stripe.ListParams{Limit: stripe.Int64(1), Single: true}})
	if !it.Next() {
		t.Fatalf("no %s event: %v", typ, it.Err())
	}
	return it.Event()
}

// TestAttachDeclines: the cards that cannot be attached answer the 402 of
// their decline, with the payment method embedded and no charge, and
// nothing is stored (ref §1.3; design-16 D4); the cards that attach and
// then fail every charge attach.
func TestAttachDeclines(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	for _, tc := range []struct {
		card, code, decline, param, msg string
	}{
		{"pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "", "Your card was declined."},
		{"pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "", "Your card has insufficient funds."},
		{"pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", "", "Your card was declined."},
		{"pm_card_chargeDeclinedExpiredCard", "expired_card", "", "exp_month", "Your card has expired."},
		{"pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "", "cvc", "Your card's security code is incorrect."},
		{"pm_card_chargeDeclinedProcessingError", "processing_error", "", "", "An error occurred while processing your card. Try again in a little bit."},
		{"pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded", "", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."},
	} {
		t.Run(tc.card, func(t *testing.T) {
			_, err := e.sc.PaymentMethods.Attach(tc.card, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
			se := wantErr(t, err, 402, tc.code, tc.param)
			if se.Type != stripe.ErrorTypeCard || string(se.DeclineCode) != tc.decline || se.Msg != tc.msg || se.ChargeID != "" {
				t.Errorf("%s %s %q charge %q", se.Type, se.DeclineCode, se.Msg, se.ChargeID)
			}
			if se.PaymentMethod == nil || !strings.HasPrefix(se.PaymentMethod.ID, "pm_") || se.PaymentMethod.Customer != nil || se.PaymentMethod.Card == nil {
				t.Fatalf("the embedded payment method: %+v", se.PaymentMethod)
			}
			if _, err := e.sc.PaymentMethods.Get(se.PaymentMethod.ID, nil); err == nil {
				t.Errorf("the declined clone %s was stored", se.PaymentMethod.ID)
			}
		})
	}
	if n := listAll(t, e, "/v1/payment_methods"); n != 0 {
		t.Errorf("%d payment methods stored by declined attaches", n)
	}
	if got := eventTypesOf(t, e, cus); strings.Join(got, ",") != "customer.created" {
		t.Errorf("events of the customer: %v", got)
	}
	for _, card := range []string{"pm_card_chargeCustomerFail", "pm_card_radarBlock", "pm_card_authenticationRequired"} {
		if pm := attachCard(t, e.sc, card, cus); pm.Customer == nil || pm.Customer.ID != cus {
			t.Errorf("%s: not attached", card)
		}
	}
}

// TestCardErrorEnvelope: the 402 of a declined attach, as Stripe sends it
// (ref §6.1): keys in alphabetical order, decline_code for card_declined,
// the payment method embedded in full, Stripe-Should-Retry: false.
func TestCardErrorEnvelope(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	r := e.do("POST", "/v1/payment_methods/pm_card_visa_chargeDeclined/attach", "customer="+cus)
	if r.status != 402 || r.header.Get("Stripe-Should-Retry") != "false" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	inner := string(r.body)
	var keys []string
	for _, k := range []string{`"code":`, `"decline_code":`, `"doc_url":`, `"message":`, `"payment_method":{`, `"request_log_url":`, `"type":"card_error"`} {
		i := strings.Index(inner, k)
		if i < 0 {
			t.Fatalf("no %s in %s", k, inner)
		}
		keys = append(keys, k)
		inner = inner[i:]
	}
	for _, absent := range []string{`"charge"`, `"param"`, `"payment_intent"`, `"setup_intent"`} {
		if strings.Contains(strings.SplitN(string(r.body), `"payment_method":{`, 2)[0], absent) {
			t.Errorf("%s in %s", absent, r.body)
		}
	}
	errObj := r.json["error"].(map[string]any)
	if errObj["doc_url"] != "https://stripe.com/docs/error-codes/card-declined" || errObj["decline_code"] != "generic_decline" {
		t.Errorf("error %v", errObj)
	}
	pm := errObj["payment_method"].(map[string]any)
	if pm["object"] != "payment_method" || pm["customer"] != nil {
		t.Errorf("embedded %v", pm)
	}
	// expired_card: a param, no decline_code.
	r = e.do("POST", "/v1/payment_methods/pm_card_chargeDeclinedExpiredCard/attach", "customer="+cus)
	if r.errField("param") != "exp_month" || r.errField("decline_code") != "" || r.errField("code") != "expired_card" {
		t.Errorf("expired: %s", r.body)
	}
}

// TestPaymentMethodUpdate: only an attached payment method is updated: its
// billing details, metadata, allow_redisplay and expiry
// (payment_method.updated, with what changed).
func TestPaymentMethodUpdate(t *testing.T) {
	e := newEnv(t)
	loose, err := e.sc.PaymentMethods.New(cardParams("4242424242424242", 8, 2030, ""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.sc.PaymentMethods.Update(loose.ID, &stripe.PaymentMethodParams{Metadata: map[string]string{"k": "v"}})
	if se := wantErr(t, err, 400, "", ""); se.Msg != "You must save this PaymentMethod to a customer before you can update it." {
		t.Errorf("message %q", se.Msg)
	}
	cus := newCustomer(t, e.sc)
	pm := attachCard(t, e.sc, "pm_card_visa", cus)
	up, err := e.sc.PaymentMethods.Update(pm.ID, &stripe.PaymentMethodParams{
		BillingDetails: &stripe.PaymentMethodBillingDetailsParams{Name: stripe.String("Jenny"), Email: stripe.String("j@example.com"),
			Address: &stripe.AddressParams{City: stripe.String("Paris"), PostalCode: stripe.String("75001")}},
		Card:           &stripe.PaymentMethodCardParams{ExpMonth: stripe.Int64(4), ExpYear: stripe.Int64(2031)},
		AllowRedisplay: stripe.String("always"), Metadata: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if up.BillingDetails.Name != "Jenny" || up.BillingDetails.Address.City != "Paris" || up.Card.ExpMonth != 4 || up.Card.ExpYear != 2031 ||
		up.AllowRedisplay != "always" || up.Metadata["k"] != "v" || up.Card.Checks.AddressPostalCodeCheck != "pass" {
		t.Errorf("updated: %+v %+v %+v", up.BillingDetails, up.Card, up.Card.Checks)
	}
	ev := lastEvent(t, e, "payment_method.updated")
	prev := ev.Data.PreviousAttributes
	if ev.Data.Object["id"] != pm.ID || prev["allow_redisplay"] != "unspecified" || prev["metadata"] == nil {
		t.Errorf("payment_method.updated previous %v", prev)
	}
	_, err = e.sc.PaymentMethods.Update(pm.ID, &stripe.PaymentMethodParams{Card: &stripe.PaymentMethodCardParams{ExpMonth: stripe.Int64(13)}})
	wantErr(t, err, 402, "invalid_expiry_month", "exp_month")
	// Clearing the billing details.
	r := e.do("POST", "/v1/payment_methods/"+pm.ID, "billing_details[address]=&billing_details[name]=&billing_details[email]=")
	if bd := r.json["billing_details"].(map[string]any); r.status != 200 || bd["name"] != nil || bd["address"].(map[string]any)["city"] != nil {
		t.Errorf("cleared: %d %s", r.status, r.body)
	}
	if got := eventTypesOf(t, e, pm.ID); strings.Join(got, ",") != "payment_method.attached,payment_method.updated,payment_method.updated" {
		t.Errorf("events %v", got)
	}
}

// TestPaymentMethodLists: a customer's payment methods newest first, by type
// and allow_redisplay, paged; GET /v1/payment_methods by customer, or every
// one without it [I]; another customer's method is not theirs.
func TestPaymentMethodLists(t *testing.T) {
	e := newEnv(t)
	cus, other := newCustomer(t, e.sc), newCustomer(t, e.sc)
	a := attachCard(t, e.sc, "pm_card_visa", cus)
	b := attachCard(t, e.sc, "pm_card_mastercard", cus)
	c := attachCard(t, e.sc, "pm_card_amex", cus)
	if _, err := e.sc.PaymentMethods.Update(b.ID, &stripe.PaymentMethodParams{AllowRedisplay: stripe.String("always")}); err != nil {
		t.Fatal(err)
	}
	theirs := attachCard(t, e.sc, "pm_card_visa", other)
	if _, err := e.sc.PaymentMethods.New(cardParams("4242424242424242", 1, 2030, "")); err != nil {
		t.Fatal(err)
	}
	ids := func(it *stripe.Iter, get func() *stripe.PaymentMethod) string {
		var out []string
		for it.Next() {
			out = append(out, get().ID)
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name   string
		params *stripe.CustomerListPaymentMethodsParams
		want   []string
	}{
		{"newest first", &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus)}, []string{c.ID, b.ID, a.ID}},
		{"paged", &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus), ListParams: stripe.ListParams{Limit: stripe.Int64(1)}}, []string{c.ID, b.ID, a.ID}},
		{"type card", &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus), Type: stripe.String("card")}, []string{c.ID, b.ID, a.ID}},
		{"another type", &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus), Type: stripe.String("sepa_debit")}, nil},
		{"allow_redisplay", &stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(cus), AllowRedisplay: stripe.String("always")}, []string{b.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := e.sc.Customers.ListPaymentMethods(tc.params)
			if got := ids(it.Iter, it.PaymentMethod); got != strings.Join(tc.want, ",") {
				t.Errorf("got %s, want %v", got, tc.want)
			}
		})
	}
	it := e.sc.PaymentMethods.List(&stripe.PaymentMethodListParams{Customer: stripe.String(other)})
	if got := ids(it.Iter, it.PaymentMethod); got != theirs.ID {
		t.Errorf("by customer: %s", got)
	}
	if n := listAll(t, e, "/v1/payment_methods"); n != 5 {
		t.Errorf("every payment method: %d, want 5", n)
	}
	got, err := e.sc.Customers.RetrievePaymentMethod(a.ID, &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(cus)})
	if err != nil || got.ID != a.ID {
		t.Errorf("the customer's: %v", err)
	}
	_, err = e.sc.Customers.RetrievePaymentMethod(theirs.ID, &stripe.CustomerRetrievePaymentMethodParams{Customer: stripe.String(cus)})
	wantErr(t, err, 404, "resource_missing", "id")
	if r := e.do("GET", "/v1/customers/"+cus+"/payment_methods", ""); r.json["url"] != "/v1/customers/"+cus+"/payment_methods" {
		t.Errorf("url %v", r.json["url"])
	}
	if r := e.do("GET", "/v1/customers/cus_nope/payment_methods", ""); r.status != 404 {
		t.Errorf("a missing customer's: %d", r.status)
	}
}

// TestCustomerPaymentMethodParams: payment_method on customer create
// attaches (a magic id: its clone, which the same id as
// invoice_settings[default_payment_method] names), after customer.created;
// a card that cannot be attached leaves no customer; the default must be
// attached to the customer, and cannot be empty; it expands.
func TestCustomerPaymentMethodParams(t *testing.T) {
	e := newEnv(t)
	c, err := e.sc.Customers.New(&stripe.CustomerParams{PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")}})
	if err != nil {
		t.Fatal(err)
	}
	def := c.InvoiceSettings.DefaultPaymentMethod
	if def == nil || !strings.HasPrefix(def.ID, "pm_") || def.ID == "pm_card_visa" {
		t.Fatalf("default %v", def)
	}
	pms := e.sc.Customers.ListPaymentMethods(&stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(c.ID)})
	if !pms.Next() || pms.PaymentMethod().ID != def.ID || pms.Next() {
		t.Errorf("the customer's payment methods: %v", pms.Err())
	}
	created, attached := lastEvent(t, e, "customer.created"), lastEvent(t, e, "payment_method.attached")
	if created.Created > attached.Created || !before(t, e, created.ID, attached.ID) {
		t.Errorf("customer.created after payment_method.attached")
	}
	if is := created.Data.Object["invoice_settings"].(map[string]any); is["default_payment_method"] != def.ID {
		t.Errorf("customer.created shows the default %v", is["default_payment_method"])
	}

	// Without a default, the payment method is attached only.
	c2, err := e.sc.Customers.New(&stripe.CustomerParams{PaymentMethod: stripe.String("pm_card_mastercard")})
	if err != nil || c2.InvoiceSettings.DefaultPaymentMethod != nil {
		t.Fatalf("attached only: %v %v", c2.InvoiceSettings.DefaultPaymentMethod, err)
	}
	mc := e.sc.Customers.ListPaymentMethods(&stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(c2.ID)})
	if !mc.Next() || mc.PaymentMethod().Card.Brand != "mastercard" {
		t.Fatalf("no mastercard attached: %v", mc.Err())
	}
	up, err := e.sc.Customers.Update(c2.ID, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(mc.PaymentMethod().ID)}})
	if err != nil || up.InvoiceSettings.DefaultPaymentMethod.ID != mc.PaymentMethod().ID {
		t.Fatalf("update: %v", err)
	}
	p := &stripe.CustomerParams{}
	p.AddExpand("invoice_settings.default_payment_method")
	got, err := e.sc.Customers.Get(c2.ID, p)
	if err != nil || got.InvoiceSettings.DefaultPaymentMethod.Card == nil || got.InvoiceSettings.DefaultPaymentMethod.Card.Brand != "mastercard" {
		t.Errorf("expanded: %+v %v", got.InvoiceSettings.DefaultPaymentMethod, err)
	}
	// Another customer's payment method is not theirs.
	_, err = e.sc.Customers.Update(c2.ID, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(def.ID)}})
	wantErr(t, err, 400, "resource_missing", "invoice_settings[default_payment_method]")
	if r := e.do("POST", "/v1/customers/"+c2.ID, "invoice_settings[default_payment_method]="); r.status != 400 ||
		r.errField("code") != "parameter_invalid_empty" || r.errField("param") != "invoice_settings[default_payment_method]" {
		t.Errorf("an empty default: %d %s", r.status, r.body)
	}

	// A card that cannot be attached: 402, no customer.
	n := listAll(t, e, "/v1/customers")
	_, err = e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("Declined"), PaymentMethod: stripe.String("pm_card_visa_chargeDeclined")})
	if se := wantErr(t, err, 402, "card_declined", ""); se.PaymentMethod == nil || se.DeclineCode != "generic_decline" {
		t.Errorf("embedded %+v", se.PaymentMethod)
	}
	if after := listAll(t, e, "/v1/customers"); after != n {
		t.Errorf("a customer was stored: %d, then %d", n, after)
	}
}

// before reports whether event a was published before event b (the list is
// newest first).
func before(t *testing.T, e *testEnv, a, b string) bool {
	t.Helper()
	it := e.sc.Events.List(&stripe.EventListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(100)}})
	for it.Next() {
		switch it.Event().ID {
		case b:
			return true
		case a:
			return false
		}
	}
	t.Fatalf("neither %s nor %s listed: %v", a, b, it.Err())
	return false
}

// TestSubscriptionDefaultPaymentMethod: default_payment_method on create and
// update must be attached to the customer; it is rendered and expands.
func TestSubscriptionDefaultPaymentMethod(t *testing.T) {
	e := newEnv(t)
	cus, other := newCustomer(t, e.sc), newCustomer(t, e.sc)
	pm := attachCard(t, e.sc, "pm_card_visa", cus)
	theirs := attachCard(t, e.sc, "pm_card_visa", other)
	price := licensedPrice(t, e.sc, 1000, "month")
	for _, bad := range []string{theirs.ID, "pm_card_visa", "pm_nope"} {
		_, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), DefaultPaymentMethod: stripe.String(bad),
			Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
		if se := wantErr(t, err, 400, "resource_missing", "default_payment_method"); !strings.Contains(se.Msg, "The customer does not have a payment method with the ID "+bad) {
			t.Errorf("%s: %q", bad, se.Msg)
		}
	}
	if n := listAll(t, e, "/v1/subscriptions?customer="+cus); n != 0 {
		t.Errorf("refused creates stored %d subscriptions", n)
	}
	p := &stripe.SubscriptionParams{Customer: stripe.String(cus), DefaultPaymentMethod: stripe.String(pm.ID),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}}
	p.AddExpand("default_payment_method")
	sub, err := e.sc.Subscriptions.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if sub.DefaultPaymentMethod == nil || sub.DefaultPaymentMethod.ID != pm.ID || sub.DefaultPaymentMethod.Card == nil {
		t.Fatalf("default %+v", sub.DefaultPaymentMethod)
	}
	_, err = e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{DefaultPaymentMethod: stripe.String(theirs.ID)})
	wantErr(t, err, 400, "resource_missing", "default_payment_method")
	if r := e.do("POST", "/v1/subscriptions/"+sub.ID, "default_payment_method="); r.status != 400 || r.errField("code") != "parameter_invalid_empty" {
		t.Errorf("an empty default: %d %s", r.status, r.body)
	}
	other2 := attachCard(t, e.sc, "pm_card_mastercard", cus)
	if s, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{DefaultPaymentMethod: stripe.String(other2.ID)}); err != nil || s.DefaultPaymentMethod.ID != other2.ID {
		t.Errorf("update: %v", err)
	}
}

// TestPaymentEndpointsAtLaterVersions: the payment endpoints check their
// parameters as each version has them (the declared units of
// internal/apiversion/payments.go), and serve what 2024-06-20 has.
func TestPaymentEndpointsAtLaterVersions(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	for _, tc := range []struct {
		version, method, path, body string
		status                      int
		code, param, msg            string
	}{
		{"2025-03-31.basil", "POST", "/v1/payment_methods", "type=card&card[token]=tok_visa", 200, "", "", ""},
		{"2026-08-26.dahlia", "POST", "/v1/payment_methods", "type=card&card[token]=tok_visa", 200, "", "", ""},
		{"2026-10-28.endive", "POST", "/v1/payment_methods", "type=card&card[token]=tok_visa", 200, "", "", ""},
		// A type a later version adds: valid there, not served.
		{"2025-03-31.basil", "POST", "/v1/payment_methods", "type=kr_card", 400, "", "type", "does not support"},
		{"2024-06-20", "POST", "/v1/payment_methods", "type=kr_card", 400, "", "type", "Invalid type"},
		{"2025-03-31.basil", "POST", "/v1/payment_methods", "type=card&card[token]=tok_visa&billing_details[tax_id]=x", 400, "", "billing_details[tax_id]", "does not support"},
		{"2024-06-20", "POST", "/v1/payment_methods", "type=card&card[token]=tok_visa&billing_details[tax_id]=x", 400, "parameter_unknown", "billing_details[tax_id]", ""},
		// 2025-12-15: customer is optional on attach (customer_account is the
		// other way), which the emulator does not model.
		{"2025-12-15.clover", "POST", "/v1/payment_methods/pm_card_visa/attach", "", 400, "parameter_missing", "customer", ""},
		{"2025-12-15.clover", "POST", "/v1/payment_methods/pm_card_visa/attach", "customer_account=acct_1", 400, "", "customer_account", "does not support"},
		{"2025-12-15.clover", "POST", "/v1/payment_methods/pm_card_visa/attach", "customer=" + cus, 200, "", "", ""},
		{"2025-11-17.clover", "GET", "/v1/customers/" + cus + "/balance_transactions?created[gte]=0", "", 400, "", "created", "does not support"},
		{"2025-09-30.clover", "GET", "/v1/customers/" + cus + "/balance_transactions?created[gte]=0", "", 400, "parameter_unknown", "created", ""},
		// endive: payment_method_types is no parameter of setup intents.
		{"2026-09-30.endive", "POST", "/v1/setup_intents", "payment_method_types[]=card", 400, "parameter_unknown", "payment_method_types", ""},
		{"2026-08-26.dahlia", "POST", "/v1/setup_intents", "payment_method_types[]=card", 200, "", "", ""},
	} {
		t.Run(tc.version+" "+tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, at(tc.version)...)
			if r.status != tc.status || r.errField("code") != tc.code || r.errField("param") != tc.param || !strings.Contains(r.errField("message"), tc.msg) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

// TestCardErrorEnvelopes: the 402 of each way a card is declined, as ref
// §6.1 shows Stripe's: the error's keys in alphabetical order, the objects
// Stripe embeds there in full (the PaymentIntent and PaymentMethod of a
// payment, with the failed charge's id; the SetupIntent and PaymentMethod
// of a setup; the PaymentMethod alone for an attach), param only for the
// errors about one field, decline_code only for card_declined, and
// Stripe-Should-Retry: false.
func TestCardErrorEnvelopes(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	failing := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	sub := subscribe(t, e.sc, failing.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
	for _, tc := range []struct {
		name, path, body string
		keys             []string // the error's keys, in order
		code, decline    string
		param            string
	}{
		{name: "PaymentIntent confirm, generic decline", path: "/v1/payment_intents",
			body: "amount=1000&currency=usd&confirm=true&customer=" + cus + "&payment_method=pm_card_visa_chargeDeclined",
			keys: []string{"charge", "code", "decline_code", "doc_url", "message", "payment_intent", "payment_method", "request_log_url", "type"},
			code: "card_declined", decline: "generic_decline"},
		{name: "PaymentIntent confirm, incorrect CVC", path: "/v1/payment_intents",
			body: "amount=1000&currency=usd&confirm=true&payment_method=pm_card_chargeDeclinedIncorrectCvc",
			keys: []string{"charge", "code", "doc_url", "message", "param", "payment_intent", "payment_method", "request_log_url", "type"},
			code: "incorrect_cvc", param: "cvc"},
		{name: "PaymentIntent confirm, processing error", path: "/v1/payment_intents",
			body: "amount=1000&currency=usd&confirm=true&payment_method=pm_card_chargeDeclinedProcessingError",
			keys: []string{"charge", "code", "doc_url", "message", "payment_intent", "payment_method", "request_log_url", "type"},
			code: "processing_error"},
		{name: "SetupIntent confirm, expired card", path: "/v1/setup_intents",
			body: "confirm=true&customer=" + cus + "&payment_method=pm_card_chargeDeclinedExpiredCard",
			keys: []string{"code", "doc_url", "message", "param", "payment_method", "request_log_url", "setup_intent", "type"},
			code: "expired_card", param: "exp_month"},
		{name: "attach, insufficient funds", path: "/v1/payment_methods/pm_card_visa_chargeDeclinedInsufficientFunds/attach", body: "customer=" + cus,
			keys: []string{"code", "decline_code", "doc_url", "message", "payment_method", "request_log_url", "type"},
			code: "card_declined", decline: "insufficient_funds"},
		{name: "invoice pay, the default card declines", path: "/v1/invoices/" + sub.LatestInvoice.ID + "/pay",
			keys: []string{"charge", "code", "decline_code", "doc_url", "message", "payment_intent", "payment_method", "request_log_url", "type"},
			code: "card_declined", decline: "generic_decline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body)
			if r.status != 402 || r.header.Get("Stripe-Should-Retry") != "false" {
				t.Fatalf("%d, Stripe-Should-Retry %q: %s", r.status, r.header.Get("Stripe-Should-Retry"), r.body)
			}
			var env struct {
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(r.body, &env); err != nil {
				t.Fatal(err)
			}
			if got := topKeys(t, env.Error); !slices.Equal(got, tc.keys) {
				t.Errorf("keys %v, want %v", got, tc.keys)
			}
			if r.errField("type") != "card_error" || r.errField("code") != tc.code || r.errField("decline_code") != tc.decline || r.errField("param") != tc.param {
				t.Errorf("type %q code %q decline_code %q param %q", r.errField("type"), r.errField("code"), r.errField("decline_code"), r.errField("param"))
			}
			errObj := r.json["error"].(map[string]any)
			for k, object := range map[string]string{"payment_intent": "payment_intent", "payment_method": "payment_method", "setup_intent": "setup_intent"} {
				if emb, ok := errObj[k]; ok {
					if m, _ := emb.(map[string]any); m["object"] != object {
						t.Errorf("%s embeds %v", k, emb)
					}
				}
			}
			if ch, ok := errObj["charge"].(string); ok && !strings.HasPrefix(ch, "ch_") {
				t.Errorf("charge %q", ch)
			}
		})
	}
}

// topKeys are the keys of a JSON object, in their order.
func topKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
