package compat

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
