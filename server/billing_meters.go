package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// meter is a stored billing meter. Only display_name changes after creation.
type meter struct {
	store.Meta
	DisplayName   string
	EventName     string
	Formula       string // "sum" or "count"
	CustomerKey   string // customer_mapping.event_payload_key
	ValueKey      string // value_settings.event_payload_key
	Window        string // event_time_window: "", "hour" or "day"
	Active        bool
	DeactivatedAt int64
	Updated       int64
}

func (m *meter) clone() *meter { n := *m; return &n }

// meterStatus is a meter's status: whether it counts the events it receives.
type meterStatus string

const (
	meterActive   meterStatus = "active"
	meterInactive meterStatus = "inactive"
)

func (m *meter) status() meterStatus {
	if m.Active {
		return meterActive
	}
	return meterInactive
}

const tMeters = billing.TableMeters

var meterResource = &resource[*meter]{
	resourceDesc: resourceDesc{
		name: "billing.meter",
		noun: "billing meter",
		table: store.Table{Name: tMeters, Indexes: []store.Index{
			{Name: "event_name", Keys: func(r store.Record) []string { return []string{r.(*meter).EventName} }},
		}},
		codec:  plainCodec[meter](),
		cached: true,
		events: meterEvents,
		routes: meterEndpoints,
	},
	render: infallible((*renderCtx).renderMeter),
}

// meterEvents: a meter is created, updated, deactivated and reactivated.
func meterEvents(m *mutation) (string, store.Record, store.Record) {
	switch {
	case m.before == nil:
		return "billing.meter.created", m.after, nil
	case m.before.(*meter).Active && !m.after.(*meter).Active:
		return "billing.meter.deactivated", m.after, nil
	case !m.before.(*meter).Active && m.after.(*meter).Active:
		return "billing.meter.reactivated", m.after, nil
	}
	return "billing.meter.updated", m.after, m.before
}

// BillingFormula is how the meter aggregates usage (billing.MeterView).
func (m *meter) BillingFormula() metering.Formula {
	if m.Formula == "count" {
		return metering.Count
	}
	return metering.Sum
}

func (m *meter) window() metering.Window {
	switch m.Window {
	case "hour":
		return metering.Hour
	case "day":
		return metering.Day
	}
	return metering.NoWindow
}

func meterEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/billing/meters", op: "PostBillingMeters", mode: txWrite, h: createMeter},
		{route: "GET /v1/billing/meters", op: "GetBillingMeters", mode: txRead, h: listMeters},
		{route: "GET /v1/billing/meters/{id}", op: "GetBillingMetersId", mode: txRead, h: retrieveMeter},
		{route: "POST /v1/billing/meters/{id}", op: "PostBillingMetersId", mode: txWrite, h: updateMeter},
		{route: "POST /v1/billing/meters/{id}/deactivate", op: "PostBillingMetersIdDeactivate", mode: txWrite, h: deactivateMeter},
		{route: "POST /v1/billing/meters/{id}/reactivate", op: "PostBillingMetersIdReactivate", mode: txWrite, h: reactivateMeter},
		{route: "GET /v1/billing/meters/{id}/event_summaries", op: "GetBillingMetersIdEventSummaries", mode: txRead, h: listMeterEventSummaries},
	}
}

// Length limits of meter fields, as Stripe documents them.
const (
	maxMeterDisplayName = 250
	maxMeterEventName   = 100
	maxPayloadKey       = 100
)

func createMeter(c *call) (jsonobj.Obj, error) {
	p := c.params
	m := &meter{Meta: c.newMeta("mtr"), Active: true, CustomerKey: "stripe_customer_id", ValueKey: "value"}
	m.Updated = m.Created
	m.DisplayName, _ = p.String("display_name")
	m.EventName, _ = p.String("event_name")
	m.Formula, _ = p.Object("default_aggregation").String("formula")
	if cm := p.Object("customer_mapping"); cm != nil {
		m.CustomerKey, _ = cm.String("event_payload_key")
	}
	if vs := p.Object("value_settings"); vs != nil {
		m.ValueKey, _ = vs.String("event_payload_key")
	}
	m.Window, _ = p.String("event_time_window")
	for _, f := range []struct {
		param, v string
		max      int
	}{
		{"display_name", m.DisplayName, maxMeterDisplayName},
		{"event_name", m.EventName, maxMeterEventName},
		{"customer_mapping[event_payload_key]", m.CustomerKey, maxPayloadKey},
		{"value_settings[event_payload_key]", m.ValueKey, maxPayloadKey},
	} {
		if err := checkLength(f.param, f.v, f.max); err != nil {
			return nil, err
		}
		if f.v == "" {
			return nil, apierr.InvalidEmpty(f.param)
		}
	}
	// An event name belongs to one meter, active or not (so that reactivating a
	// meter can never clash).
	existing, err := c.tx.FindOne(tMeters, "event_name", m.EventName)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, apierr.InvalidRequest("", "event_name", "A meter with the event_name '%s' already exists (%s): an event name can belong to only one meter.", m.EventName, existing.RecordID())
	}
	if err := c.tx.Put(tMeters, m); err != nil {
		return nil, err
	}
	return c.renderMeter(m), nil
}

func (c *call) getMeter(id, param string) (*meter, error) {
	return getRecord[*meter](c.tx, tMeters, "billing meter", id, param)
}

func retrieveMeter(c *call) (jsonobj.Obj, error) {
	m, err := c.getMeter(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderMeter(m), nil
}

func updateMeter(c *call) (jsonobj.Obj, error) {
	cur, err := c.getMeter(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	m := cur.clone()
	if v, ok := c.params.String("display_name"); ok {
		if v == "" {
			return nil, apierr.InvalidEmpty("display_name")
		}
		if err := checkLength("display_name", v, maxMeterDisplayName); err != nil {
			return nil, err
		}
		m.DisplayName = v
	}
	m.Updated = c.unix()
	if err := c.tx.Put(tMeters, m); err != nil {
		return nil, err
	}
	return c.renderMeter(m), nil
}

func deactivateMeter(c *call) (jsonobj.Obj, error) {
	return setMeterActive(c, false)
}

func reactivateMeter(c *call) (jsonobj.Obj, error) {
	return setMeterActive(c, true)
}

// setMeterActive deactivates or reactivates a meter. Events sent while a meter is
// inactive are not counted (they are reported as archived_meter errors); usage
// counted before stays.
func setMeterActive(c *call, active bool) (jsonobj.Obj, error) {
	cur, err := c.getMeter(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if cur.Active == active {
		return nil, apierr.State("", "The meter %s is already %s.", cur.ID, cur.status())
	}
	m := cur.clone()
	m.Active = active
	m.Updated = c.unix()
	m.DeactivatedAt = 0
	if !active {
		m.DeactivatedAt = c.unix()
	}
	if err := c.tx.Put(tMeters, m); err != nil {
		return nil, err
	}
	return c.renderMeter(m), nil
}

func listMeters(c *call) (jsonobj.Obj, error) {
	status, byStatus := c.params.String("status")
	match := func(r store.Record) bool {
		m := r.(*meter)
		return !byStatus || meterStatus(status) == m.status()
	}
	return c.list(tMeters, "billing meter", "/v1/billing/meters", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderMeter(r.(*meter)), nil
	})
}

func (rc *renderCtx) renderMeter(m *meter) jsonobj.Obj {
	var deactivated any
	if m.DeactivatedAt != 0 {
		deactivated = m.DeactivatedAt
	}
	return jsonobj.Obj{
		{K: "id", V: m.ID},
		{K: "object", V: "billing.meter"},
		{K: "created", V: m.Created},
		{K: "customer_mapping", V: jsonobj.Obj{{K: "event_payload_key", V: m.CustomerKey}, {K: "type", V: "by_id"}}},
		{K: "default_aggregation", V: jsonobj.Obj{{K: "formula", V: m.Formula}}},
		{K: "display_name", V: m.DisplayName},
		{K: "event_name", V: m.EventName},
		{K: "event_time_window", V: orNull(m.Window)},
		{K: "livemode", V: false},
		{K: "status", V: string(m.status())},
		{K: "status_transitions", V: jsonobj.Obj{{K: "deactivated_at", V: deactivated}}},
		{K: "updated", V: m.Updated},
		{K: "value_settings", V: jsonobj.Obj{{K: "event_payload_key", V: m.ValueKey}}},
	}
}
