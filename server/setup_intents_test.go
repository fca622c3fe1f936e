package server

import (
	"regexp"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

var setupSecret = regexp.MustCompile(`^seti_[0-9A-Za-z]{24}_secret_[0-9A-Za-z]{32}$`)

// TestSetupIntentLifecycle: created without a payment method
// (requires_payment_method), given one (requires_confirmation), confirmed:
// succeeded, and the payment method attached to the intent's customer and
// verified; events setup_intent.created, setup_intent.succeeded,
// payment_method.attached. The client secret checks on retrieve.
func TestSetupIntentLifecycle(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	si, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), Description: stripe.String("Save a card"),
		Metadata: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if si.Status != stripe.SetupIntentStatusRequiresPaymentMethod || si.Usage != "off_session" || !setupSecret.MatchString(si.ClientSecret) ||
		si.Customer.ID != cus || si.PaymentMethod != nil || si.NextAction != nil || si.LastSetupError != nil || len(si.PaymentMethodTypes) != 1 ||
		si.PaymentMethodOptions.Card.RequestThreeDSecure != "automatic" || si.Metadata["k"] != "v" || si.Description != "Save a card" {
		t.Fatalf("created: %+v", si)
	}
	r := e.do("GET", "/v1/setup_intents/"+si.ID, "")
	checkShape(t, "setup_intent", r.body)
	up, err := e.sc.SetupIntents.Update(si.ID, &stripe.SetupIntentParams{PaymentMethod: stripe.String("pm_card_visa")})
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != stripe.SetupIntentStatusRequiresConfirmation || up.PaymentMethod == nil || up.PaymentMethod.ID == "pm_card_visa" {
		t.Fatalf("updated: %s %v", up.Status, up.PaymentMethod)
	}
	done, err := e.sc.SetupIntents.Confirm(si.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != stripe.SetupIntentStatusSucceeded || done.PaymentMethod.ID != up.PaymentMethod.ID {
		t.Fatalf("confirmed: %s %v", done.Status, done.PaymentMethod)
	}
	pm, err := e.sc.PaymentMethods.Get(done.PaymentMethod.ID, nil)
	if err != nil || pm.Customer == nil || pm.Customer.ID != cus || pm.Card.Checks.CVCCheck != "pass" {
		t.Errorf("the payment method after setup: %+v %v", pm, err)
	}
	if got := eventTypesOf(t, e, si.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.succeeded" {
		t.Errorf("setup intent events %v", got)
	}
	if !before(t, e, lastEvent(t, e, "setup_intent.succeeded").ID, lastEvent(t, e, "payment_method.attached").ID) {
		t.Errorf("payment_method.attached before setup_intent.succeeded")
	}
	// The client secret, when given, must be the intent's.
	if _, err := e.sc.SetupIntents.Get(si.ID, &stripe.SetupIntentParams{ClientSecret: stripe.String(si.ClientSecret)}); err != nil {
		t.Errorf("with its client secret: %v", err)
	}
	_, err = e.sc.SetupIntents.Get(si.ID, &stripe.SetupIntentParams{ClientSecret: stripe.String("seti_x_secret_y")})
	wantErr(t, err, 400, "", "client_secret")
	// A succeeded intent is done.
	_, err = e.sc.SetupIntents.Confirm(si.ID, nil)
	if se := wantErr(t, err, 400, "setup_intent_unexpected_state", ""); se.Msg != "You cannot confirm this SetupIntent because it has a status of succeeded." {
		t.Errorf("message %q", se.Msg)
	}
	_, err = e.sc.SetupIntents.Update(si.ID, &stripe.SetupIntentParams{Description: stripe.String("again")})
	wantErr(t, err, 400, "setup_intent_unexpected_state", "")
	_, err = e.sc.SetupIntents.Cancel(si.ID, nil)
	wantErr(t, err, 400, "setup_intent_unexpected_state", "")
	_, err = e.sc.SetupIntents.Get("seti_nope", nil)
	if se := wantErr(t, err, 404, "resource_missing", "id"); se.Msg != "No such setupintent: 'seti_nope'" {
		t.Errorf("message %q", se.Msg)
	}
}

// TestSetupIntentCreateAndConfirm: confirm=true confirms at create, as a
// moment after the creation: setup_intent.created shows the intent before
// the confirm, then setup_intent.succeeded and payment_method.attached. A
// setup without a customer attaches nothing.
func TestSetupIntentCreateAndConfirm(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	si, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), PaymentMethod: stripe.String("pm_card_mastercard"),
		Confirm: stripe.Bool(true), Usage: stripe.String("on_session")})
	if err != nil {
		t.Fatal(err)
	}
	if si.Status != stripe.SetupIntentStatusSucceeded || si.Usage != "on_session" {
		t.Fatalf("%s %s", si.Status, si.Usage)
	}
	if got := eventTypesOf(t, e, si.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.succeeded" {
		t.Errorf("events %v", got)
	}
	if st := lastEvent(t, e, "setup_intent.created").Data.Object["status"]; st != "requires_confirmation" {
		t.Errorf("setup_intent.created shows %v", st)
	}
	if !before(t, e, lastEvent(t, e, "setup_intent.succeeded").ID, lastEvent(t, e, "payment_method.attached").ID) {
		t.Errorf("payment_method.attached first")
	}
	alone, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if pm, err := e.sc.PaymentMethods.Get(alone.PaymentMethod.ID, nil); err != nil || pm.Customer != nil || alone.Status != stripe.SetupIntentStatusSucceeded {
		t.Errorf("without a customer: %s, payment method customer %v, %v", alone.Status, pm.Customer, err)
	}
	// No payment method to confirm with.
	_, err = e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), Confirm: stripe.Bool(true)})
	if se := wantErr(t, err, 400, "setup_intent_unexpected_state", ""); !strings.Contains(se.Msg, "missing a payment method") {
		t.Errorf("message %q", se.Msg)
	}
	// Parameters refused.
	for body, param := range map[string]string{
		"return_url=https%3A%2F%2Fexample.com":                     "return_url",
		"payment_method_types[0]=sepa_debit":                       "payment_method_types[0]",
		"customer=cus_nope":                                        "customer",
		"payment_method=pm_nope":                                   "payment_method",
		"payment_method_data[type]=sepa_debit":                     "payment_method_data",
		"payment_method_options[card][request_three_d_secure]=any": "payment_method_options",
		"payment_method=pm_card_visa&usage=sometime":               "usage",
	} {
		if r := e.do("POST", "/v1/setup_intents", body); r.status != 400 || r.errField("param") != param {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	// A payment method of another customer.
	other := newCustomer(t, e.sc)
	theirs := attachCard(t, e.sc, "pm_card_visa", other)
	_, err = e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), PaymentMethod: stripe.String(theirs.ID), Confirm: stripe.Bool(true)})
	wantErr(t, err, 400, "", "payment_method")
}

// TestSetupIntentCards: what each kind of test card does at a SetupIntent
// confirm (design-16 §2.2): succeeds (the card that fails every charge
// too), declines (402 with the intent and the payment method embedded, the
// failed attempt kept: requires_payment_method, last_setup_error,
// setup_intent.setup_failed), or asks for 3D Secure (requires_action with a
// next_action; setup_intent.requires_action).
func TestSetupIntentCards(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	for _, tc := range []struct {
		card          string
		status        stripe.SetupIntentStatus
		code, decline string
		attached      bool
	}{
		{card: "pm_card_visa", status: stripe.SetupIntentStatusSucceeded, attached: true},
		{card: "pm_card_chargeCustomerFail", status: stripe.SetupIntentStatusSucceeded, attached: true},
		{card: "pm_card_radarBlock", status: stripe.SetupIntentStatusSucceeded, attached: true},
		{card: "pm_card_threeDSecureOptional", status: stripe.SetupIntentStatusSucceeded, attached: true},
		{card: "pm_card_visa_chargeDeclined", status: stripe.SetupIntentStatusRequiresPaymentMethod, code: "card_declined", decline: "generic_decline"},
		{card: "pm_card_chargeDeclinedInsufficientFunds", status: stripe.SetupIntentStatusRequiresPaymentMethod, code: "card_declined", decline: "insufficient_funds"},
		{card: "pm_card_chargeDeclinedExpiredCard", status: stripe.SetupIntentStatusRequiresPaymentMethod, code: "expired_card"},
		{card: "pm_card_threeDSecureRequiredProcessingError", status: stripe.SetupIntentStatusRequiresPaymentMethod, code: "card_declined", decline: "generic_decline"},
		{card: "pm_card_authenticationRequired", status: stripe.SetupIntentStatusRequiresAction},
		{card: "pm_card_authenticationRequiredOnSetup", status: stripe.SetupIntentStatusRequiresAction},
		{card: "pm_card_threeDSecure2Required", status: stripe.SetupIntentStatusRequiresAction},
	} {
		t.Run(tc.card, func(t *testing.T) {
			si, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.sc.SetupIntents.Confirm(si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String(tc.card)})
			var pmID string
			if tc.code != "" {
				se := stripeErr(t, err)
				if se.HTTPStatusCode != 402 || string(se.Code) != tc.code || string(se.DeclineCode) != tc.decline || se.Type != stripe.ErrorTypeCard || se.ChargeID != "" {
					t.Fatalf("%d %s %s %s", se.HTTPStatusCode, se.Code, se.DeclineCode, se.Type)
				}
				if se.SetupIntent == nil || se.SetupIntent.ID != si.ID || se.SetupIntent.Status != tc.status || se.SetupIntent.LastSetupError == nil ||
					string(se.SetupIntent.LastSetupError.Code) != tc.code || se.SetupIntent.PaymentMethod != nil {
					t.Fatalf("embedded intent %+v", se.SetupIntent)
				}
				if se.PaymentMethod == nil || se.SetupIntent.LastSetupError.PaymentMethod == nil || se.SetupIntent.LastSetupError.PaymentMethod.ID != se.PaymentMethod.ID {
					t.Fatalf("embedded payment method %+v", se.PaymentMethod)
				}
				pmID = se.PaymentMethod.ID
				if got, err = e.sc.SetupIntents.Get(si.ID, nil); err != nil {
					t.Fatal(err)
				}
				if got.LastSetupError == nil || string(got.LastSetupError.Code) != tc.code {
					t.Errorf("the failed attempt was not kept: %+v", got.LastSetupError)
				}
				if evs := eventTypesOf(t, e, si.ID); strings.Join(evs, ",") != "setup_intent.created,setup_intent.setup_failed" {
					t.Errorf("events %v", evs)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				pmID = got.PaymentMethod.ID
			}
			if got.Status != tc.status {
				t.Errorf("status %s, want %s", got.Status, tc.status)
			}
			if tc.status == stripe.SetupIntentStatusRequiresAction {
				if na := got.NextAction; na == nil || na.Type != "use_stripe_sdk" || na.UseStripeSDK == nil {
					t.Errorf("next action %+v", na)
				}
				if evs := eventTypesOf(t, e, si.ID); strings.Join(evs, ",") != "setup_intent.created,setup_intent.requires_action" {
					t.Errorf("events %v", evs)
				}
			}
			pm, err := e.sc.PaymentMethods.Get(pmID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (pm.Customer != nil) != tc.attached {
				t.Errorf("attached: %v", pm.Customer)
			}
		})
	}
}

// TestSetupIntentThreeDSecure: a card that asks for 3D Secure leaves the
// intent requires_action, with next_action use_stripe_sdk, or
// redirect_to_url after a confirm with a return_url, both pointing at the
// emulator's page for it; POST /_emulator/intents/{id}/authenticate
// completes it (succeeded, attached) or fails it (requires_payment_method,
// last_setup_error setup_intent_authentication_failure).
func TestSetupIntentThreeDSecure(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	si, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), PaymentMethod: stripe.String("pm_card_authenticationRequired"),
		Confirm: stripe.Bool(true), ReturnURL: stripe.String("https://example.com/back")})
	if err != nil {
		t.Fatal(err)
	}
	na := si.NextAction
	if si.Status != stripe.SetupIntentStatusRequiresAction || na == nil || na.Type != "redirect_to_url" || na.RedirectToURL.ReturnURL != "https://example.com/back" ||
		na.RedirectToURL.URL != e.url+"/_emulator/3ds/"+si.ID {
		t.Fatalf("%s %+v", si.Status, na)
	}
	page := e.do("GET", "/_emulator/3ds/"+si.ID, "")
	if page.status != 200 || page.json["intent"] != si.ID || page.json["status"] != "requires_action" || !strings.Contains(page.json["complete"].(string), "/_emulator/intents/"+si.ID+"/authenticate") {
		t.Errorf("the challenge page: %d %s", page.status, page.body)
	}
	// Completed.
	r := e.do("POST", "/_emulator/intents/"+si.ID+"/authenticate", "result=complete")
	if r.status != 200 || r.json["status"] != "succeeded" || r.json["next_action"] != nil {
		t.Fatalf("completed: %d %s", r.status, r.body)
	}
	pm, err := e.sc.PaymentMethods.Get(r.json["payment_method"].(string), nil)
	if err != nil || pm.Customer == nil || pm.Customer.ID != cus {
		t.Errorf("not attached after authentication: %v", err)
	}
	if got := eventTypesOf(t, e, si.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.requires_action,setup_intent.succeeded" {
		t.Errorf("events %v", got)
	}
	if r := e.do("POST", "/_emulator/intents/"+si.ID+"/authenticate", "result=complete"); r.status != 400 || r.errField("code") != "setup_intent_unexpected_state" {
		t.Errorf("authenticated twice: %d %s", r.status, r.body)
	}

	// Failed: the intent waits for another payment method.
	si2, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), PaymentMethod: stripe.String("pm_card_threeDSecure2Required"), Confirm: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if na := si2.NextAction; na == nil || na.Type != "use_stripe_sdk" {
		t.Fatalf("next action %+v", na)
	}
	raw := e.do("GET", "/v1/setup_intents/"+si2.ID, "")
	sdk := raw.json["next_action"].(map[string]any)["use_stripe_sdk"].(map[string]any)
	if sdk["type"] != "three_d_secure_redirect" || sdk["stripe_js"] != e.url+"/_emulator/3ds/"+si2.ID || !strings.HasPrefix(sdk["source"].(string), "src_") {
		t.Errorf("use_stripe_sdk %v", sdk)
	}
	checkShape(t, "setup_intent", raw.body)
	r = e.do("POST", "/_emulator/intents/"+si2.ID+"/authenticate", "result=fail")
	lse, _ := r.json["last_setup_error"].(map[string]any)
	if r.status != 200 || r.json["status"] != "requires_payment_method" || r.json["payment_method"] != nil || lse == nil ||
		lse["code"] != "setup_intent_authentication_failure" || lse["type"] != "invalid_request_error" || lse["payment_method"] == nil {
		t.Fatalf("failed: %d %s", r.status, r.body)
	}
	checkShape(t, "setup_intent", r.body)
	if got := eventTypesOf(t, e, si2.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.requires_action,setup_intent.setup_failed" {
		t.Errorf("events %v", got)
	}
	// Then a working card.
	done, err := e.sc.SetupIntents.Confirm(si2.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
	if err != nil || done.Status != stripe.SetupIntentStatusSucceeded || done.LastSetupError != nil {
		t.Errorf("confirmed again: %v %+v", err, done)
	}
	for body, want := range map[string]int{"result=maybe": 400, "": 400} {
		if r := e.do("POST", "/_emulator/intents/"+si2.ID+"/authenticate", body); r.status != want {
			t.Errorf("%q: %d %s", body, r.status, r.body)
		}
	}
	if r := e.do("POST", "/_emulator/intents/pi_123/authenticate", "result=complete"); r.status != 404 {
		t.Errorf("another intent: %d %s", r.status, r.body)
	}
}

// TestSetupIntentCancelAndList: cancel (with its reason) only while open;
// the list filters by customer and payment method.
func TestSetupIntentCancelAndList(t *testing.T) {
	e := newEnv(t)
	cus, other := newCustomer(t, e.sc), newCustomer(t, e.sc)
	a, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(other), PaymentMethod: stripe.String("pm_card_visa")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.sc.SetupIntents.Cancel(a.ID, &stripe.SetupIntentCancelParams{CancellationReason: stripe.String("abandoned")})
	if err != nil || c.Status != stripe.SetupIntentStatusCanceled || c.CancellationReason != "abandoned" {
		t.Fatalf("canceled: %v %+v", err, c)
	}
	if got := eventTypesOf(t, e, a.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.canceled" {
		t.Errorf("events %v", got)
	}
	_, err = e.sc.SetupIntents.Confirm(a.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
	wantErr(t, err, 400, "setup_intent_unexpected_state", "")
	if n := listAll(t, e, "/v1/payment_methods"); n != 1 {
		t.Errorf("a confirm of a canceled intent cloned a payment method: %d", n)
	}
	it := e.sc.SetupIntents.List(&stripe.SetupIntentListParams{Customer: stripe.String(other)})
	if !it.Next() || it.SetupIntent().ID != b.ID || it.Next() {
		t.Errorf("by customer: %v", it.Err())
	}
	it = e.sc.SetupIntents.List(&stripe.SetupIntentListParams{PaymentMethod: stripe.String(b.PaymentMethod.ID)})
	if !it.Next() || it.SetupIntent().ID != b.ID || it.Next() {
		t.Errorf("by payment method: %v", it.Err())
	}
	if n := listAll(t, e, "/v1/setup_intents"); n != 2 {
		t.Errorf("every setup intent: %d", n)
	}
}

// TestDeclinedSetupIsIdempotent: a declined confirm retried with its
// Idempotency-Key replays the same 402, without a second attempt.
func TestDeclinedSetupIsIdempotent(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	si, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	first := e.do("POST", "/v1/setup_intents/"+si.ID+"/confirm", "payment_method=pm_card_visa_chargeDeclined", "Idempotency-Key", "decline-1")
	again := e.do("POST", "/v1/setup_intents/"+si.ID+"/confirm", "payment_method=pm_card_visa_chargeDeclined", "Idempotency-Key", "decline-1")
	if first.status != 402 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("%d %s\nthen %d %v %s", first.status, first.body, again.status, again.header, again.body)
	}
	if got := eventTypesOf(t, e, si.ID); strings.Join(got, ",") != "setup_intent.created,setup_intent.setup_failed" {
		t.Errorf("events %v", got)
	}
	if n := listAll(t, e, "/v1/payment_methods"); n != 1 {
		t.Errorf("%d payment methods: the replay cloned again", n)
	}
}

// TestPaymentObjectsSurviveAState: payment methods, setup intents (a failed
// attempt, one waiting for 3D Secure) and balance transactions are saved in
// a state file and answer the same once loaded.
func TestPaymentObjectsSurviveAState(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	pm := attachCard(t, e.sc, "pm_card_visa", cus)
	failed, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.SetupIntents.Confirm(failed.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa_chargeDeclined")}); err == nil {
		t.Fatal("the declining card was set up")
	}
	waiting, err := e.sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(cus), PaymentMethod: stripe.String("pm_card_authenticationRequired"), Confirm: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := e.sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(cus), Amount: stripe.Int64(-100), Currency: stripe.String("usd")})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/v1/payment_methods/" + pm.ID, "/v1/setup_intents/" + failed.ID, "/v1/setup_intents/" + waiting.ID,
		"/v1/customers/" + cus + "/balance_transactions/" + txn.ID, "/v1/customers/" + cus}
	e2 := loadedEnv(t, e, saveBytes(t, e.srv))
	for _, p := range paths {
		a, b := e.do("GET", p, ""), e2.do("GET", p, "")
		if a.status != 200 || string(a.body) != string(b.body) {
			t.Errorf("%s:\nsaved  %d %s\nloaded %d %s", p, a.status, a.body, b.status, b.body)
		}
	}
	if r := e2.do("POST", "/_emulator/intents/"+waiting.ID+"/authenticate", "result=complete"); r.status != 200 || r.json["status"] != "succeeded" {
		t.Errorf("authenticated after loading: %d %s", r.status, r.body)
	}
}
