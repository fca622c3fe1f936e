package server

import (
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

func TestProductCRUD(t *testing.T) {
	e := newEnv(t)
	p, err := e.sc.Products.New(&stripe.ProductParams{
		Name:        stripe.String("Alpaca AI"),
		Description: stripe.String("Tokens"),
		UnitLabel:   stripe.String("token"),
		Images:      stripe.StringSlice([]string{"https://example.com/a.png"}),
		MarketingFeatures: []*stripe.ProductMarketingFeatureParams{
			{Name: stripe.String("Fast")},
		},
		PackageDimensions: &stripe.ProductPackageDimensionsParams{Height: stripe.Float64(2.5), Length: stripe.Float64(1), Weight: stripe.Float64(3), Width: stripe.Float64(4)},
		Shippable:         stripe.Bool(false),
		URL:               stripe.String("https://alpaca.example"),
		Params:            stripe.Params{Metadata: map[string]string{"tier": "ai"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.ID, "prod_") || !p.Active || p.Type != "service" || p.Name != "Alpaca AI" || p.UnitLabel != "token" {
		t.Errorf("created: %+v", p)
	}
	if len(p.Images) != 1 || len(p.MarketingFeatures) != 1 || p.MarketingFeatures[0].Name != "Fast" || p.Shippable || p.URL != "https://alpaca.example" {
		t.Errorf("lists: %+v", p)
	}
	if p.PackageDimensions == nil || p.PackageDimensions.Height != 2.5 || p.Created != t0.Unix() || p.Updated != p.Created || p.Metadata["tier"] != "ai" {
		t.Errorf("dimensions/times/metadata: %+v %+v", p, p.PackageDimensions)
	}

	e.clock.Add(time.Hour)
	u, err := e.sc.Products.Update(p.ID, &stripe.ProductParams{Active: stripe.Bool(false), Name: stripe.String("Alpaca AI v2")})
	if err != nil {
		t.Fatal(err)
	}
	if u.Active || u.Name != "Alpaca AI v2" || u.Updated != t0.Unix()+3600 || u.Created != t0.Unix() || u.Description != "Tokens" {
		t.Errorf("updated: %+v", u)
	}
	if r := e.do("POST", "/v1/products/"+p.ID, "name="); r.status != 400 || r.errField("code") != "parameter_invalid_empty" {
		t.Errorf("empty name: %s", r.body)
	}
	if r := e.do("POST", "/v1/products/"+p.ID, "type=good"); r.status != 400 || r.errField("code") != "parameter_unknown" {
		t.Errorf("type is not updatable: %s", r.body)
	}

	got, err := e.sc.Products.Get(p.ID, nil)
	if err != nil || got.Name != "Alpaca AI v2" {
		t.Fatalf("get: %v %+v", err, got)
	}
	del, err := e.sc.Products.Del(p.ID, nil)
	if err != nil || !del.Deleted || del.ID != p.ID {
		t.Fatalf("delete: %v %+v", err, del)
	}
	_, err = e.sc.Products.Get(p.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
	_, err = e.sc.Products.Del(p.ID, nil)
	wantErr(t, err, 404, "resource_missing", "id")
}

func TestProductValidation(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ body, code, param, msg string }{
		{"", "parameter_missing", "name", "Missing required param: name."},
		{"name=", "parameter_invalid_empty", "name", "You passed an empty string for 'name'"},
		{"name=x&type=thing", "", "type", "Invalid type: must be one of good or service"},
		{"name=x&active=yes", "", "active", "Invalid boolean: yes"},
		{"name=x&statement_descriptor=" + strings.Repeat("s", 23), "parameter_invalid", "statement_descriptor", "at most 22 characters"},
		{"name=x&id=has space", "parameter_invalid", "id", "Invalid id"},
		{"name=x&default_price_data[currency]=usd", "parameter_missing", "default_price_data[unit_amount]", "Missing required param: default_price_data[unit_amount]."},
		{"name=x&default_price_data[currency]=usd&default_price_data[unit_amount]=5&default_price_data[currency_options][eur][unit_amount]=4", "", "default_price_data[currency_options]", "does not support"},
	} {
		r := e.do("POST", "/v1/products", tt.body)
		if r.status != 400 || r.errField("code") != tt.code || r.errField("param") != tt.param || !strings.Contains(r.errField("message"), tt.msg) {
			t.Errorf("%q: %d %s", tt.body, r.status, r.body)
		}
	}
}

func TestProductCustomID(t *testing.T) {
	e := newEnv(t)
	p, err := e.sc.Products.New(&stripe.ProductParams{ID: stripe.String("alpaca-ai"), Name: stripe.String("Alpaca AI"), Type: stripe.String("good")})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "alpaca-ai" || p.Type != "good" {
		t.Errorf("custom id/type: %+v", p)
	}
	_, err = e.sc.Products.New(&stripe.ProductParams{ID: stripe.String("alpaca-ai"), Name: stripe.String("again")})
	se := wantErr(t, err, 400, "resource_already_exists", "id")
	if se.Msg != "Product already exists." {
		t.Errorf("message %q", se.Msg)
	}
}

func TestProductListAndSearch(t *testing.T) {
	e := newEnv(t)
	mk := func(p *stripe.ProductParams) string {
		pr, err := e.sc.Products.New(p)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Second)
		return pr.ID
	}
	a := mk(&stripe.ProductParams{Name: stripe.String("Alpaca tokens"), Shippable: stripe.Bool(false)})
	b := mk(&stripe.ProductParams{Name: stripe.String("Llama tokens"), Active: stripe.Bool(false), Description: stripe.String("legacy")})
	c := mk(&stripe.ProductParams{Name: stripe.String("T-shirt"), Type: stripe.String("good"), Shippable: stripe.Bool(true), Params: stripe.Params{Metadata: map[string]string{"size": "L"}}})

	list := func(p *stripe.ProductListParams) []string {
		t.Helper()
		it := e.sc.Products.List(p)
		var ids []string
		for it.Next() {
			ids = append(ids, it.Product().ID)
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return strings.Fields(strings.Join(ids, " "))
	}
	if got := list(&stripe.ProductListParams{}); strings.Join(got, ",") != c+","+b+","+a {
		t.Errorf("all, newest first: %v", got)
	}
	if got := list(&stripe.ProductListParams{Active: stripe.Bool(true)}); len(got) != 2 {
		t.Errorf("active: %v", got)
	}
	if got := list(&stripe.ProductListParams{IDs: stripe.StringSlice([]string{a, c})}); strings.Join(got, ",") != c+","+a {
		t.Errorf("ids: %v", got)
	}
	if got := list(&stripe.ProductListParams{Shippable: stripe.Bool(true)}); len(got) != 1 || got[0] != c {
		t.Errorf("shippable: %v", got)
	}
	if got := list(&stripe.ProductListParams{Type: stripe.String("good")}); len(got) != 1 || got[0] != c {
		t.Errorf("type: %v", got)
	}

	search := func(q string) []string {
		t.Helper()
		it := e.sc.Products.Search(&stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: q}})
		var ids []string
		for it.Next() {
			ids = append(ids, it.Product().ID)
		}
		if it.Err() != nil {
			t.Fatalf("%s: %v", q, it.Err())
		}
		return ids
	}
	if got := search("name~'tokens' AND active:'true'"); len(got) != 1 || got[0] != a {
		t.Errorf("name~ and active: %v", got)
	}
	if got := search("metadata['size']:'L'"); len(got) != 1 || got[0] != c {
		t.Errorf("metadata: %v", got)
	}
	if got := search("description:'legacy' OR shippable:'true'"); len(got) != 2 {
		t.Errorf("or: %v", got)
	}
	if r := e.do("GET", "/v1/products/search?query=email:'x'", ""); r.status != 400 || r.errField("param") != "query" {
		t.Errorf("unknown field: %s", r.body)
	}
}
