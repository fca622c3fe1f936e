package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// parseServerFiles parses the package's non-test Go files.
func parseServerFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	return fset, files
}

// typeText is a type expression as written: "*call", "jsonobj.Obj", "[]endpoint".
func typeText(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return "*" + typeText(x.X)
	case *ast.SelectorExpr:
		return typeText(x.X) + "." + x.Sel.Name
	case *ast.ArrayType:
		if x.Len == nil {
			return "[]" + typeText(x.Elt)
		}
	}
	return "?"
}

// fieldTypes lists a parameter or result list's types, one per name.
func fieldTypes(fl *ast.FieldList) []string {
	var out []string
	if fl == nil {
		return out
	}
	for _, f := range fl.List {
		n := len(f.Names)
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			out = append(out, typeText(f.Type))
		}
	}
	return out
}

// handlerShaped says why a method has the shape of a handler, a handler
// factory or an endpoint table ("" if it has none): those are functions.
func handlerShaped(fd *ast.FuncDecl) string {
	params := strings.Join(fieldTypes(fd.Type.Params), ", ")
	results := strings.Join(fieldTypes(fd.Type.Results), ", ")
	switch {
	case params == "*call" && results == "jsonobj.Obj, error":
		return "it takes the call and returns the object to render: a handler"
	case results == "handler":
		return "it makes a handler"
	case results == "[]endpoint":
		return "it is an endpoint table"
	}
	return ""
}

// TestHandlersAreFunctions: a handler, a function that makes one, or an
// endpoint table is a plain function, never a method (issue 14, stage c1):
// what it needs of the server it reaches through c.s.
func TestHandlersAreFunctions(t *testing.T) {
	fset, files := parseServerFiles(t)
	funcs := 0
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			why := handlerShaped(fd)
			switch {
			case why != "" && fd.Recv != nil:
				t.Errorf("%s: method %s.%s: %s, so it should be a function", fset.Position(fd.Pos()), typeText(fd.Recv.List[0].Type), fd.Name.Name, why)
			case why != "":
				funcs++
			}
		}
	}
	// 85 handlers, invoke, setAlertStatus, pendingParamsChecked, 16 tables.
	if funcs < 100 {
		t.Errorf("only %d handler-shaped functions found: the scan misses some", funcs)
	}
}

// TestHandlerShape: the scan above recognizes each shape, and only those.
func TestHandlerShape(t *testing.T) {
	for _, tc := range []struct {
		src       string
		isHandler bool
	}{
		{"func (s *Server) createX(c *call) (jsonobj.Obj, error)", true},
		{"func createX(c *call) (jsonobj.Obj, error)", true},
		{"func (s *Server) setX(c *call, active bool) (jsonobj.Obj, error)", false},
		{"func (s *Server) xStatus(status string) handler", true},
		{"func (s *Server) xEndpoints() []endpoint", true},
		{"func (c *call) renderX(x *customer) (jsonobj.Obj, error)", false},
		{"func (s *Server) eventsBefore(c2 int, c *call) (jsonobj.Obj, error)", false},
		{"func (s *Server) serve(w http.ResponseWriter, r *http.Request)", false},
		{"func (c *call) getX(id string) (*customer, error)", false},
	} {
		t.Run(tc.src, func(t *testing.T) {
			f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package server\n"+tc.src+" { panic(0) }", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := handlerShaped(f.Decls[0].(*ast.FuncDecl)) != ""; got != tc.isHandler {
				t.Errorf("handler-shaped = %v, want %v", got, tc.isHandler)
			}
		})
	}
}

// TestRoutesWrittenBesideHandlers: every endpoint of every table carries its
// route as one string literal, "METHOD /path", so that searching the code for
// a URL lands on its handler; there are as many as the router has routes.
func TestRoutesWrittenBesideHandlers(t *testing.T) {
	fset, files := parseServerFiles(t)
	literal := map[string]bool{}
	n := 0
	for _, f := range files {
		ast.Inspect(f, func(node ast.Node) bool {
			cl, ok := node.(*ast.CompositeLit)
			if !ok || typeText(cl.Type) != "[]endpoint" {
				return true
			}
			for _, elt := range cl.Elts {
				ep, ok := elt.(*ast.CompositeLit)
				if !ok {
					t.Errorf("%s: an endpoint that is not a literal", fset.Position(elt.Pos()))
					continue
				}
				route := ""
				for _, kv := range ep.Elts {
					kv, ok := kv.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "route" {
						if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							route, _ = strconv.Unquote(lit.Value)
						}
					}
				}
				if route == "" {
					t.Errorf("%s: an endpoint without its route as a literal (route: \"METHOD /path\")", fset.Position(ep.Pos()))
					continue
				}
				if literal[route] {
					t.Errorf("%s: route %s twice", fset.Position(ep.Pos()), route)
				}
				literal[route] = true
				n++
			}
			return true
		})
	}
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	routes := 0
	err = srv.allRoutes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		ep := route.GetHandler().(epHandler).ep
		routes++
		if !literal[ep.route] {
			t.Errorf("route %s is not written as a literal in any endpoint table", ep.route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != routes {
		t.Errorf("%d route literals, %d routes", n, routes)
	}
}

// TestPrepareChecksTheRoute: an endpoint's route must be "METHOD /path" and,
// for a catalogue operation, the operation's own method and path; otherwise
// prepare refuses it, and so New fails.
func TestPrepareChecksTheRoute(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name, route, op string
		wantErr         string // "" for none
	}{
		{"the operation's route", "POST /v1/customers", "PostCustomers", ""},
		{"a path variable", "GET /v1/customers/{customer}", "GetCustomersCustomer", ""},
		{"outside the catalogue", "POST /v1/invoices/{invoice}/send", "", ""},
		{"another method", "GET /v1/customers", "PostCustomers", "op PostCustomers is POST /v1/customers in the catalogue"},
		{"another path", "POST /v1/customer", "PostCustomers", "op PostCustomers is POST /v1/customers in the catalogue"},
		{"another path variable", "GET /v1/customers/{id}", "GetCustomersCustomer", "op GetCustomersCustomer is GET /v1/customers/{customer} in the catalogue"},
		{"an unknown operation", "POST /v1/customers", "PostCustomer", "no such operation"},
		{"no route", "", "PostCustomers", `the route must be "METHOD /path"`},
		{"no method", "/v1/customers", "", `the route must be "METHOD /path"`},
		{"a lowercase method", "post /v1/customers", "PostCustomers", `the route must be "METHOD /path"`},
		{"a method Stripe lacks", "PUT /v1/customers", "", `the route must be "METHOD /path"`},
		{"a relative path", "POST v1/customers", "", `the route must be "METHOD /path"`},
		{"two spaces", "POST  /v1/customers", "PostCustomers", `the route must be "METHOD /path"`},
		{"a trailing word", "POST /v1/customers x", "", `the route must be "METHOD /path"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := endpoint{route: tc.route, op: tc.op, mode: txWrite, h: createCustomer}
			err := srv.prepare(&ep)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("prepare: %v", err)
			case tc.wantErr == "":
				if got := ep.method + " " + ep.path; got != tc.route {
					t.Errorf("method and path %q, want the route's %q", got, tc.route)
				}
			case err == nil:
				t.Fatalf("prepare accepted route %q for op %q", tc.route, tc.op)
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q, want it to say %q", err, tc.wantErr)
			}
		})
	}
}
