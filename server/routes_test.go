package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// TestRouteTable pins the router: every route in the order it is matched,
// with its handler and everything that decides how a request to it is
// checked and run (testdata/golden/routes.txt; -update-golden rewrites it).
// A route added, dropped, moved, renamed or run in another transaction mode
// shows as a line changed.
func TestRouteTable(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var b strings.Builder
	err = srv.allRoutes().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		h, ok := route.GetHandler().(epHandler)
		if !ok {
			return fmt.Errorf("a route whose handler is a %T", route.GetHandler())
		}
		b.WriteString(routeLine(h.ep) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n < 80 {
		t.Fatalf("only %d routes: the walk missed some", n)
	}
	checkGolden(t, "routes.txt", b.String())
}

// routeLine is "METHOD /path -> handler" and the endpoint's settings.
func routeLine(ep *endpoint) string {
	modes := map[txMode]string{txRead: "read", txWrite: "write", txNone: "none"}
	f := []string{ep.method + " " + ep.path, "->", handlerName(ep.h), "tx=" + modes[ep.mode]}
	if ep.op != "" {
		f = append(f, "op="+ep.op)
	}
	for _, flag := range []struct {
		name string
		on   bool
	}{{"dry_run", ep.dryRun}, {"no_auth", ep.noAuth}, {"session", ep.session}, {"raw", ep.raw}, {"fast_form", ep.fastForm != nil}} {
		if flag.on {
			f = append(f, flag.name)
		}
	}
	if ep.accepts != nil {
		f = append(f, "accepts="+strings.Join(ep.accepts, ","))
	}
	if ep.rejects != nil {
		f = append(f, "rejects="+strings.Join(ep.rejects, ","))
	}
	return strings.Join(f, " ")
}

// handlerName is a handler's function name without its package and
// receivers, so that a method turned into a function (issue 14, stage c1)
// keeps its name: createCustomer, alertEndpoints.setAlertStatus.func1.
func handlerName(h handler) string {
	name := runtime.FuncForPC(reflect.ValueOf(h).Pointer()).Name()
	name = name[strings.LastIndex(name, "/")+1:]
	name = strings.TrimPrefix(name, "server.")
	name = strings.ReplaceAll(name, "(*Server).", "")
	return strings.TrimSuffix(name, "-fm")
}

// TestGroupedRoutesMatchAsAll: a request is matched among the routes of its
// group (byPrefix: first two segments and segment count) rather than every
// route; for every route's path, filled in, and variations of it (a
// trailing slash, a segment more or less, an escaped slash, each method),
// the route found is the one the router of every route finds; and a route's
// own path is found in its group, without the router of every route.
func TestGroupedRoutesMatchAsAll(t *testing.T) {
	srv, err := New(Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.byPrefix == nil {
		t.Fatal("the routes were not grouped: a template has a variable in its first two segments or its own pattern")
	}
	full := func(r *http.Request) *endpoint {
		var m mux.RouteMatch
		if srv.allRoutes().Match(r, &m) {
			if eh, ok := m.Handler.(epHandler); ok {
				return eh.ep
			}
		}
		return nil
	}
	fill := strings.NewReplacer("{", "x_", "}", "")
	checked := 0
	for _, ep := range srv.endpoints {
		if !strings.Contains(ep.path, "{") {
			continue
		}
		p := regexp.MustCompile(`\{[^}]*\}`).ReplaceAllStringFunc(ep.path, func(v string) string { return fill.Replace(v) })
		// Its own group finds it, without the router of every route.
		key, _ := routeKey(p)
		inGroup := false
		for _, pr := range srv.byPrefix[key] {
			inGroup = inGroup || pr.ep == ep
		}
		if got, _ := srv.route(httptest.NewRequest(ep.method, p, nil)); !inGroup || got != ep {
			t.Errorf("%s %s: not found in its group %+v: %v", ep.method, p, key, routeName(got))
		}
		for _, path := range []string{p, p + "/", p + "/more", p[:strings.LastIndexByte(p, '/')], p + "%2Fx", strings.Replace(p, "x_", "a%2Fb", 1)} {
			for _, method := range []string{"GET", "POST", "DELETE"} {
				r := httptest.NewRequest(method, path, nil)
				got, _ := srv.route(r)
				if want := full(r); got != want {
					t.Errorf("%s %s: grouped %v, all %v", method, path, routeName(got), routeName(want))
				}
				checked++
			}
		}
	}
	if checked < 300 {
		t.Fatalf("only %d requests checked", checked)
	}
}

func routeName(ep *endpoint) string {
	if ep == nil {
		return "none"
	}
	return ep.route
}
