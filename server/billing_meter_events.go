package server

import (
	"errors"
	"strings"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metering"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Meter event timestamps must lie within the past 35 days and at most 5 minutes
// ahead (clock drift), on the clock of the customer the event is for.
const (
	maxEventAge    = 35 * 24 * 60 * 60
	maxEventFuture = billing.MaxUsageFuture
	maxIdentifier  = 100
)

// maxValueDigits bounds the digits of a meter event's value (sign and leading
// zeros aside): a longer whole number is refused at once with a 400 (the v2
// stream reports it as meter_event_value_too_many_digits). This is Stripe's
// rule from API version 2026-04-22.dahlia, which gives no bound for
// 2024-06-20 (reference §2.3); with it no event is beyond an int64 and
// summaries and invoices see the same totals (a total beyond 2^63−1, which
// takes over 9,000 events of 15 digits, reads as 2^63−1 in both).
const maxValueDigits = 15

// tooManyDigitsPrefix starts the message of a value with too many digits
// (asyncCode tells it by this).
const tooManyDigitsPrefix = "The value in the event payload can have at most "

// checkValueDigits refuses the value of a sum meter's event when it is a
// whole number of more than maxValueDigits digits. Anything else that is not
// a whole number stays Stripe's asynchronous meter_event_invalid_value.
func checkValueDigits(m *meter, payload map[string]string) *apierr.Error {
	if m == nil || m.BillingFormula() != metering.Sum {
		return nil
	}
	raw, ok := payload[m.ValueKey]
	if !ok {
		return nil
	}
	digits := strings.TrimLeft(strings.TrimLeft(raw, "+-"), "0")
	if len(digits) <= maxValueDigits || len(raw)-len(strings.TrimLeft(raw, "+-")) > 1 || strings.Trim(digits, "0123456789") != "" {
		return nil
	}
	return apierr.InvalidRequest("", "payload["+form.Abbreviate(m.ValueKey)+"]", "%s%d digits. Received %s.", tooManyDigitsPrefix, maxValueDigits, form.Abbreviate(raw))
}

func meterEventEndpoints() []endpoint {
	return []endpoint{
		{route: "POST /v1/billing/meter_events", op: "PostBillingMeterEvents", mode: txRead, h: createMeterEvent, fastForm: fastMeterEventForm},
		{route: "POST /v1/billing/meter_event_adjustments", op: "PostBillingMeterEventAdjustments", mode: txRead, h: createMeterEventAdjustment},
		{route: "GET /_emulator/meter_error_reports", mode: txNone, h: listMeterErrorReports,
			schema: form.Object(map[string]*form.Schema{
				"limit": form.Integer(), "starting_after": form.String(), "ending_before": form.String(),
				"meter": form.String(), "expand": form.Array(form.String()),
			})},
	}
}

// meterEvent is a meter event as received, before it is counted.
type meterEvent struct {
	name, identifier string
	payload          map[string]string
	timestamp        int64
	hasTimestamp     bool // else: now, on the customer's clock
	generated        bool // the identifier is the emulator's (random)
}

// createMeterEvent accepts a meter event. Missing fields, a timestamp out of range
// and a duplicate identifier are refused at once (400); every other problem
// (no such meter, inactive meter, unknown customer, bad value) is Stripe's
// asynchronous kind: the event is accepted but not counted, and an error report
// is recorded (GET /_emulator/meter_error_reports).
func createMeterEvent(c *call) (jsonobj.Obj, error) {
	in, fast := c.fast.(*meterEventInput)
	if !fast {
		in = meterEventInputFromParams(c.params)
	}
	ev := meterEvent{payload: in.payload, name: in.name}
	if err := checkLength("event_name", ev.name, maxMeterEventName); err != nil {
		return nil, err
	}
	if in.hasIdentifier {
		id := in.identifier
		if id == "" {
			return nil, apierr.InvalidEmpty("identifier")
		}
		if err := checkLength("identifier", id, maxIdentifier); err != nil {
			return nil, err
		}
		ev.identifier = id
	} else {
		ev.identifier, ev.generated = store.RandomString(24), true
	}
	ev.timestamp, ev.hasTimestamp = in.timestamp, in.hasTimestamp
	if err := c.recordMeterEvent(&ev); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "object", V: "billing.meter_event"},
		{K: "created", V: c.unix()},
		{K: "event_name", V: ev.name},
		{K: "identifier", V: ev.identifier},
		{K: "livemode", V: false},
		{K: "payload", V: metadataOf(ev.payload)},
		{K: "timestamp", V: ev.timestamp},
	}, nil
}

// recordMeterEvent validates and counts one event (shared by the v1 endpoint and
// the v2 paths).
func (c *call) recordMeterEvent(ev *meterEvent) error {
	if ev.name == "" {
		return apierr.InvalidEmpty("event_name")
	}
	m, err := c.meterByEventName(ev.name)
	if err != nil {
		return err
	}
	customerKey := "stripe_customer_id"
	if m != nil {
		customerKey = m.CustomerKey
	}
	customerID := ev.payload[customerKey]
	var cu *billing.Customer
	if customerID != "" {
		if cu, err = c.liveCustomer(customerID); err != nil {
			return err
		}
	}
	now := c.unix()
	if cu != nil && cu.TestClock != "" {
		now = c.u.ClockTime(cu.TestClock)
	}
	if !ev.hasTimestamp {
		ev.timestamp = now
	}
	if ev.timestamp < now-maxEventAge {
		return apierr.InvalidRequest("", "timestamp", "The timestamp %d is more than 35 days before the current time (%d): meter events must be within the past 35 days.", ev.timestamp, now)
	}
	if ev.timestamp > now+maxEventFuture {
		return apierr.InvalidRequest("", "timestamp", "The timestamp %d is more than 5 minutes after the current time (%d): meter events cannot be in the future.", ev.timestamp, now)
	}
	if err := checkValueDigits(m, ev.payload); err != nil {
		return err
	}
	e := metering.Event{Identifier: ev.identifier, EventName: ev.name, Timestamp: ev.timestamp, Received: c.unix(), Generated: ev.generated}
	code, msg := c.checkMeterEvent(m, ev.payload, customerKey, customerID, cu, &e)
	e.Counted = code == ""
	if err := c.acct.usage.Record(e); err != nil {
		if errors.Is(err, metering.ErrDuplicate) {
			return apierr.InvalidRequest("", "identifier", "An event already exists with identifier %s.", ev.identifier).NoRetry()
		}
		return err
	}
	c.scheduleUsage()
	if code != "" {
		c.acct.meterErrors.add(c, m, *ev, code, msg)
		return nil
	}
	return c.checkAlerts(m, customerID)
}

// checkMeterEvent finds the asynchronous problems of an event: an error code and
// message, or "" when the event counts (e is then filled in).
func (c *call) checkMeterEvent(m *meter, payload map[string]string, customerKey, customerID string, cu *billing.Customer, e *metering.Event) (string, string) {
	switch {
	case m == nil:
		return "no_meter", "No meter with the event_name '" + e.EventName + "' exists."
	case !m.Active:
		return "archived_meter", "The meter " + m.ID + " is inactive: events sent to it are not counted."
	case customerID == "":
		return "meter_event_no_customer_defined", "Customer mapping key " + customerKey + " not found in payload."
	}
	if cu == nil {
		return "meter_event_customer_not_found", "No customer with the ID " + customerID + " exists."
	}
	if m.BillingFormula() == metering.Sum {
		raw, ok := payload[m.ValueKey]
		if !ok {
			return "meter_event_value_not_found", "Value key " + m.ValueKey + " not found in payload."
		}
		v, err := form.ParseInt(raw)
		if err != nil {
			return "meter_event_invalid_value", "The value '" + apierr.Clip(raw, 40) + "' of " + m.ValueKey + " is not a whole number."
		}
		e.Value = v
	}
	e.Meter, e.Customer, e.Window = m.ID, customerID, m.window()
	return "", ""
}

// lookups caches, for one request that records many meter events (the v2
// stream), what each event looks up: the request's snapshot does not change.
type lookups struct {
	meters    map[string]*meter            // by event name (nil: none)
	customers map[string]*billing.Customer // by ID (nil: none or deleted)
	alerts    map[string][]store.Record
}

// meterByEventName is the meter of an event name, or nil.
func (c *call) meterByEventName(name string) (*meter, error) {
	if l := c.lookups; l != nil {
		if m, ok := l.meters[name]; ok {
			return m, nil
		}
	}
	m, cached := (*meter)(nil), false
	if c.catRead {
		m, cached = c.acct.catalog.meter(c.catGen, name)
	}
	if !cached {
		rec, err := c.tx.FindOne(tMeters, "event_name", name)
		if err != nil {
			return nil, err
		}
		m, _ = rec.(*meter)
		if c.catRead {
			c.acct.catalog.putMeter(c.catGen, name, m)
		}
	}
	if l := c.lookups; l != nil {
		if l.meters == nil {
			l.meters = map[string]*meter{}
		}
		l.meters[name] = m
	}
	return m, nil
}

// liveCustomer is a customer that is not deleted, or nil.
func (c *call) liveCustomer(id string) (*billing.Customer, error) {
	if l := c.lookups; l != nil {
		if cu, ok := l.customers[id]; ok {
			return cu, nil
		}
	}
	rec, err := c.tx.Get(tCustomers, id)
	if err != nil {
		return nil, err
	}
	cu, _ := rec.(*billing.Customer)
	if cu != nil && cu.Deleted {
		cu = nil
	}
	if l := c.lookups; l != nil {
		if l.customers == nil {
			l.customers = map[string]*billing.Customer{}
		}
		l.customers[id] = cu
	}
	return cu, nil
}

func createMeterEventAdjustment(c *call) (jsonobj.Obj, error) {
	p := c.params
	name, _ := p.String("event_name")
	typ, _ := p.String("type")
	cancel := p.Object("cancel")
	identifier, ok := cancel.String("identifier")
	if !ok {
		return nil, apierr.ParameterMissing("cancel[identifier]")
	}
	if identifier == "" {
		return nil, apierr.InvalidEmpty("cancel[identifier]")
	}
	if err := c.cancelMeterEvent(identifier, name); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "object", V: "billing.meter_event_adjustment"},
		{K: "cancel", V: jsonobj.Obj{{K: "identifier", V: identifier}}},
		{K: "event_name", V: name},
		{K: "livemode", V: false},
		{K: "status", V: "complete"},
		{K: "type", V: typ},
	}, nil
}

// cancelMeterEvent removes an event received in the last 24 hours from every aggregate.
func (c *call) cancelMeterEvent(identifier, name string) error {
	err := c.acct.usage.Cancel(identifier, name, c.unix())
	c.scheduleUsage() // its expiry may have started a compaction
	switch {
	case errors.Is(err, metering.ErrUnknown), errors.Is(err, metering.ErrTooOld):
		return apierr.InvalidRequest("", "cancel[identifier]", "No meter event with the identifier %s was received in the last 24 hours: events can be canceled only within 24 hours of being received.", identifier)
	case errors.Is(err, metering.ErrEventNameDiffers):
		return apierr.InvalidRequest("", "event_name", "The meter event with the identifier %s was not sent with the event_name '%s'.", identifier, name)
	case errors.Is(err, metering.ErrAlreadyCanceled):
		return apierr.InvalidRequest("", "cancel[identifier]", "The meter event with the identifier %s is already canceled.", identifier)
	}
	return err
}

func rfc3339(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05.000Z")
}
