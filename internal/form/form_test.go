package form

import (
	"slices"
	"strings"
	"testing"
)

// schema used by the table tests: shapes like Stripe's.
func testSchema() *Schema {
	return Object(map[string]*Schema{
		"name":     String(),
		"email":    String(),
		"limit":    Integer(),
		"active":   Boolean(),
		"amount":   {Type: TNumber},
		"interval": String("day", "week", "month", "year"),
		"metadata": Map(OneOf(String(), &Schema{Type: TNumber})).Empty(),
		"address":  Object(map[string]*Schema{"city": String(), "line1": String()}).Empty(),
		"expand":   Array(String()),
		"items": Array(Object(map[string]*Schema{
			"price":    String(),
			"quantity": Integer(),
			"metadata": Map(String()),
		}, "price")),
		"anchor":     OneOf(Integer(), String("now", "unchanged")),
		"up_to":      OneOf(Integer(), String("inf")),
		"created":    OneOf(Integer(), Object(map[string]*Schema{"gt": Integer(), "lte": Integer()})),
		"recurring":  Object(map[string]*Schema{"interval": String("day", "month"), "count": Integer()}, "interval"),
		"locales":    Array(String()),
		"tax_exempt": String("none", "exempt").Empty(),
	})
}

func decode(t *testing.T, raw string) (*Params, string, string) {
	t.Helper()
	tree, err := Parse(raw)
	if err != nil {
		return nil, err.Code, err.Param + ": " + err.Message
	}
	p, err := Validate(tree, testSchema())
	if err != nil {
		return nil, err.Code, err.Param + ": " + err.Message
	}
	return p, "", ""
}

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, p *Params)
	}{
		{"empty body", "", func(t *testing.T, p *Params) {
			if p.Len() != 0 {
				t.Fatalf("want no params, got %v", p.Keys())
			}
		}},
		{"scalars and escapes", "name=John+Doe&email=a%40b.com&limit=25&active=true&amount=0.004", func(t *testing.T, p *Params) {
			if s, _ := p.String("name"); s != "John Doe" {
				t.Errorf("name = %q", s)
			}
			if s, _ := p.String("email"); s != "a@b.com" {
				t.Errorf("email = %q", s)
			}
			if n, ok := p.Int("limit"); !ok || n != 25 {
				t.Errorf("limit = %d %v", n, ok)
			}
			if b, ok := p.Bool("active"); !ok || !b {
				t.Errorf("active = %v %v", b, ok)
			}
			if d, ok := p.Number("amount"); !ok || d.String() != "0.004" {
				t.Errorf("amount = %v", d)
			}
		}},
		{"nested object", "address[city]=Paris&address[line1]=1+rue", func(t *testing.T, p *Params) {
			a := p.Object("address")
			if c, _ := a.String("city"); c != "Paris" {
				t.Errorf("city = %q", c)
			}
			if a.Path("city") != "address[city]" {
				t.Errorf("path = %q", a.Path("city"))
			}
		}},
		{"indexed array of objects, out of order", "items[1][price]=p2&items[0][price]=p1&items[0][quantity]=3&items[1][metadata][k]=v", func(t *testing.T, p *Params) {
			items := p.Objects("items")
			if len(items) != 2 {
				t.Fatalf("items = %d", len(items))
			}
			if s, _ := items[0].String("price"); s != "p1" {
				t.Errorf("items[0].price = %q", s)
			}
			if n, _ := items[0].Int("quantity"); n != 3 {
				t.Errorf("items[0].quantity = %d", n)
			}
			if m := items[1].StringMap("metadata"); m["k"] != "v" {
				t.Errorf("items[1].metadata = %v", m)
			}
			if items[1].Path("price") != "items[1][price]" {
				t.Errorf("path = %q", items[1].Path("price"))
			}
		}},
		{"bracket-append arrays", "expand[]=customer&expand[]=data.price", func(t *testing.T, p *Params) {
			if got := strings.Join(p.Strings("expand"), ","); got != "customer,data.price" {
				t.Errorf("expand = %q", got)
			}
		}},
		{"indexed expand", "expand[0]=a&expand[1]=b", func(t *testing.T, p *Params) {
			if got := strings.Join(p.Strings("expand"), ","); got != "a,b" {
				t.Errorf("expand = %q", got)
			}
		}},
		{"key= clears an array", "locales=", func(t *testing.T, p *Params) {
			if !p.IsEmpty("locales") {
				t.Errorf("locales not empty")
			}
		}},
		{"metadata= clears, metadata[k]= unsets", "metadata[a]=&metadata[b]=2", func(t *testing.T, p *Params) {
			m := p.StringMap("metadata")
			if v, ok := m["a"]; !ok || v != "" {
				t.Errorf("metadata[a] = %q %v", v, ok)
			}
			if m["b"] != "2" {
				t.Errorf("metadata[b] = %q", m["b"])
			}
		}},
		{"emptyable object", "address=", func(t *testing.T, p *Params) {
			if !p.IsEmpty("address") {
				t.Errorf("address not empty")
			}
		}},
		{"emptyable enum", "tax_exempt=", func(t *testing.T, p *Params) {
			if !p.IsEmpty("tax_exempt") {
				t.Errorf("tax_exempt not empty")
			}
		}},
		{"sentinel now", "anchor=now&up_to=inf", func(t *testing.T, p *Params) {
			if s, _ := p.String("anchor"); s != "now" {
				t.Errorf("anchor = %q", s)
			}
			if s, _ := p.String("up_to"); s != "inf" {
				t.Errorf("up_to = %q", s)
			}
		}},
		{"sentinel alternative as integer", "anchor=1700000000&up_to=5", func(t *testing.T, p *Params) {
			if n, ok := p.Int("anchor"); !ok || n != 1700000000 {
				t.Errorf("anchor = %d", n)
			}
			if n, ok := p.Int("up_to"); !ok || n != 5 {
				t.Errorf("up_to = %d", n)
			}
		}},
		{"range filter", "created[gt]=5&created[lte]=9", func(t *testing.T, p *Params) {
			c := p.Object("created")
			if n, _ := c.Int("gt"); n != 5 {
				t.Errorf("gt = %d", n)
			}
		}},
		{"plain filter", "created=7", func(t *testing.T, p *Params) {
			if n, _ := p.Int("created"); n != 7 {
				t.Errorf("created = %d", n)
			}
		}},
		{"last value wins", "name=a&name=b", func(t *testing.T, p *Params) {
			if s, _ := p.String("name"); s != "b" {
				t.Errorf("name = %q", s)
			}
		}},
		{"empty pairs skipped", "&&name=a&", func(t *testing.T, p *Params) {
			if s, _ := p.String("name"); s != "a" {
				t.Errorf("name = %q", s)
			}
		}},
		{"unicode", "name=%E2%9C%93+J%C3%BCrgen", func(t *testing.T, p *Params) {
			if s, _ := p.String("name"); s != "✓ Jürgen" {
				t.Errorf("name = %q", s)
			}
		}},
		{"negative integer", "limit=-3", func(t *testing.T, p *Params) {
			if n, _ := p.Int("limit"); n != -3 {
				t.Errorf("limit = %d", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, code, msg := decode(t, tt.raw)
			if p == nil {
				t.Fatalf("unexpected error %s %s", code, msg)
			}
			tt.check(t, p)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, raw string
		code      string // "" for errors Stripe sends without a code
		param     string
		message   string // a substring of the message
	}{
		{"unknown top-level", "nmae=x", "parameter_unknown", "nmae", "Received unknown parameter: nmae. Did you mean name?"},
		{"unknown without hint", "zzzzzzzz=x", "parameter_unknown", "zzzzzzzz", "Received unknown parameter: zzzzzzzz"},
		{"unknown nested", "address[town]=x", "parameter_unknown", "address[town]", "Received unknown parameter: address[town]"},
		{"unknown in array element", "items[0][price]=p&items[0][qty]=1", "parameter_unknown", "items[0][qty]", "unknown parameter: items[0][qty]"},
		{"several unknown", "b1x=1&a1x=2", "parameter_unknown", "a1x", "Received unknown parameters: a1x, b1x"},
		{"missing nested required", "items[0][quantity]=1", "parameter_missing", "items[0][price]", "Missing required param: items[0][price]."},
		{"missing required in object", "recurring[count]=1", "parameter_missing", "recurring[interval]", "Missing required param: recurring[interval]."},
		{"bad integer", "limit=abc", "parameter_invalid_integer", "limit", "Invalid integer: abc"},
		{"decimal is not an integer", "limit=10.0", "parameter_invalid_integer", "limit", "Invalid integer: 10.0"},
		{"int64 overflow", "limit=9223372036854775808", "parameter_invalid_integer", "limit", "Invalid integer"},
		{"nested bad integer", "items[0][price]=p&items[0][quantity]=x", "parameter_invalid_integer", "items[0][quantity]", "Invalid integer: x"},
		{"bad boolean", "active=True", "", "active", "Invalid boolean: True"},
		{"bad enum", "interval=fortnight", "", "interval", "Invalid interval: must be one of day, week, month, or year"},
		{"nested bad enum", "recurring[interval]=year", "", "recurring[interval]", "Invalid interval: must be one of day or month"},
		{"empty integer", "limit=", "parameter_invalid_empty", "limit", "You passed an empty string for 'limit'"},
		{"empty required", "items[0][price]=", "parameter_invalid_empty", "items[0][price]", "cannot be unset"},
		{"bad number", "amount=1e5", "", "amount", "Invalid decimal: 1e5"},
		{"object given as scalar", "address=Paris", "", "address", "Invalid object"},
		{"scalar given as object", "name[first]=J", "", "name", "must be a single value"},
		{"array given as scalar", "expand=customer", "", "expand", "Invalid array"},
		{"array with non-index key", "items[x][price]=p", "", "items[x]", "Invalid array"},
		{"value then object", "name=a&name[b]=c", "", "name", "both as a value and as a nested object"},
		{"object then value", "address[city]=a&address=b", "", "address", "both as a value"},
		{"bad sentinel", "anchor=later", "parameter_invalid_integer", "anchor", "must be an integer or one of now, unchanged"},
		{"malformed brackets", "a]b=1", "", "a]b", "malformed"},
		{"unclosed bracket", "address[city=1", "", "address[city", "malformed"},
		{"leading bracket", "[a]=1", "", "[a]", "malformed"},
		{"bad percent encoding", "name=%zz", "", "name", "not valid URL encoding"},
		{"invalid utf-8 value", "name=%ff%fe", "", "name", "not valid UTF-8"},
		{"invalid utf-8 key", "n%ffame=1", "", "", "not valid UTF-8"},
		{"too deep", "a" + strings.Repeat("[b]", 20) + "=1", "", "a" + strings.Repeat("[b]", 20), "nested more than 16 levels"},
		{"1000-deep brackets", "a" + strings.Repeat("[b]", 1000) + "=1", "", "", "longer than 1000 bytes"},
		{"huge index", "items[99999999999][price]=p", "", "items[99999999999]", "Invalid array"},
		{"string over 5000 characters", "name=" + strings.Repeat("a", 5000) + "b", "", "name", "Invalid string: aaaaaaaaaa...aaaaaaaaab; must be at most 5000 characters"},
		{"nested string over 5000", "items[0][price]=" + strings.Repeat("p", 5001), "", "items[0][price]", "must be at most 5000 characters"},
		{"array string over 5000", "expand[]=a&expand[]=" + strings.Repeat("x", 9000), "", "expand[1]", "must be at most 5000 characters"},
		{"multibyte over 5000", "name=" + strings.Repeat("%C3%A9", 5001), "", "name", "must be at most 5000 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := Parse(tt.raw)
			if err == nil {
				_, err = Validate(tree, testSchema())
			}
			if err == nil {
				t.Fatalf("no error for %q", tt.raw)
			}
			if err.Status != 400 || err.Type != "invalid_request_error" {
				t.Errorf("status/type = %d %s", err.Status, err.Type)
			}
			if err.Code != tt.code {
				t.Errorf("code = %q, want %q", err.Code, tt.code)
			}
			if err.Param != tt.param {
				t.Errorf("param = %q, want %q", err.Param, tt.param)
			}
			if !strings.Contains(err.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", err.Message, tt.message)
			}
		})
	}
}

// TestStringLengthCap: 5000 characters (not bytes) are fine; metadata values
// are left to the handlers' metadata rules (500 characters, param metadata).
func TestStringLengthCap(t *testing.T) {
	for _, raw := range []string{
		"name=" + strings.Repeat("a", 5000),
		"name=" + strings.Repeat("%C3%A9", 5000), // 10,000 bytes, 5,000 characters
		"metadata[k]=" + strings.Repeat("v", 6000),
		"items[0][price]=p&items[0][metadata][k]=" + strings.Repeat("v", 6000),
	} {
		if _, code, msg := decode(t, raw); msg != "" {
			t.Errorf("%.40s...: %s %s", raw, code, msg)
		}
	}
}

// TestParseEmptyName: a pair without a name is dropped (Rack's rule), rather
// than becoming an array at the top level.
func TestParseEmptyName(t *testing.T) {
	for _, raw := range []string{"=1", "name=a&=1", "=1&%C3%A9=2&name=a", "=&="} {
		tree, err := Parse(raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if tree.isList() || tree.Map[""] != nil {
			t.Errorf("%q: the empty name became a parameter: %+v", raw, tree)
		}
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= MaxPairs; i++ {
		b.WriteString("a=1&")
	}
	if _, err := Parse(b.String()); err == nil {
		t.Fatalf("no error past %d pairs", MaxPairs)
	}
	b.Reset()
	for i := 0; i <= MaxArrayLen; i++ {
		b.WriteString("expand[]=x&")
	}
	if _, err := Parse(b.String()); err == nil {
		t.Fatalf("no error past %d array elements", MaxArrayLen)
	}
}

func TestCanonicalIgnoresOrder(t *testing.T) {
	a, _, _ := decode(t, "name=x&items[0][price]=p&items[0][quantity]=1&metadata[b]=2&metadata[a]=1")
	b, _, _ := decode(t, "metadata[a]=1&metadata[b]=2&items[0][quantity]=1&items[0][price]=p&name=x")
	c, _, _ := decode(t, "name=x&items[0][price]=p&items[0][quantity]=2&metadata[b]=2&metadata[a]=1")
	if a.Canonical() != b.Canonical() {
		t.Errorf("same parameters in another order differ:\n%s\n%s", a.Canonical(), b.Canonical())
	}
	if a.Canonical() == c.Canonical() {
		t.Errorf("different parameters compare equal")
	}
}

func FuzzParseValidate(f *testing.F) {
	for _, seed := range []string{"", "name=a", "items[0][price]=p&items[0][quantity]=1", "expand[]=a", "a[b][c][d]=1",
		"metadata[k]=", "anchor=now", "address=", "%ff=1", "a[]=1&a[0]=2", "a[][b]=1&a[][b]=2"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tree, err := Parse(raw)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d for %q", err.Status, raw)
			}
			return
		}
		p, verr := Validate(tree, testSchema())
		if verr != nil {
			if verr.Status != 400 || verr.Message == "" {
				t.Fatalf("bad error %+v for %q", verr, raw)
			}
			return
		}
		_ = p.Canonical()
	})
}

func TestSchemaEqual(t *testing.T) {
	base := func() *Schema {
		return Object(map[string]*Schema{
			"a": String("x", "y"),
			"b": Array(Object(map[string]*Schema{"c": Integer()}, "c")),
			"d": OneOf(Integer(), String("now")).Empty(),
		}, "a", "b")
	}
	for _, tt := range []struct {
		name  string
		edit  func(s *Schema)
		equal bool
	}{
		{"a copy", func(s *Schema) {}, true},
		{"enum and required in another order", func(s *Schema) { s.Props["a"].Enum = []string{"y", "x"}; s.Required = []string{"b", "a"} }, true},
		{"an enum value more", func(s *Schema) { s.Props["a"].Enum = append(s.Props["a"].Enum, "z") }, false},
		{"a nested type", func(s *Schema) { s.Props["b"].Items.Props["c"] = String() }, false},
		{"a nested requirement", func(s *Schema) { s.Props["b"].Items.Required = nil }, false},
		{"a property more", func(s *Schema) { s.Props["e"] = Boolean() }, false},
		{"not emptyable", func(s *Schema) { s.Props["d"].Emptyable = false }, false},
		{"alternatives in another order", func(s *Schema) {
			s.Props["d"].AnyOf[0], s.Props["d"].AnyOf[1] = s.Props["d"].AnyOf[1], s.Props["d"].AnyOf[0]
		}, false},
		{"a map's values", func(s *Schema) { s.Props["m"] = Map(String()) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.edit(s)
			if got := base().Equal(s); got != tt.equal {
				t.Errorf("Equal = %v, want %v", got, tt.equal)
			}
			if got := s.Equal(base()); got != tt.equal {
				t.Errorf("reversed: Equal = %v, want %v", got, tt.equal)
			}
		})
	}
	var none *Schema
	if !none.Equal(nil) || none.Equal(base()) || base().Equal(nil) {
		t.Error("nil schemas")
	}
	if !Map(String()).Equal(Map(String())) || Map(String()).Equal(Map(Integer())) {
		t.Error("maps")
	}
}

// A value that fits a later alternative of an anyOf allocates no error for
// the earlier ones it does not fit (a customer create used to make, and drop,
// one "Invalid integer" error per request); a value that fits none still gets
// the first alternative's error.
func TestAnyOfMakesNoErrorForAFittingValue(t *testing.T) {
	for _, alt := range []*Schema{Integer(), {Type: TNumber}, Boolean()} {
		either := Object(map[string]*Schema{"v": OneOf(alt, String())})
		plain := Object(map[string]*Schema{"v": String()})
		tree, err := Parse("v=John+Doe")
		if err != nil {
			t.Fatal(err)
		}
		allocs := func(s *Schema) float64 {
			return testing.AllocsPerRun(50, func() {
				if _, err := Validate(tree, s); err != nil {
					t.Fatal(err)
				}
			})
		}
		if got, want := allocs(either), allocs(plain); got != want {
			t.Errorf("anyOf [%v, string]: %v allocations for a string, want %v (as for a plain string)", alt.Type, got, want)
		}
		none := Object(map[string]*Schema{"v": OneOf(alt, String("a", "b"))})
		if _, err := Validate(tree, none); err == nil || err.Param != "v" {
			t.Errorf("anyOf [%v, enum]: error %v, want one for v", alt.Type, err)
		}
	}
}

// TestCloneAlong: the copy shares every schema off the path, and changing
// the path's parameter in the copy (through an array's items and an anyOf's
// alternatives) leaves the original as it was.
func TestCloneAlong(t *testing.T) {
	orig := testSchema()
	before := orig.Clone()
	for _, path := range []string{"name", "items.price", "created.gt", "recurring.interval", "brand_new"} {
		t.Run(path, func(t *testing.T) {
			c := orig.CloneAlong(path)
			parts := strings.Split(path, ".")
			parent := c
			if len(parts) > 1 {
				parent = c.Prop(parts[0])
				for parent.Type == TArray {
					parent = parent.Items
				}
				if parent.Type == TAnyOf {
					parent = parent.AnyOf[1]
				}
			}
			parent.Props[parts[len(parts)-1]] = Boolean()
			parent.Required = append(parent.Required, parts[len(parts)-1])
			if !orig.Equal(before) {
				t.Fatalf("the original changed")
			}
			if c.Equal(orig) {
				t.Fatalf("the copy did not change")
			}
			if c.Prop("email") != orig.Prop("email") || c.Prop("metadata") != orig.Prop("metadata") {
				t.Errorf("a parameter off the path was copied, not shared")
			}
		})
	}
}

// TestCatalogueSharesAlikeSchemas: alike parameters of a catalogue's
// operations are one schema, each operation's root its own, and every
// operation still accepts what its catalogue says.
func TestCatalogueSharesAlikeSchemas(t *testing.T) {
	data := `[{"method":"POST","path":"/v1/a","operationId":"A","params":{"metadata":{"type":"object","additionalProperties":{"type":"string"}},"name":{"type":"string"},"kind":{"type":"string","enum":["x","y"]}}},
	{"method":"POST","path":"/v1/b","operationId":"B","params":{"metadata":{"type":"object","additionalProperties":{"type":"string"}},"name":{"type":"string"},"kind":{"type":"string","enum":["x","z"]}}}]`
	ops, err := LoadCatalogue([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	a, b := ops["A"].Params, ops["B"].Params
	if a == b {
		t.Fatal("two operations share a root")
	}
	if a.Prop("metadata") != b.Prop("metadata") || a.Prop("name") != b.Prop("name") {
		t.Error("alike parameters are not shared")
	}
	if a.Prop("kind") == b.Prop("kind") {
		t.Error("parameters with different enumerations are shared")
	}
	if !slices.Equal(b.Prop("kind").Enum, []string{"x", "z"}) {
		t.Errorf("B's kind: %v", b.Prop("kind").Enum)
	}
}
