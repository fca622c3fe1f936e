package server

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// newAlert creates a one_time usage alert on a meter, for one customer or
// (customer "") for all.
func newAlert(t *testing.T, sc *client.API, meterID, customer string, gte int64) *stripe.BillingAlert {
	t.Helper()
	p := &stripe.BillingAlertParams{AlertType: stripe.String("usage_threshold"), Title: stripe.String("alert"),
		UsageThresholdConfig: &stripe.BillingAlertUsageThresholdConfigParams{GTE: stripe.Int64(gte), Meter: stripe.String(meterID), Recurrence: stripe.String("one_time")}}
	if customer != "" {
		p.Filter = &stripe.BillingAlertFilterParams{Customer: stripe.String(customer)}
	}
	a, err := sc.BillingAlerts.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// triggeredValues are the billing.alert.triggered events of an alert, by
// customer: the value each fired at.
func triggeredValues(t *testing.T, sc *client.API, alertID string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	it := sc.Events.List(&stripe.EventListParams{Type: stripe.String("billing.alert.triggered")})
	for it.Next() {
		obj := it.Event().Data.Object
		if a, _ := obj["alert"].(map[string]any); a["id"] == alertID {
			out[obj["customer"].(string)] = obj["value"].(float64)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustSend(t *testing.T, sc *client.API, customer, value string, ts int64) {
	t.Helper()
	if _, err := sendEvent(sc, "alpaca_ai_tokens", customer, value, ts, ""); err != nil {
		t.Fatal(err)
	}
}

// A usage alert counts only the usage reported (received by the emulator)
// after it was created: "We only apply usage data reported after you create
// the alert". An event's timestamp does not decide; its receipt does. Across a
// restart an alert still counts from its creation: its baseline is in the
// state file.
func TestAlertCountsOnlyUsageReportedAfterIt(t *testing.T) {
	for _, tt := range []struct {
		name   string
		filter bool
		before []string // sent before the alert
		after  []string // sent after, in order; the alert fires with the last
		// ahead: the events before the alert are stamped 4 minutes ahead, and
		// the alert comes a minute after them (so after their timestamps);
		// behind: the events after it are stamped an hour before it.
		ahead, behind bool
		restartAt     int // restart the emulator before this event of after (0: none)
	}{
		{name: "usage before the alert does not count", before: []string{"6000"}, after: []string{"4999", "1"}},
		{name: "for one customer", filter: true, before: []string{"6000"}, after: []string{"4999", "1"}},
		{name: "a customer without usage counts from zero", after: []string{"2500", "2500"}},
		{name: "events received after it count whatever their timestamp", before: []string{"9000"}, after: []string{"3000", "2000"}, behind: true},
		{name: "events received before it do not whatever their timestamp", before: []string{"5000"}, after: []string{"4999", "1"}, ahead: true},
		{name: "across a restart", before: []string{"6000"}, after: []string{"1000", "3999", "1"}, restartAt: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			m := alpacaMeter(t, e.sc)
			cus := newCustomer(t, e.sc)
			var ts int64
			if tt.ahead {
				ts = e.clock.Now().Unix() + 240
			}
			for _, v := range tt.before {
				mustSend(t, e.sc, cus, v, ts)
			}
			filter := ""
			if tt.filter {
				filter = cus
			}
			e.clock.Add(time.Minute)
			a := newAlert(t, e.sc, m.ID, filter, 5000)
			ts = 0
			if tt.behind {
				ts = e.clock.Now().Unix() - 3600
			}
			for i, v := range tt.after {
				if got := triggeredValues(t, e.sc, a.ID); len(got) != 0 {
					t.Fatalf("fired before event %d: %v", i, got)
				}
				if tt.restartAt != 0 && i == tt.restartAt {
					e = loadedEnv(t, e, saveBytes(t, e.srv))
				}
				mustSend(t, e.sc, cus, v, ts)
			}
			if got := triggeredValues(t, e.sc, a.ID); got[cus] != 5000 || len(got) != 1 {
				t.Errorf("fired %v, want once for %s at 5000", got, cus)
			}
		})
	}
}

// A state file written before alerts kept a baseline still loads; its alerts
// count every event, as they did when they were saved.
func TestAlertOfAnOlderStateFile(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	mustSend(t, e.sc, cus, "6000", 0)
	a := newAlert(t, e.sc, m.ID, "", 5000)
	state := saveBytes(t, e.srv)
	baseline := regexp.MustCompile(`,"Baseline":(null|\{[^{}]*(\{[^{}]*\}[^{}]*)*\})`)
	if n := len(baseline.FindAll(state, -1)); n != 1 {
		t.Fatalf("%d alert baselines in the state file, want 1:\n%s", n, state)
	}
	old := withChecksum(baseline.ReplaceAll(state, nil))
	if bytes.Contains(old, []byte("Baseline")) {
		t.Fatal("the baseline is still there")
	}
	e2 := loadedEnv(t, e, old)
	got, err := e2.sc.BillingAlerts.Get(a.ID, nil)
	if err != nil || got.Status != "active" || got.UsageThresholdConfig.GTE != 5000 {
		t.Fatalf("the alert after loading: %v %+v", err, got)
	}
	mustSend(t, e2.sc, cus, "1", 0)
	if got := triggeredValues(t, e2.sc, a.ID); got[cus] != 6001 {
		t.Errorf("fired %v, want 6001 (every event counts, as before)", got)
	}
}

// At most 25 alerts that are not archived for each meter and customer (all
// customers being one more combination); archiving one makes room.
func TestAlertLimitPerMeterAndCustomer(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	cus := newCustomer(t, e.sc)
	var first string
	for i := 0; i < 25; i++ {
		if a := newAlert(t, e.sc, m.ID, cus, 10); i == 0 {
			first = a.ID
		}
		newAlert(t, e.sc, m.ID, "", 10)
	}
	for _, filter := range []string{cus, ""} {
		p := &stripe.BillingAlertParams{AlertType: stripe.String("usage_threshold"), Title: stripe.String("one too many"),
			UsageThresholdConfig: &stripe.BillingAlertUsageThresholdConfigParams{GTE: stripe.Int64(10), Meter: stripe.String(m.ID), Recurrence: stripe.String("one_time")}}
		if filter != "" {
			p.Filter = &stripe.BillingAlertFilterParams{Customer: stripe.String(filter)}
		}
		_, err := e.sc.BillingAlerts.New(p)
		se := wantErr(t, err, 400, "", "usage_threshold_config[meter]")
		if !strings.Contains(se.Msg, "at most 25 alerts") {
			t.Errorf("message: %q", se.Msg)
		}
	}
	if _, err := e.sc.BillingAlerts.Archive(first, nil); err != nil {
		t.Fatal(err)
	}
	newAlert(t, e.sc, m.ID, cus, 10)
}
