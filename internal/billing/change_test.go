package billing

import (
	"slices"
	"testing"
)

// TestChangeItem: the item endpoints are one item change through the
// update's path: an item added (counting from now, its rest of the period
// prorated), changed or removed, answered with that item. The path's item is
// looked up before its subscription.
func TestChangeItem(t *testing.T) {
	jul16 := july + 15*day
	s := newShop(t)
	cu, sub, items := s.subscribe(july, s.seat)
	u := s.unit(jul16)

	added, err := ChangeItem(u, ItemRequest{Subscription: Some(sub.ID), Item: ItemChange{Price: PriceRef{Price: Some(s.small.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	if added.ID == items[0].ID || added.Price != s.small.ID || added.Quantity != 1 || added.PriceSince != jul16 || added.Subscription != sub.ID {
		t.Errorf("the item added: %+v", added)
	}
	if p := pendingAmounts(t, u, cu.ID); !slices.Equal(p, []int64{516}) {
		t.Errorf("pending %v, want the rest of July for 1000: [516]", p)
	}

	changed, err := ChangeItem(u, ItemRequest{Item: ItemChange{ID: Some(added.ID), Quantity: Some(int64(3))}, ProrationBehavior: ProrationNone})
	if err != nil {
		t.Fatal(err)
	}
	if changed.ID != added.ID || changed.Quantity != 3 {
		t.Errorf("the item changed: %+v", changed)
	}

	removed, err := ChangeItem(u, ItemRequest{Item: ItemChange{ID: Some(added.ID), Deleted: true}, ProrationBehavior: ProrationNone})
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := ItemsOf(u.Tx(), sub.ID); removed.ID != added.ID || len(left) != 1 || left[0].ID != items[0].ID {
		t.Errorf("removed %s, left %+v", removed.ID, left)
	}

	for _, tc := range []struct {
		name        string
		in          ItemRequest
		param, code string
	}{
		{"an unknown item", ItemRequest{Item: ItemChange{ID: Some("si_missing"), Quantity: Some(int64(-1))}}, "id", "resource_missing"},
		{"an unknown subscription", ItemRequest{Subscription: Some("sub_missing"), Item: ItemChange{Price: PriceRef{Price: Some(s.small.ID)}}},
			"subscription", "resource_missing"},
		{"no price", ItemRequest{Subscription: Some(sub.ID)}, "", "parameter_missing"},
		{"a negative quantity", ItemRequest{Item: ItemChange{ID: Some(items[0].ID), Quantity: Some(int64(-1))}}, "quantity", "parameter_invalid"},
		{"the last item removed", ItemRequest{Item: ItemChange{ID: Some(items[0].ID), Deleted: true}}, "items", "parameter_invalid"},
		{"proration_date outside the period", ItemRequest{Item: ItemChange{ID: Some(items[0].ID), Quantity: Some(int64(2))}, ProrationDate: Some(august + 1)},
			"proration_date", "parameter_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ChangeItem(u, tc.in)
			wantErr(t, err, tc.param, tc.code)
		})
	}

	t.Run("a canceled subscription", func(t *testing.T) {
		if _, err := Cancel(u, CancelRequest{Subscription: sub.ID, InvoiceNow: Some(false)}); err != nil {
			t.Fatal(err)
		}
		_, err := ChangeItem(u, ItemRequest{Item: ItemChange{ID: Some(items[0].ID), Quantity: Some(int64(2))}})
		wantErr(t, err, "subscription", "")
	})
}

// TestUpdateSubscriptionChecks: an update's faults, the first one's error
// first: the subscription, each item change in order (its id, its price, its
// quantity), the items as a whole, the settings, proration_date, trial_end,
// add_invoice_items.
func TestUpdateSubscriptionChecks(t *testing.T) {
	jul16 := july + 15*day
	for _, tc := range []struct {
		name        string
		in          func(s *shop, items []*Item, in *SubscriptionChange)
		param, code string
	}{
		{name: "an unknown subscription", param: "id", code: "resource_missing",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) { in.Subscription = "sub_missing" }},
		{name: "an unknown item in items[0], and a bad price in items[1]", param: "items[0][id]", code: "resource_missing",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{{Param: "items[0]", ID: Some("si_missing")}, item(1, "price_missing")}
			}},
		{name: "deleted without an id", param: "items[0][id]", code: "parameter_missing",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{{Param: "items[0]", Deleted: true}}
			}},
		{name: "an item's unknown price, and days_until_due out of range", param: "items[0][price]", code: "resource_missing",
			in: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Price = PriceRef{Price: Some("price_missing")}
				in.Settings.DaysUntilDue = Some(int64(-1))
			}},
		{name: "an item's negative quantity", param: "items[0][quantity]", code: "parameter_invalid",
			in: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0])}
				in.Items[0].Quantity = Some(int64(-1))
			}},
		{name: "an item moved to the price of another", param: "items", code: "parameter_invalid",
			in: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[1])}
				in.Items[0].Price = PriceRef{Price: Some(s.seat.ID)}
			}},
		{name: "an item added of a price already there", param: "items[0][price]", code: "parameter_invalid",
			in: func(s *shop, _ []*Item, in *SubscriptionChange) { in.Items = []ItemChange{item(0, s.seat.ID)} }},
		{name: "every item removed", param: "items", code: "parameter_invalid",
			in: func(_ *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0]), changeOf(1, items[1])}
				in.Items[0].Deleted, in.Items[1].Deleted = true, true
			}},
		{name: "another currency through the items", param: "items", code: "parameter_invalid",
			in: func(s *shop, items []*Item, in *SubscriptionChange) {
				in.Items = []ItemChange{changeOf(0, items[0]), changeOf(1, items[1])}
				in.Items[0].Price, in.Items[1].Deleted = PriceRef{Price: Some(s.eur.ID)}, true
			}},
		{name: "days_until_due out of range, and proration_date outside the period", param: "days_until_due", code: "parameter_invalid",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.Settings.DaysUntilDue, in.ProrationDate = Some(int64(-1)), Some(july-1)
			}},
		{name: "proration_date outside the period, and trial_end in the past", param: "proration_date", code: "parameter_invalid",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.ProrationDate, in.TrialEnd = Some(july-1), Some(Moment{At: july})
			}},
		{name: "trial_end in the past, and an unknown add_invoice_items price", param: "trial_end", code: "parameter_invalid",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.TrialEnd = Some(Moment{At: july})
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some("price_missing")}}}
			}},
		{name: "an unknown add_invoice_items price", param: "add_invoice_items[0][price]", code: "resource_missing",
			in: func(_ *shop, _ []*Item, in *SubscriptionChange) {
				in.AddInvoiceItems = []AddInvoiceItem{{Param: "add_invoice_items[0]", Price: PriceRef{Price: Some("price_missing")}}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newShop(t)
			_, sub, items := s.subscribe(july, s.seat, s.small)
			in := SubscriptionChange{Subscription: sub.ID}
			tc.in(s, items, &in)
			_, err := UpdateSubscription(s.unit(jul16), in)
			wantErr(t, err, tc.param, tc.code)
		})
	}
	t.Run("a canceled subscription", func(t *testing.T) {
		s := newShop(t)
		_, sub, _ := s.subscribe(july, s.seat)
		u := s.unit(jul16)
		if _, err := Cancel(u, CancelRequest{Subscription: sub.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := UpdateSubscription(u, SubscriptionChange{Subscription: sub.ID})
		wantErr(t, err, "", "")
	})
}

// TestUpdateSubscriptionSettings: an update sets what it gives and keeps the
// rest: cancel_at_period_end (canceled_at when asked), cancel_at (cleared by
// cancel_at=), the cancellation details, metadata.
func TestUpdateSubscriptionSettings(t *testing.T) {
	jul16 := july + 15*day
	s := newShop(t)
	_, sub, _ := s.subscribe(july, s.seat)
	u := s.unit(jul16)
	got, err := UpdateSubscription(u, SubscriptionChange{Subscription: sub.ID, Settings: SubscriptionSettings{CancelAtPeriodEnd: Some(true),
		Description: Some("team")}, Cancellation: CancellationDetails{Given: true, Comment: Some("moving")}})
	if err != nil {
		t.Fatal(err)
	}
	if !got.CancelAtPeriodEnd || got.CanceledAt != jul16 || got.EffectiveCancelAt() != august || got.Description != "team" || got.CancelComment != "moving" {
		t.Errorf("cancel at period end: %v, canceled %d, cancel at %d, %q, %q", got.CancelAtPeriodEnd, got.CanceledAt, got.EffectiveCancelAt(), got.Description, got.CancelComment)
	}
	got, err = UpdateSubscription(u, SubscriptionChange{Subscription: sub.ID, Settings: SubscriptionSettings{CancelAt: Some(jul16 + day)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.CancelAtPeriodEnd || got.CancelAt != jul16+day || got.Description != "team" || got.CancelComment != "moving" {
		t.Errorf("cancel_at: at period end %v, at %d, %q, %q", got.CancelAtPeriodEnd, got.CancelAt, got.Description, got.CancelComment)
	}
	got, err = UpdateSubscription(u, SubscriptionChange{Subscription: sub.ID, Settings: SubscriptionSettings{CancelAt: Opt[int64]{Clear: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.CancelAt != 0 || got.EffectiveCancelAt() != 0 {
		t.Errorf("cancel_at= left %d", got.CancelAt)
	}
}
