package server

import (
	"maps"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// Limits on metadata, as Stripe documents them.
const (
	maxMetadataKeys     = 50
	maxMetadataKeyLen   = 40
	maxMetadataValueLen = 500
)

// applyMetadata returns cur updated by the request's metadata parameter at key:
// metadata= clears it, metadata[k]= removes k, metadata[k]=v sets k. The result
// is a new map; cur is never modified.
func applyMetadata(cur map[string]string, p *form.Params, key string) (map[string]string, error) {
	if !p.Has(key) {
		return cur, nil
	}
	if p.IsEmpty(key) {
		return map[string]string{}, nil
	}
	param := p.Path(key)
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range p.StringMap(key) {
		if utf8.RuneCountInString(k) > maxMetadataKeyLen {
			return nil, apierr.InvalidRequest("", param, "Invalid key: %s must be a string under %d characters", k, maxMetadataKeyLen)
		}
		if k == "" {
			return nil, apierr.InvalidRequest("", param, "Invalid key: metadata keys cannot be empty")
		}
		if v == "" {
			delete(out, k)
			continue
		}
		if utf8.RuneCountInString(v) > maxMetadataValueLen {
			return nil, apierr.InvalidRequest("", param, "Invalid val: %s must be a string under %d characters", truncateRunes(v, 50), maxMetadataValueLen)
		}
		out[k] = v
	}
	if len(out) > maxMetadataKeys {
		return nil, apierr.InvalidRequest("", param, "Metadata can have up to %d keys, but you've set %d.", maxMetadataKeys, len(out))
	}
	return out, nil
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "..."
		}
		i++
	}
	return s
}

// orNull renders "" as null.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orNullInt renders a nil pointer as null.
func orNullInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// metadataOf renders a metadata map ({} when empty).
func metadataOf(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
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
