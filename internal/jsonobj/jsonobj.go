// Package jsonobj is the emulator's response model: ordered JSON objects that
// render fast, without reflection, and that expansion and event diffs can walk.
package jsonobj

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Obj is a JSON object whose keys keep the order they were set in.
type Obj []Field

// Field is one key of an Obj.
type Field struct {
	K string
	V any
}

// Decimal is a decimal amount rendered as a JSON string ("0.004"), as Stripe does
// for unit_amount_decimal and friends.
type Decimal string

// Hidden is a field left out of the JSON until expand[] names it ("includable"
// fields such as price.tiers, or a search's total_count). Fn, when set, computes
// the value only when it is asked for.
type Hidden struct {
	V  any
	Fn func() any
}

// Value is the hidden value, computed if need be.
func (h Hidden) Value() any {
	if h.Fn != nil {
		return h.Fn()
	}
	return h.V
}

// Raw is JSON text inserted verbatim.
type Raw []byte

// Get returns the value of key.
func (o Obj) Get(key string) (any, bool) {
	for i := range o {
		if o[i].K == key {
			return o[i].V, true
		}
	}
	return nil, false
}

// Str returns the string value of key, or "".
func (o Obj) Str(key string) string {
	v, _ := o.Get(key)
	s, _ := v.(string)
	return s
}

// Set replaces the value of key in place, or appends it.
func (o *Obj) Set(key string, v any) {
	for i := range *o {
		if (*o)[i].K == key {
			(*o)[i].V = v
			return
		}
	}
	*o = append(*o, Field{key, v})
}

// Delete removes key.
func (o *Obj) Delete(key string) {
	for i := range *o {
		if (*o)[i].K == key {
			*o = append((*o)[:i], (*o)[i+1:]...)
			return
		}
	}
}

// MarshalJSON renders the object.
func (o Obj) MarshalJSON() ([]byte, error) { return Append(nil, o), nil }

// Marshal renders any supported value.
func Marshal(v any) []byte { return Append(make([]byte, 0, 512), v) }

// Append renders v after b.
func Append(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return AppendString(b, x)
	case *string:
		if x == nil {
			return append(b, "null"...)
		}
		return AppendString(b, *x)
	case bool:
		return strconv.AppendBool(b, x)
	case *bool:
		if x == nil {
			return append(b, "null"...)
		}
		return strconv.AppendBool(b, *x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case *int64:
		if x == nil {
			return append(b, "null"...)
		}
		return strconv.AppendInt(b, *x, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case Decimal:
		return AppendString(b, string(x))
	case *Decimal:
		if x == nil {
			return append(b, "null"...)
		}
		return AppendString(b, string(*x))
	case Raw:
		return append(b, x...)
	case Obj:
		b = append(b, '{')
		first := true
		for _, f := range x {
			if _, hidden := f.V.(Hidden); hidden {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendString(b, f.K)
			b = append(b, ':')
			b = Append(b, f.V)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = Append(b, e)
		}
		return append(b, ']')
	case []Obj:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = Append(b, e)
		}
		return append(b, ']')
	case []string:
		if x == nil {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, e)
		}
		return append(b, ']')
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			b = AppendString(b, x[k])
		}
		return append(b, '}')
	case Hidden:
		return Append(b, x.Value())
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}

const hex = "0123456789abcdef"

// plain are the bytes a JSON string holds as they are: printable ASCII
// but the quote and the backslash. Never written after init.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendString renders s as a JSON string; invalid UTF-8 becomes U+FFFD.
func AppendString(b []byte, s string) []byte {
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) { // most strings: IDs, names, keys
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendEscaped(b, s, i)
}

// appendEscaped renders s as a JSON string, escaping what needs it, byte by
// byte from i (the bytes before it are plain).
func appendEscaped(b []byte, s string, i int) []byte {
	b = append(b, '"')
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ToGeneric converts a value to the plain form encoding/json produces when
// decoding (map[string]any, []any, float64...), for comparing rendered objects.
func ToGeneric(v any) any {
	var out any
	if err := json.Unmarshal(Marshal(v), &out); err != nil {
		return nil
	}
	return out
}

// Clone is a deep copy of v's objects and arrays (scalars and Raw are shared:
// they are never changed in place), for changing an object that others hold.
func Clone(v any) any {
	switch x := v.(type) {
	case Obj:
		out := make(Obj, len(x))
		for i, f := range x {
			out[i] = Field{K: f.K, V: Clone(f.V)}
		}
		return out
	case []Obj:
		out := make([]Obj, len(x))
		for i, o := range x {
			out[i] = Clone(o).(Obj)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Clone(e)
		}
		return out
	case Hidden:
		if x.Fn == nil {
			return Hidden{V: Clone(x.V)}
		}
		return x
	}
	return v
}

// HasHidden reports whether v holds a Hidden field anywhere.
func HasHidden(v any) bool {
	switch x := v.(type) {
	case Hidden:
		return true
	case Obj:
		for _, f := range x {
			if HasHidden(f.V) {
				return true
			}
		}
	case []Obj:
		for _, o := range x {
			if HasHidden(o) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if HasHidden(e) {
				return true
			}
		}
	}
	return false
}
