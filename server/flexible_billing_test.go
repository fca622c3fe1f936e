package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// Flexible billing mode (2025-06-30.basil; the default from
// 2025-09-30.clover) through stripe-go, at the versions that have it: the
// rows of Stripe's "Compare classic and flexible billing mode" that the
// emulator implements (api-versions.md §5).

// versionTransport sends every request at one API version.
type versionTransport struct {
	version string
	next    http.RoundTripper
}

func (vt versionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Stripe-Version", vt.version)
	return vt.next.RoundTrip(req)
}

// clientAt is a stripe-go client for the env's key whose requests name
// version (stripe-go v79 pins 2024-06-20; the objects it decodes keep the
// fields both versions share).
func (e *testEnv) clientAt(version string) *client.API {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(e.url),
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient: &http.Client{Timeout: 20 * time.Second,
			Transport: versionTransport{version: version, next: recordingTransport{next: http.DefaultTransport, rec: e.shapes}}},
	}
	return client.New(e.key, stripe.NewBackendsWithConfig(cfg))
}

// subscribeIn creates a subscription in a billing mode ("": the version's
// default).
func subscribeIn(t *testing.T, sc *client.API, mode, customer string, items ...*stripe.SubscriptionItemsParams) *stripe.Subscription {
	t.Helper()
	params := &stripe.SubscriptionParams{Customer: stripe.String(customer), Items: items}
	if mode != "" {
		params.AddExtra("billing_mode[type]", mode)
	}
	s, err := sc.Subscriptions.New(params)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Stripe's example in both modes, at 2025-06-30.basil: Price A 0.10 per 100
// calls, 1,000 calls on the 5th, a switch to Price B 0.15 per 100 on the
// 15th, 500 calls on the 20th. Classic: "Total invoice amount = 0.75".
// Flexible: "1000 API calls at Price A ... 500 API calls at Price B ...
// Total invoice amount = 1.75", the usage at A as an invoice item made by the
// switch.
func TestFlexiblePriceSwitchBillsEachUsageAtItsPrice(t *testing.T) {
	for _, tt := range []struct {
		mode    string
		pending []int64
		total   int64
	}{
		{"classic", nil, 75},
		{"flexible", []int64{100}, 175},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			e := newEnv(t)
			sc := e.clientAt("2025-06-30.basil")
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			m := alpacaMeter(t, sc)
			a, b := callsPrice(t, sc, m.ID, 10, "Calls A"), callsPrice(t, sc, m.ID, 15, "Calls B")
			sub := subscribeIn(t, sc, tt.mode, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(a.ID)})
			advance(t, sc, clockID, t0.Unix()+4*day)
			calls(t, sc, cus, 1000)
			advance(t, sc, clockID, t0.Unix()+14*day)
			if _, err := sc.SubscriptionItems.Update(sub.Items.Data[0].ID, &stripe.SubscriptionItemParams{Price: stripe.String(b.ID)}); err != nil {
				t.Fatal(err)
			}
			if got := pendingAmounts(t, sc, cus); !slices.Equal(got, tt.pending) {
				t.Errorf("pending after the switch %v, want %v", got, tt.pending)
			}
			advance(t, sc, clockID, t0.Unix()+19*day)
			calls(t, sc, cus, 500)
			pv := preview(t, sc, sub.ID, nil)
			advance(t, sc, clockID, aug1+2*3600)
			inv := latestInvoice(t, sc, sub.ID)
			if inv.Total != tt.total || pv.Total != tt.total || lineSummary(pv) != lineSummary(inv) {
				t.Errorf("July: %d %s (previewed %d %s), want %d", inv.Total, lineSummary(inv), pv.Total, lineSummary(pv), tt.total)
			}
		})
	}
}

// A metered item removed mid-period from a subscription made at
// 2025-09-30.clover (flexible by default): an invoice item for its unbilled
// usage; none with proration_behavior=none; invoiced at once with
// always_invoice. The same at 2025-08-27.basil is classic: nothing.
func TestFlexibleRemovedMeteredItemInvoicesItsUsage(t *testing.T) {
	for _, tt := range []struct {
		name, version, behavior string
		pending                 []int64
		invoiced                int64 // the invoice the removal makes at once (0: none)
	}{
		{"clover", "2025-09-30.clover", "", []int64{150}, 0},
		{"clover none", "2025-09-30.clover", "none", nil, 0},
		{"clover always_invoice", "2025-09-30.clover", "always_invoice", nil, 150},
		{"basil0827", "2025-08-27.basil", "", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt(tt.version)
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			usage := callsPrice(t, sc, alpacaMeter(t, sc).ID, 10, "Calls")
			seat := licensedPrice(t, sc, 1000, "month")
			sub := subscribeIn(t, sc, "", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)}, &stripe.SubscriptionItemsParams{Price: stripe.String(usage.ID)})
			first := sub.LatestInvoice.ID
			advance(t, sc, clockID, t0.Unix()+4*day)
			calls(t, sc, cus, 1500)
			advance(t, sc, clockID, t0.Unix()+14*day)
			params := &stripe.SubscriptionItemParams{}
			if tt.behavior != "" {
				params.ProrationBehavior = stripe.String(tt.behavior)
			}
			if _, err := sc.SubscriptionItems.Del(sub.Items.Data[1].ID, params); err != nil {
				t.Fatal(err)
			}
			if got := pendingAmounts(t, sc, cus); !slices.Equal(got, tt.pending) {
				t.Errorf("pending %v, want %v", got, tt.pending)
			}
			invoiced := int64(0)
			if inv := latestInvoice(t, sc, sub.ID); inv.ID != first {
				invoiced = inv.Total
			}
			if invoiced != tt.invoiced {
				t.Errorf("invoiced at once %d, want %d", invoiced, tt.invoiced)
			}
		})
	}
}

// A change to a price of another interval: classic resets the billing cycle
// anchor to now (an invoice at once), flexible never resets it.
func TestFlexibleKeepsTheAnchor(t *testing.T) {
	for _, mode := range []string{"classic", "flexible"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt("2025-06-30.basil")
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			monthly, yearly := licensedPrice(t, sc, 3100, "month"), licensedPrice(t, sc, 36500, "year")
			sub := subscribeIn(t, sc, mode, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(monthly.ID)})
			advance(t, sc, clockID, t0.Unix()+15*day)
			changed, err := sc.Subscriptions.Update(sub.ID, &stripe.SubscriptionParams{Items: []*stripe.SubscriptionItemsParams{
				{ID: stripe.String(sub.Items.Data[0].ID), Price: stripe.String(yearly.ID)}}})
			if err != nil {
				t.Fatal(err)
			}
			wantAnchor := t0.Unix() + 15*day
			if mode == "flexible" {
				wantAnchor = t0.Unix()
			}
			if changed.BillingCycleAnchor != wantAnchor {
				t.Errorf("billing_cycle_anchor %d, want %d", changed.BillingCycleAnchor, wantAnchor)
			}
			got := e.getAt("/v1/subscriptions/"+sub.ID, "2025-06-30.basil")
			end := got["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["current_period_end"]
			if mode == "flexible" && end != float64(t0.AddDate(1, 0, 0).Unix()) {
				t.Errorf("flexible: the item's period ends %v, want a year after the anchor", end)
			}
			// Flexible prorates: July's seat credited from the 16th (-1,600), the
			// year charged from then up to 1 July 2025 (350 of 365 days).
			want := []int64{35000, -1600} // newest first
			if mode == "classic" {
				want = nil // the invoice made at once took the credit
			}
			if pending := pendingAmounts(t, sc, cus); !slices.Equal(pending, want) {
				t.Errorf("pending %v, want %v", pending, want)
			}
		})
	}
}

// POST /v1/subscriptions/{subscription}/migrate (2025-06-30.basil): classic
// to flexible only, billing_mode[updated_at] the customer's time of the
// migration, a customer.subscription.updated event; a 404 before its
// version; Stripe's errors otherwise. The subscription then bills by
// flexible's rules: a metered item removed invoices its usage.
func TestMigrateToFlexible(t *testing.T) {
	e := newEnvWithCard(t)
	sc := e.clientAt("2025-06-30.basil")
	clockID, cus := clockCustomer(t, sc, t0.Unix())
	usage := callsPrice(t, sc, alpacaMeter(t, sc).ID, 10, "Calls")
	seat := licensedPrice(t, sc, 1000, "month")
	sub := subscribeIn(t, sc, "classic", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)}, &stripe.SubscriptionItemsParams{Price: stripe.String(usage.ID)})
	path := "/v1/subscriptions/" + sub.ID + "/migrate"

	for _, v := range []string{"2024-06-20", "2025-05-28.basil"} {
		r := e.do("POST", path, "billing_mode[type]=flexible", at(v)...)
		if r.status != 404 || !strings.HasPrefix(r.errField("message"), "Unrecognized request URL (POST: "+path+")") {
			t.Errorf("at %s, before 2025-06-30.basil: %d %s", v, r.status, r.body)
		}
	}
	for _, tt := range []struct{ name, body, param, code string }{
		{"no billing_mode", "", "billing_mode", "parameter_missing"},
		{"to classic", "billing_mode[type]=classic", "billing_mode[type]", ""},
		{"itemized discounts", "billing_mode[type]=flexible&billing_mode[flexible][proration_discounts]=itemized", "billing_mode[flexible][proration_discounts]", ""},
	} {
		if r := e.postAt(path, tt.body, "2025-06-30.basil", 400); r.errField("param") != tt.param || tt.code != "" && r.errField("code") != tt.code {
			t.Errorf("%s: %s", tt.name, r.body)
		}
	}

	advance(t, sc, clockID, t0.Unix()+4*day)
	calls(t, sc, cus, 1500)
	advance(t, sc, clockID, t0.Unix()+14*day)
	var migrated stripe.Subscription
	params := &stripe.Params{}
	params.AddExtra("billing_mode[type]", "flexible")
	if err := sc.Subscriptions.B.Call("POST", path, e.key, params, &migrated); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"flexible":{"proration_discounts":"included"},"type":"flexible","updated_at":%d}`, t0.Unix()+14*day)
	if got := string(mustJSON(t, e.getAt("/v1/subscriptions/"+sub.ID, "2025-06-30.basil")["billing_mode"])); got != want {
		t.Errorf("billing_mode %s, want %s", got, want)
	}
	if old := e.getAt("/v1/subscriptions/"+sub.ID, "2025-05-28.basil"); old["billing_mode"] != nil {
		t.Errorf("billing_mode at 2025-05-28.basil: %v", old["billing_mode"])
	}
	events := e.getAt("/v1/events?type=customer.subscription.updated&limit=1", "2025-06-30.basil")["data"].([]any)
	wantBefore := fmt.Sprintf(`{"billing_mode":{"flexible":null,"type":"classic","updated_at":%d}}`, t0.Unix())
	if len(events) != 1 || string(mustJSON(t, events[0].(map[string]any)["data"].(map[string]any)["previous_attributes"])) != wantBefore ||
		string(mustJSON(t, events[0].(map[string]any)["data"].(map[string]any)["object"].(map[string]any)["billing_mode"])) != want {
		t.Errorf("the migration's event: %v, want previous_attributes %s", events, wantBefore)
	}
	if r := e.postAt(path, "billing_mode[type]=flexible", "2026-03-25.dahlia", 400); r.errField("type") != "invalid_request_error" ||
		!strings.Contains(r.errField("message"), "already uses flexible billing mode") {
		t.Errorf("migrated twice: %s", r.body)
	}

	// Flexible from now on: the metered item removed invoices its usage.
	if _, err := sc.SubscriptionItems.Del(sub.Items.Data[1].ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := pendingAmounts(t, sc, cus); !slices.Equal(got, []int64{150}) {
		t.Errorf("pending after the removal %v, want [150]", got)
	}

	if _, err := sc.Subscriptions.Cancel(sub.ID, nil); err != nil {
		t.Fatal(err)
	}
	classic := subscribeIn(t, sc, "classic", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
	if _, err := sc.Subscriptions.Cancel(classic.ID, nil); err != nil {
		t.Fatal(err)
	}
	if r := e.postAt("/v1/subscriptions/"+classic.ID+"/migrate", "billing_mode[type]=flexible", "2025-06-30.basil", 400); !strings.Contains(r.errField("message"), "canceled") {
		t.Errorf("a canceled subscription: %s", r.body)
	}
	if r := e.postAt("/v1/subscriptions/sub_nope/migrate", "billing_mode[type]=flexible", "2025-06-30.basil", 404); r.errField("code") != "resource_missing" {
		t.Errorf("no such subscription: %s", r.body)
	}
}

// POST /v1/subscriptions/{subscription}/pause (2026-09-30.endive): a
// flexible subscription pauses now, billing by default its metered usage so
// far and a credit for its unused licensed time as pending invoice items;
// while paused it makes no invoice and its period does not advance; resume
// bills a new period from then. status_details says when and why.
func TestPauseAtEndive(t *testing.T) {
	const endive = "2026-09-30.endive"
	pausedAt := t0.Unix() + 14*day
	for _, tt := range []struct {
		name, body string
		pending    []int64 // after the pause, newest first
		invoiced   int64   // the invoice the pause makes at once (0: none)
	}{
		// 1,500 calls (150), and 17 of July's 31 days of the seat (-1,700).
		{"the defaults", "", []int64{-1700, 150}, 0},
		{"invoiced at once", "invoicing_behavior=invoice", nil, -1550},
		{"nothing billed", "bill_for[outstanding_usage_through][type]=none&bill_for[unused_time_from][type]=none", nil, 0},
		{"credited from the period start", "bill_for[outstanding_usage_through][type]=none&bill_for[unused_time_from][type]=item_current_period_start", []int64{-3100}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt(endive)
			clockID, cus, sub := toPause(t, sc, pausedAt)
			paused := e.postAt("/v1/subscriptions/"+sub.ID+"/pause", tt.body, endive, 200).json
			details := fmt.Sprintf(`{"paused":{"subscription":{"type":"pause_requested"},"transitioned_at":%d,"type":"subscription"}}`, pausedAt)
			if paused["status"] != "paused" || string(mustJSON(t, paused["status_details"])) != details {
				t.Errorf("paused: %v %s, want %s", paused["status"], mustJSON(t, paused["status_details"]), details)
			}
			if got := pendingAmounts(t, sc, cus); !slices.Equal(got, tt.pending) {
				t.Errorf("pending %v, want %v", got, tt.pending)
			}
			invoiced := int64(0)
			if inv := latestInvoice(t, sc, sub.ID); inv.ID != sub.LatestInvoice.ID {
				invoiced = inv.Total
			}
			if invoiced != tt.invoiced {
				t.Errorf("invoiced at once %d, want %d", invoiced, tt.invoiced)
			}
			latest := latestInvoice(t, sc, sub.ID).ID
			advance(t, sc, clockID, aug1+3*day)
			if inv := latestInvoice(t, sc, sub.ID); inv.ID != latest {
				t.Errorf("a paused subscription made invoice %s (%s)", inv.ID, inv.BillingReason)
			}
			if got := e.getAt("/v1/subscriptions/"+sub.ID, "2026-08-26.dahlia"); got["status"] != "paused" || got["status_details"] != nil {
				t.Errorf("at 2026-08-26.dahlia: %v %v", got["status"], got["status_details"])
			}
			resumed := e.postAt("/v1/subscriptions/"+sub.ID+"/resume", "payment_behavior=resume_on_payment_success", endive, 200).json
			if resumed["status"] != "active" || resumed["status_details"] != nil || resumed["billing_cycle_anchor"] != float64(aug1+3*day) {
				t.Errorf("resumed: %v %v anchor %v", resumed["status"], resumed["status_details"], resumed["billing_cycle_anchor"])
			}
			if inv := latestInvoice(t, sc, sub.ID); inv.BillingReason != "subscription_update" || inv.Total != 3100+sum(tt.pending) {
				t.Errorf("the resumption invoice: %s %d %s, want the seat and what was pending", inv.BillingReason, inv.Total, lineSummary(inv))
			}
		})
	}
}

// toPause is the subscription TestPauseAtEndive pauses, at pausedAt: a seat
// (3,100 a month) and 1,500 calls (150) on a flexible subscription, begun at
// t0 on a test clock. It returns the clock, the customer and the subscription.
func toPause(t *testing.T, sc *client.API, pausedAt int64) (string, string, *stripe.Subscription) {
	t.Helper()
	clockID, cus := clockCustomer(t, sc, t0.Unix())
	usage := callsPrice(t, sc, alpacaMeter(t, sc).ID, 10, "Calls")
	seat := licensedPrice(t, sc, 3100, "month")
	sub := subscribeIn(t, sc, "", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)}, &stripe.SubscriptionItemsParams{Price: stripe.String(usage.ID)})
	advance(t, sc, clockID, t0.Unix()+4*day)
	calls(t, sc, cus, 1500)
	advance(t, sc, clockID, pausedAt)
	return clockID, cus, sub
}

// sum is the sum of amounts.
func sum(amounts []int64) int64 {
	n := int64(0)
	for _, a := range amounts {
		n += a
	}
	return n
}

// Pause's refusals, its 404 before endive, its previews' refusals, and
// resume's payment_behavior only from endive; a trial that ended without a
// payment method shows why it paused.
func TestPauseRefusals(t *testing.T) {
	const endive = "2026-09-30.endive"
	e := newEnvWithCard(t)
	sc := e.clientAt(endive)
	clockID, cus := clockCustomer(t, sc, t0.Unix())
	seat := licensedPrice(t, sc, 3100, "month")
	classic := subscribeIn(t, sc, "classic", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
	flexible := subscribeIn(t, sc, "", cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
	pause := func(id string) string { return "/v1/subscriptions/" + id + "/pause" }
	for _, v := range []string{"2024-06-20", "2026-08-26.dahlia"} {
		if r := e.do("POST", pause(flexible.ID), "", at(v)...); r.status != 404 || !strings.HasPrefix(r.errField("message"), "Unrecognized request URL") {
			t.Errorf("at %s, before endive: %d %s", v, r.status, r.body)
		}
	}
	if r := e.postAt(pause(classic.ID), "", endive, 400); !strings.Contains(r.errField("message"), "enable flexible billing mode") {
		t.Errorf("a classic subscription: %s", r.body)
	}
	if r := e.postAt(pause(flexible.ID), "bill_for[unused_time_from][type]=later", endive, 400); r.errField("param") != "bill_for[unused_time_from][type]" {
		t.Errorf("a bad bill_for: %s", r.body)
	}
	// A preview of a pause (subscription_details[pause]): unknown before
	// endive; a pause that makes no invoice has no preview (404); the pause's
	// own refusals; a pause without its subscription or with another change.
	const latest = "2026-10-28.endive"
	for _, tt := range []struct {
		name, version, body string
		status              int
		code, param, msg    string
	}{
		{"before endive", "2026-08-26.dahlia", "subscription=" + flexible.ID + "&subscription_details[pause][invoicing_behavior]=invoice", 400, "parameter_unknown", "subscription_details[pause]", ""},
		{"at 2024-06-20", "2024-06-20", "subscription=" + flexible.ID + "&subscription_details[pause][invoicing_behavior]=invoice", 400, "parameter_unknown", "subscription_details[pause]", ""},
		{"pending invoice items, the default", latest, "subscription=" + flexible.ID + "&subscription_details[pause][type]=subscription", 404, "invoice_upcoming_none", "", "pending_invoice_item"},
		{"pending invoice items", latest, "subscription=" + flexible.ID + "&subscription_details[pause][invoicing_behavior]=pending_invoice_item", 404, "invoice_upcoming_none", "", "pending_invoice_item"},
		{"nothing billed", latest, "subscription=" + flexible.ID + "&subscription_details[pause][invoicing_behavior]=invoice&subscription_details[pause][bill_for][outstanding_usage_through][type]=none&subscription_details[pause][bill_for][unused_time_from][type]=none", 404, "invoice_upcoming_none", "", "bills nothing"},
		{"a classic subscription", latest, "subscription=" + classic.ID + "&subscription_details[pause][invoicing_behavior]=invoice", 400, "", "", "enable flexible billing mode"},
		{"a bad bill_for", latest, "subscription=" + flexible.ID + "&subscription_details[pause][bill_for][unused_time_from][type]=later", 400, "", "subscription_details[pause][bill_for][unused_time_from][type]", ""},
		{"no subscription", latest, "customer=" + cus + "&invoice_items[0][amount]=100&invoice_items[0][currency]=usd&subscription_details[pause][invoicing_behavior]=invoice", 400, "parameter_missing", "subscription", ""},
		{"with another change", latest, "subscription=" + flexible.ID + "&subscription_details[cancel_at_period_end]=true&subscription_details[pause][invoicing_behavior]=invoice", 400, "", "subscription_details[pause]", "cannot be combined"},
	} {
		t.Run("preview: "+tt.name, func(t *testing.T) {
			r := e.do("POST", "/v1/invoices/create_preview", tt.body, at(tt.version)...)
			if r.status != tt.status || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
	e.postAt(pause(flexible.ID), "", endive, 200)
	if r := e.postAt(pause(flexible.ID), "", endive, 400); !strings.Contains(r.errField("message"), "is paused") {
		t.Errorf("paused twice: %s", r.body)
	}
	if r := e.do("POST", "/v1/subscriptions/"+flexible.ID+"/resume", "payment_behavior=resume_on_payment_attempt", at("2026-08-26.dahlia")...); r.status != 400 || r.errField("param") != "payment_behavior" {
		t.Errorf("payment_behavior before endive: %d %s", r.status, r.body)
	}
	if r := e.postAt(pause("sub_nope"), "", endive, 404); r.errField("code") != "resource_missing" {
		t.Errorf("no such subscription: %s", r.body)
	}
	// endive's billing_cycle_anchor object on resume.
	if r := e.do("POST", "/v1/subscriptions/"+flexible.ID+"/resume", "billing_cycle_anchor=unchanged", at(endive)...); r.status != 400 {
		t.Errorf("a string anchor at endive: %d %s", r.status, r.body)
	}
	resumed := e.postAt("/v1/subscriptions/"+flexible.ID+"/resume", "billing_cycle_anchor[type]=unchanged&proration_behavior=none", endive, 200).json
	if resumed["status"] != "active" || resumed["billing_cycle_anchor"] != float64(t0.Unix()) {
		t.Errorf("resumed unchanged: %v, anchor %v", resumed["status"], resumed["billing_cycle_anchor"])
	}

	trial := e.postAt("/v1/subscriptions", "customer="+cus+"&items[0][price]="+seat.ID+"&trial_period_days=1&trial_settings[end_behavior][missing_payment_method]=pause", endive, 200).json
	advance(t, sc, clockID, t0.Unix()+2*day)
	got := e.getAt("/v1/subscriptions/"+trial["id"].(string), endive)
	want := fmt.Sprintf(`{"paused":{"subscription":{"type":"trial_end_without_payment_method"},"transitioned_at":%d,"type":"subscription"}}`, t0.Unix()+day)
	if got["status"] != "paused" || string(mustJSON(t, got["status_details"])) != want {
		t.Errorf("a trial ended without a payment method: %v %s, want %s", got["status"], mustJSON(t, got["status_details"]), want)
	}
}

// A flexible subscription's credit proration names the debit it credits:
// the invoice item's proration_details[credited_items] (2026-05-27.dahlia)
// is the first invoice's line, and so is the credit's line on the renewal
// invoice; a classic subscription's prorations show no proration_details
// before 2026-09-30.endive.
func TestFlexibleCreditNamesItsDebit(t *testing.T) {
	const dahlia = "2026-05-27.dahlia"
	for _, mode := range []string{"classic", "flexible"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt(dahlia)
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			seat := licensedPrice(t, sc, 3100, "month")
			sub := subscribeIn(t, sc, mode, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
			first := e.getAt("/v1/invoices/"+sub.LatestInvoice.ID, dahlia)
			debit := first["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)["id"].(string)
			advance(t, sc, clockID, t0.Unix()+15*day)
			if _, err := sc.SubscriptionItems.Update(sub.Items.Data[0].ID, &stripe.SubscriptionItemParams{Quantity: stripe.Int64(2)}); err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{ // by amount: the credit names July's line; the charge nothing
				-1600: fmt.Sprintf(`{"credited_items":{"invoice_line_item_details":{"invoice":%q,"invoice_line_items":[%q]},"type":"invoice_line_items"},"discount_amounts":[]}`, first["id"], debit),
				3200:  `{"credited_items":null,"discount_amounts":[]}`,
			}
			items := e.getAt("/v1/invoiceitems?pending=true&customer="+cus, dahlia)["data"].([]any)
			if len(items) != 2 {
				t.Fatalf("pending: %v", items)
			}
			for _, it := range items {
				ii := it.(map[string]any)
				got, present := ii["proration_details"]
				switch {
				case mode == "classic" && present:
					t.Errorf("a classic proration at dahlia: proration_details %v", got)
				case mode == "flexible" && string(mustJSON(t, got)) != want[int64(ii["amount"].(float64))]:
					t.Errorf("%v: proration_details %s, want %s", ii["amount"], mustJSON(t, got), want[int64(ii["amount"].(float64))])
				}
			}
			advance(t, sc, clockID, aug1+2*3600)
			inv := e.getAt("/v1/invoices/"+latestInvoice(t, sc, sub.ID).ID, dahlia)
			for _, l := range inv["lines"].(map[string]any)["data"].([]any) {
				line := l.(map[string]any)
				details := line["parent"].(map[string]any)["subscription_item_details"].(map[string]any)
				got := string(mustJSON(t, details["proration_details"]))
				wantLine := `{"credited_items":null}`
				if mode == "flexible" && line["amount"] == -1600.0 {
					wantLine = fmt.Sprintf(`{"credited_items":{"invoice":%q,"invoice_line_items":[%q]}}`, first["id"], debit)
				}
				if got != wantLine {
					t.Errorf("line %v: proration_details %s, want %s", line["amount"], got, wantLine)
				}
			}
		})
	}
}

// A subscription created on 1 July at 2025-06-30.basil with a cancel_at on
// the 16th: its first period ends then. Classic prorates it whatever
// proration_behavior says (15 of 31 days of 10.00: 4.84); flexible too, but
// proration_behavior=none disables the proration: the period is charged
// whole [I]. At the cancel_at it ends, with no credit.
func TestFlexibleTruncatedFirstPeriod(t *testing.T) {
	for _, tt := range []struct {
		mode, behavior string
		total          int64
	}{
		{"classic", "", 484},
		{"classic", "none", 484},
		{"flexible", "", 484},
		{"flexible", "none", 1000},
	} {
		t.Run(tt.mode+" "+tt.behavior, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt("2025-06-30.basil")
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			seat := licensedPrice(t, sc, 1000, "month")
			cancelAt := t0.Unix() + 15*day
			params := &stripe.SubscriptionParams{Customer: stripe.String(cus), CancelAt: stripe.Int64(cancelAt),
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}}}
			params.AddExtra("billing_mode[type]", tt.mode)
			if tt.behavior != "" {
				params.ProrationBehavior = stripe.String(tt.behavior)
			}
			sub, err := sc.Subscriptions.New(params)
			if err != nil {
				t.Fatal(err)
			}
			first := latestInvoice(t, sc, sub.ID)
			if first.Total != tt.total || len(first.Lines.Data) != 1 || first.Lines.Data[0].Period.End != cancelAt {
				t.Errorf("first invoice %d %s, want %d for the period up to %d", first.Total, lineSummary(first), tt.total, cancelAt)
			}
			if raw := string(sub.LastResponse.RawJSON); !strings.Contains(raw, fmt.Sprintf(`"current_period_end":%d`, cancelAt)) {
				t.Errorf("the item's current_period_end is not the cancel_at %d: %s", cancelAt, raw)
			}
			advance(t, sc, clockID, cancelAt+2*3600)
			ended, err := sc.Subscriptions.Get(sub.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			final := latestInvoice(t, sc, sub.ID)
			if ended.Status != stripe.SubscriptionStatusCanceled || final.ID == first.ID || final.Total != 0 {
				t.Errorf("at the cancel_at: %s, final invoice %s %d %s; want canceled, a final invoice of 0", ended.Status, final.ID, final.Total, lineSummary(final))
			}
		})
	}
}

// An invoice item of 250 pending for a subscription's customer when, on the
// 16th, billing_cycle_anchor=now restarts its cycle at 2025-06-30.basil:
// classic's invoice leaves it pending with proration_behavior=always_invoice
// ("only when proration behavior isn't always_invoice"), and takes it
// otherwise; flexible's always takes it.
func TestFlexiblePendingItemsOnAnchorReset(t *testing.T) {
	for _, tt := range []struct {
		mode, behavior string
		pending        []int64 // after the reset
	}{
		{"classic", "always_invoice", []int64{250}},
		{"classic", "create_prorations", nil},
		{"flexible", "always_invoice", nil},
		{"flexible", "create_prorations", nil},
	} {
		t.Run(tt.mode+" "+tt.behavior, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt("2025-06-30.basil")
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			seat := licensedPrice(t, sc, 1000, "month")
			sub := subscribeIn(t, sc, tt.mode, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(seat.ID)})
			if _, err := sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cus), Amount: stripe.Int64(250), Currency: stripe.String("usd")}); err != nil {
				t.Fatal(err)
			}
			advance(t, sc, clockID, t0.Unix()+15*day)
			params := &stripe.SubscriptionParams{ProrationBehavior: stripe.String(tt.behavior)}
			params.AddExtra("billing_cycle_anchor", "now")
			if _, err := sc.Subscriptions.Update(sub.ID, params); err != nil {
				t.Fatal(err)
			}
			inv := latestInvoice(t, sc, sub.ID)
			has := slices.ContainsFunc(inv.Lines.Data, func(l *stripe.InvoiceLineItem) bool { return l.Amount == 250 })
			if got := pendingAmounts(t, sc, cus); !slices.Equal(got, tt.pending) || has != (tt.pending == nil) || inv.BillingReason != "subscription_update" {
				t.Errorf("reset invoice (%s) %s; pending %v, want %v", inv.BillingReason, lineSummary(inv), got, tt.pending)
			}
		})
	}
}

// Trials at 2025-06-30.basil: a trial to the 15th with a cancel_at on the
// 10th. Classic rewrites trial_end to the cancel_at and writes "Trial period
// for {product}"; flexible keeps trial_end and writes "Free trial for 1 ×
// {product}". After its trial, a second trial from the 16th: classic's
// trial_start stays the first trial's, flexible's is the second's.
func TestFlexibleTrialRules(t *testing.T) {
	for _, tt := range []struct {
		mode, line           string
		trialEnd, trialStart int64 // after create; after the second trial
	}{
		{"classic", "Trial period for Seat month", t0.Unix() + 9*day, t0.Unix()},
		{"flexible", "Free trial for 1 × Seat month", t0.Unix() + 14*day, t0.Unix() + 15*day},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			e := newEnvWithCard(t)
			sc := e.clientAt("2025-06-30.basil")
			clockID, cus := clockCustomer(t, sc, t0.Unix())
			seat := licensedPrice(t, sc, 1000, "month")
			params := &stripe.SubscriptionParams{Customer: stripe.String(cus), TrialEnd: stripe.Int64(t0.Unix() + 14*day),
				CancelAt: stripe.Int64(t0.Unix() + 9*day), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}}}
			params.AddExtra("billing_mode[type]", tt.mode)
			sub, err := sc.Subscriptions.New(params)
			if err != nil {
				t.Fatal(err)
			}
			first := latestInvoice(t, sc, sub.ID)
			if sub.TrialEnd != tt.trialEnd || sub.CancelAt != t0.Unix()+9*day || len(first.Lines.Data) != 1 || first.Lines.Data[0].Description != tt.line {
				t.Errorf("trial_end %d, cancel_at %d, first invoice %s; want %d, %q", sub.TrialEnd, sub.CancelAt, lineSummary(first), tt.trialEnd, tt.line)
			}
			// A second subscription: its trial ends on the 8th, a new one
			// starts on the 16th.
			params = &stripe.SubscriptionParams{Customer: stripe.String(cus), TrialEnd: stripe.Int64(t0.Unix() + 7*day),
				Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(seat.ID)}}}
			params.AddExtra("billing_mode[type]", tt.mode)
			again, err := sc.Subscriptions.New(params)
			if err != nil {
				t.Fatal(err)
			}
			advance(t, sc, clockID, t0.Unix()+15*day)
			again, err = sc.Subscriptions.Update(again.ID, &stripe.SubscriptionParams{TrialEnd: stripe.Int64(t0.Unix() + 19*day)})
			if err != nil {
				t.Fatal(err)
			}
			if again.Status != stripe.SubscriptionStatusTrialing || again.TrialStart != tt.trialStart {
				t.Errorf("the second trial: %s, trial_start %d; want trialing, %d", again.Status, again.TrialStart, tt.trialStart)
			}
		})
	}
}
