package server

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/search"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// TestEveryResourceRegistered: every resource the package declares (a
// variable holding a resource[…]) is in the list of resources.go, once; the
// list holds nothing else. A resource left out of it would be neither stored,
// saved, rendered nor routed.
func TestEveryResourceRegistered(t *testing.T) {
	declared, listed := resourceVars(t)
	if len(declared) < 16 {
		t.Fatalf("found only %d resource variables: the scan missed some", len(declared))
	}
	count := map[string]int{}
	for _, name := range listed {
		count[name]++
	}
	for _, name := range declared {
		if count[name] != 1 {
			t.Errorf("resource %s is listed %d times in resources (resources.go), want once", name, count[name])
		}
		delete(count, name)
	}
	for name := range count {
		t.Errorf("resources lists %s, which is not a resource variable", name)
	}
}

// resourceVars scans the package's files: the package-level variables whose
// value is a resource (&resource[T]{…}), and the identifiers listed in resources.
func resourceVars(t *testing.T) (declared, listed []string) {
	t.Helper()
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if isResourceLiteral(v) {
						declared = append(declared, vs.Names[i].Name)
					}
					if vs.Names[i].Name != "resources" {
						continue
					}
					lit, ok := v.(*ast.CompositeLit)
					if !ok {
						t.Fatalf("%s: resources is not a list literal", name)
					}
					for _, e := range lit.Elts {
						id, ok := e.(*ast.Ident)
						if !ok {
							t.Fatalf("%s: resources lists %T, not a variable", name, e)
						}
						listed = append(listed, id.Name)
					}
				}
			}
		}
	}
	return declared, listed
}

// isResourceLiteral reports whether e is resource[T]{…} or &resource[T]{…}.
func isResourceLiteral(e ast.Expr) bool {
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	ix, ok := lit.Type.(*ast.IndexExpr)
	if !ok {
		return false
	}
	id, ok := ix.X.(*ast.Ident)
	return ok && id.Name == "resource"
}

// TestStateSectionOrder: the stored resources, in list order, are the state
// file's sections in today's order (a state file saved before keeps its bytes).
func TestStateSectionOrder(t *testing.T) {
	reg, err := newRegistry(resources, routeOrder)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range reg.tables {
		got = append(got, tb.Name)
	}
	want := []string{"customers", "products", "prices", "subscriptions", "invoices", "test_clocks", "webhook_endpoints",
		"alerts", "subscription_items", "invoice_items", "usage_records", "meters", "payment_methods", "setup_intents", "customer_balance_transactions",
		"payment_intents", "charges", "refunds", "invoice_payments"}
	if !slices.Equal(got, want) {
		t.Errorf("sections %v, want %v", got, want)
	}
}

// TestRegistryRefuses: a list the server could not serve is refused when it
// starts, with what is wrong.
func TestRegistryRefuses(t *testing.T) {
	stored := func(name, table string) *resource[*widget] {
		return &resource[*widget]{resourceDesc: resourceDesc{name: name, table: store.Table{Name: table}, codec: plainCodec[widget]()}}
	}
	noCodec := stored("widget", "widgets")
	noCodec.codec = recordCodec{}
	searchOnly := &resource[any]{resourceDesc: resourceDesc{name: "widget", search: &searchable{}}}
	unlisted := stored("widget", "widgets")
	tests := []struct {
		name  string
		list  []anyResource
		order []routeGroup
		want  string
	}{
		{"two of one name", []anyResource{stored("widget", "widgets"), stored("widget", "gadgets")}, nil, `resource "widget": a second resource of that name`},
		{"two of one table", []anyResource{stored("widget", "widgets"), stored("gadget", "widgets")}, nil, "table widgets is another resource's"},
		{"a table without a codec", []anyResource{noCodec}, nil, "table widgets has no state codec"},
		{"a search without a table", []anyResource{searchOnly}, nil, "without a table"},
		{"a route group of no resource in the list", nil, []routeGroup{{res: unlisted}}, "not in the list"},
		{"a route group without routes", []anyResource{unlisted}, []routeGroup{{res: unlisted}}, "a group without routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRegistry(tt.list, tt.order)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// widget is a resource made up for TestAddingAResource.
type widget struct {
	store.Meta
	Name     string
	Customer string
}

// widgetResource is what a new resource's file holds: its descriptor, with
// its table, codec, expandable fields, search, events, endpoints and renderer.
func widgetResource() *resource[*widget] {
	render := func(name string, c *call, w *widget) (jsonobj.Obj, error) {
		return c.s.reg.byName[name].renderRecord(&c.renderCtx, w)
	}
	return &resource[*widget]{
		resourceDesc: resourceDesc{
			name: "widget",
			noun: "widget",
			table: store.Table{Name: "widgets", Indexes: []store.Index{
				{Name: "customer", Keys: func(r store.Record) []string { return []string{r.(*widget).Customer} }},
			}},
			codec:  plainCodec[widget](),
			cached: true,
			expand: map[string]string{"customer": "customer"},
			search: &searchable{
				url:    "/v1/widgets/search",
				fields: map[string]search.FieldType{"name": search.Text},
				doc: func(r store.Record) search.Doc {
					return fieldDoc{fields: map[string]search.Value{"name": {Str: r.(*widget).Name}}}
				},
			},
			events: crudEvents("widget"),
			routes: func() []endpoint {
				expand := form.Array(form.String())
				return []endpoint{
					{route: "GET /v1/widgets/search", mode: txRead,
						schema: form.Object(map[string]*form.Schema{"query": form.String(), "limit": form.Integer(), "page": form.String(), "expand": expand}),
						h:      func(c *call) (jsonobj.Obj, error) { return c.search("widget") }},
					{route: "POST /v1/widgets", mode: txWrite,
						schema: form.Object(map[string]*form.Schema{"name": form.String(), "customer": form.String(), "expand": expand}),
						h: func(c *call) (jsonobj.Obj, error) {
							w := &widget{Meta: c.newMeta("wdg")}
							w.Name, _ = c.params.String("name")
							w.Customer, _ = c.params.String("customer")
							if err := c.tx.Put("widgets", w); err != nil {
								return nil, err
							}
							obj, err := render("widget", c, w)
							return c.answer(w, obj), err
						}},
					{route: "GET /v1/widgets/{widget}", mode: txRead, schema: form.Object(map[string]*form.Schema{"expand": expand}),
						h: func(c *call) (jsonobj.Obj, error) { return c.load("widget", c.pathID()) }},
				}
			},
		},
		render: infallible(func(_ *renderCtx, w *widget) jsonobj.Obj {
			return jsonobj.Obj{{K: "id", V: w.ID}, {K: "object", V: "widget"}, {K: "customer", V: w.Customer}, {K: "name", V: w.Name}}
		}),
	}
}

// TestAddingAResource: a resource is its descriptor and one entry in the
// list. A made-up one, added to today's list and nowhere else, is stored and
// saved (its section after today's), found and rendered by expand[] and
// search, raises its events, is in the catalog, and is routed (after today's
// routes, which keep their order).
func TestAddingAResource(t *testing.T) {
	list := append(slices.Clone(resources), widgetResource())
	serve := func() *testEnv {
		clk := clock.NewManual(t0)
		srv, err := newServer(Options{Clock: clk, TickInterval: -1}, list, routeOrder)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(func() { ts.Close(); srv.Close() })
		return &testEnv{t: t, srv: srv, url: ts.URL, clock: clk, key: "sk_test_widgets"}
	}
	e := serve()

	cus := e.do("POST", "/v1/customers", "name=Ada")
	created := e.do("POST", "/v1/widgets", "name=Gizmo&customer="+cus.json["id"].(string))
	id, _ := created.json["id"].(string)
	if created.status != 200 || !strings.HasPrefix(id, "wdg_") || created.json["object"] != "widget" {
		t.Fatalf("creating a widget: %d %s", created.status, created.body)
	}
	want := fmt.Sprintf(`{"id":%q,"object":"widget","customer":{"id":%q,"object":"customer"`, id, cus.json["id"])
	if got := e.do("GET", "/v1/widgets/"+id+"?expand[]=customer", ""); got.status != 200 || !bytes.HasPrefix(got.body, []byte(want)) {
		t.Errorf("retrieving it with its customer expanded: %d %s, want it to begin %s", got.status, got.body, want)
	}
	if got := e.do("GET", "/v1/widgets/wdg_nope", ""); got.status != 404 || got.errField("message") != "No such widget: 'wdg_nope'" {
		t.Errorf("a missing widget: %d %s", got.status, got.body)
	}
	found := e.do("GET", `/v1/widgets/search?query=name:"Gizmo"`, "")
	if data, _ := found.json["data"].([]any); found.status != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != id {
		t.Errorf("searching widgets: %d %s", found.status, found.body)
	}
	evs := e.do("GET", "/v1/events?type=widget.created", "")
	if data, _ := evs.json["data"].([]any); len(data) != 1 ||
		data[0].(map[string]any)["data"].(map[string]any)["object"].(map[string]any)["name"] != "Gizmo" {
		t.Errorf("its widget.created event: %s", evs.body)
	}
	if !e.srv.reg.cached["widgets"] {
		t.Error("the widgets table is not in the catalog")
	}

	var routes []string
	_ = e.srv.allRoutes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		routes = append(routes, route.GetHandler().(epHandler).ep.route)
		return nil
	})
	today, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer today.Close()
	var todays []string
	_ = today.allRoutes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		todays = append(todays, route.GetHandler().(epHandler).ep.route)
		return nil
	})
	wantRoutes := append(todays, "GET /v1/widgets/search", "POST /v1/widgets", "GET /v1/widgets/{widget}")
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("routes: the last are %v, want today's then the widget's", routes[max(0, len(routes)-4):])
	}

	var saved bytes.Buffer
	if err := e.srv.SaveState(&saved); err != nil {
		t.Fatal(err)
	}
	meters, widgets := bytes.Index(saved.Bytes(), []byte(`{"section":"meters"`)), bytes.Index(saved.Bytes(), []byte(`{"section":"widgets","count":1}`))
	if meters < 0 || widgets < meters {
		t.Errorf("the state file's widgets section (at %d) is not after today's last (meters, at %d)", widgets, meters)
	}
	restored := serve()
	if err := restored.srv.LoadState(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	restored.key = e.key
	if got := restored.do("GET", "/v1/widgets/"+id, ""); got.status != 200 || got.json["name"] != "Gizmo" {
		t.Errorf("the widget after a save and a load: %d %s", got.status, got.body)
	}
}
