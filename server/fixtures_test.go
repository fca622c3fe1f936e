package server

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

// fixtureFile wraps entries (JSON text) into a fixtures file.
func fixtureFile(entries ...string) string {
	return `{"_meta":{"template_version":0},"fixtures":[` + strings.Join(entries, ",\n") + `]}`
}

// postFixtures posts a fixtures file to the emulator with the env's key.
func (e *testEnv) postFixtures(body string, headers ...string) response {
	e.t.Helper()
	return e.do("POST", "/_emulator/fixtures", body, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// countCustomers counts the customers of the env's account.
func (e *testEnv) countCustomers() int {
	n := 0
	it := e.sc.Customers.List(&stripe.CustomerListParams{})
	for it.Next() {
		n++
	}
	if err := it.Err(); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// The shipped Alpaca AI file: after loading it, the customer's upcoming invoice
// is 3000 tokens at 0.04 USD per 1000, 12 cents.
func TestFixturesAlpacaUpcomingInvoice(t *testing.T) {
	acrossFrontEnds(t, testFixturesAlpacaUpcomingInvoice)
}

func testFixturesAlpacaUpcomingInvoice(t *testing.T, newEnv func(*testing.T) *testEnv) {
	data, err := os.ReadFile("../fixtures/alpaca-ai.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	r := e.postFixtures(string(data))
	if r.status != 200 || r.json["object"] != "emulator.fixtures" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Each entry's response, by name, in file order.
	last := -1
	for _, name := range []string{"meter", "product", "price", "customer", "subscription", "usage"} {
		i := strings.Index(string(r.body), `"`+name+`":{`)
		if i < last {
			t.Errorf("entry %s missing or out of order in %s", name, r.body)
		}
		last = i
	}
	fx := r.json["fixtures"].(map[string]any)
	obj := func(name string) map[string]any { m, _ := fx[name].(map[string]any); return m }
	cus, _ := obj("customer")["id"].(string)
	if !strings.HasPrefix(cus, "cus_") || obj("customer")["name"] != "John Doe" {
		t.Fatalf("customer: %v", obj("customer"))
	}
	if obj("meter")["event_name"] != "alpaca_ai_tokens" || obj("product")["name"] != "Alpaca AI" || obj("usage")["object"] != "billing.meter_event" {
		t.Errorf("meter %v, product %v, usage %v", obj("meter"), obj("product"), obj("usage"))
	}
	price := obj("price")
	if price["unit_amount"] != 4.0 || price["currency"] != "usd" || price["recurring"].(map[string]any)["meter"] != obj("meter")["id"] {
		t.Errorf("price: %v", price)
	}
	items := obj("subscription")["items"].(map[string]any)["data"].([]any)
	env := r.json["env"].(map[string]any)
	if env["ALPACA_CUSTOMER_ID"] != cus || env["ALPACA_SUBSCRIPTION_ID"] != obj("subscription")["id"] ||
		env["ALPACA_SUBSCRIPTION_ITEM_ID"] != items[0].(map[string]any)["id"] || env["ALPACA_METER_ID"] != obj("meter")["id"] {
		t.Errorf("env: %v", env)
	}

	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Total != 12 || inv.AmountDue != 12 || inv.Currency != "usd" || len(inv.Lines.Data) != 1 || inv.Lines.Data[0].Quantity != 3000 {
		t.Errorf("upcoming invoice: total %d, amount_due %d, lines %+v", inv.Total, inv.AmountDue, inv.Lines.Data)
	}
	// The objects are the caller's only.
	it := e.client("sk_test_someone_else").Customers.List(&stripe.CustomerListParams{})
	if it.Next() {
		t.Errorf("another key sees the fixtures' customer %s", it.Customer().ID)
	}
	// Loaded like any request: the customer has its customer.created event.
	evs := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.created")})
	n := 0
	for evs.Next() {
		n++
	}
	if n != 1 {
		t.Errorf("%d customer.created events, want 1", n)
	}
}

// Every entry goes through the API's own checks; a failing entry is answered
// with Stripe's error (status, type, code, param) and a message that names it.
func TestFixturesEndpointErrors(t *testing.T) { acrossFrontEnds(t, testFixturesEndpointErrors) }

func testFixturesEndpointErrors(t *testing.T, newEnv func(*testing.T) *testEnv) {
	customer := `{"name":"customer","path":"/v1/customers","method":"post","params":{"name":"John Doe"}}`
	tests := []struct {
		name      string
		body      string
		status    int
		code      string
		param     string
		msg       []string
		customers int // left in the account
	}{
		{"failing entry", fixtureFile(customer, `{"name":"subscription","path":"/v1/subscriptions","method":"post","params":{"customer":"${customer:id}","items":[{"price":"price_nope"}]}}`),
			400, "resource_missing", "items[0][price]",
			[]string{`entry "subscription" (fixtures[1])`, "POST /v1/subscriptions failed: No such price: 'price_nope'", "(customer) were loaded"}, 1},
		{"unknown parameter", fixtureFile(`{"name":"c","path":"/v1/customers","method":"post","params":{"nmae":"x"}}`),
			400, "parameter_unknown", "nmae", []string{`entry "c" (fixtures[0])`, "Received unknown parameter: nmae"}, 0},
		{"missing parameter", fixtureFile(`{"name":"sub","path":"/v1/subscriptions","method":"post","params":{}}`),
			400, "parameter_missing", "customer", []string{`entry "sub"`, "Missing required param: customer."}, 0},
		{"bad integer", fixtureFile(`{"name":"p","path":"/v1/prices","method":"post","params":{"currency":"usd","unit_amount":"four","product_data":{"name":"x"}}}`),
			400, "parameter_invalid_integer", "unit_amount", []string{`entry "p"`}, 0},
		{"no such route", fixtureFile(`{"name":"x","path":"/v1/nothing","method":"post"}`),
			404, "", "", []string{`entry "x"`, "Unrecognized request URL (POST: /v1/nothing)"}, 0},
		{"unexpected error type", fixtureFile(`{"name":"get","path":"/v1/customers/cus_nope","expected_error_type":"card_error"}`),
			404, "resource_missing", "id", []string{`entry "get"`, "No such customer: 'cus_nope'"}, 0},
		{"reference without a value", fixtureFile(customer, `{"name":"again","path":"/v1/customers","method":"post","params":{"name":"${customer:phone}"}}`),
			400, "", "", []string{`entry "again" (fixtures[1])`, `params.name: ${customer:phone}: the response of "customer" has no phone`, "(customer) were loaded"}, 1},
		{"environment reference without a default", fixtureFile(`{"name":"c","path":"/v1/customers","method":"post","params":{"name":"${.env:NAME}"}}`),
			400, "", "", []string{"POST /_emulator/fixtures has no environment"}, 0},
		{"reference to a later entry runs nothing", fixtureFile(customer, `{"name":"sub","path":"/v1/subscriptions","method":"post","params":{"customer":"${customer:id}","items":[{"price":"${price:id}"}]}}`, `{"name":"price","path":"/v1/prices","method":"post","params":{"currency":"usd"}}`),
			400, "", "", []string{`entry "sub" (fixtures[1])`, `${price:id} refers to "price", which is not the name of an earlier entry`}, 0},
		{"bad JSON", `{"fixtures": [`, 400, "", "", []string{"fixtures file: invalid JSON"}, 0},
		{"empty body", ``, 400, "", "", []string{"the file is empty"}, 0},
		{"unsupported version", `{"_meta":{"template_version":2},"fixtures":[]}`, 400, "", "", []string{"template_version 2 is not supported"}, 0},
		{"bad env section", `{"fixtures":[` + customer + `],"env":{"ID":"${customer:phone}"}}`, 400, "", "",
			[]string{"env section", "ID: ${customer:phone}", "(customer) were loaded"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.postFixtures(tt.body)
			if r.status != tt.status || r.errField("code") != tt.code || r.errField("param") != tt.param || r.errField("type") != "invalid_request_error" {
				t.Fatalf("got %d %s, want %d code=%q param=%q", r.status, r.body, tt.status, tt.code, tt.param)
			}
			for _, m := range tt.msg {
				if !strings.Contains(r.errField("message"), m) {
					t.Errorf("message %q lacks %q", r.errField("message"), m)
				}
			}
			if n := e.countCustomers(); n != tt.customers {
				t.Errorf("%d customers in the account, want %d", n, tt.customers)
			}
		})
	}
}

func TestFixturesEndpointNeedsAKey(t *testing.T) {
	e := newEnv(t)
	r := e.postFixtures(fixtureFile(), "Authorization", "")
	if r.status != 401 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = e.postFixtures(fixtureFile(), "Authorization", "Bearer sk_live_123")
	if r.status != 401 {
		t.Fatalf("live key: %d %s", r.status, r.body)
	}
}

// Methods, query params, idempotency keys, headers, expected errors and v2
// bodies behave as the Stripe CLI sends them.
func TestFixturesEntryKinds(t *testing.T) {
	e := newEnv(t)
	r := e.postFixtures(fixtureFile(
		`{"name":"missing","path":"/v1/customers/cus_nope","expected_error_type":"invalid_request_error"}`,
		`{"name":"first","path":"/v1/customers","method":"post","params":{"name":"${missing:name|Ann}","metadata":{"n":1}},"idempotency_key":"fixture-first"}`,
		`{"name":"replay","path":"/v1/customers","method":"post","params":{"name":"Ann","metadata":{"n":1}},"idempotency_key":"fixture-first"}`,
		`{"name":"second","path":"/v1/customers","method":"POST","params":{"name":"Bob","preferred_locales":["en","fr"]},"headers":{"Stripe-Version":"2024-06-20"}}`,
		`{"name":"list","path":"/v1/customers","params":{"limit":1}}`,
		`{"name":"update","path":"/v1/customers/${list:data.0.id}","method":"post","params":{"email":"bob@example.com"}}`,
		`{"name":"meter","path":"/v1/billing/meters","method":"post","params":{"display_name":"m","event_name":"tokens","default_aggregation":{"formula":"sum"}}}`,
		`{"name":"v2event","path":"/v2/billing/meter_events","method":"post","params":{"event_name":"${meter:event_name}","payload":{"stripe_customer_id":"${first:id}","value":"25"}}}`,
		`{"name":"gone","path":"/v1/customers/${first:id}","method":"delete"}`,
	))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	fx := r.json["fixtures"].(map[string]any)
	get := func(name, field string) any {
		m, _ := fx[name].(map[string]any)
		return m[field]
	}
	if errObj, _ := get("missing", "error").(map[string]any); errObj["code"] != "resource_missing" {
		t.Errorf("an expected error is kept as the entry's response: %v", fx["missing"])
	}
	if get("first", "name") != "Ann" || get("first", "metadata").(map[string]any)["n"] != "1" {
		t.Errorf("first: %v", fx["first"])
	}
	if get("replay", "id") != get("first", "id") {
		t.Errorf("the same idempotency key made two customers: %v %v", get("first", "id"), get("replay", "id"))
	}
	if locales, _ := get("second", "preferred_locales").([]any); len(locales) != 2 || locales[1] != "fr" {
		t.Errorf("second: %v", fx["second"])
	}
	if data, _ := get("list", "data").([]any); len(data) != 1 || get("list", "object") != "list" {
		t.Errorf("GET params go in the query: %v", fx["list"])
	}
	if get("update", "id") != get("second", "id") || get("update", "email") != "bob@example.com" {
		t.Errorf("update: %v", fx["update"])
	}
	if get("v2event", "object") != "v2.billing.meter_event" {
		t.Errorf("v2 event: %v", fx["v2event"])
	}
	if get("gone", "deleted") != true {
		t.Errorf("delete: %v", fx["gone"])
	}
	if n := e.countCustomers(); n != 1 {
		t.Errorf("%d customers, want 1 (Bob)", n)
	}

	// The same key with other parameters is Stripe's idempotency error.
	r = e.postFixtures(fixtureFile(`{"name":"other","path":"/v1/customers","method":"post","params":{"name":"Carl"},"idempotency_key":"fixture-first"}`))
	if r.status != 400 || r.errField("type") != "idempotency_error" || !strings.Contains(r.errField("message"), `entry "other"`) {
		t.Errorf("reused idempotency key: %d %s", r.status, r.body)
	}
}

// LoadFixtures' error names the file, the entry and Stripe's error, and reads
// ${.env:...} from the environment it is given.
func TestFixturesLoadErrorNamesFileAndEntry(t *testing.T) {
	e := newEnv(t)
	data := fixtureFile(
		`{"name":"customer","path":"/v1/customers","method":"post","params":{"name":"${.env:CUSTOMER_NAME}"}}`,
		`{"name":"subscription","path":"/v1/subscriptions","method":"post","params":{"customer":"${customer:id}","items":[{"price":"price_nope"}]}}`,
	)
	env := func(k string) (string, bool) {
		if k == "CUSTOMER_NAME" {
			return "From Env", true
		}
		return "", false
	}
	_, err := e.srv.LoadFixtures(context.Background(), []byte(data), FixtureOptions{Key: e.key, File: "testdata/bad.json", Env: env})
	var fe *FixtureError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %T %v, want a *FixtureError", err, err)
	}
	if fe.File != "testdata/bad.json" || fe.Entry != "subscription" || fe.Index != 1 || fe.API == nil || fe.API.Code != "resource_missing" || fe.Request != "POST /v1/subscriptions" {
		t.Errorf("error: %+v", fe)
	}
	for _, want := range []string{"fixtures file testdata/bad.json", `entry "subscription" (fixtures[1])`, "POST /v1/subscriptions failed", "No such price: 'price_nope'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
	it := e.sc.Customers.List(&stripe.CustomerListParams{})
	if !it.Next() || it.Customer().Name != "From Env" {
		t.Errorf("the environment was not used: %v", it.Customer())
	}

	// A file that cannot be parsed names the file.
	_, err = e.srv.LoadFixtures(context.Background(), []byte(`{"fixtures":[{"name":"a","path":"/v1/customers","method":"patch"}]}`), FixtureOptions{Key: e.key, File: "x.json"})
	if !errors.As(err, &fe) || fe.Entry != "a" || !strings.Contains(err.Error(), `fixtures file x.json, entry "a" (fixtures[0]): method "patch"`) {
		t.Errorf("err = %v", err)
	}

	// A bad key fails the first entry, as it fails any request.
	_, err = e.srv.LoadFixtures(context.Background(), []byte(fixtureFile(`{"name":"a","path":"/v1/customers","method":"post"}`)), FixtureOptions{Key: "sk_live_x", File: "x.json"})
	if !errors.As(err, &fe) || fe.API == nil || fe.API.Status != 401 {
		t.Errorf("live key: %v", err)
	}
}

// A fixtures file's _meta.api_version is the version of its entries that set
// none, and the account's default when it has none (set by "fixtures"); an
// entry's own Stripe-Version header wins. POST /_emulator/fixtures with a
// Stripe-Version header does the same unless the file names a version.
func TestFixturesAPIVersion(t *testing.T) {
	file := func(meta string) string {
		return `{"_meta":{"template_version":0` + meta + `},"fixtures":[` +
			`{"name":"plain","path":"/v1/customers","method":"post","params":{"business_name":"Acme"},"expected_error_type":"invalid_request_error"},` +
			`{"name":"old","path":"/v1/customers","method":"post","params":{"name":"Old"},"headers":{"Stripe-Version":"2024-06-20"}}]}`
	}
	for _, tt := range []struct {
		name, meta string
		headers    []string
		wantCode   string // of the business_name entry: unknown before clover, "" (made) from it
		version    string // the account's default after the file
		setBy      any
	}{
		{"no version", "", nil, "parameter_unknown", "2024-06-20", "request"}, // the second entry's header set it
		{"from the file", `,"api_version":"2025-09-30.clover"`, nil, "", "2025-09-30.clover", "fixtures"},
		{"from the request", "", at("2026-10-28.endive"), "", "2026-10-28.endive", "fixtures"},
		{"the file beats the request", `,"api_version":"2025-08-27.basil"`, at("2026-10-28.endive"), "parameter_unknown", "2025-08-27.basil", "fixtures"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.postFixtures(file(tt.meta), tt.headers...)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			fx := r.json["fixtures"].(map[string]any)
			plain := fx["plain"].(map[string]any)
			errObj, _ := plain["error"].(map[string]any)
			if tt.wantCode != "" && (errObj["code"] != tt.wantCode || errObj["param"] != "business_name") || tt.wantCode == "" && plain["business_name"] != "Acme" {
				t.Errorf("the entry without a header: %v", plain)
			}
			acct := e.do("GET", "/_emulator/account", "")
			if acct.json["default_api_version"] != tt.version || acct.json["default_api_version_set_by"] != tt.setBy {
				t.Errorf("the account: %s", acct.body)
			}
		})
	}
	// An account whose default is set keeps it.
	e := newEnv(t)
	e.do("POST", "/_emulator/account", "default_api_version=2024-09-30.acacia")
	if r := e.postFixtures(file(`,"api_version":"2025-09-30.clover"`)); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if acct := e.do("GET", "/_emulator/account", ""); acct.json["default_api_version"] != "2024-09-30.acacia" || acct.json["default_api_version_set_by"] != "emulator" {
		t.Errorf("a default already set: %s", acct.body)
	}
	// A version the list lacks refuses the file before any entry runs.
	r := e.postFixtures(file(`,"api_version":"2025-09-30.acacia"`))
	if r.status != 400 || !strings.Contains(r.errField("message"), `_meta.api_version "2025-09-30.acacia" is not a Stripe API version`) {
		t.Errorf("an unknown version: %d %s", r.status, r.body)
	}
	if _, err := e.srv.LoadFixtures(context.Background(), []byte(file("")), FixtureOptions{Key: e.key, APIVersion: "2099-01-01"}); err == nil || !strings.Contains(err.Error(), `"2099-01-01"`) {
		t.Errorf("LoadFixtures with an unknown version: %v", err)
	}
}
