package compat

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
	"github.com/stripe/stripe-go/v79/webhook"
)

// hookReceiver verifies every delivery with stripe-go's webhook.ConstructEvent.
type hookReceiver struct {
	ts     *httptest.Server
	mu     sync.Mutex
	secret string
	types  []string
	bad    []string
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{secret: secret}
	h.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), h.secret)
		if err != nil {
			h.bad = append(h.bad, err.Error())
			w.WriteHeader(400)
			return
		}
		h.types = append(h.types, string(ev.Type))
	}))
	t.Cleanup(h.ts.Close)
	return h
}

func (h *hookReceiver) waitFor(t *testing.T, want ...string) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		got := append([]string(nil), h.types...)
		bad := h.bad
		h.mu.Unlock()
		i := 0
		for _, g := range got {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		if i == len(want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("wanted %v in order; got %v; rejected %v", want, got, bad)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func advanceClock(t *testing.T, sc *client.API, id string, to int64) {
	t.Helper()
	if _, err := sc.TestHelpersTestClocks.Advance(id, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(to)}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := sc.TestHelpersTestClocks.Get(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status == "ready" && c.FrozenTime == to {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("clock not ready: %+v", c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAlpacaAIBilledInArrears: the guide's subscription on a test clock, a month
// of usage, the invoice at the end of the month, its finalization after the
// grace period, and webhooks verified with stripe-go.
func TestAlpacaAIBilledInArrears(t *testing.T) {
	e := start(t)
	sc := e.client("sk_test_arrears")
	rcv := newHookReceiver(t, "")
	ep, err := sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(rcv.ts.URL), EnabledEvents: stripe.StringSlice([]string{"*"})})
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.secret = ep.Secret
	rcv.mu.Unlock()

	start := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC).Unix()
	aug1 := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC).Unix()
	clock, err := sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(start), Name: stripe.String("Alpaca AI")})
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
	cus, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe"), TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus.ID), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.BillingMeterEvents.New(&stripe.BillingMeterEventParams{EventName: stripe.String("alpaca_ai_tokens"),
		Payload: map[string]string{"stripe_customer_id": cus.ID, "value": "3000"}}); err != nil {
		t.Fatal(err)
	}

	// One month: July's invoice, 12 cents, one usage line.
	advanceClock(t, sc, clock.ID, aug1)
	it := sc.Invoices.List(&stripe.InvoiceListParams{Subscription: stripe.String(sub.ID), Status: stripe.String("draft")})
	if !it.Next() {
		t.Fatalf("no draft invoice for July: %v", it.Err())
	}
	july := it.Invoice()
	if july.Total != 12 || len(july.Lines.Data) != 1 || july.Lines.Data[0].Quantity != 3000 || july.PeriodStart != start || july.PeriodEnd != aug1 || july.BillingReason != "subscription_cycle" {
		t.Fatalf("July's invoice: %+v", july)
	}
	// After the grace period: finalized; under the minimum charge, so marked paid
	// and carried to the customer's balance.
	advanceClock(t, sc, clock.ID, aug1+3600)
	july, err = sc.Invoices.Get(july.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if july.Status != "paid" || july.AmountPaid != 0 || july.StatusTransitions.FinalizedAt == 0 {
		t.Fatalf("finalized July: %+v", july)
	}
	c, err := sc.Customers.Get(cus.ID, nil)
	if err != nil || c.Balance != 12 {
		t.Fatalf("customer balance: %v %d", err, c.Balance)
	}
	// August starts from 0 and carries the 12 cents.
	up, err := sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if up.Lines.Data[0].Quantity != 0 || up.Total != 0 || up.StartingBalance != 12 || up.AmountDue != 12 || up.PeriodStart != aug1 {
		t.Fatalf("August's upcoming invoice: %+v", up)
	}
	rcv.waitFor(t, "invoice.created", "invoice.finalized", "invoice.paid", "invoice.created", "invoice.finalized", "invoice.paid")
}

// TestWebhookForwarding: -webhook-url forwards every event, signed with -webhook-secret.
func TestWebhookForwarding(t *testing.T) {
	rcv := newHookReceiver(t, "whsec_compat_forward")
	e := start(t, "-webhook-url", rcv.ts.URL, "-webhook-secret", "whsec_compat_forward")
	if _, err := e.client("sk_test_fwd_a").Customers.New(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client("sk_test_fwd_b").Products.New(&stripe.ProductParams{Name: stripe.String("p")}); err != nil {
		t.Fatal(err)
	}
	rcv.waitFor(t, "customer.created", "product.created")
}
