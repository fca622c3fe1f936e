package form

import (
	"sort"

	"github.com/shopspring/decimal"
)

// NewParams builds Params from values, for callers that assemble parameters
// themselves (tests, and endpoints that merge two parameter sets).
func NewParams(param string, fields map[string]*Value) *Params {
	if fields == nil {
		fields = map[string]*Value{}
	}
	return &Params{param: param, fields: fields}
}

// Param is the bracketed name of the object itself ("" at the top level).
func (p *Params) Param() string {
	if p == nil {
		return ""
	}
	return p.param
}

// Path is the bracketed name of a child parameter, e.g. items[0][price].
func (p *Params) Path(key string) string { return childParam(p.Param(), key) }

// Len is the number of parameters given.
func (p *Params) Len() int {
	if p == nil {
		return 0
	}
	return len(p.fields)
}

// Keys lists the parameters given, sorted.
func (p *Params) Keys() []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(p.fields))
	for k := range p.fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Range calls fn for each parameter given, in no particular order.
func (p *Params) Range(fn func(key string, v *Value)) {
	if p == nil {
		return
	}
	for k, v := range p.fields {
		fn(k, v)
	}
}

// Has reports whether the parameter was given (empty counts as given).
func (p *Params) Has(key string) bool {
	if p == nil {
		return false
	}
	_, ok := p.fields[key]
	return ok
}

// Get returns the parameter's value, or nil.
func (p *Params) Get(key string) *Value {
	if p == nil {
		return nil
	}
	return p.fields[key]
}

// Set gives a parameter a value (one validated against another schema,
// ValidateParam).
func (p *Params) Set(key string, v *Value) { p.fields[key] = v }

// Del removes a parameter (a request upgrade that replaces it by another).
func (p *Params) Del(key string) { delete(p.fields, key) }

// IsEmpty reports whether the parameter was sent as "" (unset, clear).
func (p *Params) IsEmpty(key string) bool {
	v := p.Get(key)
	return v != nil && v.Kind == KEmpty
}

// String returns a string parameter; ok is false when absent or not a string.
func (p *Params) String(key string) (string, bool) {
	v := p.Get(key)
	if v == nil || v.Kind != KString {
		return "", false
	}
	return v.Str, true
}

// StringOr returns a string parameter or def.
func (p *Params) StringOr(key, def string) string {
	if s, ok := p.String(key); ok {
		return s
	}
	return def
}

// Int returns an integer parameter.
func (p *Params) Int(key string) (int64, bool) {
	v := p.Get(key)
	if v == nil || v.Kind != KInt {
		return 0, false
	}
	return v.Int, true
}

// Bool returns a boolean parameter.
func (p *Params) Bool(key string) (bool, bool) {
	v := p.Get(key)
	if v == nil || v.Kind != KBool {
		return false, false
	}
	return v.Bool, true
}

// Number returns a number parameter as a decimal.
func (p *Params) Number(key string) (decimal.Decimal, bool) {
	v := p.Get(key)
	if v == nil || v.Kind != KNumber {
		return decimal.Zero, false
	}
	return v.Num, true
}

// Object returns a nested object parameter, or nil.
func (p *Params) Object(key string) *Params {
	v := p.Get(key)
	if v == nil || v.Kind != KObject {
		return nil
	}
	return v.Obj
}

// Array returns the elements of an array parameter (nil when absent or cleared).
func (p *Params) Array(key string) []*Value {
	v := p.Get(key)
	if v == nil || v.Kind != KArray {
		return nil
	}
	return v.Arr
}

// Strings returns an array of strings parameter.
func (p *Params) Strings(key string) []string {
	arr := p.Array(key)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if v.Kind == KString {
			out = append(out, v.Str)
		}
	}
	return out
}

// Objects returns an array-of-objects parameter.
func (p *Params) Objects(key string) []*Params {
	arr := p.Array(key)
	out := make([]*Params, 0, len(arr))
	for _, v := range arr {
		if v.Kind == KObject {
			out = append(out, v.Obj)
		} else {
			out = append(out, NewParams(v.Param, nil))
		}
	}
	return out
}

// StringMap returns a map parameter (metadata, payload) as strings; numbers keep
// their text. Keys sent as "" map to "" (callers treat that as "unset").
func (p *Params) StringMap(key string) map[string]string {
	obj := p.Object(key)
	if obj == nil {
		return nil
	}
	out := make(map[string]string, len(obj.fields))
	for k, v := range obj.fields {
		switch v.Kind {
		case KEmpty:
			out[k] = ""
		default:
			out[k] = v.Str
		}
	}
	return out
}

// Canonical is a stable text form of the parameters, for comparing two requests
// (idempotency): sorted keys, bracketed names, every scalar's raw text.
func (p *Params) Canonical() string {
	var b []byte
	var walk func(v *Value)
	walk = func(v *Value) {
		switch v.Kind {
		case KObject:
			for _, k := range v.Obj.Keys() {
				walk(v.Obj.fields[k])
			}
		case KArray:
			b = append(b, v.Param...)
			b = append(b, "=["...)
			for _, e := range v.Arr {
				walk(e)
			}
			b = append(b, ']', '&')
		default:
			b = append(b, v.Param...)
			b = append(b, '=')
			b = append(b, v.Str...)
			b = append(b, '&')
		}
	}
	if p != nil {
		walk(&Value{Kind: KObject, Obj: p})
	}
	return string(b)
}
