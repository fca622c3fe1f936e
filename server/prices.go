package server

import (
	"slices"
	"strings"

	"github.com/shopspring/decimal"

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

const tPrices = billing.TablePrices

var priceResource = &resource[*billing.Price]{
	resourceDesc: resourceDesc{
		name:   "price",
		noun:   "price",
		table:  billing.Table(tPrices),
		codec:  plainCodec[billing.Price](),
		expand: map[string]string{"product": "product"},
		shape:  priceShape,
		search: &searchable{
			url: "/v1/prices/search",
			fields: map[string]search.FieldType{"active": search.Token, "created": search.Number, "currency": search.Token,
				"lookup_key": search.Text, "product": search.Token, "type": search.Token},
			doc: func(r store.Record) search.Doc {
				pr := r.(*billing.Price)
				typ := "one_time"
				if pr.Recurring != nil {
					typ = "recurring"
				}
				d := fieldDoc{fields: map[string]search.Value{"active": boolValue(pr.Active), "currency": {Str: pr.Currency},
					"product": {Str: pr.Product}, "type": {Str: typ}, "created": num(pr.Created)}, metadata: pr.Metadata}
				if v, ok := text(pr.LookupKey); ok {
					d.fields["lookup_key"] = v
				}
				return d
			},
		},
		events: crudEvents("price"),
		routes: priceEndpoints,
	},
	render: infallible((*renderCtx).renderPrice),
}

// planResource is the legacy plan a subscription item, an invoice line or an
// invoice item shows beside its price (rendered by them: renderPlan).
var planResource = &resource[*billing.Price]{resourceDesc: resourceDesc{
	name:   "plan",
	expand: map[string]string{"product": "product"},
	shape:  planShape,
}}

func priceEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/prices/search", op: "GetPricesSearch", mode: txRead, h: searchPrices},
		{route: "POST /v1/prices", op: "PostPrices", mode: txWrite, h: createPrice,
			accepts: []string{"active", "billing_scheme", "currency", "lookup_key", "metadata", "nickname", "product", "product_data",
				"recurring", "tax_behavior", "tiers", "tiers_mode", "transfer_lookup_key", "transform_quantity", "unit_amount", "unit_amount_decimal"}},
		{route: "GET /v1/prices", op: "GetPrices", mode: txRead, h: listPrices},
		{route: "GET /v1/prices/{price}", op: "GetPricesPrice", mode: txRead, h: retrievePrice},
		{route: "POST /v1/prices/{price}", op: "PostPricesPrice", mode: txWrite, h: updatePrice,
			accepts: []string{"active", "lookup_key", "metadata", "nickname", "tax_behavior", "transfer_lookup_key"}},
	}
}

// amountParam reads an integer amount (key) or a decimal one (key_decimal), which
// exclude each other. It returns nil when neither is given.
func amountParam(p *form.Params, key string) (*decimal.Decimal, error) {
	return decodeAmount(p, key).Value()
}

func createPrice(c *call) (jsonobj.Obj, error) {
	p := c.params
	pr := &billing.Price{Meta: c.newMeta("price"), Active: true, TaxBehavior: "unspecified", Metadata: map[string]string{}}
	cur, _ := p.String("currency")
	pr.Currency = strings.ToLower(cur)
	if !calc.IsCurrency(pr.Currency) {
		return nil, apierr.Invalid("currency", "Invalid currency: %s. Stripe currencies are three-letter ISO codes, such as usd.", apierr.Clip(cur, 20))
	}
	if err := c.priceProduct(pr, p); err != nil {
		return nil, err
	}
	if err := applyPriceAmounts(pr, p); err != nil {
		return nil, err
	}
	if err := c.applyRecurring(pr, p); err != nil {
		return nil, err
	}
	if err := c.applyPriceUpdates(pr, p); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPrices, pr); err != nil {
		return nil, err
	}
	return c.renderPrice(pr), nil
}

// priceProduct sets the price's product: an existing one, or one created from
// product_data.
func (c *call) priceProduct(pr *billing.Price, p *form.Params) error {
	id, hasID := p.String("product")
	pd := p.Object("product_data")
	switch {
	case hasID && pd != nil:
		return apierr.Exclusive("product", "product_data")
	case hasID:
		if id == "" {
			return apierr.InvalidEmpty("product")
		}
		if _, err := c.getProduct(id, "product"); err != nil {
			return err
		}
		pr.Product = id
		return nil
	case pd != nil:
		prod := &product{Meta: c.newMeta("prod"), Active: true, Type: "service", Metadata: map[string]string{}}
		prod.Updated = prod.Created
		if id, ok := pd.String("id"); ok {
			if err := checkCustomID(id, "product_data[id]"); err != nil {
				return err
			}
			if existing, _ := c.tx.Get(tProducts, id); existing != nil {
				return apierr.InvalidRequest("resource_already_exists", "product_data[id]", "Product already exists.")
			}
			prod.ID = id
		}
		if err := applyProductParams(prod, pd); err != nil {
			return err
		}
		if err := c.tx.Put(tProducts, prod); err != nil {
			return err
		}
		pr.Product = prod.ID
		return nil
	}
	return apierr.ParameterMissing("product")
}

// applyPriceAmounts sets the billing scheme, amounts, tiers and transform.
func applyPriceAmounts(pr *billing.Price, p *form.Params) error {
	scheme := p.StringOr("billing_scheme", "per_unit")
	pr.Tiered = scheme == "tiered"
	amount, err := amountParam(p, "unit_amount")
	if err != nil {
		return err
	}
	tq := p.Object("transform_quantity")
	mode, hasMode := p.String("tiers_mode")
	if !pr.Tiered {
		switch {
		case p.Has("tiers"):
			return apierr.Invalid(p.Path("tiers"), "tiers can only be set on prices with billing_scheme=tiered.")
		case hasMode:
			return apierr.Invalid(p.Path("tiers_mode"), "tiers_mode can only be set on prices with billing_scheme=tiered.")
		case amount == nil:
			return apierr.InvalidRequest("parameter_missing", p.Path("unit_amount"), "Missing required param: %s. A price needs one of unit_amount, unit_amount_decimal or custom_unit_amount, unless billing_scheme=tiered.", p.Path("unit_amount"))
		}
		pr.UnitAmount = amount
		if tq != nil {
			div, _ := tq.Int("divide_by")
			if div < 1 {
				return apierr.Invalid(tq.Path("divide_by"), "This value must be greater than or equal to 1.")
			}
			pr.DivideBy = div
			pr.RoundUp = tq.StringOr("round", "") == "up"
		}
		return nil
	}
	switch {
	case tq != nil:
		return apierr.Exclusive(p.Path("tiers"), p.Path("transform_quantity"))
	case amount != nil:
		return apierr.Invalid(p.Path("unit_amount"), "unit_amount and unit_amount_decimal cannot be set on a price with billing_scheme=tiered; set the amounts of each tier in tiers.")
	case !hasMode:
		return apierr.ParameterMissing(p.Path("tiers_mode"))
	case !p.Has("tiers") || p.IsEmpty("tiers"):
		return apierr.ParameterMissing(p.Path("tiers"))
	}
	pr.TiersMode = mode
	tiers := p.Objects("tiers")
	var prev int64
	for i, tp := range tiers {
		var t billing.Tier
		last := i == len(tiers)-1
		if up, ok := tp.Int("up_to"); ok {
			if last {
				return apierr.Invalid(tp.Path("up_to"), "The last tier must have up_to=inf, so that every quantity falls in a tier.")
			}
			if up <= prev {
				return apierr.Invalid(tp.Path("up_to"), "Tiers must be in increasing order of up_to: %d is not greater than %d.", up, prev)
			}
			prev, t.UpTo = up, &up
		} else if !last {
			return apierr.Invalid(tp.Path("up_to"), "Only the last tier can have up_to=inf.")
		}
		if t.UnitAmount, err = amountParam(tp, "unit_amount"); err != nil {
			return err
		}
		if t.FlatAmount, err = amountParam(tp, "flat_amount"); err != nil {
			return err
		}
		if t.UnitAmount == nil && t.FlatAmount == nil {
			return apierr.Invalid(tp.Param(), "An entry in the tiers array is missing an amount: set unit_amount, unit_amount_decimal, flat_amount or flat_amount_decimal on %s.", tp.Param())
		}
		pr.Tiers = append(pr.Tiers, t)
	}
	if len(pr.Tiers) == 0 {
		return apierr.ParameterMissing(p.Path("tiers"))
	}
	return nil
}

// applyRecurring sets the recurring terms; a price without them is one_time.
func (c *call) applyRecurring(pr *billing.Price, p *form.Params) error {
	rp := p.Object("recurring")
	if rp == nil {
		return nil
	}
	r := &billing.Recurring{IntervalCount: 1, UsageType: "licensed"}
	r.Interval, _ = rp.String("interval")
	if n, ok := rp.Int("interval_count"); ok {
		if n < 1 || n > calc.MaxIntervalCount(r.Interval) {
			return apierr.Invalid(rp.Path("interval_count"), "Invalid interval_count: the interval can be at most three years (%d %ss).", calc.MaxIntervalCount(r.Interval), r.Interval)
		}
		r.IntervalCount = n
	}
	if u, ok := rp.String("usage_type"); ok {
		r.UsageType = u
	}
	if n, ok := rp.Int("trial_period_days"); ok {
		if n < 0 || n > 730 {
			return apierr.Invalid(rp.Path("trial_period_days"), "Invalid trial_period_days: must be between 0 and 730.")
		}
		r.TrialPeriodDays = &n
	}
	agg, hasAgg := rp.String("aggregate_usage")
	meterID, hasMeter := rp.String("meter")
	if r.UsageType != "metered" {
		switch {
		case hasMeter:
			return apierr.Invalid(rp.Path("meter"), "A meter can only be set on a price with recurring[usage_type]=metered.")
		case hasAgg:
			return apierr.Invalid(rp.Path("aggregate_usage"), "recurring[aggregate_usage] can only be set on a price with recurring[usage_type]=metered.")
		}
	} else {
		r.AggregateUsage = "sum"
		if hasAgg {
			r.AggregateUsage = agg
		}
	}
	if hasMeter {
		m, err := c.getMeter(meterID, rp.Path("meter"))
		if err != nil {
			return err
		}
		if !m.Active {
			return apierr.Invalid(rp.Path("meter"), "The meter %s is inactive: reactivate it before attaching it to a price.", m.ID)
		}
		if hasAgg && agg != "sum" {
			return apierr.Invalid(rp.Path("aggregate_usage"), "A price with a meter aggregates usage with the meter's formula: recurring[aggregate_usage] can only be sum.")
		}
		r.Meter = m.ID
	}
	if r.UsageType == "metered" && r.Meter == "" && c.v.Has(apiversion.GateNoLegacyMetered) {
		return apierr.InvalidRequest("parameter_missing", rp.Path("meter"), "Missing required param: %s. From API version 2025-03-31.basil a metered price needs a billing meter: prices with usage_type=metered and no meter (legacy usage-based billing) can no longer be created; this request used %s.", rp.Path("meter"), c.v)
	}
	pr.Recurring = r
	return nil
}

// applyPriceUpdates sets what create and update share.
func (c *call) applyPriceUpdates(pr *billing.Price, p *form.Params) error {
	if v, ok := p.Bool("active"); ok {
		if !v && pr.Active {
			if prod, _ := c.tx.Get(tProducts, pr.Product); prod != nil && prod.(*product).DefaultPrice == pr.ID {
				return apierr.Invalid("active", "This price cannot be archived because it is the default price of its product.")
			}
		}
		pr.Active = v
	}
	if v, ok := p.String("nickname"); ok {
		pr.Nickname = v
	}
	if p.IsEmpty("tax_behavior") {
		return apierr.InvalidEmpty("tax_behavior")
	}
	if v, ok := p.String("tax_behavior"); ok {
		if pr.TaxBehavior != "unspecified" && pr.TaxBehavior != v {
			return apierr.Invalid("tax_behavior", "The tax_behavior of a price cannot be changed once it is set to inclusive or exclusive.")
		}
		pr.TaxBehavior = v
	}
	if key, ok := p.String("lookup_key"); ok {
		if err := checkLength("lookup_key", key, 200); err != nil {
			return err
		}
		if key != "" && key != pr.LookupKey {
			other, err := c.tx.FindOne(tPrices, "lookup_key", key)
			if err != nil {
				return err
			}
			if other != nil && other.RecordID() != pr.ID {
				if transfer, _ := p.Bool("transfer_lookup_key"); !transfer {
					return apierr.Invalid("lookup_key", "A price (%s) already uses the lookup key %s; pass transfer_lookup_key=true to move it to this price.", other.RecordID(), key)
				}
				moved := other.(*billing.Price).Clone()
				moved.LookupKey = ""
				if err := c.tx.Put(tPrices, moved); err != nil {
					return err
				}
			}
		}
		pr.LookupKey = key
	}
	md, err := metadata.Apply(pr.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	pr.Metadata = md
	return nil
}

func (rc *renderCtx) getPrice(id, param string) (*billing.Price, error) {
	return billing.GetPrice(rc.tx, id, param)
}

func retrievePrice(c *call) (jsonobj.Obj, error) {
	pr, err := c.getPrice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderPrice(pr), nil
}

func updatePrice(c *call) (jsonobj.Obj, error) {
	cur, err := c.getPrice(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	pr := cur.Clone()
	if err := c.applyPriceUpdates(pr, c.params); err != nil {
		return nil, err
	}
	if err := c.tx.Put(tPrices, pr); err != nil {
		return nil, err
	}
	return c.renderPrice(pr), nil
}

func listPrices(c *call) (jsonobj.Obj, error) {
	p := c.params
	active, byActive := p.Bool("active")
	currency, byCurrency := p.String("currency")
	productID, byProduct := p.String("product")
	typ, byType := p.String("type")
	rec := p.Object("recurring")
	var keys map[string]bool
	if p.Has("lookup_keys") {
		keys = map[string]bool{}
		for _, k := range p.Strings("lookup_keys") {
			keys[k] = true
		}
	}
	match := func(r store.Record) bool {
		pr := r.(*billing.Price)
		if byActive && pr.Active != active || byCurrency && pr.Currency != strings.ToLower(currency) ||
			byProduct && pr.Product != productID || keys != nil && !keys[pr.LookupKey] {
			return false
		}
		if byType && (typ == "recurring") != (pr.Recurring != nil) {
			return false
		}
		if rec != nil {
			if pr.Recurring == nil {
				return false
			}
			if v, ok := rec.String("interval"); ok && pr.Recurring.Interval != v {
				return false
			}
			if v, ok := rec.String("usage_type"); ok && pr.Recurring.UsageType != v {
				return false
			}
			if v, ok := rec.String("meter"); ok && pr.Recurring.Meter != v {
				return false
			}
		}
		return true
	}
	return c.list(tPrices, "price", "/v1/prices", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderPrice(r.(*billing.Price)), nil
	})
}

func (rc *renderCtx) renderPrice(pr *billing.Price) jsonobj.Obj { return priceShape.render(rc, pr) }

func scheme(pr *billing.Price) string {
	if pr.Tiered {
		return "tiered"
	}
	return "per_unit"
}

// transform is a price's transform_quantity (a plan's transform_usage).
func transform(pr *billing.Price) any {
	if pr.DivideBy <= 0 {
		return nil
	}
	round := "down"
	if pr.RoundUp {
		round = "up"
	}
	return jsonobj.Obj{{K: "divide_by", V: pr.DivideBy}, {K: "round", V: round}}
}

// priceField is a field of the price object.
type priceField = field[*billing.Price]

// priceShape is the price at every API version.
var priceShape = newShape("price", []priceField{
	{name: "id", get: func(_ *renderCtx, pr *billing.Price) any { return pr.ID }},
	{name: "object", fixed: always("price")},
	{name: "active", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Active }},
	{name: "billing_scheme", get: func(_ *renderCtx, pr *billing.Price) any { return scheme(pr) }},
	{name: "created", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Created }},
	{name: "currency", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Currency }},
	{name: "custom_unit_amount", fixed: fixedNull},
	{name: "livemode", fixed: fixedFalse},
	{name: "lookup_key", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.LookupKey) }},
	{name: "metadata", get: func(_ *renderCtx, pr *billing.Price) any { return metadataOf(pr.Metadata) }},
	{name: "nickname", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Nickname) }},
	{name: "product", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Product }},
	{name: "recurring", get: func(_ *renderCtx, pr *billing.Price) any {
		if pr.Recurring == nil {
			return nil
		}
		return pr.Recurring
	}, sub: []priceField{
		{name: "aggregate_usage", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Recurring.AggregateUsage) }},
		{name: "interval", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.Interval }},
		{name: "interval_count", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.IntervalCount }},
		{name: "meter", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Recurring.Meter) }},
		{name: "trial_period_days", get: func(_ *renderCtx, pr *billing.Price) any { return orNullInt(pr.Recurring.TrialPeriodDays) }},
		{name: "usage_type", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.UsageType }},
	}},
	{name: "tax_behavior", get: func(_ *renderCtx, pr *billing.Price) any { return pr.TaxBehavior }},
	{name: "tiers", get: func(_ *renderCtx, pr *billing.Price) any { return jsonobj.Hidden{V: renderTiers(pr)} }},
	{name: "tiers_mode", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.TiersMode) }},
	{name: "transform_quantity", get: func(_ *renderCtx, pr *billing.Price) any { return transform(pr) }},
	{name: "type", get: func(_ *renderCtx, pr *billing.Price) any {
		if pr.Recurring != nil {
			return "recurring"
		}
		return "one_time"
	}},
	{name: "unit_amount", get: func(_ *renderCtx, pr *billing.Price) any { return integerOrNull(pr.UnitAmount) }},
	{name: "unit_amount_decimal", get: func(_ *renderCtx, pr *billing.Price) any { return decimalOrNull(pr.UnitAmount) }},
})

// renderTiers is a tiered price's tiers (nil for a per-unit price).
func renderTiers(pr *billing.Price) any {
	if !pr.Tiered {
		return nil
	}
	ts := make([]jsonobj.Obj, len(pr.Tiers))
	for i, t := range pr.Tiers {
		ts[i] = jsonobj.Obj{
			{K: "flat_amount", V: integerOrNull(t.FlatAmount)},
			{K: "flat_amount_decimal", V: decimalOrNull(t.FlatAmount)},
			{K: "unit_amount", V: integerOrNull(t.UnitAmount)},
			{K: "unit_amount_decimal", V: decimalOrNull(t.UnitAmount)},
			{K: "up_to", V: orNullInt(t.UpTo)},
		}
	}
	return ts
}

// priceOrNull renders a price, or null for none (a line without one).
func (rc *renderCtx) priceOrNull(pr *billing.Price) any {
	if pr == nil {
		return nil
	}
	return rc.renderPrice(pr)
}

// renderPlan is the legacy plan mirror of a recurring price that subscription
// items and invoice lines carry (null for none, or a one-time price).
func (rc *renderCtx) renderPlan(pr *billing.Price) any {
	if pr == nil || pr.Recurring == nil {
		return nil
	}
	return planShape.render(rc, pr)
}

// planShape is the plan at every API version (of a recurring price).
var planShape = newShape("plan", []priceField{
	{name: "id", get: func(_ *renderCtx, pr *billing.Price) any { return pr.ID }},
	{name: "object", fixed: always("plan")},
	{name: "active", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Active }},
	{name: "aggregate_usage", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Recurring.AggregateUsage) }},
	{name: "amount", get: func(_ *renderCtx, pr *billing.Price) any { return integerOrNull(pr.UnitAmount) }},
	{name: "amount_decimal", get: func(_ *renderCtx, pr *billing.Price) any { return decimalOrNull(pr.UnitAmount) }},
	{name: "billing_scheme", get: func(_ *renderCtx, pr *billing.Price) any { return scheme(pr) }},
	{name: "created", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Created }},
	{name: "currency", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Currency }},
	{name: "interval", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.Interval }},
	{name: "interval_count", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.IntervalCount }},
	{name: "livemode", fixed: fixedFalse},
	{name: "metadata", get: func(_ *renderCtx, pr *billing.Price) any { return metadataOf(pr.Metadata) }},
	{name: "meter", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Recurring.Meter) }},
	{name: "nickname", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.Nickname) }},
	{name: "product", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Product }},
	{name: "tiers_mode", get: func(_ *renderCtx, pr *billing.Price) any { return orNull(pr.TiersMode) }},
	{name: "transform_usage", get: func(_ *renderCtx, pr *billing.Price) any { return transform(pr) }},
	{name: "trial_period_days", get: func(_ *renderCtx, pr *billing.Price) any { return orNullInt(pr.Recurring.TrialPeriodDays) }},
	{name: "usage_type", get: func(_ *renderCtx, pr *billing.Price) any { return pr.Recurring.UsageType }},
})

func searchPrices(c *call) (jsonobj.Obj, error) {
	return c.search("price")
}

// pricesOfProduct lists a product's prices.
func (c *call) pricesOfProduct(productID string) ([]*billing.Price, error) {
	recs, err := c.tx.Find(tPrices, "product", productID)
	if err != nil {
		return nil, err
	}
	out := make([]*billing.Price, len(recs))
	for i, r := range recs {
		out[i] = r.(*billing.Price)
	}
	return slices.Clip(out), nil
}
