package server

// The harness of the robustness tests (FuzzEndpoints, TestBadInputMatrix): an
// emulator called in-process (no network, no goroutine per request), an
// account seeded with one of each object so that handlers get deep, the
// registered routes, and a fingerprint of the account's stored state.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/mux"

	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// inproc is an emulator served by calling ServeHTTP directly.
type inproc struct {
	tb    testing.TB
	srv   *Server
	clock *clock.Manual
	key   string
	logs  *syncBuffer // error-level log lines: the stack of any recovered panic
	ids   seedIDs
	seeds int // how many times the account was seeded
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// take returns what was logged since the last take.
func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// okTransport answers every webhook delivery 200 without touching the network:
// fuzzed webhook endpoints may name any URL.
type okTransport struct{}

func (okTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
}

func newInproc(tb testing.TB) *inproc {
	tb.Helper()
	logs := &syncBuffer{}
	clk := clock.NewManual(t0)
	srv, err := New(Options{
		Clock:        clk,
		TickInterval: -1, // nothing runs behind the requests' back: state changes only by requests
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError})),
		DefaultCard:  "pm_card_visa", // its seeds subscribe customers to licensed prices
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv.hooks.client.Transport = okTransport{}
	tb.Cleanup(func() { srv.Close() })
	return &inproc{tb: tb, srv: srv, clock: clk, key: "sk_test_robust", logs: logs}
}

// inResp is one in-process exchange.
type inResp struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r inResp) errField(name string) string {
	e, _ := r.json["error"].(map[string]any)
	s, _ := e[name].(string)
	return s
}

func (r inResp) str(name string) string {
	s, _ := r.json[name].(string)
	return s
}

// send runs one request: the query string is part of path; body goes as a
// form (or JSON for v2 paths). headers are name, value pairs.
func (e *inproc) send(method, path, body string, headers ...string) inResp {
	// The query goes in as it is, however malformed (a fuzzed one may hold
	// spaces or stray %), as a lenient client or proxy could send it.
	pathPart, query, _ := strings.Cut(path, "?")
	req := httptest.NewRequest(method, "http://emulator/", strings.NewReader(body))
	u, err := url.Parse(pathPart)
	if err != nil {
		u = &url.URL{Path: pathPart}
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, query
	req.RequestURI = path
	req.Header.Set("Authorization", "Bearer "+e.key)
	if body != "" {
		if strings.HasPrefix(path, "/v2/") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	r := inResp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	_ = json.Unmarshal(r.body, &r.json)
	return r
}

// must sends a request that has to succeed (seeding) and returns its object.
func (e *inproc) must(method, path, body string) inResp {
	e.tb.Helper()
	r := e.send(method, path, body)
	if r.status != 200 {
		e.tb.Fatalf("seeding: %s %s %s: %d %s", method, path, body, r.status, r.body)
	}
	return r
}

// seedIDs are the objects of the seeded account.
type seedIDs struct {
	customer, clockCustomer, testClock                   string
	meter, product                                       string
	licensedPrice, meteredPrice, legacyPrice, otherPrice string
	subscription, clockSubscription                      string
	item, meteredItem, legacyItem                        string
	invoice, paidInvoice, invoiceItem, pendingItem       string
	openInvoice, inactiveMeter, pausedSubscription       string
	invoiceLine                                          string // the invoice item line of invoice
	webhookEndpoint, alert, event, requestLog, stream    string
	paymentMethod, setupIntent, balanceTransaction       string // the customer's
	paymentIntent, charge, refund, capturable            string // a PaymentIntent waiting for 3D Secure; a charge; a pending refund; an uncaptured PaymentIntent
	invoicePayment                                       string // the open invoice's
	// Names that must be unique in an account (suffixed when seeding again).
	eventName, oldEventName, lookupKey, identifier string
}

// seed gives the account one of each object: customers (one on a test
// clock), a meter and a meter event, a product, licensed, meter-backed and
// legacy metered prices, subscriptions (with their first, paid invoice), a
// draft invoice with an invoice item, a pending invoice item, a webhook
// endpoint, a usage alert, a failed request and a v2 meter event session.
func (e *inproc) seed() {
	e.tb.Helper()
	id := func(r inResp) string { return r.str("id") }
	e.seeds++
	suffix := ""
	if e.seeds > 1 {
		suffix = fmt.Sprintf("_%d", e.seeds)
		// A fresh set in an emptied account: what the inputs made (webhook
		// endpoints and test clocks among it, which an account holds 16 and
		// 100 of) is gone too.
		e.must("POST", "/_emulator/reset", "")
	}
	e.ids = seedIDs{eventName: "robust_calls" + suffix, oldEventName: "robust_old" + suffix,
		lookupKey: "robust_licensed" + suffix, identifier: "seed-1" + suffix}
	ids := &e.ids
	ids.testClock = id(e.must("POST", "/v1/test_helpers/test_clocks", fmt.Sprintf("frozen_time=%d&name=robust", t0.Unix())))
	ids.customer = id(e.must("POST", "/v1/customers", "name=Robust&email=robust%40example.com&metadata[k]=v"))
	ids.clockCustomer = id(e.must("POST", "/v1/customers", "name=Clocked&test_clock="+ids.testClock))
	ids.meter = id(e.must("POST", "/v1/billing/meters", "display_name=API+calls&event_name="+ids.eventName+"&default_aggregation[formula]=sum"))
	ids.inactiveMeter = id(e.must("POST", "/v1/billing/meters", "display_name=Old&event_name="+ids.oldEventName+"&default_aggregation[formula]=count"))
	e.must("POST", "/v1/billing/meters/"+ids.inactiveMeter+"/deactivate", "")
	ids.product = id(e.must("POST", "/v1/products", "name=Robust+product&metadata[k]=v"))
	ids.licensedPrice = id(e.must("POST", "/v1/prices", "currency=usd&unit_amount=1000&recurring[interval]=month&lookup_key="+ids.lookupKey+"&product="+ids.product))
	ids.meteredPrice = id(e.must("POST", "/v1/prices", "currency=usd&unit_amount_decimal=0.5&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+ids.meter+"&product="+ids.product))
	ids.otherPrice = id(e.must("POST", "/v1/prices", "currency=usd&unit_amount=500&recurring[interval]=month&product="+ids.product))
	ids.legacyPrice = id(e.must("POST", "/v1/prices", "currency=usd&unit_amount=2&recurring[interval]=month&recurring[usage_type]=metered&recurring[aggregate_usage]=sum&product="+ids.product))
	sub := e.must("POST", "/v1/subscriptions", "customer="+ids.customer+"&items[0][price]="+ids.licensedPrice+
		"&items[1][price]="+ids.meteredPrice+"&items[2][price]="+ids.legacyPrice+"&metadata[k]=v")
	ids.subscription = id(sub)
	ids.paidInvoice = sub.str("latest_invoice")
	items, _ := sub.json["items"].(map[string]any)
	data, _ := items["data"].([]any)
	for _, d := range data {
		it, _ := d.(map[string]any)
		pr, _ := it["price"].(map[string]any)
		switch pr["id"] {
		case ids.licensedPrice:
			ids.item, _ = it["id"].(string)
		case ids.meteredPrice:
			ids.meteredItem, _ = it["id"].(string)
		case ids.legacyPrice:
			ids.legacyItem, _ = it["id"].(string)
		}
	}
	ids.clockSubscription = id(e.must("POST", "/v1/subscriptions", "customer="+ids.clockCustomer+"&items[0][price]="+ids.licensedPrice))
	e.must("POST", "/v1/subscription_items/"+ids.legacyItem+"/usage_records", "quantity=7")
	// A subscription whose trial ended without a payment method: paused.
	pauseClock := id(e.must("POST", "/v1/test_helpers/test_clocks", fmt.Sprintf("frozen_time=%d", t0.Unix())))
	pauseCustomer := id(e.must("POST", "/v1/customers", "name=Paused&test_clock="+pauseClock))
	ids.pausedSubscription = id(e.must("POST", "/v1/subscriptions", "customer="+pauseCustomer+"&items[0][price]="+ids.licensedPrice+
		"&trial_period_days=1&trial_settings[end_behavior][missing_payment_method]=pause"))
	e.must("POST", "/v1/test_helpers/test_clocks/"+pauseClock+"/advance", fmt.Sprintf("frozen_time=%d", t0.Unix()+2*86400))
	if st := e.must("GET", "/v1/subscriptions/"+ids.pausedSubscription, "").str("status"); st != "paused" {
		e.tb.Fatalf("seeding: subscription is %s, not paused", st)
	}
	e.must("POST", "/v1/billing/meter_events", "event_name="+ids.eventName+"&identifier="+ids.identifier+"&payload[stripe_customer_id]="+ids.customer+"&payload[value]=5")
	ids.invoiceItem = id(e.must("POST", "/v1/invoiceitems", "customer="+ids.customer+"&amount=500&currency=usd&description=Setup"))
	ids.invoice = id(e.must("POST", "/v1/invoices", "customer="+ids.customer+"&pending_invoice_items_behavior=include&description=Draft"))
	ids.invoiceLine = "il_" + strings.TrimPrefix(ids.invoiceItem, "ii_")
	ids.openInvoice = id(e.must("POST", "/v1/invoices", "customer="+ids.customer+"&collection_method=send_invoice&days_until_due=30&pending_invoice_items_behavior=exclude"))
	e.must("POST", "/v1/invoiceitems", "customer="+ids.customer+"&amount=700&currency=usd&invoice="+ids.openInvoice)
	if st := e.must("POST", "/v1/invoices/"+ids.openInvoice+"/finalize", "").str("status"); st != "open" {
		e.tb.Fatalf("seeding: finalized invoice is %s", st)
	}
	ids.pendingItem = id(e.must("POST", "/v1/invoiceitems", "customer="+ids.customer+"&amount=300&currency=usd"))
	ids.webhookEndpoint = id(e.must("POST", "/v1/webhook_endpoints", "url=https%3A%2F%2Fhooks.example.com%2Frobust&enabled_events[]=*"))
	ids.alert = id(e.must("POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=Robust&usage_threshold_config[gte]=1000&usage_threshold_config[meter]="+ids.meter+"&usage_threshold_config[recurrence]=one_time"))
	evs := e.must("GET", "/v1/events?limit=1", "")
	if d, _ := evs.json["data"].([]any); len(d) == 1 {
		ids.event, _ = d[0].(map[string]any)["id"].(string)
	}
	ids.requestLog = e.send("GET", "/v1/customers/cus_missing", "").header.Get("Request-Id")
	ids.stream = e.must("POST", "/v2/billing/meter_event_session", "{}").str("authentication_token")
	ids.paymentMethod = id(e.must("POST", "/v1/payment_methods/pm_card_visa/attach", "customer="+ids.customer))
	// A SetupIntent waiting for 3D Secure: confirm, cancel and authenticate act on it.
	ids.setupIntent = id(e.must("POST", "/v1/setup_intents", "customer="+ids.customer+"&payment_method=pm_card_authenticationRequired&confirm=true"))
	ids.balanceTransaction = id(e.must("POST", "/v1/customers/"+ids.customer+"/balance_transactions", "amount=-100&currency=usd"))
	paid := e.must("POST", "/v1/payment_intents", "amount=2000&currency=usd&customer="+ids.customer+"&payment_method=pm_card_visa&confirm=true")
	ids.charge = paid.str("latest_charge")
	pending := e.must("POST", "/v1/payment_intents", "amount=2000&currency=usd&customer="+ids.customer+"&payment_method=pm_card_pendingRefund&confirm=true")
	ids.refund = id(e.must("POST", "/v1/refunds", "charge="+pending.str("latest_charge")+"&amount=100")) // pending: cancel acts on it
	ids.capturable = id(e.must("POST", "/v1/payment_intents", "amount=2000&currency=usd&capture_method=manual&payment_method=pm_card_visa&confirm=true"))
	// An invoice payment (served from basil): the first one stored, of an
	// invoice the seeded subscriptions' cards paid.
	tx := e.srv.accounts.get(e.key).db.Read()
	_ = tx.Ascending(tInvoicePayments, func(r store.Record) error {
		if ids.invoicePayment == "" {
			ids.invoicePayment = r.RecordID()
		}
		return nil
	})
	tx.Abort()
	// A PaymentIntent waiting for 3D Secure: confirm, cancel and authenticate act on it.
	ids.paymentIntent = id(e.must("POST", "/v1/payment_intents", "amount=1500&currency=usd&customer="+ids.customer+"&payment_method=pm_card_authenticationRequired&confirm=true"))
	for name, v := range map[string]string{"event": ids.event, "request log": ids.requestLog, "session": ids.stream,
		"item": ids.item, "metered item": ids.meteredItem, "legacy item": ids.legacyItem, "paid invoice": ids.paidInvoice} {
		if v == "" {
			e.tb.Fatalf("seeding: no %s", name)
		}
	}
}

// all is every seeded ID, for path variables of the wrong resource.
func (ids seedIDs) all() []string {
	v := reflect.ValueOf(ids)
	var out []string
	for i := 0; i < v.NumField(); i++ {
		switch v.Type().Field(i).Name {
		case "stream", "eventName", "oldEventName", "lookupKey", "identifier":
			continue
		}
		if s := v.Field(i).String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// pathID is the seeded object a route's path variable names.
func (ids seedIDs) pathID(template string) string {
	switch {
	case !strings.Contains(template, "{"):
		return ""
	// Actions get an object in the state they act on, so that a request gets
	// past the state check to its parameters.
	case strings.HasSuffix(template, "/pay"), strings.HasSuffix(template, "/void"), strings.HasSuffix(template, "/mark_uncollectible"),
		strings.HasSuffix(template, "/send"):
		return ids.openInvoice
	case strings.HasSuffix(template, "/capture"):
		return ids.capturable
	case strings.HasSuffix(template, "/attach"):
		return "pm_card_visa" // a new clone at each attach: the seeded one is attached already
	case strings.HasSuffix(template, "/reactivate"):
		return ids.inactiveMeter
	case strings.HasSuffix(template, "/resume"):
		return ids.pausedSubscription
	case strings.HasPrefix(template, "/v1/customers/{customer}/payment_methods/"), strings.HasPrefix(template, "/v1/payment_methods/"):
		return ids.paymentMethod
	case strings.HasPrefix(template, "/v1/customers/{customer}/balance_transactions/"):
		return ids.balanceTransaction
	case strings.HasPrefix(template, "/v1/setup_intents/"), strings.HasPrefix(template, "/_emulator/intents/"), strings.HasPrefix(template, "/_emulator/3ds/"):
		return ids.setupIntent
	case strings.HasPrefix(template, "/v1/payment_intents/"):
		return ids.paymentIntent
	case strings.HasPrefix(template, "/v1/charges/"):
		return ids.charge
	case strings.HasPrefix(template, "/v1/refunds/"):
		return ids.refund
	case strings.HasPrefix(template, "/v1/invoice_payments/"):
		return ids.invoicePayment
	case strings.HasPrefix(template, "/v1/customers/"):
		return ids.customer
	case strings.HasPrefix(template, "/v1/billing/meters/"):
		return ids.meter
	case strings.HasPrefix(template, "/v1/billing/alerts/"):
		return ids.alert
	case strings.HasPrefix(template, "/v1/products/"):
		return ids.product
	case strings.HasPrefix(template, "/v1/prices/"):
		return ids.licensedPrice
	case strings.HasPrefix(template, "/v1/subscriptions/"):
		return ids.subscription
	case strings.HasPrefix(template, "/v1/subscription_items/{subscription_item}"):
		return ids.legacyItem
	case strings.HasPrefix(template, "/v1/subscription_items/"):
		return ids.item
	case strings.HasPrefix(template, "/v1/invoiceitems/"):
		return ids.pendingItem
	case strings.HasPrefix(template, "/v1/invoices/"):
		return ids.invoice
	case strings.HasPrefix(template, "/v1/test_helpers/test_clocks/"):
		return ids.testClock
	case strings.HasPrefix(template, "/v1/events/"):
		return ids.event
	case strings.HasPrefix(template, "/v1/webhook_endpoints/"):
		return ids.webhookEndpoint
	case strings.HasPrefix(template, "/_emulator/requests/"):
		return ids.requestLog
	}
	return ""
}

// route is one registered endpoint.
type route struct {
	method, template string
	ep               *endpoint
}

func (r route) name() string { return r.method + " " + r.template }

// routes lists the server's endpoints, sorted by method and path.
func (e *inproc) routes() []route {
	var out []route
	_ = e.srv.allRoutes().Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		h, ok := rt.GetHandler().(epHandler)
		if !ok {
			return nil
		}
		tpl, _ := rt.GetPathTemplate()
		out = append(out, route{method: h.ep.method, template: tpl, ep: h.ep})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name() < out[j].name() })
	return out
}

// fillPath puts id in a route's path variable (escaped).
func fillPath(template, id string) string {
	return muxVar.ReplaceAllLiteralString(template, escapePathSegment(id))
}

// fill is a route's path with id in its variables; a line of the seeded
// draft invoice is the seeded invoice line, and the customer of a
// customer's object the seeded customer.
func (ids seedIDs) fill(template, id string) string {
	if id == ids.invoice {
		template = strings.ReplaceAll(template, "{line_item_id}", escapePathSegment(ids.invoiceLine))
	}
	if strings.HasPrefix(template, "/v1/customers/{customer}/") && strings.Count(template, "{") > 1 {
		template = strings.Replace(template, "{customer}", escapePathSegment(ids.customer), 1)
	}
	return fillPath(template, id)
}

func escapePathSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// fingerprint is the account's stored state: every table's records by ID (a
// stored record is never mutated, so a changed object is a new pointer), and
// the counts of what lives outside the tables.
type fingerprint struct {
	records      map[string]map[string]store.Record
	events       int
	accepted     uint64
	meterErrors  int
	alertFirings int
	usage        map[string]metering.Total // seeded "meter customer" pairs: what cancellation changes
}

func (e *inproc) fingerprint() fingerprint {
	acct := e.srv.accounts.get(e.key)
	if acct == nil {
		e.tb.Fatal("no account")
	}
	fp := fingerprint{records: map[string]map[string]store.Record{}}
	tx := acct.db.Read()
	defer tx.Abort()
	for _, t := range e.srv.reg.tables {
		m := map[string]store.Record{}
		if err := tx.All(t.Name, func(r store.Record) bool { m[r.RecordID()] = r; return true }); err != nil {
			e.tb.Fatal(err)
		}
		fp.records[t.Name] = m
	}
	fp.usage = map[string]metering.Total{}
	for _, m := range []string{e.ids.meter, e.ids.inactiveMeter} {
		for _, cu := range []string{e.ids.customer, e.ids.clockCustomer} {
			fp.usage[m+" "+cu] = acct.usage.All(m, cu)
		}
	}
	fp.events = len(acct.events.snapshot())
	fp.accepted = acct.usage.Stats().Accepted
	acct.meterErrors.mu.Lock()
	fp.meterErrors = len(acct.meterErrors.reports)
	acct.meterErrors.mu.Unlock()
	acct.alertFirings.mu.Lock()
	fp.alertFirings = len(acct.alertFirings.fired)
	acct.alertFirings.mu.Unlock()
	return fp
}

// diff describes how b differs from a ("" when it does not).
func (a fingerprint) diff(b fingerprint) string {
	var out []string
	for table, ra := range a.records {
		rb := b.records[table]
		for id, r := range ra {
			switch o, ok := rb[id]; {
			case !ok:
				out = append(out, fmt.Sprintf("%s %s removed", table, id))
			case o != r:
				out = append(out, fmt.Sprintf("%s %s changed", table, id))
			}
		}
		for id := range rb {
			if _, ok := ra[id]; !ok {
				out = append(out, fmt.Sprintf("%s %s added", table, id))
			}
		}
	}
	for k, v := range a.usage {
		if b.usage[k] != v {
			out = append(out, fmt.Sprintf("usage of %s %+v → %+v", k, v, b.usage[k]))
		}
	}
	if a.events != b.events {
		out = append(out, fmt.Sprintf("events %d → %d", a.events, b.events))
	}
	if a.accepted != b.accepted {
		out = append(out, fmt.Sprintf("meter events accepted %d → %d", a.accepted, b.accepted))
	}
	if a.meterErrors != b.meterErrors {
		out = append(out, fmt.Sprintf("meter error reports %d → %d", a.meterErrors, b.meterErrors))
	}
	if a.alertFirings != b.alertFirings {
		out = append(out, fmt.Sprintf("alert firings %d → %d", a.alertFirings, b.alertFirings))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// dump is what every list endpoint answers (a first page of 100), a seeded
// customer and its upcoming invoice: the rendered view of the state, which
// catches a stored object changed in place.
func (e *inproc) dump() string {
	var b strings.Builder
	lists := []string{"/v1/customers", "/v1/customers?test_clock=" + e.ids.testClock, "/v1/products", "/v1/prices", "/v1/billing/meters",
		"/v1/subscriptions?status=all", "/v1/subscriptions?status=all&test_clock=" + e.ids.testClock,
		"/v1/subscription_items?subscription=" + e.ids.subscription, "/v1/invoices", "/v1/invoiceitems", "/v1/test_helpers/test_clocks",
		"/v1/events", "/v1/webhook_endpoints", "/v1/billing/alerts", "/_emulator/meter_error_reports",
		"/v1/invoices/" + e.ids.invoice + "/lines", "/v1/subscription_items/" + e.ids.legacyItem + "/usage_record_summaries"}
	for _, p := range lists {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		r := e.send("GET", p+sep+"limit=100", "")
		fmt.Fprintf(&b, "%s %d %s\n", p, r.status, r.body)
	}
	for _, p := range []string{"/v1/customers/" + e.ids.customer, "/v1/invoices/upcoming?customer=" + e.ids.customer} {
		r := e.send("GET", p, "")
		fmt.Fprintf(&b, "%s %d %s\n", p, r.status, r.body)
	}
	return b.String()
}
