package server

import (
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/metadata"
)

// decodeMetadata is the request's metadata parameter at key, as a change to
// make (metadata.Apply checks it and applies it).
func decodeMetadata(p *form.Params, key string) metadata.Patch {
	switch {
	case !p.Has(key):
		return metadata.Patch{}
	case p.IsEmpty(key):
		return metadata.Patch{Given: true, Clear: true, Param: p.Path(key)}
	}
	return metadata.Patch{Given: true, Param: p.Path(key), Keys: p.StringMap(key)}
}

// subObject builds a nested object from a parameter, with every listed field
// present (null when not given). Nested objects are rendered by nested.
func subObject(p *form.Params, fields []string, nested map[string]func(*form.Params) jsonobj.Obj) jsonobj.Obj {
	o := make(jsonobj.Obj, 0, len(fields))
	for _, f := range fields {
		var v any
		if fn := nested[f]; fn != nil {
			if sub := p.Object(f); sub != nil {
				v = fn(sub)
			}
		} else if val := p.Get(f); val != nil {
			v = plainValue(val)
		}
		o = append(o, jsonobj.Field{K: f, V: v})
	}
	return o
}

// plainValue renders a parameter value as the JSON Stripe echoes: integers,
// booleans and strings typed, objects and arrays recursively, "" as null.
func plainValue(v *form.Value) any {
	switch v.Kind {
	case form.KInt:
		return v.Int
	case form.KBool:
		return v.Bool
	case form.KNumber:
		f, _ := v.Num.Float64()
		return f
	case form.KEmpty:
		return nil
	case form.KArray:
		out := make([]any, len(v.Arr))
		for i, e := range v.Arr {
			out[i] = plainValue(e)
		}
		return out
	case form.KObject:
		o := jsonobj.Obj{}
		for _, k := range v.Obj.Keys() {
			o = append(o, jsonobj.Field{K: k, V: plainValue(v.Obj.Get(k))})
		}
		return o
	}
	if v.Str == "" {
		return nil
	}
	return v.Str
}

var addressFields = []string{"city", "country", "line1", "line2", "postal_code", "state"}

// mergeObject overlays the given fields of p on cur (nil: all fields null),
// keeping cur's other fields: Stripe's update of nested objects.
func mergeObject(cur jsonobj.Obj, p *form.Params, fields []string, nested map[string]func(*form.Params) jsonobj.Obj) jsonobj.Obj {
	fresh := subObject(p, fields, nested)
	if cur == nil {
		return fresh
	}
	out := make(jsonobj.Obj, len(cur))
	copy(out, cur)
	for _, f := range fresh {
		if p.Has(f.K) {
			out.Set(f.K, f.V)
		}
	}
	return out
}
