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

func TestInvoiceAtVersions(t *testing.T) {
	e := newEnv(t)
	fx := alpaca(t, e)
	e.postAt("/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+fx.customer+"&payload[value]=3000", "2024-06-20", 200)
	preview := func(v string) map[string]any {
		return e.postAt("/v1/invoices/create_preview", "subscription="+fx.sub, v, 200).json
	}
	old := preview("2024-06-20")
	if old["subscription"] != fx.sub || old["parent"] != nil {
		t.Errorf("at 2024-06-20: subscription %v, parent %v", old["subscription"], old["parent"])
	}
	oldLine := old["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if oldLine["price"].(map[string]any)["id"] != fx.price || oldLine["type"] != "subscription" || oldLine["subscription_item"] != fx.item {
		t.Errorf("a 2024-06-20 line: %v", oldLine)
	}
	for _, v := range []string{"2024-06-20", "2025-02-24.acacia"} {
		got := preview(v)
		if _, ok := got["total_pretax_credit_amounts"]; ok != (v != "2024-06-20") {
			t.Errorf("total_pretax_credit_amounts at %s: %v", v, ok)
		}
	}
	basil := preview("2025-03-31.basil")
	if basil["amount_due"] != 12.0 {
		t.Errorf("amount_due at basil: %v", basil["amount_due"])
	}
	if has := keysOf(basil, "subscription", "subscription_details", "paid", "paid_out_of_band", "tax", "total_tax_amounts", "discount", "charge", "payment_intent"); has["subscription"] || has["subscription_details"] || has["paid"] || has["tax"] || has["discount"] || has["charge"] {
		t.Errorf("fields basil removed: %v", has)
	}
	wantParent := `{"quote_details":null,"subscription_details":{"metadata":{},"subscription":"` + fx.sub + `"},"type":"subscription_details"}`
	if got := string(mustJSON(t, basil["parent"])); got != wantParent {
		t.Errorf("parent at basil: %s, want %s", got, wantParent)
	}
	if basil["amount_overpaid"] != 0.0 || string(mustJSON(t, basil["total_taxes"])) != "[]" {
		t.Errorf("amount_overpaid %v, total_taxes %v", basil["amount_overpaid"], basil["total_taxes"])
	}
	line := basil["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if has := keysOf(line, "price", "plan", "type", "subscription_item", "invoice_item", "proration", "proration_details", "tax_amounts", "tax_rates", "amount_excluding_tax"); has["price"] || has["plan"] || has["type"] || has["subscription_item"] || has["proration"] || has["tax_rates"] || has["amount_excluding_tax"] {
		t.Errorf("a basil line keeps removed fields: %v", has)
	}
	pricing := line["pricing"].(map[string]any)
	if pricing["type"] != "price_details" || pricing["price_details"].(map[string]any)["price"] != fx.price {
		t.Errorf("pricing: %v", pricing)
	}
	parent := line["parent"].(map[string]any)
	if parent["type"] != "subscription_item_details" || parent["subscription_item_details"].(map[string]any)["subscription_item"] != fx.item || parent["invoice_item_details"] != nil {
		t.Errorf("a line's parent: %v", parent)
	}
	if _, ok := line["subtotal"]; ok {
		t.Error("subtotal before 2025-12-15.clover")
	}
	dahlia := preview("2026-03-25.dahlia")
	dl := dahlia["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if dl["subtotal"] != dl["amount"] || dl["quantity_decimal"] != "3000" || dahlia["customer_account"] != nil || !keysOf(dahlia, "customer_account")["customer_account"] {
		t.Errorf("at dahlia: subtotal %v amount %v quantity_decimal %v customer_account %v", dl["subtotal"], dl["amount"], dl["quantity_decimal"], dahlia["customer_account"])
	}
	// The price in pricing is expandable from 2025-12-15.clover.
	expand := "subscription=" + fx.sub + "&expand[]=lines.data.pricing.price_details.price"
	if r := e.do("POST", "/v1/invoices/create_preview", expand, at("2025-11-17.clover")...); r.status != 400 {
		t.Errorf("expanding the price at 2025-11-17: %d", r.status)
	}
	got := e.postAt("/v1/invoices/create_preview", expand, "2025-12-15.clover", 200).json
	price := got["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)["pricing"].(map[string]any)["price_details"].(map[string]any)["price"]
	if p, ok := price.(map[string]any); !ok || p["id"] != fx.price {
		t.Errorf("expanded: %v", price)
	}
}

func TestInvoiceItemAtVersions(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	sub := tok.Replace("@sub")
	oneOff := e.postAt("/v1/invoiceitems", tok.Replace("customer=@cus&amount=500&currency=usd"), "2025-03-31.basil", 200).json
	if oneOff["parent"] != nil || oneOff["pricing"] != nil || keysOf(oneOff, "unit_amount")["unit_amount"] {
		t.Errorf("a one-off item at basil: %v", oneOff)
	}
	priced := e.postAt("/v1/invoiceitems", tok.Replace("customer=@cus&pricing[price]=@oneoff&subscription=")+sub, "2025-03-31.basil", 200).json
	want := `{"subscription_details":{"subscription":"` + sub + `"},"type":"subscription_details"}`
	if got := string(mustJSON(t, priced["parent"])); got != want {
		t.Errorf("parent %s, want %s", got, want)
	}
	if p := priced["pricing"].(map[string]any); p["price_details"].(map[string]any)["price"] != tok.Replace("@oneoff") || p["unit_amount_decimal"] != "100" {
		t.Errorf("pricing %v", p)
	}
	if has := keysOf(priced, "price", "plan", "subscription", "subscription_item"); has["price"] || has["plan"] || has["subscription"] {
		t.Errorf("fields basil removed: %v", has)
	}
	old := e.getAt("/v1/invoiceitems/"+priced["id"].(string), "2024-06-20")
	if old["price"].(map[string]any)["id"] != tok.Replace("@oneoff") || old["subscription"] != sub || old["parent"] != nil {
		t.Errorf("the same item at 2024-06-20: %v", old)
	}
	clover := e.getAt("/v1/invoiceitems/"+priced["id"].(string), "2025-09-30.clover")
	if clover["net_amount"] != clover["amount"] {
		t.Errorf("net_amount %v, amount %v", clover["net_amount"], clover["amount"])
	}
	// A proration's proration_details shows from endive for every
	// subscription (classic ones too).
	e.postAt("/v1/subscriptions/"+sub, "items[0][id]="+e.getAt("/v1/subscriptions/"+sub, "2024-06-20")["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["id"].(string)+"&items[0][quantity]=3", "2024-06-20", 200)
	list := e.getAt("/v1/invoiceitems?limit=1", "2026-09-30.endive")
	ii := list["data"].([]any)[0].(map[string]any)
	if ii["proration"] != true {
		t.Fatalf("the newest item is no proration: %v", ii)
	}
	if got := string(mustJSON(t, ii["proration_details"])); got != `{"credited_items":null,"discount_amounts":[]}` {
		t.Errorf("proration_details at endive: %s", got)
	}
	if before := e.getAt("/v1/invoiceitems/"+ii["id"].(string), "2026-08-26.dahlia"); keysOf(before, "proration_details")["proration_details"] {
		t.Error("proration_details of a classic subscription before endive")
	}
}
