package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func subscriptionItemEndpoints() []endpoint {
	itemParams := []string{"metadata", "payment_behavior", "plan", "price", "price_data", "proration_behavior", "proration_date", "quantity"}
	return []endpoint{
		{route: "POST /v1/subscription_items", op: "PostSubscriptionItems", mode: txWrite, h: pendingParamsChecked(pendingItemParams, createSubscriptionItem), accepts: append([]string{"subscription"}, itemParams...)},
		{route: "GET /v1/subscription_items", op: "GetSubscriptionItems", mode: txRead, h: listSubscriptionItems},
		{route: "GET /v1/subscription_items/{item}", op: "GetSubscriptionItemsItem", mode: txRead, h: retrieveSubscriptionItem},
		{route: "POST /v1/subscription_items/{item}", op: "PostSubscriptionItemsItem", mode: txWrite, h: pendingParamsChecked(pendingItemParams, updateSubscriptionItem), accepts: append([]string{"off_session"}, itemParams...)},
		{route: "DELETE /v1/subscription_items/{item}", op: "DeleteSubscriptionItemsItem", mode: txWrite, h: deleteSubscriptionItem},
		{route: "POST /v1/subscription_items/{subscription_item}/usage_records", op: "PostSubscriptionItemsSubscriptionItemUsageRecords", mode: txWrite, h: createUsageRecord},
		{route: "GET /v1/subscription_items/{subscription_item}/usage_record_summaries", op: "GetSubscriptionItemsSubscriptionItemUsageRecordSummaries", mode: txRead, h: listUsageRecordSummaries},
	}
}

func (c *call) getItem(id, param string) (*billing.Item, error) {
	return billing.GetItem(c.tx, id, param)
}

const tSubscriptionItems = billing.TableSubscriptionItems

// subscriptionItemResource: a change to an item shows as an update of its
// subscription (eventsOfStep).
var subscriptionItemResource = &resource[*billing.Item]{
	resourceDesc: resourceDesc{
		name:   "subscription_item",
		noun:   "subscription item",
		table:  billing.Table(tSubscriptionItems),
		codec:  plainCodec[billing.Item](),
		routes: subscriptionItemEndpoints,
		shape:  subscriptionItemShape,
	},
	render: (*renderCtx).renderItem,
}

// decodeItemRequest is an item endpoint's request: its parameters as one
// item change, of the path's item (id; "" for POST /v1/subscription_items),
// removed if deleted.
func decodeItemRequest(c *call, id string, deleted bool) billing.ItemRequest {
	p := c.params
	ic := decodeItemChange(c, p)
	ic.ID, ic.Deleted = billing.Opt[string]{}, deleted
	if id != "" {
		ic.ID = billing.Some(id)
	}
	return billing.ItemRequest{Subscription: optString(p, "subscription"), Item: ic, ProrationBehavior: decodeProrationBehavior(p),
		ProrationDate: optInt(p, "proration_date"), PaymentBehavior: billing.PaymentBehavior(p.StringOr("payment_behavior", ""))}
}

func createSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := billing.ChangeItem(&c.u, decodeItemRequest(c, "", false))
	if err != nil {
		return nil, err
	}
	return c.renderItem(it)
}

func retrieveSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderItem(it)
}

func updateSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := billing.ChangeItem(&c.u, decodeItemRequest(c, c.pathID(), false))
	if err != nil {
		return nil, err
	}
	return c.renderItem(it)
}

func deleteSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := billing.ChangeItem(&c.u, decodeItemRequest(c, c.pathID(), true))
	if err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: it.ID}, {K: "object", V: "subscription_item"}, {K: "deleted", V: true}}, nil
}

func listSubscriptionItems(c *call) (jsonobj.Obj, error) {
	subID, _ := c.params.String("subscription")
	if _, err := c.getSubscription(subID, "subscription"); err != nil {
		return nil, err
	}
	return c.list(tSubscriptionItems, "subscription item", "/v1/subscription_items", func(r store.Record) bool {
		return r.(*billing.Item).Subscription == subID
	}, func(r store.Record) (jsonobj.Obj, error) { return c.renderItem(r.(*billing.Item)) })
}
