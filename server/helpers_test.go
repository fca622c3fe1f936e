package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"

	"github.com/stripe-emulator/stripe-emulator/internal/h1"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// t0 is 2024-07-01T00:00:00Z, the reference's Alpaca AI start.
var t0 = time.Unix(1719792000, 0).UTC()

// testEnv is an emulator served over loopback HTTP, with a manual clock.
type testEnv struct {
	t     *testing.T
	srv   *Server
	url   string
	clock *clock.Manual
	key   string
	sc    *client.API
	// shapes checks every response against its version's shapes
	// (shapes_versions_test.go); nil without ../shared.
	shapes *shapeRecorder
}

// frontEnd is how a test's emulator is served: serve listens on loopback,
// serves h there and returns the URL, and a function that stops serving.
type frontEnd struct {
	name  string
	serve func(t *testing.T, h http.Handler) (url string, stop func())
}

// netHTTP serves through net/http, as httptest and in-process users do.
var netHTTP = frontEnd{"net_http", func(t *testing.T, h http.Handler) (string, func()) {
	ts := httptest.NewServer(h)
	return ts.URL, ts.Close
}}

// fast serves through internal/h1 with net/http behind it, as the binary does
// by default (-http=fast).
var fast = frontEnd{"h1", func(t *testing.T, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: h, Fallback: &http.Server{Handler: h}, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- front.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := front.Shutdown(ctx); err != nil {
			t.Errorf("stopping the h1 front end: %v", err)
		}
		if err := <-served; err != h1.ErrServerClosed {
			t.Errorf("h1 Serve returned %v", err)
		}
	}
}}

// newEnv starts an emulator served through net/http.
func newEnv(t *testing.T) *testEnv { return newEnvOn(t, netHTTP, nil) }

// newEnvWith starts an emulator whose options configure may change.
func newEnvWith(t *testing.T, configure func(*Options)) *testEnv {
	return newEnvOn(t, netHTTP, configure)
}

// acrossFrontEnds runs test once through each front end, as subtests named
// after it (as fake-gcs-server's runServersTest does for its transports):
// the newEnv it gets starts emulators on that front end.
func acrossFrontEnds(t *testing.T, test func(t *testing.T, newEnv func(*testing.T) *testEnv)) {
	acrossFrontEndsWith(t, func(t *testing.T, newEnvWith func(*testing.T, func(*Options)) *testEnv) {
		test(t, func(t *testing.T) *testEnv { return newEnvWith(t, nil) })
	})
}

// acrossFrontEndsWith is acrossFrontEnds for tests that configure their emulators.
func acrossFrontEndsWith(t *testing.T, test func(t *testing.T, newEnvWith func(*testing.T, func(*Options)) *testEnv)) {
	for _, fe := range []frontEnd{netHTTP, fast} {
		t.Run(fe.name, func(t *testing.T) {
			test(t, func(t *testing.T, configure func(*Options)) *testEnv { return newEnvOn(t, fe, configure) })
		})
	}
}

// newEnvOn starts an emulator served through fe, whose options configure may change.
func newEnvOn(t *testing.T, fe frontEnd, configure func(*Options)) *testEnv {
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
	url, stop := fe.serve(t, srv)
	t.Cleanup(func() {
		stop()
		srv.Close()
	})
	e := &testEnv{t: t, srv: srv, url: url, clock: clk, key: "sk_test_" + strings.ReplaceAll(t.Name(), "/", "_"), shapes: newShapeRecorder(t)}
	e.sc = e.client(e.key)
	return e
}

// client is a stripe-go client for the key, pointed at the emulator, without retries.
func (e *testEnv) client(key string) *client.API {
	return e.clientWithRetries(key, 0)
}

func (e *testEnv) clientWithRetries(key string, retries int64) *client.API {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(e.url),
		MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:        &http.Client{Timeout: 20 * time.Second, Transport: recordingTransport{next: http.DefaultTransport, rec: e.shapes}},
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
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
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
	return e.send(req)
}

// send sends a request and reads its answer, which must be a JSON object.
func (e *testEnv) send(req *http.Request) response {
	e.t.Helper()
	method, path := req.Method, req.URL.RequestURI()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.shapes.note(resp.Header, b)
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

// newEnvWithCard starts an emulator whose new customers get a clone of
// pm_card_visa as their default payment method (Options.DefaultCard): for
// the tests written when collection paid "as if by a working card", which
// keep their assertions with a card that works.
func newEnvWithCard(t *testing.T) *testEnv { return newEnvWith(t, withVisa) }

// withVisa gives every new customer a working default card.
func withVisa(o *Options) { o.DefaultCard = "pm_card_visa" }
