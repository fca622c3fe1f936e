package compat

import (
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

func TestCustomersAndProductsThroughTheBinary(t *testing.T) {
	e := start(t)
	sc := e.client("sk_test_compat")

	c, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("John Doe"), Email: stripe.String("john@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "cus_") || c.Name != "John Doe" {
		t.Fatalf("customer: %+v", c)
	}
	got, err := sc.Customers.Get(c.ID, nil)
	if err != nil || got.Email != "john@example.com" {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := sc.Customers.Update(c.ID, &stripe.CustomerParams{Params: stripe.Params{Metadata: map[string]string{"plan": "pro"}}}); err != nil {
		t.Fatal(err)
	}
	sr := sc.Customers.Search(&stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: "metadata['plan']:'pro'"}})
	if !sr.Next() || sr.Customer().ID != c.ID {
		t.Fatalf("search: %v", sr.Err())
	}

	p, err := sc.Products.New(&stripe.ProductParams{Name: stripe.String("Alpaca AI")})
	if err != nil {
		t.Fatal(err)
	}
	it := sc.Products.List(&stripe.ProductListParams{Active: stripe.Bool(true)})
	if !it.Next() || it.Product().ID != p.ID {
		t.Fatalf("list products: %v", it.Err())
	}
	if _, err := sc.Products.Del(p.ID, nil); err != nil {
		t.Fatal(err)
	}

	// Errors are Stripe's, and stripe-go does not retry them.
	_, err = sc.Customers.Get("cus_missing", nil)
	var se *stripe.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing || se.RequestID == "" {
		t.Fatalf("missing customer: %v", err)
	}
	_, err = sc.Customers.New(&stripe.CustomerParams{Params: stripe.Params{Extra: &stripe.ExtraValues{Values: map[string][]string{"bogus": {"1"}}}}})
	if !errors.As(err, &se) || se.Code != stripe.ErrorCodeParameterUnknown || se.Param != "bogus" {
		t.Fatalf("unknown parameter: %v", err)
	}

	// Another key sees nothing of this one.
	other := e.client("sk_test_compat_other")
	if _, err := other.Customers.Get(c.ID, nil); err == nil {
		t.Fatal("another key can read this key's customer")
	}
}

func TestIdempotentRetriesThroughTheBinary(t *testing.T) {
	e := start(t)
	sc := e.client("sk_test_idem")
	p := &stripe.CustomerParams{Email: stripe.String("once@example.com")}
	p.SetIdempotencyKey("compat-key")
	a, err := sc.Customers.New(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.Customers.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || b.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %s %s %v", a.ID, b.ID, b.LastResponse.Header)
	}
}

func TestCurlStyleRequestsAndUnknownRoutes(t *testing.T) {
	e := start(t)
	req, _ := http.NewRequest("POST", e.URL+"//v1/customers", strings.NewReader("name=Curl"))
	req.SetBasicAuth("sk_test_curl", "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Curl"`) {
		t.Fatalf("basic auth + //v1: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(e.URL + "/v1/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), "Unrecognized request URL (GET: /v1/nothing-here)") {
		t.Fatalf("unknown route: %d %s", resp.StatusCode, body)
	}
}

func TestGracefulStopAndHealthcheck(t *testing.T) {
	e := start(t)
	out, err := exec.Command(binary, "healthcheck", "-addr", e.Addr).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("healthcheck: %v %s", err, out)
	}
	if code := e.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM: %d", code)
	}
	if !strings.Contains(e.logs.String(), "msg=stopped") {
		t.Errorf("no stop line in the log:\n%s", e.logs.String())
	}
	cmd := exec.Command(binary, "healthcheck", "-addr", e.Addr)
	if err := cmd.Run(); err == nil {
		t.Fatal("healthcheck succeeded against a stopped emulator")
	}
}
