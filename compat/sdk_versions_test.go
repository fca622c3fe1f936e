package compat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	s79 "github.com/stripe/stripe-go/v79"
	s82 "github.com/stripe/stripe-go/v82"
	w82 "github.com/stripe/stripe-go/v82/webhook"
	s85 "github.com/stripe/stripe-go/v85"
	w85 "github.com/stripe/stripe-go/v85/webhook"
)

// The newer stripe-go majors pin newer API versions (v82.5.1
// 2025-08-27.basil, v85.0.0 2026-03-25.dahlia) and type the objects as those
// versions shape them. These tests drive the binary with each, written as
// the SDK's own README and docs write it (stripe.NewClient, the V1/V2
// services, CreatePreview), and read what typed code reads.

// client82 and client85 are the README's clients of each major, pointed at
// the emulator (the API and the meter event stream backends alike).
func client82(e *emulator, key string) *s82.Client {
	b := s82.NewBackendsWithConfig(&s82.BackendConfig{URL: s82.String(e.URL), HTTPClient: &http.Client{Timeout: 30 * time.Second},
		LeveledLogger: &s82.LeveledLogger{Level: s82.LevelNull}})
	return s82.NewClient(key, s82.WithBackends(b))
}

func client85(e *emulator, key string) *s85.Client {
	b := s85.NewBackendsWithConfig(&s85.BackendConfig{URL: s85.String(e.URL), HTTPClient: &http.Client{Timeout: 30 * time.Second},
		LeveledLogger: &s85.LeveledLogger{Level: s85.LevelNull}})
	return s85.NewClient(key, s85.WithBackends(b))
}

// waitFor polls until ok says the condition holds (the v2 stream counts its
// events asynchronously, as Stripe's does).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAlpacaWalkthroughV82(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sc := client82(e, "sk_test_alpaca_v82")
	meter, err := sc.V1BillingMeters.Create(ctx, &s82.BillingMeterCreateParams{
		DisplayName:        s82.String("Alpaca AI tokens"),
		EventName:          s82.String("alpaca_ai_tokens"),
		DefaultAggregation: &s82.BillingMeterCreateDefaultAggregationParams{Formula: s82.String("sum")},
		CustomerMapping:    &s82.BillingMeterCreateCustomerMappingParams{EventPayloadKey: s82.String("stripe_customer_id"), Type: s82.String("by_id")},
		ValueSettings:      &s82.BillingMeterCreateValueSettingsParams{EventPayloadKey: s82.String("value")},
	})
	if err != nil {
		t.Fatal(err)
	}
	price, err := sc.V1Prices.Create(ctx, &s82.PriceCreateParams{
		Currency: s82.String("usd"), UnitAmount: s82.Int64(4), BillingScheme: s82.String("per_unit"),
		TransformQuantity: &s82.PriceCreateTransformQuantityParams{DivideBy: s82.Int64(1000), Round: s82.String("up")},
		Recurring:         &s82.PriceCreateRecurringParams{UsageType: s82.String("metered"), Interval: s82.String("month"), Meter: s82.String(meter.ID)},
		ProductData:       &s82.PriceCreateProductDataParams{Name: s82.String("Alpaca AI tokens")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cus, err := sc.V1Customers.Create(ctx, &s82.CustomerCreateParams{Name: s82.String("John Doe"), Email: s82.String("john.doe@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.V1Subscriptions.Create(ctx, &s82.SubscriptionCreateParams{Customer: s82.String(cus.ID), Items: []*s82.SubscriptionCreateItemParams{{Price: s82.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	item := sub.Items.Data[0]
	if item.CurrentPeriodStart == 0 || item.CurrentPeriodEnd <= item.CurrentPeriodStart {
		t.Errorf("items[0] periods %d … %d", item.CurrentPeriodStart, item.CurrentPeriodEnd)
	}
	if sub.BillingMode == nil || sub.BillingMode.Type != "classic" || sub.BillingMode.UpdatedAt != sub.Created {
		t.Errorf("billing_mode %+v (2025-08-27.basil's default is classic)", sub.BillingMode)
	}
	// Usage: 1,000 tokens each through the v1 and v2 meter events and the v2 stream.
	payload := map[string]string{"stripe_customer_id": cus.ID, "value": "1000"}
	if _, err := sc.V1BillingMeterEvents.Create(ctx, &s82.BillingMeterEventCreateParams{EventName: s82.String("alpaca_ai_tokens"), Payload: payload}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V2BillingMeterEvents.Create(ctx, &s82.V2BillingMeterEventCreateParams{EventName: s82.String("alpaca_ai_tokens"), Payload: payload}); err != nil {
		t.Fatal(err)
	}
	sess, err := sc.V2BillingMeterEventSessions.Create(ctx, &s82.V2BillingMeterEventSessionCreateParams{})
	if err != nil {
		t.Fatal(err)
	}
	stream := client82(e, sess.AuthenticationToken)
	if err := stream.V2BillingMeterEventStreams.Create(ctx, &s82.V2BillingMeterEventStreamCreateParams{
		Events: []*s82.V2BillingMeterEventStreamCreateEventParams{{EventName: s82.String("alpaca_ai_tokens"), Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	var inv *s82.Invoice
	waitFor(t, "12 cents on the preview", func() bool {
		inv, err = sc.V1Invoices.CreatePreview(ctx, &s82.InvoiceCreatePreviewParams{Customer: s82.String(cus.ID), Subscription: s82.String(sub.ID)})
		return err == nil && inv.AmountDue == 12
	})
	line := inv.Lines.Data[0]
	if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription == nil || inv.Parent.SubscriptionDetails.Subscription.ID != sub.ID {
		t.Errorf("invoice parent %+v", inv.Parent)
	}
	if line.Pricing == nil || line.Pricing.PriceDetails == nil || line.Pricing.PriceDetails.Price != price.ID {
		t.Errorf("line pricing %+v", line.Pricing)
	}
	if line.Parent == nil || line.Parent.SubscriptionItemDetails == nil || line.Parent.SubscriptionItemDetails.SubscriptionItem != item.ID {
		t.Errorf("line parent %+v", line.Parent)
	}
	if line.Period.Start != item.CurrentPeriodStart || line.Period.End != item.CurrentPeriodEnd {
		t.Errorf("line period %d … %d, item's %d … %d", line.Period.Start, line.Period.End, item.CurrentPeriodStart, item.CurrentPeriodEnd)
	}
	// What basil removed is refused as Stripe refuses it.
	if _, err := sc.V1Invoices.CreatePreview(ctx, &s82.InvoiceCreatePreviewParams{Customer: s82.String(cus.ID)}); err == nil || !strings.Contains(err.Error(), "You must provide at least one of") {
		t.Errorf("a preview of the customer alone: %v", err)
	}
}

// alpacaTokens85 is the walkthrough's meter and its price (4 cents per
// 1,000 tokens, rounded up), made with stripe-go v85.
func alpacaTokens85(ctx context.Context, t *testing.T, sc *s85.Client) (*s85.BillingMeter, *s85.Price) {
	t.Helper()
	meter, err := sc.V1BillingMeters.Create(ctx, &s85.BillingMeterCreateParams{
		DisplayName:        s85.String("Alpaca AI tokens"),
		EventName:          s85.String("alpaca_ai_tokens"),
		DefaultAggregation: &s85.BillingMeterCreateDefaultAggregationParams{Formula: s85.String("sum")},
		CustomerMapping:    &s85.BillingMeterCreateCustomerMappingParams{EventPayloadKey: s85.String("stripe_customer_id"), Type: s85.String("by_id")},
		ValueSettings:      &s85.BillingMeterCreateValueSettingsParams{EventPayloadKey: s85.String("value")},
	})
	if err != nil {
		t.Fatal(err)
	}
	price, err := sc.V1Prices.Create(ctx, &s85.PriceCreateParams{
		Currency: s85.String("usd"), UnitAmount: s85.Int64(4), BillingScheme: s85.String("per_unit"),
		TransformQuantity: &s85.PriceCreateTransformQuantityParams{DivideBy: s85.Int64(1000), Round: s85.String("up")},
		Recurring:         &s85.PriceCreateRecurringParams{UsageType: s85.String("metered"), Interval: s85.String("month"), Meter: s85.String(meter.ID)},
		ProductData:       &s85.PriceCreateProductDataParams{Name: s85.String("Alpaca AI tokens")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return meter, price
}

func TestAlpacaWalkthroughV85(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sc := client85(e, "sk_test_alpaca_v85")
	meter, price := alpacaTokens85(ctx, t, sc)
	cus, err := sc.V1Customers.Create(ctx, &s85.CustomerCreateParams{Name: s85.String("John Doe"), Email: s85.String("john.doe@example.com"), BusinessName: s85.String("Alpaca AI")})
	if err != nil {
		t.Fatal(err)
	}
	if cus.BusinessName != "Alpaca AI" {
		t.Errorf("business_name %q", cus.BusinessName)
	}
	sub, err := sc.V1Subscriptions.Create(ctx, &s85.SubscriptionCreateParams{Customer: s85.String(cus.ID), Items: []*s85.SubscriptionCreateItemParams{{Price: s85.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	item := sub.Items.Data[0]
	if item.CurrentPeriodStart == 0 || item.CurrentPeriodEnd <= item.CurrentPeriodStart {
		t.Errorf("items[0] periods %d … %d", item.CurrentPeriodStart, item.CurrentPeriodEnd)
	}
	if sub.BillingMode == nil || sub.BillingMode.Type != "flexible" || sub.BillingMode.Flexible == nil || sub.BillingMode.Flexible.ProrationDiscounts != "included" {
		t.Errorf("billing_mode %+v (flexible is the default from clover)", sub.BillingMode)
	}
	payload := map[string]string{"stripe_customer_id": cus.ID, "value": "1000"}
	if _, err := sc.V1BillingMeterEvents.Create(ctx, &s85.BillingMeterEventCreateParams{EventName: s85.String("alpaca_ai_tokens"), Payload: payload}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.V2BillingMeterEvents.Create(ctx, &s85.V2BillingMeterEventCreateParams{EventName: s85.String("alpaca_ai_tokens"), Payload: payload}); err != nil {
		t.Fatal(err)
	}
	sess, err := sc.V2BillingMeterEventSessions.Create(ctx, &s85.V2BillingMeterEventSessionCreateParams{})
	if err != nil {
		t.Fatal(err)
	}
	stream := client85(e, sess.AuthenticationToken)
	if err := stream.V2BillingMeterEventStreams.Create(ctx, &s85.V2BillingMeterEventStreamCreateParams{
		Events: []*s85.V2BillingMeterEventStreamCreateEventParams{{EventName: s85.String("alpaca_ai_tokens"), Payload: payload}}}); err != nil {
		t.Fatal(err)
	}
	var inv *s85.Invoice
	waitFor(t, "12 cents on the preview", func() bool {
		inv, err = sc.V1Invoices.CreatePreview(ctx, &s85.InvoiceCreatePreviewParams{Customer: s85.String(cus.ID), Subscription: s85.String(sub.ID)})
		return err == nil && inv.AmountDue == 12
	})
	line := inv.Lines.Data[0]
	if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription == nil || inv.Parent.SubscriptionDetails.Subscription.ID != sub.ID {
		t.Errorf("invoice parent %+v", inv.Parent)
	}
	if line.Pricing == nil || line.Pricing.PriceDetails == nil || line.Pricing.PriceDetails.Price == nil || line.Pricing.PriceDetails.Price.ID != price.ID {
		t.Errorf("line pricing %+v", line.Pricing)
	}
	if line.Parent == nil || line.Parent.SubscriptionItemDetails == nil || line.Parent.SubscriptionItemDetails.SubscriptionItem != item.ID {
		t.Errorf("line parent %+v", line.Parent)
	}
	if line.Subtotal != line.Amount || line.Period.Start != item.CurrentPeriodStart || line.Period.End != item.CurrentPeriodEnd {
		t.Errorf("line subtotal %d amount %d, period %d … %d", line.Subtotal, line.Amount, line.Period.Start, line.Period.End)
	}
	// The price in pricing expands (from 2025-12-15.clover).
	exp, err := sc.V1Invoices.CreatePreview(ctx, &s85.InvoiceCreatePreviewParams{Params: s85.Params{Expand: []*string{s85.String("lines.data.pricing.price_details.price")}},
		Customer: s85.String(cus.ID), Subscription: s85.String(sub.ID)})
	if err != nil || exp.Lines.Data[0].Pricing.PriceDetails.Price.UnitAmount != 4 {
		t.Errorf("the expanded price: %v %+v", err, exp)
	}
	// Billing alerts in acacia's shape.
	alert, err := sc.V1BillingAlerts.Create(ctx, &s85.BillingAlertCreateParams{AlertType: s85.String("usage_threshold"), Title: s85.String("t"),
		UsageThreshold: &s85.BillingAlertCreateUsageThresholdParams{GTE: s85.Int64(10000), Meter: s85.String(meter.ID), Recurrence: s85.String("one_time"),
			Filters: []*s85.BillingAlertCreateUsageThresholdFilterParams{{Type: s85.String("customer"), Customer: s85.String(cus.ID)}}}})
	if err != nil || alert.UsageThreshold == nil || alert.UsageThreshold.GTE != 10000 || len(alert.UsageThreshold.Filters) != 1 || alert.UsageThreshold.Filters[0].Customer.ID != cus.ID {
		t.Errorf("the alert: %v %+v", err, alert)
	}
}

// A subscription made in one version and read in another is shown as the
// reader's version shapes it.
func TestSubscriptionReadInTwoVersions(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const key = "sk_test_two_versions"
	old := e.client(key) // stripe-go v79: 2024-06-20, the account's default
	sc := client85(e, key)
	cus, err := old.Customers.New(&s79.CustomerParams{Name: s79.String("Two Versions"), PaymentMethod: s79.String("pm_card_visa"),
		InvoiceSettings: &s79.CustomerInvoiceSettingsParams{DefaultPaymentMethod: s79.String("pm_card_visa")}})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := old.Prices.New(&s79.PriceParams{Currency: s79.String("usd"), UnitAmount: s79.Int64(1000), Recurring: &s79.PriceRecurringParams{Interval: s79.String("month")},
		ProductData: &s79.PriceProductDataParams{Name: s79.String("Seat")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("made at 2024-06-20, read at dahlia", func(t *testing.T) {
		made, err := old.Subscriptions.New(&s79.SubscriptionParams{Customer: s79.String(cus.ID), Items: []*s79.SubscriptionItemsParams{{Price: s79.String(pr.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := sc.V1Subscriptions.Retrieve(ctx, made.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Items.Data[0].CurrentPeriodEnd != made.CurrentPeriodEnd || got.Items.Data[0].CurrentPeriodStart != made.CurrentPeriodStart {
			t.Errorf("items[0] periods %d … %d, made with %d … %d", got.Items.Data[0].CurrentPeriodStart, got.Items.Data[0].CurrentPeriodEnd, made.CurrentPeriodStart, made.CurrentPeriodEnd)
		}
		if got.BillingMode == nil || got.BillingMode.Type != "classic" || got.BillingMode.Flexible != nil {
			t.Errorf("billing_mode %+v", got.BillingMode)
		}
		body := rawJSON(t, got.LastResponse.RawJSON)
		if _, ok := body["current_period_end"]; ok {
			t.Error("the subscription has current_period_end at dahlia")
		}
	})
	t.Run("made at dahlia, read at 2024-06-20", func(t *testing.T) {
		made, err := sc.V1Subscriptions.Create(ctx, &s85.SubscriptionCreateParams{Customer: s85.String(cus.ID), Items: []*s85.SubscriptionCreateItemParams{{Price: s85.String(pr.ID)}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := old.Subscriptions.Get(made.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.CurrentPeriodEnd != made.Items.Data[0].CurrentPeriodEnd || got.CurrentPeriodStart != made.Items.Data[0].CurrentPeriodStart {
			t.Errorf("current_period %d … %d, the items' at dahlia %d … %d", got.CurrentPeriodStart, got.CurrentPeriodEnd, made.Items.Data[0].CurrentPeriodStart, made.Items.Data[0].CurrentPeriodEnd)
		}
		body := rawJSON(t, got.LastResponse.RawJSON)
		if _, ok := body["billing_mode"]; ok {
			t.Error("billing_mode at 2024-06-20")
		}
		item := body["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
		if _, ok := item["current_period_end"]; ok {
			t.Error("the item has current_period_end at 2024-06-20")
		}
		// It is a flexible subscription (dahlia's default) whatever reads it.
		again, err := sc.V1Subscriptions.Retrieve(ctx, made.ID, nil)
		if err != nil || again.BillingMode.Type != "flexible" {
			t.Errorf("read again at dahlia: %v %+v", err, again)
		}
	})
}

func rawJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sdkReceiver verifies every delivery with an SDK's own webhook check and
// keeps the events it accepts, and why it refused the others.
type sdkReceiver struct {
	ts    *httptest.Server
	mu    sync.Mutex
	check func(body []byte, sig string) (id, typ, version string, err error)
	got   []string // type@api_version#id
	bad   []string
}

func newSDKReceiver(t *testing.T, check func(body []byte, sig string) (id, typ, version string, err error)) *sdkReceiver {
	r := &sdkReceiver{check: check}
	r.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		id, typ, version, err := r.check(body, req.Header.Get("Stripe-Signature"))
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(400)
			return
		}
		r.got = append(r.got, typ+"@"+version+"#"+id)
	}))
	t.Cleanup(r.ts.Close)
	return r
}

// wait returns the first accepted event of a type (its "type@version#id").
func (r *sdkReceiver) wait(t *testing.T, typ string) string {
	t.Helper()
	var found string
	waitFor(t, typ+" accepted by the SDK's webhook check", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, g := range r.got {
			if strings.HasPrefix(g, typ+"@") {
				found = g
				return true
			}
		}
		return false
	})
	return found
}

func (r *sdkReceiver) refused() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// A webhook endpoint made with an SDK's pinned api_version receives events
// of that version, which the SDK's own ConstructEvent (it refuses an event of
// another release) accepts.
func TestPinnedWebhookEndpointGo(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	t.Run("v85", func(t *testing.T) {
		const key = "sk_test_pinned_v85"
		sc := client85(e, key)
		var secret string
		rcv := newSDKReceiver(t, func(body []byte, sig string) (string, string, string, error) {
			ev, err := w85.ConstructEvent(body, sig, secret)
			return ev.ID, string(ev.Type), ev.APIVersion, err
		})
		we, err := sc.V1WebhookEndpoints.Create(ctx, &s85.WebhookEndpointCreateParams{URL: s85.String(rcv.ts.URL),
			EnabledEvents: []*string{s85.String("customer.subscription.created"), s85.String("invoice.created"), s85.String("invoice.finalized")},
			APIVersion:    s85.String(s85.APIVersion)})
		if err != nil {
			t.Fatal(err)
		}
		secret = we.Secret
		if we.APIVersion != s85.APIVersion {
			t.Errorf("api_version %q", we.APIVersion)
		}
		pinnedGo85(t, sc, rcv, s85.APIVersion)
	})
	t.Run("v82", func(t *testing.T) {
		const key = "sk_test_pinned_v82"
		sc := client82(e, key)
		var secret string
		rcv := newSDKReceiver(t, func(body []byte, sig string) (string, string, string, error) {
			ev, err := w82.ConstructEvent(body, sig, secret)
			return ev.ID, string(ev.Type), ev.APIVersion, err
		})
		we, err := sc.V1WebhookEndpoints.Create(ctx, &s82.WebhookEndpointCreateParams{URL: s82.String(rcv.ts.URL),
			EnabledEvents: []*string{s82.String("customer.subscription.created")}, APIVersion: s82.String(s82.APIVersion)})
		if err != nil {
			t.Fatal(err)
		}
		secret = we.Secret
		price, err := sc.V1Prices.Create(ctx, &s82.PriceCreateParams{Currency: s82.String("usd"), UnitAmount: s82.Int64(1000),
			Recurring: &s82.PriceCreateRecurringParams{Interval: s82.String("month")}, ProductData: &s82.PriceCreateProductDataParams{Name: s82.String("Seat")}})
		if err != nil {
			t.Fatal(err)
		}
		cus, err := sc.V1Customers.Create(ctx, &s82.CustomerCreateParams{Name: s82.String("Pinned"), PaymentMethod: s82.String("pm_card_visa"),
			InvoiceSettings: &s82.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: s82.String("pm_card_visa")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.V1Subscriptions.Create(ctx, &s82.SubscriptionCreateParams{Customer: s82.String(cus.ID), Items: []*s82.SubscriptionCreateItemParams{{Price: s82.String(price.ID)}}}); err != nil {
			t.Fatal(err)
		}
		got := rcv.wait(t, "customer.subscription.created")
		if !strings.Contains(got, "@"+s82.APIVersion+"#") {
			t.Errorf("delivered %s, want api_version %s", got, s82.APIVersion)
		}
	})
	t.Run("an unpinned endpoint of a 2024-06-20 account", func(t *testing.T) {
		const key = "sk_test_unpinned_old"
		old := e.client(key) // sets the account's default to 2024-06-20
		if _, err := old.Customers.New(&s79.CustomerParams{Name: s79.String("Old")}); err != nil {
			t.Fatal(err)
		}
		sc := client85(e, key)
		var secret string
		rcv := newSDKReceiver(t, func(body []byte, sig string) (string, string, string, error) {
			ev, err := w85.ConstructEvent(body, sig, secret)
			return ev.ID, string(ev.Type), ev.APIVersion, err
		})
		we, err := sc.V1WebhookEndpoints.Create(ctx, &s85.WebhookEndpointCreateParams{URL: s85.String(rcv.ts.URL), EnabledEvents: []*string{s85.String("customer.created")}})
		if err != nil {
			t.Fatal(err)
		}
		secret = we.Secret
		if _, err := sc.V1Customers.Create(ctx, &s85.CustomerCreateParams{Name: s85.String("New")}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "v85 to refuse the 2024-06-20 event", func() bool { return len(rcv.refused()) > 0 })
		if bad := rcv.refused()[0]; !strings.Contains(bad, "2024-06-20") {
			t.Errorf("refused with %q", bad)
		}
	})
}

// pinnedGo85 makes a subscription on a test clock and bills a month with
// stripe-go v85; rcv is an endpoint pinned to pin.
func pinnedGo85(t *testing.T, sc *s85.Client, rcv *sdkReceiver, pin string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now().Unix()
	clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &s85.TestHelpersTestClockCreateParams{FrozenTime: s85.Int64(start)})
	if err != nil {
		t.Fatal(err)
	}
	cus, err := sc.V1Customers.Create(ctx, &s85.CustomerCreateParams{Name: s85.String("Pinned"), TestClock: s85.String(clock.ID),
		PaymentMethod: s85.String("pm_card_visa"), InvoiceSettings: &s85.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: s85.String("pm_card_visa")}})
	if err != nil {
		t.Fatal(err)
	}
	price, err := sc.V1Prices.Create(ctx, &s85.PriceCreateParams{Currency: s85.String("usd"), UnitAmount: s85.Int64(1000),
		Recurring: &s85.PriceCreateRecurringParams{Interval: s85.String("month")}, ProductData: &s85.PriceCreateProductDataParams{Name: s85.String("Seat")}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.V1Subscriptions.Create(ctx, &s85.SubscriptionCreateParams{Customer: s85.String(cus.ID), Items: []*s85.SubscriptionCreateItemParams{{Price: s85.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	created := rcv.wait(t, "customer.subscription.created")
	if !strings.Contains(created, "@"+pin+"#") {
		t.Errorf("delivered %s, want api_version %s", created, pin)
	}
	// The event log has the same event, as created (the account's default
	// is v85's too: its first request named it).
	id := created[strings.Index(created, "#")+1:]
	ev, err := sc.V1Events.Retrieve(ctx, id, nil)
	if err != nil || ev.APIVersion != pin {
		t.Errorf("GET /v1/events/%s: %v %+v", id, err, ev)
	}
	var obj s85.Subscription
	if err := json.Unmarshal(ev.Data.Raw, &obj); err != nil || obj.ID != sub.ID || obj.Items.Data[0].CurrentPeriodEnd == 0 || obj.BillingMode == nil {
		t.Errorf("the event's subscription: %v %+v", err, obj)
	}
	// A month on: the renewal's invoice events, at the pin.
	if _, err := sc.V1TestHelpersTestClocks.Advance(ctx, clock.ID, &s85.TestHelpersTestClockAdvanceParams{FrozenTime: s85.Int64(sub.Items.Data[0].CurrentPeriodEnd + 3700)}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"invoice.created", "invoice.finalized"} {
		if got := rcv.wait(t, typ); !strings.Contains(got, "@"+pin+"#") {
			t.Errorf("delivered %s, want api_version %s", got, pin)
		}
	}
	if bad := rcv.refused(); len(bad) > 0 {
		t.Errorf("the SDK refused deliveries: %v", bad)
	}
}
