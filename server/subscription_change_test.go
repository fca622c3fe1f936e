package server

import (
	"fmt"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

const day = int64(86400)

// clockCustomer makes a test clock frozen at start and a customer on it.
func clockCustomer(t *testing.T, sc *client.API, start int64) (string, string) {
	t.Helper()
	clock, err := sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(start)})
	if err != nil {
		t.Fatal(err)
	}
	cus, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("Clocked"), TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	return clock.ID, cus.ID
}

func lineAmounts(inv *stripe.Invoice) []int64 {
	var out []int64
	for _, l := range inv.Lines.Data {
		out = append(out, l.Amount)
	}
	return out
}

func latestInvoice(t *testing.T, sc *client.API, subID string) *stripe.Invoice {
	t.Helper()
	s, err := sc.Subscriptions.Get(subID, &stripe.SubscriptionParams{Params: stripe.Params{Expand: []*string{stripe.String("latest_invoice")}}})
	if err != nil {
		t.Fatal(err)
	}
	return s.LatestInvoice
}

func pendingAmounts(t *testing.T, sc *client.API, customer string) []int64 {
	t.Helper()
	it := sc.InvoiceItems.List(&stripe.InvoiceItemListParams{Customer: stripe.String(customer), Pending: stripe.Bool(true)})
	var out []int64
	for it.Next() {
		out = append(out, it.InvoiceItem().Amount)
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return out
}

// preview is the upcoming invoice of a subscription with a change described by
// subscription_details (as create_preview takes it).
func preview(t *testing.T, sc *client.API, subID string, details *stripe.InvoiceCreatePreviewSubscriptionDetailsParams) *stripe.Invoice {
	t.Helper()
	inv, err := sc.Invoices.CreatePreview(&stripe.InvoiceCreatePreviewParams{Subscription: stripe.String(subID), SubscriptionDetails: details})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// A licensed monthly plan switched to a yearly one on day 15 is billed at once:
// the credit for July's unused days and the full year in advance. The preview
// of the change shows the same invoice.
func TestIntervalChangeBillsAtOnce(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	monthly := licensedPrice(t, e.sc, 1000, "month")
	yearly := licensedPrice(t, e.sc, 10000, "year")
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(monthly.ID)})
	si := sub.Items.Data[0].ID
	at := t0.Unix() + 15*day
	advance(t, e.sc, clockID, at)

	items := []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(si), Price: stripe.String(yearly.ID)}}
	pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items})
	// July has 31 days: 16 unused → 1000·16/31 = 516.13 → 516 credited.
	if pv.Total != 10000-516 || pv.BillingReason != "subscription_update" || fmt.Sprint(lineAmounts(pv)) != "[-516 10000]" {
		t.Fatalf("preview: total %d reason %s lines %v", pv.Total, pv.BillingReason, lineAmounts(pv))
	}

	got, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(si), Price: stripe.String(yearly.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.BillingCycleAnchor != at || got.CurrentPeriodStart != at || got.CurrentPeriodEnd != at+365*day {
		t.Errorf("new cycle: anchor %d period %d-%d", got.BillingCycleAnchor, got.CurrentPeriodStart, got.CurrentPeriodEnd)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || inv.Total != pv.Total || fmt.Sprint(lineAmounts(inv)) != fmt.Sprint(lineAmounts(pv)) || inv.Status != "paid" {
		t.Errorf("invoice: reason %s total %d lines %v status %s", inv.BillingReason, inv.Total, lineAmounts(inv), inv.Status)
	}
	year := inv.Lines.Data[1]
	if year.Period.Start != at || year.Period.End != got.CurrentPeriodEnd || year.Proration {
		t.Errorf("the year in advance: %+v", year.Period)
	}
	if p := pendingAmounts(t, e.sc, cus); len(p) != 0 {
		t.Errorf("nothing stays pending: %v", p)
	}
	// The next invoice is a year later, for the next year.
	up, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Subscription: stripe.String(sub.ID)})
	if err != nil || up.Total != 10000 || up.PeriodEnd != got.CurrentPeriodEnd {
		t.Errorf("upcoming after the change: %v %d %d", err, up.Total, up.PeriodEnd)
	}
}

// Metered usage of the old period is billed when the interval changes.
func TestIntervalChangeBillsUsageSoFar(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	m := alpacaMeter(t, e.sc)
	monthly := alpacaPrice(t, e.sc, m.ID)
	yearly, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(3),
		TransformQuantity: &stripe.PriceTransformQuantityParams{DivideBy: stripe.Int64(1000), Round: stripe.String("up")},
		Recurring:         &stripe.PriceRecurringParams{Interval: stripe.String("year"), UsageType: stripe.String("metered"), Meter: stripe.String(m.ID)},
		ProductData:       &stripe.PriceProductDataParams{Name: stripe.String("Tokens yearly")}})
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(monthly.ID)})
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "100000", 0, ""); err != nil {
		t.Fatal(err)
	}
	at := t0.Unix() + 10*day
	advance(t, e.sc, clockID, at)
	if _, err := e.sc.SubscriptionItems.Update(sub.Items.Data[0].ID, &stripe.SubscriptionItemParams{Price: stripe.String(yearly.ID)}); err != nil {
		t.Fatal(err)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || inv.Total != 400 {
		t.Fatalf("usage so far: reason %s total %d lines %v", inv.BillingReason, inv.Total, lineAmounts(inv))
	}
	// The new year starts from zero.
	up, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Subscription: stripe.String(sub.ID)})
	if err != nil || up.Total != 0 {
		t.Errorf("upcoming: %v %d", err, up.Total)
	}
}

// always_invoice bills the prorations of a change at once.
func TestAlwaysInvoice(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	small := licensedPrice(t, e.sc, 1000, "month")
	big := licensedPrice(t, e.sc, 3100, "month")
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(small.ID)})
	si := sub.Items.Data[0].ID
	advance(t, e.sc, clockID, t0.Unix()+15*day)
	items := []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(si), Price: stripe.String(big.ID)}}
	pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items, ProrationBehavior: stripe.String("always_invoice")})
	// 16 of 31 days: -516 for the old price, +1600 for the new one.
	if fmt.Sprint(lineAmounts(pv)) != "[-516 1600]" || pv.BillingReason != "subscription_update" {
		t.Fatalf("preview: %v %s", lineAmounts(pv), pv.BillingReason)
	}
	if _, err := e.sc.SubscriptionItems.Update(si, &stripe.SubscriptionItemParams{Price: stripe.String(big.ID), ProrationBehavior: stripe.String("always_invoice")}); err != nil {
		t.Fatal(err)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || fmt.Sprint(lineAmounts(inv)) != "[-516 1600]" || inv.Total != 1084 {
		t.Errorf("invoice: %s %v", inv.BillingReason, lineAmounts(inv))
	}
	if p := pendingAmounts(t, e.sc, cus); len(p) != 0 {
		t.Errorf("pending after always_invoice: %v", p)
	}
	// create_prorations leaves them for the next invoice instead.
	if _, err := e.sc.SubscriptionItems.Update(si, &stripe.SubscriptionItemParams{Price: stripe.String(small.ID)}); err != nil {
		t.Fatal(err)
	}
	if p := pendingAmounts(t, e.sc, cus); len(p) != 2 {
		t.Errorf("pending after create_prorations: %v", p)
	}
}

// Ending a trial now starts the first paid period and bills it at once.
func TestTrialEndNowBillsAtOnce(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	price := licensedPrice(t, e.sc, 1000, "month")
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(14),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Unix() + 3*day
	advance(t, e.sc, clockID, at)
	r := e.do("POST", "/v1/invoices/create_preview", "subscription="+sub.ID+"&subscription_details[trial_end]=now")
	if r.status != 200 || r.json["total"] != float64(1000) || r.json["billing_reason"] != "subscription_update" {
		t.Fatalf("preview of trial_end=now: %s", r.body)
	}
	got, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{TrialEndNow: stripe.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "active" || got.TrialEnd != at || got.CurrentPeriodStart != at || got.CurrentPeriodEnd != at+31*day || got.BillingCycleAnchor != at {
		t.Errorf("after trial_end=now: %s trial_end %d period %d-%d", got.Status, got.TrialEnd, got.CurrentPeriodStart, got.CurrentPeriodEnd)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || inv.Total != 1000 || inv.Lines.Data[0].Period.Start != at || inv.Lines.Data[0].Period.End != at+31*day {
		t.Errorf("first paid period: %s %d %+v", inv.BillingReason, inv.Total, inv.Lines.Data[0].Period)
	}
}

// Resuming with billing_cycle_anchor=now (the default) bills the new period at once.
func TestResumeBillsAtOnce(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	price := licensedPrice(t, e.sc, 1000, "month")
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(7),
		TrialSettings: &stripe.SubscriptionTrialSettingsParams{EndBehavior: &stripe.SubscriptionTrialSettingsEndBehaviorParams{MissingPaymentMethod: stripe.String("pause")}},
		Items:         []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Unix() + 10*day
	advance(t, e.sc, clockID, at)
	if s, _ := e.sc.Subscriptions.Get(sub.ID, nil); s.Status != "paused" {
		t.Fatalf("after the trial: %s", s.Status)
	}
	got, err := e.sc.Subscriptions.Resume(sub.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "active" || got.CurrentPeriodStart != at || got.BillingCycleAnchor != at || got.CurrentPeriodEnd != at+31*day {
		t.Errorf("resumed: %s %d-%d", got.Status, got.CurrentPeriodStart, got.CurrentPeriodEnd)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || inv.Total != 1000 || inv.Status != "paid" {
		t.Errorf("resumption invoice: %s %d %s", inv.BillingReason, inv.Total, inv.Status)
	}
}

// Resuming with billing_cycle_anchor=unchanged charges the rest of the period.
func TestResumeUnchangedAnchorProrates(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	price := licensedPrice(t, e.sc, 3100, "month")
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(31),
		TrialSettings: &stripe.SubscriptionTrialSettingsParams{EndBehavior: &stripe.SubscriptionTrialSettingsEndBehaviorParams{MissingPaymentMethod: stripe.String("pause")}},
		Items:         []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	aug1 := int64(1722470400)
	advance(t, e.sc, clockID, aug1+10*day)
	got, err := e.sc.Subscriptions.Resume(sub.ID, &stripe.SubscriptionResumeParams{BillingCycleAnchor: stripe.String("unchanged"), ProrationBehavior: stripe.String("always_invoice")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "active" || got.CurrentPeriodEnd != aug1+31*day || got.BillingCycleAnchor != aug1 {
		t.Errorf("resumed: %s anchor %d period %d-%d", got.Status, got.BillingCycleAnchor, got.CurrentPeriodStart, got.CurrentPeriodEnd)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || inv.Total != 2100 { // 21 of 31 days of 3100
		t.Errorf("resumption invoice: %s %d %v", inv.BillingReason, inv.Total, lineAmounts(inv))
	}
}

// A trial that ends before the billing cycle anchor leads to a short period up
// to the anchor, prorated, then whole periods from it.
func TestTrialBeforeAnchorProrates(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	price := licensedPrice(t, e.sc, 1000, "month")
	anchor := t0.Unix() + 14*day // July 15
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(7),
		BillingCycleAnchor: stripe.Int64(anchor), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	trialEnd := t0.Unix() + 7*day
	advance(t, e.sc, clockID, trialEnd+3600)
	got, _ := e.sc.Subscriptions.Get(sub.ID, nil)
	if got.Status != "active" || got.CurrentPeriodStart != trialEnd || got.CurrentPeriodEnd != anchor {
		t.Errorf("after the trial: %s %d-%d, want %d-%d", got.Status, got.CurrentPeriodStart, got.CurrentPeriodEnd, trialEnd, anchor)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	// 7 days of June 15 → July 15 (30 days): 1000·7/30 = 233.3 → 233.
	if inv.Total != 233 || !inv.Lines.Data[0].Proration {
		t.Errorf("short period: %d %+v", inv.Total, inv.Lines.Data[0])
	}
	advance(t, e.sc, clockID, anchor+3600)
	inv = latestInvoice(t, e.sc, sub.ID)
	if inv.Total != 1000 || inv.PeriodStart != trialEnd || inv.Lines.Data[0].Period.Start != anchor || inv.Lines.Data[0].Period.End != 1723680000 {
		t.Errorf("first whole period: %d %+v", inv.Total, inv.Lines.Data[0].Period)
	}
}

// Renewal lines follow the anchor through short months: a Jan 31 anchor bills
// Feb 29 → Mar 31, not Feb 29 → Mar 29.
func TestRenewalLinesFollowTheAnchor(t *testing.T) {
	e := newEnvWithCard(t)
	jan31 := int64(1706702400) // 2024-01-31 12:00 UTC
	clockID, cus := clockCustomer(t, e.sc, jan31)
	price := licensedPrice(t, e.sc, 1000, "month")
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	feb29, mar31 := int64(1709208000), int64(1711886400)
	advance(t, e.sc, clockID, feb29+7200)
	got, _ := e.sc.Subscriptions.Get(sub.ID, nil)
	inv := latestInvoice(t, e.sc, sub.ID)
	l := inv.Lines.Data[0]
	if got.CurrentPeriodStart != feb29 || got.CurrentPeriodEnd != mar31 || l.Period.Start != feb29 || l.Period.End != mar31 {
		t.Errorf("period %d-%d, line %d-%d; want %d-%d", got.CurrentPeriodStart, got.CurrentPeriodEnd, l.Period.Start, l.Period.End, feb29, mar31)
	}
}

// Deleting a customer cancels their subscriptions: nothing bills afterwards.
func TestDeletingACustomerCancelsSubscriptions(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
	advance(t, e.sc, clockID, t0.Unix()+day)
	if _, err := e.sc.Customers.Del(cus, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.sc.Subscriptions.Get(sub.ID, nil)
	if err != nil || got.Status != "canceled" || got.EndedAt != t0.Unix()+day || got.CanceledAt != t0.Unix()+day {
		t.Fatalf("subscription of a deleted customer: %v %+v", err, got)
	}
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.*")})
	var types []string
	for it.Next() {
		types = append(types, string(it.Event().Type))
	}
	if fmt.Sprint(types[:2]) != "[customer.deleted customer.subscription.deleted]" {
		t.Errorf("events: %v", types)
	}
	advance(t, e.sc, clockID, t0.Unix()+40*day)
	invs := e.sc.Invoices.List(&stripe.InvoiceListParams{Subscription: stripe.String(sub.ID)})
	n := 0
	for invs.Next() {
		n++
	}
	if n != 1 {
		t.Errorf("invoices after the customer was deleted: %d, want only the first", n)
	}
}

// The emulator's bookkeeping (notices sent) makes no customer.subscription.updated.
func TestNoEmptySubscriptionUpdates(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	if _, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(7),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)}}}); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clockID, t0.Unix()+40*day)
	it := e.sc.Events.List(&stripe.EventListParams{})
	var types []string
	for it.Next() {
		ev := it.Event()
		types = append(types, string(ev.Type))
		if ev.Type == "customer.subscription.updated" && len(ev.Data.PreviousAttributes) == 0 {
			t.Errorf("an update with no previous_attributes: %s", ev.ID)
		}
	}
	if !contains2(fmt.Sprint(types), "customer.subscription.trial_will_end") || !contains2(fmt.Sprint(types), "invoice.upcoming") {
		t.Errorf("the notices are still sent: %v", types)
	}
}

// cancel_at in the middle of a period credits the unused time of licensed items.
func TestCancelAtCreditsUnusedTime(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 3100, "month").ID)})
	if _, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{CancelAt: stripe.Int64(t0.Unix() + 10*day)}); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clockID, t0.Unix()+11*day)
	got, _ := e.sc.Subscriptions.Get(sub.ID, nil)
	inv := latestInvoice(t, e.sc, sub.ID)
	if got.Status != "canceled" || inv.Total != -2100 || !inv.Lines.Data[0].Proration {
		t.Errorf("cancel_at: %s, final invoice %d %v", got.Status, inv.Total, lineAmounts(inv))
	}
	c, _ := e.sc.Customers.Get(cus, nil)
	if c.Balance != -2100 {
		t.Errorf("credit kept on the balance: %d", c.Balance)
	}
}

// Usage older than 24 hours is compacted to minutes, except around the times
// bills are cut at: a period that starts at :17 seconds still bills exactly the
// events from :17 on, days later.
func TestUsageCompactionKeepsBillsExact(t *testing.T) {
	e := newEnv(t)
	start := t0.Unix() + 17
	clockID, cus := clockCustomer(t, e.sc, start)
	m := alpacaMeter(t, e.sc)
	price, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1),
		Recurring:   &stripe.PriceRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(m.ID)},
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Calls")}})
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	// Before the period (same minute), at its start, after it, and later on.
	for i, ts := range []int64{t0.Unix() + 5, start, start + 20, start + 3600 + 7} {
		if i == 3 {
			advance(t, e.sc, clockID, start+7200)
		}
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "10", ts, fmt.Sprint("ev-", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Three days on, on both clocks; every account's usage is compacted.
	advance(t, e.sc, clockID, start+3*day)
	e.clock.Add(3 * 24 * time.Hour)
	for _, a := range e.srv.accounts.all() {
		a.usage.Expire(e.clock.Now().Unix())
	}
	up, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	if up.Total != 30 || up.Lines.Data[0].Quantity != 30 {
		t.Errorf("usage since the period start: %d (quantity %d), want 30", up.Total, up.Lines.Data[0].Quantity)
	}
}
