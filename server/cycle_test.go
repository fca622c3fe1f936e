package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
	"github.com/stripe/stripe-go/v79/webhook"
)

// receiver is a webhook endpoint that verifies every delivery with stripe-go.
type receiver struct {
	t      *testing.T
	ts     *httptest.Server
	mu     sync.Mutex
	secret string
	events []stripe.Event
	bad    []string
	status int // what to answer (200 by default)
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, status: 200}
	r.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.status != 200 {
			w.WriteHeader(r.status)
			return
		}
		ev, err := webhook.ConstructEvent(body, req.Header.Get("Stripe-Signature"), r.secret)
		if err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(400)
			return
		}
		r.events = append(r.events, ev)
	}))
	t.Cleanup(r.ts.Close)
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, string(ev.Type))
	}
	return out
}

// waitFor polls until the receiver has seen the event types (in order among what it saw).
func (r *receiver) waitFor(types ...string) []string {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.types()
		if containsInOrder(got, types) {
			return got
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			bad := r.bad
			r.mu.Unlock()
			r.t.Fatalf("webhooks: wanted %v in order, got %v (rejected: %v)", types, got, bad)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func (e *testEnv) webhookTo(t *testing.T, r *receiver, events ...string) {
	t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	ep, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(r.ts.URL), EnabledEvents: stripe.StringSlice(events)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("secret: %q", ep.Secret)
	}
	r.secret = ep.Secret
}

func advance(t *testing.T, sc *client.API, clockID string, to int64) {
	t.Helper()
	c, err := sc.TestHelpersTestClocks.Advance(clockID, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(to)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != "advancing" || c.StatusDetails.Advancing.TargetFrozenTime != to {
		t.Fatalf("advance response: %+v", c)
	}
	got, err := sc.TestHelpersTestClocks.Get(clockID, nil)
	if err != nil || got.Status != "ready" || got.FrozenTime != to {
		t.Fatalf("clock after advance: %v %+v", err, got)
	}
}

func customerInvoices(t *testing.T, sc *client.API, customer string) []*stripe.Invoice {
	t.Helper()
	it := sc.Invoices.List(&stripe.InvoiceListParams{Customer: stripe.String(customer)})
	var out []*stripe.Invoice
	for it.Next() {
		out = append(out, it.Invoice())
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return out
}

// The guide's "billed at the end of the month in arrears", on a test clock.
func TestAlpacaMonthOnATestClock(t *testing.T) { acrossFrontEnds(t, testAlpacaMonthOnATestClock) }

func testAlpacaMonthOnATestClock(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	rcv := newReceiver(t)
	e.webhookTo(t, rcv)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix()), Name: stripe.String("July")})
	if err != nil {
		t.Fatal(err)
	}
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	cus, err := e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe"), TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if cus.TestClock == nil || cus.TestClock.ID != clock.ID || cus.Created != t0.Unix() {
		t.Fatalf("customer on the clock: %+v", cus)
	}
	// The real time moves on; the customer's world does not.
	e.clock.Set(time.Now())
	sub := subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	if sub.CurrentPeriodStart != t0.Unix() || sub.CurrentPeriodEnd != 1722470400 || sub.TestClock.ID != clock.ID {
		t.Fatalf("subscription on the clock: %d %d", sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
	}
	// The first invoice: nothing to pay, paid at once.
	first := customerInvoices(t, e.sc, cus.ID)
	if len(first) != 1 || first[0].BillingReason != "subscription_create" || first[0].Status != "paid" || first[0].Total != 0 || sub.LatestInvoice.ID != first[0].ID {
		t.Fatalf("first invoice: %+v", first)
	}
	// 3000 tokens in July (the default timestamp is the clock's time).
	ev, err := sendEvent(e.sc, "alpaca_ai_tokens", cus.ID, "3000", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Timestamp != t0.Unix() {
		t.Errorf("event timestamp on the clock: %d", ev.Timestamp)
	}
	// A month later: the July invoice, a draft for an hour.
	aug1 := int64(1722470400)
	advance(t, e.sc, clock.ID, aug1)
	invs := customerInvoices(t, e.sc, cus.ID)
	if len(invs) != 2 {
		t.Fatalf("invoices after a month: %d", len(invs))
	}
	july := invs[0]
	if july.BillingReason != "subscription_cycle" || july.Status != "draft" || july.Total != 12 || july.Created != aug1 ||
		july.PeriodStart != t0.Unix() || july.PeriodEnd != aug1 || len(july.Lines.Data) != 1 || july.AutomaticallyFinalizesAt != aug1+3600 {
		t.Fatalf("July's invoice: %+v", july)
	}
	l := july.Lines.Data[0]
	if l.Quantity != 3000 || l.Amount != 12 || l.Period.Start != t0.Unix() || l.Period.End != aug1 || !strings.HasPrefix(l.ID, "il_") {
		t.Errorf("July's line: %+v", l)
	}
	s2, _ := e.sc.Subscriptions.Get(sub.ID, nil)
	if s2.CurrentPeriodStart != aug1 || s2.CurrentPeriodEnd != 1725148800 || s2.LatestInvoice.ID != july.ID {
		t.Errorf("period rolled over: %d %d latest %s", s2.CurrentPeriodStart, s2.CurrentPeriodEnd, s2.LatestInvoice.ID)
	}
	// August starts from 0.
	up, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus.ID)})
	if err != nil || up.Lines.Data[0].Quantity != 0 {
		t.Fatalf("August so far: %v %+v", err, up)
	}
	// After the grace period: finalized; 12 cents is under the minimum charge, so
	// it is not charged: marked paid, and carried to the customer's balance.
	advance(t, e.sc, clock.ID, aug1+3600)
	july, err = e.sc.Invoices.Get(july.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if july.Status != "paid" || !july.Paid || july.AmountPaid != 0 || july.AmountDue != 12 || july.EndingBalance != 12 ||
		july.StatusTransitions.FinalizedAt != aug1+3600 || july.StatusTransitions.PaidAt != aug1+3600 || july.Number == "" {
		t.Fatalf("finalized July: %+v %+v", july, july.StatusTransitions)
	}
	c2, _ := e.sc.Customers.Get(cus.ID, nil)
	if c2.Balance != 12 {
		t.Fatalf("customer balance: %d", c2.Balance)
	}
	// August's upcoming invoice carries the 12 cents.
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus.ID, "2000", 0, ""); err != nil {
		t.Fatal(err)
	}
	up, err = e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus.ID)})
	if err != nil || up.StartingBalance != 12 || up.Total != 8 || up.AmountDue != 20 {
		t.Fatalf("August's upcoming invoice: %v %+v", err, up)
	}
	// The webhook receiver verified every delivery with stripe-go and saw the
	// invoice created, then finalized, then paid.
	got := rcv.waitFor("customer.created", "customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid",
		"test_helpers.test_clock.advancing", "invoice.upcoming", "invoice.created", "test_helpers.test_clock.ready",
		"test_helpers.test_clock.advancing", "invoice.finalized", "invoice.paid", "test_helpers.test_clock.ready")
	for _, want := range []string{"invoice.upcoming", "customer.updated", "customer.subscription.updated", "billing.meter.created", "price.created"} {
		if !containsInOrder(got, []string{want}) {
			t.Errorf("no %s event: %v", want, got)
		}
	}
}

// Usage reported for the old period during the grace period is billed on its invoice.
func TestLateUsageWithinGracePeriod(t *testing.T) {
	e := newEnv(t)
	clock, _ := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	cus, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus.ID, "3000", 0, ""); err != nil {
		t.Fatal(err)
	}
	aug1 := int64(1722470400)
	advance(t, e.sc, clock.ID, aug1+60)
	// Late: timestamped in July, sent after July ended, within the hour.
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus.ID, "1500", aug1-100, ""); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clock.ID, aug1+7200)
	invs := customerInvoices(t, e.sc, cus.ID)
	if invs[0].Total != 20 || invs[0].Lines.Data[0].Quantity != 4500 || invs[0].Status != "paid" {
		t.Fatalf("late usage: total %d qty %d %s", invs[0].Total, invs[0].Lines.Data[0].Quantity, invs[0].Status)
	}
}

func TestChargeAboveMinimumAndBalanceUse(t *testing.T) {
	e := newEnvWithCard(t)
	clock, _ := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	cus, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID), Balance: stripe.Int64(30)})
	seats := licensedPrice(t, e.sc, 1000, "month")
	s := subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID)})
	// The first invoice charges the first month in advance, plus the 30 owed.
	first, _ := e.sc.Invoices.Get(s.LatestInvoice.ID, nil)
	if first.Status != "paid" || first.AmountPaid != 1030 || first.StartingBalance != 30 || first.EndingBalance != 0 || first.Lines.Data[0].Period.Start != t0.Unix() {
		t.Fatalf("first invoice: %+v", first)
	}
	if c, _ := e.sc.Customers.Get(cus.ID, nil); c.Balance != 0 || c.NextInvoiceSequence != 2 {
		t.Errorf("customer after the first invoice: %+v", c)
	}
	advance(t, e.sc, clock.ID, 1722470400+3600)
	invs := customerInvoices(t, e.sc, cus.ID)
	if len(invs) != 2 || invs[0].AmountPaid != 1000 || invs[0].Lines.Data[0].Period.Start != 1722470400 || invs[0].Attempted != true {
		t.Fatalf("second invoice: %+v", invs[0])
	}
	if !strings.HasSuffix(invs[0].Number, "-0002") || !strings.HasSuffix(invs[1].Number, "-0001") {
		t.Errorf("numbers: %s %s", invs[1].Number, invs[0].Number)
	}
}

func TestSendInvoiceCollection(t *testing.T) {
	e := newEnv(t)
	clock, _ := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	cus, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	seats := licensedPrice(t, e.sc, 5000, "month")
	s, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus.ID), CollectionMethod: stripe.String("send_invoice"),
		DaysUntilDue: stripe.Int64(7), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seats.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := e.sc.Invoices.Get(s.LatestInvoice.ID, nil)
	if first.Status != "open" || first.DueDate != t0.Unix()+7*86400 || first.AmountRemaining != 5000 || first.CollectionMethod != "send_invoice" {
		t.Fatalf("sent invoice: %+v", first)
	}
	// Past its due date unpaid: the subscription is past_due.
	advance(t, e.sc, clock.ID, t0.Unix()+8*86400)
	if sub, _ := e.sc.Subscriptions.Get(s.ID, nil); sub.Status != "past_due" {
		t.Errorf("status after the due date: %s", sub.Status)
	}
	paid, err := e.sc.Invoices.Pay(first.ID, &stripe.InvoicePayParams{PaidOutOfBand: stripe.Bool(true)})
	if err != nil || paid.Status != "paid" || !paid.PaidOutOfBand {
		t.Fatalf("paid out of band: %v %+v", err, paid)
	}
	if sub, _ := e.sc.Subscriptions.Get(s.ID, nil); sub.Status != "active" {
		t.Errorf("status once paid: %s", sub.Status)
	}
	_, err = e.sc.Invoices.Pay(first.ID, nil)
	wantErr(t, err, 400, "invoice_already_paid", "")
	_, err = e.sc.Invoices.VoidInvoice(first.ID, nil)
	wantErr(t, err, 400, "invoice_not_open", "")
}

func TestCancelAtPeriodEndAndInvoiceNow(t *testing.T) {
	e := newEnvWithCard(t)
	clock, _ := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	m := alpacaMeter(t, e.sc)
	price := alpacaPrice(t, e.sc, m.ID)
	a, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	b, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	sa := subscribe(t, e.sc, a.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	sb := subscribe(t, e.sc, b.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	for _, cus := range []string{a.ID, b.ID} {
		if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "25000", 0, ""); err != nil { // $1.00
			t.Fatal(err)
		}
	}
	if _, err := e.sc.Subscriptions.Update(sa.ID, &stripe.SubscriptionParams{CancelAtPeriodEnd: stripe.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	advance(t, e.sc, clock.ID, t0.Unix()+10*86400)
	// Canceled now with invoice_now: the usage so far is billed at once.
	c, err := e.sc.Subscriptions.Cancel(sb.ID, &stripe.SubscriptionCancelParams{InvoiceNow: stripe.Bool(true)})
	if err != nil || c.Status != "canceled" || c.LatestInvoice == nil {
		t.Fatalf("cancel: %v %+v", err, c)
	}
	final, _ := e.sc.Invoices.Get(c.LatestInvoice.ID, nil)
	if final.Status != "paid" || final.Total != 100 || final.PeriodEnd != t0.Unix()+10*86400 || final.AmountPaid != 100 {
		t.Fatalf("final invoice: %+v", final)
	}
	advance(t, e.sc, clock.ID, 1722470400+7200)
	sa2, _ := e.sc.Subscriptions.Get(sa.ID, nil)
	if sa2.Status != "canceled" || sa2.EndedAt != 1722470400 {
		t.Fatalf("ended at period end: %s %d", sa2.Status, sa2.EndedAt)
	}
	last, _ := e.sc.Invoices.Get(sa2.LatestInvoice.ID, nil)
	if last.Total != 100 || last.Status != "paid" {
		t.Fatalf("last invoice: %+v", last)
	}
	if invs := customerInvoices(t, e.sc, b.ID); len(invs) != 2 {
		t.Errorf("a canceled subscription went on billing: %d invoices", len(invs))
	}
}

func TestTestClockRulesAndDelete(t *testing.T) {
	e := newEnvWithCard(t)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix()), Name: stripe.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "test_helpers.test_clock", e.do("GET", "/v1/test_helpers/test_clocks/"+clock.ID, "").body)
	if clock.DeletesAfter != clock.Created+7*86400 || clock.Status != "ready" || clock.Name != "c" {
		t.Errorf("clock: %+v", clock)
	}
	_, err = e.sc.TestHelpersTestClocks.Advance(clock.ID, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(t0.Unix() - 1)})
	wantErr(t, err, 400, "parameter_invalid", "frozen_time")
	// No subscription: at most two years.
	_, err = e.sc.TestHelpersTestClocks.Advance(clock.ID, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(t0.AddDate(2, 0, 1).Unix())})
	wantErr(t, err, 400, "parameter_invalid", "frozen_time")
	cus, _ := e.sc.Customers.New(&stripe.CustomerParams{TestClock: stripe.String(clock.ID)})
	daily := e.do("POST", "/v1/prices", "currency=usd&unit_amount=5000&product_data[name]=d&recurring[interval]=day").json["id"].(string)
	s := subscribe(t, e.sc, cus.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(daily)})
	// Two intervals of the shortest subscription: two days.
	_, err = e.sc.TestHelpersTestClocks.Advance(clock.ID, &stripe.TestHelpersTestClockAdvanceParams{FrozenTime: stripe.Int64(t0.Unix() + 2*86400 + 1)})
	se := wantErr(t, err, 400, "parameter_invalid", "frozen_time")
	if !strings.Contains(se.Msg, "two intervals") {
		t.Errorf("message: %q", se.Msg)
	}
	advance(t, e.sc, clock.ID, t0.Unix()+2*86400)
	if invs := customerInvoices(t, e.sc, cus.ID); len(invs) != 3 {
		t.Errorf("daily renewals: %d invoices", len(invs))
	}
	other, _ := e.sc.Customers.New(nil)
	del, err := e.sc.TestHelpersTestClocks.Del(clock.ID, nil)
	if err != nil || !del.Deleted {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if got, _ := e.sc.Customers.Get(cus.ID, nil); !got.Deleted {
		t.Errorf("the clock's customer survived")
	}
	_, err = e.sc.Subscriptions.Get(s.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
	if got, err := e.sc.Customers.Get(other.ID, nil); err != nil || got.Deleted {
		t.Errorf("a customer off the clock was deleted")
	}
	_, err = e.sc.TestHelpersTestClocks.Get(clock.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
}

func TestRenewalOnTheEmulatorsClock(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	seats := licensedPrice(t, e.sc, 1000, "month")
	s := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID)})
	e.clock.Set(time.Unix(s.CurrentPeriodEnd+3600, 0))
	e.srv.tick()
	sub, _ := e.sc.Subscriptions.Get(s.ID, nil)
	if sub.CurrentPeriodStart != s.CurrentPeriodEnd {
		t.Fatalf("no rollover on the emulator's clock: %d", sub.CurrentPeriodStart)
	}
	inv, _ := e.sc.Invoices.Get(sub.LatestInvoice.ID, nil)
	if inv.Status != "paid" || inv.Created != s.CurrentPeriodEnd || inv.AmountPaid != 1000 {
		t.Fatalf("renewal invoice: %+v", inv)
	}
}
