package form

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Kind is the type of a validated Value.
type Kind uint8

// Value kinds.
const (
	KString Kind = iota
	KInt
	KNumber
	KBool
	KObject
	KArray
	KEmpty // "" sent to unset or clear the parameter
)

// Value is one validated parameter.
type Value struct {
	Kind  Kind
	Str   string // KString; also the raw text of every scalar
	Int   int64
	Num   decimal.Decimal
	Bool  bool
	Obj   *Params
	Arr   []*Value
	Param string // bracketed name, e.g. items[0][price]
}

// Params is a validated object: the request's top level, or a nested object.
type Params struct {
	param  string
	fields map[string]*Value
}

// Validate checks a parsed tree against an object schema.
func Validate(root *Node, s *Schema) (*Params, *apierr.Error) {
	v, err := validate(root, s, "")
	if err != nil {
		return nil, err
	}
	if v.Kind != KObject {
		return &Params{fields: map[string]*Value{}}, nil
	}
	return v.Obj, nil
}

// ValidateParam checks one top-level parameter's tree (Node.Map[name]) against
// a schema of it, as Validate checks it inside its object.
func ValidateParam(n *Node, s *Schema, name string) (*Value, *apierr.Error) {
	return validate(n, s, name)
}

func validate(n *Node, s *Schema, param string) (*Value, *apierr.Error) {
	if n.IsScalar && n.Scalar == "" && (s.Emptyable || s.Type == TArray || s.Type == TAny) {
		// stripe-go sends an empty slice as key= ("clear"), whatever the schema says.
		return &Value{Kind: KEmpty, Param: param}, nil
	}
	switch s.Type {
	case TAny:
		return anyValue(n, param)
	case TString:
		if !n.IsScalar {
			return nil, notScalar(param, "string")
		}
		if len(s.Enum) > 0 {
			if n.Scalar == "" {
				return nil, apierr.InvalidEmpty(param)
			}
			if !contains(s.Enum, n.Scalar) {
				return nil, apierr.InvalidEnum(param, s.Enum)
			}
		}
		if err := checkStringLen(n.Scalar, param); err != nil {
			return nil, err
		}
		return &Value{Kind: KString, Str: n.Scalar, Param: param}, nil
	case TInteger:
		if !n.IsScalar {
			return nil, notScalar(param, "integer")
		}
		if n.Scalar == "" {
			return nil, apierr.InvalidEmpty(param)
		}
		i, err := ParseInt(n.Scalar)
		if err != nil {
			return nil, apierr.InvalidInteger(param, n.Scalar)
		}
		return &Value{Kind: KInt, Int: i, Str: n.Scalar, Param: param}, nil
	case TNumber:
		if !n.IsScalar {
			return nil, notScalar(param, "number")
		}
		if n.Scalar == "" {
			return nil, apierr.InvalidEmpty(param)
		}
		d, err := ParseDecimal(n.Scalar)
		if err != nil {
			return nil, apierr.InvalidNumber(param, n.Scalar)
		}
		return &Value{Kind: KNumber, Num: d, Str: n.Scalar, Param: param}, nil
	case TBoolean:
		if !n.IsScalar {
			return nil, notScalar(param, "boolean")
		}
		switch n.Scalar {
		case "true":
			return &Value{Kind: KBool, Bool: true, Str: n.Scalar, Param: param}, nil
		case "false":
			return &Value{Kind: KBool, Str: n.Scalar, Param: param}, nil
		case "":
			return nil, apierr.InvalidEmpty(param)
		}
		return nil, apierr.InvalidBoolean(param, n.Scalar)
	case TObject:
		return validateObject(n, s, param)
	case TArray:
		return validateArray(n, s, param)
	case TAnyOf:
		return validateAnyOf(n, s, param)
	}
	return nil, apierr.Internal()
}

func validateObject(n *Node, s *Schema, param string) (*Value, *apierr.Error) {
	if n.IsScalar || n.isList() {
		return nil, apierr.InvalidRequest("", param, "Invalid object: %s must be an object with nested keys, such as %s.", orTop(param), childParam(param, "key")+"=value")
	}
	if len(n.Map) == 0 && param != "" && s.Emptyable {
		return &Value{Kind: KEmpty, Param: param}, nil
	}
	var unknown []string
	if s.Additional == nil {
		for k := range n.Map {
			if s.Props[k] == nil {
				unknown = append(unknown, childParam(param, k))
			}
		}
		sort.Strings(unknown)
	}
	if len(unknown) == 1 {
		e := apierr.ParameterUnknown(unknown[0])
		if hint := closest(lastSeg(unknown[0]), s.Props); hint != "" {
			e.Message += ". Did you mean " + hint + "?"
		}
		return nil, e
	}
	if len(unknown) > 1 {
		return nil, apierr.InvalidRequest("parameter_unknown", unknown[0], "Received unknown parameters: %s", strings.Join(unknown, ", "))
	}
	p := &Params{param: param, fields: make(map[string]*Value, len(n.Map))}
	var failed *apierr.Error
	for k, child := range n.Map {
		cs := s.Props[k]
		if cs == nil {
			cs = s.Additional
		}
		v, err := validate(child, cs, childParam(param, k))
		if err != nil {
			failed = err
			break
		}
		p.fields[k] = v
	}
	if failed != nil { // the error of the first key in order, whatever the map's order
		keys := make([]string, 0, len(n.Map))
		for k := range n.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cs := s.Props[k]
			if cs == nil {
				cs = s.Additional
			}
			if _, err := validate(n.Map[k], cs, childParam(param, k)); err != nil {
				return nil, err
			}
		}
		return nil, failed
	}
	for _, r := range s.Required {
		v, ok := p.fields[r]
		if !ok {
			return nil, apierr.ParameterMissing(childParam(param, r))
		}
		if v.Kind == KEmpty || (v.Kind == KString && v.Str == "") {
			return nil, apierr.InvalidEmpty(childParam(param, r))
		}
	}
	return &Value{Kind: KObject, Obj: p, Param: param}, nil
}

func validateArray(n *Node, s *Schema, param string) (*Value, *apierr.Error) {
	var elems []*Node
	switch {
	case n.isList():
		elems = n.List
	case n.IsScalar:
		return nil, apierr.InvalidRequest("", param, "Invalid array: %s must be an array, sent as %s[0]=value or %s[]=value.", param, param, param)
	default:
		idx := make([]int, 0, len(n.Map))
		for k := range n.Map {
			if !isIndex(k) {
				return nil, apierr.InvalidRequest("", childParam(param, k), "Invalid array: %s must be an array, indexed as %s[0], %s[1], ...; %q is not an index.", param, param, param, truncate(k))
			}
			i, _ := strconv.Atoi(k)
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			elems = append(elems, n.Map[strconv.Itoa(i)])
		}
		// a[00] and a[0] collide on the same index; keep the form unambiguous.
		if len(elems) != len(n.Map) || hasNil(elems) {
			return nil, apierr.InvalidRequest("", param, "Invalid array: %s has an index written two ways (such as 0 and 00).", param)
		}
	}
	out := &Value{Kind: KArray, Arr: make([]*Value, 0, len(elems)), Param: param}
	for i, e := range elems {
		v, err := validate(e, s.Items, param+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out.Arr = append(out.Arr, v)
	}
	return out, nil
}

func hasNil(ns []*Node) bool {
	for _, n := range ns {
		if n == nil {
			return true
		}
	}
	return false
}

func validateAnyOf(n *Node, s *Schema, param string) (*Value, *apierr.Error) {
	// Prefer the alternative that matches the node's shape; for scalars, a literal
	// (enum) alternative such as "now" or "inf" before a numeric one.
	// firstFailed is the first alternative that did not fit; its error is
	// made only when no alternative fits (firstErr), so that a value that
	// fits a later alternative allocates no error for an earlier one.
	var firstFailed *Schema
	try := func(alt *Schema) (*Value, bool) {
		v, err := validate(n, alt, param)
		if err != nil {
			if firstFailed == nil {
				firstFailed = alt
			}
			return nil, false
		}
		return v, true
	}
	firstErr := func() *apierr.Error {
		if firstFailed == nil {
			return nil
		}
		_, err := validate(n, firstFailed, param)
		return err
	}
	if n.IsScalar {
		for _, alt := range s.AnyOf {
			if alt.Type == TString && len(alt.Enum) > 0 && contains(alt.Enum, n.Scalar) {
				return &Value{Kind: KString, Str: n.Scalar, Param: param}, nil
			}
		}
		for _, alt := range s.AnyOf {
			if alt.Type == TInteger || alt.Type == TNumber || alt.Type == TBoolean {
				if !scalarFits(alt.Type, n.Scalar) {
					if firstFailed == nil {
						firstFailed = alt
					}
					continue
				}
				if v, ok := try(alt); ok {
					return v, nil
				}
			}
		}
		for _, alt := range s.AnyOf {
			if alt.Type == TString && len(alt.Enum) == 0 || alt.Type == TAny {
				if v, ok := try(alt); ok {
					return v, nil
				}
			}
		}
		if n.Scalar == "" && s.Emptyable {
			return &Value{Kind: KEmpty, Param: param}, nil
		}
		first := firstErr()
		if first != nil && first.Code == "parameter_invalid_integer" {
			if words := enumWords(s); len(words) > 0 {
				return nil, apierr.InvalidRequest("parameter_invalid_integer", param, "Invalid %s: must be an integer or one of %s", param, strings.Join(words, ", "))
			}
		}
		if first != nil {
			return nil, first
		}
		return nil, apierr.InvalidRequest("", param, "Invalid value for %s.", param)
	}
	for _, alt := range s.AnyOf {
		if alt.Type == TObject || alt.Type == TArray || alt.Type == TAny {
			if v, ok := try(alt); ok {
				return v, nil
			}
		}
	}
	if first := firstErr(); first != nil {
		return nil, first
	}
	return nil, notScalarOrShape(param)
}

// scalarFits reports whether a scalar can be a value of a numeric or boolean
// type, without making the error validate would make when it cannot.
func scalarFits(t Type, v string) bool {
	switch t {
	case TInteger:
		_, err := ParseInt(v)
		return err == nil
	case TNumber:
		_, err := ParseDecimal(v)
		return err == nil
	case TBoolean:
		return v == "true" || v == "false"
	}
	return true
}

func enumWords(s *Schema) []string {
	var out []string
	for _, alt := range s.AnyOf {
		if alt.Type == TString {
			out = append(out, alt.Enum...)
		}
	}
	return out
}

func anyValue(n *Node, param string) (*Value, *apierr.Error) {
	switch {
	case n.IsScalar:
		if err := checkStringLen(n.Scalar, param); err != nil {
			return nil, err
		}
		return &Value{Kind: KString, Str: n.Scalar, Param: param}, nil
	case n.isList():
		v := &Value{Kind: KArray, Param: param}
		for i, e := range n.List {
			ev, err := anyValue(e, param+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			v.Arr = append(v.Arr, ev)
		}
		return v, nil
	}
	keys := make([]string, 0, len(n.Map))
	for k := range n.Map {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first culprit named is the same on every run
	p := &Params{param: param, fields: make(map[string]*Value, len(n.Map))}
	for _, k := range keys {
		v, err := anyValue(n.Map[k], childParam(param, k))
		if err != nil {
			return nil, err
		}
		p.fields[k] = v
	}
	return &Value{Kind: KObject, Obj: p, Param: param}, nil
}

// MaxStringLen is Stripe's generic cap on a string parameter, in characters.
// Many parameters have lower limits of their own, which handlers check.
const MaxStringLen = 5000

// checkStringLen refuses a string over MaxStringLen characters as Stripe does:
// "Invalid string: aaaaaaaaaa...aaaaaaaaaa; must be at most 5000 characters".
// Metadata values are left to the metadata rules (500 characters, with
// Stripe's own message, param metadata).
func checkStringLen(v, param string) *apierr.Error {
	if len(v) <= MaxStringLen || utf8.RuneCountInString(v) <= MaxStringLen || isMetadataValue(param) {
		return nil
	}
	return apierr.InvalidRequest("", param, "Invalid string: %s; must be at most %d characters", Abbreviate(v), MaxStringLen)
}

// isMetadataValue reports whether param is metadata[k] (at any depth).
func isMetadataValue(param string) bool {
	i := strings.LastIndexByte(param, '[')
	if i < 0 || !strings.HasSuffix(param, "]") {
		return false
	}
	parent := param[:i]
	return parent == "metadata" || strings.HasSuffix(parent, "[metadata]")
}

// Abbreviate shows a long value's first and last 10 characters, as Stripe's
// length errors do.
func Abbreviate(v string) string {
	r := []rune(v)
	if len(r) <= 23 {
		return v
	}
	return string(r[:10]) + "..." + string(r[len(r)-10:])
}

func notScalar(param, what string) *apierr.Error {
	return apierr.InvalidRequest("", param, "Invalid %s: %s must be a single value, not an object or array.", what, param)
}

func notScalarOrShape(param string) *apierr.Error {
	return apierr.InvalidRequest("", param, "Invalid value: %s has the wrong shape.", param)
}

func orTop(param string) string {
	if param == "" {
		return "the request"
	}
	return param
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The errors of ParseInt and ParseDecimal for a value that is not a number
// (values, never changed: returning them allocates nothing).
var (
	errInvalidInteger = errors.New("invalid integer")
	errInvalidDecimal = errors.New("invalid decimal")
)

// ParseInt parses a Stripe integer: optional sign and decimal digits, within int64.
func ParseInt(s string) (int64, error) {
	if s == "" || len(s) > 20 {
		return 0, errInvalidInteger
	}
	start := 0
	if s[0] == '-' || s[0] == '+' {
		start = 1
	}
	if start == len(s) {
		return 0, errInvalidInteger
	}
	for i := start; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errInvalidInteger
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// ParseDecimal parses a plain decimal number (no exponent, no hex, at most 40 characters).
func ParseDecimal(s string) (decimal.Decimal, error) {
	if s == "" || len(s) > 40 {
		return decimal.Zero, errInvalidDecimal
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case (c == '-' || c == '+') && i == 0:
		default:
			return decimal.Zero, errInvalidDecimal
		}
	}
	if digits == 0 {
		return decimal.Zero, errInvalidDecimal
	}
	return decimal.NewFromString(s)
}

func lastSeg(param string) string {
	if i := strings.LastIndexByte(param, '['); i >= 0 && strings.HasSuffix(param, "]") {
		return param[i+1 : len(param)-1]
	}
	return param
}

// closest is the known name nearest to an unknown one (edit distance at most 2),
// for Stripe's "Did you mean ...?" hint; "" when none is close.
func closest(name string, known map[string]*Schema) string {
	if len(name) < 3 || len(name) > 64 {
		return ""
	}
	best, bestD := "", 3
	for k := range known {
		if abs(len(k)-len(name)) >= bestD {
			continue
		}
		if d := editDistance(name, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
