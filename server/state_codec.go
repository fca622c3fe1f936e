package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"

	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
	"github.com/stripe-emulator/stripe-emulator/internal/store"
)

// Encoding records and response-model values in a state file (see state.go).

// Records: one Go type per table, encoded with encoding/json. Records hold
// only exported fields (a test checks it), so encoding/json keeps all of them
// exactly: pointers (nil or not), maps and slices (nil or empty), decimals (as
// their exact decimal strings). jsonobj.Obj fields (addresses…) are shadowed by
// a stateObj field of the same name, which writes them in the tagged form.
// Each resource has its codec (resource.codec).

type recordCodec struct {
	typ reflect.Type // the record's struct type
	// shadow is the struct that shadows its jsonobj.Obj fields (nil: none).
	shadow reflect.Type
	encode func(store.Record) ([]byte, error)
	decode func([]byte) (store.Record, error)
}

func plainCodec[T any, P interface {
	*T
	store.Record
}]() recordCodec {
	return recordCodec{
		typ: reflect.TypeFor[T](),
		encode: func(r store.Record) ([]byte, error) {
			p, ok := r.(P)
			if !ok {
				return nil, fmt.Errorf("a %T in a table of %T", r, P(nil))
			}
			return json.Marshal(p)
		},
		decode: func(b []byte) (store.Record, error) {
			p := P(new(T))
			return p, strictJSON(b, p)
		},
	}
}

// shadowCodec is for records with jsonobj.Obj fields: S embeds *T and shadows
// those fields; wrap and unwrap convert.
func shadowCodec[T any, P interface {
	*T
	store.Record
}, S any](wrap func(P) *S, unwrap func(*S) P) recordCodec {
	return recordCodec{
		typ:    reflect.TypeFor[T](),
		shadow: reflect.TypeFor[S](),
		encode: func(r store.Record) ([]byte, error) {
			p, ok := r.(P)
			if !ok {
				return nil, fmt.Errorf("a %T in a table of %T", r, P(nil))
			}
			return json.Marshal(wrap(p))
		},
		decode: func(b []byte) (store.Record, error) {
			st := wrap(P(new(T)))
			if err := strictJSON(b, st); err != nil {
				return nil, err
			}
			return unwrap(st), nil
		},
	}
}

// stateObj is a jsonobj.Obj in a record, written in the tagged form.
type stateObj jsonobj.Obj

// MarshalJSON implements json.Marshaler.
func (o stateObj) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	return appendStateValue(nil, jsonobj.Obj(o), 0)
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *stateObj) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = nil
		return nil
	}
	v, err := parseStateValue(b)
	if err != nil {
		return err
	}
	obj, ok := v.(jsonobj.Obj)
	if !ok {
		return fmt.Errorf("an object expected, found %T", v)
	}
	*o = stateObj(obj)
	return nil
}

// The tagged form of response-model values: JSON where objects are
// jsonobj.Obj (keys in their order), strings, booleans, null and int64 are
// themselves, and every other value is an array whose first element names its
// Go type: ["Objs", {…}, …] is a []jsonobj.Obj, ["Any", …] a []any, ["Strs", …]
// a []string, ["Map", k, v, …] a map[string]string, ["Hidden", v] a
// jsonobj.Hidden (its value computed if it has a function), ["Decimal", "1.5"],
// ["Float", "1.5"], ["Int", 3], ["Uint32", 3], ["Uint64", "3"], ["Raw", "…"].
// A nil Obj, slice or map is ["Obj0"], ["Objs0"], ["Any0"], ["Strs0"], ["Map0"].
// Pointers are written as what they point to (or null). Anything else is
// written as Raw, its JSON: it renders the same.

const maxStateDepth = 200

// appendStateList writes a tagged list of values (name0 for a nil one).
func appendStateList[E any](b []byte, tag func(string) []byte, name string, list []E, depth int) ([]byte, error) {
	if list == nil {
		return append(tag(name+"0"), ']'), nil
	}
	b = tag(name)
	var err error
	for _, e := range list {
		if b, err = appendStateValue(append(b, ','), e, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendStateValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxStateDepth {
		return nil, errors.New("a value nested too deeply")
	}
	tag := func(t string) []byte { return append(append(append(b, `["`...), t...), '"') }
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonobj.AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		b = strconv.AppendInt(append(tag("Int"), ','), int64(x), 10)
		return append(b, ']'), nil
	case uint32:
		b = strconv.AppendUint(append(tag("Uint32"), ','), uint64(x), 10)
		return append(b, ']'), nil
	case uint64:
		b = jsonobj.AppendString(append(tag("Uint64"), ','), strconv.FormatUint(x, 10))
		return append(b, ']'), nil
	case float64:
		b = jsonobj.AppendString(append(tag("Float"), ','), strconv.FormatFloat(x, 'g', -1, 64))
		return append(b, ']'), nil
	case jsonobj.Decimal:
		b = jsonobj.AppendString(append(tag("Decimal"), ','), string(x))
		return append(b, ']'), nil
	case jsonobj.Raw:
		b = jsonobj.AppendString(append(tag("Raw"), ','), string(x))
		return append(b, ']'), nil
	case *string:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *bool:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *int64:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case *jsonobj.Decimal:
		if x == nil {
			return append(b, "null"...), nil
		}
		return appendStateValue(b, *x, depth)
	case jsonobj.Obj:
		if x == nil {
			return append(tag("Obj0"), ']'), nil
		}
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonobj.AppendString(b, f.K), ':')
			if b, err = appendStateValue(b, f.V, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []jsonobj.Obj:
		return appendStateList(b, tag, "Objs", x, depth)
	case []any:
		return appendStateList(b, tag, "Any", x, depth)
	case []string:
		if x == nil {
			return append(tag("Strs0"), ']'), nil
		}
		b = tag("Strs")
		for _, e := range x {
			b = jsonobj.AppendString(append(b, ','), e)
		}
		return append(b, ']'), nil
	case map[string]string:
		if x == nil {
			return append(tag("Map0"), ']'), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = tag("Map")
		for _, k := range keys {
			b = jsonobj.AppendString(append(b, ','), k)
			b = jsonobj.AppendString(append(b, ','), x[k])
		}
		return append(b, ']'), nil
	case jsonobj.Hidden:
		if b, err = appendStateValue(append(tag("Hidden"), ','), x.Value(), depth+1); err != nil {
			return nil, err
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("a %T: %w", v, err)
	}
	b = jsonobj.AppendString(append(tag("Raw"), ','), string(raw))
	return append(b, ']'), nil
}

// parseStateValue reads a value in the tagged form: JSON (read by jsonobj),
// whose arrays are then turned into the values their tags name.
func parseStateValue(b []byte) (any, error) {
	v, err := jsonobj.ParseDepth(b, maxStateDepth)
	if err != nil {
		return nil, err
	}
	return fromStateJSON(v)
}

// fromStateJSON turns parsed JSON into the value it stands for in the tagged
// form (objects are changed in place: they are the parser's).
func fromStateJSON(v any) (any, error) {
	switch x := v.(type) {
	case jsonobj.Obj:
		for i := range x {
			var err error
			if x[i].V, err = fromStateJSON(x[i].V); err != nil {
				return nil, err
			}
		}
		return x, nil
	case []any:
		return fromTagged(x)
	case []jsonobj.Obj:
		return nil, errors.New("an array without its type tag")
	case float64:
		return nil, errors.New("a number that is not an integer (floats are tagged)")
	}
	return v, nil
}

// fromTagged reads a tagged array: its tag, then its elements.
func fromTagged(arr []any) (any, error) {
	tag, ok := "", len(arr) > 0
	if ok {
		tag, ok = arr[0].(string)
	}
	if !ok {
		return nil, errors.New("an array without its type tag")
	}
	var elems []any
	if len(arr) > 1 {
		elems = arr[1:]
	}
	for i, e := range elems {
		var err error
		if elems[i], err = fromStateJSON(e); err != nil {
			return nil, err
		}
	}
	bad := func() (any, error) {
		return nil, fmt.Errorf("an invalid %q value", tag)
	}
	one := func() (any, bool) {
		if len(elems) != 1 {
			return nil, false
		}
		return elems[0], true
	}
	oneString := func() (string, bool) {
		v, ok := one()
		s, isString := v.(string)
		return s, ok && isString
	}
	switch tag {
	case "Obj0", "Objs0", "Any0", "Strs0", "Map0":
		if len(elems) != 0 {
			return bad()
		}
		switch tag {
		case "Obj0":
			return jsonobj.Obj(nil), nil
		case "Objs0":
			return []jsonobj.Obj(nil), nil
		case "Any0":
			return []any(nil), nil
		case "Strs0":
			return []string(nil), nil
		}
		return map[string]string(nil), nil
	case "Objs":
		out := make([]jsonobj.Obj, len(elems))
		for i, e := range elems {
			o, ok := e.(jsonobj.Obj)
			if !ok {
				return bad()
			}
			out[i] = o
		}
		return out, nil
	case "Any":
		if elems == nil {
			elems = []any{}
		}
		return elems, nil
	case "Strs":
		out := make([]string, len(elems))
		for i, e := range elems {
			s, ok := e.(string)
			if !ok {
				return bad()
			}
			out[i] = s
		}
		return out, nil
	case "Map":
		if len(elems)%2 != 0 {
			return bad()
		}
		out := make(map[string]string, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			k, ok1 := elems[i].(string)
			v, ok2 := elems[i+1].(string)
			if _, dup := out[k]; !ok1 || !ok2 || dup {
				return bad()
			}
			out[k] = v
		}
		return out, nil
	case "Hidden":
		v, ok := one()
		if !ok {
			return bad()
		}
		return jsonobj.Hidden{V: v}, nil
	case "Decimal":
		s, ok := oneString()
		if !ok {
			return bad()
		}
		return jsonobj.Decimal(s), nil
	case "Raw":
		s, ok := oneString()
		if !ok || !json.Valid([]byte(s)) {
			return bad()
		}
		return jsonobj.Raw(s), nil
	case "Float":
		s, ok := oneString()
		f, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil {
			return bad()
		}
		return f, nil
	case "Uint64":
		s, ok := oneString()
		n, err := strconv.ParseUint(s, 10, 64)
		if !ok || err != nil {
			return bad()
		}
		return n, nil
	case "Int", "Uint32":
		v, ok := one()
		n, isInt := v.(int64)
		if !ok || !isInt {
			return bad()
		}
		if tag == "Uint32" {
			if n < 0 || n > math.MaxUint32 {
				return bad()
			}
			return uint32(n), nil
		}
		if int64(int(n)) != n {
			return bad()
		}
		return int(n), nil
	}
	return nil, fmt.Errorf("an unknown type tag %q", tag)
}
