package server

import (
	"encoding/base64"
	"slices"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

func TestCustomerCRUD(t *testing.T) {
	e := newEnv(t)
	// customer.New(nil) sends an empty body: nothing is required.
	empty, err := e.sc.Customers.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Email != "" || empty.Created != t0.Unix() || empty.Object != "customer" || len(empty.ID) != len("cus_")+24 {
		t.Fatalf("empty customer: %+v", empty)
	}
	if empty.InvoicePrefix == "" || empty.NextInvoiceSequence != 1 || empty.TaxExempt != "none" || empty.Livemode {
		t.Fatalf("defaults: %+v", empty)
	}

	c, err := e.sc.Customers.New(&stripe.CustomerParams{
		Name:             stripe.String("John Doe"),
		Email:            stripe.String("john@example.com"),
		Description:      stripe.String("the Alpaca AI customer"),
		Phone:            stripe.String("+15555550100"),
		Balance:          stripe.Int64(-500),
		PreferredLocales: stripe.StringSlice([]string{"en", "fr"}),
		Address:          &stripe.AddressParams{City: stripe.String("Paris"), Country: stripe.String("FR")},
		Shipping: &stripe.CustomerShippingParams{Name: stripe.String("John"),
			Address: &stripe.AddressParams{Line1: stripe.String("1 rue de Rivoli")}},
		InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{Footer: stripe.String("Thanks")},
		TaxExempt:       stripe.String("exempt"),
		Params:          stripe.Params{Metadata: map[string]string{"plan": "pro"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "John Doe" || c.Email != "john@example.com" || c.Description != "the Alpaca AI customer" || c.Phone != "+15555550100" {
		t.Errorf("text fields: %+v", c)
	}
	if c.Balance != -500 || len(c.PreferredLocales) != 2 || c.Address.City != "Paris" || c.Address.Country != "FR" || c.Address.Line1 != "" {
		t.Errorf("balance/locales/address: %+v %+v", c, c.Address)
	}
	if c.Shipping == nil || c.Shipping.Name != "John" || c.Shipping.Address.Line1 != "1 rue de Rivoli" {
		t.Errorf("shipping: %+v", c.Shipping)
	}
	if c.InvoiceSettings.Footer != "Thanks" || c.TaxExempt != "exempt" || c.Metadata["plan"] != "pro" {
		t.Errorf("invoice settings/tax/metadata: %+v", c)
	}

	got, err := e.sc.Customers.Get(c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "John Doe" || got.Metadata["plan"] != "pro" {
		t.Errorf("retrieve: %+v", got)
	}

	e.clock.Add(time.Hour)
	upd, err := e.sc.Customers.Update(c.ID, &stripe.CustomerParams{
		Name:    stripe.String("Jane Doe"),
		Address: &stripe.AddressParams{Line1: stripe.String("2 rue")},
		Params:  stripe.Params{Metadata: map[string]string{"plan": "", "team": "core"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Name != "Jane Doe" || upd.Email != "john@example.com" {
		t.Errorf("update kept/changed: %+v", upd)
	}
	if upd.Address.City != "Paris" || upd.Address.Line1 != "2 rue" {
		t.Errorf("address merge: %+v", upd.Address)
	}
	if _, ok := upd.Metadata["plan"]; ok || upd.Metadata["team"] != "core" {
		t.Errorf("metadata unset/set: %v", upd.Metadata)
	}
	if upd.Created != t0.Unix() {
		t.Errorf("created changed on update: %d", upd.Created)
	}

	// Clearing: address= and metadata= unset everything.
	r := e.do("POST", "/v1/customers/"+c.ID, "address=&metadata=&tax_exempt=")
	if r.status != 200 || r.json["address"] != nil || len(r.json["metadata"].(map[string]any)) != 0 || r.json["tax_exempt"] != "none" {
		t.Errorf("clear: %d %s", r.status, r.body)
	}

	del, err := e.sc.Customers.Del(c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !del.Deleted || del.ID != c.ID {
		t.Errorf("delete: %+v", del)
	}
	// Retrieving a deleted customer answers the deleted stub, as Stripe does.
	gone, err := e.sc.Customers.Get(c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !gone.Deleted || gone.ID != c.ID {
		t.Errorf("retrieve deleted: %+v", gone)
	}
	r = e.do("GET", "/v1/customers/"+c.ID, "")
	if len(r.json) != 3 || r.json["deleted"] != true || r.json["object"] != "customer" {
		t.Errorf("deleted stub: %s", r.body)
	}
	_, err = e.sc.Customers.Update(c.ID, &stripe.CustomerParams{Name: stripe.String("x")})
	wantErr(t, err, 404, "resource_missing", "id")
	_, err = e.sc.Customers.Del(c.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")

	// Deleted customers leave lists.
	it := e.sc.Customers.List(&stripe.CustomerListParams{})
	n := 0
	for it.Next() {
		if it.Customer().ID == c.ID {
			t.Errorf("deleted customer listed")
		}
		n++
	}
	if it.Err() != nil || n != 1 {
		t.Errorf("list: %d %v", n, it.Err())
	}
}

func TestCustomerMissing(t *testing.T) {
	e := newEnv(t)
	_, err := e.sc.Customers.Get("cus_nope", nil)
	se := wantErr(t, err, 404, "resource_missing", "id")
	if se.Msg != "No such customer: 'cus_nope'" || se.Type != stripe.ErrorTypeInvalidRequest {
		t.Errorf("message/type: %q %q", se.Msg, se.Type)
	}
	if se.RequestID == "" || se.DocURL != "https://stripe.com/docs/error-codes/resource-missing" {
		t.Errorf("request id / doc url: %q %q", se.RequestID, se.DocURL)
	}
}

func TestCustomerValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		body, code, param, msg string
	}{
		{"invoice_prefix=ab", "parameter_invalid", "invoice_prefix", "Invalid invoice_prefix"},
		{"tax_exempt=sometimes", "", "tax_exempt", "Invalid tax_exempt: must be one of exempt, none, or reverse"},
		{"balance=lots", "parameter_invalid_integer", "balance", "Invalid integer: lots"},
		{"shipping[name]=x", "parameter_missing", "shipping[address]", "Missing required param: shipping[address]."},
		{"payment_method=pm_nope", "resource_missing", "payment_method", "No such PaymentMethod: 'pm_nope'"},
		{"coupon=FREE", "", "coupon", "does not support the parameter coupon"},
		{"source=tok_visa&payment_method=pm_card_visa&coupon=FREE", "", "coupon", "does not support the parameter coupon"}, // the first, sorted
		{"invoice_settings[default_payment_method]=pm_1", "resource_missing", "invoice_settings[default_payment_method]",
			"The customer does not have a payment method with the ID pm_1. The payment method must be attached to the customer."},
		{"payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_mastercard", "resource_missing",
			"invoice_settings[default_payment_method]", "The customer does not have a payment method with the ID pm_card_mastercard."},
		{"email[x]=1", "", "email", "must be a single value"},
		{"name=" + string(make([]byte, 0)) + repeat("n", 257), "parameter_invalid", "name", "must be at most 256 characters"},
		{"invoice_settings[custom_fields][0][name]=a", "parameter_missing", "invoice_settings[custom_fields][0][value]", "Missing required param"},
	}
	for _, tt := range tests {
		r := e.do("POST", "/v1/customers", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !contains2(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", tt.body, r.status, r.body)
		}
	}
	// Nothing was created by the failed requests.
	if r := e.do("GET", "/v1/customers", ""); len(r.json["data"].([]any)) != 0 {
		t.Errorf("failed creates stored objects: %s", r.body)
	}
}

func TestCustomerListEmailFilter(t *testing.T) {
	e := newEnv(t)
	for _, email := range []string{"a@example.com", "b@example.com", "a@example.com"} {
		if _, err := e.sc.Customers.New(&stripe.CustomerParams{Email: stripe.String(email)}); err != nil {
			t.Fatal(err)
		}
	}
	it := e.sc.Customers.List(&stripe.CustomerListParams{Email: stripe.String("a@example.com")})
	n := 0
	for it.Next() {
		if it.Customer().Email != "a@example.com" {
			t.Errorf("filter let through %s", it.Customer().Email)
		}
		n++
	}
	if n != 2 {
		t.Errorf("email filter: %d customers", n)
	}
}

func TestCustomerSearch(t *testing.T) {
	e := newEnv(t)
	mk := func(name, email string, md map[string]string) string {
		c, err := e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String(name), Email: stripe.String(email), Params: stripe.Params{Metadata: md}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Second)
		return c.ID
	}
	jenny := mk("Jenny Rosen", "jenny@example.com", map[string]string{"plan": "pro"})
	john := mk("John Doe", "john@example.com", map[string]string{"plan": "free"})
	mk("Alpaca Farmer", "farmer@alpaca.ai", nil)

	search := func(q string) []string {
		t.Helper()
		it := e.sc.Customers.Search(&stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: q}})
		var ids []string
		for it.Next() {
			ids = append(ids, it.Customer().ID)
		}
		if it.Err() != nil {
			t.Fatalf("%s: %v", q, it.Err())
		}
		return ids
	}
	if got := search("email:'jenny@example.com'"); len(got) != 1 || got[0] != jenny {
		t.Errorf("email: %v", got)
	}
	if got := search("name~'doe'"); len(got) != 1 || got[0] != john {
		t.Errorf("name~: %v", got)
	}
	if got := search("metadata['plan']:'pro' OR metadata['plan']:'free'"); len(got) != 2 || got[0] != john || got[1] != jenny {
		t.Errorf("metadata OR, newest first: %v", got)
	}
	if got := search("-email~'example.com'"); len(got) != 1 {
		t.Errorf("negation: %v", got)
	}
	if got := search("created>=" + itoa(t0.Unix()+1)); len(got) != 2 {
		t.Errorf("created: %v", got)
	}
	// Pagination through next_page, one at a time.
	params := &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: "email~'example'", Limit: stripe.Int64(1)}}
	it := e.sc.Customers.Search(params)
	var ids []string
	for it.Next() {
		ids = append(ids, it.Customer().ID)
	}
	if len(ids) != 2 || ids[0] != john || ids[1] != jenny {
		t.Errorf("paged search: %v %v", ids, it.Err())
	}
	// total_count is included on request.
	r := e.do("GET", "/v1/customers/search?query=email~'example'&expand[]=total_count&limit=1", "")
	if r.json["total_count"] != float64(2) || r.json["has_more"] != true || r.json["next_page"] == nil || r.json["object"] != "search_result" {
		t.Errorf("total_count: %s", r.body)
	}
	r = e.do("GET", "/v1/customers/search?query=email:'x", "")
	if r.status != 400 || r.errField("param") != "query" || !contains2(r.errField("message"), "position") {
		t.Errorf("malformed query: %s", r.body)
	}
	r = e.do("GET", "/v1/customers/search", "")
	if r.status != 400 || r.errField("code") != "parameter_missing" {
		t.Errorf("missing query: %s", r.body)
	}
	for _, tok := range []string{"bogus", "page_" + base64.RawURLEncoding.EncodeToString([]byte("5:3")), "page_" + base64.RawURLEncoding.EncodeToString([]byte("5:3:"))} {
		r = e.do("GET", "/v1/customers/search?query=email:'a'&page="+tok, "")
		if r.status != 400 || r.errField("param") != "page" {
			t.Errorf("bad page %q: %s", tok, r.body)
		}
	}
}

// GET /v1/customers leaves out customers on a test clock unless test_clock
// names their clock ("The response will not include customers with test
// clocks if this parameter is not set"); search is not filtered.
func TestListCustomersAndTestClocks(t *testing.T) {
	e := newEnv(t)
	clock, err := e.sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix())})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := e.sc.Customers.New(&stripe.CustomerParams{Email: stripe.String("a@example.com")})
	onClock, err := e.sc.Customers.New(&stripe.CustomerParams{Email: stripe.String("a@example.com"), TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		params *stripe.CustomerListParams
		want   []string
	}{
		{"all", &stripe.CustomerListParams{}, []string{plain.ID}},
		{"by email", &stripe.CustomerListParams{Email: stripe.String("a@example.com")}, []string{plain.ID}},
		{"by test clock", &stripe.CustomerListParams{TestClock: stripe.String(clock.ID)}, []string{onClock.ID}},
		{"by email and test clock", &stripe.CustomerListParams{Email: stripe.String("a@example.com"), TestClock: stripe.String(clock.ID)}, []string{onClock.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			it := e.sc.Customers.List(tt.params)
			for it.Next() {
				got = append(got, it.Customer().ID)
			}
			if it.Err() != nil || !slices.Equal(got, tt.want) {
				t.Errorf("got %v %v, want %v", got, it.Err(), tt.want)
			}
		})
	}
	found := 0
	sr := e.sc.Customers.Search(&stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: "email:'a@example.com'"}})
	for sr.Next() {
		found++
	}
	if sr.Err() != nil || found != 2 {
		t.Errorf("search: %d customers, %v; want both", found, sr.Err())
	}
}
