package compat

import (
	"context"
	"testing"
	"time"

	s85 "github.com/stripe/stripe-go/v85"
)

// Flexible billing mode with stripe-go v85 (2026-03-25.dahlia, where new
// subscriptions are flexible by default), as its docs write it: a metered
// item removed mid-period leaves an invoice item for its unbilled usage
// (classic: none), on a test clock, and a classic subscription migrates to flexible
// (V1Subscriptions.Migrate), once.
func TestFlexibleBillingV85(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	sc := client85(e, "sk_test_flexible_v85")
	_, tokens := alpacaTokens85(ctx, t, sc)
	seat, err := sc.V1Prices.Create(ctx, &s85.PriceCreateParams{Currency: s85.String("usd"), UnitAmount: s85.Int64(1000),
		Recurring: &s85.PriceCreateRecurringParams{Interval: s85.String("month")}, ProductData: &s85.PriceCreateProductDataParams{Name: s85.String("Seat")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"classic", "flexible"} {
		t.Run(mode, func(t *testing.T) {
			start := time.Now().Unix()
			clock, err := sc.V1TestHelpersTestClocks.Create(ctx, &s85.TestHelpersTestClockCreateParams{FrozenTime: s85.Int64(start)})
			if err != nil {
				t.Fatal(err)
			}
			advance := func(to int64) {
				t.Helper()
				if _, err := sc.V1TestHelpersTestClocks.Advance(ctx, clock.ID, &s85.TestHelpersTestClockAdvanceParams{FrozenTime: s85.Int64(to)}); err != nil {
					t.Fatal(err)
				}
			}
			cus, err := sc.V1Customers.Create(ctx, &s85.CustomerCreateParams{Name: s85.String("Flexible " + mode), TestClock: s85.String(clock.ID),
				PaymentMethod: s85.String("pm_card_visa"), InvoiceSettings: &s85.CustomerCreateInvoiceSettingsParams{DefaultPaymentMethod: s85.String("pm_card_visa")}})
			if err != nil {
				t.Fatal(err)
			}
			params := &s85.SubscriptionCreateParams{Customer: s85.String(cus.ID),
				Items: []*s85.SubscriptionCreateItemParams{{Price: s85.String(seat.ID)}, {Price: s85.String(tokens.ID)}}}
			if mode == "classic" {
				params.BillingMode = &s85.SubscriptionCreateBillingModeParams{Type: s85.String("classic")}
			}
			sub, err := sc.V1Subscriptions.Create(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			if string(sub.BillingMode.Type) != mode {
				t.Fatalf("billing_mode %+v", sub.BillingMode)
			}
			advance(start + 4*86400)
			payload := map[string]string{"stripe_customer_id": cus.ID, "value": "3000"}
			if _, err := sc.V1BillingMeterEvents.Create(ctx, &s85.BillingMeterEventCreateParams{EventName: s85.String("alpaca_ai_tokens"), Payload: payload}); err != nil {
				t.Fatal(err)
			}
			advance(start + 10*86400)
			if _, err := sc.V1SubscriptionItems.Delete(ctx, sub.Items.Data[1].ID, nil); err != nil {
				t.Fatal(err)
			}
			var pending []int64
			for ii, err := range sc.V1InvoiceItems.List(ctx, &s85.InvoiceItemListParams{Customer: s85.String(cus.ID), Pending: s85.Bool(true)}).All(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				pending = append(pending, ii.Amount)
			}
			want := map[string]int{"classic": 0, "flexible": 1}[mode]
			if len(pending) != want || want == 1 && pending[0] != 12 {
				t.Errorf("pending after the removal %v: want %d item(s) of 12", pending, want)
			}
			if mode != "classic" {
				return
			}
			migrated, err := sc.V1Subscriptions.Migrate(ctx, sub.ID, &s85.SubscriptionMigrateParams{BillingMode: &s85.SubscriptionMigrateBillingModeParams{Type: s85.String("flexible")}})
			if err != nil || migrated.BillingMode.Type != "flexible" || migrated.BillingMode.UpdatedAt == 0 {
				t.Fatalf("migrated: %v %+v", err, migrated)
			}
			_, err = sc.V1Subscriptions.Migrate(ctx, sub.ID, &s85.SubscriptionMigrateParams{BillingMode: &s85.SubscriptionMigrateBillingModeParams{Type: s85.String("flexible")}})
			if se, ok := err.(*s85.Error); !ok || se.HTTPStatusCode != 400 {
				t.Errorf("migrated twice: %v", err)
			}
		})
	}
}
