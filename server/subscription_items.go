package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

func subscriptionItemEndpoints() []endpoint {
	itemParams := []string{"metadata", "payment_behavior", "plan", "price", "price_data", "proration_behavior", "proration_date", "quantity"}
	return []endpoint{
		{route: "POST /v1/subscription_items", op: "PostSubscriptionItems", mode: txWrite, h: paymentBehaviorChecked(createSubscriptionItem), accepts: append([]string{"subscription"}, itemParams...)},
		{route: "GET /v1/subscription_items", op: "GetSubscriptionItems", mode: txRead, h: listSubscriptionItems},
		{route: "GET /v1/subscription_items/{item}", op: "GetSubscriptionItemsItem", mode: txRead, h: retrieveSubscriptionItem},
		{route: "POST /v1/subscription_items/{item}", op: "PostSubscriptionItemsItem", mode: txWrite, h: paymentBehaviorChecked(updateSubscriptionItem), accepts: append([]string{"off_session"}, itemParams...)},
		{route: "DELETE /v1/subscription_items/{item}", op: "DeleteSubscriptionItemsItem", mode: txWrite, h: deleteSubscriptionItem},
		{route: "POST /v1/subscription_items/{subscription_item}/usage_records", op: "PostSubscriptionItemsSubscriptionItemUsageRecords", mode: txWrite, h: createUsageRecord},
		{route: "GET /v1/subscription_items/{subscription_item}/usage_record_summaries", op: "GetSubscriptionItemsSubscriptionItemUsageRecordSummaries", mode: txRead, h: listUsageRecordSummaries},
	}
}

func (c *call) getItem(id, param string) (*billing.Item, error) {
	return getRecord[*billing.Item](c.tx, tSubscriptionItems, "subscription item", id, param)
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

// itemChange runs one item change through the subscription update path, so that
// an item endpoint behaves exactly as items[0][...] on the subscription does.
func (c *call) itemChange(subID string, change *form.Params) (*billing.Subscription, *subChange, error) {
	sub, err := c.getSubscription(subID, "subscription")
	if err != nil {
		return nil, nil, err
	}
	if !sub.Live() {
		return nil, nil, apierr.InvalidRequest("", "subscription", "The subscription %s is %s: its items can no longer change.", sub.ID, sub.Status)
	}
	now := c.u.CustomerNow(sub.Customer)
	u := subUpdate{items: []*form.Params{change}, behavior: c.params.StringOr("proration_behavior", "create_prorations")}
	if d, ok := c.params.Int("proration_date"); ok {
		u.prorationDate = &d
	}
	sub, ch, _, err := c.changeSubscription(sub, u, now)
	if err != nil {
		return nil, nil, err
	}
	return sub, ch, nil
}

// asItemChange rewrites an item endpoint's parameters as one items[0] entry.
func asItemChange(p *form.Params, id string, extra map[string]*form.Value) *form.Params {
	fields := map[string]*form.Value{}
	for _, k := range []string{"price", "plan", "price_data", "quantity", "metadata", "clear_usage"} {
		if v := p.Get(k); v != nil {
			fields[k] = v
		}
	}
	if id != "" {
		fields["id"] = &form.Value{Kind: form.KString, Str: id, Param: "id"}
	}
	for k, v := range extra {
		fields[k] = v
	}
	return form.NewParams("", fields)
}

func createSubscriptionItem(c *call) (jsonobj.Obj, error) {
	subID, _ := c.params.String("subscription")
	before, err := c.itemsOf(subID)
	if err != nil {
		return nil, err
	}
	_, ch, err := c.itemChange(subID, asItemChange(c.params, "", nil))
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, it := range before {
		known[it.ID] = true
	}
	for _, it := range ch.after {
		if !known[it.ID] {
			return c.renderItem(it)
		}
	}
	return nil, apierr.Internal()
}

func retrieveSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderItem(it)
}

func updateSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	_, ch, err := c.itemChange(it.Subscription, asItemChange(c.params, it.ID, nil))
	if err != nil {
		return nil, err
	}
	for _, n := range ch.after {
		if n.ID == it.ID {
			return c.renderItem(n)
		}
	}
	return nil, apierr.Internal()
}

func deleteSubscriptionItem(c *call) (jsonobj.Obj, error) {
	it, err := c.getItem(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	deleted := map[string]*form.Value{"deleted": {Kind: form.KBool, Bool: true, Str: "true", Param: "deleted"}}
	if _, _, err := c.itemChange(it.Subscription, asItemChange(c.params, it.ID, deleted)); err != nil {
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
