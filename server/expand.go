package server

import (
	"strings"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// maxExpandDepth is Stripe's limit on the levels of one expand[] path.
const maxExpandDepth = 4

// expand applies expand[] paths to a rendered response.
func (c *call) expand(obj jsonobj.Obj, paths []string) error {
	isList := isListObject(obj)
	for _, p := range paths {
		segs := strings.Split(p, ".")
		if err := checkExpandPath(p, segs); err != nil {
			return err
		}
		if segs[0] == "total_count" && isList && c.v.Has(apiversion.GateNoTotalCount) {
			return apierr.InvalidRequest("property_forbidden", "expand", "You cannot expand total_count: from API version 2025-03-31.basil, lists and search results no longer compute it (this request used %s).", c.v)
		}
		if _, includable := obj.Get(segs[0]); isList && segs[0] != "data" && !includable {
			return apierr.InvalidRequest("", "expand", "This property cannot be expanded (%s). You may want to try expanding 'data.%s' instead.", p, p)
		}
		if err := c.expandIn(obj, obj.Str("object"), "", segs, p); err != nil {
			return err
		}
	}
	return nil
}

// checkExpandPath refuses a malformed expand path: an empty level, or more
// levels than Stripe allows.
func checkExpandPath(p string, segs []string) *apierr.Error {
	depth := 0
	for _, s := range segs {
		if s == "" {
			return apierr.InvalidRequest("", "expand", "Invalid expand path: %q.", p)
		}
		if s != "data" {
			depth++
		}
	}
	if depth > maxExpandDepth {
		return apierr.InvalidRequest("", "expand", "You cannot expand more than %d levels of a property.", maxExpandDepth)
	}
	return nil
}

// unexpandable are response types with no field that expand[] can name. Their
// endpoints refuse any expand[] before the handler runs, with the error
// expansion would give afterwards: their effects are not in the request's
// transaction (a meter event is counted, an adjustment cancels, as the handler
// runs), so a refusal after the handler would leave them done.
var unexpandable = map[string]bool{"billing.meter_event": true, "billing.meter_event_adjustment": true}

// checkExpandUpfront refuses expand[] paths on an endpoint whose response type
// (from the catalogue) cannot have any.
func checkExpandUpfront(response string, paths []string) *apierr.Error {
	if !unexpandable[response] {
		return nil
	}
	for _, p := range paths {
		if err := checkExpandPath(p, strings.Split(p, ".")); err != nil {
			return err
		}
		return apierr.InvalidRequest("", "expand", "This property cannot be expanded (%s).", p)
	}
	return nil
}

func isListObject(o jsonobj.Obj) bool {
	t := o.Str("object")
	return t == "list" || t == "search_result"
}

func cannotExpand(path string) error {
	return apierr.InvalidRequest("", "expand", "This property cannot be expanded (%s).", path)
}

// expandIn expands segs below obj. typ is the type of the nearest enclosing
// Stripe object, prefix the dotted path from it to obj. The fields expand[]
// can replace are the resources' (resource.expand).
func (c *call) expandIn(obj jsonobj.Obj, typ, prefix string, segs []string, full string) error {
	expandable := c.s.reg.expandable
	seg := segs[0]
	if isListObject(obj) && seg == "data" {
		return c.expandEach(obj, "data", segs[1:], full)
	}
	field := seg
	if prefix != "" {
		field = prefix + "." + seg
	}
	v, ok := obj.Get(seg)
	if !ok {
		if expandable[typ][field] != "" {
			return nil // left out, as a subscription line's invoice_item is: nothing to expand
		}
		return cannotExpand(full)
	}
	expanded := false
	switch x := v.(type) {
	case jsonobj.Hidden:
		if v = x.Value(); v == nil {
			// Nothing to include (the tiers of a per-unit price): Stripe leaves
			// the field out rather than send null, and so does the hidden field.
			return nil
		}
		obj.Set(seg, v)
		expanded = true
	case string:
		kind := expandable[typ][field]
		if at, ok := c.s.reg.expandableSince[typ][field]; kind == "" || ok && c.v < at {
			return cannotExpand(full)
		}
		loaded, err := c.load(kind, x)
		if err != nil {
			return err
		}
		obj.Set(seg, loaded)
		v, expanded = loaded, true
	case nil:
		// A null on the way (a line with no price, under
		// lines.data.price.product) leaves nothing to expand below it.
		if expandable[typ][field] == "" && len(segs) == 1 {
			return cannotExpand(full)
		}
		return nil
	}
	if len(segs) == 1 {
		// A field that is already an object (a subscription item's price, say)
		// needs no expansion; anything else that is not a reference cannot have one.
		if _, isObj := v.(jsonobj.Obj); !expanded && !isObj && expandable[typ][field] == "" {
			return cannotExpand(full)
		}
		return nil
	}
	switch x := v.(type) {
	case jsonobj.Obj:
		if t := x.Str("object"); t != "" && !isListObject(x) {
			return c.expandIn(x, t, "", segs[1:], full)
		}
		return c.expandIn(x, typ, field, segs[1:], full)
	case []jsonobj.Obj:
		for _, e := range x {
			if err := c.expandIn(e, e.Str("object"), "", segs[1:], full); err != nil {
				return err
			}
		}
		return nil
	}
	return cannotExpand(full)
}

// expandEach applies segs to every element of the array field key of a list.
func (c *call) expandEach(list jsonobj.Obj, key string, segs []string, full string) error {
	if len(segs) == 0 {
		return cannotExpand(full)
	}
	v, _ := list.Get(key)
	items, _ := v.([]jsonobj.Obj)
	for _, e := range items {
		if err := c.expandIn(e, e.Str("object"), "", segs, full); err != nil {
			return err
		}
	}
	return nil
}

// load renders the object of a kind by ID, for expansion.
func (c *call) load(kind, id string) (jsonobj.Obj, error) {
	if l := c.s.loaders[kind]; l != nil {
		return l(&c.renderCtx, id)
	}
	return nil, apierr.InvalidRequest("resource_missing", "expand", "No such %s: '%s'", strings.ReplaceAll(kind, "_", " "), id)
}

// loader renders an object of one kind by ID.
type loader func(rc *renderCtx, id string) (jsonobj.Obj, error)

// expands reports whether the request asks for any expansion.
func (c *call) expands() bool { return c.params != nil && len(c.params.Strings("expand")) > 0 }
