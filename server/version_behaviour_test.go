package server

import (
	"strings"
	"testing"
	"time"
)

// post is a POST at an API version, which must answer want.
func (e *testEnv) postAt(path, body, version string, want int) response {
	e.t.Helper()
	r := e.do("POST", path, body, at(version)...)
	if r.status != want {
		e.t.Fatalf("POST %s %s at %s: %d %s, want %d", path, body, version, r.status, r.body, want)
	}
	return r
}

func TestBillingModeByVersion(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	create := func(version, extra string) string {
		return e.postAt("/v1/subscriptions", tok.Replace("customer=@cus&items[0][price]=@price"+extra), version, 200).json["id"].(string)
	}
	now := t0.Unix()
	for _, tt := range []struct {
		name, version, extra string
		want                 string
	}{
		{"made before billing modes", "2024-06-20", "", `{"flexible":null,"type":"classic"}`},
		{"the default at 2025-06-30", "2025-06-30.basil", "", `{"flexible":null,"type":"classic","updated_at":` + itoa(now) + `}`},
		{"flexible asked for at 2025-06-30", "2025-06-30.basil", "&billing_mode[type]=flexible", `{"flexible":{"proration_discounts":"included"},"type":"flexible","updated_at":` + itoa(now) + `}`},
		{"the default at clover", "2025-09-30.clover", "", `{"flexible":{"proration_discounts":"included"},"type":"flexible","updated_at":` + itoa(now) + `}`},
		{"classic asked for at clover", "2025-09-30.clover", "&billing_mode[type]=classic", `{"flexible":null,"type":"classic","updated_at":` + itoa(now) + `}`},
		{"included asked for", "2026-03-25.dahlia", "&billing_mode[type]=flexible&billing_mode[flexible][proration_discounts]=included", `{"flexible":{"proration_discounts":"included"},"type":"flexible","updated_at":` + itoa(now) + `}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := create(tt.version, tt.extra)
			sub := e.getAt("/v1/subscriptions/"+id, "2026-03-25.dahlia")
			if got := string(mustJSON(t, sub["billing_mode"])); got != tt.want {
				t.Errorf("billing_mode %s, want %s", got, tt.want)
			}
			if old := e.getAt("/v1/subscriptions/"+id, "2025-05-28.basil"); old["billing_mode"] != nil {
				t.Errorf("billing_mode at 2025-05-28.basil: %v", old["billing_mode"])
			}
		})
	}
	// A preview takes billing_mode from 2025-06-30.basil and refuses what the
	// emulator does not do.
	sub := tok.Replace("@sub")
	e.postAt("/v1/invoices/create_preview", "subscription="+sub+"&subscription_details[billing_mode][type]=flexible", "2025-06-30.basil", 200)
	r := e.postAt("/v1/invoices/create_preview", "subscription="+sub+"&subscription_details[billing_mode][type]=flexible&subscription_details[billing_mode][flexible][proration_discounts]=itemized", "2025-06-30.basil", 400)
	if r.errField("param") != "subscription_details[billing_mode][flexible][proration_discounts]" {
		t.Errorf("itemized in a preview: %s", r.body)
	}
	if r := e.do("POST", "/v1/invoices/create_preview", "subscription="+sub+"&subscription_details[billing_mode][type]=flexible", at("2025-05-28.basil")...); r.errField("code") != "parameter_unknown" {
		t.Errorf("billing_mode in a preview at 2025-05-28.basil: %s", r.body)
	}
}

func TestPreviewNeedsTarget(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	cus, sub := tok.Replace("@cus"), tok.Replace("@sub")
	fresh := e.postAt("/v1/customers", "name=New", "2024-06-20", 200).json["id"].(string)
	const msg = "You must provide at least one of: `subscription`, `schedule`, `subscription_details.items`, `schedule_details.phases`, `invoice_items`."
	for _, tt := range []struct {
		version, body string
		status        int
	}{
		{"2025-02-24.acacia", "customer=" + cus, 200}, // the customer's next subscription
		{"2025-03-31.basil", "customer=" + cus, 400},
		{"2026-10-28.endive", "customer=" + cus, 400},
		{"2025-03-31.basil", "customer=" + cus + "&subscription=" + sub, 200},
		{"2025-03-31.basil", "subscription=" + sub, 200},
		{"2025-03-31.basil", "customer=" + cus + "&invoice_items[0][amount]=100&invoice_items[0][currency]=usd", 200},
		{"2025-03-31.basil", "customer=" + fresh + "&subscription_details[items][0][price]=" + tok.Replace("@price"), 200},
		{"2025-03-31.basil", "customer=" + cus + "&subscription_details[proration_behavior]=none", 400},
	} {
		t.Run(tt.version+" "+tt.body, func(t *testing.T) {
			r := e.do("POST", "/v1/invoices/create_preview", tt.body, at(tt.version)...)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 400 && (r.errField("message") != msg || r.errField("type") != "invalid_request_error") {
				t.Errorf("error %s", r.body)
			}
		})
	}
}

func TestLegacyMeteredAtBasil(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	legacy := "currency=usd&unit_amount=1&recurring[interval]=month&recurring[usage_type]=metered&product=" + tok.Replace("@prod")
	e.postAt("/v1/prices", legacy, "2025-02-24.acacia", 200)
	fresh := e.postAt("/v1/customers", "name=New", "2024-06-20", 200).json["id"].(string)
	r := e.postAt("/v1/prices", legacy, "2025-03-31.basil", 400)
	if r.errField("param") != "recurring[meter]" || !strings.Contains(r.errField("message"), "2025-03-31.basil") {
		t.Errorf("a legacy metered price at basil: %s", r.body)
	}
	// The legacy price made at acacia cannot be attached at basil.
	old := e.postAt("/v1/prices", legacy, "2024-06-20", 200).json["id"].(string)
	for _, tt := range []struct{ path, body, param string }{
		{"/v1/subscriptions", tok.Replace("customer=@cus&items[0][price]=") + old, "items[0][price]"},
		{"/v1/subscriptions", tok.Replace("customer=@cus&items[0][plan]=") + old, "items[0][plan]"},
		{"/v1/subscription_items", tok.Replace("subscription=@sub&price=") + old, "price"},
		{"/v1/invoices/create_preview", "customer=" + fresh + "&subscription_details[items][0][price]=" + old, "subscription_details[items][0][price]"},
	} {
		r := e.postAt(tt.path, tt.body, "2025-03-31.basil", 400)
		if r.errField("param") != tt.param || !strings.Contains(r.errField("message"), "can no longer be attached") {
			t.Errorf("%s %s: %s", tt.path, tt.body, r.body)
		}
		e.postAt(tt.path, tt.body, "2025-02-24.acacia", 200)
	}
	// An item that has one keeps it, and its subscription still changes.
	item := tok.Replace("@legacysi")
	e.postAt("/v1/subscription_items/"+item, "metadata[k]=v", "2025-03-31.basil", 200)
	e.postAt("/v1/subscriptions/"+tok.Replace("@sub"), "description=still", "2025-03-31.basil", 200)
}

func TestTotalCountAtBasil(t *testing.T) {
	e := newEnvWithCard(t)
	e.do("POST", "/v1/customers", "name=Counted")
	path := "/v1/customers/search?query=name:'Counted'&expand[]=total_count"
	if got := e.getAt(path, "2025-02-24.acacia")["total_count"]; got != 1.0 {
		t.Errorf("total_count at acacia: %v", got)
	}
	r := e.do("GET", path, "", at("2025-03-31.basil")...)
	if r.status != 400 || r.errField("code") != "property_forbidden" || r.errField("param") != "expand" {
		t.Errorf("total_count at basil: %d %s", r.status, r.body)
	}
	// A list counts every object its filters match, not only the page's.
	for _, name := range []string{"Two", "Three"} {
		e.do("POST", "/v1/customers", "name="+name+"&email="+name+"@example.com")
	}
	for _, tt := range []struct {
		path string
		want float64
	}{
		{"/v1/customers?limit=1&expand[]=total_count", 3},
		{"/v1/customers?limit=1&email=Two@example.com&expand[]=total_count", 1},
	} {
		for _, v := range []string{"2024-06-20", "2025-02-24.acacia"} {
			got := e.getAt(tt.path, v)
			if got["total_count"] != tt.want || len(got["data"].([]any)) != 1 {
				t.Errorf("%s at %s: total_count %v, %d objects", tt.path, v, got["total_count"], len(got["data"].([]any)))
			}
		}
		if r := e.do("GET", tt.path, "", at("2025-03-31.basil")...); r.status != 400 || r.errField("code") != "property_forbidden" {
			t.Errorf("%s at basil: %d %s", tt.path, r.status, r.body)
		}
	}
	if got := e.getAt("/v1/events?limit=1&type=customer.created&expand[]=total_count", "2024-06-20"); got["total_count"] != 3.0 {
		t.Errorf("events: total_count %v", got["total_count"])
	}
	if got := e.getAt("/v1/customers?limit=1", "2024-06-20"); got["total_count"] != nil {
		t.Errorf("total_count without expand: %v", got["total_count"])
	}
	// The lists embedded in objects keep theirs.
	tok := versionFixtures(t, e)
	sub := e.getAt("/v1/subscriptions/"+tok.Replace("@sub"), "2025-03-31.basil")
	if items := sub["items"].(map[string]any); items["total_count"] != float64(len(items["data"].([]any))) {
		t.Errorf("subscription items at basil: %v", sub["items"])
	}
}

// Every list counts what it pages through when total_count is expanded before
// basil, and refuses the expansion from basil on as the others do.
func TestTotalCountOnEveryList(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	inv := e.postAt("/v1/invoices", tok.Replace("customer=@cus"), "2024-06-20", 200).json["id"].(string)
	for _, amount := range []string{"5", "7"} {
		e.postAt("/v1/invoiceitems", tok.Replace("customer=@cus&currency=usd&invoice="+inv+"&amount=")+amount, "2024-06-20", 200)
	}
	for _, tt := range []struct {
		name, path string
		want       float64
		removed    bool // the list is gone from basil on
	}{
		{"subscription items", "/v1/subscription_items?subscription=@sub", 2, false},
		{"meter event summaries", "/v1/billing/meters/@meter/event_summaries?customer=@cus&start_time=1719792000&end_time=1719802800&value_grouping_window=hour", 3, false},
		{"an invoice's lines", "/v1/invoices/" + inv + "/lines", 2, false},
		{"upcoming lines", "/v1/invoices/upcoming/lines?customer=@cus", 2, true},
		{"usage record summaries", "/v1/subscription_items/@legacysi/usage_record_summaries", 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tok.Replace(tt.path) + "&limit=1&expand[]=total_count"
			if !strings.Contains(tt.path, "?") {
				path = strings.Replace(path, "&", "?", 1)
			}
			for _, v := range []string{"2024-06-20", "2025-02-24.acacia"} {
				r := e.do("GET", path, "", at(v)...)
				if data, _ := r.json["data"].([]any); r.status != 200 || r.json["total_count"] != tt.want || len(data) != 1 {
					t.Errorf("at %s: %d %s", v, r.status, r.body)
				}
				if r := e.do("GET", strings.Replace(path, "&expand[]=total_count", "", 1), "", at(v)...); r.status != 200 || r.json["total_count"] != nil {
					t.Errorf("at %s without expand: %d %s", v, r.status, r.body)
				}
			}
			for _, v := range []string{"2025-03-31.basil", "2026-10-28.endive"} {
				r := e.do("GET", path, "", at(v)...)
				if tt.removed {
					if r.status != 404 {
						t.Errorf("at %s: %d %s", v, r.status, r.body)
					}
					continue
				}
				if r.status != 400 || r.errField("code") != "property_forbidden" || r.errField("param") != "expand" {
					t.Errorf("at %s: %d %s", v, r.status, r.body)
				}
			}
		})
	}
}

func TestAnchorObjectAtEndive(t *testing.T) {
	for _, tt := range []struct{ name, version, now, unchanged string }{
		{"a string before endive", "2024-06-20", "billing_cycle_anchor=now", "billing_cycle_anchor=unchanged"},
		{"an object at endive", "2026-09-30.endive", "billing_cycle_anchor[type]=now", "billing_cycle_anchor[type]=unchanged"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWithCard(t)
			tok := versionFixtures(t, e)
			sub := tok.Replace("@sub")
			e.clock.Add(10 * 24 * time.Hour)
			kept := e.postAt("/v1/subscriptions/"+sub, tt.unchanged, tt.version, 200).json
			if kept["billing_cycle_anchor"].(float64) != float64(t0.Unix()) {
				t.Errorf("unchanged moved the anchor: %v", kept["billing_cycle_anchor"])
			}
			moved := e.postAt("/v1/subscriptions/"+sub, tt.now+"&proration_behavior=none", tt.version, 200).json
			if moved["billing_cycle_anchor"].(float64) != float64(e.clock.Now().Unix()) {
				t.Errorf("now left the anchor at %v", moved["billing_cycle_anchor"])
			}
			// A preview takes the version's shape too.
			body := "subscription=" + sub + "&subscription_details[" + strings.Replace(tt.now, "billing_cycle_anchor", "billing_cycle_anchor]", 1)
			if tt.version != "2024-06-20" {
				body = "subscription=" + sub + "&subscription_details[billing_cycle_anchor][type]=now"
			}
			e.postAt("/v1/invoices/create_preview", body, tt.version, 200)
			ts := e.do("POST", "/v1/invoices/create_preview", "subscription="+sub+"&subscription_details[billing_cycle_anchor][type]=timestamp&subscription_details[billing_cycle_anchor][timestamp]=1900000000", at("2026-09-30.endive")...)
			if ts.status != 400 || ts.errField("param") != "subscription_details[billing_cycle_anchor]" || !strings.Contains(ts.errField("message"), "does not support a timestamp") {
				t.Errorf("a timestamp anchor in an endive preview: %s", ts.body)
			}
		})
	}
}

func TestCustomerNamesAtClover(t *testing.T) {
	e := newEnv(t)
	id := e.postAt("/v1/customers", "business_name=Acme%20Inc&individual_name=Jo", "2025-09-30.clover", 200).json["id"].(string)
	c := e.getAt("/v1/customers/"+id, "2025-09-30.clover")
	if c["business_name"] != "Acme Inc" || c["individual_name"] != "Jo" {
		t.Errorf("at clover: %v %v", c["business_name"], c["individual_name"])
	}
	if old := e.getAt("/v1/customers/"+id, "2025-08-27.basil"); keysOf(old, "business_name")["business_name"] || keysOf(old, "individual_name")["individual_name"] {
		t.Errorf("the names at basil: %v", old)
	}
	cleared := e.postAt("/v1/customers/"+id, "business_name=", "2025-09-30.clover", 200).json
	if _, ok := cleared["business_name"]; ok || cleared["individual_name"] != "Jo" {
		t.Errorf("business_name= left %v, %v", cleared["business_name"], cleared["individual_name"])
	}
}
