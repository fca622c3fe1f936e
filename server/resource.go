package server

import (
	"fmt"
	"reflect"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// resource is one API object the emulator serves, described once: how its
// records are stored and saved, what expand[] can do with it, how it is
// rendered, searched and routed, and which events a change to it raises. Each
// is a variable in its resource's file, listed once in resources.go, and the
// server derives every registry from that list when it starts (newRegistry).
//
// Code reaches a resource through the server's registry (c.s.reg), never
// through its variable: the variable's initializer reaches the resource's
// handlers (routes), so a handler that named it would make an initialization
// cycle.
//
// A resource whose fields change between API versions renders through a
// shape (fieldplan.go): render walks the plan of the render context's version.
type resource[T any] struct {
	resourceDesc
	// render is the object as the API shows it; nil for an object that only
	// another one renders (an invoice's lines).
	render func(rc *renderCtx, r T) (jsonobj.Obj, error)
}

// resourceDesc is what the registry reads of a resource, whatever its record type.
type resourceDesc struct {
	name string // the API object: "subscription", "test_helpers.test_clock"
	noun string // what "No such <noun>: 'x'" calls it
	// table holds its records, with their indexes and due indexes; a zero
	// Name: the object is not stored.
	table store.Table
	// codec writes and reads its records in state files (every stored resource).
	codec recordCodec
	// cached: its records are in the catalog, and a commit that writes one
	// starts a new generation of it (see catalog).
	cached bool
	// expand names the fields that expand[] can replace (dotted when nested)
	// and the object each one names.
	expand map[string]string
	// search is its search endpoint's fields and documents; nil: none.
	search *searchable
	// events adds the events a change to one of its records raises; nil:
	// none, or eventsOfStep's own rules (changes that show as another
	// object's event, such as a subscription's items).
	events eventRule
	// routes are its endpoints. routeOrder places those of today's
	// resources among the other groups; a resource it does not name has its
	// routes registered after all of them.
	routes func() []endpoint
	// shape is how it renders across API versions, for a resource whose
	// fields change between them (nil: the same at every version).
	shape shapeInfo
}

// anyResource is a resource[T] whatever T is.
type anyResource interface {
	desc() *resourceDesc
	// recordType is T.
	recordType() reflect.Type
	// rendered reports whether the resource renders its records.
	rendered() bool
	// renderRecord renders a record of the resource (a T).
	renderRecord(rc *renderCtx, r store.Record) (jsonobj.Obj, error)
	// loadID renders the record with an ID, for expand[].
	loadID(rc *renderCtx, id string) (jsonobj.Obj, error)
	// shape is its shape across API versions (nil: the same at every one).
	shape() shapeInfo
}

func (r *resource[T]) desc() *resourceDesc      { return &r.resourceDesc }
func (r *resource[T]) recordType() reflect.Type { return reflect.TypeFor[T]() }
func (r *resource[T]) rendered() bool           { return r.render != nil }
func (r *resource[T]) shape() shapeInfo         { return r.resourceDesc.shape }

func (r *resource[T]) renderRecord(rc *renderCtx, rec store.Record) (jsonobj.Obj, error) {
	x, ok := rec.(T)
	if !ok {
		return nil, fmt.Errorf("the %s resource cannot render a %T", r.name, rec)
	}
	return r.render(rc, x)
}

func (r *resource[T]) loadID(rc *renderCtx, id string) (jsonobj.Obj, error) {
	x, err := getRecord[T](rc.tx, r.table.Name, r.noun, id, "id")
	if err != nil {
		return nil, err
	}
	return r.render(rc, x)
}

// renderCtx is what rendering an object needs besides the object: the
// transaction its related records are read from (a subscription's items, a
// line's price) and the API version it is rendered at (its shape's plan, see
// shape). Every renderer is a method of it, and a call embeds the request's.
type renderCtx struct {
	tx *store.Txn
	v  apiversion.Version
}

// at is the render context for another version (an event's rendering).
func (rc *renderCtx) at(v apiversion.Version) *renderCtx {
	if v == rc.v {
		return rc
	}
	return &renderCtx{tx: rc.tx, v: v}
}

// infallible is a renderer that cannot fail, as a resource's render.
func infallible[T any](f func(rc *renderCtx, r T) jsonobj.Obj) func(*renderCtx, T) (jsonobj.Obj, error) {
	return func(rc *renderCtx, r T) (jsonobj.Obj, error) { return f(rc, r), nil }
}
