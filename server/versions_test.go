package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/mux"
	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// at is the header of a request at an API version.
func at(v string) []string { return []string{"Stripe-Version", v} }

// rawVersions sends a request with the Stripe-Version header lines given.
func (e *testEnv) rawVersions(method, path, body string, versions ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header["Stripe-Version"] = versions
	if strings.HasPrefix(path, "/v2/") {
		req.Header.Set("Content-Type", "application/json")
	}
	r := e.send(req)
	return r.status, r.header, r.body
}

func TestVersionHeader(t *testing.T) { acrossFrontEnds(t, testVersionHeader) }

func testVersionHeader(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	paths := []struct{ method, path, body string }{
		{"GET", "/v1/customers", ""},
		{"POST", "/v2/billing/meter_events", "{}"},
		{"GET", "/v1/no_such_route", ""}, // checked before routing: a 400, not a 404
		{"GET", "/_emulator/account", ""},
		{"GET", "/healthz", ""},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			lines []string
			quote string
		}{
			{"no release", []string{"2099-12-31"}, "2099-12-31"},
			{"older than the list", []string{"2023-10-16"}, "2023-10-16"},
			{"wrong family", []string{"2025-09-30.acacia"}, "2025-09-30.acacia"},
			{"a date that is no release", []string{"2025-09-29.clover"}, "2025-09-29.clover"},
			{"no family after acacia", []string{"2025-03-31"}, "2025-03-31"},
			{"malformed", []string{"2019-2-19"}, "2019-2-19"},
			{"preview", []string{"2025-04-30.preview"}, "2025-04-30.preview"},
			{"dashboard", []string{"2025-03-01.dashboard"}, "2025-03-01.dashboard"},
			{"parameters", []string{"2022-08-01; feature_beta=v3"}, "2022-08-01; feature_beta=v3"},
			{"case", []string{"2025-03-31.BASIL"}, "2025-03-31.BASIL"},
			{"joined by a comma", []string{"2024-06-20, 2025-03-31.basil"}, "2024-06-20, 2025-03-31.basil"},
			{"two headers", []string{"2024-06-20", "2025-03-31.basil"}, "2024-06-20, 2025-03-31.basil"},
			{"the same twice", []string{"2024-06-20", "2024-06-20"}, "2024-06-20, 2024-06-20"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				for _, p := range paths {
					status, h, body := e.rawVersions(p.method, p.path, p.body, tt.lines...)
					want := `{"error":{"message":"Invalid Stripe API version: ` + tt.quote + `","type":"invalid_request_error"}}`
					if status != 400 || string(body) != want {
						t.Errorf("%s %s: %d %s, want 400 %s", p.method, p.path, status, body, want)
					}
					if v, ok := h["Stripe-Version"]; ok {
						t.Errorf("%s %s: the refusal names a version: %q", p.method, p.path, v)
					}
				}
			})
		}
	})
	t.Run("every version of the list", func(t *testing.T) {
		for _, name := range apiversion.Names() {
			for _, p := range paths[:2] {
				status, h, body := e.rawVersions(p.method, p.path, `{"event_name":"e","payload":{"stripe_customer_id":"cus_x"}}`, name)
				if p.method == "GET" {
					status, h, body = e.rawVersions(p.method, p.path, "", name)
				}
				if status != 200 && !(p.method == "POST" && status == 400) {
					t.Errorf("%s %s at %s: %d %s", p.method, p.path, name, status, body)
				}
				if got := h.Get("Stripe-Version"); got != name {
					t.Errorf("%s %s at %s: Stripe-Version %q", p.method, p.path, name, got)
				}
			}
		}
	})
	t.Run("an empty header names none", func(t *testing.T) {
		e := newEnv(t)
		if status, h, _ := e.rawVersions("GET", "/v1/customers", "", ""); status != 200 || h.Get("Stripe-Version") != "2024-06-20" {
			t.Errorf("%d %q", status, h.Get("Stripe-Version"))
		}
		e.rawVersions("GET", "/v1/customers", "", "2025-03-31.basil")
		if status, h, _ := e.rawVersions("GET", "/v1/customers", "", ""); status != 200 || h.Get("Stripe-Version") != "2025-03-31.basil" {
			t.Errorf("after a request that named one: %d %q", status, h.Get("Stripe-Version"))
		}
	})
}

// An account's default is the version of its first request that names one;
// the requests before it are served at the emulator's default and set
// nothing; a request may always name an older or newer version.
func TestAccountDefaultVersion(t *testing.T) {
	e := newEnv(t)
	served := func(headers ...string) string {
		t.Helper()
		r := e.do("GET", "/v1/customers", "", headers...)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.header.Get("Stripe-Version")
	}
	account := func() (string, any) {
		t.Helper()
		r := e.do("GET", "/_emulator/account", "")
		if r.status != 200 || r.json["object"] != "emulator.account" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		v, _ := r.json["default_api_version"].(string)
		return v, r.json["default_api_version_set_by"]
	}
	if v := served(); v != "2024-06-20" {
		t.Errorf("a new account without a header: %s", v)
	}
	if v, by := account(); v != "2024-06-20" || by != nil {
		t.Errorf("before any request names a version: %s set by %v", v, by)
	}
	// /_emulator/ requests take a header (checked and echoed) but set nothing.
	if r := e.do("GET", "/_emulator/account", "", at("2026-10-28.endive")...); r.status != 200 || r.header.Get("Stripe-Version") != "2026-10-28.endive" {
		t.Errorf("/_emulator/ with a version: %d %q", r.status, r.header.Get("Stripe-Version"))
	}
	if _, by := account(); by != nil {
		t.Errorf("an /_emulator/ request set the default: %v", by)
	}
	// stripe-go v79 with a Stripe-Version override is such a first request.
	params := &stripe.CustomerParams{Name: stripe.String("Jenny")}
	params.Headers = http.Header{"Stripe-Version": {"2025-03-31.basil"}}
	if _, err := e.sc.Customers.New(params); err != nil {
		t.Fatal(err)
	}
	if v, by := account(); v != "2025-03-31.basil" || by != "request" {
		t.Errorf("after the first request that names a version: %s set by %v", v, by)
	}
	if v := served(); v != "2025-03-31.basil" {
		t.Errorf("without a header: %s, want the account's default", v)
	}
	for _, v := range []string{"2024-06-20", "2026-10-28.endive"} {
		if got := served(at(v)...); got != v {
			t.Errorf("a request naming %s is served at %s", v, got)
		}
	}
	if v, _ := account(); v != "2025-03-31.basil" {
		t.Errorf("a later request changed the default: %s", v)
	}
	// stripe-go v79 names its own version on every request: an account it
	// creates is a 2024-06-20 one.
	other := newEnv(t)
	if _, err := other.sc.Customers.New(&stripe.CustomerParams{}); err != nil {
		t.Fatal(err)
	}
	if r := other.do("GET", "/v1/customers", ""); r.header.Get("Stripe-Version") != "2024-06-20" {
		t.Errorf("an account stripe-go v79 made: %q", r.header.Get("Stripe-Version"))
	}

	// The emulator sets it explicitly, for good.
	r := e.do("POST", "/_emulator/account", "default_api_version=2026-03-25.dahlia")
	if r.status != 200 || r.json["default_api_version"] != "2026-03-25.dahlia" || r.json["default_api_version_set_by"] != "emulator" {
		t.Errorf("setting the default: %d %s", r.status, r.body)
	}
	if v := served(); v != "2026-03-25.dahlia" {
		t.Errorf("after setting it: %s", v)
	}
	r = e.do("POST", "/_emulator/account", "default_api_version=2025-09-30.acacia")
	if r.status != 400 || r.errField("param") != "default_api_version" || r.errField("message") != "Invalid Stripe API version: 2025-09-30.acacia" {
		t.Errorf("an unknown default: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/_emulator/account", "default_api_version[x]=1"); r.status != 400 {
		t.Errorf("a malformed default: %d %s", r.status, r.body)
	}
	// A reset account has none again.
	if r := e.do("POST", "/_emulator/reset", ""); r.status != 200 {
		t.Fatal(r.status)
	}
	if v, by := account(); v != "2024-06-20" || by != nil {
		t.Errorf("after a reset: %s set by %v", v, by)
	}
}

// Options.APIVersion is the emulator's default; New refuses one not in the list.
func TestOptionsAPIVersion(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.APIVersion = "2026-10-28.endive" })
	r := e.do("GET", "/v1/customers", "")
	if r.status != 200 || r.header.Get("Stripe-Version") != "2026-10-28.endive" {
		t.Errorf("%d %q", r.status, r.header.Get("Stripe-Version"))
	}
	if r := e.do("GET", "/v1/nothing", ""); r.status != 404 || r.header.Get("Stripe-Version") != "2026-10-28.endive" {
		t.Errorf("an unknown route: %d %q", r.status, r.header.Get("Stripe-Version"))
	}
	for _, bad := range []string{"2026-10-28", "latest", "2024-06-20 "} {
		if _, err := New(Options{APIVersion: bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("New with API version %q: %v", bad, err)
		}
	}
}

// Each version checks parameters against its own schema: a parameter it
// does not have gets the 400 an unknown one gets; one it has that the
// handlers do not read yet gets the emulator's "does not support"; the
// deprecated parameters the SDKs send are kept.
func TestParamsPerVersion(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	const unsupported = "stripe-emulator does not support the parameter "
	for _, tt := range []struct {
		version, method, path, body string
		status                      int
		code, param, msg            string
	}{
		{"2025-05-28.basil", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_mode[type]=classic", 400, "parameter_unknown", "billing_mode", "Received unknown parameter: billing_mode"},
		{"2025-05-28.basil", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_modes[type]=classic", 400, "parameter_unknown", "billing_modes", "Received unknown parameter: billing_modes"},
		{"2025-06-30.basil", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_mode[type]=classic", 200, "", "", ""},
		{"2025-06-30.basil", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_mode[type]=flexible&billing_mode[flexible][proration_discounts]=itemized", 400, "", "billing_mode[flexible][proration_discounts]", "stripe-emulator does not support billing_mode[flexible][proration_discounts]=itemized yet"},
		{"2025-06-30.basil", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_mode[type]=classic&billing_mode[flexible][proration_discounts]=included", 400, "parameter_invalid", "billing_mode[flexible]", "billing_mode[flexible] can only be set when billing_mode[type] is flexible."},
		{"2024-06-20", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold[gte]=10&usage_threshold[meter]=@meter&usage_threshold[recurrence]=one_time", 400, "parameter_unknown", "usage_threshold", "Received unknown parameter: usage_threshold"},
		{"2024-09-30.acacia", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold[gte]=10&usage_threshold[meter]=@meter&usage_threshold[recurrence]=one_time", 200, "", "", ""},
		{"2024-09-30.acacia", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold[gte]=10&usage_threshold[meter]=@meter&usage_threshold[recurrence]=one_time&usage_threshold[filters][0][type]=customer&usage_threshold[filters][0][customer]=cus_nope", 400, "resource_missing", "usage_threshold[filters][0][customer]", "No such customer: 'cus_nope'"},
		{"2024-06-20", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=10&usage_threshold_config[meter]=@meter&usage_threshold_config[recurrence]=one_time&filter[customer]=cus_nope", 400, "resource_missing", "filter[customer]", "No such customer: 'cus_nope'"},
		{"2024-06-20", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=0&usage_threshold_config[meter]=@meter&usage_threshold_config[recurrence]=one_time", 400, "parameter_invalid", "usage_threshold_config[gte]", "greater than or equal to 1"},
		{"2024-06-20", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t", 400, "parameter_missing", "usage_threshold_config", ""},
		{"2025-05-28.basil", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t", 400, "parameter_missing", "usage_threshold", ""},
		{"2024-09-30.acacia", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=10&usage_threshold_config[meter]=@meter&usage_threshold_config[recurrence]=one_time", 400, "parameter_unknown", "usage_threshold_config", "Received unknown parameter: usage_threshold_config"},
		{"2024-06-20", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold_config[gte]=10&usage_threshold_config[meter]=@meter&usage_threshold_config[recurrence]=one_time", 200, "", "", ""},
		{"2025-02-24.acacia", "POST", "/v1/invoiceitems", "customer=@cus&pricing[price]=@oneoff", 400, "parameter_unknown", "pricing", "Received unknown parameter: pricing"},
		{"2025-03-31.basil", "POST", "/v1/invoiceitems", "customer=@cus&pricing[price]=@oneoff", 200, "", "", ""},
		{"2025-03-31.basil", "POST", "/v1/invoiceitems", "customer=@cus&pricing[price]=price_nope", 400, "resource_missing", "pricing[price]", "No such price: 'price_nope'"},
		{"2025-02-24.acacia", "POST", "/v1/invoiceitems", "customer=@cus&price=price_nope", 400, "resource_missing", "price", "No such price: 'price_nope'"},
		{"2025-03-31.basil", "POST", "/v1/invoiceitems", "customer=@cus&price=@oneoff", 400, "parameter_unknown", "price", "Received unknown parameter: price"},
		{"2025-02-24.acacia", "POST", "/v1/invoiceitems", "customer=@cus&price=@oneoff", 200, "", "", ""},
		{"2025-08-27.basil", "POST", "/v1/customers", "business_name=Acme", 400, "parameter_unknown", "business_name", "Received unknown parameter: business_name"},
		{"2025-09-30.clover", "POST", "/v1/customers", "business_name=Acme", 200, "", "", ""},
		{"2025-09-30.clover", "POST", "/v1/customers", "individual_name=" + strings.Repeat("x", 151), 400, "parameter_invalid", "individual_name", "must be at most 150 characters"},
		{"2026-02-25.clover", "POST", "/v1/invoiceitems", "customer=@cus&amount=100&currency=usd&quantity_decimal=1.5", 400, "parameter_unknown", "quantity_decimal", "Received unknown parameter: quantity_decimal"},
		{"2026-03-25.dahlia", "POST", "/v1/invoiceitems", "customer=@cus&amount=100&currency=usd&quantity_decimal=1.5", 400, "", "quantity_decimal", unsupported + "quantity_decimal"},
		{"2025-03-31.basil", "POST", "/v1/prices", "currency=usd&unit_amount=1&recurring[interval]=month&recurring[usage_type]=metered&recurring[aggregate_usage]=max&product=@prod", 400, "parameter_unknown", "recurring[aggregate_usage]", "Received unknown parameter: recurring[aggregate_usage]"},
		{"2025-02-24.acacia", "POST", "/v1/prices", "currency=usd&unit_amount=1&recurring[interval]=month&recurring[usage_type]=metered&recurring[aggregate_usage]=max&product=@prod", 200, "", "", ""},
		{"2024-09-30.acacia", "POST", "/v1/invoices", "customer=@cus&automatically_finalizes_at=1730000000", 400, "parameter_unknown", "automatically_finalizes_at", ""},
		{"2024-10-28.acacia", "POST", "/v1/invoices", "customer=@cus&automatically_finalizes_at=1730000000", 400, "", "automatically_finalizes_at", unsupported + "automatically_finalizes_at"},
		// Nested: a value or a shape only the version has.
		{"2025-02-24.acacia", "POST", "/v1/billing/meters", "display_name=M&event_name=m_last&default_aggregation[formula]=last", 400, "", "default_aggregation[formula]", "Invalid formula: must be one of count or sum"},
		{"2025-03-31.basil", "POST", "/v1/billing/meters", "display_name=M&event_name=m_last&default_aggregation[formula]=last", 400, "", "default_aggregation[formula]", unsupported + "default_aggregation[formula] on POST /v1/billing/meters yet"},
		{"2025-06-30.basil", "POST", "/v1/subscriptions/@sub", "cancel_at=min_period_end", 400, "parameter_invalid_integer", "cancel_at", "Invalid integer: min_period_end"},
		{"2025-07-30.basil", "POST", "/v1/subscriptions/@sub", "cancel_at=min_period_end", 400, "", "cancel_at", unsupported + "cancel_at on POST /v1/subscriptions/{subscription_exposed_id} yet"},
		{"2026-08-26.dahlia", "POST", "/v1/subscriptions/@sub", "billing_cycle_anchor[type]=now", 400, "", "billing_cycle_anchor", "Invalid string"},
		{"2026-10-28.endive", "POST", "/v1/subscriptions/@sub", "billing_cycle_anchor=now", 400, "", "billing_cycle_anchor", "Invalid object"},
		{"2026-10-28.endive", "POST", "/v1/subscriptions/@sub", "billing_cycle_anchor[type]=unchanged", 200, "", "", ""},
		{"2026-10-28.endive", "POST", "/v1/subscriptions/@sub", "billing_cycle_anchor[type]=yesterday", 400, "", "billing_cycle_anchor[type]", "Invalid type: must be one of now or unchanged"},
		// Required: a version that no longer requires what the handlers need.
		{"2025-11-17.clover", "POST", "/v1/subscriptions", "items[0][price]=@price", 400, "parameter_missing", "customer", "Missing required param: customer."},
		{"2025-12-15.clover", "POST", "/v1/subscriptions", "items[0][price]=@price", 400, "parameter_missing", "customer", "Missing required param: customer."},
		{"2025-12-15.clover", "POST", "/v1/subscriptions", "customer_account=acct_1&items[0][price]=@price", 400, "", "customer_account", unsupported + "customer_account"},
		{"2025-05-28.basil", "POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=t&usage_threshold[gte]=10&usage_threshold[recurrence]=one_time", 400, "parameter_missing", "usage_threshold[meter]", ""},
		// The deprecated parameters the SDKs still send, at every version.
		{"2026-10-28.endive", "POST", "/v1/subscriptions", "customer=@cus&items[0][plan]=@price", 200, "", "", ""},
		{"2026-10-28.endive", "POST", "/v1/products", "name=Typed&type=service", 200, "", "", ""},
		{"2026-10-28.endive", "POST", "/v1/customers", "validate=true", 200, "", "", ""},
		// A version's event types, whatever 2024-06-20's list has.
		{"2024-06-20", "POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=invoice_payment.paid", 400, "", "enabled_events[0]", "Invalid enabled_events: must be one of *, account."},
		{"2025-09-30.clover", "POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=invoice_payment.paid", 200, "", "", ""},
		{"2025-09-30.clover", "POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=invoice.payment.paid", 400, "", "enabled_events[0]", "Invalid enabled_events: must be one of *, account."},
	} {
		t.Run(tt.version+" "+tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			r := e.do(tt.method, tok.Replace(tt.path), tok.Replace(tt.body), at(tt.version)...)
			if r.status != tt.status || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
				t.Errorf("%d code=%q param=%q %q\nwant %d code=%q param=%q %q", r.status, r.errField("code"), r.errField("param"), r.errField("message"), tt.status, tt.code, tt.param, tt.msg)
			}
			if got := r.header.Get("Stripe-Version"); got != tt.version {
				t.Errorf("answered at %s", got)
			}
		})
	}
}

// The later parameters the README lists as not modelled: unknown before the
// version that adds them, and from it a 400 saying the emulator does not
// support them, each naming the parameter, on every route that has it (those
// TestParamsPerVersion checks aside).
func TestLaterParamsNotModelled(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	inv := e.postAt("/v1/invoices", tok.Replace("customer=@cus"), "2024-06-20", 200).json["id"].(string)
	ii := e.postAt("/v1/invoiceitems", tok.Replace("customer=@cus&amount=5&currency=usd&invoice=")+inv, "2024-06-20", 200).json["id"].(string)
	line := e.getAt("/v1/invoices/"+inv+"/lines", "2024-06-20")["data"].([]any)[0].(map[string]any)["id"].(string)
	const unsupported = "stripe-emulator does not support the parameter "
	for _, tt := range []struct {
		before, from, method, path, body, param string
	}{
		{"2026-02-25.clover", "2026-03-25.dahlia", "POST", "/v1/invoiceitems/" + ii, "quantity_decimal=1.5", "quantity_decimal"},
		{"2026-02-25.clover", "2026-03-25.dahlia", "POST", "/v1/invoices/" + inv + "/lines/" + line, "quantity_decimal=1.5", "quantity_decimal"},
		{"2026-02-25.clover", "2026-03-25.dahlia", "POST", "/v1/invoices/create_preview", "subscription=@sub&invoice_items[0][amount]=1&invoice_items[0][currency]=usd&invoice_items[0][quantity_decimal]=1.5", "invoice_items[0][quantity_decimal]"},
		{"2026-04-22.dahlia", "2026-05-27.dahlia", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&billing_schedules[0][bill_until][type]=timestamp&billing_schedules[0][bill_until][timestamp]=1800000000", "billing_schedules"},
		{"2026-04-22.dahlia", "2026-05-27.dahlia", "POST", "/v1/subscriptions/@sub", "billing_schedules[0][bill_until][type]=timestamp&billing_schedules[0][bill_until][timestamp]=1800000000", "billing_schedules"},
		{"2026-04-22.dahlia", "2026-05-27.dahlia", "POST", "/v1/invoices/create_preview", "subscription=@sub&subscription_details[billing_schedules][0][bill_until][type]=timestamp&subscription_details[billing_schedules][0][bill_until][timestamp]=1800000000", "subscription_details[billing_schedules]"},
		{"2026-04-22.dahlia", "2026-05-27.dahlia", "POST", "/v1/test_helpers/test_clocks", "frozen_time=1719792000&customer=@cus", "customer"},
		{"2026-07-29.dahlia", "2026-08-26.dahlia", "POST", "/v1/subscriptions/@sub", "cancellation_details[feedback_option]=fo_1", "cancellation_details[feedback_option]"},
		{"2026-07-29.dahlia", "2026-08-26.dahlia", "DELETE", "/v1/subscriptions/@sub", "cancellation_details[feedback_option]=fo_1", "cancellation_details[feedback_option]"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&items[0][current_trial][trial_offer]=x", "items[0][current_trial]"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/subscription_items", "subscription=@sub&price=@price&current_trial[trial_offer]=x", "current_trial"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/invoices/create_preview", "subscription=@sub&subscription_details[items][0][price]=@price&subscription_details[items][0][current_trial][trial_offer]=x", "subscription_details[items][0][current_trial]"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/subscriptions", "customer=@cus&items[0][price]=@price&trial_settings[end_behavior][billing_cycle_anchor]=now&trial_settings[end_behavior][missing_payment_method]=cancel", "trial_settings[end_behavior][billing_cycle_anchor]"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/subscriptions/@sub", "trial_settings[end_behavior][billing_cycle_anchor]=now&trial_settings[end_behavior][missing_payment_method]=cancel", "trial_settings[end_behavior][billing_cycle_anchor]"},
		{"2026-08-26.dahlia", "2026-09-30.endive", "POST", "/v1/invoiceitems/" + ii, "invoicing_rules=", "invoicing_rules"},
		{"2026-09-30.endive", "2026-10-28.endive", "POST", "/v1/invoices/create_preview", "customer=@cus&schedule_details[pause_schedules][0][pause][pause_at][type]=now", "schedule_details[pause_schedules]"},
	} {
		t.Run(tt.from+" "+tt.method+" "+tt.path+" "+tt.param, func(t *testing.T) {
			path, body := tok.Replace(tt.path), tok.Replace(tt.body)
			r := e.do(tt.method, path, body, at(tt.before)...)
			if r.status != 400 || r.errField("code") != "parameter_unknown" || r.errField("param") != tt.param || r.errField("message") != "Received unknown parameter: "+tt.param {
				t.Errorf("at %s: %d %s", tt.before, r.status, r.body)
			}
			r = e.do(tt.method, path, body, at(tt.from)...)
			if r.status != 400 || r.errField("param") != tt.param || !strings.HasPrefix(r.errField("message"), unsupported+tt.param+" on ") {
				t.Errorf("at %s: %d %s", tt.from, r.status, r.body)
			}
		})
	}
}

// versionFixtures makes the objects TestParamsPerVersion refers to, at 2024-06-20.
func versionFixtures(t *testing.T, e *testEnv) *strings.Replacer {
	t.Helper()
	make := func(path, body string) string {
		t.Helper()
		r := e.do("POST", path, body, at("2024-06-20")...)
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", path, body, r.status, r.body)
		}
		return r.json["id"].(string)
	}
	meter := make("/v1/billing/meters", "display_name=V&event_name=versions&default_aggregation[formula]=sum")
	prod := make("/v1/products", "name=V")
	price := make("/v1/prices", "currency=usd&unit_amount=100&recurring[interval]=month&product="+prod)
	oneoff := make("/v1/prices", "currency=usd&unit_amount=100&product="+prod)
	cus := make("/v1/customers", "name=V")
	sub := make("/v1/subscriptions", "customer="+cus+"&items[0][price]="+price)
	legacy := make("/v1/prices", "currency=usd&unit_amount=1&recurring[interval]=month&recurring[usage_type]=metered&product="+prod)
	legacyItem := make("/v1/subscription_items", "subscription="+sub+"&price="+legacy)
	return strings.NewReplacer("@meter", meter, "@prod", prod, "@price", price, "@oneoff", oneoff, "@cus", cus, "@sub", sub, "@legacysi", legacyItem)
}

// Endpoints a version removed answer its 404, naming the version and what
// replaces them; the versions before still have them.
func TestRemovedEndpoints(t *testing.T) {
	e := newEnvWithCard(t)
	tok := versionFixtures(t, e)
	item := tok.Replace("@legacysi")
	for _, tt := range []struct {
		method, path, body, removed, use string
	}{
		{"GET", "/v1/invoices/upcoming", "customer=@cus", "2025-03-31.basil", "POST /v1/invoices/create_preview"},
		{"GET", "/v1/invoices/upcoming/lines", "customer=@cus", "2025-03-31.basil", "POST /v1/invoices/create_preview"},
		{"POST", "/v1/subscription_items/" + item + "/usage_records", "quantity=3", "2025-03-31.basil", "POST /v1/billing/meter_events"},
		{"GET", "/v1/subscription_items/" + item + "/usage_record_summaries", "", "2025-03-31.basil", "GET /v1/billing/meters/{id}/event_summaries"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			path, body := tok.Replace(tt.path), tok.Replace(tt.body)
			if tt.method == "GET" && body != "" {
				path, body = path+"?"+body, ""
			}
			for _, v := range []string{"2024-06-20", "2025-02-24.acacia"} {
				if r := e.do(tt.method, path, body, at(v)...); r.status != 200 {
					t.Errorf("at %s: %d %s", v, r.status, r.body)
				}
			}
			for _, v := range []string{"2025-03-31.basil", "2026-10-28.endive"} {
				r := e.do(tt.method, path, body, at(v)...)
				want := "Unrecognized request URL (" + tt.method + ": " + strings.SplitN(path, "?", 2)[0] + "). This endpoint was removed in API version " + tt.removed + "; this request used " + v + ". Use " + tt.use + " instead. Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
				if r.status != 404 || r.errField("message") != want || r.errField("type") != "invalid_request_error" || r.header.Get("Stripe-Version") != v {
					t.Errorf("at %s: %d %s\nwant 404 %s", v, r.status, r.body, want)
				}
			}
		})
	}
	// Without a header, at the account's default.
	if r := e.do("POST", "/_emulator/account", "default_api_version=2025-03-31.basil"); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := e.do("GET", "/v1/invoices/upcoming?customer="+tok.Replace("@cus"), ""); r.status != 404 || !strings.Contains(r.errField("message"), "removed in API version 2025-03-31.basil") {
		t.Errorf("at the account's default: %d %s", r.status, r.body)
	}
}

// An endpoint a later version adds is an unknown route before it (none is
// served yet: migrate is the first such).
func TestEndpointNotYetAdded(t *testing.T) {
	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ep := endpoint{mode: txWrite, h: func(*call) (jsonobj.Obj, error) { return nil, nil }}
	ep.route = "POST /v1/subscriptions/{subscription}/migrate" // assigned: the route-literal count is of tables
	if err := srv.prepare(&ep); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		v    apiversion.Version
		gone bool
	}{{apiversion.V2024_06_20, true}, {apiversion.V2025_05_28_Basil, true}, {apiversion.V2025_06_30_Basil, false}, {apiversion.Latest, false}} {
		ev, err := srv.epAt(&ep, tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if ev.gone != tt.gone {
			t.Errorf("at %v: gone %v", tt.v, ev.gone)
		}
		if ev.gone {
			if got, want := ev.goneError("POST", "/v1/subscriptions/sub_1/migrate", tt.v), apierr.NotFound("POST", "/v1/subscriptions/sub_1/migrate"); !reflect.DeepEqual(got, want) {
				t.Errorf("at %v: %+v, want the plain 404 %+v", tt.v, got, want)
			}
		}
	}
}

// A webhook endpoint takes any version of the list as api_version, whatever
// the request's version, keeps it and renders it; update does not take it.
func TestWebhookEndpointAPIVersion(t *testing.T) {
	e := newEnv(t)
	we, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{
		URL: stripe.String("https://example.com/hook"), EnabledEvents: stripe.StringSlice([]string{"customer.created"}),
		APIVersion: stripe.String("2026-03-25.dahlia"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if we.APIVersion != "2026-03-25.dahlia" {
		t.Errorf("created: api_version %q", we.APIVersion)
	}
	got, err := e.sc.WebhookEndpoints.Get(we.ID, nil)
	if err != nil || got.APIVersion != "2026-03-25.dahlia" {
		t.Errorf("retrieved: %v %q", err, got.APIVersion)
	}
	plain, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String("https://example.com/plain"), EnabledEvents: stripe.StringSlice([]string{"*"})})
	if err != nil || plain.APIVersion != "" {
		t.Errorf("without api_version: %v %q", err, plain.APIVersion)
	}
	if r := e.do("GET", "/v1/webhook_endpoints/"+plain.ID, ""); r.json["api_version"] != nil {
		t.Errorf("an endpoint without api_version renders %v", r.json["api_version"])
	}
	for _, v := range []string{"2024-06-20", "2024-09-30.acacia", "2026-10-28.endive"} { // the request's version does not matter
		r := e.do("POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=*&api_version=2025-08-27.basil", at(v)...)
		if r.status != 200 || r.json["api_version"] != "2025-08-27.basil" {
			t.Errorf("at %s: %d %s", v, r.status, r.body)
		}
		e.do("DELETE", "/v1/webhook_endpoints/"+r.json["id"].(string), "")
	}
	for _, bad := range []string{"2023-10-16", "2025-09-30.acacia", "2025-03-01.dashboard", "latest"} {
		r := e.do("POST", "/v1/webhook_endpoints", "url=https://example.com/h&enabled_events[]=*&api_version="+bad)
		if r.status != 400 || r.errField("param") != "api_version" || !strings.HasPrefix(r.errField("message"), "Invalid api_version: must be one of 2024-06-20, 2024-09-30.acacia,") {
			t.Errorf("api_version=%s: %d %s", bad, r.status, r.body)
		}
	}
	if r := e.do("POST", "/v1/webhook_endpoints/"+we.ID, "api_version=2024-06-20"); r.status != 400 || r.errField("code") != "parameter_unknown" {
		t.Errorf("updating api_version: %d %s", r.status, r.body)
	}
	// It stays across a state file.
	e2 := loadedEnv(t, e, saveBytes(t, e.srv))
	e2.key = e.key
	if r := e2.do("GET", "/v1/webhook_endpoints/"+we.ID, ""); r.json["api_version"] != "2026-03-25.dahlia" {
		t.Errorf("after a state file: %v", r.json["api_version"])
	}
}

// The event types a webhook endpoint can name are its request's version's:
// billing.meter.* and the billing credit types from 2025-03-31.basil (Stripe's
// changelog; stripe-node 18 types them), although Stripe's catalogues list
// them only from 2026-08-26.dahlia; before basil they are unknown values.
func TestWebhookEventTypesPerVersion(t *testing.T) {
	e := newEnv(t)
	types := []string{"billing.meter.created", "billing.meter.updated", "billing.meter.deactivated", "billing.meter.reactivated",
		"billing.credit_grant.created", "billing.credit_grant.updated", "billing.credit_balance_transaction.created"}
	body := "url=https://example.com/h&enabled_events[]=" + strings.Join(types, "&enabled_events[]=")
	for _, tt := range []struct {
		version string
		ok      bool
	}{
		{"2024-06-20", false}, {"2025-02-24.acacia", false},
		{"2025-03-31.basil", true}, {"2025-08-27.basil", true}, {"2025-09-30.clover", true}, {"2025-11-17.clover", true},
		{"2026-05-27.dahlia", true}, {"2026-08-26.dahlia", true}, {"2026-10-28.endive", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := e.do("POST", "/v1/webhook_endpoints", body, at(tt.version)...)
			if !tt.ok {
				if r.status != 400 || r.errField("param") != "enabled_events[0]" || !strings.HasPrefix(r.errField("message"), "Invalid enabled_events: must be one of") {
					t.Errorf("create: %d %.200s", r.status, r.body)
				}
				return
			}
			if r.status != 200 || len(r.json["enabled_events"].([]any)) != len(types) {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			id := r.json["id"].(string)
			if u := e.do("POST", "/v1/webhook_endpoints/"+id, "enabled_events[]=billing.meter.created", at(tt.version)...); u.status != 200 {
				t.Errorf("update: %d %s", u.status, u.body)
			}
			e.do("DELETE", "/v1/webhook_endpoints/"+id, "")
		})
	}
}

// endpoints are the server's routes.
func endpoints(t *testing.T, srv *Server) []*endpoint {
	t.Helper()
	var out []*endpoint
	err := srv.allRoutes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if h, ok := route.GetHandler().(epHandler); ok {
			out = append(out, h.ep)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The units declared between two catalogue snapshots turn the older into the
// newer, on the parameters each endpoint accepts (design-15 §6.4): a change
// of a served parameter that no unit declares fails here. What differs for
// another reason is listed, with why.
func TestParamEditsBetweenSnapshots(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	known := map[string]string{
		"POST /v1/webhook_endpoints enabled_events":                    "event types grow with every version (design-15 §7 Q17)",
		"POST /v1/webhook_endpoints/{webhook_endpoint} enabled_events": "event types grow with every version (design-15 §7 Q17)",
		"POST /v1/billing/alerts usage_threshold":                      "the 2025-05-28.basil file, the base of 2025-03-31, already requires usage_threshold[meter] (basil0528.alert-meter-required)",
	}
	var bases []apiversion.Version
	for v := apiversion.V2024_09_30_Acacia; v < apiversion.Count; v++ {
		if v.Info().Catalogue != "" {
			bases = append(bases, v)
		}
	}
	used := map[string]bool{}
	for i := 1; i < len(bases); i++ {
		a, b := bases[i-1], bases[i]
		edited, err := spec.WithEdits(a, b)
		if err != nil {
			t.Fatal(err)
		}
		want, err := spec.ForVersion(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, ep := range endpoints(t, srv) {
			got, next := edited[ep.route], want[ep.route]
			if got == nil || next == nil {
				if (got == nil) != (next == nil) {
					// Unless a unit between them adds it (or removes it).
					atA, _, _ := apiversion.RouteAt(ep.route, a)
					if atB, _, _ := apiversion.RouteAt(ep.route, b); atA && atB {
						t.Errorf("%v → %v: %s is in one catalogue only", a, b, ep.route)
					}
				}
				continue
			}
			var diffs []string
			diffSchemas("", got.Params, next.Params, &diffs)
			for _, d := range diffs {
				top, _, _ := strings.Cut(d, ".")
				if ep.accepts != nil && !contains(ep.accepts, top) && top != "expand" {
					continue // not accepted: "does not support" at every version
				}
				if rejected(ep, d) {
					continue
				}
				if why, ok := known[ep.route+" "+top]; ok && why != "" {
					used[ep.route+" "+top] = true
					continue
				}
				t.Errorf("%v → %v: %s %s differs, and no unit between them says so", a, b, ep.route, d)
			}
		}
	}
	for k := range known {
		if !used[k] {
			t.Errorf("known difference %q no longer differs: remove it", k)
		}
	}
}

func rejected(ep *endpoint, path string) bool {
	for _, r := range ep.rejects {
		if path == r || strings.HasPrefix(path, r+".") {
			return true
		}
	}
	return false
}

// diffSchemas lists the dotted paths (arrays and anyOf objects looked
// through) where two schemas differ.
func diffSchemas(path string, a, b *form.Schema, out *[]string) {
	if a.Equal(b) {
		return
	}
	a, b = objectSchema(a), objectSchema(b)
	if a == nil || b == nil || a.Type != form.TObject || b.Type != form.TObject || a.Additional != nil || b.Additional != nil ||
		a.Emptyable != b.Emptyable || !a.Equal(withProps(b, a.Props)) {
		if path == "" {
			path = "(the parameters)"
		}
		*out = append(*out, path)
		return
	}
	names := map[string]bool{}
	for k := range a.Props {
		names[k] = true
	}
	for k := range b.Props {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		p := k
		if path != "" {
			p = path + "." + k
		}
		diffSchemas(p, a.Props[k], b.Props[k], out)
	}
}

// objectSchema is the object an array or an anyOf holds, or s.
func objectSchema(s *form.Schema) *form.Schema {
	for s != nil && s.Type == form.TArray {
		s = s.Items
	}
	return s
}

// withProps is s with other properties: two objects that differ only in
// their properties compare equal.
func withProps(s *form.Schema, props map[string]*form.Schema) *form.Schema {
	c := *s
	c.Props = props
	return &c
}

// The snapshot extracts hold the served operations of each full catalogue
// (where ../shared is present): every endpoint the emulator routes that a
// catalogue has, and nothing else but the 2024-06-20 catalogue's (all of
// which it extracts, as it always has: the one it does not route is the
// subscription discount's DELETE).
func TestSnapshotsHoldTheServedOperations(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "stripe-openapi")
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	routed := map[string]bool{}
	for _, ep := range endpoints(t, srv) {
		routed[ep.route] = true
	}
	for _, name := range append([]string{"2024-06-20"}, spec.SnapshotNames()...) {
		data, err := os.ReadFile(filepath.Join(dir, "operations-"+name+".json"))
		if err != nil {
			testnote.Skip(t, fmt.Sprintf("the catalogues are absent (%v): the extracts are not checked against the routes", err))
		}
		var doc struct {
			Operations []struct{ Method, Path string } `json:"operations"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		v, _ := apiversion.Parse(name)
		if name == "2025-05-28.basil" {
			v = apiversion.V2025_03_31_Basil
		}
		extract, err := spec.ForVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range doc.Operations {
			route := op.Method + " " + op.Path
			if routed[route] != (extract[route] != nil) && !(extract[route] != nil && route == "DELETE /v1/subscriptions/{subscription_exposed_id}/discount") {
				t.Errorf("%s: %s routed %v, extracted %v", name, route, routed[route], extract[route] != nil)
			}
		}
	}
}

// A state file keeps each account's default API version and what set it (an
// account without one has none on its line, as in format 1); a format-1 file
// loads with none set.
func TestStateKeepsDefaultAPIVersions(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/v1/customers", "", at("2025-03-31.basil")...)
	e.do("POST", "/_emulator/account", "default_api_version=2026-10-28.endive", "Authorization", "Bearer sk_test_set_explicitly")
	e.do("GET", "/v1/customers", "", "Authorization", "Bearer sk_test_none_set")
	state := saveBytes(t, e.srv)
	for _, want := range []string{
		`{"account":"` + e.key + `","seq":0,"api_version":"2025-03-31.basil","api_version_set_by":"request"}`,
		`{"account":"sk_test_set_explicitly","seq":0,"api_version":"2026-10-28.endive","api_version_set_by":"emulator"}`,
		`{"account":"sk_test_none_set","seq":0}`,
	} {
		if !bytes.Contains(state, []byte(want+"\n")) {
			t.Errorf("the state lacks the line %s", want)
		}
	}
	if !bytes.HasPrefix(state, []byte(`{"stripe_emulator_state":2,`)) {
		t.Errorf("header: %.60s", state)
	}
	e2 := loadedEnv(t, e, state)
	for key, want := range map[string][2]any{
		e.key:                    {"2025-03-31.basil", "request"},
		"sk_test_set_explicitly": {"2026-10-28.endive", "emulator"},
		"sk_test_none_set":       {"2024-06-20", nil},
	} {
		r := e2.do("GET", "/_emulator/account", "", "Authorization", "Bearer "+key)
		if r.json["default_api_version"] != want[0] || r.json["default_api_version_set_by"] != want[1] {
			t.Errorf("%s after loading: %s", key, r.body)
		}
	}
	// Format 1, or a damaged line.
	for _, tt := range []struct {
		name, from, to, err string
	}{
		{"format 1", `{"stripe_emulator_state":2,`, `{"stripe_emulator_state":1,`, ""},
		{"an unknown version", `"api_version":"2025-03-31.basil","api_version_set_by":"request"`, `"api_version":"2025-03-31","api_version_set_by":"request"`, `an unknown default API version "2025-03-31"`},
		{"an unknown setter", `"api_version_set_by":"request"`, `"api_version_set_by":"someone"`, `(set by "someone")`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changed := withChecksum(bytes.Replace(state, []byte(tt.from), []byte(tt.to), 1))
			other := newEnv(t)
			err := other.srv.LoadState(bytes.NewReader(changed))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v, want %q", err, tt.err)
			}
		})
	}
}

// The hot endpoints keep their fast paths at every version: no unit touches
// them, so their schema is 2024-06-20's at each (the fast form decoder of v1
// meter events runs only where it is; the v2 ones are outside the catalogues).
func TestHotEndpointsAreTheSameAtEveryVersion(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hot := map[string]bool{"POST /v1/billing/meter_events": true, "POST /v2/billing/meter_events": true, "POST /v2/billing/meter_event_stream": true}
	for _, ep := range endpoints(t, srv) {
		if !hot[ep.route] {
			continue
		}
		for v := apiversion.Version(1); v < apiversion.Count; v++ {
			ev, err := srv.epAt(ep, v)
			if err != nil {
				t.Fatal(err)
			}
			if !ev.same {
				t.Errorf("%s at %v: not the schema of 2024-06-20", ep.route, v)
			}
		}
		delete(hot, ep.route)
	}
	if len(hot) > 0 {
		t.Errorf("not routed: %v", hot)
	}
	for _, c := range apiversion.Changes() {
		for _, e := range c.Params {
			if strings.Contains(e.Route, "meter_event") {
				t.Errorf("%s edits %s: its fast path would need to follow", c.ID, e.Route)
			}
		}
	}
}

// toCanonical hands the handler 2024-06-20's values: a parameter whose schema
// differs is typed as the canonical schema types it (the version's integer,
// the canonical number). A map of strings whose canonical values may also be
// numbers (metadata) is not validated again: every value the version takes
// the canonical takes, and handlers read it as strings.
func TestToCanonical(t *testing.T) {
	canon := form.Object(map[string]*form.Schema{
		"amount":   {Type: form.TNumber},
		"metadata": form.Map(form.OneOf(form.String(), &form.Schema{Type: form.TNumber})),
		"formula":  form.String("count", "sum"),
		"customer": form.String(),
	}, "customer")
	version := form.Object(map[string]*form.Schema{
		"amount":   form.Integer(),
		"metadata": form.Map(form.String()),
		"formula":  form.String("count", "last", "sum"),
		"customer": form.String(),
		"newer":    form.String(),
	})
	ep := &endpoint{method: "POST", path: "/v1/x"}
	ev := compareSchemas(version, canon, nil)
	if ev.same || strings.Join(ev.differs, ",") != "amount,formula,newer" || strings.Join(ev.required, ",") != "customer" {
		t.Fatalf("%+v", ev)
	}
	for _, tt := range []struct {
		body, err string
		check     func(p *form.Params) bool
	}{
		{"customer=c&amount=5&metadata[n]=7&formula=sum", "", func(p *form.Params) bool {
			return p.Get("amount").Kind == form.KNumber && p.StringMap("metadata")["n"] == "7" && p.Get("formula").Str == "sum"
		}},
		{"customer=c&formula=last", "stripe-emulator does not support the parameter formula on POST /v1/x yet", nil},
		{"customer=c&newer=x", "stripe-emulator does not support the parameter newer on POST /v1/x yet", nil},
		{"amount=5", "Missing required param: customer.", nil},
	} {
		t.Run(tt.body, func(t *testing.T) {
			tree, aerr := form.Parse(tt.body)
			if aerr != nil {
				t.Fatal(aerr)
			}
			params, aerr := form.Validate(tree, version)
			if aerr != nil {
				t.Fatalf("invalid at the version: %v", aerr)
			}
			if aerr := ev.toCanonical(ep, tree, params); (aerr == nil) != (tt.err == "") || aerr != nil && !strings.HasPrefix(aerr.Message, tt.err) {
				t.Fatalf("%v, want %q", aerr, tt.err)
			}
			if tt.check != nil && !tt.check(params) {
				t.Errorf("the values are not typed as 2024-06-20 types them: %v", params.Canonical())
			}
		})
	}
}

// An idempotent retry at another version gets the first response byte for
// byte, with the version it was rendered at (design-15 §7 Q12); the key's
// fingerprint is of the parameters as the handlers read them, so the same
// meaning at another version matches.
func TestIdempotentReplayKeepsItsVersion(t *testing.T) {
	e := newEnv(t)
	first := e.do("POST", "/v1/customers", "name=Jenny&metadata[n]=5", append(at("2025-03-31.basil"), "Idempotency-Key", "k1")...)
	again := e.do("POST", "/v1/customers", "name=Jenny&metadata[n]=5", append(at("2024-06-20"), "Idempotency-Key", "k1")...)
	if first.status != 200 || again.status != 200 || string(first.body) != string(again.body) {
		t.Fatalf("%d %s\n%d %s", first.status, first.body, again.status, again.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Stripe-Version") != "2025-03-31.basil" {
		t.Errorf("the replay: Idempotent-Replayed %q, Stripe-Version %q", again.header.Get("Idempotent-Replayed"), again.header.Get("Stripe-Version"))
	}
	if r := e.do("POST", "/v1/customers", "name=Other", append(at("2024-06-20"), "Idempotency-Key", "k1")...); r.status != 400 || r.errField("type") != "idempotency_error" {
		t.Errorf("other parameters: %d %s", r.status, r.body)
	}
}

// Requests of many versions at once on a new account: each is served at its
// own version, the schemas of each are made once, and the account's default
// is one of them (the first to arrive).
func TestVersionsConcurrently(t *testing.T) {
	e := newEnv(t)
	names := apiversion.Names()
	var wg sync.WaitGroup
	errs := make(chan string, len(names))
	for _, v := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/v1/customers", "name=C&metadata[k]=v", at(v)...)
			if r.status != 200 || r.header.Get("Stripe-Version") != v {
				errs <- fmt.Sprintf("%s: %d %q", v, r.status, r.header.Get("Stripe-Version"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	r := e.do("GET", "/_emulator/account", "")
	if v, _ := r.json["default_api_version"].(string); !slices.Contains(names, v) || r.json["default_api_version_set_by"] != "request" {
		t.Errorf("the default: %s", r.body)
	}
}

// Only a map of plain strings, whose canonical values take a plain string
// among others, skips the second validation.
func TestWiderStringMap(t *testing.T) {
	num := &form.Schema{Type: form.TNumber}
	for _, tt := range []struct {
		name      string
		canon, vs *form.Schema
		wider     bool
	}{
		{"string or number, string", form.Map(form.OneOf(form.String(), num)), form.Map(form.String()), true},
		{"string, string", form.Map(form.String()), form.Map(form.String()), true},
		{"number, string", form.Map(num), form.Map(form.String()), false},
		{"an enumeration, string", form.Map(form.String("a")), form.Map(form.String()), false},
		{"string or number, number", form.Map(form.OneOf(form.String(), num)), form.Map(num), false},
		{"an object with properties", form.Object(map[string]*form.Schema{"a": form.String()}), form.Map(form.String()), false},
		{"emptyable, not", form.Map(form.String()).Empty(), form.Map(form.String()), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := widerStringMap(tt.canon, tt.vs); got != tt.wider {
				t.Errorf("widerStringMap = %v, want %v", got, tt.wider)
			}
		})
	}
}
