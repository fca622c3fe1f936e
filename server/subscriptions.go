package server

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

const tSubscriptions = billing.TableSubscriptions

var subscriptionResource = &resource[*billing.Subscription]{
	resourceDesc: resourceDesc{
		name:  "subscription",
		noun:  "subscription",
		table: billing.Table(tSubscriptions),
		codec: plainCodec[billing.Subscription](),
		expand: map[string]string{"application": "application", "customer": "customer", "default_payment_method": "payment_method",
			"default_source": "source", "latest_invoice": "invoice", "on_behalf_of": "account", "pending_setup_intent": "setup_intent",
			"schedule": "subscription_schedule", "test_clock": "test_helpers.test_clock", "transfer_data.destination": "account",
			"automatic_tax.liability.account": "account", "invoice_settings.issuer.account": "account"},
		search: &searchable{
			url:    "/v1/subscriptions/search",
			fields: map[string]search.FieldType{"created": search.Number, "status": search.Token},
			doc: func(r store.Record) search.Doc {
				sub := r.(*billing.Subscription)
				return fieldDoc{fields: map[string]search.Value{"created": num(sub.Created), "status": {Str: string(sub.Status)}}, metadata: sub.Metadata}
			},
		},
		routes: subscriptionEndpoints,
	},
	render: (*renderCtx).renderSubscription,
}

// subscriptionParams are the parameters create and update share.
var subscriptionParams = []string{"add_invoice_items", "cancel_at", "cancel_at_period_end", "collection_method", "days_until_due", "default_payment_method", "description",
	"items", "metadata", "off_session", "payment_behavior", "proration_behavior", "trial_end", "trial_from_plan", "trial_settings", "automatic_tax"}

// paymentBehaviorChecked wraps the update, which takes payment_behavior
// allow_incomplete (the default) only so far: an update's invoice is
// charged, and the values that wait for its payment or fail without it
// (default_incomplete, error_if_incomplete, pending_if_incomplete) are
// refused rather than answered as allow_incomplete. (The creation takes
// them all: billing.CreateSubscription.)
func paymentBehaviorChecked(h handler) handler {
	return func(c *call) (jsonobj.Obj, error) {
		if v, ok := c.params.String("payment_behavior"); ok && v != "allow_incomplete" {
			return nil, apierr.InvalidRequest("", "payment_behavior", "stripe-emulator does not support payment_behavior=%s on a subscription's update yet. Leave payment_behavior out, or use allow_incomplete (the default).", v)
		}
		return h(c)
	}
}

// unsupportedItemParams are parameters of items and add_invoice_items the
// emulator does not model.
var unsupportedItemParams = []string{"items.billing_thresholds", "items.discounts", "items.tax_rates",
	"add_invoice_items.discounts", "add_invoice_items.tax_rates"}

func subscriptionEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/subscriptions/search", op: "GetSubscriptionsSearch", mode: txRead, h: searchSubscriptions},
		{route: "POST /v1/subscriptions", op: "PostSubscriptions", mode: txWrite, h: createSubscription,
			accepts: append([]string{"customer", "backdate_start_date", "billing_cycle_anchor", "currency", "trial_period_days"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...)},
		{route: "GET /v1/subscriptions", op: "GetSubscriptions", mode: txRead, h: listSubscriptions,
			accepts: []string{"collection_method", "created", "current_period_end", "current_period_start", "customer", "ending_before", "limit", "plan", "price", "starting_after", "status", "test_clock"}},
		{route: "GET /v1/subscriptions/{subscription_exposed_id}", op: "GetSubscriptionsSubscriptionExposedId", mode: txRead, h: retrieveSubscription},
		{route: "POST /v1/subscriptions/{subscription_exposed_id}", op: "PostSubscriptionsSubscriptionExposedId", mode: txWrite, h: paymentBehaviorChecked(updateSubscription),
			accepts: append([]string{"billing_cycle_anchor", "cancellation_details", "proration_date"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...)},
		{route: "DELETE /v1/subscriptions/{subscription_exposed_id}", op: "DeleteSubscriptionsSubscriptionExposedId", mode: txWrite, h: cancelSubscription},
		{route: "POST /v1/subscriptions/{subscription}/resume", op: "PostSubscriptionsSubscriptionResume", mode: txWrite, h: resumeSubscription},
	}
}

func (c *call) getSubscription(id, param string) (*billing.Subscription, error) {
	return billing.GetSubscription(c.tx, id, param)
}

// itemsOf lists a subscription's items in the order they were added.
func (rc *renderCtx) itemsOf(subID string) ([]*billing.Item, error) {
	return billing.ItemsOf(rc.tx, subID)
}

func createSubscription(c *call) (jsonobj.Obj, error) {
	sub, err := billing.CreateSubscription(&c.u, decodeSubscriptionCreate(c, c.params))
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

func updateSubscription(c *call) (jsonobj.Obj, error) {
	sub, err := billing.UpdateSubscription(&c.u, decodeSubscriptionChange(c, c.params))
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// cancelSubscription ends a subscription now (DELETE /v1/subscriptions/{id}).
func cancelSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	sub, err := billing.Cancel(&c.u, billing.CancelRequest{Subscription: c.pathID(), InvoiceNow: optBool(p, "invoice_now"),
		Prorate: optBool(p, "prorate").V, Cancellation: decodeCancellation(p)})
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// resumeSubscription resumes a paused subscription.
func resumeSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	sub, err := billing.Resume(&c.u, billing.ResumeRequest{Subscription: c.pathID(), AnchorNow: p.StringOr("billing_cycle_anchor", "now") == "now",
		ProrationBehavior: decodeProrationBehavior(p), ProrationDate: optInt(p, "proration_date")})
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// decodeSubscriptionCreate is POST /v1/subscriptions' request.
func decodeSubscriptionCreate(c *call, p *form.Params) billing.SubscriptionCreate {
	return billing.SubscriptionCreate{Customer: optString(p, "customer"), BackdateStartDate: optInt(p, "backdate_start_date"),
		ItemsGiven: p.Has("items"), Items: decodeItems(c, p, "items"), Currency: optString(p, "currency"), Settings: decodeSubscriptionSettings(p),
		TrialEnd: decodeMoment(p, "trial_end"), TrialPeriodDays: optInt(p, "trial_period_days"), TrialFromPlan: optBool(p, "trial_from_plan").V,
		Anchor: optInt(p, "billing_cycle_anchor"), ProrationBehavior: decodeProrationBehavior(p), AddInvoiceItems: decodeAddInvoiceItems(c, p),
		PaymentBehavior: billing.PaymentBehavior(p.StringOr("payment_behavior", ""))}
}

// decodeSubscriptionChange is POST /v1/subscriptions/{subscription_exposed_id}'s request.
func decodeSubscriptionChange(c *call, p *form.Params) billing.SubscriptionChange {
	return billing.SubscriptionChange{Subscription: c.pathID(), Items: decodeItems(c, p, "items"), ProrationBehavior: decodeProrationBehavior(p),
		ProrationDate: optInt(p, "proration_date"), TrialEnd: decodeMoment(p, "trial_end"), AnchorNow: p.StringOr("billing_cycle_anchor", "") == "now",
		AddInvoiceItems: decodeAddInvoiceItems(c, p), Settings: decodeSubscriptionSettings(p), Cancellation: decodeCancellation(p)}
}

// decodeSubscriptionSettings is what create and update share, apart from
// items and the trial.
func decodeSubscriptionSettings(p *form.Params) billing.SubscriptionSettings {
	s := billing.SubscriptionSettings{CollectionMethod: optString(p, "collection_method"), DaysUntilDue: optInt(p, "days_until_due"),
		CancelAtPeriodEnd: optBool(p, "cancel_at_period_end"), CancelAt: optInt(p, "cancel_at"), Description: optString(p, "description"),
		Metadata: decodeMetadata(p, "metadata"), DefaultPaymentMethod: optString(p, "default_payment_method")}
	if ts := p.Object("trial_settings"); ts != nil {
		s.TrialEndBehavior = optString(ts.Object("end_behavior"), "missing_payment_method")
	}
	if at := p.Object("automatic_tax"); at != nil {
		s.AutomaticTax = optBool(at, "enabled").V
	}
	return s
}

// decodeCancellation is cancellation_details.
func decodeCancellation(p *form.Params) billing.CancellationDetails {
	cd := p.Object("cancellation_details")
	if cd == nil {
		return billing.CancellationDetails{}
	}
	return billing.CancellationDetails{Given: true, Comment: optString(cd, "comment"), Feedback: optString(cd, "feedback")}
}

// decodeAddInvoiceItems is add_invoice_items: a price, or price_data (a
// one-time price created by inlinePrice, after refuseNegativeAmount).
func decodeAddInvoiceItems(c *call, p *form.Params) []billing.AddInvoiceItem {
	ips := p.Objects("add_invoice_items")
	if len(ips) == 0 {
		return nil
	}
	out := make([]billing.AddInvoiceItem, len(ips))
	for i, ip := range ips {
		out[i] = billing.AddInvoiceItem{Param: ip.Param(), Price: billing.PriceRef{Price: optString(ip, "price")}, Quantity: optInt(ip, "quantity")}
		if pd := ip.Object("price_data"); pd != nil {
			out[i].Price.Inline = func() (*billing.Price, error) {
				if err := refuseNegativeAmount(pd); err != nil {
					return nil, err
				}
				return c.inlinePrice(pd)
			}
		}
	}
	return out
}

// refuseNegativeAmount refuses a negative price_data unit amount, which Stripe
// takes in add_invoice_items (a credit) and the emulator does not yet.
func refuseNegativeAmount(pd *form.Params) error {
	for _, key := range []string{"unit_amount", "unit_amount_decimal"} {
		v := pd.Get(key)
		if v == nil {
			continue
		}
		negative := v.Kind == form.KInt && v.Int < 0
		if d, err := form.ParseDecimal(v.Str); v.Kind == form.KString && err == nil && d.IsNegative() {
			negative = true
		}
		if negative {
			return apierr.InvalidRequest("", pd.Path(key), "stripe-emulator does not support negative amounts in %s yet; for a credit, create an invoice item with a negative amount (POST /v1/invoiceitems) instead.", pd.Path(key))
		}
	}
	return nil
}

// inlinePrice creates the price of price_data: archived at once, as Stripe's
// inline prices cannot be reused.
func (c *call) inlinePrice(pd *form.Params) (*billing.Price, error) {
	productID, _ := pd.String("product")
	if _, err := c.getProduct(productID, pd.Path("product")); err != nil {
		return nil, err
	}
	cur, _ := pd.String("currency")
	pr := &billing.Price{Meta: c.newMeta("price"), Product: productID, Currency: cur, TaxBehavior: pd.StringOr("tax_behavior", "unspecified"), Metadata: map[string]string{}}
	if !calc.IsCurrency(cur) {
		return nil, apierr.Invalid(pd.Path("currency"), "Invalid currency: %s.", apierr.Clip(cur, 20))
	}
	if err := applyPriceAmounts(pr, pd); err != nil {
		return nil, err
	}
	if err := c.applyRecurring(pr, pd); err != nil {
		return nil, err
	}
	return pr, c.tx.Put(tPrices, pr)
}

func retrieveSubscription(c *call) (jsonobj.Obj, error) {
	sub, err := c.getSubscription(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

func listSubscriptions(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, byCustomer := p.String("customer")
	status := p.StringOr("status", "")
	method, byMethod := p.String("collection_method")
	// Subscriptions on a test clock are listed only with test_clock or customer:
	// "The response will not include subscriptions with test clocks if this and
	// the customer parameter is not set."
	clock, byClock := p.String("test_clock")
	priceID, byPrice := p.String("price")
	if plan, ok := p.String("plan"); ok {
		priceID, byPrice = plan, true
	}
	startFilter := rangeFilter(p, "current_period_start")
	endFilter := rangeFilter(p, "current_period_end")
	var err error
	match := func(r store.Record) bool {
		sub := r.(*billing.Subscription)
		switch status {
		case "":
			if !sub.Live() {
				return false
			}
		case "all":
		case "ended":
			if sub.Live() {
				return false
			}
		default:
			if sub.Status != billing.SubscriptionStatus(status) {
				return false
			}
		}
		if byCustomer && sub.Customer != customerID || byMethod && sub.CollectionMethod != method || byClock && sub.TestClock != clock ||
			!byClock && !byCustomer && sub.TestClock != "" {
			return false
		}
		if startFilter != nil && !startFilter(sub.PeriodStart) || endFilter != nil && !endFilter(sub.PeriodEnd) {
			return false
		}
		if byPrice {
			items, e := c.itemsOf(sub.ID)
			if e != nil {
				err = e
				return false
			}
			return slices.ContainsFunc(items, func(it *billing.Item) bool { return it.Price == priceID })
		}
		return true
	}
	out, lerr := c.list(tSubscriptions, "subscription", "/v1/subscriptions", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderSubscription(r.(*billing.Subscription))
	})
	if err != nil {
		return nil, err
	}
	return out, lerr
}

func searchSubscriptions(c *call) (jsonobj.Obj, error) {
	return c.search("subscription")
}

func (rc *renderCtx) renderSubscription(sub *billing.Subscription) (jsonobj.Obj, error) {
	items, err := rc.itemsOf(sub.ID)
	if err != nil {
		return nil, err
	}
	return rc.renderSubscriptionWith(sub, items)
}

// renderSubscriptionWith renders a subscription with the given items.
func (rc *renderCtx) renderSubscriptionWith(sub *billing.Subscription, items []*billing.Item) (jsonobj.Obj, error) {
	data := make([]jsonobj.Obj, 0, len(items))
	for _, it := range items {
		o, err := rc.renderItem(it)
		if err != nil {
			return nil, err
		}
		data = append(data, o)
	}
	zeroNull := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	return jsonobj.Obj{
		{K: "id", V: sub.ID},
		{K: "object", V: "subscription"},
		{K: "application", V: nil},
		{K: "application_fee_percent", V: nil},
		{K: "automatic_tax", V: jsonobj.Obj{{K: "enabled", V: false}, {K: "liability", V: nil}}},
		{K: "billing_cycle_anchor", V: sub.BillingCycleAnchor},
		{K: "billing_cycle_anchor_config", V: nil},
		{K: "billing_thresholds", V: nil},
		{K: "cancel_at", V: zeroNull(sub.EffectiveCancelAt())},
		{K: "cancel_at_period_end", V: sub.CancelAtPeriodEnd},
		{K: "canceled_at", V: zeroNull(sub.CanceledAt)},
		{K: "cancellation_details", V: jsonobj.Obj{{K: "comment", V: orNull(sub.CancelComment)}, {K: "feedback", V: orNull(sub.CancelFeedback)}, {K: "reason", V: orNull(sub.CancelReason)}}},
		{K: "collection_method", V: sub.CollectionMethod},
		{K: "created", V: sub.Created},
		{K: "currency", V: sub.Currency},
		{K: "current_period_end", V: sub.PeriodEnd},
		{K: "current_period_start", V: sub.PeriodStart},
		{K: "customer", V: sub.Customer},
		{K: "days_until_due", V: orNullInt(sub.DaysUntilDue)},
		{K: "default_payment_method", V: orNull(sub.DefaultPaymentMethod)},
		{K: "default_source", V: nil},
		{K: "default_tax_rates", V: []any{}},
		{K: "description", V: orNull(sub.Description)},
		{K: "discount", V: nil},
		{K: "discounts", V: []any{}},
		{K: "ended_at", V: zeroNull(sub.EndedAt)},
		{K: "invoice_settings", V: jsonobj.Obj{{K: "account_tax_ids", V: nil}, {K: "issuer", V: jsonobj.Obj{{K: "type", V: "self"}}}}},
		{K: "items", V: jsonobj.Obj{
			{K: "object", V: "list"},
			{K: "data", V: data},
			{K: "has_more", V: false},
			{K: "total_count", V: len(data)},
			{K: "url", V: "/v1/subscription_items?subscription=" + sub.ID},
		}},
		{K: "latest_invoice", V: orNull(sub.LatestInvoice)},
		{K: "livemode", V: false},
		{K: "metadata", V: metadataOf(sub.Metadata)},
		{K: "next_pending_invoice_item_invoice", V: nil},
		{K: "on_behalf_of", V: nil},
		{K: "pause_collection", V: nil},
		{K: "payment_settings", V: jsonobj.Obj{{K: "payment_method_options", V: nil}, {K: "payment_method_types", V: nil}, {K: "save_default_payment_method", V: "off"}}},
		{K: "pending_invoice_item_interval", V: nil},
		{K: "pending_setup_intent", V: nil},
		{K: "pending_update", V: nil},
		{K: "schedule", V: nil},
		{K: "start_date", V: sub.StartDate},
		{K: "status", V: string(sub.Status)},
		{K: "test_clock", V: orNull(sub.TestClock)},
		{K: "transfer_data", V: nil},
		{K: "trial_end", V: zeroNull(sub.TrialEnd)},
		{K: "trial_settings", V: jsonobj.Obj{{K: "end_behavior", V: jsonobj.Obj{{K: "missing_payment_method", V: sub.TrialEndBehavior}}}}},
		{K: "trial_start", V: zeroNull(sub.TrialStart)},
	}, nil
}

func (rc *renderCtx) renderItem(it *billing.Item) (jsonobj.Obj, error) {
	pr, err := rc.getPrice(it.Price, "price")
	if err != nil {
		return nil, err
	}
	o := jsonobj.Obj{
		{K: "id", V: it.ID},
		{K: "object", V: "subscription_item"},
		{K: "billing_thresholds", V: nil},
		{K: "created", V: it.Created},
		{K: "discounts", V: []any{}},
		{K: "metadata", V: metadataOf(it.Metadata)},
		{K: "plan", V: rc.renderPlan(pr)},
		{K: "price", V: rc.renderPrice(pr)},
	}
	if !pr.Metered() {
		o = append(o, jsonobj.Field{K: "quantity", V: it.Quantity})
	}
	return append(o, jsonobj.Field{K: "subscription", V: it.Subscription}, jsonobj.Field{K: "tax_rates", V: []any{}}), nil
}
