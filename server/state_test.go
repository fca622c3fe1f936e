package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"

	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// richState is what TestStateRoundTrip builds: the IDs it checks afterwards.
type richState struct {
	customers                []string
	clockID, clockCus        string
	clockSub, realSub        string
	meterID, windowMeter     string
	legacyItem               string
	product, tiered, draftIn string
	periodEnd                int64
}

// buildRichState creates, through the API, an object of every kind.
func buildRichState(t *testing.T, e *testEnv) richState {
	t.Helper()
	var st richState
	sc := e.sc
	must := func(r response) response {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r
	}
	rcv := newReceiver(t)
	e.webhookTo(t, rcv)

	// Customers: metadata, address, shipping, locales, invoice settings; one deleted.
	for i := 0; i < 4; i++ {
		c, err := sc.Customers.New(&stripe.CustomerParams{
			Name: stripe.String("Customer " + strconv.Itoa(i)), Email: stripe.String(fmt.Sprintf("c%d@example.com", i)),
			Metadata:         map[string]string{"plan": "pro", "n": strconv.Itoa(i)},
			Address:          &stripe.AddressParams{Line1: stripe.String("1 Main St"), City: stripe.String("Paris"), Country: stripe.String("FR")},
			Shipping:         &stripe.CustomerShippingParams{Name: stripe.String("Dock"), Address: &stripe.AddressParams{Line1: stripe.String("2 Quay")}},
			PreferredLocales: stripe.StringSlice([]string{"fr", "en"}),
			InvoiceSettings:  &stripe.CustomerInvoiceSettingsParams{Footer: stripe.String("Thanks <3 & more")},
		})
		if err != nil {
			t.Fatal(err)
		}
		st.customers = append(st.customers, c.ID)
	}
	if _, err := sc.Customers.Del(st.customers[3], nil); err != nil {
		t.Fatal(err)
	}
	// A product with a custom ID and package dimensions.
	must(e.do("POST", "/v1/products", "id=prod_custom&name=Widget&metadata[k]=v&images[]=https://example.com/a.png&package_dimensions[height]=1.5&package_dimensions[length]=2&package_dimensions[weight]=3.25&package_dimensions[width]=4&shippable=true"))
	st.product = "prod_custom"
	// Prices: decimal, graduated and volume tiers, transform_quantity, licensed.
	must(e.do("POST", "/v1/prices", "currency=usd&product=prod_custom&unit_amount_decimal=0.004&recurring[interval]=month&lookup_key=tiny&nickname=Tiny"))
	tiered := must(e.do("POST", "/v1/prices", "currency=usd&product=prod_custom&billing_scheme=tiered&tiers_mode=graduated&recurring[interval]=month"+
		"&tiers[0][up_to]=1000&tiers[0][unit_amount_decimal]=0.5&tiers[0][flat_amount]=100&tiers[1][up_to]=inf&tiers[1][unit_amount]=0"))
	st.tiered = tiered.json["id"].(string)
	must(e.do("POST", "/v1/prices", "currency=eur&product=prod_custom&billing_scheme=tiered&tiers_mode=volume"+
		"&tiers[0][up_to]=10&tiers[0][unit_amount]=700&tiers[1][up_to]=inf&tiers[1][unit_amount]=500"))

	// Meters, events (one canceled, one for a customer that does not exist), an alert that fires.
	m := alpacaMeter(t, sc)
	st.meterID = m.ID
	price := alpacaPrice(t, sc, m.ID)
	w := must(e.do("POST", "/v1/billing/meters", "display_name=Seats&event_name=seats&default_aggregation[formula]=sum&event_time_window=hour"))
	st.windowMeter = w.json["id"].(string)
	must(e.do("POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=Big&usage_threshold_config[gte]=100&usage_threshold_config[meter]="+m.ID+"&usage_threshold_config[recurrence]=one_time"))
	for i, v := range []string{"3000", "250", "-40", "7"} {
		if _, err := sendEvent(sc, "alpaca_ai_tokens", st.customers[0], v, e.clock.Now().Unix()-int64(i*600), "ev-"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	must(e.do("POST", "/v1/billing/meter_event_adjustments", "event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=ev-1"))
	if _, err := sendEvent(sc, "alpaca_ai_tokens", "cus_nope", "5", 0, "ev-lost"); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"3", "5", "4"} {
		must(e.do("POST", "/v1/billing/meter_events", fmt.Sprintf("event_name=seats&payload[stripe_customer_id]=%s&payload[value]=%s&identifier=seat-%d", st.customers[1], v, i)))
	}
	must(e.do("POST", "/v1/billing/meter_event_adjustments", "event_name=seats&type=cancel&cancel[identifier]=seat-2"))

	// A subscription on a test clock, a month on: its cycle invoice.
	clock, err := sc.TestHelpersTestClocks.New(&stripe.TestHelpersTestClockParams{FrozenTime: stripe.Int64(t0.Unix()), Name: stripe.String("July")})
	if err != nil {
		t.Fatal(err)
	}
	st.clockID = clock.ID
	cc, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("On a clock"), TestClock: stripe.String(clock.ID)})
	if err != nil {
		t.Fatal(err)
	}
	st.clockCus = cc.ID
	seats := licensedPrice(t, sc, 1000, "month")
	sub := subscribe(t, sc, cc.ID, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)},
		&stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID), Quantity: stripe.Int64(2)})
	st.clockSub = sub.ID
	if _, err := sendEvent(sc, "alpaca_ai_tokens", cc.ID, "4500", 0, "clock-1"); err != nil {
		t.Fatal(err)
	}
	advance(t, sc, clock.ID, 1722470400) // Aug 1: July's invoice, a draft for an hour
	if _, err := sendEvent(sc, "alpaca_ai_tokens", cc.ID, "1200", 0, "clock-2"); err != nil {
		t.Fatal(err)
	}
	// Within July's grace hour: a metered item added to the subscription,
	// which counts usage from then on only (reported a minute before and
	// after it), and July's metered line edited on the draft, which the
	// finalization keeps. And an alert with a baseline to keep.
	calls := must(e.do("POST", "/v1/billing/meters", "display_name=Calls&event_name=calls&default_aggregation[formula]=sum"))
	callsPrice := callsPrice(t, sc, calls.json["id"].(string), 10, "Calls")
	advance(t, sc, clock.ID, 1722470400+1800)
	must(e.do("POST", "/v1/billing/meter_events", "event_name=calls&payload[value]=700&payload[stripe_customer_id]="+cc.ID))
	advance(t, sc, clock.ID, 1722470400+1860)
	if _, err := sc.SubscriptionItems.New(&stripe.SubscriptionItemParams{Subscription: stripe.String(sub.ID), Price: stripe.String(callsPrice.ID)}); err != nil {
		t.Fatal(err)
	}
	must(e.do("POST", "/v1/billing/meter_events", "event_name=calls&payload[value]=300&payload[stripe_customer_id]="+cc.ID))
	july := latestInvoice(t, sc, sub.ID)
	for _, l := range july.Lines.Data {
		if l.Type == "subscription" && l.Price.ID == price.ID {
			must(e.do("POST", "/v1/invoices/"+july.ID+"/lines/"+l.ID, "description=Tokens%2C+July&metadata[team]=a"))
		}
	}
	must(e.do("POST", "/v1/billing/alerts", "alert_type=usage_threshold&title=Later&filter[customer]="+cc.ID+"&usage_threshold_config[gte]=100000&usage_threshold_config[meter]="+m.ID+"&usage_threshold_config[recurrence]=one_time"))
	// A pending invoice item and a draft invoice with one.
	if _, err := sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(cc.ID), Amount: stripe.Int64(250), Currency: stripe.String("usd"),
		Description: stripe.String("Setup"), Metadata: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.InvoiceItems.New(&stripe.InvoiceItemParams{Customer: stripe.String(st.customers[2]), Price: stripe.String(st.tiered), Quantity: stripe.Int64(1500)}); err != nil {
		t.Fatal(err)
	}
	inv, err := sc.Invoices.New(&stripe.InvoiceParams{Customer: stripe.String(st.customers[2]), PendingInvoiceItemsBehavior: stripe.String("include"),
		CollectionMethod: stripe.String("send_invoice"), DaysUntilDue: stripe.Int64(30)})
	if err != nil {
		t.Fatal(err)
	}
	st.draftIn = inv.ID

	// A subscription on the emulator's clock, and a legacy metered price with usage records.
	real := subscribe(t, sc, st.customers[1], &stripe.SubscriptionItemsParams{Price: stripe.String(seats.ID)})
	st.realSub, st.periodEnd = real.ID, real.CurrentPeriodEnd
	legacy := must(e.do("POST", "/v1/prices", "currency=usd&product=prod_custom&unit_amount=2&recurring[interval]=month&recurring[usage_type]=metered&recurring[aggregate_usage]=max"))
	ls := subscribe(t, sc, st.customers[2], &stripe.SubscriptionItemsParams{Price: stripe.String(legacy.json["id"].(string))})
	st.legacyItem = ls.Items.Data[0].ID
	for _, q := range []string{"5", "9"} {
		must(e.do("POST", "/v1/subscription_items/"+st.legacyItem+"/usage_records", "quantity="+q+"&timestamp=now"))
	}
	waitDelivered(t, e)
	return st
}

// waitDelivered waits until no event of the env's account waits on a webhook.
func waitDelivered(t *testing.T, e *testEnv) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending := 0
		for _, ev := range e.srv.accounts.all()[0].events.snapshot() {
			pending += int(ev.pending.Load())
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks still pending", pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readPaths are the reads whose answers must not change across a save and load.
func (st richState) readPaths(t *testing.T, e *testEnv) []string {
	t.Helper()
	aug := int64(1722470400)
	paths := []string{
		"/v1/customers?limit=100", "/v1/customers?test_clock=" + st.clockID, "/v1/customers?limit=2&starting_after=" + st.customers[2], "/v1/customers/search?query=" + url.QueryEscape("metadata['plan']:'pro'") + "&expand[]=total_count",
		"/v1/products?limit=100", "/v1/products/" + st.product,
		"/v1/prices?limit=100&expand[]=data.tiers", "/v1/prices?lookup_keys[]=tiny", "/v1/prices/" + st.tiered + "?expand[]=tiers&expand[]=product",
		"/v1/billing/meters", "/v1/billing/meters/" + st.meterID,
		"/v1/subscriptions?status=all&limit=100", "/v1/subscriptions?status=all&test_clock=" + st.clockID, "/v1/subscriptions/" + st.clockSub + "?expand[]=latest_invoice&expand[]=customer",
		"/v1/subscription_items?subscription=" + st.clockSub,
		"/v1/invoices?limit=100", "/v1/invoices/" + st.draftIn + "/lines", "/v1/invoices/search?query=" + url.QueryEscape("status:'draft'"),
		"/v1/invoiceitems?limit=100", "/v1/invoiceitems?pending=true",
		"/v1/invoices/upcoming?customer=" + st.clockCus, "/v1/invoices/upcoming/lines?customer=" + st.clockCus + "&limit=1",
		"/v1/invoices/upcoming?customer=" + st.customers[1],
		"/v1/test_helpers/test_clocks", "/v1/test_helpers/test_clocks/" + st.clockID,
		"/v1/webhook_endpoints", "/v1/billing/alerts",
		"/v1/events?limit=100", "/v1/events?limit=3&type=invoice.*", "/v1/events?types[]=billing.alert.triggered",
		"/_emulator/meter_error_reports",
		"/v1/subscription_items/" + st.legacyItem + "/usage_record_summaries",
		fmt.Sprintf("/v1/billing/meters/%s/event_summaries?customer=%s&start_time=%d&end_time=%d", st.meterID, st.customers[0], t0.Unix()-3*86400, t0.Unix()+86400),
		fmt.Sprintf("/v1/billing/meters/%s/event_summaries?customer=%s&start_time=%d&end_time=%d&value_grouping_window=hour", st.meterID, st.customers[0], t0.Unix(), t0.Unix()+4*3600),
		fmt.Sprintf("/v1/billing/meters/%s/event_summaries?customer=%s&start_time=%d&end_time=%d", st.meterID, st.clockCus, t0.Unix(), aug+86400),
		fmt.Sprintf("/v1/billing/meters/%s/event_summaries?customer=%s&start_time=%d&end_time=%d", st.windowMeter, st.customers[1], t0.Unix()-86400, t0.Unix()+86400),
	}
	for _, id := range st.customers {
		paths = append(paths, "/v1/customers/"+id)
	}
	// Every event, retrieved, and expanded where it can be.
	r := e.do("GET", "/v1/events?limit=100", "")
	for _, ev := range r.json["data"].([]any) {
		o := ev.(map[string]any)
		paths = append(paths, "/v1/events/"+o["id"].(string))
		if o["type"] == "price.created" {
			paths = append(paths, "/v1/events/"+o["id"].(string)+"?expand[]=data.object.tiers&expand[]=data.object.product")
		}
	}
	if r.json["has_more"] != false {
		t.Fatal("more than 100 events: page through them")
	}
	return paths
}

// answers reads every path; previews get IDs of their own on every call.
func answers(e *testEnv, paths []string) map[string]string {
	out := map[string]string{}
	for _, p := range paths {
		r := e.do("GET", p, "")
		var v map[string]any
		_ = json.Unmarshal(r.body, &v)
		if id, _ := v["id"].(string); strings.HasPrefix(id, "upcoming_in_") {
			v["id"] = "upcoming"
		}
		b, _ := json.Marshal(v)
		out[p] = strconv.Itoa(r.status) + " " + string(b)
	}
	return out
}

func saveBytes(t *testing.T, srv *Server) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := srv.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// loadedEnv is a fresh emulator, on the same time as e, loaded with state.
func loadedEnv(t *testing.T, e *testEnv, state []byte) *testEnv {
	t.Helper()
	e2 := newEnv(t)
	e2.clock.Set(e.clock.Now())
	if err := e2.srv.LoadState(bytes.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	return e2
}

func TestStateRoundTrip(t *testing.T) {
	e := newEnvWithCard(t)
	e.clock.Add(3 * time.Hour)
	st := buildRichState(t, e)
	paths := st.readPaths(t, e)
	before := answers(e, paths)
	for p, a := range before {
		if !strings.HasPrefix(a, "200 ") {
			t.Fatalf("%s: %s", p, a)
		}
	}
	state := saveBytes(t, e.srv)
	e2 := loadedEnv(t, e, state)

	// Every read answers as before.
	after := answers(e2, paths)
	for _, p := range paths {
		if before[p] != after[p] {
			t.Errorf("%s changed across save and load:\nbefore %s\nafter  %s", p, before[p], after[p])
		}
	}
	// Saving the loaded state gives the same bytes: nothing was lost or changed.
	if again := saveBytes(t, e2.srv); !bytes.Equal(again, state) {
		t.Errorf("the loaded state saves differently (%d vs %d bytes)", len(again), len(state))
		la, lb := strings.Split(string(state), "\n"), strings.Split(string(again), "\n")
		for i := 0; i < len(la) && i < len(lb); i++ {
			if la[i] != lb[i] {
				t.Fatalf("first difference, line %d:\n%s\n%s", i+1, la[i], lb[i])
			}
		}
	}

	// A meter event identifier seen before the restart is still a duplicate;
	// cancellations still know the events.
	if _, err := sendEvent(e2.sc, "alpaca_ai_tokens", st.customers[0], "1", 0, "ev-2"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a replayed identifier after a restart: %v", err)
	}
	r := e2.do("POST", "/v1/billing/meter_event_adjustments", "event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=ev-1")
	if r.status != 400 || !strings.Contains(r.errField("message"), "already canceled") {
		t.Errorf("canceling a canceled event after a restart: %d %s", r.status, r.body)
	}
	if r := e2.do("POST", "/v1/billing/meter_event_adjustments", "event_name=alpaca_ai_tokens&type=cancel&cancel[identifier]=ev-3"); r.status != 200 {
		t.Errorf("canceling an event after a restart: %d %s", r.status, r.body)
	}
	if got := usage(t, e2.sc, st.meterID, st.customers[0], t0.Unix()-3*86400, t0.Unix()+86400); got != 2960 {
		t.Errorf("usage after the restart's cancel: %v, want 3000-40", got)
	}
	// The hour window fell back on the event before the canceled one.
	if got := usage(t, e2.sc, st.windowMeter, st.customers[1], t0.Unix(), t0.Unix()+86400); got != 5 {
		t.Errorf("hour window after a restart: %v", got)
	}

	// New objects sort after the old ones.
	c, err := e2.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("After")})
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range st.customers {
		if c.ID <= old {
			t.Errorf("new customer %s sorts before %s", c.ID, old)
		}
	}
	if list := e2.do("GET", "/v1/customers?limit=1", ""); list.json["data"].([]any)[0].(map[string]any)["id"] != c.ID {
		t.Errorf("the new customer is not listed first: %s", list.body)
	}

	// Time goes on after the load as it would have: the test clock bills August
	// on both, alike.
	for _, env := range []*testEnv{e, e2} {
		advance(t, env.sc, st.clockID, 1725148800+3600)
	}
	totals := func(env *testEnv) string {
		var out []string
		for _, inv := range customerInvoices(t, env.sc, st.clockCus) {
			out = append(out, fmt.Sprintf("%s %s %d %d %d-%d %s", inv.BillingReason, inv.Status, inv.Total, inv.AmountPaid, inv.PeriodStart, inv.PeriodEnd, lineSummary(inv)))
			for _, l := range inv.Lines.Data {
				out = append(out, fmt.Sprintf("%q %v", l.Description, l.Metadata))
			}
		}
		return strings.Join(out, "; ")
	}
	if a, b := totals(e), totals(e2); a != b || strings.Count(b, "subscription_cycle") != 2 {
		t.Errorf("invoices after the clock advanced:\noriginal %s\nloaded   %s", a, b)
	}
	// The emulator's own clock renews the other subscription on its tick.
	e2.clock.Set(time.Unix(st.periodEnd+3600, 0))
	e2.srv.tick()
	sub, err := e2.sc.Subscriptions.Get(st.realSub, nil)
	if err != nil || sub.CurrentPeriodStart != st.periodEnd {
		t.Fatalf("no renewal on the emulator's clock after a load: %v %+v", err, sub)
	}
	if inv, _ := e2.sc.Invoices.Get(sub.LatestInvoice.ID, nil); inv == nil || inv.Status != "paid" || inv.BillingReason != "subscription_cycle" {
		t.Errorf("renewal invoice after a load: %+v", inv)
	}
}

// A state saved while requests run is consistent enough to load, and loading
// into a server that has served requests is refused.
func TestStateSaveWhileServingAndLoadOnlyIntoAnEmptyServer(t *testing.T) {
	e := newEnv(t)
	alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			_, _ = sendEvent(e.sc, "alpaca_ai_tokens", cus, "1", 0, "")
			if i%20 == 0 {
				_, _ = e.sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("c")})
			}
		}
	}()
	var last []byte
	for i := 0; i < 5; i++ {
		last = saveBytes(t, e.srv)
		srv, err := New(Options{TickInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadState(bytes.NewReader(last)); err != nil {
			t.Fatalf("a state saved while serving: %v", err)
		}
		srv.Close()
	}
	<-done
	err := e.srv.LoadState(bytes.NewReader(last))
	if !errors.Is(err, ErrStateNotEmpty) {
		t.Fatalf("loading into a server with accounts: %v", err)
	}
}

// smallState is a state of a few objects, for the error tests.
func smallState(t *testing.T) []byte {
	t.Helper()
	e := newEnv(t)
	alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "12", 0, "x"); err != nil {
		t.Fatal(err)
	}
	return saveBytes(t, e.srv)
}

// loadInto loads b into a fresh server and reports its accounts after.
func loadInto(t *testing.T, b []byte) (int, error) {
	t.Helper()
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	err = srv.LoadState(bytes.NewReader(b))
	return len(srv.accounts.all()), err
}

// withChecksum replaces the end marker of a state with a correct one.
func withChecksum(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	body := bytes.Join(lines[:len(lines)-2], nil)
	end, _ := json.Marshal(endMark{End: stateEndMark, Lines: len(lines) - 2, SHA256: fmt.Sprintf("%x", sha256.Sum256(body))})
	return append(append(body, end...), '\n')
}

func TestStateRefusesCorruptForeignAndFutureFiles(t *testing.T) {
	good := smallState(t)
	if n, err := loadInto(t, good); err != nil || n != 1 {
		t.Fatalf("the good state: %d accounts, %v", n, err)
	}
	if !bytes.Equal(withChecksum(good), good) {
		t.Fatal("withChecksum changed a good state")
	}
	lines := bytes.SplitAfter(good, []byte("\n"))
	endAt := len(good) - len(lines[len(lines)-2])
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x01
		return b
	}
	replaceHeader := func(from, to string) []byte {
		return withChecksum(bytes.Replace(good, []byte(from), []byte(to), 1))
	}
	for _, tt := range []struct {
		name string
		data []byte
		kind error
		msg  string
	}{
		{"empty", nil, ErrStateForeign, "the file is empty"},
		{"random JSON", []byte(`{"customers":[{"id":"cus_1"}]}` + "\n"), ErrStateForeign, "another JSON document"},
		{"a JSON array", []byte(`[1,2,3]`), ErrStateForeign, "another JSON document"},
		{"text", []byte("hello world, this is not a state\n"), ErrStateForeign, `it starts with "hello world`},
		{"binary", []byte{0, 1, 2, 3, 0xff, 0xfe, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}, ErrStateForeign, "binary data"},
		{"gzip", append([]byte{0x1f, 0x8b, 8, 0}, good...), ErrStateForeign, "gzip"},
		{"short", []byte(`{"stripe`), ErrStateForeign, "not a stripe-emulator state file"},
		{"future version", replaceHeader(`{"stripe_emulator_state":2,`, `{"stripe_emulator_state":3,`), ErrStateVersion, "format version 3, written by a newer stripe-emulator; this one reads version 2"},
		{"another API version", replaceHeader(`"api_version":"2024-06-20"`, `"api_version":"2023-10-16"`), ErrStateVersion, `API version "2023-10-16"`},
		{"version 0", replaceHeader(`{"stripe_emulator_state":2,`, `{"stripe_emulator_state":0,`), ErrStateCorrupt, "format version 0"},
		{"damaged header", replaceHeader(`"accounts":1}`, `"accounts":1`), ErrStateCorrupt, "a damaged header"},
		{"header only", lines[0], ErrStateCorrupt, "truncated: it ends after line 1 without its end marker"},
		{"header without newline", bytes.TrimSuffix(lines[0], []byte("\n")), ErrStateCorrupt, "ends within its header"},
		{"truncated in a line", good[:len(good)/2], ErrStateCorrupt, "truncated"},
		{"truncated at a line", good[:endAt], ErrStateCorrupt, "truncated"},
		{"truncated in the end marker", good[:len(good)-10], ErrStateCorrupt, "truncated"},
		{"a flipped byte", flip(endAt / 2), ErrStateCorrupt, "checksum mismatch"},
		{"a flipped byte in a record", flip(bytes.Index(good, []byte(`"John Doe"`)) + 2), ErrStateCorrupt, "checksum mismatch"},
		{"a flipped byte in the checksum", flip(len(good) - 5), ErrStateCorrupt, "checksum mismatch"},
		{"wrong checksum", bytes.Replace(good, []byte(`"sha256":"`), []byte(`"sha256":"00`), 1), ErrStateCorrupt, "checksum mismatch"},
		{"wrong line count", bytes.Replace(good, []byte(`"lines":`), []byte(`"lines":1`), 1), ErrStateCorrupt, "checksum mismatch"},
		{"damaged end marker", bytes.Replace(good, []byte(`{"end":"stripe_emulator_state"`), []byte(`{"end":"x"`), 1), ErrStateCorrupt, "a damaged end marker"},
		{"data after the end", append(bytes.Clone(good), "{}\n"...), ErrStateCorrupt, "data after the end marker"},
		{"a line removed", withChecksum(bytes.Join(append(append([][]byte{}, lines[:3]...), lines[4:]...), nil)), ErrStateCorrupt, "line"},
		{"an unknown field", withChecksum(bytes.Replace(good, []byte(`{"ID":"cus_`), []byte(`{"Nope":1,"ID":"cus_`), 1)), ErrStateCorrupt, `customers line 1: json: unknown field "Nope"`},
		{"a duplicate", withChecksum(bytes.Replace(good, []byte(`{"section":"customers","count":1}`+"\n"), append([]byte(`{"section":"customers","count":2}`+"\n"), lineWith(lines, `{"ID":"cus_`)...), 1)), ErrStateCorrupt, "duplicate ID"},
		{"an unknown section", withChecksum(bytes.Replace(good, []byte(`"section":"alert_firings"`), []byte(`"section":"gizmos"`), 1)), ErrStateCorrupt, `an unknown section "gizmos"`},
		{"an account count", replaceHeader(`"accounts":1}`, `"accounts":2}`), ErrStateCorrupt, "1 accounts, the header says 2"},
		{"a live key", withChecksum(bytes.Replace(good, []byte(`{"account":"sk_test_`), []byte(`{"account":"sk_live_`), 1)), ErrStateCorrupt, "an invalid account key"},
		{"a damaged metering store", withChecksum(regexp.MustCompile(`"records":"[^"]*"`).ReplaceAll(good, []byte(`"records":"AAAA"`))), ErrStateCorrupt, "metering"},
	} {
		n, err := loadInto(t, tt.data)
		if err == nil || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: got %v, want %v with %q", tt.name, err, tt.kind, tt.msg)
		}
		if n != 0 {
			t.Errorf("%s: %d accounts loaded from a refused file", tt.name, n)
		}
	}
	// Any single flipped bit, anywhere, is refused (never loaded, never a panic).
	step := max(1, len(good)/400)
	for at := 0; at < len(good); at += step {
		b := bytes.Clone(good)
		b[at] ^= 1 << (at % 8)
		if n, err := loadInto(t, b); err == nil || n != 0 {
			t.Fatalf("a bit flipped at %d of %d: loaded (%d accounts, %v)", at, len(good), n, err)
		} else if !errors.Is(err, ErrStateCorrupt) && !errors.Is(err, ErrStateForeign) && !errors.Is(err, ErrStateVersion) {
			t.Fatalf("a bit flipped at %d: an error of no kind: %v", at, err)
		}
	}
}

func lineWith(lines [][]byte, prefix string) []byte {
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte(prefix)) {
			return l
		}
	}
	return nil
}

// failingWriter fails once n bytes have been written.
type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("disk full (simulated)")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestStateFileIsWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	e := newEnv(t)
	alpacaMeter(t, e.sc)
	newCustomer(t, e.sc)

	// A missing file is a fresh start.
	fresh := newEnv(t)
	info, err := fresh.srv.LoadStateFile(path)
	if err != nil || info.Found {
		t.Fatalf("a missing state file: %+v %v", info, err)
	}
	// A failed first save leaves nothing behind.
	_, err = e.srv.saveStateFile(path, func(w io.Writer) io.Writer { return &failingWriter{w: w, n: 100} })
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("a failing save: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed save left %v", entries)
	}
	info, err = e.srv.SaveStateFile(path)
	if err != nil || info.Accounts != 1 || info.Objects != 2 || info.Bytes == 0 {
		t.Fatalf("save: %+v %v", info, err)
	}
	saved, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 || fi.Size() != info.Bytes {
		t.Errorf("state file mode %v, size %d (info says %d)", fi.Mode(), fi.Size(), info.Bytes)
	}
	// A save that fails halfway leaves the previous state whole.
	newCustomer(t, e.sc)
	for _, n := range []int{0, 10, len(saved) / 2, len(saved) - 1} {
		if _, err := e.srv.saveStateFile(path, func(w io.Writer) io.Writer { return &failingWriter{w: w, n: n} }); err == nil {
			t.Fatalf("a save failing after %d bytes succeeded", n)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, saved) {
			t.Fatalf("a save failing after %d bytes changed the state file", n)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("a failed save left %v", entries)
		}
	}
	// A save into a directory that does not exist fails and says where.
	if _, err := e.srv.SaveStateFile(filepath.Join(dir, "nope", "state.json")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a save into a missing directory: %v", err)
	}
	// A good save replaces the file; loading it finds the state.
	info, err = e.srv.SaveStateFile(path)
	if err != nil || info.Objects != 3 {
		t.Fatalf("second save: %+v %v", info, err)
	}
	info, err = fresh.srv.LoadStateFile(path)
	if err != nil || !info.Found || info.Accounts != 1 || info.Objects != 3 || info.MeterEvents != 0 || !info.SavedAt.Equal(t0) {
		t.Fatalf("load: %+v %v", info, err)
	}
	if n := len(fresh.srv.accounts.all()); n != 1 {
		t.Fatalf("%d accounts after load", n)
	}
	// A corrupt file is an error that names the file and says what to do.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, saved[:len(saved)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	other := newEnv(t)
	_, err = other.srv.LoadStateFile(bad)
	if err == nil || !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("a corrupt state file: %v", err)
	}
	if _, err := other.srv.LoadStateFile(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("a directory as state file: %v", err)
	}
}

// Every table has a codec, and every field of every record survives
// encoding/json: exported, no interfaces or functions, jsonobj.Obj only where a
// shadow writes it in the tagged form.
func TestStateCodecsCoverEveryRecordField(t *testing.T) {
	reg, err := newRegistry(resources, routeOrder)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range reg.tables {
		codec, ok := reg.codecs[tb.Name]
		if !ok {
			t.Errorf("table %s has no state codec", tb.Name)
			continue
		}
		shadowed := shadowedFields(codec)
		for name := range shadowed {
			if f, ok := codec.typ.FieldByName(name); !ok || !opaque(f.Type) {
				t.Errorf("%s: the shadow field %s stands for no jsonobj.Obj or billing.Attrs field of the record", codec.typ.Name(), name)
			}
		}
		checkStateType(t, codec.typ, codec.typ.Name(), shadowed, map[reflect.Type]bool{})
	}
	if len(reg.codecs) != len(reg.tables) {
		t.Errorf("%d codecs for %d tables", len(reg.codecs), len(reg.tables))
	}
}

// shadowedFields are the fields of a record that its codec's shadow type
// writes instead: those of the shadow's own fields that are stateObj.
func shadowedFields(codec recordCodec) map[string]bool {
	out := map[string]bool{}
	if codec.shadow == nil {
		return out
	}
	for i := 0; i < codec.shadow.NumField(); i++ {
		if f := codec.shadow.Field(i); !f.Anonymous && f.Type == reflect.TypeFor[stateObj]() {
			out[f.Name] = true
		}
	}
	return out
}

var (
	marshalerType   = reflect.TypeFor[json.Marshaler]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	objType         = reflect.TypeFor[jsonobj.Obj]()
	attrsType       = reflect.TypeFor[billing.Attrs]()
)

// opaque reports whether a record's field holds a JSON object that only a
// shadow field of its codec can write: a jsonobj.Obj, or a billing.Attrs
// (one held for the engine, which never reads it).
func opaque(typ reflect.Type) bool { return typ == objType || typ == attrsType }

func checkStateType(t *testing.T, typ reflect.Type, path string, shadowed map[string]bool, seen map[reflect.Type]bool) {
	t.Helper()
	if seen[typ] {
		return
	}
	seen[typ] = true
	if opaque(typ) {
		t.Errorf("%s: a %s that no shadow field writes (add a stateObj field of its name to the codec's shadow type)", path, typ)
		return
	}
	if typ.Implements(marshalerType) && reflect.PointerTo(typ).Implements(unmarshalerType) {
		return // decimal.Decimal and the like
	}
	switch typ.Kind() {
	case reflect.Struct:
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if !f.IsExported() {
				t.Errorf("%s.%s is unexported: encoding/json would drop it", path, f.Name)
				continue
			}
			// ",omitempty" keeps the name: a field added later leaves the
			// lines of the records that do not use it as they were.
			if tag := f.Tag.Get("json"); tag != "" && tag != ",omitempty" {
				t.Errorf("%s.%s has a json tag: records are encoded by field name", path, f.Name)
			}
			if shadowed[f.Name] && opaque(f.Type) {
				continue
			}
			checkStateType(t, f.Type, path+"."+f.Name, nil, seen)
		}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		checkStateType(t, typ.Elem(), path+"[]", nil, seen)
	case reflect.Map:
		if typ.Key().Kind() != reflect.String {
			t.Errorf("%s: a map keyed by %s", path, typ.Key())
		}
		checkStateType(t, typ.Elem(), path+"[k]", nil, seen)
	case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128, reflect.Uintptr:
		t.Errorf("%s: a %s cannot be saved", path, typ.Kind())
	}
}

// The tagged form keeps every Go type of the response model.
func TestStateValueRoundTrip(t *testing.T) {
	s, b, n, d := "str", true, int64(-7), jsonobj.Decimal("0.004")
	v := jsonobj.Obj{
		{K: "null", V: nil}, {K: "s", V: "é \"q\" \n\t\\ \u2028 </script>"}, {K: "b", V: false}, {K: "i64", V: int64(math.MinInt64)},
		{K: "int", V: 42}, {K: "u32", V: uint32(math.MaxUint32)}, {K: "u64", V: uint64(math.MaxUint64)},
		{K: "f", V: 0.1}, {K: "fwhole", V: 3.0}, {K: "fbig", V: 1e300}, {K: "nan", V: math.NaN()}, {K: "inf", V: math.Inf(-1)},
		{K: "dec", V: d}, {K: "raw", V: jsonobj.Raw(`{"x":[1,2.5]}`)},
		{K: "empty", V: jsonobj.Obj{}}, {K: "nilobj", V: jsonobj.Obj(nil)},
		{K: "objs", V: []jsonobj.Obj{{{K: "a", V: "b"}}, nil, {}}}, {K: "nilobjs", V: []jsonobj.Obj(nil)}, {K: "noobjs", V: []jsonobj.Obj{}},
		{K: "any", V: []any{"x", int64(1), nil, []any{}, jsonobj.Obj{{K: "k", V: true}}}}, {K: "nilany", V: []any(nil)},
		{K: "strs", V: []string{"a", ""}}, {K: "nilstrs", V: []string(nil)}, {K: "nostrs", V: []string{}},
		{K: "map", V: map[string]string{"z": "1", "a": "2"}}, {K: "nilmap", V: map[string]string(nil)},
		{K: "hidden", V: jsonobj.Hidden{V: []jsonobj.Obj{{{K: "up_to", V: nil}}}}},
		{K: "hiddenfn", V: jsonobj.Hidden{Fn: func() any { return int64(12) }}},
		{K: "dup", V: int64(1)}, {K: "dup", V: int64(2)},
		{K: "deep", V: jsonobj.Obj{{K: "a", V: jsonobj.Obj{{K: "b", V: []any{[]any{jsonobj.Obj{}}}}}}}},
		{K: "ps", V: &s}, {K: "pb", V: &b}, {K: "pn", V: &n}, {K: "pd", V: &d}, {K: "pnil", V: (*string)(nil)},
		{K: "struct", V: struct{ A int }{3}},
	}
	enc, err := appendStateValue(nil, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(enc) || bytes.ContainsAny(enc, "\n\r") {
		t.Fatalf("not one line of JSON: %s", enc)
	}
	got, err := parseStateValue(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonobj.Marshal(got), jsonobj.Marshal(v)) {
		t.Errorf("renders differently:\n%s\n%s", jsonobj.Marshal(got), jsonobj.Marshal(v))
	}
	want := append(jsonobj.Obj(nil), v...)
	// Pointers come back as their values, a hidden function as its value, other
	// types as their JSON; NaN is compared by its rendering.
	for i, f := range want {
		switch x := f.V.(type) {
		case *string:
			if x == nil {
				want[i].V = nil
			} else {
				want[i].V = *x
			}
		case *bool:
			want[i].V = *x
		case *int64:
			want[i].V = *x
		case *jsonobj.Decimal:
			want[i].V = *x
		case jsonobj.Hidden:
			want[i].V = jsonobj.Hidden{V: x.Value()}
		case struct{ A int }:
			want[i].V = jsonobj.Raw(`{"A":3}`)
		}
	}
	g := got.(jsonobj.Obj)
	if nan, _ := g.Get("nan"); !math.IsNaN(nan.(float64)) {
		t.Errorf("NaN came back as %v", nan)
	}
	g.Set("nan", 0.0)
	want.Set("nan", 0.0)
	if !reflect.DeepEqual(g, want) {
		for i := range want {
			if i >= len(g) || !reflect.DeepEqual(g[i], want[i]) {
				t.Errorf("field %d: got %#v, want %#v", i, g[i], want[i])
			}
		}
	}
	// Too deep is refused both ways, rather than overflowing the stack.
	var deep any = int64(1)
	for i := 0; i < maxStateDepth+5; i++ {
		deep = []any{deep}
	}
	if _, err := appendStateValue(nil, deep, 0); err == nil {
		t.Error("a value nested too deeply was written")
	}
	if _, err := parseStateValue([]byte(strings.Repeat(`["Any",`, 300) + "1" + strings.Repeat("]", 300))); err == nil {
		t.Error("a value nested too deeply was read")
	}
}

func FuzzStateValue(f *testing.F) {
	for _, s := range []string{`{"a":["Objs",{"b":null}],"c":["Hidden",["Float","1.5"]]}`, `["Map","a","b"]`, `["Uint64","18446744073709551615"]`,
		`{"s":"\u00e9\"","n":-12}`, `["Raw","{}"]`, `["Strs0"]`, `["Int",9223372036854775807]`, `[`, `{"a"`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseStateValue(b)
		if err != nil {
			return
		}
		enc, err := appendStateValue(nil, v, 0)
		if err != nil {
			t.Fatalf("%q parsed but does not write: %v", b, err)
		}
		v2, err := parseStateValue(enc)
		if err != nil {
			t.Fatalf("%q: its rewrite %q does not parse: %v", b, enc, err)
		}
		if !bytes.Equal(jsonobj.Marshal(v), jsonobj.Marshal(v2)) {
			t.Fatalf("%q: renders differently after a rewrite", b)
		}
	})
}

// BenchmarkState saves and loads an account of 100,000 customers (and their
// customer.created events) and 1,000,000 meter events received within the
// last day (so that every per-event record is still kept):
//
//	go test ./server -run X -bench State -benchtime 1x
func BenchmarkState(b *testing.B) {
	const customers, meterEvents = 100_000, 1_000_000
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	acct := srv.accounts.get("sk_test_bench")
	if acct == nil {
		b.Fatal("no account")
	}
	now := t0.Unix()
	tx := acct.db.Write()
	var evs []*eventRecord
	ids := make([]string, customers)
	for i := range ids {
		seq := acct.seq.Add(1)
		cu := &billing.Customer{Meta: store.Meta{ID: store.SortableID("cus", now, seq), Created: now, Seq: seq}, Name: "Customer " + strconv.Itoa(i),
			Email: fmt.Sprintf("c%d@example.com", i), Metadata: map[string]string{"n": strconv.Itoa(i)}, PreferredLocales: []string{}}
		if err := tx.Put(tCustomers, cu); err != nil {
			b.Fatal(err)
		}
		ids[i] = cu.ID
		evs = append(evs, &eventRecord{typ: "customer.created", created: now, reqID: "req_x",
			data: jsonobj.Marshal(jsonobj.Obj{{K: "object", V: (&renderCtx{}).renderCustomer(cu)}})})
	}
	tx.Commit()
	acct.events.append(evs)
	for i := 0; i < meterEvents; i++ {
		rcv := now - 86399 + int64(i)*86399/meterEvents
		if err := acct.usage.Record(metering.Event{Identifier: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), EventName: "alpaca_ai_tokens",
			Meter: "mtr_1", Customer: ids[i%1000], Counted: true, Timestamp: rcv - int64(i%7), Received: rcv, Value: int64(i%1000 + 1)}); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "state.json")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		saved, err := srv.SaveStateFile(path)
		if err != nil {
			b.Fatal(err)
		}
		dst, err := New(Options{TickInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		loaded, err := dst.LoadStateFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if loaded.Objects != customers || loaded.MeterEvents != meterEvents || loaded.Events != customers {
			b.Fatalf("loaded %+v", loaded)
		}
		dst.Close()
		b.ReportMetric(saved.Duration.Seconds(), "save-s")
		b.ReportMetric(loaded.Duration.Seconds(), "load-s")
		b.ReportMetric(float64(saved.Bytes)/1e6, "MB")
	}
}

// An event's data, saved as JSON text, must be an object ({"object":…}).
func TestRestoreEventData(t *testing.T) {
	for data, ok := range map[string]bool{`["Raw","{\"object\":{\"id\":\"cus_1\"}}"]`: true, `["Raw","null"]`: false, `["Raw","[1]"]`: false, `null`: false} {
		line := `{"id":"evt_1","object":"event","created":1719792000,"data":` + data + `,"type":"customer.created"}`
		ev, err := restoreEvent([]byte(line))
		if (err == nil) != ok {
			t.Errorf("data %s: %v", data, err)
		}
		if ok && string(ev.data) != `{"object":{"id":"cus_1"}}` {
			t.Errorf("data %s: restored as %s", data, ev.data)
		}
	}
}

// A trial before a billing_cycle_anchor ahead, created with
// proration_behavior=none, keeps its free stub across a save and load; a state
// file saved before the subscription recorded it (no StubFreeUntil) loads and
// charges the stub prorated, as the emulator did when it wrote that file.
func TestStateFreeStubAfterTrial(t *testing.T) {
	e := newEnv(t)
	clockID, cus := clockCustomer(t, e.sc, t0.Unix())
	sub, err := e.sc.Subscriptions.New(&stripe.SubscriptionParams{Customer: stripe.String(cus), TrialPeriodDays: stripe.Int64(7),
		BillingCycleAnchor: stripe.Int64(aug1), ProrationBehavior: stripe.String("none"),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(licensedPrice(t, e.sc, 3100, "month").ID)}}})
	if err != nil {
		t.Fatal(err)
	}
	state := saveBytes(t, e.srv)
	field := regexp.MustCompile(`,"StubFreeUntil":[0-9]+`)
	if got := field.FindAll(state, -1); len(got) != 1 || string(got[0]) != fmt.Sprintf(`,"StubFreeUntil":%d`, aug1) {
		t.Fatalf("the state holds %q", got)
	}
	for _, tt := range []struct {
		name  string
		state []byte
		want  int64 // the trial end's invoice
	}{
		{"saved with it", state, 0},
		{"saved before it", withChecksum(field.ReplaceAll(state, nil)), 2400}, // 24 of 31 days of 3100
	} {
		t.Run(tt.name, func(t *testing.T) {
			e2 := loadedEnv(t, e, tt.state)
			sc := e2.client(e.key)
			advance(t, sc, clockID, t0.Unix()+7*day+2*3600)
			if inv := latestInvoice(t, sc, sub.ID); inv.BillingReason != "subscription_cycle" || inv.Total != tt.want {
				t.Errorf("the trial end's invoice: %s %d, want %d", inv.BillingReason, inv.Total, tt.want)
			}
		})
	}
}
