package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

var meterFormSeeds = []string{
	"event_name=alpaca_ai_tokens&payload[value]=3000&payload[stripe_customer_id]=cus_1",
	"event_name=a+b&identifier=id%2F1&timestamp=1719792000&payload[value]=25&payload[stripe_customer_id]=cus_1",
	"payload[k]=caf%C3%A9&event_name=e",
	// Left to the generic decoder:
	"event_name=a&payload[value]=1&expand[]=payload",
	"event_name=a&event_name=b&payload[value]=1",
	"event_name=a&payload[value]=1&payload[value]=2",
	"event_name=&payload[value]=1",
	"event_name=a&payload[]=1",
	"event_name=a&payload[a][b]=1",
	"event_name=a&payload=1",
	"event_name=a",
	"payload[value]=1",
	"event_name=a&payload%5Bvalue%5D=1",
	"event_name=a&payload[value]=1&timestamp=abc",
	"event_name=a&payload[value]=1&timestamp=-1",
	"event_name=a&payload[value]=1&timestamp=99999999999999",
	"event_name=a&&payload[value]=1",
	"event_name=a&payload[value]",
	"event_name=a&payload[value]=%ZZ",
	"event_name=a&payload[value]=%FF",
	"event_name=a&unknown=1&payload[value]=1",
	"",
}

// meterEventSchema is the schema the generic decoder checks meter events with.
func meterEventSchema(t testing.TB) *form.Schema {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ep := srv.static["POST /v1/billing/meter_events"]
	if ep == nil || ep.fastForm == nil {
		t.Fatal("POST /v1/billing/meter_events has no fast decoder")
	}
	return ep.schema
}

// genericMeterEvent decodes a body as every other endpoint's is.
func genericMeterEvent(schema *form.Schema, body string) (*meterEventInput, *form.Params, error) {
	tree, aerr := form.Parse(body)
	if aerr != nil {
		return nil, nil, aerr
	}
	p, aerr := form.Validate(tree, schema)
	if aerr != nil {
		return nil, nil, aerr
	}
	if err := checkTimestamps(p, false); err != nil {
		return nil, nil, err
	}
	return meterEventInputFromParams(p), p, nil
}

func TestMeterEventFastForm(t *testing.T) {
	in, ok := parseMeterEventForm(meterFormSeeds[1])
	want := &meterEventInput{name: "a b", identifier: "id/1", hasIdentifier: true, timestamp: 1719792000, hasTimestamp: true, timestampText: "1719792000",
		payload: map[string]string{"value": "25", "stripe_customer_id": "cus_1"}}
	if !ok || !reflect.DeepEqual(in, want) {
		t.Errorf("plain body: %v %+v", ok, in)
	}
	for _, s := range meterFormSeeds[:3] {
		if _, ok := parseMeterEventForm(s); !ok {
			t.Errorf("%q: not taken by the fast path", s)
		}
	}
	for _, s := range meterFormSeeds[3:] {
		if _, ok := parseMeterEventForm(s); ok {
			t.Errorf("%q: taken by the fast path", s)
		}
	}
}

// FuzzMeterEventFastForm: whatever the fast decoder takes, the generic decoder
// accepts and reads alike, down to the idempotency fingerprint.
func FuzzMeterEventFastForm(f *testing.F) {
	schema := meterEventSchema(f)
	for _, s := range meterFormSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := parseMeterEventForm(body)
		if !ok {
			return
		}
		generic, p, err := genericMeterEvent(schema, body)
		if err != nil {
			t.Fatalf("fast path took %q, the generic decoder refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, generic) {
			t.Fatalf("%q: fast %+v, generic %+v", body, fast, generic)
		}
		if fast.Canonical() != p.Canonical() {
			t.Fatalf("%q: canonical forms differ: fast %q, generic %q", body, fast.Canonical(), p.Canonical())
		}
	})
}

// The same Idempotency-Key replays whichever decoder read the body, and still
// refuses other parameters.
func TestMeterEventFastFormIdempotency(t *testing.T) {
	acrossFrontEnds(t, testMeterEventFastFormIdempotency)
}

func testMeterEventFastFormIdempotency(t *testing.T, newEnv func(*testing.T) *testEnv) {
	e := newEnv(t)
	cus := e.do("POST", "/v1/customers", "name=A").json["id"].(string)
	e.do("POST", "/v1/billing/meters", "display_name=T&event_name=tok&default_aggregation[formula]=sum")
	fast := "event_name=tok&payload[value]=5&payload[stripe_customer_id]=" + cus
	generic := "payload[stripe_customer_id]=" + cus + "&&event_name=tok&payload[value]=5" // the empty pair leaves it to the generic decoder
	if _, ok := parseMeterEventForm(generic); ok {
		t.Fatal("the generic body is taken by the fast path")
	}
	first := e.do("POST", "/v1/billing/meter_events", fast, "Idempotency-Key", "k1")
	if first.status != 200 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	replay := e.do("POST", "/v1/billing/meter_events", generic, "Idempotency-Key", "k1")
	if replay.status != 200 || replay.header.Get("Idempotent-Replayed") != "true" || replay.json["identifier"] != first.json["identifier"] {
		t.Fatalf("replay: %d %v %s", replay.status, replay.header, replay.body)
	}
	other := e.do("POST", "/v1/billing/meter_events", "event_name=tok&payload[value]=6&payload[stripe_customer_id]="+cus, "Idempotency-Key", "k1")
	if other.status != 400 || other.errField("type") != "idempotency_error" {
		t.Fatalf("other parameters with the same key: %d %s", other.status, other.body)
	}
	// Both decoders count: 5 (once, replayed) + 7.
	if r := e.do("POST", "/v1/billing/meter_events", generic+"&identifier=g1"); r.status != 200 {
		t.Fatalf("generic: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/billing/meter_events", "event_name=tok&payload[value]=7&identifier=f1&payload[stripe_customer_id]="+cus); r.status != 200 {
		t.Fatalf("fast: %d %s", r.status, r.body)
	}
	e.clock.Add(time.Hour)
	mtr := e.do("GET", "/v1/billing/meters", "").json["data"].([]any)[0].(map[string]any)["id"].(string)
	sums := e.do("GET", "/v1/billing/meters/"+mtr+"/event_summaries?customer="+cus+"&start_time="+itoa(t0.Unix())+"&end_time="+itoa(t0.Add(time.Hour).Unix()), "")
	data := sums.json["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["aggregated_value"] != 17.0 {
		t.Fatalf("summaries: %s", sums.body)
	}
}
