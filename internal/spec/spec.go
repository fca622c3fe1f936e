// Package spec holds the request-parameter schemas of the Stripe API versions
// the emulator serves, for the operations it serves: extracts of the
// operations catalogues in ../shared/stripe-openapi, written by specgen and
// embedded. operations.json is 2024-06-20's; snapshots/<version>.json are the
// later catalogues a version's schemas start from (apiversion.Info.Catalogue).
// The schemas of a version are its base's with the ParamEdits of the
// versions after the base applied (ForVersion). Each is compiled on first
// use: a process that serves one version compiles one.
package spec

//go:generate go run ./specgen -in ../../../shared/stripe-openapi -out .

import (
	"embed"
	_ "embed"
	"fmt"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

//go:embed operations.json
var operationsJSON []byte

//go:embed snapshots
var snapshotFiles embed.FS

// JSON is the embedded 2024-06-20 extract, as specgen wrote it.
func JSON() []byte { return operationsJSON }

// SnapshotJSON is the embedded extract of a later catalogue, by its version name.
func SnapshotJSON(name string) ([]byte, error) {
	return snapshotFiles.ReadFile("snapshots/" + name + ".json")
}

// SnapshotNames are the versions whose catalogues are embedded besides
// 2024-06-20's, oldest first.
func SnapshotNames() []string {
	var out []string
	for v := apiversion.Version(1); v < apiversion.Count; v++ {
		if name := v.Info().Catalogue; name != "" {
			out = append(out, name)
		}
	}
	return out
}

var load = sync.OnceValues(func() (map[string]*form.Operation, error) {
	return loadCatalogue(operationsJSON)
})

// loadCatalogue compiles an extract, with the one rule every version shares:
// a webhook endpoint's api_version takes any version the emulator serves,
// whatever the request's version (each catalogue's enum lists the versions
// up to its own; the server checks the value against its list).
func loadCatalogue(data []byte) (map[string]*form.Operation, error) {
	ops, err := form.LoadCatalogue(data)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if op.Method == "POST" && op.Path == "/v1/webhook_endpoints" && op.Params.Prop("api_version") != nil {
			op.Params.Props["api_version"] = form.String()
		}
	}
	return ops, nil
}

// Operations returns the compiled 2024-06-20 operations by operationId. The
// result is shared and must not be modified; Clone a schema before changing it.
func Operations() (map[string]*form.Operation, error) { return load() }

// Routes are a version's operations by route ("METHOD /path"). They are
// shared and must not be modified.
type Routes map[string]*form.Operation

// versions compiles each version's routes once, on first use (set up by init:
// compile refers back to it).
var versions [apiversion.Count]func() (Routes, error)

func init() {
	for v := range versions {
		versions[v] = sync.OnceValues(func() (Routes, error) { return compile(apiversion.Version(v)) })
	}
}

// ForVersion returns the operations of version v by route: its catalogue
// base's, with the ParamEdits of the versions after the base, up to v,
// applied (an operation they edit is a copy, the others are shared with the
// base). An operation the emulator serves that is absent is one the version
// does not have (or one outside Stripe's catalogues).
func ForVersion(v apiversion.Version) (Routes, error) {
	if v >= apiversion.Count {
		return nil, fmt.Errorf("no API version %d", v)
	}
	return versions[v]()
}

func compile(v apiversion.Version) (Routes, error) {
	base := apiversion.CatalogueBase(v)
	if base != v {
		return WithEdits(base, v)
	}
	var ops map[string]*form.Operation
	var err error
	if v == apiversion.V2024_06_20 {
		ops, err = Operations()
	} else {
		var data []byte
		if data, err = SnapshotJSON(v.Info().Catalogue); err == nil {
			ops, err = loadCatalogue(data)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the catalogue of %s: %w", v, err)
	}
	routes := make(Routes, len(ops))
	for _, op := range ops {
		routes[op.Method+" "+op.Path] = op
	}
	return applyEdits(routes, apiversion.CatalogueFixes(v))
}

// WithEdits is what the declared units say the operations of version to are
// when built from the catalogue of base: base's operations with the
// ParamEdits after base, up to to, applied. Where to has a catalogue of its
// own, a test compares the two.
func WithEdits(base, to apiversion.Version) (Routes, error) {
	routes, err := ForVersion(base)
	if err != nil {
		return nil, err
	}
	return applyEdits(routes, apiversion.ParamEditsBetween(base, to))
}

// applyEdits returns routes with the edits made to copies of the operations
// they touch.
func applyEdits(routes Routes, edits []apiversion.ParamEdit) (Routes, error) {
	if len(edits) == 0 {
		return routes, nil
	}
	out := make(Routes, len(routes))
	for k, op := range routes {
		out[k] = op
	}
	copied := map[string]bool{}
	for _, e := range edits {
		op := out[e.Route]
		if op == nil {
			continue // a route removed at the base (a RouteEdit says so)
		}
		if !copied[e.Route] {
			c := *op
			c.Params = op.Params.Clone()
			op, out[e.Route], copied[e.Route] = &c, &c, true
		}
		if err := e.Apply(op.Params); err != nil {
			return nil, err
		}
	}
	return out, nil
}
