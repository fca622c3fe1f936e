package server

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/webhook"
)

func TestWebhookEndpointCRUD(t *testing.T) { acrossFrontEnds(t, testWebhookEndpointCRUD) }

func testWebhookEndpointCRUD(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	ep, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String("https://example.com/hook"),
		EnabledEvents: stripe.StringSlice([]string{"invoice.paid", "customer.created"}), Description: stripe.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.ID, "we_") || ep.Status != "enabled" || len(ep.EnabledEvents) != 2 || !strings.HasPrefix(ep.Secret, "whsec_") || ep.Description != "main" {
		t.Errorf("created: %+v", ep)
	}
	got := e.do("GET", "/v1/webhook_endpoints/"+ep.ID, "")
	checkShape(t, "webhook_endpoint", got.body)
	if _, ok := got.json["secret"]; ok {
		t.Errorf("the secret is shown on create only")
	}
	u, err := e.sc.WebhookEndpoints.Update(ep.ID, &stripe.WebhookEndpointParams{Disabled: stripe.Bool(true), EnabledEvents: stripe.StringSlice([]string{"*"})})
	if err != nil || u.Status != "disabled" || u.EnabledEvents[0] != "*" {
		t.Errorf("update: %v %+v", err, u)
	}
	it := e.sc.WebhookEndpoints.List(nil)
	if !it.Next() || it.WebhookEndpoint().ID != ep.ID {
		t.Errorf("list: %v", it.Err())
	}
	del, err := e.sc.WebhookEndpoints.Del(ep.ID, nil)
	if err != nil || !del.Deleted {
		t.Fatalf("delete: %v", err)
	}
	for _, tt := range []struct{ body, code, param string }{
		{"url=ftp://x&enabled_events[]=*", "url_invalid", "url"},
		{"url=not+a+url&enabled_events[]=*", "url_invalid", "url"},
		{"url=https://x.example", "parameter_missing", "enabled_events"},
		{"url=https://x.example&enabled_events[]=Invoice+Paid", "", "enabled_events[0]"},
		{"url=https://x.example&enabled_events[]=*&connect=true", "", "connect"},
	} {
		r := e.do("POST", "/v1/webhook_endpoints", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param {
			t.Errorf("%s: %d %s", tt.body, r.status, r.body)
		}
	}
}

func TestWebhookDeliveriesAreSignedAndFiltered(t *testing.T) {
	acrossFrontEnds(t, testWebhookDeliveriesAreSignedAndFiltered)
}

func testWebhookDeliveriesAreSignedAndFiltered(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	rcv := newReceiver(t)
	e.webhookTo(t, rcv, "customer.created", "customer.updated")
	c, err := e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("A")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("not wanted")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sc.Customers.Update(c.ID, &stripe.CustomerParams{Name: stripe.String("B")}); err != nil {
		t.Fatal(err)
	}
	got := rcv.waitFor("customer.created", "customer.updated")
	if len(got) != 2 {
		t.Errorf("unwanted events delivered: %v", got)
	}
	rcv.mu.Lock()
	upd := rcv.events[1]
	rcv.mu.Unlock()
	if upd.APIVersion != "2024-06-20" || upd.Data.Object["name"] != "B" || upd.Data.PreviousAttributes["name"] != "A" || upd.Request.ID == "" {
		t.Errorf("customer.updated: %+v %+v", upd.Data, upd.Request)
	}
	// The signature is stripe-go's own.
	payload := []byte(`{"id":"evt_1","object":"event","api_version":"2024-06-20"}`)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: "whsec_abc", Timestamp: time.Unix(1700000000, 0)})
	if got := SignPayload(payload, "whsec_abc", time.Unix(1700000000, 0)); got != sp.Header {
		t.Errorf("signature %s, stripe-go %s", got, sp.Header)
	}
}

// A receiver that is down, slow or failing never holds up an API request:
// deliveries run in the background, retried, in order per endpoint.
func TestWebhookReceiverTroubleNeverBlocksTheAPI(t *testing.T) {
	e := newEnv(t)
	// Slow: the receiver holds every request until released.
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []string
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
	}))
	defer slow.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	// Down: nothing listens.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String()
	ln.Close()
	// Failing: always 500.
	fails := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer fails.Close()
	for _, u := range []string{slow.URL, down, fails.URL} {
		if _, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(u), EnabledEvents: stripe.StringSlice([]string{"*"})}); err != nil {
			t.Fatal(err)
		}
	}
	// Twenty requests complete while the slow receiver holds its first delivery.
	var ids []string
	for i := 0; i < 20; i++ {
		c, err := e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("c")})
		if err != nil {
			t.Fatalf("request %d failed: %v", i, err)
		}
		ids = append(ids, c.ID)
	}
	mu.Lock()
	n := len(seen)
	mu.Unlock()
	if n != 0 {
		t.Fatalf("the slow receiver was not holding anything")
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n = len(seen)
		mu.Unlock()
		if n == 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 20 {
		t.Fatalf("delivered %d of 20", len(seen))
	}
	for i, body := range seen { // in order
		if !strings.Contains(body, ids[i]) {
			t.Fatalf("delivery %d out of order", i)
		}
	}
}

func TestWebhookRetriesKeepOrder(t *testing.T) { acrossFrontEnds(t, testWebhookRetriesKeepOrder) }

func testWebhookRetriesKeepOrder(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	var mu sync.Mutex
	attempts := 0
	var delivered []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts <= 3 { // the first event fails three times
			w.WriteHeader(503)
			return
		}
		delivered = append(delivered, string(body))
	}))
	defer rcv.Close()
	if _, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(rcv.URL), EnabledEvents: stripe.StringSlice([]string{"product.created"})}); err != nil {
		t.Fatal(err)
	}
	p1, _ := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("first")})
	p2, _ := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("second")})
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(delivered)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 2 || !strings.Contains(delivered[0], p1.ID) || !strings.Contains(delivered[1], p2.ID) || attempts != 5 {
		t.Fatalf("retries: %d attempts, %d delivered", attempts, len(delivered))
	}
}

func TestForwardURLGetsEveryAccountsEvents(t *testing.T) {
	acrossFrontEndsWith(t, testForwardURLGetsEveryAccountsEvents)
}

func testForwardURLGetsEveryAccountsEvents(t *testing.T, newEnvWith func(*testing.T, func(*Options)) *testEnv) {
	rcv := newReceiver(t)
	rcv.secret = "whsec_forwarded"
	e := newEnvWith(t, func(o *Options) { o.Webhooks.ForwardURL, o.Webhooks.ForwardSecret = rcv.ts.URL, "whsec_forwarded" })
	if _, err := e.sc.Customers.New(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client("sk_test_someone_else").Products.New(&stripe.ProductParams{Name: stripe.String("p")}); err != nil {
		t.Fatal(err)
	}
	rcv.waitFor("customer.created", "product.created")
}

// Delivery goroutines end when their queue is empty: endpoints that come and
// go (or accounts that are reset) leave nothing running.
func TestWebhookQueuesAreReleased(t *testing.T) {
	e := newEnv(t)
	newCustomer(t, e.sc) // the client's own connection is there before and after
	before := runtime.NumGoroutine()
	for round := 0; round < 5; round++ {
		rcv := newReceiver(t)
		ep, err := e.sc.WebhookEndpoints.New(&stripe.WebhookEndpointParams{URL: stripe.String(rcv.ts.URL), EnabledEvents: []*string{stripe.String("customer.created")}})
		if err != nil {
			t.Fatal(err)
		}
		rcv.mu.Lock()
		rcv.secret = ep.Secret
		rcv.mu.Unlock()
		newCustomer(t, e.sc)
		rcv.waitFor("customer.created")
		if _, err := e.sc.WebhookEndpoints.Del(ep.ID, nil); err != nil {
			t.Fatal(err)
		}
		rcv.ts.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.srv.hooks.mu.Lock()
		n := len(e.srv.hooks.queues)
		e.srv.hooks.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery queues still alive", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The events were delivered: nothing is pending.
	it := e.sc.Events.List(&stripe.EventListParams{Type: stripe.String("customer.created")})
	for it.Next() {
		if it.Event().PendingWebhooks != 0 {
			t.Errorf("%s: pending_webhooks %d", it.Event().ID, it.Event().PendingWebhooks)
		}
	}
	for after := runtime.NumGoroutine(); after > before+2; after = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			t.Errorf("goroutines: %d before, %d after", before, after)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}
