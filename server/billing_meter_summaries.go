package server

import (
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// listMeterEventSummaries answers a meter's usage for a customer over
// [start_time, end_time): one summary for the whole range, or one per hour or UTC
// day with value_grouping_window, newest first, zero-valued windows included.
// Only the page asked for is computed, and each summary adds up aggregate
// buckets, so the cost does not grow with the number of events.
func listMeterEventSummaries(c *call) (jsonobj.Obj, error) {
	p := c.params
	m, err := c.getMeter(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	customerID, _ := p.String("customer")
	if _, err := c.getCustomer(customerID, "customer", true); err != nil {
		return nil, err
	}
	start, _ := p.Int("start_time")
	end, _ := p.Int("end_time")
	grouping, _ := p.String("value_grouping_window")
	align, unit := int64(60), "a minute"
	switch grouping {
	case "hour":
		align, unit = 3600, "an hour"
	case "day":
		align, unit = 86400, "a day (00:00 UTC)"
	}
	for _, t := range []struct {
		param string
		v     int64
	}{{"start_time", start}, {"end_time", end}} {
		if t.v%align != 0 {
			return nil, apierr.InvalidRequest("", t.param, "%s (%d) must be aligned to %s boundary, a multiple of %d seconds.", t.param, t.v, unit, align)
		}
	}
	if end <= start {
		return nil, apierr.InvalidRequest("", "end_time", "end_time (%d) must be after start_time (%d).", end, start)
	}
	size := end - start
	if grouping != "" {
		size = align
	}
	n := (end - start) / size // windows; window k (newest first) is [end-(k+1)·size, end-k·size)
	pg, err := readPage(p)
	if err != nil {
		return nil, err
	}
	first, last, more, err := pg.window(int(n), func(id, param string) (int, error) {
		ws, we, ok := decodeSummaryID(id)
		if !ok || we-ws != size || ws < start || we > end || (end-we)%size != 0 {
			return 0, apierr.ResourceMissing("billing meter event summary", param, id)
		}
		return int((end - we) / size), nil
	})
	if err != nil {
		return nil, err
	}
	formula := m.BillingFormula()
	data := make([]jsonobj.Obj, 0, max(0, last-first))
	for k := int64(first); k < int64(last); k++ {
		we := end - k*size
		ws := we - size
		total := c.acct.usage.Sum(m.ID, customerID, ws, we).Value(formula)
		data = append(data, jsonobj.Obj{
			{K: "id", V: summaryID(ws, we)},
			{K: "object", V: "billing.meter_event_summary"},
			{K: "aggregated_value", V: float64(total.Saturated())}, // as invoices read it
			{K: "end_time", V: we},
			{K: "livemode", V: false},
			{K: "meter", V: m.ID},
			{K: "start_time", V: ws},
		})
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: more},
		{K: "total_count", V: jsonobj.Hidden{V: n}}, // every window of the range, as a list counts every match
		{K: "url", V: "/v1/billing/meters/" + m.ID + "/event_summaries"},
	}, nil
}

// summaryID names a summary by its window, so that pagination can resume from it.
func summaryID(start, end int64) string {
	return "mtrusg_" + strconv.FormatInt(start, 36) + "_" + strconv.FormatInt(end, 36)
}

func decodeSummaryID(id string) (int64, int64, bool) {
	rest, ok := strings.CutPrefix(id, "mtrusg_")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 36, 64)
	end, err2 := strconv.ParseInt(b, 36, 64)
	return start, end, err1 == nil && err2 == nil
}
