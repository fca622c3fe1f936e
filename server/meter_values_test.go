package server

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
)

// TestMeterEventValueDigits checks Stripe's bound on a value (at most 15
// digits) the same way on every path: v1 and v2 meter events refuse a longer
// whole number with a 400 naming the payload key, the v2 stream reports it as
// meter_event_value_too_many_digits, and none of them counts it.
func TestMeterEventValueDigits(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	token, _ := e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json").json["authentication_token"].(string)
	send := map[string]func(value string) response{
		"v1": func(value string) response {
			return e.do("POST", "/v1/billing/meter_events", "event_name=alpaca_ai_tokens&payload[stripe_customer_id]="+cus+"&payload[value]="+strings.ReplaceAll(value, "+", "%2B"))
		},
		"v2": func(value string) response {
			return e.do("POST", "/v2/billing/meter_events", `{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":"`+cus+`","value":"`+value+`"}}`, "Content-Type", "application/json")
		},
		"stream": func(value string) response {
			return e.do("POST", "/v2/billing/meter_event_stream", `{"events":[{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":"`+cus+`","value":"`+value+`"}}]}`,
				"Authorization", "Bearer "+token, "Content-Type", "application/json")
		},
	}
	counted := 0.0
	for _, path := range []string{"v1", "v2", "stream"} {
		for _, tt := range []struct {
			value string
			ok    bool
		}{
			{"999999999999999", true},
			{"-999999999999999", true},
			{"+000999999999999999", true}, // leading zeros are not digits of the value
			{"1000000000000000", false},
			{"-1000000000000000", false},
			{"9223372036854775807", false},
			{"123456789012345678901234567890", false}, // beyond int64 too: the same 400
		} {
			t.Run(path+"/"+tt.value, func(t *testing.T) {
				reportsBefore := len(e.do("GET", "/_emulator/meter_error_reports?limit=100", "").json["data"].([]any))
				r := send[path](tt.value)
				switch {
				case tt.ok:
					if r.status != 200 {
						t.Fatalf("refused: %d %s", r.status, r.body)
					}
					counted += float64(mustParseValue(t, tt.value))
				case path == "stream":
					reports := e.do("GET", "/_emulator/meter_error_reports?limit=1", "")
					n := len(e.do("GET", "/_emulator/meter_error_reports?limit=100", "").json["data"].([]any))
					if r.status != 200 || n != reportsBefore+1 || !strings.Contains(string(reports.body), `"code":"meter_event_value_too_many_digits"`) ||
						!strings.Contains(string(reports.body), "can have at most 15 digits. Received") {
						t.Errorf("stream: %d %s; report %s", r.status, r.body, reports.body)
					}
				default:
					if r.status != 400 || r.errField("param") != "payload[value]" || r.errField("type") != "invalid_request_error" ||
						!strings.HasPrefix(r.errField("message"), "The value in the event payload can have at most 15 digits. Received ") {
						t.Errorf("%d %s", r.status, r.body)
					}
				}
				if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != counted {
					t.Errorf("usage %v, want %v", got, counted)
				}
			})
		}
	}
}

func mustParseValue(t *testing.T, v string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUsageBeyondInt64 checks that a total past 2^63−1 (9,224 events of the
// largest value) reads alike in an event summary and on the invoice line:
// 9223372036854775807.
func TestUsageBeyondInt64(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	price, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), UnitAmount: stripe.Int64(0),
		Recurring:   &stripe.PriceRecurringParams{UsageType: stripe.String("metered"), Interval: stripe.String("month"), Meter: stripe.String(m.ID)},
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Tokens")}})
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, e.sc, cus, &stripe.SubscriptionItemsParams{Price: stripe.String(price.ID)})
	token, _ := e.do("POST", "/v2/billing/meter_event_session", "{}", "Content-Type", "application/json").json["authentication_token"].(string)
	event := `{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":"` + cus + `","value":"999999999999999"}}`
	for sent := 0; sent < 9224; sent += 100 {
		batch := strings.TrimSuffix(strings.Repeat(event+",", min(100, 9224-sent)), ",")
		if r := e.do("POST", "/v2/billing/meter_event_stream", `{"events":[`+batch+`]}`, "Authorization", "Bearer "+token, "Content-Type", "application/json"); r.status != 200 {
			t.Fatalf("stream: %d %s", r.status, r.body)
		}
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix(), t0.Unix()+3600); got != math.MaxInt64 {
		t.Errorf("summary: %v, want %v", got, float64(math.MaxInt64))
	}
	inv, err := e.sc.Invoices.Upcoming(&stripe.InvoiceUpcomingParams{Customer: stripe.String(cus)})
	if err != nil {
		t.Fatal(err)
	}
	var quantity int64 = -1
	for _, l := range inv.Lines.Data {
		if l.Price != nil && l.Price.ID == price.ID {
			quantity = l.Quantity
		}
	}
	if quantity != math.MaxInt64 {
		t.Errorf("invoice line quantity %d, want %d", quantity, int64(math.MaxInt64))
	}
}

// TestMeterEventsPinNoBody checks that what the emulator keeps of a meter
// event (its event name in the usage store and the meter cache, its
// identifier and idempotency key in an error report) is a copy, not a slice
// of its 200 KB body or 100 KB head: 300 such events hold kilobytes, not 60 MB.
func TestMeterEventsPinNoBody(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const key = "sk_test_pins"
	pad := strings.Repeat("p", 5000)
	var padding strings.Builder
	for i := 0; i < 40; i++ {
		padding.WriteString("&payload[pad" + strconv.Itoa(i) + "]=" + pad)
	}
	serveDirect(srv, "POST", "/v1/billing/meter_events", key, "event_name=warm&payload[stripe_customer_id]=cus_x"+padding.String())
	before := heapInUse()
	const n = 300
	for i := 0; i < n; i++ {
		body := "event_name=unknown_" + strconv.Itoa(i) + "&identifier=id_" + strconv.Itoa(i) + "&payload[stripe_customer_id]=cus_x" + padding.String()
		head := "idem-" + strconv.Itoa(i) + "-" + strings.Repeat(pad, 20) // a header value sliced from its request's head, as internal/h1 hands them out
		if w := serveDirect(srv, "POST", "/v1/billing/meter_events", key, body, "Idempotency-Key", head[:12]); w.Code != 200 {
			t.Fatalf("meter event: %d %.300s", w.Code, w.Body)
		}
	}
	srv.accounts.get(key).idem.close() // the idempotency store keeps the responses, which echo the payload
	per := float64(int64(heapInUse())-int64(before)) / n
	runtime.KeepAlive(srv)
	if per > 20<<10 {
		t.Errorf("a meter event of a 200 KB request holds %.0f bytes", per)
	}
}
