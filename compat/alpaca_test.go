package compat

import (
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// TestAlpacaAIWalkthrough runs Stripe's usage-based billing guide (Alpaca AI)
// against the binary with stripe-go v79, through either HTTP front end.
func TestAlpacaAIWalkthrough(t *testing.T) {
	for _, frontEnd := range []string{"fast", "std"} {
		t.Run(frontEnd, func(t *testing.T) {
			e := start(t, "-http", frontEnd)
			alpacaWalkthrough(t, e.client("sk_test_alpaca"))
		})
	}
}

// alpacaWalkthrough is the Alpaca AI guide, step by step as the guide does it,
// through sc.
func alpacaWalkthrough(t *testing.T, sc *client.API) {
	t.Helper()
	// 1. A meter for the tokens.
	meter, err := sc.BillingMeters.New(&stripe.BillingMeterParams{
		DisplayName:        stripe.String("Alpaca AI tokens"),
		EventName:          stripe.String("alpaca_ai_tokens"),
		DefaultAggregation: &stripe.BillingMeterDefaultAggregationParams{Formula: stripe.String("sum")},
		CustomerMapping:    &stripe.BillingMeterCustomerMappingParams{EventPayloadKey: stripe.String("stripe_customer_id"), Type: stripe.String("by_id")},
		ValueSettings:      &stripe.BillingMeterValueSettingsParams{EventPayloadKey: stripe.String("value")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 2. A product and its price: 0.04 USD per 1000 tokens, monthly, in arrears.
	price, err := sc.Prices.New(&stripe.PriceParams{
		Currency:          stripe.String("usd"),
		UnitAmount:        stripe.Int64(4),
		BillingScheme:     stripe.String("per_unit"),
		TransformQuantity: &stripe.PriceTransformQuantityParams{DivideBy: stripe.Int64(1000), Round: stripe.String("up")},
		Recurring: &stripe.PriceRecurringParams{
			UsageType: stripe.String("metered"),
			Interval:  stripe.String("month"),
			Meter:     stripe.String(meter.ID),
		},
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Alpaca AI tokens")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		usage  []string
		amount int64
	}{
		{"3000 tokens", []string{"3000"}, 12},
		{"3001 tokens", []string{"1000", "2001"}, 16},
		{"no usage", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// 3. A customer, John Doe.
			cus, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe")})
			if err != nil {
				t.Fatal(err)
			}
			// 4. The subscription.
			sub, err := sc.Subscriptions.New(&stripe.SubscriptionParams{
				Customer: stripe.String(cus.ID),
				Items:    []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if sub.Status != "active" {
				t.Fatalf("subscription status %s", sub.Status)
			}
			// 5. Usage.
			for _, v := range tt.usage {
				if _, err := sc.BillingMeterEvents.New(&stripe.BillingMeterEventParams{
					EventName: stripe.String("alpaca_ai_tokens"),
					Payload:   map[string]string{"stripe_customer_id": cus.ID, "value": v},
				}); err != nil {
					t.Fatal(err)
				}
			}
			// 6. The upcoming invoice shows the usage rated by the price.
			inv, err := sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus.ID)})
			if err != nil {
				t.Fatal(err)
			}
			if inv.AmountDue != tt.amount || inv.Total != tt.amount || inv.Currency != "usd" {
				t.Fatalf("amount_due %d (total %d), want %d", inv.AmountDue, inv.Total, tt.amount)
			}
			if len(inv.Lines.Data) != 1 || inv.Lines.Data[0].Price.ID != price.ID || inv.PeriodStart != sub.CurrentPeriodStart || inv.PeriodEnd != sub.CurrentPeriodEnd {
				t.Fatalf("lines/period: %+v", inv)
			}
		})
	}
}
