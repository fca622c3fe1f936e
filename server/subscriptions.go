package server

import (
	"slices"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
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
var subscriptionParams = []string{"add_invoice_items", "cancel_at", "cancel_at_period_end", "collection_method", "days_until_due", "description",
	"items", "metadata", "off_session", "payment_behavior", "proration_behavior", "trial_end", "trial_from_plan", "trial_settings", "automatic_tax"}

// paymentBehaviorChecked wraps a handler that takes payment_behavior. The
// emulator holds no payment methods and takes no payment: every subscription
// starts or changes as if the payment succeeded, which is allow_incomplete
// (the default). The values that wait for a payment or fail without one
// (default_incomplete, error_if_incomplete, pending_if_incomplete) are refused
// rather than answered with a silent active subscription.
func paymentBehaviorChecked(h handler) handler {
	return func(c *call) (jsonobj.Obj, error) {
		if v, ok := c.params.String("payment_behavior"); ok && v != "allow_incomplete" {
			return nil, apierr.InvalidRequest("", "payment_behavior", "stripe-emulator does not support payment_behavior=%s yet: it holds no payment methods and takes no payments, so it cannot leave a subscription incomplete or its update pending until a payment succeeds. Leave payment_behavior out, or use allow_incomplete (the default).", v)
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
		{route: "POST /v1/subscriptions", op: "PostSubscriptions", mode: txWrite, h: paymentBehaviorChecked(createSubscription),
			accepts: append([]string{"customer", "backdate_start_date", "billing_cycle_anchor", "billing_mode", "currency", "trial_period_days"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...), newer: []string{"billing_mode"}},
		{route: "GET /v1/subscriptions", op: "GetSubscriptions", mode: txRead, h: listSubscriptions,
			accepts: []string{"collection_method", "created", "current_period_end", "current_period_start", "customer", "ending_before", "limit", "plan", "price", "starting_after", "status", "test_clock"}},
		{route: "GET /v1/subscriptions/{subscription_exposed_id}", op: "GetSubscriptionsSubscriptionExposedId", mode: txRead, h: retrieveSubscription},
		{route: "POST /v1/subscriptions/{subscription_exposed_id}", op: "PostSubscriptionsSubscriptionExposedId", mode: txWrite, h: paymentBehaviorChecked(updateSubscription),
			accepts: append([]string{"billing_cycle_anchor", "cancellation_details", "proration_date"}, subscriptionParams...),
			rejects: append([]string{"automatic_tax.liability"}, unsupportedItemParams...), newer: []string{"billing_cycle_anchor"}},
		{route: "DELETE /v1/subscriptions/{subscription_exposed_id}", op: "DeleteSubscriptionsSubscriptionExposedId", mode: txWrite, h: cancelSubscription},
		{route: "POST /v1/subscriptions/{subscription}/resume", op: "PostSubscriptionsSubscriptionResume", mode: txWrite, h: resumeSubscription, newer: []string{"billing_cycle_anchor"}},
	}
}

func (c *call) getSubscription(id, param string) (*billing.Subscription, error) {
	return billing.GetSubscription(c.tx, id, param)
}

// itemsOf lists a subscription's items in the order they were added.
func (rc *renderCtx) itemsOf(subID string) ([]*billing.Item, error) {
	recs, err := rc.tx.Find(tSubscriptionItems, "subscription", subID)
	if err != nil {
		return nil, err
	}
	out := make([]*billing.Item, len(recs))
	for i, r := range recs {
		out[i] = r.(*billing.Item)
	}
	slices.SortFunc(out, func(a, b *billing.Item) int {
		if a.Created != b.Created {
			return int(a.Created - b.Created)
		}
		return int(a.Seq - b.Seq)
	})
	return out, nil
}

func createSubscription(c *call) (jsonobj.Obj, error) {
	p := c.params
	customerID, _ := p.String("customer")
	if customerID == "" {
		return nil, apierr.InvalidEmpty("customer")
	}
	cu, err := c.getCustomer(customerID, "customer", false)
	if err != nil {
		return nil, err
	}
	now := c.u.CustomerNow(cu.ID)
	start, err := backdatedStart(p, now)
	if err != nil {
		return nil, err
	}
	sub := &billing.Subscription{Meta: c.newMetaAt("sub", now), Customer: cu.ID, Status: billing.SubscriptionActive, CollectionMethod: "charge_automatically",
		StartDate: start, TrialEndBehavior: "create_invoice", Metadata: map[string]string{}, TestClock: cu.TestClock}
	mode, err := readBillingMode(p.Object("billing_mode"), c.v)
	if err != nil {
		return nil, err
	}
	if mode == billing.ModeFlexible {
		sub.BillingMode = mode
	}
	if c.v.Has(apiversion.GateBillingMode) {
		sub.BillingModeSince = now
	}
	if !p.Has("items") || len(p.Array("items")) == 0 {
		return nil, apierr.ParameterMissing("items")
	}
	items, err := c.newItems(sub, p.Objects("items"), nil, now)
	if err != nil {
		return nil, err
	}
	if cur, ok := p.String("currency"); ok && cur != sub.Currency {
		return nil, apierr.Invalid("currency", "The currency %s does not match the currency of the subscription's prices (%s).", cur, sub.Currency)
	}
	if err := billing.SetCustomerCurrency(&c.u, cu, sub.Currency); err != nil {
		return nil, err
	}
	if err := applySubscriptionSettings(sub, p, now); err != nil {
		return nil, err
	}
	// The trial: trial_end, trial_period_days or the price's trial_period_days.
	trialEnd := int64(0)
	if v := p.Get("trial_end"); v != nil && v.Kind == form.KInt {
		trialEnd = v.Int
	}
	if days, ok := p.Int("trial_period_days"); ok {
		if p.Has("trial_end") {
			return nil, apierr.Exclusive("trial_end", "trial_period_days")
		}
		if days < 0 || days > 730 {
			return nil, apierr.Invalid("trial_period_days", "Invalid trial_period_days: must be between 0 and 730.")
		}
		if days > 0 {
			trialEnd = now + days*86400
		}
	}
	if fromPlan, _ := p.Bool("trial_from_plan"); fromPlan && trialEnd == 0 {
		for _, it := range items {
			if pr, _ := c.getPrice(it.Price, "price"); pr != nil && pr.Recurring.TrialPeriodDays != nil && *pr.Recurring.TrialPeriodDays > 0 {
				trialEnd = now + *pr.Recurring.TrialPeriodDays*86400
				break
			}
		}
	}
	if trialEnd != 0 {
		if err := checkTrialEnd("trial_end", trialEnd, now); err != nil {
			return nil, err
		}
	}
	anchor := int64(0)
	if a, ok := p.Int("billing_cycle_anchor"); ok {
		firstEnd := calc.AddPeriods(max(now, trialEnd), sub.Interval, 1)
		if a < now || a > firstEnd {
			return nil, apierr.Invalid("billing_cycle_anchor", "billing_cycle_anchor cannot be earlier than the current time or later than the next natural billing date (%d) of the subscription.", firstEnd)
		}
		anchor = a
	}
	prorate := p.StringOr("proration_behavior", "create_prorations") != "none"
	// The first period runs from the start (backdated or now) to the first
	// billing date: the trial's end, a billing_cycle_anchor ahead, or a whole
	// period from now (the anchor), after a backdated start too.
	sub.PeriodStart = start
	switch {
	case trialEnd != 0:
		sub.Status = billing.SubscriptionTrialing
		sub.TrialStart, sub.TrialEnd = start, trialEnd
		sub.PeriodEnd = trialEnd
		sub.BillingCycleAnchor = trialEnd
		if anchor != 0 {
			sub.BillingCycleAnchor = anchor
			if !prorate {
				sub.StubFreeUntil = billing.StubAfterTrial(anchor, sub.Interval, trialEnd)
			}
		}
	case anchor != 0 && anchor > now:
		sub.BillingCycleAnchor = anchor
		sub.PeriodEnd = anchor
	default:
		sub.BillingCycleAnchor = now
		sub.PeriodEnd = calc.AddPeriods(now, sub.Interval, 1)
	}
	if err := c.tx.Put(tSubscriptions, sub); err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := c.tx.Put(tSubscriptionItems, it); err != nil {
			return nil, err
		}
	}
	if _, err := c.addInvoiceItems(sub, p.Objects("add_invoice_items"), now); err != nil {
		return nil, err
	}
	inv, err := c.firstInvoice(sub, items, prorate)
	if err != nil {
		return nil, err
	}
	if inv == nil { // free until the anchor: no invoice yet
		return c.renderSubscription(sub)
	}
	n := sub.Clone()
	n.LatestInvoice = inv.ID
	if err := c.tx.Put(tSubscriptions, n); err != nil {
		return nil, err
	}
	return c.renderSubscription(n)
}

// readBillingMode is the billing mode of a new subscription: billing_mode
// (2025-06-30.basil), else the default of the request's version (flexible
// from 2025-09-30.clover, classic before). The emulator stores and shows
// the mode; flexible's own billing rules are not implemented yet (see
// billing.Subscription.Rules).
func readBillingMode(bm *form.Params, v apiversion.Version) (billing.Mode, error) {
	mode := billing.ModeClassic
	if v.Has(apiversion.GateFlexibleDefault) {
		mode = billing.ModeFlexible
	}
	if bm == nil {
		return mode, nil
	}
	mode = billing.Mode(bm.StringOr("type", string(mode)))
	if f := bm.Object("flexible"); f != nil {
		if mode != billing.ModeFlexible {
			return "", apierr.Invalid(bm.Path("flexible"), "%s can only be set when %s is flexible.", bm.Path("flexible"), bm.Path("type"))
		}
		if pd, ok := f.String("proration_discounts"); ok && pd != "included" {
			return "", apierr.InvalidRequest("", f.Path("proration_discounts"), "stripe-emulator does not support %s=%s yet: it has no discounts to itemize. Leave it out, or use included.", f.Path("proration_discounts"), pd)
		}
	}
	return mode, nil
}

// backdatedStart is when a new subscription starts: backdate_start_date, which
// must be in the past (on the customer's clock, a test clock's time if it has
// one), or now.
func backdatedStart(p *form.Params, now int64) (int64, error) {
	b, ok := p.Int("backdate_start_date")
	if !ok {
		return now, nil
	}
	if b >= now {
		return 0, apierr.Invalid("backdate_start_date", "backdate_start_date must be in the past: %d is not before the current time (%d).", b, now)
	}
	return b, nil
}

// applySubscriptionSettings sets what create and update share, apart from items and the trial.
func applySubscriptionSettings(sub *billing.Subscription, p *form.Params, now int64) error {
	if v, ok := p.String("collection_method"); ok {
		sub.CollectionMethod = v
	}
	if d, ok := p.Int("days_until_due"); ok {
		if d < 0 || d > 730 {
			return apierr.Invalid("days_until_due", "Invalid days_until_due: must be between 0 and 730.")
		}
		sub.DaysUntilDue = &d
	}
	if sub.CollectionMethod == "send_invoice" && sub.DaysUntilDue == nil {
		return apierr.ParameterMissing("days_until_due")
	}
	if sub.CollectionMethod == "charge_automatically" && sub.DaysUntilDue != nil {
		if p.Has("days_until_due") {
			return apierr.Invalid("days_until_due", "days_until_due can only be set when collection_method is send_invoice.")
		}
		sub.DaysUntilDue = nil
	}
	if v, ok := p.Bool("cancel_at_period_end"); ok {
		if v && !sub.CancelAtPeriodEnd {
			sub.CanceledAt = now // Stripe's canceled_at: when the cancellation was asked for
		} else if !v {
			sub.CanceledAt = 0
		}
		sub.CancelAtPeriodEnd = v
		if v {
			sub.CancelAt = 0
		}
	}
	if p.IsEmpty("cancel_at") {
		sub.CancelAt = 0
	} else if v, ok := p.Int("cancel_at"); ok {
		if v <= now {
			return apierr.Invalid("cancel_at", "Invalid timestamp: cancel_at must be in the future.")
		}
		if sub.CancelAtPeriodEnd && !p.Has("cancel_at_period_end") {
			sub.CancelAtPeriodEnd = false
		} else if p.Has("cancel_at_period_end") && sub.CancelAtPeriodEnd {
			return apierr.Exclusive("cancel_at", "cancel_at_period_end")
		}
		sub.CancelAt = v
	}
	if v, ok := p.String("description"); ok {
		sub.Description = v
	}
	if ts := p.Object("trial_settings"); ts != nil {
		sub.TrialEndBehavior = ts.Object("end_behavior").StringOr("missing_payment_method", sub.TrialEndBehavior)
	}
	if at := p.Object("automatic_tax"); at != nil {
		if on, _ := at.Bool("enabled"); on {
			return apierr.InvalidRequest("", "automatic_tax[enabled]", "stripe-emulator does not calculate tax: automatic_tax[enabled] can only be false.")
		}
	}
	md, err := metadata.Apply(sub.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	sub.Metadata = md
	return nil
}

// newItems builds items from items[N] parameters for sub, checking that their
// prices share a currency and an interval (with existing, when updating).
func (c *call) newItems(sub *billing.Subscription, params []*form.Params, existing []*billing.Item, now int64) ([]*billing.Item, error) {
	if len(params)+len(existing) > 20 {
		return nil, apierr.Invalid("items", "A subscription can have at most 20 items.")
	}
	used := map[string]bool{}
	for _, it := range existing {
		used[it.Price] = true
	}
	var out []*billing.Item
	for _, ip := range params {
		pr, err := c.itemPrice(ip)
		if err != nil {
			return nil, err
		}
		if err := c.checkAttachable(pr, ip); err != nil {
			return nil, err
		}
		if used[pr.ID] {
			return nil, apierr.Invalid(ip.Path("price"), "Cannot add multiple subscription items with the same plan: %s", pr.ID)
		}
		used[pr.ID] = true
		if err := sub.AdoptPrice(pr, ip.Path("price")); err != nil {
			return nil, err
		}
		it := &billing.Item{Meta: c.newMetaAt("si", now), Subscription: sub.ID, Price: pr.ID, Metadata: map[string]string{}}
		if err := setItemQuantity(it, pr, ip); err != nil {
			return nil, err
		}
		md, err := metadata.Apply(it.Metadata, decodeMetadata(ip, "metadata"))
		if err != nil {
			return nil, err
		}
		it.Metadata = md
		out = append(out, it)
	}
	return out, nil
}

// setItemQuantity applies quantity for the item's new price pr: refused for
// metered prices; for licensed ones 1 unless given or already set.
func setItemQuantity(it *billing.Item, pr *billing.Price, ip *form.Params) error {
	q, hasQ := ip.Int("quantity")
	switch {
	case pr.Metered() && hasQ:
		return apierr.Invalid(ip.Path("quantity"), "You cannot set the quantity for metered plans.")
	case pr.Metered():
		it.Quantity = 0
	case hasQ && q < 0:
		return apierr.Invalid(ip.Path("quantity"), "This value must be greater than or equal to 0.")
	case hasQ:
		it.Quantity = q
	case it.Quantity == 0:
		it.Quantity = 1
	}
	return nil
}

// itemPrice resolves an item's price, plan or price_data (which creates a price).
func (c *call) itemPrice(ip *form.Params) (*billing.Price, error) {
	id, hasPrice := ip.String("price")
	plan, hasPlan := ip.String("plan")
	pd := ip.Object("price_data")
	n := 0
	for _, b := range []bool{hasPrice, hasPlan, pd != nil} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, apierr.InvalidRequest("parameter_missing", ip.Param(), "You must pass one of plan, price, or price_data on %s.", ip.Param())
	case n > 1:
		return nil, apierr.InvalidRequest("parameters_exclusive", ip.Path("price"), "You may only specify one of these parameters: plan, price, price_data.")
	case pd != nil:
		return c.inlinePrice(pd)
	}
	param := ip.Path("price")
	if hasPlan {
		id, param = plan, ip.Path("plan")
	}
	if id == "" {
		return nil, apierr.InvalidEmpty(param)
	}
	pr, err := c.getPrice(id, param)
	if err != nil {
		return nil, err
	}
	if !pr.Active {
		return nil, apierr.Invalid(param, "The price specified is inactive. This field only accepts active prices.")
	}
	return pr, nil
}

// checkAttachable refuses, from 2025-03-31.basil, to attach a legacy metered
// price (metered, without a meter) to a subscription or a preview: "You can
// no longer ... attach existing legacy usage-based prices to quotes,
// upcoming invoices, or subscriptions." Items that have one keep billing it.
func (c *call) checkAttachable(pr *billing.Price, ip *form.Params) error {
	if !pr.Metered() || pr.Recurring.Meter != "" || !c.v.Has(apiversion.GateNoLegacyMetered) {
		return nil
	}
	param := ip.Path("price")
	if ip.Has("plan") {
		param = ip.Path("plan")
	}
	return apierr.Invalid(param, "The price %s is a metered price without a meter (recurring[meter]): from API version 2025-03-31.basil such prices can no longer be attached to subscriptions or previews. Use a price with a billing meter; this request used %s.", pr.ID, c.v)
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

// subView is what a subscription renders from: it and its items.
type subView struct {
	sub   *billing.Subscription
	items []itemView
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
	sv := &subView{sub: sub, items: make([]itemView, len(items))}
	for i, it := range items {
		pr, err := rc.getPrice(it.Price, "price")
		if err != nil {
			return nil, err
		}
		sv.items[i] = itemView{it: it, pr: pr, sub: sub}
	}
	return subscriptionShape.render(rc, sv), nil
}

// subField is a field of the subscription object.
type subField = field[*subView]

// subscriptionShape is the subscription at every API version.
var subscriptionShape = newShape("subscription", []subField{
	{name: "id", get: func(_ *renderCtx, v *subView) any { return v.sub.ID }},
	{name: "object", get: func(*renderCtx, *subView) any { return "subscription" }},
	{name: "application", get: null[*subView]},
	{name: "application_fee_percent", get: null[*subView]},
	{name: "automatic_tax", sub: []subField{
		{name: "disabled_reason", get: null[*subView]},
		{name: "enabled", get: func(*renderCtx, *subView) any { return false }},
		{name: "liability", get: null[*subView]},
	}},
	{name: "billing_cycle_anchor", get: func(_ *renderCtx, v *subView) any { return v.sub.BillingCycleAnchor }},
	{name: "billing_cycle_anchor_config", get: null[*subView]},
	{name: "billing_mode", get: func(_ *renderCtx, v *subView) any { return renderBillingMode(v.sub) }},
	{name: "billing_schedules", get: func(*renderCtx, *subView) any { return []any{} }},
	{name: "billing_thresholds", get: null[*subView]},
	{name: "cancel_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.EffectiveCancelAt()) }},
	{name: "cancel_at_period_end", get: func(_ *renderCtx, v *subView) any { return v.sub.CancelAtPeriodEnd }},
	{name: "canceled_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.CanceledAt) }},
	{name: "cancellation_details", sub: []subField{
		{name: "comment", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelComment) }},
		{name: "feedback", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelFeedback) }},
		{name: "feedback_option", get: null[*subView]},
		{name: "reason", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.CancelReason) }},
	}},
	{name: "collection_method", get: func(_ *renderCtx, v *subView) any { return v.sub.CollectionMethod }},
	{name: "created", get: func(_ *renderCtx, v *subView) any { return v.sub.Created }},
	{name: "currency", get: func(_ *renderCtx, v *subView) any { return v.sub.Currency }},
	{name: "current_period_end", get: func(_ *renderCtx, v *subView) any { return v.sub.PeriodEnd }},
	{name: "current_period_start", get: func(_ *renderCtx, v *subView) any { return v.sub.PeriodStart }},
	{name: "customer", get: func(_ *renderCtx, v *subView) any { return v.sub.Customer }},
	{name: "customer_account", get: null[*subView]},
	{name: "days_until_due", get: func(_ *renderCtx, v *subView) any { return orNullInt(v.sub.DaysUntilDue) }},
	{name: "default_payment_method", get: null[*subView]},
	{name: "default_source", get: null[*subView]},
	{name: "default_tax_rates", get: func(*renderCtx, *subView) any { return []any{} }},
	{name: "description", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.Description) }},
	{name: "discount", get: null[*subView]},
	{name: "discounts", get: func(*renderCtx, *subView) any { return []any{} }},
	{name: "ended_at", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.EndedAt) }},
	{name: "invoice_settings", sub: []subField{
		{name: "account_tax_ids", get: null[*subView]},
		{name: "custom_fields", get: null[*subView]},
		{name: "description", get: null[*subView]},
		{name: "footer", get: null[*subView]},
		{name: "issuer", get: func(*renderCtx, *subView) any { return jsonobj.Obj{{K: "type", V: "self"}} }},
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
	{name: "livemode", get: func(*renderCtx, *subView) any { return false }},
	{name: "managed_payments", get: null[*subView]},
	{name: "metadata", get: func(_ *renderCtx, v *subView) any { return metadataOf(v.sub.Metadata) }},
	{name: "next_pending_invoice_item_invoice", get: null[*subView]},
	{name: "on_behalf_of", get: null[*subView]},
	{name: "pause_collection", get: null[*subView]},
	{name: "payment_settings", get: func(*renderCtx, *subView) any {
		return jsonobj.Obj{{K: "payment_method_options", V: nil}, {K: "payment_method_types", V: nil}, {K: "save_default_payment_method", V: "off"}}
	}},
	{name: "pending_invoice_item_interval", get: null[*subView]},
	{name: "pending_setup_intent", get: null[*subView]},
	{name: "pending_update", get: null[*subView], nulled: true},
	{name: "schedule", get: null[*subView]},
	{name: "start_date", get: func(_ *renderCtx, v *subView) any { return v.sub.StartDate }},
	{name: "status", get: func(_ *renderCtx, v *subView) any { return string(v.sub.Status) }},
	{name: "status_details", get: omitted[*subView]},
	{name: "test_clock", get: func(_ *renderCtx, v *subView) any { return orNull(v.sub.TestClock) }},
	{name: "transfer_data", get: null[*subView]},
	{name: "trial_end", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.TrialEnd) }},
	{name: "trial_settings", sub: []subField{
		{name: "end_behavior", sub: []subField{
			{name: "billing_cycle_anchor", get: null[*subView]},
			{name: "missing_payment_method", get: func(_ *renderCtx, v *subView) any { return v.sub.TrialEndBehavior }},
		}},
	}},
	{name: "trial_start", get: func(_ *renderCtx, v *subView) any { return nullIfZero(v.sub.TrialStart) }},
})

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
	{name: "object", get: func(*renderCtx, *itemView) any { return "subscription_item" }},
	{name: "billed_until", get: omitted[*itemView]},
	{name: "billing_thresholds", get: null[*itemView]},
	{name: "created", get: func(_ *renderCtx, v *itemView) any { return v.it.Created }},
	{name: "current_period_end", get: func(_ *renderCtx, v *itemView) any { return v.sub.PeriodEnd }},
	{name: "current_period_start", get: func(_ *renderCtx, v *itemView) any { return v.sub.PeriodStart }},
	{name: "current_trial", get: null[*itemView]},
	{name: "discounts", get: func(*renderCtx, *itemView) any { return []any{} }},
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
	{name: "tax_rates", get: func(*renderCtx, *itemView) any { return []any{} }},
})
