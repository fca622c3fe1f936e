package apiversion

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// Change is one declared unit of change: everything one Stripe API version
// changes about one thing the emulator serves, as Stripe declares its
// "version change modules" (stripe.com/blog/api-versioning). A request at
// version V is served as if every change after V were undone: its
// parameters are checked against the schema of V (Params), the endpoints of
// V are those routed (Routes), the behaviours switched on at V are its gates
// (Gates), and (once the response side binds them to renderers) the objects
// are rendered as at V (Fields).
type Change struct {
	// At is the first version that has the change.
	At Version
	// ID names the unit: the family, the month and day of a monthly
	// version, and a name ("basil.periods-to-items", "basil0528.thresholds-back").
	ID string
	// Summary is one line about the change (the README's version table).
	Summary string
	// Ref is where the change is documented (api-versions.md sections,
	// Stripe's changelog pages).
	Ref string

	// Upgrade turns the parameters of a request at a version before At into
	// the shape At gives them, the one the handlers read (see RequestUpgrade).
	Upgrade []RequestUpgrade
	// Params edit the parameter schemas of endpoints. They build the schema of
	// the versions between two catalogue snapshots (see Info.Catalogue); where
	// a snapshot exists, it is the schema, and the units between two
	// snapshots turn the older into the newer (a test checks it).
	Params []ParamEdit
	// BeyondCatalogues: Stripe's catalogue snapshots of At and after (up to
	// one that has them) lack these Params although the version has them (its
	// changelog and the SDKs that pin it say so; the public spec lagged), so
	// they are applied on top of those snapshots too (CatalogueFixes).
	BeyondCatalogues bool
	// Routes are endpoints the version adds or removes.
	Routes []RouteEdit
	// Gates are behaviours the version switches on.
	Gates []Gate
	// Fields are the changes to response objects, as data: the response side
	// binds each to the renderer of its object.
	Fields []FieldEdit
	// Events are the event types the version adds: none is sent, nor
	// rendered, at an earlier version (EventAt).
	Events []string
}

// ParamKind is what a ParamEdit does.
type ParamKind uint8

// Kinds of parameter edits.
const (
	ParamAdded     ParamKind = iota + 1 // a new parameter (Schema)
	ParamRemoved                        // a parameter the version no longer has
	ParamRequired                       // now required
	ParamOptional                       // no longer required
	ParamRetyped                        // a new schema for an existing parameter (Schema)
	ParamEnumAdded                      // new values of a string enumeration (Values)
)

// ParamEdit is one change to an endpoint's parameters.
type ParamEdit struct {
	// Route is the endpoint, "METHOD /path" with the catalogue's path
	// parameter names.
	Route string
	// Path is the parameter, dotted ("subscription_details.items.billing_thresholds");
	// arrays are looked through, as are the object alternatives of anyOf.
	Path   string
	Kind   ParamKind
	Schema *form.Schema // ParamAdded, ParamRetyped
	Values []string     // ParamEnumAdded
}

// RequestUpgrade is a request compatibility rule, as Stripe's: the handlers
// read a parameter in its newest shape, and a request at a version before the
// change gives it in the old one, which Apply turns into the new (it acts only
// when the old parameter is present). A request at version V runs the
// upgrades of every change after V, oldest first.
type RequestUpgrade struct {
	// Routes are the endpoints it applies to.
	Routes []string
	// Params are the top-level parameters it reads and replaces.
	Params []string
	// Apply changes the request's validated parameters in place; the values
	// it makes keep the names the request gave (errors name what was sent).
	Apply func(p *form.Params) *apierr.Error
}

// UpgradesFor are the request upgrades of an endpoint at version v: those of
// every change after v, oldest first.
func UpgradesFor(route string, v Version) []RequestUpgrade {
	var out []RequestUpgrade
	for _, c := range changes {
		if c.At <= v {
			continue
		}
		for _, u := range c.Upgrade {
			if slices.Contains(u.Routes, route) {
				out = append(out, u)
			}
		}
	}
	return out
}

// ParamEditsOf are every change's parameter edits of an endpoint's parameter
// at a dotted path, oldest first.
func ParamEditsOf(route, path string) []ParamEdit {
	var out []ParamEdit
	for _, c := range changes {
		for _, e := range c.Params {
			if e.Route == route && e.Path == path {
				out = append(out, e)
			}
		}
	}
	return out
}

// RouteKind is what a RouteEdit does.
type RouteKind uint8

// Kinds of route edits.
const (
	RouteAdded RouteKind = iota + 1
	RouteRemoved
)

// RouteEdit is an endpoint a version adds or removes.
type RouteEdit struct {
	Route string
	Kind  RouteKind
	// Use names the replacement of a removed endpoint, for its error.
	Use string
}

// FieldKind is what a FieldEdit does.
type FieldKind uint8

// Kinds of field edits.
const (
	FieldAdded      FieldKind = iota + 1 // a new field: versions before At leave it out
	FieldRemoved                         // versions before At render it
	FieldReshaped                        // versions before At render it differently
	FieldRenamed                         // versions before At render it as From
	FieldExpandable                      // expandable from At on
)

// FieldEdit is one change to a response object, as data: the response side
// binds it (object, path, kind) to the renderer that produces the older shape.
type FieldEdit struct {
	// Object is the object's name ("subscription", "line_item").
	Object string
	// Path is the field, dotted for nested ones ("automatic_tax.provider").
	Path string
	Kind FieldKind
	// From is the older name of a renamed field.
	From string
}

// Gate is a behaviour switched on at a version: the server resolves it for
// the request's version and hands the engine a typed input (the engine
// never sees a version).
type Gate uint8

// Gates, each declared by one Change.
const (
	// GatePreviewNeedsTarget: create_preview needs a subscription, a schedule
	// or invoice items beside the customer.
	GatePreviewNeedsTarget Gate = iota
	// GateNoLegacyMetered: metered prices without a meter can be neither
	// created nor attached.
	GateNoLegacyMetered
	// GateNoTotalCount: expand[]=total_count is forbidden.
	GateNoTotalCount
	// GateFlexibleDefault: new subscriptions default to the flexible billing mode.
	GateFlexibleDefault
	// GateMixedIntervals: flexible subscriptions may mix item intervals.
	GateMixedIntervals
	// GateProrationDetailsClassic: invoice items carry proration_details for
	// classic subscriptions too.
	GateProrationDetailsClassic
	// GateBillingMode: a new subscription's billing mode is chosen by its
	// request (billing_mode, or the version's default), which the
	// subscription shows with when (billing_mode[updated_at]).
	GateBillingMode

	gateCount
)

var gateNames = [gateCount]string{"preview-needs-target", "no-legacy-metered", "no-total-count", "flexible-default", "mixed-intervals", "proration-details-classic", "billing-mode"}

func (g Gate) String() string {
	if g >= gateCount {
		return fmt.Sprintf("gate(%d)", g)
	}
	return gateNames[g]
}

// gateAt is the version each gate opens at, from the change that declares it;
// computed once from the list, never changed.
var gateAt = func() [gateCount]Version {
	var at [gateCount]Version
	for i := range at {
		at[i] = Count // never, until a change declares it
	}
	for _, c := range changes {
		for _, g := range c.Gates {
			at[g] = c.At
		}
	}
	return at
}()

// Has tells whether the behaviour g is on at version v.
func (v Version) Has(g Gate) bool { return g < gateCount && v >= gateAt[g] }

// eventsFrom is the version that adds each event type a change adds;
// computed once from the list, never changed.
var eventsFrom = func() map[string]Version {
	m := map[string]Version{}
	for _, c := range changes {
		for _, typ := range c.Events {
			m[typ] = c.At
		}
	}
	return m
}()

// EventAt tells whether version v has events of a type: every type but those
// a later version adds.
func EventAt(typ string, v Version) bool {
	from, added := eventsFrom[typ]
	return !added || v >= from
}

// Changes is the master list of units, ordered by At (a test checks it). The
// list and its units are shared: do not change them.
func Changes() []*Change { return changes }

// ParamEditsBetween are the parameter edits of the changes after from, up to
// and including to, oldest first.
func ParamEditsBetween(from, to Version) []ParamEdit {
	var out []ParamEdit
	for _, c := range changes {
		if c.At > from && c.At <= to {
			out = append(out, c.Params...)
		}
	}
	return out
}

// CatalogueFixes are the ParamEdits a catalogue snapshot of base lacks: those
// of the BeyondCatalogues changes at or before it (each idempotent, so that a
// snapshot that has them is left as it is).
func CatalogueFixes(base Version) []ParamEdit {
	var out []ParamEdit
	for _, c := range changes {
		if c.BeyondCatalogues && c.At <= base {
			out = append(out, c.Params...)
		}
	}
	return out
}

// RouteAt tells whether an endpoint exists at version v. When it does not,
// change is the unit that removed it (or adds it later), with its edit.
func RouteAt(route string, v Version) (ok bool, change *Change, edit RouteEdit) {
	ok = true
	first := true
	for _, c := range changes {
		for _, e := range c.Routes {
			if e.Route != route {
				continue
			}
			if first && e.Kind == RouteAdded && v < c.At {
				return false, c, e // not yet
			}
			first = false
			if c.At <= v {
				ok, change, edit = e.Kind == RouteAdded, c, e
			}
		}
	}
	if ok {
		return true, nil, RouteEdit{}
	}
	return false, change, edit
}

// Apply makes the edit to an operation's parameter schema (the object of its
// top-level parameters), which the caller owns: it is changed in place.
func (e ParamEdit) Apply(root *form.Schema) error {
	parts := strings.Split(e.Path, ".")
	parent := root
	for _, part := range parts[:len(parts)-1] {
		parent = objectOf(parent.Prop(part))
		if parent == nil {
			return fmt.Errorf("%s: %s: no object %s", e.Route, e.Path, part)
		}
	}
	parent = objectOf(parent)
	name := parts[len(parts)-1]
	cur := parent.Prop(name)
	if e.Kind != ParamAdded && cur == nil {
		return fmt.Errorf("%s: %s: no such parameter", e.Route, e.Path)
	}
	switch e.Kind {
	case ParamAdded:
		if cur != nil {
			return fmt.Errorf("%s: %s: added, but it exists", e.Route, e.Path)
		}
		if e.Schema == nil {
			return fmt.Errorf("%s: %s: added without a schema", e.Route, e.Path)
		}
		if parent.Props == nil {
			parent.Props = map[string]*form.Schema{}
		}
		parent.Props[name] = e.Schema.Clone()
	case ParamRemoved:
		delete(parent.Props, name)
		parent.Required = slices.DeleteFunc(parent.Required, func(r string) bool { return r == name })
	case ParamRequired:
		if !slices.Contains(parent.Required, name) {
			parent.Required = append(parent.Required, name)
		}
	case ParamOptional:
		parent.Required = slices.DeleteFunc(parent.Required, func(r string) bool { return r == name })
	case ParamRetyped:
		if e.Schema == nil {
			return fmt.Errorf("%s: %s: retyped without a schema", e.Route, e.Path)
		}
		parent.Props[name] = e.Schema.Clone()
	case ParamEnumAdded:
		enum := cur
		for enum.Type == form.TArray && enum.Items != nil { // an array of the enumeration (enabled_events)
			enum = enum.Items
		}
		if enum.Type == form.TAnyOf {
			alts := enum.AnyOf
			enum = nil
			for _, alt := range alts {
				if alt.Type == form.TString && len(alt.Enum) > 0 {
					enum = alt
				}
			}
		}
		if enum == nil || enum.Type != form.TString || len(enum.Enum) == 0 {
			return fmt.Errorf("%s: %s: not an enumeration", e.Route, e.Path)
		}
		for _, val := range e.Values {
			if !slices.Contains(enum.Enum, val) {
				enum.Enum = append(enum.Enum, val)
			}
		}
		slices.Sort(enum.Enum)
	default:
		return fmt.Errorf("%s: %s: unknown edit kind %d", e.Route, e.Path, e.Kind)
	}
	return nil
}

// objectOf is the object schema s describes: s itself, the items of an
// array, or the object alternative of an anyOf.
func objectOf(s *form.Schema) *form.Schema {
	for s != nil && s.Type == form.TArray {
		s = s.Items
	}
	if s != nil && s.Type == form.TAnyOf {
		for _, alt := range s.AnyOf {
			if o := objectOf(alt); o != nil {
				return o
			}
		}
		return nil
	}
	if s == nil || s.Type != form.TObject {
		return nil
	}
	return s
}

// onRoutes is the same edit on several endpoints.
func onRoutes(routes []string, path string, kind ParamKind, schema *form.Schema) []ParamEdit {
	out := make([]ParamEdit, len(routes))
	for i, r := range routes {
		out[i] = ParamEdit{Route: r, Path: path, Kind: kind, Schema: schema}
	}
	return out
}

// fieldsOn are field edits of one kind on one object.
func fieldsOn(object string, kind FieldKind, paths ...string) []FieldEdit {
	out := make([]FieldEdit, len(paths))
	for i, p := range paths {
		out[i] = FieldEdit{Object: object, Path: p, Kind: kind}
	}
	return out
}

// objectValue is an object parameter made by an upgrade, named param.
func objectValue(param string, fields map[string]*form.Value) *form.Value {
	return &form.Value{Kind: form.KObject, Obj: form.NewParams(param, fields), Param: param}
}

// stringValue is a string parameter made by an upgrade, named param.
func stringValue(param, s string) *form.Value {
	return &form.Value{Kind: form.KString, Str: s, Param: param}
}
