package server

import (
	"strconv"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
)

// TestHugeAmountsNeverWrap checks that amounts a request sets are bounded and
// that computed amounts saturate instead of wrapping to negative totals.
func TestHugeAmountsNeverWrap(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	maxInt := "9223372036854775807"
	for _, tt := range []struct{ path, body, param string }{
		{"/v1/prices", "currency=usd&unit_amount=" + maxInt + "&product_data[name]=X", "unit_amount"},
		{"/v1/prices", "currency=usd&unit_amount_decimal=99999999999999999999.5&product_data[name]=X", "unit_amount_decimal"},
		{"/v1/invoiceitems", "customer=" + cus + "&currency=usd&amount=" + maxInt, "amount"},
		{"/v1/invoiceitems", "customer=" + cus + "&currency=usd&amount=-" + maxInt, "amount"},
		{"/v1/customers/" + cus, "balance=" + maxInt, "balance"},
	} {
		if r := e.do("POST", tt.path, tt.body); r.status != 400 || r.errField("param") != tt.param {
			t.Errorf("%s %s: %s", tt.path, tt.body, r.body)
		}
	}
	// The largest unit amount times a huge quantity: saturated, positive.
	big := e.do("POST", "/v1/prices", "currency=usd&unit_amount="+strconv.FormatInt(calc.MaxAmount, 10)+"&product_data[name]=Big&recurring[interval]=month").json["id"].(string)
	s, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(big), Quantity: stripe.Int64(1 << 60)}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.LatestInvoice == nil {
		t.Fatal("no first invoice")
	}
	first, _ := e.sc.Invoices.Get(s.LatestInvoice.ID, nil)
	if first.Total != calc.MaxLineAmount {
		t.Errorf("saturated first invoice: %d", first.Total)
	}
	// The largest usage values on a metered price: positive (a total past
	// int64 is TestUsageBeyondInt64's).
	cus2 := newCustomer(t, e.sc)
	m := alpacaMeter(t, e.sc)
	subscribe(t, e.sc, cus2, &stripe.SubscriptionItemsParams{Price: stripe.String(alpacaPrice(t, e.sc, m.ID).ID)})
	for i := 0; i < 2; i++ {
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus2, "999999999999999", 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	up, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus2)})
	if err != nil || up.Total <= 0 {
		t.Errorf("huge usage: %v total %d", err, up.Total)
	}
	// Many maximal invoice items add up without wrapping.
	for i := 0; i < 3; i++ {
		if r := e.do("POST", "/v1/invoiceitems", "customer="+cus2+"&currency=usd&amount="+strconv.FormatInt(calc.MaxAmount, 10)); r.status != 200 {
			t.Fatal(r.body)
		}
	}
	up, err = e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus2)})
	if err != nil || up.Total < 3*calc.MaxAmount {
		t.Errorf("maximal items: %v total %d", err, up.Total)
	}
}
