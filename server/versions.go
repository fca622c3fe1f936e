package server

import (
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/spec"
)

// API versions: a request is served at the version its Stripe-Version header
// names, else at its account's default, else at the emulator's default
// (Options.APIVersion). Its parameters are checked against the schema the
// endpoint has at that version (its catalogue snapshot and the declared
// ParamEdits since, see package spec), so that a parameter the version does
// not have gets the 400 an unknown parameter gets. The handlers read the
// parameters of 2024-06-20 and, for the ones an endpoint names as newer, the
// shape the newest version gives them (the endpoint's canonical schema); a
// request at an older version is brought to that shape by the request
// upgrades of the versions after it (apiversion.RequestUpgrade). Any other
// parameter only a later version has is one the emulator does not support
// yet, with a 400 saying so.

// epVersion is what an endpoint is at one API version, made on first use.
type epVersion struct {
	// gone: the version does not have the endpoint; removedIn and use say
	// which version removed it and what replaces it ("" for one added later).
	gone           bool
	removedIn, use string
	// schema checks the request's parameters at the version.
	schema *form.Schema
	// same: the schema is the endpoint's own (canonical) one, and nothing
	// more is checked.
	same bool
	// Where the version's schema differs from the canonical one, at the top
	// level, in sorted order: a parameter only the version has (beyond) is
	// not supported; one both have but differently (recheck, its canonical
	// schema) is checked against the canonical schema too, whose refusal
	// means the emulator does not support that use of it yet, and whose
	// value is the one the handler gets (typed as 2024-06-20 types it).
	differs []string
	beyond  map[string]bool
	recheck map[string]*form.Schema
	// required are the canonical schema's required parameters the version
	// does not require: the handlers need them still.
	required []string
	// upgrades turn the version's parameters into the handler's shape.
	upgrades []apiversion.RequestUpgrade
}

// epVersions holds an endpoint's versions, each made once on first use.
type epVersions [apiversion.Count]atomic.Pointer[epVersion]

// at returns the endpoint at version v. 2024-06-20 is the endpoint's own
// schema: the caller need not ask.
func (s *Server) epAt(ep *endpoint, v apiversion.Version) (*epVersion, error) {
	if ev := ep.versions[v].Load(); ev != nil {
		return ev, nil
	}
	ev, err := makeEpVersion(ep, v)
	if err != nil {
		return nil, err
	}
	ep.versions[v].Store(ev) // two requests racing make equal ones
	return ev, nil
}

func makeEpVersion(ep *endpoint, v apiversion.Version) (*epVersion, error) {
	if ok, change, edit := apiversion.RouteAt(ep.route, v); !ok {
		ev := &epVersion{gone: true}
		if edit.Kind == apiversion.RouteRemoved {
			ev.removedIn, ev.use = change.At.String(), edit.Use
		}
		return ev, nil
	}
	routes, err := spec.ForVersion(v)
	if err != nil {
		return nil, err
	}
	op := routes[ep.route]
	if op == nil {
		if ep.op != "" {
			return nil, fmt.Errorf("%s: the catalogue of %v lacks it, and no change removes it", ep.route, v)
		}
		return &epVersion{schema: ep.schema, same: true, upgrades: ep.upgrades}, nil // outside Stripe's catalogues: one schema for every version
	}
	ev := compareSchemas(op.Params, ep.canon, ep.anyVersion)
	ev.upgrades = apiversion.UpgradesFor(ep.route, v)
	return ev, nil
}

// canonicalSchema is the schema an endpoint's handler reads: its own, with
// the parameters it names as newer in the shape the newest change gives
// them. A retyped parameter takes its old shape too: a request at a version
// before the change gives that one, which the change's upgrade turns into
// the new.
func canonicalSchema(ep *endpoint) (*form.Schema, error) {
	if len(ep.newer) == 0 {
		return ep.schema, nil
	}
	canon := ep.schema
	for _, path := range ep.newer {
		canon = canon.CloneAlong(path) // the catalogue's schema is shared: copy what the edit changes
		var edit *apiversion.ParamEdit
		for _, e := range apiversion.ParamEditsOf(ep.route, path) {
			if e.Kind == apiversion.ParamAdded || e.Kind == apiversion.ParamRetyped {
				edit = &e
			}
		}
		if edit == nil {
			return nil, fmt.Errorf("%s: newer %q: no change adds or retypes it", ep.route, path)
		}
		e := *edit
		if old := lookupDotted(canon, path); old != nil {
			e.Kind, e.Schema = apiversion.ParamRetyped, form.OneOf(old.Clone(), e.Schema.Clone())
		} else {
			e.Kind = apiversion.ParamAdded
		}
		if err := e.Apply(canon); err != nil {
			return nil, fmt.Errorf("%s: newer %q: %w", ep.route, path, err)
		}
	}
	return canon, nil
}

// compareSchemas is the endpoint at a version whose schema is vs, the
// endpoint's own being canon; the parameters anyVersion names are the
// version's alone.
func compareSchemas(vs, canon *form.Schema, anyVersion []string) *epVersion {
	ev := &epVersion{schema: vs}
	if vs == canon || vs.Equal(canon) {
		ev.schema, ev.same = canon, true
		return ev
	}
	ev.beyond, ev.recheck = map[string]bool{}, map[string]*form.Schema{}
	for name, p := range vs.Props {
		c := canon.Prop(name)
		switch {
		case c == nil:
			ev.beyond[name] = true
		case contains(anyVersion, name):
			continue
		case widerStringMap(c, p):
			continue
		case !p.Equal(c):
			ev.recheck[name] = c
		default:
			continue
		}
		ev.differs = append(ev.differs, name)
	}
	sort.Strings(ev.differs)
	for _, r := range canon.Required {
		if !contains(vs.Required, r) && vs.Prop(r) != nil {
			ev.required = append(ev.required, r)
		}
	}
	return ev
}

// widerStringMap reports whether canon and vs are maps of strings (metadata)
// that differ only in that canon's values may also be other scalars
// (2024-06-20's metadata values are string or integer, later versions' strings):
// every value vs accepts canon accepts, and handlers read such a map as strings
// (Params.StringMap, the raw text), so the values need no second validation.
func widerStringMap(canon, vs *form.Schema) bool {
	isStringMap := func(s *form.Schema) bool {
		return s.Type == form.TObject && len(s.Props) == 0 && s.Additional != nil
	}
	plainString := func(s *form.Schema) bool { return s.Type == form.TString && len(s.Enum) == 0 }
	if !isStringMap(canon) || !isStringMap(vs) || canon.Emptyable != vs.Emptyable || !plainString(vs.Additional) {
		return false
	}
	if plainString(canon.Additional) {
		return true
	}
	if canon.Additional.Type != form.TAnyOf {
		return false
	}
	for _, alt := range canon.Additional.AnyOf {
		if plainString(alt) {
			return true
		}
	}
	return false
}

// toCanonical turns the parameters of a request valid at the version into
// what the handlers read, 2024-06-20's: a parameter only the version has, or
// one used in a way 2024-06-20 does not have, is not supported; one the
// handlers need that the version no longer requires is missing; the values of
// the parameters whose schemas differ are validated again, as 2024-06-20
// types them.
func (ev *epVersion) toCanonical(ep *endpoint, tree *form.Node, params *form.Params) *apierr.Error {
	for _, name := range ev.differs {
		child, ok := tree.Map[name]
		if !ok {
			continue
		}
		if ev.beyond[name] {
			return unsupported(ep, name)
		}
		v, err := form.ValidateParam(child, ev.recheck[name], name)
		if err != nil {
			if err.Code == "parameter_missing" {
				return err
			}
			param := err.Param
			if param == "" {
				param = name
			}
			return unsupported(ep, param)
		}
		params.Set(name, v)
	}
	for _, r := range ev.required {
		if _, ok := tree.Map[r]; !ok {
			return apierr.ParameterMissing(r)
		}
	}
	return nil
}

// goneError is the 404 of a request to an endpoint version v does not have:
// Stripe's unknown-route error, saying which version removed it.
func (ev *epVersion) goneError(method, path string, v apiversion.Version) *apierr.Error {
	if ev.removedIn == "" {
		return apierr.NotFound(method, path)
	}
	return apierr.RemovedEndpoint(method, path, ev.removedIn, v.String(), ev.use)
}

// versionHeaders are the Stripe-Version header values of every version,
// made once: net/http copies header values, never changes them.
func versionHeaders() (out [apiversion.Count][]string) {
	for v := range out {
		out[v] = []string{apiversion.Version(v).String()}
	}
	return out
}

// schemaAt is the schema a request's parameters are checked against: the
// endpoint's own at 2024-06-20 (ev nil; unless a later version adds the
// endpoint), else the endpoint's at the request's version; a version
// without the endpoint answers its 404.
func (s *Server) schemaAt(c *call) (schema *form.Schema, ev *epVersion, aerr *apierr.Error) {
	if c.v == apiversion.V2024_06_20 && !c.ep.later {
		return c.ep.schema, nil, nil
	}
	ev, err := s.epAt(c.ep, c.v)
	if err != nil {
		s.log.Error("the schema of an API version", "route", c.ep.route, "api_version", c.v.String(), "error", err.Error())
		return nil, nil, apierr.Internal()
	}
	if ev.gone {
		return nil, nil, ev.goneError(c.r.Method, c.r.URL.Path, c.v)
	}
	return ev.schema, ev, nil
}
