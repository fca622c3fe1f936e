package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"

	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// t0 is 2024-07-01T00:00:00Z, the reference's Alpaca AI start.
var t0 = time.Unix(1719792000, 0).UTC()

// testEnv is an emulator served over httptest, with a manual clock.
type testEnv struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *clock.Manual
	key   string
	sc    *client.API
}

func newEnv(t *testing.T) *testEnv { return newEnvWith(t, nil) }

// newEnvWith starts an emulator whose options configure may change.
func newEnvWith(t *testing.T, configure func(*Options)) *testEnv {
	t.Helper()
	clk := clock.NewManual(t0)
	opts := Options{Clock: clk, Webhooks: WebhookOptions{RetryBase: 10 * time.Millisecond, Timeout: 5 * time.Second}}
	if configure != nil {
		configure(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	e := &testEnv{t: t, srv: srv, ts: ts, clock: clk, key: "sk_test_" + strings.ReplaceAll(t.Name(), "/", "_")}
	e.sc = e.client(e.key)
	return e
}

// client is a stripe-go client for the key, pointed at the emulator, without retries.
func (e *testEnv) client(key string) *client.API {
	return e.clientWithRetries(key, 0)
}

func (e *testEnv) clientWithRetries(key string, retries int64) *client.API {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(e.ts.URL),
		MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:        &http.Client{Timeout: 20 * time.Second},
	}
	return client.New(key, stripe.NewBackendsWithConfig(cfg))
}

// response is a raw HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// errField returns error.<name> of an error envelope.
func (r response) errField(name string) string {
	e, _ := r.json["error"].(map[string]any)
	s, _ := e[name].(string)
	return s
}

// do sends a raw request with the env's key (unless headers set Authorization).
func (e *testEnv) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	if err := json.Unmarshal(b, &r.json); err != nil {
		e.t.Fatalf("%s %s: response is not a JSON object: %v: %q", method, path, err, b)
	}
	return r
}

// stripeErr asserts err is a *stripe.Error and returns it.
func stripeErr(t *testing.T, err error) *stripe.Error {
	t.Helper()
	se, ok := err.(*stripe.Error)
	if !ok {
		t.Fatalf("want a *stripe.Error, got %T %v", err, err)
	}
	return se
}

// wantErr asserts a Stripe error's status, code and param.
func wantErr(t *testing.T, err error, status int, code, param string) *stripe.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %d %s error, got none", status, code)
	}
	se := stripeErr(t, err)
	if se.HTTPStatusCode != status || string(se.Code) != code || se.Param != param {
		t.Fatalf("got %d code=%q param=%q (%s), want %d code=%q param=%q", se.HTTPStatusCode, se.Code, se.Param, se.Msg, status, code, param)
	}
	return se
}
