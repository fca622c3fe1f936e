package server

import (
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

// TestTimestampBounds checks that times outside 1970..9999 are refused with
// the parameter named, wherever they appear.
func TestTimestampBounds(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	m := alpacaMeter(t, e.sc)
	price := licensedPrice(t, e.sc, 100, "month")
	for _, tt := range []struct{ method, path, body, param string }{
		{"POST", "/v1/test_helpers/test_clocks", "frozen_time=9223372036854775807", "frozen_time"},
		{"POST", "/v1/test_helpers/test_clocks", "frozen_time=-1", "frozen_time"},
		{"GET", "/v1/billing/meters/" + m.ID + "/event_summaries?customer=" + cus + "&start_time=-9223372036854720000&end_time=1719792000&value_grouping_window=day", "", "start_time"},
		{"GET", "/v1/customers?created[gte]=-5", "", "created[gte]"},
		{"GET", "/v1/customers?created=253402300800", "", "created"},
		{"POST", "/v1/subscriptions", "customer=" + cus + "&items[0][price]=" + price.ID + "&trial_end=9223372036854775807", "trial_end"},
		{"POST", "/v1/subscriptions", "customer=" + cus + "&items[0][price]=" + price.ID + "&billing_cycle_anchor=99999999999999", "billing_cycle_anchor"},
		{"GET", "/v1/invoices/upcoming?customer=" + cus + "&subscription_items[0][price]=" + price.ID + "&subscription_proration_date=-5", "", "subscription_proration_date"},
		{"POST", "/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=1&timestamp=-1", "timestamp"},
	} {
		r := e.do(tt.method, tt.path, tt.body)
		if r.status != 400 || r.errField("param") != tt.param || !contains2(r.errField("message"), "Invalid timestamp") {
			t.Errorf("%s %s %s: %d %s", tt.method, tt.path, tt.body, r.status, r.body)
		}
	}
}

func TestTrialEndAtMostTwoYears(t *testing.T) {
	e := newEnvWithCard(t)
	cus := newCustomer(t, e.sc)
	price := licensedPrice(t, e.sc, 100, "month")
	far := itoa(t0.Unix() + 731*86400)
	r := e.do("POST", "/v1/subscriptions", "customer="+cus+"&items[0][price]="+price.ID+"&trial_end="+far)
	if r.status != 400 || r.errField("param") != "trial_end" || !contains2(r.errField("message"), "730") {
		t.Errorf("create: %s", r.body)
	}
	sub := subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	r = e.do("POST", "/v1/subscriptions/"+sub.ID, "trial_end="+far)
	if r.status != 400 || r.errField("param") != "trial_end" || !contains2(r.errField("message"), "730") {
		t.Errorf("update: %s", r.body)
	}
	if r := e.do("POST", "/v1/subscriptions/"+sub.ID, "trial_end="+itoa(t0.Unix()+730*86400)); r.status != 200 {
		t.Errorf("730 days: %s", r.body)
	}
}
