package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
)

// workload prepares, on one target, the request it then sends over and over;
// unit is how many events one request carries (1 but for the stream).
// removedIn is the API version that removed its endpoint: -versions skips it
// there and after.
type workload struct {
	emulatorOnly bool
	removedIn    apiversion.Version
	setup        func(t *target) (req request, unit int, err error)
}

var workloadNames = []string{"create_customer", "retrieve_customer", "meter_event", "list_customers", "upcoming_invoice", "create_preview", "stream"}

var workloads_ = map[string]workload{
	"create_customer": {setup: func(t *target) (request, int, error) {
		return buildRequest("POST", "/v1/customers", key("create"), []byte("name=John+Doe&email=john%40example.com"), ""), 1, nil
	}},
	"retrieve_customer": {setup: func(t *target) (request, int, error) {
		k := key("retrieve")
		id, err := create(t, k, "/v1/customers", "name=John+Doe")
		if err != nil {
			return nil, 0, err
		}
		return buildRequest("GET", "/v1/customers/"+id, k, nil, ""), 1, nil
	}},
	"meter_event": {setup: func(t *target) (request, int, error) {
		k := key("events")
		_, cus, err := alpacaSetup(t, k)
		if err != nil {
			return nil, 0, err
		}
		body := "event_name=alpaca_ai_tokens&payload[stripe_customer_id]=" + cus + "&payload[value]=25"
		return buildRequest("POST", "/v1/billing/meter_events", k, []byte(body), ""), 1, nil
	}},
	"list_customers": {setup: func(t *target) (request, int, error) {
		k := key("list")
		for i := 0; i < 100; i++ {
			if _, err := create(t, k, "/v1/customers", "name=John+Doe&email=john%40example.com"); err != nil {
				return nil, 0, err
			}
		}
		return buildRequest("GET", "/v1/customers?limit=100", k, nil, ""), 1, nil
	}},
	"upcoming_invoice": {removedIn: apiversion.V2025_03_31_Basil, setup: func(t *target) (request, int, error) {
		k := key("upcoming")
		cus, _, err := alpacaSubscribed(t, k)
		if err != nil {
			return nil, 0, err
		}
		return buildRequest("GET", "/v1/invoices/upcoming?customer="+cus, k, nil, ""), 1, nil
	}},
	// create_preview is the upcoming invoice as every version has it (basil
	// removed GET /v1/invoices/upcoming): the subscription's next invoice.
	"create_preview": {setup: func(t *target) (request, int, error) {
		k := key("preview")
		_, sub, err := alpacaSubscribed(t, k)
		if err != nil {
			return nil, 0, err
		}
		return buildRequest("POST", "/v1/invoices/create_preview", k, []byte("subscription="+sub), ""), 1, nil
	}},
	// stream sends 100 events per request through the v2 meter event stream.
	"stream": {emulatorOnly: true, setup: func(t *target) (request, int, error) {
		k := key("stream")
		_, cus, err := alpacaSetup(t, k)
		if err != nil {
			return nil, 0, err
		}
		body, err := call(t, "POST", "/v2/billing/meter_event_session", k, nil, "application/json")
		if err != nil {
			return nil, 0, err
		}
		var session struct {
			Token string `json:"authentication_token"`
		}
		if err := json.Unmarshal(body, &session); err != nil || session.Token == "" {
			return nil, 0, fmt.Errorf("no session token: %s", body)
		}
		var b strings.Builder
		b.WriteString(`{"events":[`)
		for i := 0; i < 100; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":%q,"value":"25"}}`, cus)
		}
		b.WriteString(`]}`)
		return buildRequest("POST", "/v2/billing/meter_event_stream", session.Token, []byte(b.String()), "application/json"), 100, nil
	}},
}

// key is a fresh account per workload and run, so that runs do not share state
// (letters and digits only: stripe-mock wants a "valid looking" key).
func key(name string) string {
	return "sk_test_load" + name + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// call sends one request and returns the body of a 2xx answer.
func call(t *target, method, path, key string, body []byte, contentType string) ([]byte, error) {
	c, err := dial(t.addr)
	if err != nil {
		return nil, err
	}
	defer c.close()
	status, out, err := c.do(buildRequest(method, path, key, body, contentType), true)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, status, out)
	}
	return out, nil
}

// create POSTs a form and returns the new object's id.
func create(t *target, key, path, form string) (string, error) {
	out, err := call(t, "POST", path, key, []byte(form), "")
	if err != nil {
		return "", err
	}
	var obj struct{ ID string }
	if err := json.Unmarshal(out, &obj); err != nil {
		return "", err
	}
	return obj.ID, nil
}

// alpacaSetup makes the guide's meter and a customer; it returns both.
func alpacaSetup(t *target, key string) (meter, cus string, err error) {
	if meter, err = create(t, key, "/v1/billing/meters", "display_name=Alpaca+AI+tokens&event_name=alpaca_ai_tokens&default_aggregation[formula]=sum"); err != nil {
		return "", "", err
	}
	if cus, err = create(t, key, "/v1/customers", "name=John+Doe"); err != nil {
		return "", "", err
	}
	if !t.emulator {
		cus = "cus_123" // stripe-mock and the ceiling keep nothing
	}
	return meter, cus, nil
}

// alpacaSubscribed is alpacaSetup, with the guide's price, the customer's
// subscription to it and some usage: it returns the customer and the
// subscription.
func alpacaSubscribed(t *target, key string) (cus, sub string, err error) {
	meter, cus, err := alpacaSetup(t, key)
	if err != nil {
		return "", "", err
	}
	price, err := create(t, key, "/v1/prices", "currency=usd&unit_amount=4&transform_quantity[divide_by]=1000&transform_quantity[round]=up"+
		"&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]="+meter+"&product_data[name]=Alpaca+AI+tokens")
	if err != nil {
		return "", "", err
	}
	if sub, err = create(t, key, "/v1/subscriptions", "customer="+cus+"&items[0][price]="+price); err != nil {
		return "", "", err
	}
	if !t.emulator {
		sub = "sub_123"
	}
	_, err = call(t, "POST", "/v1/billing/meter_events", key, []byte("event_name=alpaca_ai_tokens&payload[value]=3000&payload[stripe_customer_id]="+cus), "")
	return cus, sub, err
}

// atVersion is a request with a Stripe-Version header (none for "").
func atVersion(req request, version string) request {
	if version == "" {
		return req
	}
	line := bytes.IndexByte(req, '\n') + 1
	out := make(request, 0, len(req)+len(version)+18)
	out = append(append(out, req[:line]...), "Stripe-Version: "+version+"\r\n"...)
	return append(out, req[line:]...)
}
