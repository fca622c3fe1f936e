package server

import (
	"strconv"
	"testing"
	"time"
)

// Events of ever new event names with no meter (a client sending random
// names) leave no lasting state beyond their error reports: the meter cache
// keeps none of them, and the usage store forgets each name with the last
// event of it, once their identifiers expire.
func TestEventNamesWithoutAMeterLeaveNothing(t *testing.T) {
	e := newEnvWith(t, func(o *Options) { o.TickInterval = -1 })
	e.do("POST", "/v1/billing/meters", "display_name=T&event_name=tokens&default_aggregation[formula]=sum")
	cus, _ := e.do("POST", "/v1/customers", "name=C").json["id"].(string)
	acct := e.srv.accounts.get(e.key)
	const n = 2000
	for i := 0; i < n; i++ {
		if r := e.do("POST", "/v1/billing/meter_events", "event_name=random_"+strconv.Itoa(i)+"&payload[stripe_customer_id]="+cus+"&payload[value]=1"); r.status != 200 {
			t.Fatalf("meter event: %d %s", r.status, r.body)
		}
	}
	e.do("POST", "/v1/billing/meter_events", "event_name=tokens&payload[stripe_customer_id]="+cus+"&payload[value]=1")
	if cached := acct.catalog.cur.Load(); cached != nil && len(cached.meters) != 1 {
		t.Errorf("the meter cache holds %d event names, want only the meter's", len(cached.meters))
	}
	if st := acct.usage.Stats(); st.Names != n+1 {
		t.Fatalf("usage store: %+v, want %d names while their events are kept", st, n+1)
	}
	e.clock.Add(31 * time.Hour) // past the retention and the generation the events are in
	for i := 0; i < 3; i++ {
		e.srv.tick()
	}
	if st := acct.usage.Stats(); st.Names != 0 || st.Retained != 0 {
		t.Errorf("usage store after the events expired: %+v, want no names", st)
	}
	reports := e.do("GET", "/_emulator/meter_error_reports?limit=1", "")
	if data, _ := reports.json["data"].([]any); len(data) != 1 {
		t.Errorf("the error reports are gone: %s", reports.body)
	}
}
