package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// The shared catalogue sits beside the repository; tests skip where it is absent.
var cataloguePath = filepath.Join("..", "..", "..", "shared", "stripe-openapi", "operations-2024-06-20.json")

func TestEmbeddedExtractIsCurrent(t *testing.T) {
	data, err := os.ReadFile(cataloguePath)
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the operations catalogue is absent (%v): internal/spec/operations.json is not checked against it", err))
	}
	acacia, err := os.ReadFile(filepath.Join(filepath.Dir(cataloguePath), "operations-"+apiversion.V2024_09_30_Acacia.Info().Catalogue+".json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Extract(data, acacia)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, JSON()) {
		t.Fatalf("internal/spec/operations.json is stale: run go generate ./internal/spec")
	}
}

func TestOperationsCompile(t *testing.T) {
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	if want := 72 + len(FromAcacia); len(ops) != want {
		t.Errorf("%d operations, want %d", len(ops), want)
	}
	op := ops["PostCustomers"]
	if op == nil || op.Method != "POST" || op.Path != "/v1/customers" || op.Params.Prop("email") == nil {
		t.Fatalf("PostCustomers: %+v", op)
	}
	if ops["PostBillingMeterEvents"].Params.Required[0] != "event_name" {
		t.Errorf("required params lost")
	}
	// The payment operations from the acacia catalogue, corrected.
	routes, err := ForVersion(apiversion.V2024_06_20)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range FromAcacia {
		if routes[r] == nil {
			t.Errorf("%s: not in the 2024-06-20 operations", r)
		}
	}
	if pm := routes["POST /v1/payment_methods"]; pm == nil || pm.Params.Prop("card") == nil {
		t.Errorf("POST /v1/payment_methods has no card parameter")
	}
	if at := routes["POST /v1/payment_methods/{payment_method}/attach"]; at == nil || !slices.Contains(at.Params.Required, "customer") {
		t.Errorf("attach does not require customer")
	}
	for _, c := range Corrections {
		if find(routes, c.Route, c.Path) != nil {
			t.Errorf("%s %s: the correction was not made", c.Route, c.Path)
		}
		acacia, err := ForVersion(apiversion.V2024_09_30_Acacia)
		if err != nil {
			t.Fatal(err)
		}
		if find(acacia, c.Route, c.Path) == nil {
			t.Errorf("%s %s: not in the acacia snapshot, so the correction is moot", c.Route, c.Path)
		}
	}
}

// The 2024-06-20 operations compile at start (server.New), inside the
// emulator's startup budget of 50 ms (README "Performance"; the load harness
// measures it): about 3 ms with the payment operations on this machine. The
// bound here only catches a gross regression (the race detector, a loaded
// machine), not the budget itself.
func TestBaseCatalogueCompileCost(t *testing.T) {
	best := time.Hour
	for range 5 {
		start := time.Now()
		if _, err := loadCatalogue(JSON()); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("compiling operations.json: %v", best)
	if best > 250*time.Millisecond {
		t.Errorf("compiling operations.json takes %v: it runs at every start", best)
	}
}

func TestEmbeddedSnapshotsAreCurrent(t *testing.T) {
	base, err := os.ReadFile(cataloguePath)
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("the operations catalogues are absent (%v): internal/spec/snapshots is not checked against them", err))
	}
	names := SnapshotNames()
	if len(names) != 6 {
		t.Fatalf("%d snapshots: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(cataloguePath), "operations-"+name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := ExtractSnapshot(data, base)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SnapshotJSON(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, got) {
				t.Fatalf("internal/spec/snapshots/%s.json is stale: run go generate ./internal/spec", name)
			}
		})
	}
}

// Every version's schemas compile: its catalogue loads and every ParamEdit
// of the versions since applies.
func TestEveryVersionCompiles(t *testing.T) {
	for v := apiversion.Version(0); v < apiversion.Count; v++ {
		routes, err := ForVersion(v)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if routes["POST /v1/customers"] == nil || routes["POST /v1/subscriptions"] == nil {
			t.Errorf("%v: served operations missing", v)
		}
		_, alerts := routes["POST /v1/billing/alerts"]
		if alerts != (v > apiversion.V2024_06_20) {
			t.Errorf("%v: alerts in the catalogue: %v", v, alerts)
		}
	}
	if _, err := ForVersion(apiversion.Count); err == nil {
		t.Error("a version out of range compiles")
	}
}

// The deprecated parameters the SDKs still send are in every version's schema.
func TestDeprecatedParamsKept(t *testing.T) {
	for v := apiversion.Version(0); v < apiversion.Count; v++ {
		routes, err := ForVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range Deprecated {
			op := routes[d.Route]
			if op == nil {
				continue // removed at v (upcoming)
			}
			if lookup(op.Params, d.Path) == nil {
				t.Errorf("%v: %s %s is missing", v, d.Route, d.Path)
			}
		}
	}
}

// Each ParamEdit shows at its version and not at the one before.
func TestParamEditsTakeEffect(t *testing.T) {
	for _, c := range apiversion.Changes() {
		before, err := ForVersion(c.At - 1)
		if err != nil {
			t.Fatal(err)
		}
		at, err := ForVersion(c.At)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Params {
			if at[e.Route] == nil {
				if ok, _, _ := apiversion.RouteAt(e.Route, c.At); ok {
					t.Errorf("%s: %s is not in the schemas of %v", c.ID, e.Route, c.At)
				}
				continue
			}
			if before[e.Route] == nil {
				continue // outside the catalogue before (alerts at 2024-06-20: the server's own schema)
			}
			was, is := find(before, e.Route, e.Path), find(at, e.Route, e.Path)
			switch e.Kind {
			case apiversion.ParamAdded:
				if was != nil || is == nil {
					t.Errorf("%s: %s %s added: before %v, at %v", c.ID, e.Route, e.Path, was != nil, is != nil)
				}
			case apiversion.ParamRemoved:
				if was == nil || is != nil {
					t.Errorf("%s: %s %s removed: before %v, at %v", c.ID, e.Route, e.Path, was != nil, is != nil)
				}
			case apiversion.ParamRetyped:
				if was == nil || is == nil || was.Equal(is) {
					t.Errorf("%s: %s %s retyped: unchanged", c.ID, e.Route, e.Path)
				}
			}
		}
	}
}

func find(routes Routes, route, path string) *form.Schema {
	op := routes[route]
	if op == nil {
		return nil
	}
	return lookup(op.Params, path)
}

func lookup(s *form.Schema, dotted string) *form.Schema {
	for _, part := range strings.Split(dotted, ".") {
		for s != nil && (s.Type == form.TArray || s.Type == form.TAnyOf) {
			if s.Type == form.TArray {
				s = s.Items
				continue
			}
			var obj *form.Schema
			for _, a := range s.AnyOf {
				if a.Type == form.TObject {
					obj = a
				}
			}
			s = obj
		}
		s = s.Prop(part)
	}
	return s
}

// A version's schemas compile on first use, fast enough to do so lazily
// inside a request (the process's start compiles none).
func TestSnapshotCompileCost(t *testing.T) {
	data, err := SnapshotJSON("2026-08-26.dahlia")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ops, err := form.LoadCatalogue(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond || len(ops) < 70 {
		t.Errorf("compiling %d operations took %v", len(ops), d)
	}
}
