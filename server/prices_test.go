package server

import (
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// alpacaPrice creates the guide's price: 0.04 USD per 1000 tokens, monthly, on the meter.
func alpacaPrice(t *testing.T, sc *client.API, meterID string) *stripe.Price {
	t.Helper()
	p, err := sc.Prices.New(&stripe.PriceParams{
		Currency:          stripe.String("usd"),
		UnitAmount:        stripe.Int64(4),
		BillingScheme:     stripe.String("per_unit"),
		TransformQuantity: &stripe.PriceTransformQuantityParams{DivideBy: stripe.Int64(1000), Round: stripe.String("up")},
		Recurring: &stripe.PriceRecurringParams{
			UsageType: stripe.String("metered"),
			Interval:  stripe.String("month"),
			Meter:     stripe.String(meterID),
		},
		ProductData: &stripe.PriceProductDataParams{Name: stripe.String("Alpaca AI tokens")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPriceAlpaca(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	p := alpacaPrice(t, e.sc, m.ID)
	if !strings.HasPrefix(p.ID, "price_") || p.UnitAmount != 4 || p.UnitAmountDecimal != 4 || p.Currency != "usd" || p.Type != "recurring" || p.BillingScheme != "per_unit" {
		t.Errorf("price: %+v", p)
	}
	if p.TransformQuantity == nil || p.TransformQuantity.DivideBy != 1000 || p.TransformQuantity.Round != "up" {
		t.Errorf("transform: %+v", p.TransformQuantity)
	}
	r := p.Recurring
	if r.Interval != "month" || r.IntervalCount != 1 || r.UsageType != "metered" || r.Meter != m.ID || r.AggregateUsage != "sum" {
		t.Errorf("recurring: %+v", r)
	}
	if p.Product == nil || !strings.HasPrefix(p.Product.ID, "prod_") {
		t.Fatalf("product: %+v", p.Product)
	}
	prod, err := e.sc.Products.Get(p.Product.ID, nil)
	if err != nil || prod.Name != "Alpaca AI tokens" || prod.Type != "service" {
		t.Errorf("product_data product: %v %+v", err, prod)
	}
	raw := e.do("GET", "/v1/prices/"+p.ID, "")
	checkShape(t, "price", raw.body)
	if !strings.Contains(string(raw.body), `"unit_amount_decimal":"4"`) || strings.Contains(string(raw.body), `"tiers"`) {
		t.Errorf("decimal as a string, tiers hidden: %s", raw.body)
	}
	// expand product
	gp := &stripe.PriceParams{}
	gp.AddExpand("product")
	got, err := e.sc.Prices.Get(p.ID, gp)
	if err != nil || got.Product.Name != "Alpaca AI tokens" {
		t.Errorf("expand product: %v %+v", err, got.Product)
	}
	// A product with prices can no longer be deleted.
	_, err = e.sc.Products.Del(p.Product.ID, nil)
	se := wantErr(t, err, 400, "", "")
	if se.Msg != "This product cannot be deleted because it has one or more user-created prices." {
		t.Errorf("delete message: %q", se.Msg)
	}
}

func TestPriceDecimalAndTiers(t *testing.T) {
	e := newEnv(t)
	prod, err := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("API")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := e.sc.Prices.New(&stripe.PriceParams{Currency: stripe.String("usd"), Product: stripe.String(prod.ID), UnitAmountDecimal: stripe.Float64(0.004)})
	if err != nil {
		t.Fatal(err)
	}
	if dec.UnitAmount != 0 || dec.UnitAmountDecimal != 0.004 || dec.Type != "one_time" || dec.Recurring != nil {
		t.Errorf("decimal price: %+v", dec)
	}
	raw := e.do("GET", "/v1/prices/"+dec.ID, "")
	if raw.json["unit_amount"] != nil || raw.json["unit_amount_decimal"] != "0.004" {
		t.Errorf("decimal echo: %s", raw.body)
	}
	tiered, err := e.sc.Prices.New(&stripe.PriceParams{
		Currency: stripe.String("usd"), Product: stripe.String(prod.ID), BillingScheme: stripe.String("tiered"), TiersMode: stripe.String("graduated"),
		Recurring: &stripe.PriceRecurringParams{Interval: stripe.String("month"), UsageType: stripe.String("metered")},
		Tiers: []*stripe.PriceTierParams{
			{UpTo: stripe.Int64(1000), UnitAmount: stripe.Int64(0), FlatAmount: stripe.Int64(900)},
			{UpToInf: stripe.Bool(true), UnitAmountDecimal: stripe.Float64(3.6)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tiered.UnitAmount != 0 || len(tiered.Tiers) != 0 || tiered.TiersMode != "graduated" || tiered.Recurring.Meter != "" || tiered.Recurring.AggregateUsage != "sum" {
		t.Errorf("tiered price: %+v", tiered)
	}
	gp := &stripe.PriceParams{}
	gp.AddExpand("tiers")
	withTiers, err := e.sc.Prices.Get(tiered.ID, gp)
	if err != nil {
		t.Fatal(err)
	}
	if len(withTiers.Tiers) != 2 || withTiers.Tiers[0].UpTo != 1000 || withTiers.Tiers[0].FlatAmount != 900 || withTiers.Tiers[1].UpTo != 0 || withTiers.Tiers[1].UnitAmountDecimal != 3.6 {
		t.Errorf("tiers: %+v %+v", withTiers.Tiers[0], withTiers.Tiers[1])
	}
	raw = e.do("GET", "/v1/prices/"+tiered.ID+"?expand[]=tiers", "")
	checkShape(t, "price", raw.body)
	if !strings.Contains(string(raw.body), `{"flat_amount":null,"flat_amount_decimal":null,"unit_amount":null,"unit_amount_decimal":"3.6","up_to":null}`) {
		t.Errorf("inf tier rendering: %s", raw.body)
	}
}

func TestPriceValidation(t *testing.T) {
	e := newEnv(t)
	m := alpacaMeter(t, e.sc)
	prod := e.do("POST", "/v1/products", "name=P").json["id"].(string)
	base := "currency=usd&product=" + prod
	monthly := "&recurring[interval]=month"
	for _, tt := range []struct{ body, code, param, msg string }{
		{"product=" + prod + "&unit_amount=5", "parameter_missing", "currency", "Missing required param: currency."},
		{"currency=usd&unit_amount=5", "parameter_missing", "product", ""},
		{base + "&product_data[name]=x&unit_amount=5", "parameters_exclusive", "product", "You may only specify one of these parameters: product, product_data."},
		{"currency=usd&product=prod_nope&unit_amount=5", "resource_missing", "product", "No such product: 'prod_nope'"},
		{"currency=dollars&product=" + prod + "&unit_amount=5", "parameter_invalid", "currency", "Invalid currency"},
		{base, "parameter_missing", "unit_amount", "Missing required param: unit_amount."},
		{base + "&unit_amount=5&unit_amount_decimal=5.5", "parameters_exclusive", "unit_amount", "You may only specify one of these parameters: unit_amount, unit_amount_decimal."},
		{base + "&unit_amount=-5", "parameter_invalid", "unit_amount", "greater than or equal to 0"},
		{base + "&unit_amount_decimal=0.0000000000001", "parameter_invalid", "unit_amount_decimal", "at most 12 decimal places"},
		{base + "&unit_amount_decimal=abc", "", "unit_amount_decimal", "Invalid decimal: abc"},
		{base + "&billing_scheme=tiered&tiers[0][up_to]=inf&tiers[0][unit_amount]=5", "parameter_missing", "tiers_mode", ""},
		{base + "&billing_scheme=tiered&tiers_mode=volume", "parameter_missing", "tiers", ""},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=10&tiers[0][unit_amount]=5", "parameter_invalid", "tiers[0][up_to]", "last tier must have up_to=inf"},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=5&tiers[1][up_to]=inf&tiers[1][unit_amount]=4", "parameter_invalid", "tiers[0][up_to]", "Only the last tier"},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=10&tiers[0][unit_amount]=5&tiers[1][up_to]=5&tiers[1][unit_amount]=4&tiers[2][up_to]=inf&tiers[2][unit_amount]=1", "parameter_invalid", "tiers[1][up_to]", "increasing order"},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf", "parameter_invalid", "tiers[0]", "missing an amount"},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=1&tiers[0][unit_amount_decimal]=1", "parameters_exclusive", "tiers[0][unit_amount]", ""},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=1&transform_quantity[divide_by]=10&transform_quantity[round]=up", "parameters_exclusive", "tiers", "You may only specify one of these parameters: tiers, transform_quantity."},
		{base + "&billing_scheme=tiered&tiers_mode=volume&tiers[0][up_to]=inf&tiers[0][unit_amount]=1&unit_amount=5", "parameter_invalid", "unit_amount", ""},
		{base + "&unit_amount=5&tiers[0][up_to]=inf&tiers[0][unit_amount]=1", "parameter_invalid", "tiers", "billing_scheme=tiered"},
		{base + "&unit_amount=5&tiers_mode=volume", "parameter_invalid", "tiers_mode", ""},
		{base + "&billing_scheme=tiered&tiers_mode=stepped&tiers[0][up_to]=inf&tiers[0][unit_amount]=1", "", "tiers_mode", "Invalid tiers_mode: must be one of graduated or volume"},
		{base + "&unit_amount=5&transform_quantity[divide_by]=0&transform_quantity[round]=up", "parameter_invalid", "transform_quantity[divide_by]", ""},
		{base + "&unit_amount=5&transform_quantity[divide_by]=10", "parameter_missing", "transform_quantity[round]", ""},
		{base + "&unit_amount=5&recurring[usage_type]=metered", "parameter_missing", "recurring[interval]", ""},
		{base + "&unit_amount=5" + monthly + "&recurring[interval_count]=37", "parameter_invalid", "recurring[interval_count]", "three years"},
		{base + "&unit_amount=5&recurring[interval]=fortnight", "", "recurring[interval]", "Invalid interval: must be one of day, month, week, or year"},
		{base + "&unit_amount=5" + monthly + "&recurring[meter]=" + m.ID, "parameter_invalid", "recurring[meter]", "usage_type]=metered"},
		{base + "&unit_amount=5" + monthly + "&recurring[usage_type]=metered&recurring[meter]=mtr_nope", "resource_missing", "recurring[meter]", "No such billing meter"},
		{base + "&unit_amount=5" + monthly + "&recurring[usage_type]=metered&recurring[meter]=" + m.ID + "&recurring[aggregate_usage]=max", "parameter_invalid", "recurring[aggregate_usage]", "can only be sum"},
		{base + "&unit_amount=5" + monthly + "&recurring[aggregate_usage]=sum", "parameter_invalid", "recurring[aggregate_usage]", ""},
		{base + "&unit_amount=5&custom_unit_amount[enabled]=true", "", "custom_unit_amount", "does not support"},
	} {
		r := e.do("POST", "/v1/prices", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%s: %d %s", strings.TrimPrefix(tt.body, base), r.status, r.body)
		}
	}
	if _, err := e.sc.BillingMeters.Deactivate(m.ID, nil); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/v1/prices", base+"&unit_amount=5"+monthly+"&recurring[usage_type]=metered&recurring[meter]="+m.ID)
	if r.status != 400 || r.errField("param") != "recurring[meter]" || !strings.Contains(r.errField("message"), "inactive") {
		t.Errorf("inactive meter: %s", r.body)
	}
	if got := e.do("GET", "/v1/prices", ""); len(got.json["data"].([]any)) != 0 {
		t.Errorf("failed creates stored prices: %s", got.body)
	}
}

func TestPriceUpdateLookupKeysListAndSearch(t *testing.T) {
	e := newEnv(t)
	prodA := e.do("POST", "/v1/products", "name=A").json["id"].(string)
	prodB := e.do("POST", "/v1/products", "name=B").json["id"].(string)
	mk := func(body string) string {
		t.Helper()
		r := e.do("POST", "/v1/prices", body)
		if r.status != 200 {
			t.Fatalf("%s: %s", body, r.body)
		}
		return r.json["id"].(string)
	}
	p1 := mk("currency=usd&unit_amount=100&product=" + prodA + "&lookup_key=basic&recurring[interval]=month")
	p2 := mk("currency=eur&unit_amount=200&product=" + prodA + "&recurring[interval]=year&nickname=yearly")
	p3 := mk("currency=usd&unit_amount=5&product=" + prodB)
	if r := e.do("POST", "/v1/prices", "currency=usd&unit_amount=1&product="+prodB+"&lookup_key=basic"); r.status != 400 || r.errField("param") != "lookup_key" {
		t.Errorf("duplicate lookup key: %s", r.body)
	}
	p4 := mk("currency=usd&unit_amount=1&product=" + prodB + "&lookup_key=basic&transfer_lookup_key=true")
	if got := e.do("GET", "/v1/prices/"+p1, ""); got.json["lookup_key"] != nil {
		t.Errorf("lookup key not transferred: %s", got.body)
	}

	u, err := e.sc.Prices.Update(p2, &stripe.PriceParams{Active: stripe.Bool(false), Nickname: stripe.String("old"), TaxBehavior: stripe.String("exclusive"),
		Params: stripe.Params{Metadata: map[string]string{"k": "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Active || u.Nickname != "old" || u.TaxBehavior != "exclusive" || u.Metadata["k"] != "v" || u.UnitAmount != 200 {
		t.Errorf("update: %+v", u)
	}
	if r := e.do("POST", "/v1/prices/"+p2, "tax_behavior=inclusive"); r.status != 400 {
		t.Errorf("tax_behavior changed twice: %s", r.body)
	}
	if r := e.do("POST", "/v1/prices/"+p2, "unit_amount=5"); r.status != 400 || r.errField("code") != "parameter_unknown" {
		t.Errorf("amounts are immutable: %s", r.body)
	}

	list := func(q string) []string {
		t.Helper()
		r := e.do("GET", "/v1/prices?"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: %s", q, r.body)
		}
		var ids []string
		for _, d := range r.json["data"].([]any) {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		return ids
	}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"", []string{p4, p3, p2, p1}},
		{"active=false", []string{p2}},
		{"product=" + prodA, []string{p2, p1}},
		{"currency=eur", []string{p2}},
		{"type=one_time", []string{p4, p3}},
		{"type=recurring", []string{p2, p1}},
		{"recurring[interval]=year", []string{p2}},
		{"lookup_keys[]=basic", []string{p4}},
		{"recurring[usage_type]=licensed", []string{p2, p1}},
	} {
		if got := list(tt.q); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("list %q: %v, want %v", tt.q, got, tt.want)
		}
	}
	it := e.sc.Prices.List(&stripe.PriceListParams{LookupKeys: stripe.StringSlice([]string{"basic"})})
	if !it.Next() || it.Price().ID != p4 {
		t.Errorf("stripe-go lookup_keys: %v", it.Err())
	}
	sr := e.sc.Prices.Search(&stripe.PriceSearchParams{SearchParams: stripe.SearchParams{Query: "currency:'usd' AND type:'recurring'"}})
	var found []string
	for sr.Next() {
		found = append(found, sr.Price().ID)
	}
	if len(found) != 1 || found[0] != p1 {
		t.Errorf("search: %v %v", found, sr.Err())
	}
}

func TestProductDefaultPrice(t *testing.T) {
	e := newEnv(t)
	prod, err := e.sc.Products.New(&stripe.ProductParams{Name: stripe.String("Seat"), DefaultPriceData: &stripe.ProductDefaultPriceDataParams{
		Currency: stripe.String("usd"), UnitAmount: stripe.Int64(1500), Recurring: &stripe.ProductDefaultPriceDataRecurringParams{Interval: stripe.String("month")}}})
	if err != nil {
		t.Fatal(err)
	}
	if prod.DefaultPrice == nil || prod.DefaultPrice.ID == "" {
		t.Fatalf("default price: %+v", prod)
	}
	gp := &stripe.ProductParams{}
	gp.AddExpand("default_price")
	got, err := e.sc.Products.Get(prod.ID, gp)
	if err != nil || got.DefaultPrice.UnitAmount != 1500 || got.DefaultPrice.Recurring.Interval != "month" {
		t.Fatalf("expanded default price: %v %+v", err, got.DefaultPrice)
	}
	// The default price cannot be archived; unset it first.
	_, err = e.sc.Prices.Update(prod.DefaultPrice.ID, &stripe.PriceParams{Active: stripe.Bool(false)})
	wantErr(t, err, 400, "parameter_invalid", "active")
	other := e.do("POST", "/v1/products", "name=Other").json["id"].(string)
	foreign := e.do("POST", "/v1/prices", "currency=usd&unit_amount=1&product="+other).json["id"].(string)
	if r := e.do("POST", "/v1/products/"+prod.ID, "default_price="+foreign); r.status != 400 || r.errField("param") != "default_price" {
		t.Errorf("another product's price: %s", r.body)
	}
	if r := e.do("POST", "/v1/products/"+prod.ID, "default_price="); r.status != 200 || r.json["default_price"] != nil {
		t.Fatalf("unset default price: %s", r.body)
	}
	if _, err := e.sc.Prices.Update(prod.DefaultPrice.ID, &stripe.PriceParams{Active: stripe.Bool(false)}); err != nil {
		t.Errorf("archive after unsetting: %v", err)
	}
}
