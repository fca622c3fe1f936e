package server

import (
	"slices"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
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
		shape:  subscriptionShape,
	},
	render: (*renderCtx).renderSubscription,
}

// subscriptionParams are the parameters create and update share.
var subscriptionParams = []string{"add_invoice_items", "cancel_at", "cancel_at_period_end", "collection_method", "days_until_due", "default_payment_method", "description",
	"items", "payment_settings", "metadata", "off_session", "payment_behavior", "proration_behavior", "trial_end", "trial_from_plan", "trial_settings", "automatic_tax"}

// The parameters a change with payment_behavior=pending_if_incomplete takes:
// "Only certain attributes can be used to create a pending update" [C]
// (docs.stripe.com/billing/subscriptions/pending-updates-reference): those
// of the update endpoint, of each of its items (id naming the item to
// change), and of the item endpoints (subscription naming the one to add an
// item to).
var (
	pendingUpdateParams     = []string{"add_invoice_items", "billing_cycle_anchor", "expand", "items", "payment_behavior", "proration_behavior", "proration_date", "trial_end", "trial_from_plan"}
	pendingUpdateItemParams = []string{"id", "price", "quantity"}
	pendingItemParams       = []string{"expand", "payment_behavior", "price", "proration_behavior", "proration_date", "quantity", "subscription"}
)

// pendingParamsChecked wraps the update and the item endpoints: with
// payment_behavior=pending_if_incomplete (billing's pending updates) a
// parameter outside allowed (and, on the update, outside
// pendingUpdateItemParams in an item) is a 400 naming it [I] text.
func pendingParamsChecked(allowed []string, h handler) handler {
	return func(c *call) (jsonobj.Obj, error) {
		if v, _ := c.params.String("payment_behavior"); v != string(billing.PaymentPendingIfIncomplete) {
			return h(c)
		}
		if err := refuseOutside(c.params, allowed); err != nil {
			return nil, err
		}
		for _, ip := range c.params.Objects("items") {
			if err := refuseOutside(ip, pendingUpdateItemParams); err != nil {
				return nil, err
			}
		}
		return h(c)
	}
}

// refuseOutside refuses the first parameter of p (sorted) not in allowed.
func refuseOutside(p *form.Params, allowed []string) error {
	for _, k := range p.Keys() {
		if !slices.Contains(allowed, k) {
			return apierr.InvalidRequest("", p.Path(k), "payment_behavior=pending_if_incomplete only supports these parameters: %s; %s cannot be passed with it.",
				strings.Join(allowed, ", "), p.Path(k))
		}
	}
	return nil
}

// unsupportedItemParams are parameters of items, add_invoice_items and payment_settings the
// emulator does not model.
var unsupportedItemParams = []string{"payment_settings.payment_method_options", "payment_settings.payment_method_types", "items.billing_thresholds", "items.discounts", "items.tax_rates",
	"add_invoice_items.discounts", "add_invoice_items.tax_rates"}

func subscriptionEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/subscriptions/search", op: "GetSubscriptionsSearch", mode: txRead, h: searchSubscriptions},
		{route: "POST /v1/subscriptions", op: "PostSubscriptions", mode: txWrite, h: createSubscription,
			accepts: append([]string{"customer", "backdate_start_date", "billing_cycle_anchor", "billing_mode", "currency", "trial_period_days"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...), newer: []string{"billing_mode"}},
		{route: "GET /v1/subscriptions", op: "GetSubscriptions", mode: txRead, h: listSubscriptions,
			accepts: []string{"collection_method", "created", "current_period_end", "current_period_start", "customer", "ending_before", "limit", "plan", "price", "starting_after", "status", "test_clock"}},
		{route: "GET /v1/subscriptions/{subscription_exposed_id}", op: "GetSubscriptionsSubscriptionExposedId", mode: txRead, h: retrieveSubscription},
		{route: "POST /v1/subscriptions/{subscription_exposed_id}", op: "PostSubscriptionsSubscriptionExposedId", mode: txWrite, h: pendingParamsChecked(pendingUpdateParams, updateSubscription),
			accepts: append([]string{"billing_cycle_anchor", "cancellation_details", "proration_date"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...), newer: []string{"billing_cycle_anchor"}},
		{route: "DELETE /v1/subscriptions/{subscription_exposed_id}", op: "DeleteSubscriptionsSubscriptionExposedId", mode: txWrite, h: cancelSubscription},
		{route: "POST /v1/subscriptions/{subscription}/resume", op: "PostSubscriptionsSubscriptionResume", mode: txWrite, h: resumeSubscription, newer: []string{"billing_cycle_anchor", "payment_behavior"}},
		// From 2026-09-30.endive (apiversion's endive.pause), outside every
		// catalogue: its schema is stripe-node 23's.
		{route: "POST /v1/subscriptions/{subscription}/pause", mode: txWrite, h: pauseSubscription, schema: pauseSchema},
		// From 2025-06-30.basil (apiversion's basil0630.migrate), outside the
		// 2024-06-20 catalogue: its schema is the later catalogues'.
		{route: "POST /v1/subscriptions/{subscription}/migrate", mode: txWrite, h: migrateSubscription, schema: migrateSchema},
	}
}

// pauseSchema is POST /v1/subscriptions/{subscription}/pause's request.
var pauseSchema = form.Object(map[string]*form.Schema{
	"bill_for": form.Object(map[string]*form.Schema{
		"outstanding_usage_through": form.Object(map[string]*form.Schema{"type": form.String("none", "now")}, "type"),
		"unused_time_from":          form.Object(map[string]*form.Schema{"type": form.String("item_current_period_start", "none", "now")}, "type"),
	}),
	"expand":             form.Array(form.String()),
	"invoicing_behavior": form.String("invoice", "pending_invoice_item"),
	"type":               form.String("subscription"),
})

// migrateSchema is POST /v1/subscriptions/{subscription}/migrate's request.
var migrateSchema = form.Object(map[string]*form.Schema{
	"billing_mode": form.Object(map[string]*form.Schema{
		"flexible": form.Object(map[string]*form.Schema{"proration_discounts": form.String("included", "itemized")}),
		"type":     form.String("flexible"),
	}, "type"),
	"expand": form.Array(form.String()),
}, "billing_mode")

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

// resumeSubscription resumes a paused subscription. Its payment_behavior
// (2026-09-30.endive) changes nothing: the emulator takes no payment, so the
// resumption invoice is paid at once either way and the subscription
// resumes in the request [I].
func resumeSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	sub, err := billing.Resume(&c.u, billing.ResumeRequest{Subscription: c.pathID(), AnchorNow: anchorType(p, "now") == "now",
		ProrationBehavior: decodeProrationBehavior(p), ProrationDate: optInt(p, "proration_date")})
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// pauseSubscription pauses a flexible subscription.
func pauseSubscription(c *call) (jsonobj.Obj, error) {
	sub, err := billing.Pause(&c.u, billing.PauseRequest{Subscription: c.pathID(), PauseSettings: decodePauseSettings(c.params)})
	if err != nil {
		return nil, err
	}
	return c.renderSubscription(sub)
}

// decodePauseSettings is what a pause bills and how: the pause endpoint's
// parameters, or a preview's subscription_details[pause].
func decodePauseSettings(p *form.Params) billing.PauseSettings {
	bill := p.Object("bill_for")
	return billing.PauseSettings{InvoicingBehavior: p.StringOr("invoicing_behavior", ""),
		UsageThrough:   bill.Object("outstanding_usage_through").StringOr("type", ""),
		UnusedTimeFrom: bill.Object("unused_time_from").StringOr("type", "")}
}

// migrateSubscription moves a subscription from classic to flexible billing
// mode.
func migrateSubscription(c *call) (jsonobj.Obj, error) {
	sub, err := billing.Migrate(&c.u, billing.MigrateRequest{Subscription: c.pathID(), Mode: decodeBillingMode(c, c.params)})
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
		Mode: decodeBillingMode(c, p), PaymentBehavior: billing.PaymentBehavior(p.StringOr("payment_behavior", ""))}
}

// decodeBillingMode is a new subscription's billing_mode (2025-06-30.basil),
// with the default of the request's version: flexible from
// 2025-09-30.clover, classic before. A request at a version that has billing
// modes chooses one (Stamped: billing_mode[updated_at] is when).
func decodeBillingMode(c *call, p *form.Params) billing.ModeRequest {
	in := billing.ModeRequest{Default: billing.ModeClassic, Stamped: c.v.Has(apiversion.GateBillingMode)}
	if c.v.Has(apiversion.GateFlexibleDefault) {
		in.Default = billing.ModeFlexible
	}
	bm := p.Object("billing_mode")
	if bm == nil {
		return in
	}
	in.Param, in.Type = bm.Param(), optString(bm, "type")
	if f := bm.Object("flexible"); f != nil {
		in.FlexibleGiven, in.ProrationDiscounts = true, optString(f, "proration_discounts")
	}
	return in
}

// anchorType is billing_cycle_anchor[type] (endive's shape; the string an
// older version sends is upgraded to it), or def when absent.
func anchorType(p *form.Params, def string) string {
	return p.Object("billing_cycle_anchor").StringOr("type", def)
}

// decodeSubscriptionChange is POST /v1/subscriptions/{subscription_exposed_id}'s request.
func decodeSubscriptionChange(c *call, p *form.Params) billing.SubscriptionChange {
	return billing.SubscriptionChange{Subscription: c.pathID(), Items: decodeItems(c, p, "items"), ProrationBehavior: decodeProrationBehavior(p),
		ProrationDate: optInt(p, "proration_date"), TrialEnd: decodeMoment(p, "trial_end"), AnchorNow: anchorType(p, "unchanged") == "now",
		AddInvoiceItems: decodeAddInvoiceItems(c, p), Settings: decodeSubscriptionSettings(p), Cancellation: decodeCancellation(p),
		PaymentBehavior: billing.PaymentBehavior(p.StringOr("payment_behavior", ""))}
}

// decodeSubscriptionSettings is what create and update share, apart from
// items and the trial.
func decodeSubscriptionSettings(p *form.Params) billing.SubscriptionSettings {
	s := billing.SubscriptionSettings{CollectionMethod: optString(p, "collection_method"), DaysUntilDue: optInt(p, "days_until_due"),
		CancelAtPeriodEnd: optBool(p, "cancel_at_period_end"), CancelAt: optInt(p, "cancel_at"), Description: optString(p, "description"),
		Metadata: decodeMetadata(p, "metadata"), DefaultPaymentMethod: optString(p, "default_payment_method")}
	if ps := p.Object("payment_settings"); ps != nil {
		s.SaveDefaultPaymentMethod = optString(ps, "save_default_payment_method")
	}
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

// subView is what a subscription renders from: it, its items and those of
// its pending update (when it changes items).
type subView struct {
	sub     *billing.Subscription
	items   []itemView
	pending []itemView
}

// itemView is what a subscription item renders from: it, its price and (for
// the versions that show periods on items) its subscription.
type itemView struct {
	it  *billing.Item
	pr  *billing.Price
	sub *billing.Subscription
}

// renderSubscriptionWith renders a subscription with the given items.
func (rc *renderCtx) renderSubscriptionWith(sub *billing.Subscription, items []*billing.Item) (jsonobj.Obj, error) {
	sv := &subView{sub: sub}
	var err error
	if sv.items, err = rc.itemViews(sub, items); err != nil {
		return nil, err
	}
	if pu := sub.PendingUpdate; pu != nil && pu.ItemsGiven {
		// The items as the update leaves them, in its period.
		after := sub.Clone()
		after.PeriodStart, after.PeriodEnd = pu.After.PeriodStart, pu.After.PeriodEnd
		if sv.pending, err = rc.itemViews(after, pu.Items); err != nil {
			return nil, err
		}
	}
	return subscriptionShape.render(rc, sv), nil
}

// itemViews are a subscription's items to render, with their prices.
func (rc *renderCtx) itemViews(sub *billing.Subscription, items []*billing.Item) ([]itemView, error) {
	out := make([]itemView, len(items))
	for i, it := range items {
		pr, err := rc.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		out[i] = itemView{it: it, pr: pr, sub: sub}
	}
	return out, nil
}

// pendingGet is a getter of a pending update's field (a subscription's
// pending_update is rendered only when it has one).
func pendingGet(f func(pu *billing.PendingUpdate) any) func(*renderCtx, *subView) any {
	return func(_ *renderCtx, v *subView) any { return f(v.sub.PendingUpdate) }
}

// subField is a field of the subscription object.
type subField = field[*subView]

// subscriptionShape is the subscription at every API version.
var subscriptionShape = newShape("subscription", []subField{
	{name: "id", get: func(_ *renderCtx, v *subView) any { return v.sub.ID }},
	{name: "object", fixed: always("subscription")},
	{name: "application", fixed: fixedNull},
	{name: "application_fee_percent", fixed: fixedNull},
	{name: "automatic_tax", sub: []subField{
		{name: "disabled_reason", fixed: fixedNull},
		{name: "enabled", fixed: fixedFalse},
		{name: "liability", fixed: fixedNull},
	}},
	{name: "billing_cycle_anchor", get: func(_ *renderCtx, v *subView) any { return v.sub.BillingCycleAnchor }},
	{name: "billing_cycle_anchor_config", fixed: fixedNull},
	{name: "billing_mode", get: func(_ *renderCtx, v *subView) any { return renderBillingMode(v.sub) }},
	{name: "billing_schedules", fixed: fixedEmpty},
	{name: "billing_thresholds", fixed: fixedNull},
	{name: "cancel_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.EffectiveCancelAt()) }},
	{name: "cancel_at_period_end", get: func(_ *renderCtx, v *subView) any { return v.sub.CancelAtPeriodEnd }},
	{name: "canceled_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.CanceledAt) }},
	{name: "cancellation_details", sub: []subField{
		{name: "comment", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelComment) }},
		{name: "feedback", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelFeedback) }},
		{name: "feedback_option", fixed: fixedNull},
		{name: "reason", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelReason) }},
	}},
	{name: "collection_method", get: func(_ *renderCtx, v *subView) any { return v.sub.CollectionMethod }},
	{name: "created", get: func(_ *renderCtx, v *subView) any { return v.sub.Created }},
	{name: "currency", get: func(_ *renderCtx, v *subView) any { return v.sub.Currency }},
	{name: "current_period_end", get: func(_ *renderCtx, v *subView) any { return v.sub.PeriodEnd }},
	{name: "current_period_start", get: func(_ *renderCtx, v *subView) any { return v.sub.PeriodStart }},
	{name: "customer", get: func(_ *renderCtx, v *subView) any { return v.sub.Customer }},
	{name: "customer_account", fixed: fixedNull},
	{name: "days_until_due", get: func(_ *renderCtx, v *subView) any { return orNullInt(v.sub.DaysUntilDue) }},
	{name: "default_payment_method", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.DefaultPaymentMethod) }},
	{name: "default_source", fixed: fixedNull},
	{name: "default_tax_rates", fixed: fixedEmpty},
	{name: "description", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.Description) }},
	{name: "discount", fixed: fixedNull},
	{name: "discounts", fixed: fixedEmpty},
	{name: "ended_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.EndedAt) }},
	{name: "invoice_settings", sub: []subField{
		{name: "account_tax_ids", fixed: fixedNull},
		{name: "custom_fields", fixed: fixedNull},
		{name: "description", fixed: fixedNull},
		{name: "footer", fixed: fixedNull},
		{name: "issuer", fixed: fixedSelfIssuer},
	}},
	{name: "items", get: func(rc *renderCtx, v *subView) any {
		data := make([]jsonobj.Obj, len(v.items))
		for i := range v.items {
			data[i] = subscriptionItemShape.render(rc, &v.items[i])
		}
		return jsonobj.Obj{
			{K: "object", V: "list"},
			{K: "data", V: data},
			{K: "has_more", V: false},
			{K: "total_count", V: len(data)},
			{K: "url", V: "/v1/subscription_items?subscription=" + v.sub.ID},
		}
	}},
	{name: "latest_invoice", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.LatestInvoice) }},
	{name: "livemode", fixed: fixedFalse},
	{name: "managed_payments", fixed: fixedNull},
	{name: "metadata", get: func(_ *renderCtx, v *subView) any { return metadataOf(v.sub.Metadata) }},
	{name: "next_pending_invoice_item_invoice", fixed: fixedNull},
	{name: "on_behalf_of", fixed: fixedNull},
	{name: "pause_collection", fixed: fixedNull},
	{name: "payment_settings", get: func(_ *renderCtx, v *subView) any {
		save := "off"
		if v.sub.SaveDefaultPaymentMethod {
			save = "on_subscription"
		}
		return jsonobj.Obj{{K: "payment_method_options", V: nil}, {K: "payment_method_types", V: nil}, {K: "save_default_payment_method", V: save}}
	}},
	{name: "pending_invoice_item_interval", fixed: fixedNull},
	{name: "pending_setup_intent", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.PendingSetupIntent) }},
	// pending_update: null, or what an update made with
	// payment_behavior=pending_if_incomplete changes once its invoice is
	// paid; a field the update leaves is null. trial_from_plan and the later
	// versions' discount(s), metadata and cancel_at_period_end are never set
	// by an update the emulator keeps pending.
	{name: "pending_update", get: func(_ *renderCtx, v *subView) any {
		if v.sub.PendingUpdate == nil {
			return nil
		}
		return v.sub.PendingUpdate // rendered from its fields
	}, sub: []subField{
		{name: "billing_cycle_anchor", get: pendingGet(func(pu *billing.PendingUpdate) any {
			if !pu.AnchorChanged {
				return nil
			}
			return pu.After.BillingCycleAnchor
		})},
		{name: "cancel_at_period_end", fixed: fixedNull},
		{name: "discount", fixed: fixedNull},
		{name: "discounts", fixed: fixedNull},
		{name: "expires_at", get: pendingGet(func(pu *billing.PendingUpdate) any { return pu.ExpiresAt })},
		{name: "metadata", fixed: fixedNull},
		{name: "subscription_items", get: func(rc *renderCtx, v *subView) any {
			if !v.sub.PendingUpdate.ItemsGiven {
				return nil
			}
			data := make([]jsonobj.Obj, len(v.pending))
			for i := range v.pending {
				data[i] = subscriptionItemShape.render(rc, &v.pending[i])
			}
			return data
		}},
		{name: "trial_end", get: pendingGet(func(pu *billing.PendingUpdate) any {
			if !pu.TrialEndChanged {
				return nil
			}
			return nullIfZero(pu.After.TrialEnd)
		})},
		{name: "trial_from_plan", fixed: fixedNull},
	}},
	{name: "schedule", fixed: fixedNull},
	{name: "start_date", get: func(_ *renderCtx, v *subView) any { return v.sub.StartDate }},
	{name: "status", get: func(_ *renderCtx, v *subView) any { return string(v.sub.Status) }},
	{name: "status_details", get: func(_ *renderCtx, v *subView) any { return renderStatusDetails(v.sub) }},
	{name: "test_clock", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.TestClock) }},
	{name: "transfer_data", fixed: fixedNull},
	{name: "trial_end", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.TrialEnd) }},
	{name: "trial_settings", sub: []subField{
		{name: "end_behavior", sub: []subField{
			{name: "billing_cycle_anchor", fixed: fixedNull},
			{name: "missing_payment_method", get: func(_ *renderCtx, v *subView) any { return v.sub.TrialEndBehavior }},
		}},
	}},
	{name: "trial_start", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.ShownTrialStart()) }},
})

// renderStatusDetails is a paused subscription's status_details (absent
// otherwise): when and why it paused, asked for (Pause) or at the end of a
// trial without a payment method.
func renderStatusDetails(sub *billing.Subscription) any {
	if sub.Status != billing.SubscriptionPaused {
		return absent
	}
	reason, at := sub.PauseReason, sub.PausedAt
	if reason == "" {
		reason, at = "trial_end_without_payment_method", sub.TrialEnd
	}
	return jsonobj.Obj{{K: "paused", V: jsonobj.Obj{
		{K: "subscription", V: jsonobj.Obj{{K: "type", V: reason}}},
		{K: "transitioned_at", V: at},
		{K: "type", V: "subscription"},
	}}}
}

// renderBillingMode is a subscription's billing_mode: its type, the flexible
// mode's settings, and when it was adopted (for a mode a request chose: made
// at 2025-06-30.basil or later, or migrated).
func renderBillingMode(sub *billing.Subscription) jsonobj.Obj {
	var flexible any
	if sub.Mode() == billing.ModeFlexible {
		flexible = jsonobj.Obj{{K: "proration_discounts", V: "included"}}
	}
	o := jsonobj.Obj{{K: "flexible", V: flexible}, {K: "type", V: string(sub.Mode())}}
	if sub.BillingModeSince != 0 {
		o = append(o, jsonobj.Field{K: "updated_at", V: sub.BillingModeSince})
	}
	return o
}

func (rc *renderCtx) renderItem(it *billing.Item) (jsonobj.Obj, error) {
	pr, err := rc.getPrice(it.Price, "price")
	if err != nil {
		return nil, err
	}
	iv := &itemView{it: it, pr: pr}
	if subscriptionItemShape.has(rc.v, "current_period_end") {
		if iv.sub, err = getRecord[*billing.Subscription](rc.tx, tSubscriptions, "subscription", it.Subscription, "subscription"); err != nil {
			return nil, err
		}
	}
	return subscriptionItemShape.render(rc, iv), nil
}

// itemField is a field of the subscription item object.
type itemField = field[*itemView]

// subscriptionItemShape is the subscription item at every API version. Its
// period is its subscription's: every item of a classic subscription bills
// the same period.
var subscriptionItemShape = newShape("subscription_item", []itemField{
	{name: "id", get: func(_ *renderCtx, v *itemView) any { return v.it.ID }},
	{name: "object", fixed: always("subscription_item")},
	{name: "billed_until", fixed: fixedAbsent},
	{name: "billing_thresholds", fixed: fixedNull},
	{name: "created", get: func(_ *renderCtx, v *itemView) any { return v.it.Created }},
	{name: "current_period_end", get: func(_ *renderCtx, v *itemView) any { return v.sub.PeriodEnd }},
	{name: "current_period_start", get: func(_ *renderCtx, v *itemView) any { return v.sub.PeriodStart }},
	{name: "current_trial", fixed: fixedNull},
	{name: "discounts", fixed: fixedEmpty},
	{name: "metadata", get: func(_ *renderCtx, v *itemView) any { return metadataOf(v.it.Metadata) }},
	{name: "plan", get: func(rc *renderCtx, v *itemView) any { return rc.renderPlan(v.pr) }},
	{name: "price", get: func(rc *renderCtx, v *itemView) any { return rc.renderPrice(v.pr) }},
	{name: "quantity", get: func(_ *renderCtx, v *itemView) any {
		if v.pr.Metered() {
			return absent // Stripe leaves it out of metered items
		}
		return v.it.Quantity
	}},
	{name: "subscription", get: func(_ *renderCtx, v *itemView) any { return v.it.Subscription }},
	{name: "tax_rates", fixed: fixedEmpty},
})
