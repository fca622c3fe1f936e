package server

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

func TestAuthentication(t *testing.T) { acrossFrontEnds(t, testAuthentication) }

func testAuthentication(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(e.key+":"))
	tests := []struct {
		name, auth string
		status     int
		msg        string
	}{
		{"bearer", "Bearer " + e.key, 200, ""},
		{"basic auth, key as user", basic, 200, ""},
		{"restricted test key", "Bearer rk_test_abc", 200, ""},
		{"no header", "", 401, "You did not provide an API key. You need to provide your API key in the Authorization header"},
		{"empty bearer", "Bearer ", 401, `though you did set your Authorization header to "Bearer"`},
		{"unknown scheme", "Token sk_test_x", 401, "though you did set your Authorization header"},
		{"live key", "Bearer sk_live_0123456789abcdef", 401, "Invalid API Key provided: sk_live_************cdef. stripe-emulator takes test mode keys only"},
		{"publishable key", "Bearer pk_test_123", 401, "cannot be made with a publishable API key"},
		{"malformed key", "Bearer hello_world_key", 401, "Invalid API Key provided: hello_wo"},
		{"bare prefix", "Bearer sk_test_", 401, "Invalid API Key provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/v1/customers", "", "Authorization", tt.auth)
			if r.status != tt.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tt.status == 401 {
				if r.errField("type") != "invalid_request_error" || !strings.Contains(r.errField("message"), tt.msg) {
					t.Errorf("body: %s", r.body)
				}
				if r.header.Get("Request-Id") == "" {
					t.Errorf("no Request-Id on a 401")
				}
			}
		})
	}
	// stripe-go maps a 401 to an error with the status.
	_, err := e.client("sk_live_abcdefghijkl").Customers.New(nil)
	wantErr(t, err, 401, "", "")
}

func TestAccountsAreIsolated(t *testing.T) {
	e := newEnv(t)
	a, b := e.client("sk_test_suite_a"), e.client("sk_test_suite_b")
	c, err := a.Customers.New(&stripe.CustomerParams{Email: stripe.String("a@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Customers.Get(c.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
	it := b.Customers.List(nil)
	if it.Next() {
		t.Errorf("key b sees key a's customer %s", it.Customer().ID)
	}
	if _, err := a.Customers.Get(c.ID, nil); err != nil {
		t.Errorf("key a lost its own customer: %v", err)
	}
}

func TestReset(t *testing.T) {
	e := newEnv(t)
	c, err := e.sc.Customers.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := e.client("sk_test_other")
	oc, err := other.Customers.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/_emulator/reset", "")
	if r.status != 200 || r.json["reset"] != true {
		t.Fatalf("reset: %s", r.body)
	}
	_, err = e.sc.Customers.Get(c.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
	if _, err := other.Customers.Get(oc.ID, nil); err != nil {
		t.Errorf("reset dropped another key's data: %v", err)
	}
	if r := e.do("POST", "/_emulator/reset", "", "Authorization", ""); r.status != 401 {
		t.Errorf("reset without a key: %d", r.status)
	}
}

func TestHeadersAndRouting(t *testing.T) { acrossFrontEnds(t, testHeadersAndRouting) }

func testHeadersAndRouting(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	r := e.do("GET", "/v1/customers", "")
	if id := r.header.Get("Request-Id"); !strings.HasPrefix(id, "req_") || len(id) < 18 {
		t.Errorf("Request-Id = %q", id)
	}
	if v := r.header.Get("Stripe-Version"); v != "2024-06-20" {
		t.Errorf("default Stripe-Version = %q", v)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	r = e.do("GET", "/v1/customers", "", "Stripe-Version", "2025-03-31.basil")
	if r.status != 200 || r.header.Get("Stripe-Version") != "2025-03-31.basil" {
		t.Errorf("Stripe-Version echo: %d %q", r.status, r.header.Get("Stripe-Version"))
	}
	r = e.do("GET", "/v1/customers", "", "Stripe-Version", "2024-13-45")
	if r.status != 400 || r.errField("message") != "Invalid Stripe API version: 2024-13-45" {
		t.Errorf("bad version: %d %s", r.status, r.body)
	}
	// //v1/... works as on Stripe.
	if r := e.do("GET", "//v1/customers", ""); r.status != 200 || r.json["object"] != "list" {
		t.Errorf("//v1: %d %s", r.status, r.body)
	}
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/nope"},
		{"PUT", "/v1/customers"},
		{"PATCH", "/v1/customers/cus_1"},
		{"POST", "/v1/customers/cus_1/nope"},
		{"GET", "/"},
	} {
		r := e.do(tt.method, tt.path, "")
		want := "Unrecognized request URL (" + tt.method + ": " + tt.path + ")."
		if r.status != 404 || !strings.HasPrefix(r.errField("message"), want) || r.errField("type") != "invalid_request_error" || r.header.Get("Request-Id") == "" {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, r.status, r.body)
		}
	}
	// Errors of authenticated requests link to the emulator's request log.
	r = e.do("GET", "/v1/customers/cus_missing", "")
	logURL := r.errField("request_log_url")
	if !strings.HasSuffix(logURL, "/_emulator/requests/"+r.header.Get("Request-Id")) {
		t.Fatalf("request_log_url = %q", logURL)
	}
	entry := e.do("GET", strings.TrimPrefix(logURL, e.url), "")
	if entry.status != 200 || entry.json["status"] != float64(404) || entry.json["path"] != "/v1/customers/cus_missing" {
		t.Errorf("request log entry: %s", entry.body)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/healthz", "", "Authorization", "")
	if r.status != 200 || r.json["status"] != "ok" {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
}

func TestBadInputGetsA4xx(t *testing.T) { acrossFrontEnds(t, testBadInputGetsA4xx) }

func testBadInputGetsA4xx(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		msg                      string
	}{
		{"JSON body", "POST", "/v1/customers", `{"email":"a@b.com"}`, []string{"Content-Type", "application/json"}, 400, "unsupported Content-Type application/json"},
		{"multipart body", "POST", "/v1/customers", "x", []string{"Content-Type", "multipart/form-data; boundary=x"}, 400, "unsupported Content-Type"},
		{"10 MB body", "POST", "/v1/customers", "name=" + strings.Repeat("a", 10<<20), nil, 413, "too large"},
		{"1000-deep brackets", "POST", "/v1/customers", "metadata" + strings.Repeat("[a]", 1000) + "=1", nil, 400, "longer than"},
		{"20-deep brackets", "POST", "/v1/customers", "metadata" + strings.Repeat("[a]", 20) + "=1", nil, 400, "nested more than"},
		{"invalid UTF-8", "POST", "/v1/customers", "name=%ff%fe", nil, 400, "not valid UTF-8"},
		{"raw invalid UTF-8", "POST", "/v1/customers", "name=\xff\xfe", nil, 400, "not valid UTF-8"},
		{"bad percent", "POST", "/v1/customers", "name=%", nil, 400, "not valid URL encoding"},
		{"invalid UTF-8 in query", "GET", "/v1/customers?email=%C3%28", "", nil, 400, "not valid UTF-8"},
		{"nested metadata", "POST", "/v1/customers", "metadata[a][b]=1", nil, 400, "metadata[a]"},
		{"huge integer", "GET", "/v1/customers?limit=99999999999999999999999", "", nil, 400, "Invalid integer"},
		{"DELETE with unknown body param", "DELETE", "/v1/customers/cus_x", "foo=1", nil, 400, "Received unknown parameter: foo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body, tt.headers...)
			if r.status != tt.status || !strings.Contains(r.body2(), tt.msg) || r.errField("type") != "invalid_request_error" {
				t.Errorf("%d %s", r.status, truncateForLog(r.body))
			}
		})
	}
	if r := e.do("GET", "/v1/customers", ""); len(r.json["data"].([]any)) != 0 {
		t.Errorf("bad input stored something: %s", r.body)
	}
}

func (r response) body2() string { return string(r.body) }

func truncateForLog(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

func TestIdempotency(t *testing.T) { acrossFrontEnds(t, testIdempotency) }

func testIdempotency(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	first := e.do("POST", "/v1/customers", "email=a%40example.com&metadata[k]=v", "Idempotency-Key", "key-1")
	if first.status != 200 || first.header.Get("Idempotency-Key") != "key-1" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %v", first.status, first.header)
	}
	e.clock.Add(time.Minute)
	// Same key, same parameters in another order: the first response, byte for byte.
	replay := e.do("POST", "/v1/customers", "metadata[k]=v&email=a%40example.com", "Idempotency-Key", "key-1")
	if !bytes.Equal(replay.body, first.body) || replay.header.Get("Idempotent-Replayed") != "true" || replay.status != 200 {
		t.Fatalf("replay differs: %s vs %s (%v)", replay.body, first.body, replay.header)
	}
	if replay.header.Get("Request-Id") == first.header.Get("Request-Id") {
		t.Errorf("a replay has its own Request-Id")
	}
	// Same key, other parameters.
	r := e.do("POST", "/v1/customers", "email=b%40example.com", "Idempotency-Key", "key-1")
	if r.status != 400 || r.errField("type") != "idempotency_error" || !strings.Contains(r.errField("message"), "same parameters") {
		t.Errorf("mismatch: %d %s", r.status, r.body)
	}
	// Same key on another endpoint.
	r = e.do("POST", "/v1/products", "name=x", "Idempotency-Key", "key-1")
	if r.status != 400 || r.errField("type") != "idempotency_error" || !strings.Contains(r.errField("message"), "same endpoint") {
		t.Errorf("other endpoint: %d %s", r.status, r.body)
	}
	// Errors from execution are replayed too; validation errors are not saved.
	miss := e.do("POST", "/v1/customers/cus_nope", "name=x", "Idempotency-Key", "key-2")
	again := e.do("POST", "/v1/customers/cus_nope", "name=x", "Idempotency-Key", "key-2")
	if miss.status != 404 || !bytes.Equal(miss.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("error replay: %s / %s", miss.body, again.body)
	}
	bad := e.do("POST", "/v1/customers", "nope=1", "Idempotency-Key", "key-3")
	good := e.do("POST", "/v1/customers", "nope=1", "Idempotency-Key", "key-3")
	if bad.status != 400 || good.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a validation error was saved: %v", good.header)
	}
	// Keys are per account.
	other := e.do("POST", "/v1/customers", "email=a%40example.com", "Idempotency-Key", "key-1", "Authorization", "Bearer sk_test_someone_else")
	if other.header.Get("Idempotent-Replayed") != "" || other.json["id"] == first.json["id"] {
		t.Errorf("key shared across accounts: %s", other.body)
	}
	// Over-long keys.
	if r := e.do("POST", "/v1/customers", "", "Idempotency-Key", strings.Repeat("k", 256)); r.status != 400 || !strings.Contains(r.errField("message"), "1-255 characters") {
		t.Errorf("long key: %d %s", r.status, r.body)
	}
	// Keys expire after 24 hours.
	e.clock.Add(24 * time.Hour)
	fresh := e.do("POST", "/v1/customers", "email=a%40example.com&metadata[k]=v", "Idempotency-Key", "key-1")
	if fresh.header.Get("Idempotent-Replayed") != "" || fresh.json["id"] == first.json["id"] {
		t.Errorf("key not expired after 24h: %s", fresh.body)
	}
	// GET ignores the header.
	if r := e.do("GET", "/v1/customers", "", "Idempotency-Key", "key-1"); r.status != 200 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("GET: %d %v", r.status, r.header)
	}
}

func TestIdempotencyInFlight(t *testing.T) {
	st := newIdemStore(time.Hour, 1<<20, newBudget(1<<40))
	now := time.Now()
	var sum [32]byte
	claimed, _, err := st.begin("k", "POST /v1/customers", sum, now)
	if err != nil || claimed == nil {
		t.Fatalf("first begin: %v", err)
	}
	_, _, err = st.begin("k", "POST /v1/customers", sum, now)
	if err == nil || err.Status != 409 || err.Code != "idempotency_key_in_use" {
		t.Fatalf("in flight: %+v", err)
	}
	st.complete(claimed, 200, []byte(`{}`), nil)
	_, replay, err := st.begin("k", "POST /v1/customers", sum, now)
	if err != nil || replay == nil || string(replay.body) != "{}" {
		t.Fatalf("after completion: %+v %+v", replay, err)
	}
}

// TestIdempotencyBudget checks that the store forgets its oldest keys past its
// byte budget, keeps the newest, and that its accounting returns to zero.
func TestIdempotencyBudget(t *testing.T) {
	st := newIdemStore(time.Hour, 10_000, newBudget(1<<40))
	now := time.Now()
	body := make([]byte, 300)
	for i := 0; i < 1000; i++ {
		k := "key-" + strconv.Itoa(i)
		e, _, err := st.begin(k, "POST /v1/billing/meter_events", [32]byte{}, now)
		if err != nil {
			t.Fatal(err)
		}
		st.complete(e, 200, body, nil)
	}
	if entry := (&idemEntry{key: "key-999", endpoint: "POST /v1/billing/meter_events", body: body}).size(); st.retained > 10_000+entry+idemMapSlot+idemQueueSlot || st.retained < 10_000-entry {
		t.Errorf("%d bytes retained in %d entries, want about the 10,000 of the budget", st.retained, len(st.entries))
	}
	if _, replay, _ := st.begin("key-999", "POST /v1/billing/meter_events", [32]byte{}, now); replay == nil {
		t.Error("the newest key was forgotten")
	}
	st.begin("last", "POST /v1/customers", [32]byte{1}, now.Add(2*time.Hour)) // everything else has expired
	if len(st.entries) != 1 || st.bytes != (&idemEntry{key: "last", endpoint: "POST /v1/customers"}).size() {
		t.Errorf("after expiry: %d entries, %d bytes", len(st.entries), st.bytes)
	}
	if st.retained != st.budget.used.Load() {
		t.Errorf("the budget counts %d bytes, the store retains %d", st.budget.used.Load(), st.retained)
	}
}

// stripe-go retries with the same key; 20 goroutines with one key create one customer.
func TestIdempotencyConcurrent(t *testing.T) { acrossFrontEnds(t, testIdempotencyConcurrent) }

func testIdempotencyConcurrent(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	sc := e.clientWithRetries(e.key, 5)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	errs := make([]error, 20)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := &stripe.CustomerParams{Email: stripe.String("same@example.com")}
			p.SetIdempotencyKey("one-key")
			c, err := sc.Customers.New(p)
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = c.ID
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("two customers for one key: %s %s", ids[0], ids[i])
		}
	}
	it := e.sc.Customers.List(nil)
	n := 0
	for it.Next() {
		n++
	}
	if n != 1 {
		t.Fatalf("%d customers for one idempotency key", n)
	}
}

func TestPagination(t *testing.T) { acrossFrontEnds(t, testPagination) }

func testPagination(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	// 25 customers in one second (the clock does not move): the order must still be stable.
	var ids []string
	for i := 0; i < 25; i++ {
		c, err := e.sc.Customers.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{c.ID}, ids...) // newest first
	}
	page := e.do("GET", "/v1/customers", "")
	data := page.json["data"].([]any)
	if len(data) != 10 || page.json["has_more"] != true || page.json["url"] != "/v1/customers" {
		t.Fatalf("default page: %d %v", len(data), page.json["has_more"])
	}
	for i, d := range data {
		if d.(map[string]any)["id"] != ids[i] {
			t.Fatalf("order at %d", i)
		}
	}
	// Auto-pagination sees every customer once, in order.
	it := e.sc.Customers.List(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(7)}})
	var got []string
	for it.Next() {
		got = append(got, it.Customer().ID)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("auto-pagination: %d items, order differs", len(got))
	}
	// ending_before pages backwards (stripe-go reverses them).
	it = e.sc.Customers.List(&stripe.CustomerListParams{ListParams: stripe.ListParams{EndingBefore: stripe.String(ids[20]), Limit: stripe.Int64(3)}})
	got = nil
	for it.Next() {
		got = append(got, it.Customer().ID)
	}
	if len(got) != 20 || got[0] != ids[19] || got[19] != ids[0] {
		t.Fatalf("ending_before: %d items", len(got))
	}
	r := e.do("GET", "/v1/customers?limit=3&ending_before="+ids[5], "")
	d := r.json["data"].([]any)
	if len(d) != 3 || d[0].(map[string]any)["id"] != ids[2] || d[2].(map[string]any)["id"] != ids[4] || r.json["has_more"] != true {
		t.Errorf("ending_before page: %s", r.body)
	}
	r = e.do("GET", "/v1/customers?limit=100&starting_after="+ids[24], "")
	if len(r.json["data"].([]any)) != 0 || r.json["has_more"] != false {
		t.Errorf("past the end: %s", r.body)
	}
	for _, tt := range []struct{ query, code, param, msg string }{
		{"limit=0", "parameter_invalid_integer", "limit", "greater than or equal to 1"},
		{"limit=-1", "parameter_invalid_integer", "limit", "greater than or equal to 1"},
		{"limit=101", "parameter_invalid_integer", "limit", "less than or equal to 100"},
		{"starting_after=" + ids[0] + "&ending_before=" + ids[1], "", "starting_after", "Received both starting_after and ending_before"},
		{"starting_after=cus_nope", "resource_missing", "starting_after", "No such customer: 'cus_nope'"},
		{"ending_before=cus_nope", "resource_missing", "ending_before", "No such customer"},
	} {
		r := e.do("GET", "/v1/customers?"+tt.query, "")
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", tt.query, r.status, r.body)
		}
	}
}

func TestCreatedFilter(t *testing.T) { acrossFrontEnds(t, testCreatedFilter) }

func testCreatedFilter(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 4; i++ {
		c, err := e.sc.Customers.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		e.clock.Add(time.Hour)
	}
	count := func(q string) int {
		r := e.do("GET", "/v1/customers?"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: %s", q, r.body)
		}
		return len(r.json["data"].([]any))
	}
	base := t0.Unix()
	for _, tt := range []struct {
		q    string
		want int
	}{
		{"created=" + itoa(base), 1},
		{"created[gt]=" + itoa(base), 3},
		{"created[gte]=" + itoa(base+3600), 3},
		{"created[lt]=" + itoa(base+3600), 1},
		{"created[lte]=" + itoa(base+7200), 3},
		{"created[gt]=" + itoa(base) + "&created[lt]=" + itoa(base+3*3600), 2},
	} {
		if got := count(tt.q); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.q, got, tt.want)
		}
	}
	it := e.sc.Customers.List(&stripe.CustomerListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: base + 7200}})
	n := 0
	for it.Next() {
		n++
	}
	if n != 2 {
		t.Errorf("stripe-go created range: %d", n)
	}
}

func TestExpand(t *testing.T) { acrossFrontEnds(t, testExpand) }

func testExpand(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	c, err := e.sc.Customers.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &stripe.CustomerParams{}
	p.AddExpand("test_clock")
	p.AddExpand("invoice_settings.default_payment_method")
	if _, err := e.sc.Customers.Get(c.ID, p); err != nil {
		t.Errorf("expanding null expandable fields: %v", err)
	}
	for _, tt := range []struct{ path, query, msg string }{
		{"/v1/customers/" + c.ID, "expand[]=email", "This property cannot be expanded (email)."},
		{"/v1/customers/" + c.ID, "expand[]=nope", "This property cannot be expanded (nope)."},
		{"/v1/customers/" + c.ID, "expand[]=a.b.c.d.e", "You cannot expand more than 4 levels of a property."},
		{"/v1/customers", "expand[]=test_clock", "You may want to try expanding 'data.test_clock' instead."},
		{"/v1/customers", "expand[]=data.email", "This property cannot be expanded (data.email)."},
	} {
		r := e.do("GET", tt.path+"?"+tt.query, "")
		if r.status != 400 || r.errField("message") != tt.msg && !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s?%s: %d %s", tt.path, tt.query, r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/customers?expand[]=data.test_clock", ""); r.status != 200 {
		t.Errorf("list expand: %s", r.body)
	}
}

func TestMetadataLimits(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	for i := 0; i < 51; i++ {
		b.WriteString("metadata[k" + itoa(int64(i)) + "]=v&")
	}
	for _, tt := range []struct{ body, msg string }{
		{b.String(), "Metadata can have up to 50 keys, but you've set 51."},
		{"metadata[" + strings.Repeat("k", 41) + "]=v", "must be a string under 40 characters"},
		{"metadata[k]=" + strings.Repeat("v", 501), "must be a string under 500 characters"},
	} {
		r := e.do("POST", "/v1/customers", tt.body)
		if r.status != 400 || r.errField("param") != "metadata" || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%.40s: %d %s", tt.body, r.status, r.body)
		}
	}
	// Exactly at the limits is fine; numbers are kept as text.
	r := e.do("POST", "/v1/customers", "metadata["+strings.Repeat("k", 40)+"]="+strings.Repeat("v", 500)+"&metadata[n]=42")
	if r.status != 200 || r.json["metadata"].(map[string]any)["n"] != "42" {
		t.Errorf("at the limits: %d %s", r.status, truncateForLog(r.body))
	}
	// 50 keys, then one more through an update, is refused; an unset plus a set is fine.
	var fifty strings.Builder
	for i := 0; i < 50; i++ {
		fifty.WriteString("metadata[k" + itoa(int64(i)) + "]=v&")
	}
	c := e.do("POST", "/v1/customers", fifty.String())
	id := c.json["id"].(string)
	if r := e.do("POST", "/v1/customers/"+id, "metadata[extra]=v"); r.status != 400 {
		t.Errorf("51st key through update: %d", r.status)
	}
	if r := e.do("POST", "/v1/customers/"+id, "metadata[k0]=&metadata[extra]=v"); r.status != 200 {
		t.Errorf("swap a key: %d %s", r.status, r.body)
	}
	if got := e.do("GET", "/v1/customers/"+id, ""); len(got.json["metadata"].(map[string]any)) != 50 {
		t.Errorf("metadata after swap: %d keys", len(got.json["metadata"].(map[string]any)))
	}
}

func TestPanicBecomesJSON500(t *testing.T) { acrossFrontEnds(t, testPanicBecomesJSON500) }

func testPanicBecomesJSON500(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	ep := &endpoint{noAuth: true, mode: txNone, h: func(*call) (jsonobj.Obj, error) { panic("boom") }}
	ep.route = "GET /_test/panic" // not in a table: the tables' routes are counted (TestRoutesWrittenBesideHandlers)
	if err := e.srv.prepare(ep); err != nil {
		t.Fatal(err)
	}
	e.srv.static[ep.route] = ep
	r := e.do("GET", "/_test/panic", "")
	if r.status != 500 || r.errField("type") != "api_error" {
		t.Fatalf("panic: %d %s", r.status, r.body)
	}
	// The server keeps serving.
	if r := e.do("GET", "/v1/customers", ""); r.status != 200 {
		t.Fatalf("after a panic: %d", r.status)
	}
}
