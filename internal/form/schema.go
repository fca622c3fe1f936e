package form

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Type is a parameter's type in a Schema.
type Type uint8

// Schema types, as the operations catalogue spells them.
const (
	TAny Type = iota // "..." in the catalogue: a subtree too deep to describe; anything goes
	TString
	TInteger
	TNumber
	TBoolean
	TObject
	TArray
	TAnyOf
)

// Schema describes one parameter (or the whole parameter set of an endpoint, an object).
type Schema struct {
	Type       Type
	Enum       []string
	Props      map[string]*Schema
	Required   []string
	Additional *Schema // for maps such as metadata: the schema of every value
	Items      *Schema
	AnyOf      []*Schema
	Emptyable  bool // "" unsets the parameter
}

// Prop returns the schema of a named property of an object schema, or nil.
func (s *Schema) Prop(name string) *Schema {
	if s == nil || s.Props == nil {
		return nil
	}
	return s.Props[name]
}

// Names are the property names of an object schema, sorted.
func (s *Schema) Names() []string {
	out := make([]string, 0, len(s.Props))
	for k := range s.Props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Clone returns a deep copy, so that a caller can extend a shared schema safely.
func (s *Schema) Clone() *Schema {
	if s == nil {
		return nil
	}
	c := *s
	c.Enum = append([]string(nil), s.Enum...)
	c.Required = append([]string(nil), s.Required...)
	if s.Props != nil {
		c.Props = make(map[string]*Schema, len(s.Props))
		for k, v := range s.Props {
			c.Props[k] = v.Clone()
		}
	}
	c.Additional = s.Additional.Clone()
	c.Items = s.Items.Clone()
	if s.AnyOf != nil {
		c.AnyOf = make([]*Schema, len(s.AnyOf))
		for i, a := range s.AnyOf {
			c.AnyOf[i] = a.Clone()
		}
	}
	return &c
}

// CloneAlong returns a copy of s that shares every schema but those on the
// way to the dotted parameter path (through arrays' items and each
// alternative of an anyOf): those are copied, property maps included, so
// that the copy can have the path's parameter added, removed, retyped or
// required without touching s. What lies under the parameter itself is
// shared: replace it rather than change it.
func (s *Schema) CloneAlong(dotted string) *Schema {
	return s.cloneAlong(strings.Split(dotted, "."))
}

func (s *Schema) cloneAlong(parts []string) *Schema {
	if s == nil {
		return nil
	}
	c := *s
	c.Required = slices.Clone(s.Required)
	switch s.Type {
	case TArray:
		c.Items = s.Items.cloneAlong(parts)
	case TAnyOf:
		c.AnyOf = make([]*Schema, len(s.AnyOf))
		for i, a := range s.AnyOf {
			c.AnyOf[i] = a.cloneAlong(parts)
		}
	case TObject:
		if s.Props != nil {
			c.Props = maps.Clone(s.Props)
			if len(parts) > 1 && c.Props[parts[0]] != nil {
				c.Props[parts[0]] = c.Props[parts[0]].cloneAlong(parts[1:])
			}
		}
	}
	return &c
}

// Equal tells whether two schemas accept the same parameters alike: the same
// types, enumerations and required names (in any order), properties, items
// and alternatives (in order).
func (s *Schema) Equal(o *Schema) bool {
	if s == nil || o == nil {
		return s == o
	}
	if s == o {
		return true
	}
	if s.Type != o.Type || s.Emptyable != o.Emptyable || !sameSet(s.Enum, o.Enum) || !sameSet(s.Required, o.Required) ||
		len(s.Props) != len(o.Props) || len(s.AnyOf) != len(o.AnyOf) ||
		!s.Additional.Equal(o.Additional) || !s.Items.Equal(o.Items) {
		return false
	}
	for k, v := range s.Props {
		if !v.Equal(o.Props[k]) {
			return false
		}
	}
	for i := range s.AnyOf {
		if !s.AnyOf[i].Equal(o.AnyOf[i]) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		if seen[x]--; seen[x] < 0 {
			return false
		}
	}
	return true
}

// Constructors for hand-written schemas (endpoints outside Stripe's catalogue).

// Object is an object schema with the given properties.
func Object(props map[string]*Schema, required ...string) *Schema {
	return &Schema{Type: TObject, Props: props, Required: required}
}

// Map is an object whose keys are free and whose values all follow val.
func Map(val *Schema) *Schema { return &Schema{Type: TObject, Additional: val} }

// String is a string schema, an enumeration when values are given.
func String(enum ...string) *Schema { return &Schema{Type: TString, Enum: enum} }

// Integer is an integer schema.
func Integer() *Schema { return &Schema{Type: TInteger} }

// Boolean is a boolean schema.
func Boolean() *Schema { return &Schema{Type: TBoolean} }

// Array is an array schema of items.
func Array(items *Schema) *Schema { return &Schema{Type: TArray, Items: items} }

// OneOf is a schema satisfied by any of the alternatives.
func OneOf(alts ...*Schema) *Schema { return &Schema{Type: TAnyOf, AnyOf: alts} }

// Empty makes s emptyable ("" unsets it) and returns it.
func (s *Schema) Empty() *Schema { s.Emptyable = true; return s }

// rawSchema is the catalogue's JSON form of a schema.
type rawSchema struct {
	Type                 string                `json:"type"`
	Enum                 []string              `json:"enum"`
	Properties           map[string]*rawSchema `json:"properties"`
	Required             []string              `json:"required"`
	AdditionalProperties json.RawMessage       `json:"additionalProperties"`
	Items                *rawSchema            `json:"items"`
	AnyOf                []*rawSchema          `json:"anyOf"`
	Emptyable            bool                  `json:"emptyable"`
}

// interner makes a catalogue's alike schemas one: the same parameter (an
// address, metadata, expand, a plain string) appears in many operations, and
// compiled once each it would be most of the catalogue's memory, which stays
// live for the life of the process (and is scanned by every GC cycle). A
// catalogue's schemas are shared and never modified (ParamEdit.Apply and the
// server change clones), so alike subtrees can be one. Each operation's root
// stays its own. Used while loading; dropped after.
type interner struct {
	strs  map[string]string
	nodes map[string]*Schema
	ids   map[*Schema]int
	key   []byte
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, nodes: map[string]*Schema{}, ids: map[*Schema]int{}}
}

// str is s, or the alike string seen first.
func (in *interner) str(s string) string {
	if t, ok := in.strs[s]; ok {
		return t
	}
	in.strs[s] = s
	return s
}

func (in *interner) strList(l []string) []string {
	for i, s := range l {
		l[i] = in.str(s)
	}
	return l
}

// node is s, or the schema alike to it seen first. s's children are
// interned already, so alike means the same fields and the same children.
func (in *interner) node(s *Schema) *Schema {
	k := in.key[:0]
	k = append(k, byte(s.Type))
	if s.Emptyable {
		k = append(k, 'e')
	}
	k = appendStrs(append(k, 'E'), s.Enum)
	req := slices.Clone(s.Required)
	slices.Sort(req)
	k = appendStrs(append(k, 'R'), req)
	k = append(k, 'P')
	for _, name := range s.Names() {
		k = appendStrs(k, []string{name})
		k = strconv.AppendInt(k, int64(in.ids[s.Props[name]]), 10)
		k = append(k, ',')
	}
	for _, c := range []*Schema{s.Additional, s.Items} {
		k = strconv.AppendInt(append(k, ';'), int64(in.id(c)), 10)
	}
	k = append(k, 'A')
	for _, a := range s.AnyOf {
		k = strconv.AppendInt(append(k, ','), int64(in.id(a)), 10)
	}
	in.key = k
	if t, ok := in.nodes[string(k)]; ok {
		return t
	}
	in.nodes[string(k)] = s
	in.ids[s] = len(in.ids) + 1
	return s
}

// id is an interned schema's number; 0 for nil.
func (in *interner) id(s *Schema) int {
	if s == nil {
		return 0
	}
	return in.ids[s]
}

// appendStrs appends each string with its length, so no two lists share an
// encoding.
func appendStrs(k []byte, l []string) []byte {
	for _, s := range l {
		k = strconv.AppendInt(k, int64(len(s)), 10)
		k = append(append(k, ':'), s...)
	}
	return append(k, '|')
}

// compile compiles r, interned unless it is an operation's root.
func (r *rawSchema) compile(in *interner, root bool) (*Schema, error) {
	if r == nil {
		return nil, nil
	}
	s, err := r.compileNode(in)
	if err != nil || root {
		return s, err
	}
	return in.node(s), nil
}

func (r *rawSchema) compileNode(in *interner) (*Schema, error) {
	s := &Schema{Enum: in.strList(r.Enum), Required: in.strList(r.Required), Emptyable: r.Emptyable}
	switch {
	case len(r.AnyOf) > 0:
		s.Type = TAnyOf
		for _, a := range r.AnyOf {
			c, err := a.compile(in, false)
			if err != nil {
				return nil, err
			}
			s.AnyOf = append(s.AnyOf, c)
		}
		return s, nil
	case r.Type == "string":
		s.Type = TString
	case r.Type == "integer":
		s.Type = TInteger
	case r.Type == "number":
		s.Type = TNumber
	case r.Type == "boolean":
		s.Type = TBoolean
	case r.Type == "array":
		s.Type = TArray
		items, err := r.Items.compile(in, false)
		if err != nil {
			return nil, err
		}
		if items == nil {
			items = in.node(&Schema{Type: TAny})
		}
		s.Items = items
	case r.Type == "object":
		s.Type = TObject
		if len(r.Properties) > 0 {
			s.Props = make(map[string]*Schema, len(r.Properties))
			for k, v := range r.Properties {
				c, err := v.compile(in, false)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				s.Props[in.str(k)] = c
			}
		}
		if len(r.AdditionalProperties) > 0 && string(r.AdditionalProperties) != "false" {
			var add rawSchema
			if string(r.AdditionalProperties) == "true" {
				add.Type = "..."
			} else if err := json.Unmarshal(r.AdditionalProperties, &add); err != nil {
				return nil, err
			}
			c, err := add.compile(in, false)
			if err != nil {
				return nil, err
			}
			s.Additional = c
		}
		if s.Props == nil && s.Additional == nil {
			s.Additional = in.node(&Schema{Type: TAny})
		}
	case r.Type == "..." || r.Type == "":
		s.Type = TAny
	default:
		return nil, fmt.Errorf("unknown schema type %q", r.Type)
	}
	return s, nil
}

// Operation is one endpoint of the catalogue: its parameters as an object schema.
type Operation struct {
	Method      string
	Path        string
	OperationID string
	Params      *Schema
	// Response is the type of the object the operation answers with
	// ("billing.meter_event", "list<customer>").
	Response string
}

type rawOperation struct {
	Method         string                `json:"method"`
	Path           string                `json:"path"`
	OperationID    string                `json:"operationId"`
	RequiredParams []string              `json:"required_params"`
	Params         map[string]*rawSchema `json:"params"`
	Response       string                `json:"response"`
}

// LoadCatalogue reads operations in the catalogue's JSON form (a list, or an
// object with an "operations" list) and compiles their parameter schemas.
func LoadCatalogue(data []byte) (map[string]*Operation, error) {
	var raw []rawOperation
	if err := json.Unmarshal(data, &raw); err != nil {
		var wrapped struct {
			Operations []rawOperation `json:"operations"`
		}
		if err2 := json.Unmarshal(data, &wrapped); err2 != nil {
			return nil, err
		}
		raw = wrapped.Operations
	}
	ops := make(map[string]*Operation, len(raw))
	in := newInterner()
	for _, r := range raw {
		obj := &rawSchema{Type: "object", Properties: r.Params, Required: r.RequiredParams}
		if obj.Properties == nil {
			obj.Properties = map[string]*rawSchema{}
		}
		s, err := obj.compile(in, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.OperationID, err)
		}
		if s.Props == nil {
			s.Props = map[string]*Schema{}
		}
		s.Additional = nil
		ops[r.OperationID] = &Operation{Method: r.Method, Path: r.Path, OperationID: r.OperationID, Params: s, Response: r.Response}
	}
	return ops, nil
}
