package server

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Objects whose shape changes between API versions are rendered through a
// shape: every field the object has at any version, newest names, in the
// order the API writes them (id, object, then alphabetical), each with the
// getter that reads it from the record. The declared units of change
// (apiversion.Change.Fields) say from which version on a field exists
// (FieldAdded) or until which it does (FieldRemoved); a shape compiles, once,
// the plan of each version: its fields that exist there. Rendering is one
// pass over the plan of the render context's version, so a version costs
// nothing beyond its own fields. Versions with the same fields share one plan.
//
// A shape is compiled where it is declared, from the immutable list of units,
// and never changes after; New refuses to start when a unit names a field the
// shape of its object does not bind, or an object no resource gives a shape
// (checkShapes).

// absent is what a getter returns for an optional field without a value:
// the field is left out of the object, as Stripe leaves such fields out.
var absent any = absentField{}

type absentField struct{}

// fixedValue is the value of a field that is always the same, rendered
// without a getter call (most of an invoice's fields are: what the emulator
// does not model). It is shared by every rendering: never changed.
type fixedValue struct{ v any }

var (
	// fixedNull: a field the emulator always renders null (a nullable
	// field of something it does not model: tax, Connect).
	fixedNull = &fixedValue{nil}
	// fixedAbsent: an optional field the emulator never has a value for
	// (an invoice's status_details: it marks no invoice uncollectible), so
	// Stripe would leave it out.
	fixedAbsent = &fixedValue{absent}
	fixedZero   = &fixedValue{0}
	fixedFalse  = &fixedValue{false}
	// fixedEmpty: an always-empty list ([]: the lists of what the
	// emulator does not model).
	fixedEmpty = &fixedValue{[]any{}}
)

// always is a field that is always v (an object's type, a constant
// sub-object). v must hold no ID and no hidden field: expansion replaces
// those in place, and v is shared by every rendering.
func always(v any) *fixedValue { return &fixedValue{v} }

// field is one field of an object, read from its record (a T).
type field[T any] struct {
	name string
	// get reads the value; nil for a field with sub that is always an
	// object, or with fixed.
	get func(rc *renderCtx, r T) any
	// fixed is the value of a field that is always the same (no get).
	fixed *fixedValue
	// sub are the fields of a nested object whose own fields change between
	// versions: the object is rendered from them unless get returns nil
	// (null) or absent.
	sub []field[T]
	// nulled: the emulator always renders the field null,
	// so what a unit changes inside it shows nowhere.
	nulled bool
}

// objectShape is an object's fields across versions, and its compiled plans.
type objectShape[T any] struct {
	object string
	plans  [apiversion.Count][]field[T]
	// expandable are the expandable fields a unit makes expandable from its
	// version on (FieldExpandable), with that version.
	expandable map[string]apiversion.Version
	// err is what compiling found wrong (reported by New).
	err error
}

// newShape compiles an object's plans from its fields and the units that
// change it.
func newShape[T any](object string, fields []field[T]) *objectShape[T] {
	return compileShape(object, fields, fieldEdits(object))
}

// compileShape compiles an object's plans from its fields and the edits of
// its fields, by dotted path.
func compileShape[T any](object string, fields []field[T], edits map[string][]fieldEdit) *objectShape[T] {
	s := &objectShape[T]{object: object}
	var errs []error
	paths := slices.Sorted(maps.Keys(edits))
	for _, path := range paths {
		es := edits[path]
		needsField := false
		for _, e := range es {
			switch e.kind {
			case apiversion.FieldAdded, apiversion.FieldRemoved:
				needsField = true
			case apiversion.FieldExpandable: // checked against the resource's expandable fields (checkShapes)
				if s.expandable == nil {
					s.expandable = map[string]apiversion.Version{}
				}
				s.expandable[path] = e.at
			default:
				errs = append(errs, fmt.Errorf("%s: the unit %s changes %s in a way (kind %d) no shape renders yet", object, e.unit, path, e.kind))
			}
		}
		if f, inNulled := lookupField(fields, path); needsField && f == nil && !inNulled {
			errs = append(errs, fmt.Errorf("%s: the unit %s changes %s, which the shape does not have", object, es[0].unit, path))
		}
	}
	for v := range apiversion.Count {
		plan := planAt(fields, "", apiversion.Version(v), edits)
		if v > 0 && samePlan(plan, s.plans[v-1]) {
			plan = s.plans[v-1]
		}
		s.plans[v] = plan
	}
	s.err = errors.Join(errs...)
	return s
}

// render renders r at the render context's version.
func (s *objectShape[T]) render(rc *renderCtx, r T) jsonobj.Obj {
	return renderFields(s.plans[rc.v], rc, r)
}

// has reports whether the object has the field (dotted path) at v.
func (s *objectShape[T]) has(v apiversion.Version, path string) bool {
	f, _ := lookupField(s.plans[v], path)
	return f != nil
}

func (s *objectShape[T]) shapeObject() string { return s.object }
func (s *objectShape[T]) shapeErr() error     { return s.err }
func (s *objectShape[T]) expandableSince() map[string]apiversion.Version {
	return s.expandable
}

// shapeInfo is a shape whatever its record type, for checkShapes and the
// registry.
type shapeInfo interface {
	shapeObject() string
	shapeErr() error
	// expandableSince are the fields expandable only from a version on.
	expandableSince() map[string]apiversion.Version
}

func renderFields[T any](plan []field[T], rc *renderCtx, r T) jsonobj.Obj {
	o := make(jsonobj.Obj, 0, len(plan))
	for i := range plan {
		f := &plan[i]
		var v any
		switch {
		case f.fixed != nil:
			v = f.fixed.v
		case f.get != nil:
			v = f.get(rc, r)
		}
		switch {
		case v == absent:
			continue
		case f.sub != nil && (f.get == nil && f.fixed == nil || v != nil):
			v = renderFields(f.sub, rc, r)
		}
		o = append(o, jsonobj.Field{K: f.name, V: v})
	}
	return o
}

// fieldEdit is one unit's change to one field.
type fieldEdit struct {
	at   apiversion.Version
	kind apiversion.FieldKind
	unit string
}

// fieldEdits are the units' changes to an object's fields, by dotted path,
// oldest first.
func fieldEdits(object string) map[string][]fieldEdit {
	out := map[string][]fieldEdit{}
	for _, c := range apiversion.Changes() {
		for _, e := range c.Fields {
			if e.Object == object {
				out[e.Path] = append(out[e.Path], fieldEdit{at: c.At, kind: e.Kind, unit: c.ID})
			}
		}
	}
	return out
}

// presentAt reports whether a field with these edits exists at v: at
// 2024-06-20 unless a unit adds it later, then as the units up to v say.
func presentAt(es []fieldEdit, v apiversion.Version) bool {
	present := true
	for i, e := range es {
		if i == 0 && e.kind == apiversion.FieldAdded {
			present = false
		}
		if e.at > v {
			break
		}
		switch e.kind {
		case apiversion.FieldAdded:
			present = true
		case apiversion.FieldRemoved:
			present = false
		}
	}
	return present
}

// planAt is the fields (under prefix) that exist at v.
func planAt[T any](fields []field[T], prefix string, v apiversion.Version, edits map[string][]fieldEdit) []field[T] {
	out := make([]field[T], 0, len(fields))
	for _, f := range fields {
		path := prefix + f.name
		if !presentAt(edits[path], v) {
			continue
		}
		if f.sub != nil {
			f.sub = planAt(f.sub, path+".", v, edits)
		}
		out = append(out, f)
	}
	return slices.Clip(out)
}

// samePlan reports whether two plans have the same fields (plans are made
// from one list, so the same names mean the same getters).
func samePlan[T any](a, b []field[T]) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || (a[i].sub == nil) != (b[i].sub == nil) || a[i].sub != nil && !samePlan(a[i].sub, b[i].sub) {
			return false
		}
	}
	return true
}

// lookupField finds a field by dotted path; inNulled: the path lies inside a
// field the emulator always renders null.
func lookupField[T any](fields []field[T], path string) (f *field[T], inNulled bool) {
	name, rest, nested := strings.Cut(path, ".")
	for i := range fields {
		if fields[i].name != name {
			continue
		}
		switch {
		case !nested:
			return &fields[i], false
		case fields[i].nulled:
			return nil, true
		}
		return lookupField(fields[i].sub, rest)
	}
	return nil, false
}

// unshapedObjects are objects units change that no resource renders through
// a shape yet.
var unshapedObjects = map[string]bool{}

// checkShapes refuses shapes that failed to compile, and units that change an
// object no resource renders through a shape.
func checkShapes(list []anyResource) error {
	var errs []error
	shaped := map[string]bool{}
	for _, res := range list {
		s := res.shape()
		if s == nil {
			continue
		}
		if s.shapeObject() != res.desc().name {
			errs = append(errs, fmt.Errorf("resource %s renders through the shape of %s", res.desc().name, s.shapeObject()))
		}
		shaped[s.shapeObject()] = true
		if err := s.shapeErr(); err != nil {
			errs = append(errs, err)
		}
		for path := range s.expandableSince() {
			if res.desc().expand[path] == "" {
				errs = append(errs, fmt.Errorf("%s: a unit makes %s expandable, which the resource's expand does not name", res.desc().name, path))
			}
		}
	}
	for _, c := range apiversion.Changes() {
		for _, e := range c.Fields {
			if !shaped[e.Object] && !unshapedObjects[e.Object] {
				errs = append(errs, fmt.Errorf("the unit %s changes %s.%s, which no resource renders through a shape", c.ID, e.Object, e.Path))
			}
		}
	}
	return errors.Join(errs...)
}
