package compat

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// TestPaymentMethodsThroughTheBinary: the first steps of an integration's
// payment tests, with stripe-go against the binary: a customer created with
// pm_card_visa as its default, a declining card refused at attach (402,
// which stripe-go does not retry), a card set up through a SetupIntent that
// asks for 3D Secure, completed through the emulator's endpoint, and a
// balance credit.
func TestPaymentMethodsThroughTheBinary(t *testing.T) {
	e := start(t)
	sc := e.client("sk_test_compat_payments")

	c, err := sc.Customers.New(&stripe.CustomerParams{Email: stripe.String("jenny@example.com"), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")}})
	if err != nil {
		t.Fatal(err)
	}
	def := c.InvoiceSettings.DefaultPaymentMethod
	if def == nil || def.ID == "pm_card_visa" || !strings.HasPrefix(def.ID, "pm_") {
		t.Fatalf("default payment method %+v", def)
	}
	pm, err := sc.PaymentMethods.Get(def.ID, nil)
	if err != nil || pm.Card.Brand != "visa" || pm.Card.Last4 != "4242" || pm.Customer.ID != c.ID {
		t.Fatalf("payment method %+v %v", pm, err)
	}

	_, err = sc.PaymentMethods.Attach("pm_card_chargeDeclinedInsufficientFunds", &stripe.PaymentMethodAttachParams{Customer: stripe.String(c.ID)})
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 402 || se.Type != stripe.ErrorTypeCard || se.DeclineCode != stripe.DeclineCodeInsufficientFunds || se.PaymentMethod == nil {
		t.Fatalf("declined attach: %v", err)
	}

	si, err := sc.SetupIntents.New(&stripe.SetupIntentParams{Customer: stripe.String(c.ID), PaymentMethod: stripe.String("pm_card_authenticationRequired"),
		Confirm: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if si.Status != stripe.SetupIntentStatusRequiresAction || si.NextAction == nil {
		t.Fatalf("setup intent %s %+v", si.Status, si.NextAction)
	}
	req, err := http.NewRequest("POST", e.URL+"/_emulator/intents/"+si.ID+"/authenticate", strings.NewReader(url.Values{"result": {"complete"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sk_test_compat_payments")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"succeeded"`) {
		t.Fatalf("authenticate: %d %s", resp.StatusCode, body)
	}
	it := sc.Customers.ListPaymentMethods(&stripe.CustomerListPaymentMethodsParams{Customer: stripe.String(c.ID)})
	n := 0
	for it.Next() {
		n++
	}
	if it.Err() != nil || n != 2 {
		t.Errorf("the customer has %d payment methods, want 2: %v", n, it.Err())
	}

	txn, err := sc.CustomerBalanceTransactions.New(&stripe.CustomerBalanceTransactionParams{Customer: stripe.String(c.ID),
		Amount: stripe.Int64(-1000), Currency: stripe.String("usd")})
	if err != nil || txn.EndingBalance != -1000 {
		t.Fatalf("balance transaction %+v %v", txn, err)
	}
	if got, err := sc.Customers.Get(c.ID, nil); err != nil || got.Balance != -1000 {
		t.Errorf("balance %d %v", got.Balance, err)
	}
}

// TestAlpacaAIRenewalByCard: the Alpaca AI walkthrough with a card on file
// (design-16 §5.3), through the binary with stripe-go: July's 12 cents are
// below the minimum charge, so the invoice is paid without a charge and the
// 12 cents carried (invoice_too_small); August's 12,000 tokens bill 48
// cents, with the 12 carried a 60-cent PaymentIntent and charge
// (applied_to_invoice −12), and charge.succeeded and
// invoice.payment_succeeded reach a webhook endpoint, verified. With a card
// that declines every charge the renewal leaves the subscription past_due,
// and paying the invoice with a new card recovers it.
func TestAlpacaAIRenewalByCard(t *testing.T) {
	e := start(t)
	for _, tc := range []struct{ name, card string }{{"a working card", "pm_card_visa"}, {"a card that declines", "pm_card_chargeCustomerFail"}} {
		t.Run(tc.name, func(t *testing.T) {
			sc := e.client("sk_test_renewal_" + strings.ReplaceAll(tc.name, " ", "_"))
			rcv := newHookReceiver(t, "")
			ep, err := sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(rcv.ts.URL), EnabledEvents: stripe.StringSlice([]string{"*"})})
			if err != nil {
				t.Fatal(err)
			}
			rcv.mu.Lock()
			rcv.secret = ep.Secret
			rcv.mu.Unlock()
			jul1 := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC).Unix()
			aug1 := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC).Unix()
			sep1 := time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC).Unix()
			clock, err := sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(jul1)})
			if err != nil {
				t.Fatal(err)
			}
			meter, err := sc.BillingMeters.New(&stripe.BillingMeterParams{DisplayName: stripe.String("Alpaca AI tokens"), EventName: stripe.String("alpaca_ai_tokens"),
				DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")}})
			if err != nil {
				t.Fatal(err)
			}
			price, err := sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(4),
				TransformQuantity: &stripe.PriceTransformQuantityParams{DivideBy: stripe.Int64(1000), Round: stripe.String("up")},
				Recurring:         &stripe.PriceRecurringParams{UsageType: stripe.String("metered"), Interval: stripe.String("month"), Meter: stripe.String(meter.ID)},
				ProductData:       &stripe.PriceProductDataParams{Name: stripe.String("Alpaca AI tokens")}})
			if err != nil {
				t.Fatal(err)
			}
			// As the Stripe CLI's fixtures do: the card attached and made the
			// default in the customer's creation.
			cus, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe"), TestClock: stripe.String(clock.ID),
				PaymentMethod: stripe.String(tc.card), InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(tc.card)}})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus.ID), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
			if err != nil {
				t.Fatal(err)
			}
			usage := func(value string) {
				t.Helper()
				if _, err := sc.BillingMeterEvents.New(&stripe.BillingMeterEventParams{EventName: stripe.String("alpaca_ai_tokens"),
					Payload: map[string]string{"stripe_customer_id": cus.ID, "value": value}}); err != nil {
					t.Fatal(err)
				}
			}
			usage("3000")
			advanceClock(t, sc, clock.ID, aug1+3600)
			c, err := sc.Customers.Get(cus.ID, nil)
			if err != nil || c.Balance != 12 {
				t.Fatalf("after July: balance %d, %v", c.Balance, err)
			}
			usage("12000")
			advanceClock(t, sc, clock.ID, sep1+3600)
			sub, err = sc.Subscriptions.Get(sub.ID, &stripe.SubscriptionParams{Expand: []*string{stripe.String("latest_invoice.payment_intent")}})
			if err != nil {
				t.Fatal(err)
			}
			aug := sub.LatestInvoice
			if aug.Total != 48 || aug.StartingBalance != 12 || aug.AmountDue != 60 || aug.PaymentIntent == nil || aug.PaymentIntent.Amount != 60 {
				t.Fatalf("August's invoice: total %d, starting balance %d, amount due %d, intent %+v", aug.Total, aug.StartingBalance, aug.AmountDue, aug.PaymentIntent)
			}
			var ledger []string
			for it := sc.CustomerBalanceTransactions.List(&stripe.CustomerBalanceTransactionListParams{Customer: stripe.String(cus.ID)}); it.Next(); {
				bt := it.CustomerBalanceTransaction()
				ledger = append(ledger, string(bt.Type)+" "+strconv.FormatInt(bt.Amount, 10))
			}
			if want := []string{"applied_to_invoice -12", "invoice_too_small 12"}; !slices.Equal(ledger, want) {
				t.Errorf("balance transactions %v, want %v", ledger, want)
			}
			if tc.card == "pm_card_visa" {
				if sub.Status != "active" || aug.Status != "paid" || aug.AmountPaid != 60 || aug.PaymentIntent.Status != "succeeded" || aug.Charge == nil {
					t.Fatalf("paid by card: subscription %s, invoice %s paid %d, intent %s", sub.Status, aug.Status, aug.AmountPaid, aug.PaymentIntent.Status)
				}
				rcv.waitFor(t, "invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded")
				return
			}
			if sub.Status != "past_due" || aug.Status != "open" || aug.AttemptCount != 1 || aug.PaymentIntent.LastPaymentError == nil {
				t.Fatalf("declined: subscription %s, invoice %s attempts %d, intent %+v", sub.Status, aug.Status, aug.AttemptCount, aug.PaymentIntent)
			}
			rcv.waitFor(t, "charge.failed", "payment_intent.payment_failed", "invoice.payment_failed")
			paid, err := sc.Invoices.Pay(aug.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")})
			if err != nil || paid.Status != "paid" || paid.AmountPaid != 60 {
				t.Fatalf("paid by a new card: %v %v", paid, err)
			}
			if sub, err = sc.Subscriptions.Get(sub.ID, nil); err != nil || sub.Status != "active" {
				t.Fatalf("after the payment: %v %v", sub, err)
			}
			rcv.waitFor(t, "charge.succeeded", "invoice.paid", "invoice.payment_succeeded")
		})
	}
}
