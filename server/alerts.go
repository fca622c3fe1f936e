package server

import (
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// alert is a stored billing alert: a usage threshold on a meter, optionally for
// one customer. It fires billing.alert.triggered once per customer (recurrence
// one_time) when the customer's usage of the meter reported since the alert
// was created reaches gte: "We only apply usage data reported after you create
// the alert". Reported means received by the emulator, whatever the event's
// timestamp: the alert counts how much the customer's total of the meter has
// moved since it was created (events received since, and cancellations or
// hour/day windows settled since), so Baseline holds each customer's total at
// creation (the value under the meter's formula; customers without usage then
// are left out).
type alert struct {
	store.Meta
	Title    string
	Status   alertStatus
	Meter    string
	GTE      int64
	Customer string
	// Baseline is nil in alerts of state files written before it existed:
	// they go on counting every event, as they did then. An archived alert
	// never fires again and drops it.
	Baseline map[string]metering.Int128
}

func (a *alert) clone() *alert { n := *a; return &n }

// alertStatus is a billing alert's status.
type alertStatus string

const (
	alertActive   alertStatus = "active"
	alertInactive alertStatus = "inactive"
	// alertArchived: the alert can no longer change, and never fires again.
	alertArchived alertStatus = "archived"
)
const tAlerts = "alerts"

var alertResource = &resource[*alert]{
	resourceDesc: resourceDesc{
		name: "billing.alert",
		noun: "billing alert",
		table: store.Table{Name: tAlerts, Indexes: []store.Index{
			{Name: "meter", Keys: func(r store.Record) []string { return []string{r.(*alert).Meter} }},
		}},
		codec:  plainCodec[alert](),
		cached: true,
		expand: map[string]string{"meter": "billing.meter"},
		routes: alertEndpoints,
		shape:  alertShape,
	},
	render: infallible((*renderCtx).renderAlert),
}

// alertFirings remembers which (alert, customer) pairs have fired.
type alertFirings struct {
	mu    sync.Mutex
	fired map[[2]string]bool
}

func (f *alertFirings) claim(alertID, customer string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{alertID, customer}
	if f.fired[k] {
		return false
	}
	if f.fired == nil {
		f.fired = map[[2]string]bool{}
	}
	f.fired[k] = true
	return true
}

var alertSchema = form.Object(map[string]*form.Schema{
	"alert_type": form.String("usage_threshold"),
	"title":      form.String(),
	"filter":     form.Object(map[string]*form.Schema{"customer": form.String()}),
	"usage_threshold_config": form.Object(map[string]*form.Schema{
		"gte": form.Integer(), "meter": form.String(), "recurrence": form.String("one_time"),
	}, "gte", "meter", "recurrence"),
	"expand": form.Array(form.String()),
}, "alert_type", "title")

var expandOnly = form.Object(map[string]*form.Schema{"expand": form.Array(form.String())})

func alertEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/billing/alerts", schema: alertSchema, mode: txWrite, h: createAlert, newer: []string{"usage_threshold"}},
		{route: "GET /v1/billing/alerts", mode: txRead, h: listAlerts, schema: form.Object(map[string]*form.Schema{
			"alert_type": form.String("usage_threshold"), "meter": form.String(), "limit": form.Integer(),
			"starting_after": form.String(), "ending_before": form.String(), "expand": form.Array(form.String()),
		})},
		{route: "GET /v1/billing/alerts/{id}", schema: expandOnly, mode: txRead, h: retrieveAlert},
		{route: "POST /v1/billing/alerts/{id}/activate", schema: expandOnly, mode: txWrite, h: setAlertStatus(alertActive)},
		{route: "POST /v1/billing/alerts/{id}/deactivate", schema: expandOnly, mode: txWrite, h: setAlertStatus(alertInactive)},
		{route: "POST /v1/billing/alerts/{id}/archive", schema: expandOnly, mode: txWrite, h: setAlertStatus(alertArchived)},
	}
}

// createAlert reads the threshold as acacia shapes it, usage_threshold with
// filters[] (a 2024-06-20 request's usage_threshold_config and filter are
// upgraded to it, keeping their names for errors).
func createAlert(c *call) (jsonobj.Obj, error) {
	p := c.params
	ut := p.Object("usage_threshold")
	if ut == nil {
		if c.v < apiversion.V2024_09_30_Acacia {
			return nil, apierr.ParameterMissing("usage_threshold_config")
		}
		return nil, apierr.ParameterMissing("usage_threshold")
	}
	a := &alert{Meta: c.newMeta("alrt"), Status: alertActive}
	a.Title, _ = p.String("title")
	if err := checkLength("title", a.Title, 256); err != nil {
		return nil, err
	}
	a.GTE, _ = ut.Int("gte")
	if a.GTE < 1 {
		return nil, apierr.Invalid(ut.Path("gte"), "This value must be greater than or equal to 1.")
	}
	meterID, ok := ut.String("meter")
	if !ok {
		return nil, apierr.ParameterMissing(ut.Path("meter"))
	}
	m, err := c.getMeter(meterID, ut.Path("meter"))
	if err != nil {
		return nil, err
	}
	a.Meter = m.ID
	filters := ut.Objects("filters")
	if len(filters) > 1 {
		return nil, apierr.Invalid(ut.Path("filters"), "You can only specify up to one filter at this time.")
	}
	for _, f := range filters {
		id, ok := f.String("customer")
		if !ok {
			return nil, apierr.ParameterMissing(f.Path("customer"))
		}
		if _, err := c.getCustomer(id, f.Get("customer").Param, false); err != nil {
			return nil, err
		}
		a.Customer = id
	}
	if err := c.checkAlertLimit(a, ut.Path("meter")); err != nil {
		return nil, err
	}
	a.Baseline = c.usageBaseline(m, a.Customer)
	if err := c.tx.Put(tAlerts, a); err != nil {
		return nil, err
	}
	return c.renderAlert(a), nil
}

// maxAlertsPerFilter is Stripe's limit: "You can create a maximum of 25 alerts
// for each combination of a specific meter and customer" (alerts for all
// customers of a meter count as one combination). Archived alerts do not count.
const maxAlertsPerFilter = 25

func (c *call) checkAlertLimit(a *alert, param string) error {
	recs, err := c.tx.Find(tAlerts, "meter", a.Meter)
	if err != nil {
		return err
	}
	n := 0
	for _, r := range recs {
		if o := r.(*alert); o.Customer == a.Customer && o.Status != alertArchived {
			n++
		}
	}
	if n >= maxAlertsPerFilter {
		return apierr.InvalidRequest("", param, "You can create at most %d alerts for each combination of meter and customer: the meter %s already has %d that are not archived. Archive one first.", maxAlertsPerFilter, a.Meter, n)
	}
	return nil
}

// usageBaseline is each customer's total of the meter now (one customer's,
// with a filter), under the meter's formula; customers without usage are left out.
func (c *call) usageBaseline(m *meter, customerID string) map[string]metering.Int128 {
	var totals map[string]metering.Total
	if customerID != "" {
		totals = map[string]metering.Total{customerID: c.acct.usage.All(m.ID, customerID)}
	} else {
		totals = c.acct.usage.Totals(m.ID)
	}
	out := map[string]metering.Int128{}
	for cu, t := range totals {
		if v := t.Value(m.BillingFormula()); !v.IsZero() {
			out[cu] = v
		}
	}
	return out
}

func (c *call) getAlert(id string) (*alert, error) {
	return getRecord[*alert](c.tx, tAlerts, "billing alert", id, "id")
}

func retrieveAlert(c *call) (jsonobj.Obj, error) {
	a, err := c.getAlert(c.pathID())
	if err != nil {
		return nil, err
	}
	return c.renderAlert(a), nil
}

// setAlertStatus activates, deactivates or archives an alert; an archived alert
// can no longer change.
func setAlertStatus(status alertStatus) handler {
	return func(c *call) (jsonobj.Obj, error) {
		cur, err := c.getAlert(c.pathID())
		if err != nil {
			return nil, err
		}
		if cur.Status == alertArchived && status != alertArchived {
			return nil, apierr.InvalidRequest("", "", "The alert %s is archived and can no longer change.", cur.ID)
		}
		a := cur.clone()
		a.Status = status
		if status == alertArchived {
			a.Baseline = nil // it never fires again
		}
		if err := c.tx.Put(tAlerts, a); err != nil {
			return nil, err
		}
		return c.renderAlert(a), nil
	}
}

func listAlerts(c *call) (jsonobj.Obj, error) {
	meterID, byMeter := c.params.String("meter")
	return c.list(tAlerts, "billing alert", "/v1/billing/alerts", func(r store.Record) bool {
		return !byMeter || r.(*alert).Meter == meterID
	}, func(r store.Record) (jsonobj.Obj, error) { return c.renderAlert(r.(*alert)), nil })
}

func (rc *renderCtx) renderAlert(a *alert) jsonobj.Obj { return alertShape.render(rc, a) }

// alertField is a field of the billing alert object.
type alertField = field[*alert]

// alertShape is the billing alert at every API version: 2024-06-20's filter
// and usage_threshold_config become usage_threshold with filters in
// 2024-09-30.acacia.
var alertShape = newShape("billing.alert", []alertField{
	{name: "id", get: func(_ *renderCtx, a *alert) any { return a.ID }},
	{name: "object", fixed: always("billing.alert")},
	{name: "alert_type", fixed: always("usage_threshold")},
	{name: "filter", get: func(_ *renderCtx, a *alert) any {
		if a.Customer == "" {
			return nil
		}
		return jsonobj.Obj{{K: "customer", V: a.Customer}}
	}},
	{name: "livemode", fixed: fixedFalse},
	{name: "status", get: func(_ *renderCtx, a *alert) any { return string(a.Status) }},
	{name: "title", get: func(_ *renderCtx, a *alert) any { return a.Title }},
	{name: "usage_threshold", get: func(_ *renderCtx, a *alert) any {
		var filters any
		if a.Customer != "" {
			filters = []jsonobj.Obj{{{K: "customer", V: a.Customer}, {K: "type", V: "customer"}}}
		}
		return jsonobj.Obj{{K: "filters", V: filters}, {K: "gte", V: a.GTE}, {K: "meter", V: a.Meter}, {K: "recurrence", V: "one_time"}}
	}},
	{name: "usage_threshold_config", get: func(_ *renderCtx, a *alert) any {
		return jsonobj.Obj{{K: "gte", V: a.GTE}, {K: "meter", V: a.Meter}, {K: "recurrence", V: "one_time"}}
	}},
})

// checkAlerts fires the meter's active alerts that a customer's usage since
// their creation has just reached (called after an event counts).
func (c *call) checkAlerts(m *meter, customerID string) error {
	recs, err := c.alertsOf(m.ID)
	if err != nil || len(recs) == 0 {
		return err
	}
	var total *metering.Int128
	for _, r := range recs {
		a := r.(*alert)
		if a.Status != alertActive || a.Customer != "" && a.Customer != customerID {
			continue
		}
		if total == nil {
			v := c.acct.usage.All(m.ID, customerID).Value(m.BillingFormula())
			total = &v
		}
		usage := billing.UsageQuantity(total.Sub(a.Baseline[customerID]))
		if usage < a.GTE || !c.acct.alertFirings.claim(a.ID, customerID) {
			continue
		}
		now := c.u.CustomerNow(customerID)
		if err := c.emit("billing.alert.triggered", now, func(rc *renderCtx) (jsonobj.Obj, error) {
			return jsonobj.Obj{
				{K: "object", V: "billing.alert_triggered"},
				{K: "alert", V: rc.renderAlert(a)},
				{K: "created", V: now},
				{K: "customer", V: customerID},
				{K: "livemode", V: false},
				{K: "value", V: usage},
			}, nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// alertsOf is a meter's alerts (cached for a request that records many events).
func (c *call) alertsOf(meterID string) ([]store.Record, error) {
	if l := c.lookups; l != nil {
		if recs, ok := l.alerts[meterID]; ok {
			return recs, nil
		}
	}
	recs, cached := []store.Record(nil), false
	if c.catRead {
		recs, cached = c.acct.catalog.alerts(c.catGen, meterID)
	}
	if !cached {
		var err error
		if recs, err = c.tx.Find(tAlerts, "meter", meterID); err != nil {
			return nil, err
		}
		if c.catRead {
			c.acct.catalog.putAlerts(c.catGen, meterID, recs)
		}
	}
	if l := c.lookups; l != nil {
		if l.alerts == nil {
			l.alerts = map[string][]store.Record{}
		}
		l.alerts[meterID] = recs
	}
	return recs, nil
}
