package server

import (
	"strconv"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
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

// createUsageRecord reports legacy usage. Prices with a meter refuse it, as
// Stripe does: their usage comes from meter events.
func createUsageRecord(c *call) (jsonobj.Obj, error) {
	p := c.params
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	pr, err := c.getPrice(it.Price, "price")
	if err != nil {
		return nil, err
	}
	if !pr.Metered() {
		return nil, apierr.InvalidRequest("", "", "Usage records can only be created for subscription items with a metered price (recurring[usage_type]=metered); %s is licensed.", it.ID)
	}
	if pr.Recurring.Meter != "" {
		return nil, apierr.InvalidRequest("", "", "Cannot create a usage record for %s because it is not on the legacy metered billing system. Call /v1/billing/meter_events instead.", it.ID)
	}
	sub, err := c.getSubscription(it.Subscription, "subscription")
	if err != nil {
		return nil, err
	}
	now := c.u.CustomerNow(sub.Customer)
	qty, _ := p.Int("quantity")
	if qty < 0 {
		return nil, apierr.Invalid("quantity", "This value must be greater than or equal to 0.")
	}
	if qty > maxUsageQuantity {
		return nil, apierr.Invalid("quantity", "This value must be less than or equal to %d.", maxUsageQuantity)
	}
	ts := now
	if v := p.Get("timestamp"); v != nil && v.Kind == form.KInt { // or "now"
		ts = v.Int
	}
	if ts < sub.PeriodStart {
		return nil, apierr.Invalid("timestamp", "Cannot create the usage record with this timestamp because timestamps must be after the subscription's last invoice period (or current period start time).")
	}
	if ts > now+maxEventFuture {
		return nil, apierr.Invalid("timestamp", "Cannot create the usage record with this timestamp because it is in the future.")
	}
	action := p.StringOr("action", "increment")
	existing, err := c.tx.FindOne(tUsageRecords, "item_timestamp", billing.UsageKey(it.ID, ts))
	if err != nil {
		return nil, err
	}
	var rec *billing.UsageRecord
	if existing != nil {
		rec = &billing.UsageRecord{}
		*rec = *existing.(*billing.UsageRecord)
		if action == "set" {
			rec.Quantity = qty
		} else if rec.Quantity += qty; rec.Quantity > maxUsageQuantity {
			return nil, apierr.Invalid("quantity", "The usage at this timestamp would exceed %d.", maxUsageQuantity)
		}
	} else {
		rec = &billing.UsageRecord{Meta: c.newMetaAt("mbur", now), Item: it.ID, Timestamp: ts, Quantity: qty}
	}
	if err := c.tx.Put(tUsageRecords, rec); err != nil {
		return nil, err
	}
	return jsonobj.Obj{
		{K: "id", V: rec.ID},
		{K: "object", V: "usage_record"},
		{K: "livemode", V: false},
		{K: "quantity", V: rec.Quantity},
		{K: "subscription_item", V: it.ID},
		{K: "timestamp", V: rec.Timestamp},
	}, nil
}

// maxUsageQuantity bounds a usage record's quantity (and what increments add
// up to at one timestamp): far from int64 overflow when summed over a period.
const maxUsageQuantity = 1_000_000_000_000

// listUsageRecordSummaries lists an item's legacy usage per billing period,
// newest (current) first, back to the item's creation.
func listUsageRecordSummaries(c *call) (jsonobj.Obj, error) {
	p := c.params
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	pr, err := c.getPrice(it.Price, "price")
	if err != nil {
		return nil, err
	}
	sub, err := c.getSubscription(it.Subscription, "subscription")
	if err != nil {
		return nil, err
	}
	limit, err := readLimit(p)
	if err != nil {
		return nil, err
	}
	end := sub.PeriodEnd
	if after, ok := p.String("starting_after"); ok {
		start, ok := strings.CutPrefix(after, "sis_"+it.ID+"_")
		n, err := strconv.ParseInt(start, 36, 64)
		// A summary's ID names its period's start: within the item's life.
		if !ok || err != nil || n < it.Created || n >= sub.PeriodEnd {
			return nil, apierr.ResourceMissing("usage record summary", "starting_after", after)
		}
		end = n
	}
	aggregate := ""
	if pr.Recurring != nil {
		aggregate = pr.Recurring.AggregateUsage
	}
	var data []jsonobj.Obj
	more := false
	for end > it.Created {
		start := max(previousPeriodStart(sub, end), it.Created)
		if int64(len(data)) == limit {
			more = true
			break
		}
		total, err := billing.LegacyUsage(c.tx, it.ID, aggregate, start, end)
		if err != nil {
			return nil, err
		}
		data = append(data, jsonobj.Obj{
			{K: "id", V: "sis_" + it.ID + "_" + strconv.FormatInt(start, 36)},
			{K: "object", V: "usage_record_summary"},
			{K: "invoice", V: nil},
			{K: "livemode", V: false},
			{K: "period", V: jsonobj.Obj{{K: "end", V: end}, {K: "start", V: start}}},
			{K: "subscription_item", V: it.ID},
			{K: "total_usage", V: total},
		})
		end = start
	}
	return jsonobj.Obj{
		{K: "object", V: "list"},
		{K: "data", V: data},
		{K: "has_more", V: more},
		{K: "url", V: "/v1/subscription_items/" + it.ID + "/usage_record_summaries"},
	}, nil
}

// previousPeriodStart is the start of the billing period that ends at end.
func previousPeriodStart(sub *billing.Subscription, end int64) int64 {
	if end <= sub.BillingCycleAnchor {
		return sub.StartDate
	}
	start, _ := calc.PeriodContaining(sub.BillingCycleAnchor, sub.Interval, end-1)
	return start
}
