package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// pendingFixture is a $10/month subscription paid by a good card, whose
// customer's default card then declines (unless good): what an update with
// payment_behavior=pending_if_incomplete to $20 meets.
type pendingFixture struct {
	cu          *stripe.Customer
	sub         *stripe.Subscription
	price, next *stripe.Price
}

func newPendingFixture(t *testing.T, sc *client.API, clock string, good bool) pendingFixture {
	t.Helper()
	params := &stripe.CustomerParams{Name: stripe.String("Pending"), PaymentMethod: stripe.String("pm_card_visa"),
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String("pm_card_visa")}}
	if clock != "" {
		params.TestClock = stripe.String(clock)
	}
	cu, err := sc.Customers.New(params)
	if err != nil {
		t.Fatal(err)
	}
	f := pendingFixture{cu: cu, price: licensedPrice(t, sc, 1000, "month"), next: licensedPrice(t, sc, 2000, "month")}
	f.sub = subscribe(t, sc, cu.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(f.price.ID)})
	if !good {
		failing := attachCard(t, sc, "pm_card_chargeCustomerFail", cu.ID)
		if _, err := sc.Customers.Update(cu.ID, &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(failing.ID)}}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// update moves the subscription to the $20 price with pending_if_incomplete
// and always_invoice (an invoice at once).
func (f pendingFixture) update(t *testing.T, sc *client.API) *stripe.Subscription {
	t.Helper()
	sub, err := sc.Subscriptions.Update(f.sub.ID, &stripe.SubscriptionParams{PaymentBehavior: stripe.String("pending_if_incomplete"),
		ProrationBehavior: stripe.String("always_invoice"),
		Items:             []*stripe.SubscriptionItemsParams{{ID: stripe.String(f.sub.Items.Data[0].ID), Price: stripe.String(f.next.ID)}},
		Expand:            []*string{stripe.String("latest_invoice")}})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// eventsOf are the events of a type about an object, newest first.
func eventsOf(t *testing.T, sc *client.API, typ, id string) []*stripe.Event {
	t.Helper()
	it := sc.Events.List(&stripe.EventListParams{Type: stripe.String(typ)})
	var out []*stripe.Event
	for it.Next() {
		if ev := it.Event(); ev.Data.Object["id"] == id {
			out = append(out, ev)
		}
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return out
}

// TestPendingUpdateApplies: with pending_if_incomplete an update whose
// invoice is paid at once applies as any update ("If payment succeeds, the
// invoice is updated to paid and the changes are applied to the
// subscription immediately" [C]): no pending_update.
func TestPendingUpdateApplies(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", true)
	sub := f.update(t, e.sc)
	if sub.PendingUpdate != nil || sub.Items.Data[0].Price.ID != f.next.ID || sub.Status != "active" ||
		sub.LatestInvoice.Status != "paid" || sub.LatestInvoice.BillingReason != "subscription_update" {
		t.Fatalf("after the update: pending %+v, price %s, %s, invoice %s", sub.PendingUpdate, sub.Items.Data[0].Price.ID, sub.Status, sub.LatestInvoice.Status)
	}
	if evs := eventsOf(t, e.sc, "customer.subscription.pending_update_applied", sub.ID); len(evs) != 0 {
		t.Errorf("pending_update_applied with no pending update: %d", len(evs))
	}
}

// TestPendingUpdateDeclined: when the update's invoice cannot be paid the
// subscription keeps its items, gets a pending_update with the changes and
// an expires_at 23 hours on (before its period ends), and its latest invoice
// is the open one [C]; paying that invoice with a good card applies the
// update and clears it (customer.subscription.pending_update_applied) [C].
func TestPendingUpdateDeclined(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", false)
	sub := f.update(t, e.sc)
	pu := sub.PendingUpdate
	if pu == nil {
		t.Fatalf("no pending_update: %+v", sub)
	}
	if sub.Items.Data[0].Price.ID != f.price.ID || sub.Items.Data[0].ID != f.sub.Items.Data[0].ID || sub.Status != "active" {
		t.Errorf("the subscription changed: price %s, %s", sub.Items.Data[0].Price.ID, sub.Status)
	}
	if len(pu.SubscriptionItems) != 1 || pu.SubscriptionItems[0].Price.ID != f.next.ID || pu.SubscriptionItems[0].ID != f.sub.Items.Data[0].ID {
		t.Errorf("pending_update.subscription_items: %+v", pu.SubscriptionItems)
	}
	inv := sub.LatestInvoice
	if pu.ExpiresAt != inv.Created+23*3600 || pu.BillingCycleAnchor != 0 || pu.TrialEnd != 0 {
		t.Errorf("pending_update: expires_at %d (updated at %d), anchor %d, trial_end %d", pu.ExpiresAt, inv.Created, pu.BillingCycleAnchor, pu.TrialEnd)
	}
	if inv.ID == f.sub.LatestInvoice.ID || inv.Status != "open" || inv.BillingReason != "subscription_update" || inv.AttemptCount != 1 {
		t.Fatalf("latest_invoice: %s %s %s attempts %d", inv.ID, inv.Status, inv.BillingReason, inv.AttemptCount)
	}
	for _, v := range []string{"2025-03-31.basil", "2026-08-26.dahlia"} { // later shapes (checked against their specs)
		r := e.do("GET", "/v1/subscriptions/"+sub.ID, "", at(v)...)
		later, _ := r.json["pending_update"].(map[string]any)
		if items, _ := later["subscription_items"].([]any); r.status != 200 || len(items) != 1 {
			t.Errorf("at %s: %d %s", v, r.status, r.body)
		}
	}
	updated := eventsOf(t, e.sc, "customer.subscription.updated", sub.ID)
	if len(updated) == 0 || updated[0].Data.Object["pending_update"] == nil || updated[0].Data.PreviousAttributes["latest_invoice"] != f.sub.LatestInvoice.ID {
		t.Fatalf("customer.subscription.updated for the pending update: %+v", updated)
	}
	if _, moved := updated[0].Data.PreviousAttributes["items"]; moved {
		t.Errorf("the pending update's event says the items changed: %v", updated[0].Data.PreviousAttributes)
	}

	paid, err := e.sc.Invoices.Pay(inv.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")})
	if err != nil || paid.Status != "paid" {
		t.Fatalf("pay: %v %+v", err, paid)
	}
	got, err := e.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.PendingUpdate != nil || len(got.Items.Data) != 1 || got.Items.Data[0].Price.ID != f.next.ID || got.Status != "active" || got.LatestInvoice.ID != inv.ID {
		t.Fatalf("after paying: pending %+v, items %+v, %s", got.PendingUpdate, got.Items.Data, got.Status)
	}
	applied := eventsOf(t, e.sc, "customer.subscription.pending_update_applied", sub.ID)
	if len(applied) != 1 || applied[0].Data.Object["pending_update"] != nil {
		t.Fatalf("pending_update_applied: %+v", applied)
	}
	if evs := eventsOf(t, e.sc, "customer.subscription.updated", sub.ID); len(evs) != len(updated)+1 || evs[0].Data.PreviousAttributes["pending_update"] == nil {
		t.Errorf("customer.subscription.updated when the update applies: %d events, %+v", len(evs), evs[0].Data.PreviousAttributes)
	}
}

// TestPendingUpdateOfAnItem: the item endpoints take pending_if_incomplete
// too: a new item whose invoice declines is not added, only pending.
func TestPendingUpdateOfAnItem(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", false)
	extra := licensedPrice(t, e.sc, 700, "month")
	if _, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(f.sub.ID), Price: stripe.String(extra.ID),
		PaymentBehavior: stripe.String("pending_if_incomplete"), ProrationBehavior: stripe.String("always_invoice")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.sc.Subscriptions.Get(f.sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items.Data) != 1 || got.PendingUpdate == nil || len(got.PendingUpdate.SubscriptionItems) != 2 {
		t.Fatalf("items %d, pending %+v", len(got.Items.Data), got.PendingUpdate)
	}
	if r := e.do("GET", "/v1/subscription_items?subscription="+f.sub.ID, ""); len(r.json["data"].([]any)) != 1 {
		t.Errorf("the pending item is listed: %s", r.body)
	}
}

// TestPendingUpdateExpires: unpaid at its expires_at (a test clock's
// advance crossing it), the invoice is voided and the pending update
// discarded [C] (customer.subscription.pending_update_expired); the
// subscription keeps its items and goes on.
func TestPendingUpdateExpires(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	f := newPendingFixture(t, e.sc, clk.ID, false)
	advance(t, e.sc, clk.ID, t0.Add(5*24*time.Hour).Unix())
	sub := f.update(t, e.sc)
	if sub.PendingUpdate == nil || sub.PendingUpdate.ExpiresAt != t0.Add(5*24*time.Hour+23*time.Hour).Unix() {
		t.Fatalf("pending_update: %+v", sub.PendingUpdate)
	}
	inv := sub.LatestInvoice
	advance(t, e.sc, clk.ID, t0.Add(5*24*time.Hour+22*time.Hour).Unix())
	if got, err := e.sc.Subscriptions.Get(sub.ID, nil); err != nil || got.PendingUpdate == nil {
		t.Fatalf("expired early: %v %+v", err, got)
	}
	advance(t, e.sc, clk.ID, t0.Add(6*24*time.Hour).Unix())
	got, err := e.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.PendingUpdate != nil || got.Items.Data[0].Price.ID != f.price.ID || got.Status != "active" || got.CurrentPeriodEnd != f.sub.CurrentPeriodEnd {
		t.Fatalf("after expiry: pending %+v, price %s, %s, period end %d", got.PendingUpdate, got.Items.Data[0].Price.ID, got.Status, got.CurrentPeriodEnd)
	}
	voided, err := e.sc.Invoices.Get(inv.ID, &stripe.InvoiceParams{Expand: []*string{stripe.String("payment_intent")}})
	if err != nil || voided.Status != "void" || voided.PaymentIntent.Status != "canceled" {
		t.Fatalf("the invoice: %v %+v", err, voided)
	}
	expired := eventsOf(t, e.sc, "customer.subscription.pending_update_expired", sub.ID)
	if len(expired) != 1 || expired[0].Data.Object["pending_update"] != nil {
		t.Fatalf("pending_update_expired: %+v", expired)
	}
	if evs := eventsOf(t, e.sc, "invoice.voided", inv.ID); len(evs) != 1 {
		t.Errorf("invoice.voided: %d", len(evs))
	}
}

// TestPendingUpdateParameters: with pending_if_incomplete only the
// parameters the pending-updates reference lists are taken [C]; any other
// is a 400 naming it [I] text, and nothing changes. Creating a subscription
// with it is Stripe's 400.
func TestPendingUpdateParameters(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", true)
	item := f.sub.Items.Data[0].ID
	for _, tc := range []struct {
		name, path, body, param string
	}{
		{"update metadata", "/v1/subscriptions/" + f.sub.ID, "payment_behavior=pending_if_incomplete&metadata[a]=b", "metadata"},
		{"update cancel_at_period_end", "/v1/subscriptions/" + f.sub.ID, "payment_behavior=pending_if_incomplete&cancel_at_period_end=true", "cancel_at_period_end"},
		{"an item's metadata", "/v1/subscriptions/" + f.sub.ID, "payment_behavior=pending_if_incomplete&items[0][id]=" + item + "&items[0][metadata][a]=b", "items[0][metadata]"},
		{"item update metadata", "/v1/subscription_items/" + item, "payment_behavior=pending_if_incomplete&quantity=2&metadata[a]=b", "metadata"},
		{"item create metadata", "/v1/subscription_items", "payment_behavior=pending_if_incomplete&subscription=" + f.sub.ID + "&price=" + f.next.ID + "&metadata[a]=b", "metadata"},
		{"create", "/v1/subscriptions", "payment_behavior=pending_if_incomplete&customer=" + f.cu.ID + "&items[0][price]=" + f.price.ID, "payment_behavior"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body)
			if r.status != 400 || r.errField("param") != tc.param {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	got, err := e.sc.Subscriptions.Get(f.sub.ID, nil)
	if err != nil || len(got.Items.Data) != 1 || got.Items.Data[0].Quantity != 1 || len(got.Metadata) != 0 || got.CancelAtPeriodEnd {
		t.Fatalf("a refused request changed something: %v %+v", err, got)
	}
}

// TestPendingUpdateWhileWaiting: the emulator's choices [I] while a pending
// update waits: a change of the items is a 400 naming its invoice, an update
// of metadata applies at once, and voiding the invoice discards the pending
// update (Stripe: "If you cancel a pending update, the pending_update hash
// is cleared" [C]) without pending_update_expired. A send_invoice
// subscription cannot have one [C] ([I] the text).
func TestPendingUpdateWhileWaiting(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", false)
	sub := f.update(t, e.sc)
	inv := sub.LatestInvoice.ID
	item := f.sub.Items.Data[0].ID
	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"an item change", "/v1/subscriptions/" + sub.ID, "items[0][id]=" + item + "&items[0][quantity]=2", 400},
		{"an item endpoint", "/v1/subscription_items/" + item, "quantity=2", 400},
		{"metadata", "/v1/subscriptions/" + sub.ID, "metadata[k]=v", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", tc.path, tc.body)
			if r.status != tc.status || tc.status == 400 && !strings.Contains(r.errField("message"), inv) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if _, err := e.sc.Invoices.VoidInvoice(inv, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil || got.PendingUpdate != nil || got.Items.Data[0].Price.ID != f.price.ID || got.Items.Data[0].Quantity != 1 || got.Metadata["k"] != "v" {
		t.Fatalf("after the void: %v %+v", err, got)
	}
	if evs := eventsOf(t, e.sc, "customer.subscription.pending_update_expired", sub.ID); len(evs) != 0 {
		t.Errorf("pending_update_expired on a void: %d", len(evs))
	}

	byInvoice := newPendingFixture(t, e.sc, "", true)
	if _, err := e.sc.Subscriptions.Update(byInvoice.sub.ID, &stripe.SubscriptionParams{CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sc.Subscriptions.Update(byInvoice.sub.ID, &stripe.SubscriptionParams{PaymentBehavior: stripe.String("pending_if_incomplete"),
		Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(byInvoice.sub.Items.Data[0].ID), Quantity: stripe.Int64(2)}}})
	wantErr(t, err, 400, "parameter_invalid", "payment_behavior")
}

// TestPendingUpdateSurvivesAState: a pending update is saved and loaded as
// it was, and still applies once its invoice is paid.
func TestPendingUpdateSurvivesAState(t *testing.T) {
	e := newEnv(t)
	f := newPendingFixture(t, e.sc, "", false)
	sub := f.update(t, e.sc)
	e2 := loadedEnv(t, e, saveBytes(t, e.srv))
	path := "/v1/subscriptions/" + sub.ID
	if a, b := e.do("GET", path, ""), e2.do("GET", path, ""); a.status != 200 || string(a.body) != string(b.body) {
		t.Fatalf("saved  %d %s\nloaded %d %s", a.status, a.body, b.status, b.body)
	}
	if _, err := e2.sc.Invoices.Pay(sub.LatestInvoice.ID, &stripe.InvoicePayParams{PaymentMethod: stripe.String("pm_card_visa")}); err != nil {
		t.Fatal(err)
	}
	got, err := e2.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil || got.PendingUpdate != nil || got.Items.Data[0].Price.ID != f.next.ID {
		t.Fatalf("after paying in the loaded state: %v %+v", err, got)
	}
}

// TestPendingUpdateOfACanceledSubscription: a subscription that ends while
// a pending update waits (canceled, its customer deleted, its cancel_at
// come before the update expires, or canceled by dunning after a renewal's
// last retry) discards it as at its expiry [I] (Stripe does not say): the
// pending_update cleared, its invoice voided and its PaymentIntent
// canceled, so that the change nobody will get cannot be paid for; no
// pending_update_expired, the subscription is deleted.
func TestPendingUpdateOfACanceledSubscription(t *testing.T) {
	const hour, day = int64(3600), int64(86400)
	for _, how := range []string{"canceled", "customer deleted", "cancel_at", "the last retry failed"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
			if err != nil {
				t.Fatal(err)
			}
			f := newPendingFixture(t, e.sc, clock.ID, false)
			if how == "the last retry failed" {
				// One retry a day after the renewal fails, then the subscription is canceled.
				if r := e.do("POST", "/_emulator/account", "billing[retries][type]=custom&billing[retries][custom][days][]=1"); r.status != 200 {
					t.Fatalf("dunning settings: %d %s", r.status, r.body)
				}
				renewal := f.sub.CurrentPeriodEnd + hour // finalized an hour after the period ends, and declined
				advance(t, e.sc, clock.ID, renewal+day-hour)
			}
			sub := f.update(t, e.sc)
			if sub.PendingUpdate == nil {
				t.Fatalf("no pending update: %+v", sub)
			}
			inv := sub.LatestInvoice
			switch how {
			case "canceled":
				var got *stripe.Subscription
				if got, err = e.sc.Subscriptions.Cancel(sub.ID, nil); err == nil && (got.Status != "canceled" || got.PendingUpdate != nil) {
					t.Errorf("the canceled subscription: %s, pending %+v", got.Status, got.PendingUpdate)
				}
			case "customer deleted":
				_, err = e.sc.Customers.Del(f.cu.ID, nil)
			case "cancel_at":
				if _, err = e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{CancelAt: stripe.Int64(t0.Unix() + hour)}); err == nil {
					advance(t, e.sc, clock.ID, t0.Unix()+2*hour)
				}
			case "the last retry failed":
				advance(t, e.sc, clock.ID, f.sub.CurrentPeriodEnd+day+2*hour)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.sc.Subscriptions.Get(sub.ID, nil)
			if err != nil || got.Status != "canceled" || got.PendingUpdate != nil || got.Items.Data[0].Price.ID != f.price.ID {
				t.Fatalf("after the cancel: %v %+v", err, got)
			}
			voided, err := e.sc.Invoices.Get(inv.ID, &stripe.InvoiceParams{Expand: []*string{stripe.String("payment_intent")}})
			if err != nil || voided.Status != "void" || voided.PaymentIntent.Status != "canceled" {
				t.Fatalf("the pending update's invoice: %v %+v", err, voided)
			}
			if evs := eventsOf(t, e.sc, "invoice.voided", inv.ID); len(evs) != 1 {
				t.Errorf("invoice.voided: %d", len(evs))
			}
			if evs := eventsOf(t, e.sc, "customer.subscription.deleted", sub.ID); len(evs) != 1 || evs[0].Data.Object["pending_update"] != nil {
				t.Errorf("customer.subscription.deleted: %+v", evs)
			}
			if evs := eventsOf(t, e.sc, "customer.subscription.pending_update_expired", sub.ID); len(evs) != 0 {
				t.Errorf("pending_update_expired on a cancel: %d", len(evs))
			}
		})
	}
}
