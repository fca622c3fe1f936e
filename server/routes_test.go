package server

import (
	"fmt"
	"reflect"
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
	err = srv.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
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
