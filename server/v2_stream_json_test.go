package server

import (
	"reflect"
	"testing"
)

var streamSeeds = []string{
	`{"events":[{"event_name":"alpaca_ai_tokens","payload":{"stripe_customer_id":"cus_1","value":"25"},"timestamp":"2024-07-01T00:00:00Z","identifier":"id-1"}]}`,
	` { "events" : [ { "event_name" : "a" , "payload" : { } } , {} ] } `,
	`{"events":[]}`,
	`{"events":[{"event_name":"a","event_name":"b","payload":{"k":"v"}}]}`,
	`{"events":[{"payload":{"k":"v","k":"w"}}]}`,
	`{"events":[{"EVENT_NAME":"a"}]}`,
	`{"events":[{"event_name":"caf\u00e9"}]}`,
	`{"events":[{"event_name":"a","payload":{"value":25}}]}`,
	`{"events":[{"event_name":null}]}`,
	`{"events":null}`,
	`{"events":[{"event_name":"a"}]} {}`,
	`{"events":[{"event_name":"a"},]}`,
	`{"other":1}`,
	`[]`,
	``,
}

// TestStreamFastPath checks the fast path on the plain form and that it leaves
// everything else to encoding/json.
func TestStreamFastPath(t *testing.T) {
	evs, ok := parseStreamFast([]byte(streamSeeds[0]))
	want := []v2Event{{EventName: "alpaca_ai_tokens", Identifier: "id-1", Timestamp: "2024-07-01T00:00:00Z",
		Payload: map[string]string{"stripe_customer_id": "cus_1", "value": "25"}}}
	if !ok || !reflect.DeepEqual(evs, want) {
		t.Errorf("plain body: %v %+v", ok, evs)
	}
	for _, s := range streamSeeds[3:] {
		if _, ok := parseStreamFast([]byte(s)); ok {
			t.Errorf("%s: taken by the fast path", s)
		}
	}
}

// FuzzStreamFastPath: whatever the fast path accepts, encoding/json decodes
// the same way.
func FuzzStreamFastPath(f *testing.F) {
	for _, s := range streamSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := parseStreamFast(body)
		if !ok {
			return
		}
		var req struct {
			Events []v2Event `json:"events"`
		}
		if err := decodeJSON(body, &req); err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, req.Events) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", body, fast, req.Events)
		}
	})
}
