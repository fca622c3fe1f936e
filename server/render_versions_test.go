package server

import (
	"encoding/json"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

// get is a GET at an API version, which must answer 200.
func (e *testEnv) getAt(path, version string) map[string]any {
	e.t.Helper()
	r := e.do("GET", path, "", at(version)...)
	if r.status != 200 {
		e.t.Fatalf("GET %s at %s: %d %s", path, version, r.status, r.body)
	}
	if got := r.header.Get("Stripe-Version"); got != version {
		e.t.Fatalf("GET %s at %s: served at %s", path, version, got)
	}
	return r.json
}

// keysOf is whether each name is a key of an object.
func keysOf(o map[string]any, names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		_, out[n] = o[n]
	}
	return out
}

func TestSubscriptionAtVersions(t *testing.T) {
	e := newEnv(t)
	fx := alpaca(t, e)
	subPath := "/v1/subscriptions/" + fx.sub
	for _, tt := range []struct {
		version string
		// periods: on the subscription (2024-06-20 … acacia) or on its items (basil on)
		onSub                       bool
		billingMode, thresholds     bool
		disabledReason, custAcct    bool
		invoiceSettingsCustom       bool
		feedbackOption, trialAnchor bool
		aggregateUsage              bool
	}{
		{"2024-06-20", true, false, true, false, false, false, false, false, true},
		{"2024-12-18.acacia", true, false, true, true, false, false, false, false, true},
		{"2025-03-31.basil", false, false, false, true, false, false, false, false, false},
		{"2025-05-28.basil", false, false, true, true, false, false, false, false, false},
		{"2025-06-30.basil", false, true, true, true, false, false, false, false, false},
		{"2025-12-15.clover", false, true, true, true, true, false, false, false, false},
		{"2026-08-26.dahlia", false, true, true, true, true, true, true, false, false},
		{"2026-10-28.endive", false, true, true, true, true, true, true, true, false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			sub := e.getAt(subPath, tt.version)
			item := sub["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
			has := keysOf(sub, "current_period_start", "current_period_end", "billing_mode", "billing_thresholds", "customer_account", "discount")
			itemHas := keysOf(item, "current_period_start", "current_period_end", "billing_thresholds")
			if has["current_period_start"] != tt.onSub || has["current_period_end"] != tt.onSub || has["discount"] != tt.onSub {
				t.Errorf("subscription: current_period_start/end and discount present = %v, want %v", has, tt.onSub)
			}
			if itemHas["current_period_start"] == tt.onSub || itemHas["current_period_end"] == tt.onSub {
				t.Errorf("item: current_period_start/end present = %v, want %v", itemHas, !tt.onSub)
			}
			if !tt.onSub {
				standalone := e.getAt("/v1/subscription_items/"+item["id"].(string), tt.version)
				if item["current_period_end"] != standalone["current_period_end"] || item["current_period_start"] == nil {
					t.Errorf("item periods: %v in the subscription, %v alone", item["current_period_end"], standalone["current_period_end"])
				}
				if item["current_period_end"].(float64) != float64(fx.periodEnd) {
					t.Errorf("item current_period_end = %v, want the subscription's %d", item["current_period_end"], fx.periodEnd)
				}
			}
			if has["billing_mode"] != tt.billingMode || has["billing_thresholds"] != tt.thresholds || itemHas["billing_thresholds"] != tt.thresholds || has["customer_account"] != tt.custAcct {
				t.Errorf("billing_mode/billing_thresholds/customer_account: %v %v", has, itemHas)
			}
			if tt.billingMode {
				if got := mustJSON(t, sub["billing_mode"]); string(got) != `{"flexible":null,"type":"classic"}` {
					t.Errorf("billing_mode of a subscription made at 2024-06-20: %s", got)
				}
			}
			_, dr := sub["automatic_tax"].(map[string]any)["disabled_reason"]
			_, cf := sub["invoice_settings"].(map[string]any)["custom_fields"]
			_, fo := sub["cancellation_details"].(map[string]any)["feedback_option"]
			_, ta := sub["trial_settings"].(map[string]any)["end_behavior"].(map[string]any)["billing_cycle_anchor"]
			if dr != tt.disabledReason || cf != tt.invoiceSettingsCustom || fo != tt.feedbackOption || ta != tt.trialAnchor {
				t.Errorf("nested: disabled_reason %v, custom_fields %v, feedback_option %v, trial anchor %v", dr, cf, fo, ta)
			}
			_, au := item["price"].(map[string]any)["recurring"].(map[string]any)["aggregate_usage"]
			_, pau := item["plan"].(map[string]any)["aggregate_usage"]
			if au != tt.aggregateUsage || pau != tt.aggregateUsage {
				t.Errorf("aggregate_usage on the price %v, the plan %v, want %v", au, pau, tt.aggregateUsage)
			}
		})
	}
}

func TestAlertAtVersions(t *testing.T) {
	e := newEnv(t)
	fx := alpaca(t, e)
	r := e.do("POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=10&usage_threshold_config[meter]="+fx.meter+
		"&usage_threshold_config[recurrence]=one_time&filter[customer]="+fx.customer)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	path := "/v1/billing/alerts/" + r.json["id"].(string)
	old := e.getAt(path, "2024-06-20")
	if _, ok := old["usage_threshold"]; ok || old["filter"] == nil || old["usage_threshold_config"] == nil {
		t.Errorf("at 2024-06-20: %v", old)
	}
	acacia := e.getAt(path, "2024-09-30.acacia")
	want := `{"filters":[{"customer":"` + fx.customer + `","type":"customer"}],"gte":10,"meter":"` + fx.meter + `","recurrence":"one_time"}`
	if got := mustJSON(t, acacia["usage_threshold"]); string(got) != want {
		t.Errorf("usage_threshold at acacia: %s, want %s", got, want)
	}
	if _, ok := acacia["filter"]; ok {
		t.Error("filter at acacia")
	}
	if _, ok := acacia["usage_threshold_config"]; ok {
		t.Error("usage_threshold_config at acacia")
	}
}

func TestCustomerAndProductAtVersions(t *testing.T) {
	e := newEnv(t)
	cu := e.do("POST", "/v1/customers", "name=J")
	for _, v := range []string{"2024-06-20", "2025-09-30.clover", "2026-10-28.endive"} {
		o := e.getAt("/v1/customers/"+cu.json["id"].(string), v)
		if has := keysOf(o, "business_name", "individual_name", "customer_account"); has["business_name"] || has["individual_name"] || has["customer_account"] {
			t.Errorf("at %s: a customer without business or individual name shows %v", v, has)
		}
		if o["name"] != "J" {
			t.Errorf("at %s: name %v", v, o["name"])
		}
	}
	pr := e.do("POST", "/v1/products", "name=P")
	b, _ := json.Marshal(e.getAt("/v1/products/"+pr.json["id"].(string), "2026-10-28.endive"))
	var again map[string]any
	_ = json.Unmarshal(b, &again)
	if _, ok := again["tax_details"]; ok {
		t.Error("a product without tax details shows tax_details at endive")
	}
}

// alpacaIDs are the objects of the Alpaca AI walkthrough, made at 2024-06-20.
type alpacaIDs struct {
	meter, price, customer, sub, item string
	periodEnd                         int64
}

func alpaca(t *testing.T, e *testEnv) alpacaIDs {
	t.Helper()
	m := alpacaMeter(t, e.sc)
	pr := alpacaPrice(t, e.sc, m.ID)
	cus := newCustomer(t, e.sc)
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(pr.ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	return alpacaIDs{meter: m.ID, price: pr.ID, customer: cus, sub: sub.ID, item: sub.Items.Data[0].ID, periodEnd: sub.CurrentPeriodEnd}
}
