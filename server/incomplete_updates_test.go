package server

import (
	"testing"

	"github.com/stripe/stripe-go/v79"
)

// TestIncompleteSubscriptionUpdates: an incomplete subscription "can only
// have metadata and default_source updated" (sg79) [C]: an update that
// would bill (an invoice at once, prorations, add_invoice_items; on the
// update and the item endpoints) is Stripe's 400 and changes nothing, while
// one that bills nothing applies, and the subscription can be canceled.
func TestIncompleteSubscriptionUpdates(t *testing.T) {
	e := newEnv(t)
	price := licensedPrice(t, e.sc, 1000, "month")
	other := licensedPrice(t, e.sc, 2000, "month")
	const refusal = "You cannot update a subscription in `incomplete` status in a way that results in a new invoice or invoice items. " +
		"Only minor attributes, like `metadata` or `default_payment_method`, can be updated on such subscriptions."
	incomplete := func(t *testing.T) (*stripe.Subscription, string) {
		t.Helper()
		cus := newCustomer(t, e.sc)
		sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), PaymentBehavior: stripe.String("default_incomplete"),
			Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
		if err != nil || sub.Status != "incomplete" {
			t.Fatalf("%v %v", sub, err)
		}
		return sub, cus
	}
	for _, tc := range []struct {
		name    string
		update  func(sub *stripe.Subscription, cus string) error
		refused bool
	}{
		{name: "metadata", update: func(sub *stripe.Subscription, _ string) error {
			p := &stripe.SubscriptionParams{}
			p.AddMetadata("plan", "pro")
			_, err := e.sc.Subscriptions.Update(sub.ID, p)
			return err
		}},
		{name: "metadata with proration_behavior=none", update: func(sub *stripe.Subscription, _ string) error {
			p := &stripe.SubscriptionParams{ProrationBehavior: stripe.String("none")}
			p.AddMetadata("plan", "pro")
			_, err := e.sc.Subscriptions.Update(sub.ID, p)
			return err
		}},
		{name: "payment_settings", update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{
				PaymentSettings: &stripe.SubscriptionPaymentSettingsParams{SaveDefaultPaymentMethod: stripe.String("on_subscription")}})
			return err
		}},
		{name: "default_payment_method", update: func(sub *stripe.Subscription, cus string) error {
			pm := attachCard(t, e.sc, "pm_card_visa", cus)
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{DefaultPaymentMethod: stripe.String(pm.ID)})
			return err
		}},
		{name: "description and cancel_at_period_end", update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{Description: stripe.String("d"), CancelAtPeriodEnd: stripe.Bool(true)})
			return err
		}},
		{name: "a price change with prorations", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{
				Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(sub.Items.Data[0].ID), Price: stripe.String(other.ID)}}})
			return err
		}},
		{name: "a quantity invoiced at once", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{ProrationBehavior: stripe.String("always_invoice"),
				Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(sub.Items.Data[0].ID), Quantity: stripe.Int64(3)}}})
			return err
		}},
		{name: "add_invoice_items", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{
				AddInvoiceItems: []*stripe.SubscriptionAddInvoiceItemParams{{Price: stripe.String(oneTimePrice(t, e, 500, "usd").ID)}}})
			return err
		}},
		{name: "billing_cycle_anchor=now", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{BillingCycleAnchorNow: stripe.Bool(true)})
			return err
		}},
		{name: "a trial, without prorations", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{TrialEnd: stripe.Int64(t0.Unix() + 7*86400), ProrationBehavior: stripe.String("none")})
			return err
		}},
		{name: "an item added through the item endpoint", refused: true, update: func(sub *stripe.Subscription, _ string) error {
			_, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(sub.ID), Price: stripe.String(other.ID)})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, cus := incomplete(t)
			err := tc.update(sub, cus)
			if !tc.refused {
				if err != nil {
					t.Fatal(err)
				}
				if got, err := e.sc.Subscriptions.Get(sub.ID, nil); err != nil || got.Status != "incomplete" {
					t.Errorf("after the update: %v %v", got, err)
				}
				return
			}
			if se := wantErr(t, err, 400, "", ""); se.Msg != refusal {
				t.Errorf("message %q", se.Msg)
			}
			got, err := e.sc.Subscriptions.Get(sub.ID, nil)
			if err != nil || got.Status != "incomplete" || len(got.Items.Data) != 1 || got.Items.Data[0].Price.ID != price.ID ||
				got.Items.Data[0].Quantity != 1 || got.LatestInvoice.ID != sub.LatestInvoice.ID {
				t.Errorf("a refused update changed the subscription: %v %v", got, err)
			}
			if n := listAll(t, e, "/v1/invoiceitems?customer="+cus); n != 0 {
				t.Errorf("a refused update left %d invoice items", n)
			}
			if n := listAll(t, e, "/v1/invoices?customer="+cus); n != 1 {
				t.Errorf("%d invoices after a refused update, want the first one only", n)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		sub, _ := incomplete(t)
		if got, err := e.sc.Subscriptions.Cancel(sub.ID, nil); err != nil || got.Status != "canceled" {
			t.Fatalf("cancel: %v %v", got, err)
		}
		// Canceled, it takes no update at all, with Stripe's message [O].
		p := &stripe.SubscriptionParams{}
		p.AddMetadata("plan", "pro")
		_, err := e.sc.Subscriptions.Update(sub.ID, p)
		if se := wantErr(t, err, 400, "", ""); se.Msg != "You cannot update a subscription that is `canceled` or `incomplete_expired`." {
			t.Errorf("updating a canceled subscription: %q", se.Msg)
		}
	})
}
