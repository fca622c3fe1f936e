package server

import (
	"strings"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/server/apierr"
	"github.com/stripe-emulator/stripe-emulator/server/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/server/store"
)

// maxMeterErrorReports is how many error reports an account keeps (the newest).
const maxMeterErrorReports = 10000

// meterErrorReports are the account's meter events that were accepted but not
// counted, each rendered as the thin v2 event Stripe would emit for it:
// v1.billing.meter.error_report_triggered (the meter exists) or
// v1.billing.meter.no_meter_found (it does not).
type meterErrorReports struct {
	mu      sync.Mutex
	reports []jsonobj.Obj // oldest first
	meters  []string      // the meter of each report ("" for no_meter_found)
	added   uint64        // reports ever added (state saves)
}

func (r *meterErrorReports) add(c *call, m *meter, ev meterEvent, code, message string) {
	now := rfc3339(c.unix())
	typ := "v1.billing.meter.no_meter_found"
	var related any
	meterID := ""
	if m != nil {
		typ = "v1.billing.meter.error_report_triggered"
		meterID = m.ID
		related = jsonobj.Obj{{K: "id", V: m.ID}, {K: "type", V: "billing.meter"}, {K: "url", V: "/v1/billing/meters/" + m.ID}}
	}
	// The report keeps copies: the key and the identifier may be slices of
	// the request's head and body.
	var idem any
	if c.idemKey != "" {
		idem = strings.Clone(c.idemKey)
	}
	report := jsonobj.Obj{
		{K: "id", V: store.NewID("evt_test")},
		{K: "object", V: "v2.core.event"},
		{K: "type", V: typ},
		{K: "created", V: now},
		{K: "livemode", V: false},
		{K: "context", V: nil},
		{K: "related_object", V: related},
		{K: "data", V: jsonobj.Obj{
			{K: "developer_message_summary", V: "There is 1 invalid event"},
			{K: "reason", V: jsonobj.Obj{
				{K: "error_count", V: 1},
				{K: "error_types", V: []jsonobj.Obj{{
					{K: "code", V: code},
					{K: "error_count", V: 1},
					{K: "sample_errors", V: []jsonobj.Obj{{
						{K: "error_message", V: message},
						{K: "request", V: jsonobj.Obj{{K: "identifier", V: strings.Clone(ev.identifier)}, {K: "idempotency_key", V: idem}}},
					}}},
				}}},
			}},
			{K: "validation_start", V: now},
			{K: "validation_end", V: now},
		}},
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) >= maxMeterErrorReports {
		n := copy(r.reports, r.reports[1:])
		r.reports = r.reports[:n]
		copy(r.meters, r.meters[1:])
		r.meters = r.meters[:n]
	}
	r.reports = append(r.reports, report)
	r.meters = append(r.meters, meterID)
	r.added++
}

// listMeterErrorReports lists error reports newest first, like any list
// (limit, starting_after, ending_before), optionally for one meter.
func (s *Server) listMeterErrorReports(c *call) (jsonobj.Obj, error) {
	p := c.params
	pg, err := readPage(p)
	if err != nil {
		return nil, err
	}
	meterID, byMeter := p.String("meter")
	r := c.acct.meterErrors
	r.mu.Lock()
	defer r.mu.Unlock()
	var matching []jsonobj.Obj // newest first
	for i := len(r.reports) - 1; i >= 0; i-- {
		if !byMeter || r.meters[i] == meterID {
			matching = append(matching, r.reports[i])
		}
	}
	first, last, more, err := pg.window(len(matching), func(id, param string) (int, error) {
		for i, rep := range matching {
			if rep.Str("id") == id {
				return i, nil
			}
		}
		return 0, apierr.ResourceMissing("error report", param, id)
	})
	if err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: append([]jsonobj.Obj(nil), matching[first:last]...)},
		{K: "has_more", V: more},
		{K: "url", V: "/_emulator/meter_error_reports"},
	}, nil
}
