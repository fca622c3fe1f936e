package server

import (
	"slices"
	"strings"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// maxMeterErrorReports is how many error reports an account keeps (the
// newest; up to a quarter more until the oldest quarter goes at once).
const maxMeterErrorReports = 10000

// meterErrorReports are the account's meter events that were accepted but not
// counted, each rendered as the thin v2 event Stripe would emit for it:
// v1.billing.meter.error_report_triggered (the meter exists) or
// v1.billing.meter.no_meter_found (it does not).
//
// An account keeps the newest maxMeterErrorReports, within the budget it
// shares with every account's event log and error reports: past it, the
// accounts holding the most drop their oldest first. The zero value with
// budget set is empty.
type meterErrorReports struct {
	mu      sync.Mutex
	reports []jsonobj.Obj // oldest first
	meters  []string      // the meter of each report ("" for no_meter_found)
	sizes   []int64       // what each report holds (reportBytes)
	// added and dropped count the reports ever added and dropped (state
	// saves); share.bytes is what the reports hold.
	added, dropped uint64
	share          budgetShare
}

// reportSlotBytes is what a report holds besides its tree: its slots in
// reports, meters and sizes (16, 16 and 8 bytes, and up to as much again
// while they grow), measured by TestMeterErrorReportBytes.
const reportSlotBytes = 80

func reportBytes(report jsonobj.Obj, meterID string) int64 {
	return reportSlotBytes + treeBytes(report) + allocBytes(len(meterID))
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
	// The report keeps a copy of the identifier, which may be a slice of the
	// request's body (c.idemKey is a copy already).
	var idem any
	if c.idemKey != "" {
		idem = c.idemKey
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
	if r.share.closed {
		r.mu.Unlock()
		return
	}
	if n := len(r.reports); n >= maxMeterErrorReports+maxMeterErrorReports/4 {
		r.dropOldest(n - maxMeterErrorReports + 1) // a quarter at a time: the copy is paid once per 2,500
	}
	r.keep(report, meterID)
	r.added++
	r.mu.Unlock()
	r.enforce()
}

// load adds a report of a state file (under no lock: the account is not
// serving yet); enforce follows the last one.
func (r *meterErrorReports) load(report jsonobj.Obj, meterID string) {
	r.keep(report, meterID)
}

func (r *meterErrorReports) keep(report jsonobj.Obj, meterID string) {
	size := reportBytes(report, meterID)
	r.reports = append(r.reports, report)
	r.meters = append(r.meters, meterID)
	r.sizes = append(r.sizes, size)
	r.share.grow(size)
}

// enforce joins the budget on the first report and keeps the total within
// it (called without r.mu: the budget's lock comes first).
func (r *meterErrorReports) enforce() {
	r.mu.Lock()
	join := r.share.joining(len(r.reports) > 0)
	r.mu.Unlock()
	if join {
		r.share.budget.join(r)
	}
	r.share.budget.enforce()
}

// dropOldest drops the n oldest reports (every reader copies what it needs
// under r.mu, so the slices can change in place).
func (r *meterErrorReports) dropOldest(n int) {
	for _, size := range r.sizes[:n] {
		r.share.grow(-size)
	}
	r.reports, r.meters, r.sizes = dropFront(r.reports, n), dropFront(r.meters, n), dropFront(r.sizes, n)
	r.dropped += uint64(n)
}

// dropFront removes the first n elements of s in place, or into a smaller
// copy when what is left is under a quarter of its capacity (so that a log
// shed to a few entries does not keep the slots of many).
func dropFront[T any](s []T, n int) []T {
	rest := s[n:]
	if len(rest) < cap(s)/4 {
		return slices.Clone(rest)
	}
	k := copy(s, rest)
	clear(s[k:])
	return s[:k]
}

func (r *meterErrorReports) held() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.share.bytes
}

// shed drops the oldest reports until at least n bytes are freed (or none
// is left).
func (r *meterErrorReports) shed(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := oldestToFree(n, len(r.sizes), func(i int) int64 { return r.sizes[i] }); k > 0 {
		r.dropOldest(k)
	}
}

func (r *meterErrorReports) open() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.share.closed
}

// close drops every report, for good (the account was reset).
func (r *meterErrorReports) close() {
	r.share.budget.leave(r, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.share.release()
		r.reports, r.meters, r.sizes = nil, nil, nil
	})
}

// listMeterErrorReports lists error reports newest first, like any list
// (limit, starting_after, ending_before), optionally for one meter.
func listMeterErrorReports(c *call) (jsonobj.Obj, error) {
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
