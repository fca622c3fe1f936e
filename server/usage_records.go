package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

const tUsageRecords = billing.TableUsageRecords

// usageRecordResource: its endpoints are the subscription items'.
var usageRecordResource = &resource[*billing.UsageRecord]{resourceDesc: resourceDesc{
	name:  "usage_record",
	noun:  "usage record",
	table: billing.Table(tUsageRecords),
	codec: plainCodec[billing.UsageRecord](),
}}

// usageRecordSummaryResource is a period's legacy usage of an item
// (listUsageRecordSummaries renders it).
var usageRecordSummaryResource = &resource[any]{resourceDesc: resourceDesc{
	name:   "usage_record_summary",
	expand: map[string]string{"invoice": "invoice"},
}}

// createUsageRecord reports legacy usage (billing.RecordUsage).
func createUsageRecord(c *call) (jsonobj.Obj, error) {
	rec, err := billing.RecordUsage(&c.u, decodeUsageRecord(c.pathID(), c.params))
	if err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "id", V: rec.ID},
		{K: "object", V: "usage_record"},
		{K: "livemode", V: false},
		{K: "quantity", V: rec.Quantity},
		{K: "subscription_item", V: rec.Item},
		{K: "timestamp", V: rec.Timestamp},
	}, nil
}

// decodeUsageRecord is a usage record's request: a timestamp is an integer
// or "now" (the customer's time, as when it is left out).
func decodeUsageRecord(item string, p *form.Params) billing.UsageRecordInput {
	in := billing.UsageRecordInput{Item: item, Set: p.StringOr("action", "increment") == "set"}
	in.Quantity, _ = p.Int("quantity")
	if v := p.Get("timestamp"); v != nil && v.Kind == form.KInt {
		in.Timestamp = billing.Some(v.Int)
	}
	return in
}

// listUsageRecordSummaries lists an item's legacy usage per billing period,
// newest (current) first (billing.UsageSummaries).
func listUsageRecordSummaries(c *call) (jsonobj.Obj, error) {
	in := billing.UsageSummaryRequest{Item: c.pathID()}
	in.Limit, in.LimitErr = readLimit(c.params)
	if after, ok := c.params.String("starting_after"); ok {
		in.StartingAfter = billing.Some(after)
	}
	pg, err := billing.UsageSummaries(&c.u, in)
	if err != nil {
		return nil, err
	}
	var data []jsonobj.Obj
	for _, s := range pg.Data {
		data = append(data, jsonobj.Obj{
			{K: "id", V: s.ID},
			{K: "object", V: "usage_record_summary"},
			{K: "invoice", V: nil},
			{K: "livemode", V: false},
			{K: "period", V: jsonobj.Obj{{K: "end", V: s.End}, {K: "start", V: s.Start}}},
			{K: "subscription_item", V: s.Item},
			{K: "total_usage", V: s.Total},
		})
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: pg.More},
		{K: "total_count", V: jsonobj.Hidden{V: pg.Total}},
		{K: "url", V: "/v1/subscription_items/" + c.pathID() + "/usage_record_summaries"},
	}, nil
}
