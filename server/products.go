package server

import (
	"maps"
	"slices"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/billing"
	"github.com/stripe-emulator/stripe-emulator/internal/billing/calc"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// product is a stored Product. Deleted products are removed; retrieving one then
// answers resource_missing, as Stripe does.
type product struct {
	store.Meta
	Active              bool
	DefaultPrice        string
	Description         string
	Images              []string
	MarketingFeatures   []string
	Metadata            map[string]string
	Name                string
	PackageDimensions   jsonobj.Obj
	Shippable           *bool
	StatementDescriptor string
	TaxCode             string
	Type                string
	UnitLabel           string
	Updated             int64
	URL                 string
}

// BillingName and BillingUnitLabel are what a line's description names
// (billing.ProductView).
func (p *product) BillingName() string      { return p.Name }
func (p *product) BillingUnitLabel() string { return p.UnitLabel }

func (p *product) clone() *product {
	n := *p
	n.Metadata = maps.Clone(p.Metadata)
	n.Images = slices.Clone(p.Images)
	n.MarketingFeatures = slices.Clone(p.MarketingFeatures)
	return &n
}

const tProducts = billing.TableProducts

var productResource = &resource[*product]{
	resourceDesc: resourceDesc{
		name:  "product",
		noun:  "product",
		table: store.Table{Name: tProducts, CustomIDs: true},
		codec: shadowCodec(func(p *product) *productState {
			return &productState{product: p, PackageDimensions: stateObj(p.PackageDimensions)}
		}, func(st *productState) *product {
			p := st.product
			p.PackageDimensions = jsonobj.Obj(st.PackageDimensions)
			return p
		}),
		expand: map[string]string{"default_price": "price", "tax_code": "tax_code"},
		shape:  productShape,
		search: &searchable{
			url: "/v1/products/search",
			fields: map[string]search.FieldType{"active": search.Token, "created": search.Number, "description": search.Text,
				"name": search.Text, "shippable": search.Token, "url": search.Text},
			doc: func(r store.Record) search.Doc {
				pr := r.(*product)
				d := fieldDoc{fields: map[string]search.Value{"created": num(pr.Created), "active": boolValue(pr.Active)}, metadata: pr.Metadata}
				for k, v := range map[string]string{"description": pr.Description, "name": pr.Name, "url": pr.URL} {
					if val, ok := text(v); ok {
						d.fields[k] = val
					}
				}
				if pr.Shippable != nil {
					d.fields["shippable"] = boolValue(*pr.Shippable)
				}
				return d
			},
		},
		events: crudEvents("product"),
		routes: productEndpoints,
	},
	render: infallible((*renderCtx).renderProduct),
}

// productState is a product in a state file.
type productState struct {
	*product
	PackageDimensions stateObj
}

var productUpdateParams = []string{"active", "description", "images", "marketing_features", "metadata", "name",
	"package_dimensions", "shippable", "statement_descriptor", "tax_code", "unit_label", "url"}

func productEndpoints() []endpoint {
	return []endpoint{
		{route: "GET /v1/products/search", op: "GetProductsSearch", mode: txRead, h: searchProducts},
		{route: "POST /v1/products", op: "PostProducts", mode: txWrite, h: createProduct, accepts: append([]string{"id", "type", "default_price_data"}, productUpdateParams...),
			rejects: []string{"default_price_data.currency_options"}},
		{route: "GET /v1/products", op: "GetProducts", mode: txRead, h: listProducts},
		{route: "GET /v1/products/{id}", op: "GetProductsId", mode: txRead, h: retrieveProduct},
		{route: "POST /v1/products/{id}", op: "PostProductsId", mode: txWrite, h: updateProduct, accepts: append([]string{"default_price"}, productUpdateParams...)},
		{route: "DELETE /v1/products/{id}", op: "DeleteProductsId", mode: txWrite, h: deleteProduct},
	}
}

func createProduct(c *call) (jsonobj.Obj, error) {
	p := c.params
	pr := &product{Meta: c.newMeta("prod"), Active: true, Type: "service", Metadata: map[string]string{}}
	pr.Updated = pr.Created
	if id, ok := p.String("id"); ok {
		if err := checkCustomID(id, "id"); err != nil {
			return nil, err
		}
		existing, err := c.tx.Get(tProducts, id)
		if err != nil {
			return nil, err
		}
		if existing != nil {
			return nil, apierr.InvalidRequest("resource_already_exists", "id", "Product already exists.")
		}
		pr.ID = id
	}
	if t, ok := p.String("type"); ok {
		pr.Type = t
	}
	if err := applyProductParams(pr, p); err != nil {
		return nil, err
	}
	if dp := p.Object("default_price_data"); dp != nil {
		id, err := c.createDefaultPrice(pr, dp)
		if err != nil {
			return nil, err
		}
		pr.DefaultPrice = id
	}
	if err := c.tx.Put(tProducts, pr); err != nil {
		return nil, err
	}
	return c.renderProduct(pr), nil
}

// createDefaultPrice creates the price of a product's default_price_data.
func (c *call) createDefaultPrice(prod *product, dp *form.Params) (string, error) {
	cur, _ := dp.String("currency")
	pr := &billing.Price{Meta: c.newMeta("price"), Active: true, Product: prod.ID, Currency: strings.ToLower(cur),
		TaxBehavior: dp.StringOr("tax_behavior", "unspecified"), Metadata: map[string]string{}}
	if !calc.IsCurrency(pr.Currency) {
		return "", apierr.Invalid("default_price_data[currency]", "Invalid currency: %s.", apierr.Clip(cur, 20))
	}
	if err := applyPriceAmounts(pr, dp); err != nil {
		return "", err
	}
	if err := c.applyRecurring(pr, dp); err != nil {
		return "", err
	}
	return pr.ID, c.tx.Put(tPrices, pr)
}

func applyProductParams(pr *product, p *form.Params) error {
	if v, ok := p.String("name"); ok {
		if v == "" {
			return apierr.InvalidEmpty("name")
		}
		pr.Name = v
	}
	if v, ok := p.Bool("active"); ok {
		pr.Active = v
	}
	for _, f := range []struct {
		key string
		dst *string
		max int
	}{{"description", &pr.Description, 40000}, {"statement_descriptor", &pr.StatementDescriptor, 22},
		{"tax_code", &pr.TaxCode, 0}, {"unit_label", &pr.UnitLabel, 12}, {"url", &pr.URL, 5000}} {
		if v, ok := p.String(f.key); ok {
			if err := maxLen(p, f.key, v, f.max); err != nil {
				return err
			}
			*f.dst = v
		}
	}
	if p.Has("images") {
		imgs := p.Strings("images")
		if len(imgs) > 8 {
			return apierr.Invalid("images", "A product can have at most 8 images, but you've set %d.", len(imgs))
		}
		pr.Images = imgs
	}
	if p.Has("marketing_features") {
		pr.MarketingFeatures = nil
		for _, f := range p.Objects("marketing_features") {
			name, _ := f.String("name")
			pr.MarketingFeatures = append(pr.MarketingFeatures, name)
		}
		if len(pr.MarketingFeatures) > 15 {
			return apierr.Invalid("marketing_features", "A product can have at most 15 marketing features, but you've set %d.", len(pr.MarketingFeatures))
		}
	}
	if p.IsEmpty("package_dimensions") {
		pr.PackageDimensions = nil
	} else if pd := p.Object("package_dimensions"); pd != nil {
		pr.PackageDimensions = subObject(pd, []string{"height", "length", "weight", "width"}, nil)
	}
	if v, ok := p.Bool("shippable"); ok {
		pr.Shippable = &v
	}
	md, err := metadata.Apply(pr.Metadata, decodeMetadata(p, "metadata"))
	if err != nil {
		return err
	}
	pr.Metadata = md
	return nil
}

func (c *call) getProduct(id, param string) (*product, error) {
	return getRecord[*product](c.tx, tProducts, "product", id, param)
}

func retrieveProduct(c *call) (jsonobj.Obj, error) {
	pr, err := c.getProduct(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	return c.renderProduct(pr), nil
}

func updateProduct(c *call) (jsonobj.Obj, error) {
	cur, err := c.getProduct(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	pr := cur.clone()
	if err := applyProductParams(pr, c.params); err != nil {
		return nil, err
	}
	if id, ok := c.params.String("default_price"); ok {
		if id != "" {
			dp, err := c.getPrice(id, "default_price")
			if err != nil {
				return nil, err
			}
			if dp.Product != pr.ID {
				return nil, apierr.Invalid("default_price", "The price %s belongs to another product (%s).", id, dp.Product)
			}
			if !dp.Active {
				return nil, apierr.Invalid("default_price", "The price %s is inactive; only an active price can be a product's default price.", id)
			}
		}
		pr.DefaultPrice = id
	}
	pr.Updated = c.unix()
	if err := c.tx.Put(tProducts, pr); err != nil {
		return nil, err
	}
	return c.renderProduct(pr), nil
}

func deleteProduct(c *call) (jsonobj.Obj, error) {
	pr, err := c.getProduct(c.pathID(), "id")
	if err != nil {
		return nil, err
	}
	if prices, err := c.pricesOfProduct(pr.ID); err != nil {
		return nil, err
	} else if len(prices) > 0 {
		return nil, apierr.InvalidRequest("", "", "This product cannot be deleted because it has one or more user-created prices.")
	}
	if err := c.tx.Remove(tProducts, pr); err != nil {
		return nil, err
	}
	return jsonobj.Obj{{K: "id", V: pr.ID}, {K: "object", V: "product"}, {K: "deleted", V: true}}, nil
}

func listProducts(c *call) (jsonobj.Obj, error) {
	p := c.params
	active, byActive := p.Bool("active")
	shippable, byShippable := p.Bool("shippable")
	typ, byType := p.String("type")
	url, byURL := p.String("url")
	var ids map[string]bool
	if p.Has("ids") {
		ids = map[string]bool{}
		for _, id := range p.Strings("ids") {
			ids[id] = true
		}
	}
	match := func(r store.Record) bool {
		pr := r.(*product)
		return (!byActive || pr.Active == active) &&
			(!byShippable || (pr.Shippable != nil && *pr.Shippable == shippable)) &&
			(!byType || pr.Type == typ) &&
			(!byURL || pr.URL == url) &&
			(ids == nil || ids[pr.ID])
	}
	return c.list(tProducts, "product", "/v1/products", match, func(r store.Record) (jsonobj.Obj, error) {
		return c.renderProduct(r.(*product)), nil
	})
}

func (rc *renderCtx) renderProduct(pr *product) jsonobj.Obj { return productShape.render(rc, pr) }

// productField is a field of the product object.
type productField = field[*product]

// productShape is the product at every API version.
var productShape = newShape("product", []productField{
	{name: "id", get: func(_ *renderCtx, pr *product) any { return pr.ID }},
	{name: "object", fixed: always("product")},
	{name: "active", get: func(_ *renderCtx, pr *product) any { return pr.Active }},
	{name: "created", get: func(_ *renderCtx, pr *product) any { return pr.Created }},
	{name: "default_price", get: func(_ *renderCtx, pr *product) any { return orNull(pr.DefaultPrice) }},
	{name: "description", get: func(_ *renderCtx, pr *product) any { return orNull(pr.Description) }},
	{name: "images", get: func(_ *renderCtx, pr *product) any {
		if pr.Images == nil {
			return []string{}
		}
		return pr.Images
	}},
	{name: "livemode", fixed: fixedFalse},
	{name: "marketing_features", get: func(_ *renderCtx, pr *product) any {
		features := make([]jsonobj.Obj, len(pr.MarketingFeatures))
		for i, f := range pr.MarketingFeatures {
			features[i] = jsonobj.Obj{{K: "name", V: f}}
		}
		return features
	}},
	{name: "metadata", get: func(_ *renderCtx, pr *product) any { return metadataOf(pr.Metadata) }},
	{name: "name", get: func(_ *renderCtx, pr *product) any { return pr.Name }},
	{name: "package_dimensions", get: func(_ *renderCtx, pr *product) any { return nilObj(pr.PackageDimensions) }},
	{name: "shippable", get: func(_ *renderCtx, pr *product) any {
		if pr.Shippable == nil {
			return nil
		}
		return *pr.Shippable
	}},
	{name: "statement_descriptor", get: func(_ *renderCtx, pr *product) any { return orNull(pr.StatementDescriptor) }},
	{name: "tax_code", get: func(_ *renderCtx, pr *product) any { return orNull(pr.TaxCode) }},
	// tax_details (2026-09-30.endive): its parameter is one the emulator does
	// not support yet, so a product never has any.
	{name: "tax_details", fixed: fixedAbsent},
	{name: "type", get: func(_ *renderCtx, pr *product) any { return pr.Type }},
	{name: "unit_label", get: func(_ *renderCtx, pr *product) any { return orNull(pr.UnitLabel) }},
	{name: "updated", get: func(_ *renderCtx, pr *product) any { return pr.Updated }},
	{name: "url", get: func(_ *renderCtx, pr *product) any { return orNull(pr.URL) }},
})
