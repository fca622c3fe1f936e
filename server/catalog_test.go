package server

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// An entry read from a snapshot older than the latest meter or alert write is
// never published, and a write drops what was cached.
func TestMeterCatalogGenerations(t *testing.T) {
	var mc catalog
	m := &meter{}
	g := mc.gen.Load()
	mc.putMeter(g, "tok", m)
	if got, ok := mc.meter(g, "tok"); !ok || got != m {
		t.Fatalf("cached meter: %v %v", got, ok)
	}
	mc.putAlerts(g, "mtr_1", []store.Record{})
	if _, ok := mc.alerts(g, "mtr_1"); !ok {
		t.Fatal("alerts not cached")
	}
	mc.invalidate()
	if _, ok := mc.meter(g, "tok"); ok {
		t.Fatal("an old generation's entry is still used")
	}
	g2 := mc.gen.Load()
	if _, ok := mc.meter(g2, "tok"); ok {
		t.Fatal("the write did not drop the cache")
	}
	mc.putMeter(g, "tok", m) // a reader whose snapshot predates the write
	if _, ok := mc.meter(g2, "tok"); ok {
		t.Fatal("a stale reader published its entry")
	}
	mc.putMeter(g2, "none", nil) // no meter: nothing is cached
	if _, ok := mc.meter(g2, "none"); ok {
		t.Fatal("an event name without a meter was cached")
	}
	for i := 0; i < maxCatalogEntries+10; i++ {
		mc.putMeter(g2, itoa(int64(i)), m)
	}
	full := mc.cur.Load()
	if n := len(full.meters); n != maxCatalogEntries {
		t.Fatalf("%d entries, want at most %d", n, maxCatalogEntries)
	}
	mc.putMeter(g2, "one more", m)
	if mc.cur.Load() != full {
		t.Fatal("a full cache was copied for an entry it had no room for")
	}
}

// A meter created after events for its name were looked up counts the next
// event at once.
func TestMeterCatalogSeesNewMeters(t *testing.T) {
	e := newEnv(t)
	cus := newCustomer(t, e.sc)
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "5", 0, ""); err != nil {
		t.Fatal(err)
	}
	m := alpacaMeter(t, e.sc)
	if _, err := sendEvent(e.sc, "alpaca_ai_tokens", cus, "7", 0, ""); err != nil {
		t.Fatal(err)
	}
	if got := usage(t, e.sc, m.ID, cus, t0.Unix()-60, t0.Unix()+60); got != 7 {
		t.Fatalf("usage %v, want 7 (the event sent before the meter existed is not counted)", got)
	}
	if r := e.do("GET", "/_emulator/meter_error_reports", ""); len(r.json["data"].([]any)) != 1 {
		t.Fatalf("error reports: %s", r.body)
	}
}

// Webhook endpoints are cached too: one created after events were already
// published (with none to deliver to) receives the next event.
func TestCatalogSeesNewWebhookEndpoints(t *testing.T) {
	e := newEnv(t)
	newCustomer(t, e.sc) // published to no endpoint: the empty list is cached
	rcv := newReceiver(t)
	e.webhookTo(t, rcv, "customer.created")
	newCustomer(t, e.sc)
	if got := rcv.waitFor("customer.created"); len(got) != 1 {
		t.Fatalf("delivered: %v", got)
	}
}

// While a commit of a meter, an alert or an endpoint is under way, the cache is
// neither used nor filled; after it, only entries read from then on count.
func TestCatalogWriteBracket(t *testing.T) {
	var mc catalog
	g, ok := mc.readGen()
	if !ok {
		t.Fatal("no write under way, yet the cache is closed")
	}
	m := &meter{}
	mc.putMeter(g, "tok", m)
	mc.beginWrite()
	if _, ok := mc.readGen(); ok {
		t.Fatal("the cache is open during a commit")
	}
	mc.putMeter(g, "other", m) // a reader that noted g before the commit began
	if _, ok := mc.meter(g, "other"); ok {
		t.Fatal("an entry was filled during a commit")
	}
	mc.endWrite()
	g2, ok := mc.readGen()
	if !ok || g2 == g {
		t.Fatalf("after the commit: generation %d (was %d), open %v", g2, g, ok)
	}
	if _, ok := mc.meter(g2, "tok"); ok {
		t.Fatal("an entry from before the commit survived it")
	}
}
