package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// eventTypes are the types of the account's events, oldest first.
func eventTypes(t *testing.T, sc *client.API) []string {
	t.Helper()
	var out []string
	it := sc.Events.List(&stripe.EventListParams{})
	for it.Next() {
		out = append(out, string(it.Event().Type))
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	slices.Reverse(out)
	return out
}

// cardCustomer is a customer created with the magic card as their default
// payment method, as the Stripe CLI's fixtures do.
func cardCustomer(t *testing.T, sc *client.API, magic string) *stripe.Customer {
	t.Helper()
	cu, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("Card"), PaymentMethod: stripe.String(magic),
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(magic)}})
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

// TestStandalonePaymentIntent: a PaymentIntent confirmed with each class of
// card (ref §1, design-16 §2.2): a working card succeeds with a captured
// charge; a decline is the 402 card_error embedding the intent and the
// payment method and naming the failed charge, whose failure_code and
// outcome say why; 3D Secure on-session waits in requires_action, and
// off-session is declined authentication_required.
func TestStandalonePaymentIntent(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	for _, tt := range []struct {
		name, card  string
		offSession  bool
		status      stripe.PaymentIntentStatus
		code, dcode string
		outcome     string // the charge's outcome type ("": no charge)
	}{
		{name: "visa", card: "pm_card_visa", status: "succeeded", outcome: "authorized"},
		{name: "generic decline", card: "pm_card_visa_chargeDeclined", status: "requires_payment_method", code: "card_declined", dcode: "generic_decline", outcome: "issuer_declined"},
		{name: "insufficient funds", card: "pm_card_visa_chargeDeclinedInsufficientFunds", status: "requires_payment_method", code: "card_declined", dcode: "insufficient_funds", outcome: "issuer_declined"},
		{name: "expired", card: "pm_card_chargeDeclinedExpiredCard", status: "requires_payment_method", code: "expired_card", outcome: "issuer_declined"},
		{name: "attaches then declines", card: "pm_card_chargeCustomerFail", status: "requires_payment_method", code: "card_declined", dcode: "generic_decline", outcome: "issuer_declined"},
		{name: "3DS on session", card: "pm_card_authenticationRequired", status: "requires_action"},
		{name: "3DS off session", card: "pm_card_authenticationRequired", offSession: true, status: "requires_payment_method", code: "authentication_required", dcode: "authentication_required", outcome: "issuer_declined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pi, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(2000), Currency: stripe.String("usd"),
				Customer: stripe.String(cus), PaymentMethod: stripe.String(tt.card), Confirm: stripe.Bool(true), OffSession: stripe.Bool(tt.offSession)})
			if tt.code != "" {
				se := wantErr(t, err, 402, tt.code, stripeErrParam(tt.code))
				if string(se.DeclineCode) != tt.dcode || se.PaymentIntent == nil || se.PaymentMethod == nil || se.ChargeID == "" {
					t.Fatalf("decline %q, intent %v, payment method %v, charge %q", se.DeclineCode, se.PaymentIntent, se.PaymentMethod, se.ChargeID)
				}
				pi = se.PaymentIntent
				if pi.LastPaymentError == nil || pi.PaymentMethod != nil || pi.LatestCharge == nil || pi.LatestCharge.ID != se.ChargeID {
					t.Fatalf("the intent after a decline: %+v", pi)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if pi.Status != tt.status {
				t.Fatalf("status %s, want %s", pi.Status, tt.status)
			}
			if tt.outcome == "" {
				if pi.LatestCharge != nil || pi.NextAction == nil || pi.NextAction.Type != "use_stripe_sdk" {
					t.Fatalf("waiting for 3DS: charge %v, next action %+v", pi.LatestCharge, pi.NextAction)
				}
				return
			}
			ch, err := e.sc.Charges.Get(pi.LatestCharge.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ch.Outcome.Type != tt.outcome || ch.PaymentIntent.ID != pi.ID || ch.Amount != 2000 {
				t.Fatalf("charge %+v", ch)
			}
			if tt.code == "" {
				if ch.Status != "succeeded" || !ch.Paid || !ch.Captured || ch.AmountCaptured != 2000 || ch.FailureCode != "" || pi.AmountReceived != 2000 {
					t.Fatalf("a paid charge: %+v, received %d", ch, pi.AmountReceived)
				}
				return
			}
			if ch.Status != "failed" || ch.Paid || ch.Captured || ch.FailureCode != tt.code || ch.FailureMessage == "" {
				t.Fatalf("a failed charge: status %s paid %v failure %q %q", ch.Status, ch.Paid, ch.FailureCode, ch.FailureMessage)
			}
		})
	}
}

// stripeErrParam is the param of a card error (ref §6.1: exp_month for
// expired_card, none for the others here).
func stripeErrParam(code string) string {
	if code == "expired_card" {
		return "exp_month"
	}
	return ""
}

// TestPaymentIntentLifecycle: created without confirming, confirmed later
// (payment_intent.created, charge.succeeded, payment_intent.succeeded);
// manual capture (requires_capture, then captured in part); cancel; 3D
// Secure completed through the emulator's endpoint; the wrong-state
// confirm and cancel refused.
func TestPaymentIntentLifecycle(t *testing.T) {
	e := newEnv(t)
	pi, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd")})
	if err != nil {
		t.Fatal(err)
	}
	if pi.Status != "requires_payment_method" || pi.ClientSecret == "" {
		t.Fatalf("new: %s %q", pi.Status, pi.ClientSecret)
	}
	if pi, err = e.sc.PaymentIntents.Confirm(pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil || pi.Status != "succeeded" {
		t.Fatalf("confirm: %v %v", pi, err)
	}
	if got, want := eventTypes(t, e.sc), []string{"payment_intent.created", "charge.succeeded", "payment_intent.succeeded"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	_, err = e.sc.PaymentIntents.Confirm(pi.ID, nil)
	wantErr(t, err, 400, "payment_intent_unexpected_state", "")
	_, err = e.sc.PaymentIntents.Cancel(pi.ID, nil)
	wantErr(t, err, 400, "payment_intent_unexpected_state", "")

	manual, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(3000), Currency: stripe.String("usd"),
		CaptureMethod: stripe.String("manual"), PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
	if err != nil || manual.Status != "requires_capture" || manual.AmountCapturable != 3000 {
		t.Fatalf("manual: %v %v", manual, err)
	}
	_, err = e.sc.PaymentIntents.Capture(manual.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(3001)})
	wantErr(t, err, 400, "parameter_invalid", "amount_to_capture")
	if manual, err = e.sc.PaymentIntents.Capture(manual.ID, &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(2500)}); err != nil {
		t.Fatal(err)
	}
	ch, err := e.sc.Charges.Get(manual.LatestCharge.ID, nil)
	if err != nil || manual.Status != "succeeded" || manual.AmountReceived != 2500 || !ch.Captured || ch.AmountCaptured != 2500 {
		t.Fatalf("captured: %v %v %v", manual, ch, err)
	}
	if lastEvent(t, e, "charge.captured").Data.Object["id"] != ch.ID {
		t.Errorf("no charge.captured for %s", ch.ID)
	}

	open, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd")})
	if err != nil {
		t.Fatal(err)
	}
	if open, err = e.sc.PaymentIntents.Cancel(open.ID, &stripe.PaymentIntentCancelParams{CancellationReason: stripe.String("abandoned")}); err != nil ||
		open.Status != "canceled" || open.CancellationReason != "abandoned" || open.CanceledAt == 0 {
		t.Fatalf("cancel: %v %v", open, err)
	}

	three, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"),
		PaymentMethod: stripe.String("pm_card_authenticationRequired"), Confirm: stripe.Bool(true)})
	if err != nil || three.Status != "requires_action" {
		t.Fatalf("3DS: %v %v", three, err)
	}
	r := e.do("POST", "/_emulator/intents/"+three.ID+"/authenticate", "result=complete")
	if r.status != 200 || r.json["status"] != "succeeded" || r.json["latest_charge"] == nil {
		t.Fatalf("authenticated: %d %s", r.status, r.body)
	}
}

// TestRefunds: a charge refunded in part, then the rest through its
// PaymentIntent (amount_refunded, refunded, charge.refunded, refund.created);
// more than is left, and a charge refunded already, are 400s.
func TestRefunds(t *testing.T) {
	e := newEnv(t)
	pi, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"),
		PaymentMethod: stripe.String("pm_card_visa"), Confirm: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	ch := pi.LatestCharge.ID
	re, err := e.sc.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch), Amount: stripe.Int64(300)})
	if err != nil || re.Status != "succeeded" || re.Amount != 300 || re.PaymentIntent.ID != pi.ID {
		t.Fatalf("refund: %v %v", re, err)
	}
	_, err = e.sc.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch), Amount: stripe.Int64(701)})
	wantErr(t, err, 400, "parameter_invalid", "amount")
	if _, err = e.sc.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi.ID)}); err != nil {
		t.Fatal(err)
	}
	c, err := e.sc.Charges.Get(ch, nil)
	if err != nil || c.AmountRefunded != 1000 || !c.Refunded {
		t.Fatalf("refunded: %v %v", c, err)
	}
	_, err = e.sc.Refunds.New(&stripe.RefundParams{Charge: stripe.String(ch)})
	wantErr(t, err, 400, "charge_already_refunded", "charge")
	if got := lastEvent(t, e, "charge.refunded").Data.Object["amount_refunded"]; got != float64(1000) {
		t.Errorf("charge.refunded shows %v refunded", got)
	}
	if n := listAll(t, e, "/v1/refunds?charge="+ch); n != 2 {
		t.Errorf("%d refunds listed, want 2", n)
	}
}

// TestSubscriptionFirstInvoiceByCard: flow (a) of ref §3: a working default
// card pays the first invoice through a PaymentIntent and a charge, with
// the events in Stripe's order (after the customer.updated of the
// customer's currency); latest_invoice.payment_intent expands.
func TestSubscriptionFirstInvoiceByCard(t *testing.T) {
	e := newEnv(t)
	cu := cardCustomer(t, e.sc, "pm_card_visa")
	price := licensedPrice(t, e.sc, 1000, "month")
	before := len(eventTypes(t, e.sc))
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cu.ID),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}, Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
	if err != nil {
		t.Fatal(err)
	}
	inv := sub.LatestInvoice
	if sub.Status != "active" || inv.Status != "paid" || inv.AmountPaid != 1000 || inv.AttemptCount != 1 || !inv.Attempted || inv.Charge == nil {
		t.Fatalf("subscription %s, invoice %s paid %d attempts %d", sub.Status, inv.Status, inv.AmountPaid, inv.AttemptCount)
	}
	pi := inv.PaymentIntent
	if pi == nil || pi.Status != "succeeded" || pi.Amount != 1000 || pi.Description != "Subscription creation" || pi.SetupFutureUsage != "off_session" ||
		pi.PaymentMethod.ID != cu.InvoiceSettings.DefaultPaymentMethod.ID {
		t.Fatalf("payment intent %+v", pi)
	}
	want := []string{"customer.updated", "customer.subscription.created", "invoice.created", "invoice.finalized", "payment_intent.created", "charge.succeeded",
		"payment_intent.succeeded", "invoice.updated", "invoice.paid", "invoice.payment_succeeded"}
	if got := eventTypes(t, e.sc)[before:]; !slices.Equal(got, want) {
		t.Errorf("events\n%v, want\n%v", got, want)
	}
}

// TestSubscriptionWithoutACard: flow (b): no payment method, an amount due
// and the default payment_behavior is Stripe's 400, and nothing is stored; a
// card merely attached (no default anywhere) is no payment method (ref
// §2.8); a trial's $0 invoice needs none.
func TestSubscriptionWithoutACard(t *testing.T) {
	e := newEnv(t)
	price := licensedPrice(t, e.sc, 1000, "month")
	cus := newCustomer(t, e.sc)
	attachCard(t, e.sc, "pm_card_visa", cus)
	items := []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}
	for _, b := range []string{"", "allow_incomplete", "error_if_incomplete"} {
		p := &stripe.SubscriptionParams{Customer: stripe.String(cus), Items: items}
		if b != "" {
			p.PaymentBehavior = stripe.String(b)
		}
		_, err := e.sc.Subscriptions.New(p)
		se := wantErr(t, err, 400, "resource_missing", "")
		if se.Msg != "This customer has no attached payment source or default payment method. Please consider adding a default payment method." {
			t.Errorf("%q: %s", b, se.Msg)
		}
	}
	if n := listAll(t, e, "/v1/subscriptions?customer="+cus); n != 0 {
		t.Errorf("%d subscriptions stored by the 400s", n)
	}
	if n := listAll(t, e, "/v1/invoices?customer="+cus); n != 0 {
		t.Errorf("%d invoices stored by the 400s", n)
	}
	if _, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), Items: items, TrialPeriodDays: stripe.Int64(7)}); err != nil {
		t.Errorf("a trial: %v", err)
	}
}

// TestPaymentBehaviorOnCreate: a card that declines leaves the subscription
// incomplete with allow_incomplete (200, the invoice open after one failed
// attempt), is the 402 of its decline with error_if_incomplete (nothing
// stored), and default_incomplete leaves the invoice's PaymentIntent
// unconfirmed, whose confirm with a good card activates the subscription.
func TestPaymentBehaviorOnCreate(t *testing.T) {
	e := newEnv(t)
	price := licensedPrice(t, e.sc, 1000, "month")
	items := []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}
	expand := []*string{stripe.String("latest_invoice.payment_intent")}

	failing := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(failing.ID), Items: items, Expand: expand})
	if err != nil {
		t.Fatal(err)
	}
	inv := sub.LatestInvoice
	if sub.Status != "incomplete" || inv.Status != "open" || inv.AttemptCount != 1 || inv.PaymentIntent.Status != "requires_payment_method" ||
		inv.PaymentIntent.LastPaymentError == nil || inv.PaymentIntent.LastPaymentError.DeclineCode != "generic_decline" {
		t.Fatalf("allow_incomplete: %s, invoice %s attempts %d, intent %+v", sub.Status, inv.Status, inv.AttemptCount, inv.PaymentIntent)
	}
	if ev := lastEvent(t, e, "invoice.payment_failed"); ev.Data.Object["id"] != inv.ID {
		t.Errorf("invoice.payment_failed is about %v", ev.Data.Object["id"])
	}
	if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "incomplete" {
		t.Fatalf("stored: %v %v", sub, err)
	}

	declining := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	_, err = e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(declining.ID), Items: items,
		PaymentBehavior: stripe.String("error_if_incomplete")})
	if se := wantErr(t, err, 402, "card_declined", ""); se.DeclineCode != "generic_decline" {
		t.Errorf("decline code %q", se.DeclineCode)
	}
	if n := listAll(t, e, "/v1/subscriptions?customer="+declining.ID); n != 0 {
		t.Errorf("error_if_incomplete stored %d subscriptions", n)
	}

	waiting := newCustomer(t, e.sc)
	sub, err = e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(waiting), Items: items,
		PaymentBehavior: stripe.String("default_incomplete"), Expand: expand})
	if err != nil {
		t.Fatal(err)
	}
	pi := sub.LatestInvoice.PaymentIntent
	if sub.Status != "incomplete" || sub.LatestInvoice.Status != "open" || sub.LatestInvoice.AttemptCount != 0 || pi.Status != "requires_payment_method" || pi.ClientSecret == "" {
		t.Fatalf("default_incomplete: %s, invoice %s, intent %s %q", sub.Status, sub.LatestInvoice.Status, pi.Status, pi.ClientSecret)
	}
	if pi, err = e.sc.PaymentIntents.Confirm(pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil || pi.Status != "succeeded" {
		t.Fatalf("confirm: %v %v", pi, err)
	}
	sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice")}})
	if err != nil || sub.Status != "active" || sub.LatestInvoice.Status != "paid" || sub.LatestInvoice.AttemptCount != 1 {
		t.Fatalf("after the confirm: %v %v", sub, err)
	}
}

// TestPayInvoice: pay (ref §3e) on an open invoice whose card declined: a
// declining payment_method is the 402 of its attach (ref §1.3: such cards
// cannot be attached), a 3DS card the 402
// invoice_payment_intent_requires_action, and a good card pays it
// (attached to the customer first) and activates the subscription;
// paid_out_of_band marks another paid without invoice.payment_succeeded.
func TestPayInvoice(t *testing.T) {
	e := newEnv(t)
	price := licensedPrice(t, e.sc, 1000, "month")
	cu := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	sub := subscribe(t, e.sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	invID := sub.LatestInvoice.ID
	_, err := e.sc.Invoices.Pay(invID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa_chargeDeclined")})
	wantErr(t, err, 402, "card_declined", "")
	// The default card declines the charge: the 402 embeds the intent and
	// the card and names the failed charge (ref §6.1); the attempt by hand
	// after the first is not counted (sg79 attempt_count).
	failedBefore := len(eventTypesOf(t, e, invID))
	_, err = e.sc.Invoices.Pay(invID, nil)
	if se := wantErr(t, err, 402, "card_declined", ""); se.DeclineCode != "generic_decline" || se.PaymentIntent == nil ||
		se.PaymentIntent.Status != "requires_payment_method" || se.PaymentMethod == nil || se.PaymentMethod.ID != cu.InvoiceSettings.DefaultPaymentMethod.ID ||
		!strings.HasPrefix(se.ChargeID, "ch_") {
		t.Fatalf("a declined pay: %q, intent %+v, payment method %+v, charge %q", se.DeclineCode, se.PaymentIntent, se.PaymentMethod, se.ChargeID)
	}
	if got := eventTypesOf(t, e, invID)[failedBefore:]; !slices.Contains(got, "invoice.payment_failed") {
		t.Errorf("a declined pay raised %v, no invoice.payment_failed", got)
	}
	if inv, err := e.sc.Invoices.Get(invID, nil); err != nil || inv.Status != "open" || inv.AttemptCount != 1 {
		t.Fatalf("after a declined pay: %v %v", inv, err)
	}
	_, err = e.sc.Invoices.Pay(invID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_authenticationRequired")})
	if se := wantErr(t, err, 402, "invoice_payment_intent_requires_action", ""); se.PaymentIntent == nil || se.PaymentIntent.Status != "requires_action" {
		t.Fatalf("3DS pay: intent %+v", se.PaymentIntent)
	}
	if ev := lastEvent(t, e, "invoice.payment_action_required"); ev.Data.Object["id"] != invID {
		t.Errorf("invoice.payment_action_required is about %v", ev.Data.Object["id"])
	}
	inv, err := e.sc.Invoices.Pay(invID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")})
	if err != nil || inv.Status != "paid" || inv.AmountPaid != 1000 || inv.AttemptCount != 1 {
		t.Fatalf("paid: %v %v", inv, err)
	}
	if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "active" {
		t.Fatalf("subscription after the payment: %v %v", sub, err)
	}
	if n := listAll(t, e, "/v1/charges?customer="+cu.ID); n != 3 {
		t.Errorf("%d charges, want 3 (the two failed attempts of the default card, the paid one: a declining card fails to attach, before any charge)", n)
	}

	// A draft is finalized first, then charged (the Stripe CLI's invoice.paid
	// fixture pays a fresh draft).
	carded := cardCustomer(t, e.sc, "pm_card_visa")
	if r := e.do("POST", "/v1/invoiceitems", "customer="+carded.ID+"&amount=1500&currency=usd"); r.status != 200 {
		t.Fatal(r.body)
	}
	fresh := e.do("POST", "/v1/invoices", "customer="+carded.ID+"&pending_invoice_items_behavior=include")
	freshID, _ := fresh.json["id"].(string)
	if fresh.status != 200 || fresh.json["status"] != "draft" {
		t.Fatalf("draft: %s", fresh.body)
	}
	if inv, err = e.sc.Invoices.Pay(freshID, nil); err != nil || inv.Status != "paid" || inv.AmountPaid != 1500 || inv.Number == "" || inv.PaymentIntent == nil {
		t.Fatalf("a draft paid: %v %v", inv, err)
	}
	// (customer.updated: the customer's next_invoice_sequence moved on)
	want := []string{"invoice.finalized", "customer.updated", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "invoice.updated", "invoice.paid",
		"invoice.payment_succeeded"}
	if types := eventTypes(t, e.sc); !slices.Equal(types[len(types)-len(want):], want) {
		t.Errorf("a draft paid: the last events %v, want %v", types[len(types)-len(want):], want)
	}

	other := newCustomer(t, e.sc)
	ii := e.do("POST", "/v1/invoiceitems", "customer="+other+"&amount=2000&currency=usd")
	draft := e.do("POST", "/v1/invoices", "customer="+other+"&pending_invoice_items_behavior=include")
	if ii.status != 200 || draft.status != 200 {
		t.Fatalf("%s %s", ii.body, draft.body)
	}
	id := draft.json["id"].(string)
	_, err = e.sc.Invoices.Pay(id, nil)
	wantErr(t, err, 400, "resource_missing", "")
	oob, err := e.sc.Invoices.Pay(id, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)})
	if err != nil || oob.Status != "paid" || !oob.PaidOutOfBand || oob.AmountPaid != 0 {
		t.Fatalf("out of band: %v %v", oob, err)
	}
	if lastEvent(t, e, "invoice.paid").Data.Object["id"] != id {
		t.Errorf("no invoice.paid for the draft paid out of band")
	}
	if ev := lastEvent(t, e, "invoice.payment_succeeded"); ev.Data.Object["id"] == id {
		t.Errorf("invoice.payment_succeeded for an invoice paid out of band")
	}
}

// TestRenewalDeclines: a renewal whose card declines leaves the invoice open
// after one attempt (invoice.payment_failed) and the subscription past_due,
// with next_payment_attempt the first Smart Retry (ref §3d; the emulator's
// schedule, design-16 D7: 2, 4, 6, 7, 9, 11, 13, 14 days); the retries run
// as the test clock moves, and after the last the default settings cancel
// the subscription (payment_failed) and stop collecting the invoice. The
// customer is delinquent from the failure (sg79). Paid by hand between
// retries, the invoice has no more attempts and the customer is no longer
// delinquent.
func TestRenewalDeclines(t *testing.T) {
	const day = int64(86400)
	for _, tc := range []struct {
		name  string
		payAt int64 // days after the first failure to pay with a working card (0: never)
	}{{name: "retried until canceled"}, {name: "paid between retries", payAt: 5}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			clock, cu, sub := failingRenewal(t, e)
			var err error
			failed := t0.Unix() + 7*day + 3600 // the trial's end, and the grace hour
			advance(t, e.sc, clock.ID, failed+60)
			sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
			if err != nil {
				t.Fatal(err)
			}
			inv := sub.LatestInvoice
			if sub.Status != "past_due" || inv.Status != "open" || inv.AttemptCount != 1 || inv.PaymentIntent.Status != "requires_payment_method" ||
				inv.PaymentIntent.Description != "Subscription update" || inv.NextPaymentAttempt != failed+2*day {
				t.Fatalf("after the renewal: %s, invoice %s attempts %d next +%ds, intent %+v", sub.Status, inv.Status, inv.AttemptCount,
					inv.NextPaymentAttempt-failed, inv.PaymentIntent)
			}
			if ev := lastEvent(t, e, "invoice.payment_failed"); ev.Data.Object["id"] != inv.ID {
				t.Errorf("invoice.payment_failed is about %v", ev.Data.Object["id"])
			}
			if c, err := e.sc.Customers.Get(cu.ID, nil); err != nil || !c.Delinquent {
				t.Errorf("after the failed renewal the customer is not delinquent: %v %v", c, err)
			}
			if tc.payAt != 0 {
				advance(t, e.sc, clock.ID, failed+tc.payAt*day)
				if inv, err = e.sc.Invoices.Get(inv.ID, nil); err != nil || inv.AttemptCount != 3 || inv.NextPaymentAttempt != failed+6*day {
					t.Fatalf("two retries later: %v %v", inv, err)
				}
				if inv, err = e.sc.Invoices.Pay(inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil ||
					inv.Status != "paid" || inv.AttemptCount != 3 || inv.NextPaymentAttempt != 0 {
					t.Fatalf("paid by hand: %v %v", inv, err)
				}
			}
			advance(t, e.sc, clock.ID, failed+14*day+60)
			inv, err = e.sc.Invoices.Get(inv.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil {
				t.Fatal(err)
			}
			if tc.payAt != 0 {
				if sub.Status != "active" || inv.AttemptCount != 3 {
					t.Errorf("paid: subscription %s, attempts %d", sub.Status, inv.AttemptCount)
				}
				if c, err := e.sc.Customers.Get(cu.ID, nil); err != nil || c.Delinquent {
					t.Errorf("paid: the customer is still delinquent: %v %v", c, err)
				}
				return
			}
			if inv.Status != "open" || inv.AttemptCount != 9 || inv.AutoAdvance || inv.NextPaymentAttempt != 0 {
				t.Errorf("after the last retry: invoice %s, attempts %d, auto_advance %v, next %d", inv.Status, inv.AttemptCount, inv.AutoAdvance, inv.NextPaymentAttempt)
			}
			if sub.Status != "canceled" || sub.CancellationDetails.Reason != "payment_failed" || sub.EndedAt != failed+14*day {
				t.Errorf("after the last retry: subscription %s (%s), ended %d", sub.Status, sub.CancellationDetails.Reason, sub.EndedAt)
			}
			if ev := lastEvent(t, e, "customer.subscription.deleted"); ev.Data.Object["id"] != sub.ID {
				t.Errorf("customer.subscription.deleted is about %v", ev.Data.Object["id"])
			}
			if n := listAll(t, e, "/v1/charges?customer="+cu.ID); n != 9 {
				t.Errorf("%d charges, want 9", n)
			}
		})
	}
}

// TestPendingSetupIntent: a subscription created default_incomplete whose
// first invoice charges nothing (metered, or a trial) is active at once with
// a pending_setup_intent for the customer (ref §3b, design-16 §3.4);
// confirming it with a card clears it and attaches the card. The default
// payment_behavior makes none.
func TestPendingSetupIntent(t *testing.T) {
	e := newEnv(t)
	seat := licensedPrice(t, e.sc, 1000, "month")
	tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
	for _, tc := range []struct {
		name     string
		behavior string
		trial    bool
		metered  bool
		want     stripe.SubscriptionStatus
		pending  bool
	}{
		{name: "a trial, default_incomplete", behavior: "default_incomplete", trial: true, want: "trialing", pending: true},
		{name: "a trial, the default behaviour", trial: true, want: "trialing"},
		{name: "metered, default_incomplete", behavior: "default_incomplete", metered: true, want: "active", pending: true},
		{name: "metered, the default behaviour", metered: true, want: "active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cus := newCustomer(t, e.sc)
			price := seat.ID
			if tc.metered {
				price = tokens.ID
			}
			p := &stripe.SubscriptionParams{Customer: stripe.String(cus), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price)}},
				Expand: []*string{stripe.String("pending_setup_intent")}}
			if tc.trial {
				p.TrialPeriodDays = stripe.Int64(7)
			}
			if tc.behavior != "" {
				p.PaymentBehavior = stripe.String(tc.behavior)
			}
			sub, err := e.sc.Subscriptions.New(p)
			if err != nil {
				t.Fatal(err)
			}
			if sub.Status != tc.want || (sub.PendingSetupIntent != nil) != tc.pending {
				t.Fatalf("status %s, pending setup intent %+v", sub.Status, sub.PendingSetupIntent)
			}
			if !tc.pending {
				return
			}
			si := sub.PendingSetupIntent
			if si.Status != "requires_payment_method" || si.Customer.ID != cus || si.Usage != "off_session" || si.ClientSecret == "" {
				t.Fatalf("pending setup intent %+v", si)
			}
			types := eventTypes(t, e.sc)
			if ev := lastEvent(t, e, "setup_intent.created"); ev.Data.Object["id"] != si.ID ||
				slices.Index(types, "customer.subscription.created") > slices.Index(types, "setup_intent.created") {
				t.Errorf("setup_intent.created is about %v, or comes before customer.subscription.created: %v", ev.Data.Object["id"], types)
			}
			if si, err = e.sc.SetupIntents.Confirm(si.ID, &stripe.SetupIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil || si.Status != "succeeded" {
				t.Fatalf("confirm: %v %v", si, err)
			}
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.PendingSetupIntent != nil {
				t.Fatalf("after the setup: %v %v", sub, err)
			}
			if n := listAll(t, e, "/v1/customers/"+cus+"/payment_methods"); n != 1 {
				t.Errorf("%d payment methods attached, want 1", n)
			}
		})
	}
}

// TestIncompleteExpiresAfter23Hours: a subscription left incomplete (created
// default_incomplete, or whose first payment failed) expires 23 hours after
// its creation unless its first invoice is paid (ref §3b): incomplete_expired,
// the invoice void, its PaymentIntent canceled (void_invoice [I]), and
// customer.subscription.updated, not .deleted [I]. Paid in time, it is
// active and does not expire.
func TestIncompleteExpiresAfter23Hours(t *testing.T) {
	const hour = int64(3600)
	for _, tc := range []struct {
		name, card, behavior string
		pay                  bool
	}{
		{name: "default_incomplete", behavior: "default_incomplete"},
		{name: "a first payment that failed", card: "pm_card_chargeCustomerFail"},
		{name: "paid in time", behavior: "default_incomplete", pay: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
			if err != nil {
				t.Fatal(err)
			}
			cp := &stripe.CustomerParams{TestClock: stripe.String(clock.ID)}
			if tc.card != "" {
				cp.PaymentMethod, cp.InvoiceSettings = stripe.String(tc.card), &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(tc.card)}
			}
			cu, err := e.sc.Customers.New(cp)
			if err != nil {
				t.Fatal(err)
			}
			price := licensedPrice(t, e.sc, 1000, "month")
			p := &stripe.SubscriptionParams{Customer: stripe.String(cu.ID), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}},
				Expand: []*string{stripe.String("latest_invoice.payment_intent")}}
			if tc.behavior != "" {
				p.PaymentBehavior = stripe.String(tc.behavior)
			}
			sub, err := e.sc.Subscriptions.New(p)
			if err != nil || sub.Status != "incomplete" {
				t.Fatalf("created: %v %v", sub, err)
			}
			inv, pi := sub.LatestInvoice, sub.LatestInvoice.PaymentIntent
			if tc.pay {
				if _, err := e.sc.PaymentIntents.Confirm(pi.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil {
					t.Fatal(err)
				}
			}
			want := stripe.SubscriptionStatus("incomplete")
			if tc.pay {
				want = "active"
			}
			advance(t, e.sc, clock.ID, t0.Unix()+23*hour-60)
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != want {
				t.Fatalf("a minute before 23 hours: %v %v", sub, err)
			}
			advance(t, e.sc, clock.ID, t0.Unix()+23*hour+60)
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil {
				t.Fatal(err)
			}
			if tc.pay {
				if sub.Status != "active" {
					t.Errorf("paid in time, the subscription is %s after 23 hours", sub.Status)
				}
				return
			}
			inv, _ = e.sc.Invoices.Get(inv.ID, nil)
			pi, _ = e.sc.PaymentIntents.Get(pi.ID, nil)
			if sub.Status != "incomplete_expired" || inv.Status != "void" || pi.Status != "canceled" || pi.CancellationReason != "void_invoice" {
				t.Fatalf("after 23 hours: subscription %s, invoice %s, intent %s (%s)", sub.Status, inv.Status, pi.Status, pi.CancellationReason)
			}
			types := eventTypes(t, e.sc)
			for _, typ := range []string{"invoice.voided", "payment_intent.canceled", "customer.subscription.updated"} {
				if !slices.Contains(types, typ) {
					t.Errorf("no %s: %v", typ, types)
				}
			}
			if slices.Contains(types, "customer.subscription.deleted") {
				t.Errorf("customer.subscription.deleted for an incomplete subscription that expired: %v", types)
			}
		})
	}
}

// TestAccountBillingSettings: the account's emulator-only dunning settings
// (design-16 §4.3) through /_emulator/account: Stripe's defaults, a custom
// schedule and final actions that a failing renewal then follows, the
// Dashboard's limits as 400s naming the parameter, and a reset restoring the
// defaults.
func TestAccountBillingSettings(t *testing.T) {
	const day = int64(86400)
	e := newEnv(t)
	r := e.do("GET", "/_emulator/account", "")
	if got := fmt.Sprint(r.json["billing"]); got != "map[after_final_failure:map[invoice:leave_open subscription:cancel] retries:map[custom:map[days:[1 3 5]] smart:map[max_retries:8 window_days:14] type:smart]]" {
		t.Fatalf("the defaults: %s", got)
	}
	for _, bad := range []struct{ body, param string }{
		{"billing[retries][smart][max_retries]=9", "billing[retries][smart][max_retries]"},
		{"billing[retries][smart][window_days]=10", "billing[retries][smart][window_days]"},
		{"billing[retries][type]=custom&billing[retries][custom][days][]=2", "billing[retries][custom][days]"},
		{"billing[after_final_failure][subscription]=pause", "billing[after_final_failure][subscription]"},
	} {
		if r := e.do("POST", "/_emulator/account", bad.body); r.status != 400 || r.errField("param") != bad.param {
			t.Errorf("%s: %d %s", bad.body, r.status, r.body)
		}
	}
	r = e.do("POST", "/_emulator/account", "billing[retries][type]=custom&billing[retries][custom][days][]=1&billing[retries][custom][days][]=3"+
		"&billing[after_final_failure][subscription]=leave_past_due")
	if r.status != 200 || fmt.Sprint(r.json["billing"]) != "map[after_final_failure:map[invoice:leave_open subscription:leave_past_due] retries:map[custom:map[days:[1 3]] smart:map[max_retries:8 window_days:14] type:custom]]" {
		t.Fatalf("set: %d %s", r.status, r.body)
	}

	clock, _, sub := failingRenewal(t, e)
	var err error
	failed := t0.Unix() + 7*day + 3600
	advance(t, e.sc, clock.ID, failed+60)
	sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice")}})
	if err != nil || sub.LatestInvoice.NextPaymentAttempt != failed+day {
		t.Fatalf("the first retry: %v %v", sub, err)
	}
	advance(t, e.sc, clock.ID, failed+5*day)
	sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice")}})
	if err != nil || sub.Status != "past_due" || sub.LatestInvoice.AttemptCount != 3 || sub.LatestInvoice.Status != "open" || sub.LatestInvoice.NextPaymentAttempt != 0 {
		t.Fatalf("after the custom schedule: %v %v", sub, err)
	}

	e.do("POST", "/_emulator/reset", "")
	if r := e.do("GET", "/_emulator/account", ""); !strings.Contains(string(r.body), `"type":"smart"`) || !strings.Contains(string(r.body), `"subscription":"cancel"`) {
		t.Errorf("after a reset: %s", r.body)
	}
}

// TestRenewalNeedsAuthentication: a renewal charged to a card that asks for
// 3D Secure every time (ref §3f, btest's card): the PaymentIntent waits in
// requires_action, the invoice stays open with no retry scheduled [I]
// (invoice.payment_action_required, invoice.payment_failed), the
// subscription past_due; the customer completing the challenge pays it.
func TestRenewalNeedsAuthentication(t *testing.T) {
	const day = int64(86400)
	e := newEnv(t)
	clock, _, sub := failingRenewalWith(t, e, "pm_card_authenticationRequired")
	advance(t, e.sc, clock.ID, t0.Unix()+7*day+3660)
	sub, err := e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
	if err != nil {
		t.Fatal(err)
	}
	inv := sub.LatestInvoice
	if sub.Status != "past_due" || inv.Status != "open" || inv.NextPaymentAttempt != 0 || inv.PaymentIntent.Status != "requires_action" || inv.PaymentIntent.NextAction == nil {
		t.Fatalf("after the renewal: %s, invoice %s next %d, intent %+v", sub.Status, inv.Status, inv.NextPaymentAttempt, inv.PaymentIntent)
	}
	for _, typ := range []string{"invoice.payment_action_required", "invoice.payment_failed", "payment_intent.requires_action"} {
		if ev := lastEvent(t, e, typ); ev.Data.Object["id"] != inv.ID && ev.Data.Object["id"] != inv.PaymentIntent.ID {
			t.Errorf("%s is about %v", typ, ev.Data.Object["id"])
		}
	}
	if r := e.do("POST", "/_emulator/intents/"+inv.PaymentIntent.ID+"/authenticate", "result=complete"); r.status != 200 || r.json["status"] != "succeeded" {
		t.Fatalf("authenticated: %d %s", r.status, r.body)
	}
	sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice")}})
	if err != nil || sub.Status != "active" || sub.LatestInvoice.Status != "paid" || sub.LatestInvoice.AmountPaid != 1000 {
		t.Fatalf("after the challenge: %v %v", sub, err)
	}
}

// TestFixturesAccountSettings: a fixtures file's _meta.account.billing sets
// the account's dunning settings before its entries run (the Stripe CLI
// ignores _meta keys it does not know, so the file still runs there); a
// value the Dashboard does not offer refuses the file, naming it.
func TestFixturesAccountSettings(t *testing.T) {
	e := newEnv(t)
	r := e.postFixtures(`{"_meta":{"template_version":0,"account":{"billing":{"retries":{"type":"custom","custom":{"days":[7]}},` +
		`"after_final_failure":{"subscription":"mark_unpaid","invoice":"mark_uncollectible"}}}},"fixtures":[{"name":"c","path":"/v1/customers","method":"post","params":{"name":"F"}}]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	got := e.do("GET", "/_emulator/account", "")
	if b := fmt.Sprint(got.json["billing"]); b != "map[after_final_failure:map[invoice:mark_uncollectible subscription:mark_unpaid] retries:map[custom:map[days:[7]] smart:map[max_retries:8 window_days:14] type:custom]]" {
		t.Errorf("after the file: %s", b)
	}
	bad := e.postFixtures(`{"_meta":{"account":{"billing":{"retries":{"type":"smart","smart":{"max_retries":12}}}}},"fixtures":[]}`)
	if bad.status != 400 || !strings.Contains(bad.errField("message"), "max_retries") {
		t.Errorf("a bad setting: %d %s", bad.status, bad.body)
	}
}

// paidByCard is a $10/month subscription whose first invoice a good card
// paid: its price, the subscription and that invoice.
func paidByCard(t *testing.T, sc *client.API) (*stripe.Price, *stripe.Subscription, *stripe.Invoice) {
	t.Helper()
	cu := cardCustomer(t, sc, "pm_card_visa")
	price := licensedPrice(t, sc, 1000, "month")
	sub := subscribe(t, sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	inv, err := sc.Invoices.Get(sub.LatestInvoice.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return price, sub, inv
}

// TestInvoicePaymentsAtBasil: from 2025-03-31.basil the invoice_payment
// resource links an invoice to the PaymentIntent paying it (ref §0,
// design-16 §4.6): one per PaymentIntent, open until paid (amount_paid,
// paid_at) or canceled by a void; before basil its routes are the 404 of
// any unknown route.
func TestInvoicePaymentsAtBasil(t *testing.T) {
	const basil = "2025-03-31.basil"
	e := newEnv(t)
	price, sub, inv := paidByCard(t, e.sc)
	if r := e.do("GET", "/v1/invoice_payments", ""); r.status != 404 {
		t.Errorf("at 2024-06-20: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/v1/invoice_payments?invoice="+sub.LatestInvoice.ID, "", at(basil)...)
	data, _ := r.json["data"].([]any)
	if r.status != 200 || len(data) != 1 {
		t.Fatalf("at basil: %d %s", r.status, r.body)
	}
	ip := data[0].(map[string]any)
	payment, _ := ip["payment"].(map[string]any)
	transitions, _ := ip["status_transitions"].(map[string]any)
	if ip["status"] != "paid" || ip["amount_paid"] != float64(1000) || ip["amount_requested"] != float64(1000) || ip["is_default"] != true ||
		payment["type"] != "payment_intent" || payment["payment_intent"] != inv.PaymentIntent.ID || transitions["paid_at"] == nil {
		t.Fatalf("the invoice payment: %v", ip)
	}
	if got := e.do("GET", "/v1/invoice_payments/"+ip["id"].(string), "", at(basil)...); got.status != 200 || got.json["id"] != ip["id"] {
		t.Errorf("retrieve: %d %s", got.status, got.body)
	}

	declining := cardCustomer(t, e.sc, "pm_card_chargeCustomerFail")
	failed := subscribe(t, e.sc, declining.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	if _, err := e.sc.Invoices.VoidInvoice(failed.LatestInvoice.ID, nil); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", "/v1/invoice_payments?invoice="+failed.LatestInvoice.ID, "", at(basil)...)
	data, _ = r.json["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["status"] != "canceled" || data[0].(map[string]any)["amount_paid"] != nil {
		t.Errorf("a voided invoice's payment: %s", r.body)
	}
}

// TestInvoicePaymentsIncludable: from 2025-03-31.basil an invoice's
// payments field lists its invoice payments (ref §3 #12: includable, so
// only with expand[]=payments; the list of the basil spec: object, data,
// has_more, url), and expanding deeper reaches the PaymentIntent; before
// basil the field does not exist, so expanding it is a 400.
func TestInvoicePaymentsIncludable(t *testing.T) {
	const basil = "2025-03-31.basil"
	e := newEnv(t)
	_, _, inv := paidByCard(t, e.sc)
	path := "/v1/invoices/" + inv.ID
	for _, tc := range []struct {
		name, query, version string
		status               int
		check                func(t *testing.T, r response)
	}{
		{"not asked for", "", basil, 200, func(t *testing.T, r response) {
			if _, ok := r.json["payments"]; ok {
				t.Errorf("payments without expand: %s", r.body)
			}
		}},
		{"expanded", "?expand[]=payments", basil, 200, func(t *testing.T, r response) {
			ps, _ := r.json["payments"].(map[string]any)
			data, _ := ps["data"].([]any)
			if ps["object"] != "list" || ps["has_more"] != false || ps["url"] != "/v1/invoice_payments?invoice="+inv.ID || len(data) != 1 {
				t.Fatalf("payments: %v", ps)
			}
			if _, ok := ps["total_count"]; ok {
				t.Errorf("a basil list with total_count: %v", ps)
			}
			ip, _ := data[0].(map[string]any)
			payment, _ := ip["payment"].(map[string]any)
			if ip["object"] != "invoice_payment" || ip["invoice"] != inv.ID || ip["status"] != "paid" || ip["amount_paid"] != float64(1000) ||
				payment["payment_intent"] != inv.PaymentIntent.ID {
				t.Errorf("the invoice payment: %v", ip)
			}
			list := e.do("GET", "/v1/invoice_payments?invoice="+inv.ID, "", at(basil)...)
			if listed, _ := list.json["data"].([]any); len(listed) != 1 || listed[0].(map[string]any)["id"] != ip["id"] {
				t.Errorf("the invoice payments list shows another: %s", list.body)
			}
		}},
		{"expanded to the PaymentIntent", "?expand[]=payments.data.payment.payment_intent", basil, 200, func(t *testing.T, r response) {
			ps, _ := r.json["payments"].(map[string]any)
			data, _ := ps["data"].([]any)
			if len(data) != 1 {
				t.Fatalf("payments: %v", ps)
			}
			payment, _ := data[0].(map[string]any)["payment"].(map[string]any)
			pi, _ := payment["payment_intent"].(map[string]any)
			if pi["id"] != inv.PaymentIntent.ID || pi["object"] != "payment_intent" || pi["status"] != "succeeded" {
				t.Errorf("payment.payment_intent: %v", payment)
			}
		}},
		{"before basil", "?expand[]=payments", "2025-02-24.acacia", 400, func(t *testing.T, r response) {
			if r.errField("param") != "expand" {
				t.Errorf("the error: %s", r.body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", path+tc.query, "", at(tc.version)...)
			if r.status != tc.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			tc.check(t, r)
		})
	}
}

// TestPaymentBehaviorOnUpdate: an update that invoices at once
// (always_invoice) for a customer whose card declines: allow_incomplete
// applies it, the invoice open and the subscription past_due;
// error_if_incomplete is the decline's 402 and nothing changes [I];
// default_incomplete applies it with the invoice's PaymentIntent waiting for
// the customer (requires_confirmation: a card is on file [I]) and the
// subscription past_due (sg79 PaymentBehavior).
func TestPaymentBehaviorOnUpdate(t *testing.T) {
	for _, tc := range []struct {
		behavior string
		code     string // the 402's ("": the update applies)
		intent   stripe.PaymentIntentStatus
		attempts int64
	}{
		{behavior: "allow_incomplete", intent: "requires_payment_method", attempts: 1},
		{behavior: "error_if_incomplete", code: "card_declined"},
		{behavior: "default_incomplete", intent: "requires_confirmation"},
	} {
		t.Run(tc.behavior, func(t *testing.T) {
			e := newEnv(t)
			price := licensedPrice(t, e.sc, 1000, "month")
			cu := cardCustomer(t, e.sc, "pm_card_visa")
			sub := subscribe(t, e.sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
			failing := attachCard(t, e.sc, "pm_card_chargeCustomerFail", cu.ID)
			if _, err := e.sc.Customers.Update(cu.ID, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(failing.ID)}}); err != nil {
				t.Fatal(err)
			}
			upd, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{PaymentBehavior: stripe.String(tc.behavior), ProrationBehavior: stripe.String("always_invoice"),
				Items:  []*stripe.SubscriptionItemsParams{{ID: stripe.String(sub.Items.Data[0].ID), Quantity: stripe.Int64(3)}},
				Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
			if tc.code != "" {
				wantErr(t, err, 402, tc.code, "")
				got, err := e.sc.Subscriptions.Get(sub.ID, nil)
				if err != nil || got.Status != "active" || got.Items.Data[0].Quantity != 1 || got.LatestInvoice.ID != sub.LatestInvoice.ID {
					t.Fatalf("after the 402: %v %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			inv := upd.LatestInvoice
			if upd.Status != "past_due" || upd.Items.Data[0].Quantity != 3 || inv.BillingReason != "subscription_update" || inv.Status != "open" ||
				inv.AttemptCount != tc.attempts || inv.PaymentIntent.Status != tc.intent {
				t.Fatalf("updated: %s, quantity %d, invoice %s %s attempts %d, intent %s", upd.Status, upd.Items.Data[0].Quantity, inv.BillingReason, inv.Status,
					inv.AttemptCount, inv.PaymentIntent.Status)
			}
		})
	}
}

// TestPaymentsSurviveAState: PaymentIntents, charges, refunds, invoice
// payments and the account's dunning settings are saved and loaded as they
// were.
func TestPaymentsSurviveAState(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/_emulator/account", "billing[retries][type]=custom&billing[retries][custom][days][]=3&billing[after_final_failure][invoice]=mark_uncollectible"); r.status != 200 {
		t.Fatal(string(r.body))
	}
	cu := cardCustomer(t, e.sc, "pm_card_visa")
	price := licensedPrice(t, e.sc, 1000, "month")
	sub := subscribe(t, e.sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	inv, err := e.sc.Invoices.Get(sub.LatestInvoice.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	re, err := e.sc.Refunds.New(&stripe.RefundParams{Charge: stripe.String(inv.Charge.ID), Amount: stripe.Int64(100)})
	if err != nil {
		t.Fatal(err)
	}
	e2 := loadedEnv(t, e, saveBytes(t, e.srv))
	for _, p := range []string{"/v1/payment_intents/" + inv.PaymentIntent.ID, "/v1/charges/" + inv.Charge.ID, "/v1/refunds/" + re.ID,
		"/v1/invoices/" + inv.ID, "/_emulator/account"} {
		a, b := e.do("GET", p, ""), e2.do("GET", p, "")
		if a.status != 200 || string(a.body) != string(b.body) {
			t.Errorf("%s:\nsaved  %d %s\nloaded %d %s", p, a.status, a.body, b.status, b.body)
		}
	}
	a := e.do("GET", "/v1/invoice_payments?invoice="+inv.ID, "", at("2025-03-31.basil")...)
	b := e2.do("GET", "/v1/invoice_payments?invoice="+inv.ID, "", at("2025-03-31.basil")...)
	if a.status != 200 || string(a.body) != string(b.body) {
		t.Errorf("invoice payments:\nsaved  %s\nloaded %s", a.body, b.body)
	}
}

// TestSaveDefaultPaymentMethod: payment_settings[save_default_payment_method]
// =on_subscription (sg79) makes the card that pays the subscription's
// invoice its default_payment_method: here the card that confirms a
// default_incomplete subscription's PaymentIntent. Without it the
// subscription keeps none. payment_method_types is not supported (a 400
// that says so).
func TestSaveDefaultPaymentMethod(t *testing.T) {
	e := newEnv(t)
	price := licensedPrice(t, e.sc, 1000, "month")
	for _, save := range []string{"on_subscription", "off"} {
		t.Run(save, func(t *testing.T) {
			cus := newCustomer(t, e.sc)
			sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}},
				PaymentBehavior: stripe.String("default_incomplete"), PaymentSettings: &stripe.SubscriptionPaymentSettingsParams{SaveDefaultPaymentMethod: stripe.String(save)},
				Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
			if err != nil || sub.PaymentSettings.SaveDefaultPaymentMethod != stripe.SubscriptionPaymentSettingsSaveDefaultPaymentMethod(save) {
				t.Fatalf("created: %v %v", sub, err)
			}
			pi, err := e.sc.PaymentIntents.Confirm(sub.LatestInvoice.PaymentIntent.ID, &stripe.PaymentIntentConfirmParams{PaymentMethod: stripe.String("pm_card_visa")})
			if err != nil {
				t.Fatal(err)
			}
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil {
				t.Fatal(err)
			}
			if got := sub.DefaultPaymentMethod != nil && sub.DefaultPaymentMethod.ID == pi.PaymentMethod.ID; got != (save == "on_subscription") || sub.Status != "active" {
				t.Errorf("%s: default payment method %+v (the paying card %s), status %s", save, sub.DefaultPaymentMethod, pi.PaymentMethod.ID, sub.Status)
			}
		})
	}
	_, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(newCustomer(t, e.sc)), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}},
		PaymentSettings: &stripe.SubscriptionPaymentSettingsParams{PaymentMethodTypes: stripe.StringSlice([]string{"sepa_debit"})}})
	wantErr(t, err, 400, "", "payment_settings[payment_method_types]")
}

// TestAsynchronousRefunds: the refund cards of docs.stripe.com/testing
// ("Simulate an asynchronous refund"; the hour is the emulator's [I]):
// pm_card_pendingRefund's refund is pending, then succeeds an hour later on
// the customer's clock (or can be canceled while pending); pm_card_refundFail's
// succeeds, then fails an hour later with its failure_reason, and the charge
// gets the amount back as unrefunded (refund.updated each time).
func TestAsynchronousRefunds(t *testing.T) {
	for _, tc := range []struct {
		card          string
		cancel        bool
		first, later  stripe.RefundStatus
		refundedAfter int64
	}{
		{card: "pm_card_pendingRefund", first: "pending", later: "succeeded", refundedAfter: 400},
		{card: "pm_card_pendingRefund", cancel: true, first: "pending", later: "canceled", refundedAfter: 0},
		{card: "pm_card_refundFail", first: "succeeded", later: "failed", refundedAfter: 0},
	} {
		t.Run(tc.card+map[bool]string{true: " canceled"}[tc.cancel], func(t *testing.T) {
			e := newEnv(t)
			clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
			if err != nil {
				t.Fatal(err)
			}
			cu, err := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
			if err != nil {
				t.Fatal(err)
			}
			pi, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String("usd"), Customer: stripe.String(cu.ID),
				PaymentMethod: stripe.String(tc.card), Confirm: stripe.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			re, err := e.sc.Refunds.New(&stripe.RefundParams{PaymentIntent: stripe.String(pi.ID), Amount: stripe.Int64(400)})
			if err != nil || re.Status != tc.first {
				t.Fatalf("refund: %v %v", re, err)
			}
			if tc.cancel {
				if re, err = e.sc.Refunds.Cancel(re.ID, nil); err != nil || re.Status != "canceled" {
					t.Fatalf("cancel: %v %v", re, err)
				}
			}
			advance(t, e.sc, clock.ID, t0.Unix()+2*3600)
			if re, err = e.sc.Refunds.Get(re.ID, nil); err != nil || re.Status != tc.later {
				t.Fatalf("an hour later: %v %v", re, err)
			}
			if tc.later == "failed" && re.FailureReason != "expired_or_canceled_card" {
				t.Errorf("failure_reason %q", re.FailureReason)
			}
			ch, err := e.sc.Charges.Get(pi.LatestCharge.ID, nil)
			if err != nil || ch.AmountRefunded != tc.refundedAfter {
				t.Errorf("the charge's amount_refunded %d (%v), want %d", ch.AmountRefunded, err, tc.refundedAfter)
			}
			if !tc.cancel && lastEvent(t, e, "refund.updated").Data.Object["status"] != string(tc.later) {
				t.Errorf("no refund.updated for %s", tc.later)
			}
		})
	}
}

// TestUnpaidRenewalsAreNotCharged: once the account's settings have marked
// a subscription unpaid after its last retry, its later invoices "continue
// to be generated, but payments aren't attempted" (ref §3d [C]): the next
// renewal is finalized, open, with no attempt, no charge and no retry
// scheduled, and its PaymentIntent waits; paying it with a working card
// makes the subscription active again.
func TestUnpaidRenewalsAreNotCharged(t *testing.T) {
	const day = int64(86400)
	e := newEnv(t)
	if r := e.do("POST", "/_emulator/account", "billing[after_final_failure][subscription]=mark_unpaid"); r.status != 200 {
		t.Fatal(string(r.body))
	}
	clock, cu, sub := failingRenewal(t, e)
	var err error
	failed := t0.Unix() + 7*day + 3600
	advance(t, e.sc, clock.ID, failed+14*day+60)
	if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "unpaid" {
		t.Fatalf("after the last retry: %v %v", sub, err)
	}
	charged := listAll(t, e, "/v1/charges?customer="+cu.ID)
	advance(t, e.sc, clock.ID, sub.CurrentPeriodEnd+3660) // the next renewal, finalized after its grace hour
	sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
	if err != nil {
		t.Fatal(err)
	}
	inv := sub.LatestInvoice
	if sub.Status != "unpaid" || inv.BillingReason != "subscription_cycle" || inv.Status != "open" || inv.AttemptCount != 0 || inv.Attempted ||
		inv.NextPaymentAttempt != 0 || inv.PaymentIntent == nil || inv.PaymentIntent.LatestCharge != nil {
		t.Fatalf("the renewal of an unpaid subscription: %s, invoice %s %s attempts %d attempted %v next %d, intent %+v", sub.Status, inv.BillingReason,
			inv.Status, inv.AttemptCount, inv.Attempted, inv.NextPaymentAttempt, inv.PaymentIntent)
	}
	if n := listAll(t, e, "/v1/charges?customer="+cu.ID); n != charged {
		t.Errorf("%d charges after the renewal, %d before: an unpaid subscription's invoice was charged", n, charged)
	}
	if inv, err = e.sc.Invoices.Pay(inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil || inv.Status != "paid" {
		t.Fatalf("paid: %v %v", inv, err)
	}
	if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "active" {
		t.Fatalf("after paying the latest invoice: %v %v", sub, err)
	}
}

// TestPaymentIntentAmountBounds: a PaymentIntent's amount is at least the
// currency's minimum charge (amount_too_small) and has at most eight digits
// ("The amount value supports up to eight digits", sg79: amount_too_large),
// on create and on update; a refused amount stores nothing.
func TestPaymentIntentAmountBounds(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		amount   int64
		currency string
		code     string // "": accepted
	}{
		{amount: 49, currency: "usd", code: "amount_too_small"},
		{amount: 50, currency: "usd"},
		{amount: 99_999_999, currency: "usd"},
		{amount: 100_000_000, currency: "usd", code: "amount_too_large"},
		{amount: 100_000_000, currency: "jpy", code: "amount_too_large"},
	} {
		t.Run(fmt.Sprintf("%d %s", tc.amount, tc.currency), func(t *testing.T) {
			before := listAll(t, e, "/v1/payment_intents")
			pi, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(tc.amount), Currency: stripe.String(tc.currency)})
			if tc.code == "" {
				if err != nil || pi.Amount != tc.amount {
					t.Fatalf("%v %v", pi, err)
				}
				return
			}
			wantErr(t, err, 400, tc.code, "amount")
			if n := listAll(t, e, "/v1/payment_intents"); n != before {
				t.Errorf("%d payment intents after a refused create, %d before", n, before)
			}
			ok, err := e.sc.PaymentIntents.New(&stripe.PaymentIntentParams{Amount: stripe.Int64(1000), Currency: stripe.String(tc.currency)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.sc.PaymentIntents.Update(ok.ID, &stripe.PaymentIntentParams{Amount: stripe.Int64(tc.amount)})
			wantErr(t, err, 400, tc.code, "amount")
			if got, err := e.sc.PaymentIntents.Get(ok.ID, nil); err != nil || got.Amount != 1000 {
				t.Errorf("after a refused update: %v %v", got, err)
			}
		})
	}
}

// failingRenewal is a customer on a test clock at t0 whose card declines every
// charge (pm_card_chargeCustomerFail, its default), subscribed with a 7-day
// trial to a 10.00 monthly price: the first renewal, at the trial's end, fails.
func failingRenewal(t *testing.T, e *testEnv) (*stripe.TestHelpersTestClock, *stripe.Customer, *stripe.Subscription) {
	t.Helper()
	return failingRenewalWith(t, e, "pm_card_chargeCustomerFail")
}

// failingRenewalWith is failingRenewal with another default card (a
// payment method id) that attaches but does not pay a charge: one that
// declines, or one that asks for authentication every time.
func failingRenewalWith(t *testing.T, e *testEnv, card string) (*stripe.TestHelpersTestClock, *stripe.Customer, *stripe.Subscription) {
	t.Helper()
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID), PaymentMethod: stripe.String(card),
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(card)}})
	if err != nil {
		t.Fatal(err)
	}
	price := licensedPrice(t, e.sc, 1000, "month")
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cu.ID), TrialPeriodDays: stripe.Int64(7),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	return clock, cu, sub
}

// TestRetryAfterAHardDecline: after a hard decline (lost_card) "retries will
// continue to be scheduled, and attempt_count will continue to increment,
// but retries will only be executed if a new payment method is obtained"
// (sg79, ref §2.9): the first retry is counted without a charge; once the
// customer's default is a working card (or the subscription's, where Stripe
// "continues to retry", ref §2.8), the next retry charges it, pays the
// invoice and brings the subscription back to active.
func TestRetryAfterAHardDecline(t *testing.T) {
	const day = int64(86400)
	for _, where := range []string{"customer", "subscription"} {
		t.Run("a new default on the "+where, func(t *testing.T) {
			e := newEnv(t)
			lost, err := e.sc.PaymentMethods.New(&stripe.PaymentMethodParams{Type: stripe.String("card"),
				Card: &stripe.PaymentMethodCardParams{Token: stripe.String("tok_visa_chargeCustomerFailLostCard")}})
			if err != nil {
				t.Fatal(err)
			}
			clock, cu, sub := failingRenewalWith(t, e, lost.ID)
			failed := t0.Unix() + 7*day + 3600
			advance(t, e.sc, clock.ID, failed+60)
			sub, err = e.sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
			if err != nil {
				t.Fatal(err)
			}
			inv := sub.LatestInvoice
			if sub.Status != "past_due" || inv.AttemptCount != 1 || inv.PaymentIntent.LastPaymentError == nil ||
				inv.PaymentIntent.LastPaymentError.DeclineCode != "lost_card" || inv.NextPaymentAttempt != failed+2*day {
				t.Fatalf("after the renewal: %s, attempts %d, next +%ds, intent %+v", sub.Status, inv.AttemptCount, inv.NextPaymentAttempt-failed, inv.PaymentIntent)
			}
			advance(t, e.sc, clock.ID, failed+2*day+60) // the first retry: the card that declined for good is not charged again
			if inv, err = e.sc.Invoices.Get(inv.ID, nil); err != nil || inv.Status != "open" || inv.AttemptCount != 2 || inv.NextPaymentAttempt != failed+4*day {
				t.Fatalf("after the first retry: %v %v", inv, err)
			}
			if n := listAll(t, e, "/v1/charges?customer="+cu.ID); n != 1 {
				t.Fatalf("%d charges after the first retry, want the renewal's only", n)
			}
			visa := attachCard(t, e.sc, "pm_card_visa", cu.ID)
			if where == "customer" {
				_, err = e.sc.Customers.Update(cu.ID, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(visa.ID)}})
			} else {
				_, err = e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{DefaultPaymentMethod: stripe.String(visa.ID)})
			}
			if err != nil {
				t.Fatal(err)
			}
			advance(t, e.sc, clock.ID, failed+4*day+60) // the second retry charges the new card
			inv, err = e.sc.Invoices.Get(inv.ID, &stripe.InvoiceParams{Expand: []*string{stripe.String("charge")}})
			if err != nil || inv.Status != "paid" || inv.AttemptCount != 3 || inv.NextPaymentAttempt != 0 || inv.Charge.PaymentMethod != visa.ID {
				t.Fatalf("after the second retry: %v %v", inv, err)
			}
			if sub, err = e.sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "active" {
				t.Fatalf("after the invoice was paid: %v %v", sub, err)
			}
			if n := listAll(t, e, "/v1/charges?customer="+cu.ID); n != 2 {
				t.Errorf("%d charges, want 2 (the renewal's and the retry's)", n)
			}
		})
	}
}
