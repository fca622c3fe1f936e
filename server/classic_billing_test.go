package server

import (
	"fmt"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// Classic billing mode (the only one of API 2024-06-20) for subscription
// changes with meter-based prices: Stripe's "Compare classic and flexible
// billing mode" page, quoted in ../shared/reference/api-versions.md §5.

const aug1 = int64(1722470400) // 2024-08-01, the end of t0's month

// callsPrice is a monthly metered price on the meter: unit cents per 100 calls.
func callsPrice(t *testing.T, sc *client.API, meterID string, unit int64, name string) *stripe.Price {
	t.Helper()
	p, err := sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(unit),
		TransformQuantity: &stripe.PriceTransformQuantityParams{DivideBy: stripe.Int64(100), Round: stripe.String("up")},
		Recurring:         &stripe.PriceRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered"), Meter: stripe.String(meterID)},
		ProductData:       &stripe.PriceProductDataParams{Name: stripe.String(name)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// calls reports n calls for the customer now (on its test clock).
func calls(t *testing.T, sc *client.API, customer string, n int) {
	t.Helper()
	if _, err := sendEvent(sc, "alpaca_ai_tokens", customer, fmt.Sprint(n), 0, ""); err != nil {
		t.Fatal(err)
	}
}

func upcoming(t *testing.T, sc *client.API, subID string) *stripe.Invoice {
	t.Helper()
	inv, err := sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Subscription: stripe.String(subID)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// renewalAsPreviewed advances the clock to a renewal and returns the invoice it
// made, which must be the upcoming invoice before it, line for line.
func renewalAsPreviewed(t *testing.T, sc *client.API, clockID, subID string, to int64) *stripe.Invoice {
	t.Helper()
	up := upcoming(t, sc, subID)
	advance(t, sc, clockID, to)
	inv := latestInvoice(t, sc, subID)
	if up.Total != inv.Total || lineSummary(up) != lineSummary(inv) {
		t.Errorf("the upcoming invoice (%d %s) is not the invoice made (%d %s)", up.Total, lineSummary(up), inv.Total, lineSummary(inv))
	}
	return inv
}

// lineSummary is "amount/quantity@period start" for every line.
func lineSummary(inv *stripe.Invoice) string {
	var out []string
	for _, l := range inv.Lines.Data {
		out = append(out, fmt.Sprintf("%d/%d@%d", l.Amount, l.Quantity, l.Period.Start))
	}
	return fmt.Sprint(out)
}

// switchExample is Stripe's example up to the switch: a subscription to Price
// A (0.10 per 100 calls; or a licensed seat), 1,000 calls on the 5th, and the
// clock on the 15th, when the item is to move to Price B (0.15 per 100).
type switchExample struct {
	e            *testEnv
	clockID, cus string
	sub          *stripe.Subscription
	item         string
	a, b         *stripe.Price
	at           int64 // the 15th
}

func newSwitchExample(t *testing.T, licensed bool) switchExample {
	t.Helper()
	x := switchExample{e: newEnvWithCard(t), at: t0.Unix() + 14*day}
	sc := x.e.sc
	x.clockID, x.cus = clockCustomer(t, sc, t0.Unix())
	m := alpacaMeter(t, sc)
	x.a = callsPrice(t, sc, m.ID, 10, "Calls A")
	if licensed {
		x.a = licensedPrice(t, sc, 1000, "month")
	}
	x.b = callsPrice(t, sc, m.ID, 15, "Calls B")
	x.sub = subscribe(t, sc, x.cus, &stripe.SubscriptionItemsParams{Price: stripe.String(x.a.ID)})
	x.item = x.sub.Items.Data[0].ID
	advance(t, sc, x.clockID, t0.Unix()+4*day)
	calls(t, sc, x.cus, 1000)
	advance(t, sc, x.clockID, x.at)
	return x
}

// Stripe's example: Price A 0.10 per 100 calls, 1,000 calls on the 5th, a
// switch to Price B 0.15 per 100 on the 15th, 500 calls on the 20th: "500 API
// calls at Price B ... Total invoice amount = 0.75"; the usage before the
// switch is not billed at all. A licensed item moved to a metered price counts
// its usage from the switch too.
func TestClassicPriceSwitchBillsOnlyUsageSinceTheSwitch(t *testing.T) {
	for _, from := range []string{"metered", "licensed"} {
		t.Run(from, func(t *testing.T) {
			x := newSwitchExample(t, from == "licensed")
			e, clockID, cus, sub, si, b, switchAt := x.e, x.clockID, x.cus, x.sub, x.item, x.b, x.at
			items := []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(si), Price: stripe.String(b.ID)}}
			pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items, ProrationBehavior: stripe.String("none")})
			if got := lineSummary(pv); got != fmt.Sprint([]string{fmt.Sprintf("0/0@%d", switchAt)}) {
				t.Errorf("preview of the switch: %s, want only Price B from the switch, at 0", got)
			}
			if _, err := e.sc.SubscriptionItems.Update(si, &stripe.SubscriptionItemParams{Price: stripe.String(b.ID), ProrationBehavior: stripe.String("none")}); err != nil {
				t.Fatal(err)
			}
			advance(t, e.sc, clockID, t0.Unix()+19*day)
			calls(t, e.sc, cus, 500)
			inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, aug1+2*3600)
			want := fmt.Sprint([]string{fmt.Sprintf("75/500@%d", switchAt)})
			if inv.BillingReason != "subscription_cycle" || inv.Total != 75 || lineSummary(inv) != want {
				t.Errorf("July invoice: %s %d %s, want %s", inv.BillingReason, inv.Total, lineSummary(inv), want)
			}
		})
	}
}

// A metered item added mid-period counts the usage reported from the moment
// it was added, not from the period start; added through the item endpoint or
// the subscription's items.
func TestClassicItemAddedMidPeriodCountsFromThen(t *testing.T) {
	for _, via := range []string{"subscription_items", "subscription"} {
		t.Run(via, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, t0.Unix())
			m := alpacaMeter(t, e.sc)
			tokens := alpacaPrice(t, e.sc, m.ID)
			seat := licensedPrice(t, e.sc, 1000, "month")
			sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
			advance(t, e.sc, clockID, t0.Unix()+2*day)
			calls(t, e.sc, cus, 30000) // before the item: never billed
			addedAt := t0.Unix() + 10*day
			advance(t, e.sc, clockID, addedAt)

			pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{
				{Price: stripe.String(tokens.ID)}}})
			if pv.Total != 1000 {
				t.Errorf("preview of the addition: %d %s, want the seat only", pv.Total, lineSummary(pv))
			}
			if via == "subscription" {
				_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(tokens.ID)}}})
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(sub.ID), Price: stripe.String(tokens.ID)}); err != nil {
				t.Fatal(err)
			}
			advance(t, e.sc, clockID, t0.Unix()+12*day)
			calls(t, e.sc, cus, 2000)
			inv := renewalAsPreviewed(t, e.sc, clockID, sub.ID, aug1+2*3600)
			want := fmt.Sprint([]string{fmt.Sprintf("1000/1@%d", aug1), fmt.Sprintf("8/2000@%d", addedAt)})
			if inv.Total != 1008 || lineSummary(inv) != want {
				t.Errorf("July invoice: %d %s, want %s", inv.Total, lineSummary(inv), want)
			}
		})
	}
}

// A meter-based item removed mid-period, by the item endpoint or by the
// subscription's items, bills nothing of its unbilled usage ("No invoice item
// or invoice is generated for unbilled usage"; "the invoice doesn't reflect
// any usage from that item"), with or without clear_usage. Legacy usage
// records keep their rule: billed with the period unless cleared.
func TestClassicRemovedMeteredItemBillsNothing(t *testing.T) {
	for _, tt := range []struct {
		name          string
		legacy, clear bool
		viaUpdate     bool
		want          int64 // the July invoice: the seat, plus any usage billed
	}{
		{name: "meter deleted", want: 1000},
		{name: "meter deleted with clear_usage", clear: true, want: 1000},
		{name: "meter subscription updated without it", viaUpdate: true, want: 1000},
		{name: "legacy deleted", legacy: true, want: 1000 + 2*150},
		{name: "legacy deleted with clear_usage", legacy: true, clear: true, want: 1000},
		{name: "legacy subscription updated without it", legacy: true, viaUpdate: true, want: 1000 + 2*150},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, t0.Unix())
			var usagePrice string
			if tt.legacy {
				usagePrice = e.do("POST", "/v1/prices", "currency=usd&unit_amount=2&product_data[name]=Calls&recurring[interval]=month&recurring[usage_type]=metered").json["id"].(string)
			} else {
				usagePrice = alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID).ID
			}
			seat := licensedPrice(t, e.sc, 1000, "month")
			sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)}, &stripe.SubscriptionItemsParams{Price: stripe.String(usagePrice)})
			metered := sub.Items.Data[1].ID
			advance(t, e.sc, clockID, t0.Unix()+3*day)
			if tt.legacy {
				if _, err := e.sc.UsageRecords.New(&stripe.UsageRecordParams{SubscriptionItem: stripe.String(metered), Quantity: stripe.Int64(150)}); err != nil {
					t.Fatal(err)
				}
			} else {
				calls(t, e.sc, cus, 150000) // 150 packages of 1,000 tokens: 600
			}
			advance(t, e.sc, clockID, t0.Unix()+5*day)
			pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{
				{ID: stripe.String(metered), Deleted: stripe.Bool(true), ClearUsage: stripe.Bool(tt.clear)}}, ProrationBehavior: stripe.String("none")})
			if pv.Total != tt.want {
				t.Errorf("preview: %d %s, want %d", pv.Total, lineSummary(pv), tt.want)
			}
			var err error
			if tt.viaUpdate {
				_, err = e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{ProrationBehavior: stripe.String("none"),
					Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(metered), Deleted: stripe.Bool(true), ClearUsage: stripe.Bool(tt.clear)}}})
			} else {
				_, err = e.sc.SubscriptionItems.Del(metered, &stripe.SubscriptionItemParams{ProrationBehavior: stripe.String("none"), ClearUsage: stripe.Bool(tt.clear)})
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.legacy {
				calls(t, e.sc, cus, 50000) // after the removal: no item counts it
			}
			advance(t, e.sc, clockID, aug1+2*3600)
			inv := latestInvoice(t, e.sc, sub.ID)
			if inv.BillingReason != "subscription_cycle" || inv.Total != tt.want || inv.Total != pv.Total {
				t.Errorf("July invoice %d %s, want %d as previewed", inv.Total, lineSummary(inv), tt.want)
			}
			if got := upcoming(t, e.sc, sub.ID); got.Total != 1000 {
				t.Errorf("August: %d %s, want the seat only", got.Total, lineSummary(got))
			}
		})
	}
}

// A legacy metered item (usage records, no meter) moved to another legacy
// price mid-period bills its usage so far at the old price with the period,
// and the usage since at the new one: on the upcoming invoice, on the draft
// the period's end makes, and on that draft once the grace hour has re-rated
// and finalized it, line for line (same line IDs).
func TestLegacySwitchedItemBillsBothPrices(t *testing.T) {
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	legacy := func(unit int) string {
		return e.do("POST", "/v1/prices", fmt.Sprintf("currency=usd&unit_amount=%d&product_data[name]=Calls&recurring[interval]=month&recurring[usage_type]=metered", unit)).json["id"].(string)
	}
	a, b := legacy(2), legacy(3)
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a)})
	si := sub.Items.Data[0].ID
	record := func(at int64, qty int64) {
		t.Helper()
		advance(t, e.sc, clockID, at)
		if _, err := e.sc.UsageRecords.New(&stripe.UsageRecordParams{SubscriptionItem: stripe.String(si), Quantity: stripe.Int64(qty)}); err != nil {
			t.Fatal(err)
		}
	}
	record(t0.Unix()+3*day, 100)
	switchAt := t0.Unix() + 5*day
	advance(t, e.sc, clockID, switchAt)
	if _, err := e.sc.SubscriptionItems.Update(si, &stripe.SubscriptionItemParams{Price: stripe.String(b), ProrationBehavior: stripe.String("none")}); err != nil {
		t.Fatal(err)
	}
	record(t0.Unix()+7*day, 10)
	want := fmt.Sprint([]string{fmt.Sprintf("30/10@%d", switchAt), fmt.Sprintf("200/100@%d", t0.Unix())})
	if up := upcoming(t, e.sc, sub.ID); lineSummary(up) != want {
		t.Errorf("upcoming: %s, want %s", lineSummary(up), want)
	}
	advance(t, e.sc, clockID, aug1)
	draft := latestInvoice(t, e.sc, sub.ID)
	if draft.Status != "draft" || lineSummary(draft) != want {
		t.Fatalf("the draft: %s %s, want %s", draft.Status, lineSummary(draft), want)
	}
	advance(t, e.sc, clockID, aug1+2*3600)
	final := latestInvoice(t, e.sc, sub.ID)
	if final.ID != draft.ID || final.Status != "paid" || lineSummary(final) != want || final.Total != 230 {
		t.Fatalf("finalized: %s %s %d, want %s", final.Status, lineSummary(final), final.Total, want)
	}
	for i, l := range final.Lines.Data {
		if l.ID != draft.Lines.Data[i].ID || l.Price.ID != draft.Lines.Data[i].Price.ID {
			t.Errorf("line %d: %s at %s, was %s at %s", i, l.ID, l.Price.ID, draft.Lines.Data[i].ID, draft.Lines.Data[i].Price.ID)
		}
	}
}

// Adding a metered item with proration_behavior=always_invoice makes an
// invoice at once with a line of 0 for it (classic: "A 0 GBP line item is
// generated on the invoice for the usage-based item"), as the preview shows;
// create_prorations makes no invoice.
func TestClassicAlwaysInvoiceAddsZeroLine(t *testing.T) {
	for _, via := range []string{"subscription_items", "subscription"} {
		t.Run(via, func(t *testing.T) {
			e := newEnvWithCard(t)
			clockID, cus := clockCustomer(t, e.sc, t0.Unix())
			tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
			seat := licensedPrice(t, e.sc, 1000, "month")
			sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
			first := sub.LatestInvoice.ID
			at := t0.Unix() + 10*day
			advance(t, e.sc, clockID, at)
			want := fmt.Sprint([]string{fmt.Sprintf("0/0@%d", at)})

			pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{ProrationBehavior: stripe.String("always_invoice"),
				Items: []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{Price: stripe.String(tokens.ID)}}})
			if pv.BillingReason != "subscription_update" || lineSummary(pv) != want {
				t.Errorf("preview: %s %s, want %s", pv.BillingReason, lineSummary(pv), want)
			}
			if via == "subscription" {
				_, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{ProrationBehavior: stripe.String("always_invoice"),
					Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(tokens.ID)}}})
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(sub.ID),
				Price: stripe.String(tokens.ID), ProrationBehavior: stripe.String("always_invoice")}); err != nil {
				t.Fatal(err)
			}
			inv := latestInvoice(t, e.sc, sub.ID)
			if inv.ID == first || inv.BillingReason != "subscription_update" || lineSummary(inv) != want || inv.Status != "paid" ||
				inv.Lines.Data[0].Price.ID != tokens.ID || inv.Lines.Data[0].Period.End != aug1 || inv.Lines.Data[0].Type != "subscription" {
				t.Errorf("invoice: %s %s %s %+v", inv.BillingReason, lineSummary(inv), inv.Status, inv.Lines.Data)
			}
		})
	}
	// create_prorations: no invoice for the addition.
	e := newEnvWithCard(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	tokens := alpacaPrice(t, e.sc, alpacaMeter(t, e.sc).ID)
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(licensedPrice(t, e.sc, 1000, "month").ID)})
	advance(t, e.sc, clockID, t0.Unix()+10*day)
	if _, err := e.sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(sub.ID), Price: stripe.String(tokens.ID)}); err != nil {
		t.Fatal(err)
	}
	if inv := latestInvoice(t, e.sc, sub.ID); inv.ID != sub.LatestInvoice.ID {
		t.Errorf("create_prorations made invoice %s %s", inv.BillingReason, lineSummary(inv))
	}
}

// The classic workaround: a price switch with billing_cycle_anchor=now bills
// the usage reported so far at the old price at once, and the new cycle counts
// the new price from then.
func TestClassicAnchorNowBillsOldPriceUsage(t *testing.T) {
	x := newSwitchExample(t, false)
	e, clockID, cus, sub, si, a, b, at := x.e, x.clockID, x.cus, x.sub, x.item, x.a, x.b, x.at
	items := []*stripe.InvoiceCreatePreviewSubscriptionDetailsItemParams{{ID: stripe.String(si), Price: stripe.String(b.ID)}}
	pv := preview(t, e.sc, sub.ID, &stripe.InvoiceCreatePreviewSubscriptionDetailsParams{Items: items, BillingCycleAnchorNow: stripe.Bool(true)})
	want := fmt.Sprint([]string{fmt.Sprintf("100/1000@%d", t0.Unix())})
	if pv.BillingReason != "subscription_update" || lineSummary(pv) != want || pv.Lines.Data[0].Price.ID != a.ID {
		t.Errorf("preview: %s %s, want %s at Price A", pv.BillingReason, lineSummary(pv), want)
	}
	got, err := e.sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{BillingCycleAnchorNow: stripe.Bool(true),
		Items: []*stripe.SubscriptionItemsParams{{ID: stripe.String(si), Price: stripe.String(b.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	inv := latestInvoice(t, e.sc, sub.ID)
	if inv.BillingReason != "subscription_update" || lineSummary(inv) != want || inv.Lines.Data[0].Price.ID != a.ID || inv.Lines.Data[0].Period.End != at {
		t.Errorf("invoice at once: %s %s, want %s at Price A", inv.BillingReason, lineSummary(inv), want)
	}
	if got.CurrentPeriodStart != at || got.BillingCycleAnchor != at {
		t.Errorf("new cycle: %d anchor %d", got.CurrentPeriodStart, got.BillingCycleAnchor)
	}
	advance(t, e.sc, clockID, at+5*day)
	calls(t, e.sc, cus, 500)
	advance(t, e.sc, clockID, got.CurrentPeriodEnd+2*3600)
	next := latestInvoice(t, e.sc, sub.ID)
	if want := fmt.Sprint([]string{fmt.Sprintf("75/500@%d", at)}); lineSummary(next) != want {
		t.Errorf("next cycle: %s, want %s", lineSummary(next), want)
	}
}
