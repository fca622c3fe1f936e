package jsonobj

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Parse reads JSON into the response model, keeping the order of object keys:
// objects become Obj, arrays of objects []Obj, other arrays []any, integers
// int64, other numbers float64. It is for JSON this package wrote (events kept
// as bytes, then expanded), so that what it renders again is the same.
func Parse(b []byte) (any, error) { return ParseDepth(b, maxParseDepth) }

// ParseDepth is Parse with another bound on nesting (each object and array is
// a level). Strings must be UTF-8 without control characters.
func ParseDepth(b []byte, maxDepth int) (any, error) {
	p := parser{b: b, maxDepth: maxDepth}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, p.errorf("data after the value")
	}
	return v, nil
}

// maxParseDepth bounds nesting (this package never writes deeper).
const maxParseDepth = 64

type parser struct {
	b        []byte
	i        int
	maxDepth int
}

var errEnd = errors.New("unexpected end of JSON")

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("jsonobj: at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > p.maxDepth {
		return nil, p.errorf("nested too deep")
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, errEnd
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, p.errorf("unexpected %q", p.b[p.i])
}

func (p *parser) literal(word string, v any) (any, error) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, p.errorf("invalid literal")
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) str() (string, error) {
	start := p.i
	p.i++ // the opening quote
	escaped := false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '\\':
			escaped = true
			p.i += 2
			continue
		case c < 0x20:
			return "", p.errorf("a control character in a string")
		case c == '"':
			p.i++
			if !escaped {
				if !utf8.Valid(p.b[start+1 : p.i-1]) {
					return "", p.errorf("a string that is not UTF-8")
				}
				return string(p.b[start+1 : p.i-1]), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", p.errorf("invalid string: %v", err)
			}
			return s, nil
		}
		p.i++
	}
	return "", errEnd
}

func (p *parser) number() (any, error) {
	start := p.i
	integer := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '.' || c == 'e' || c == 'E' {
			integer = false
		} else if !(c == '-' || c == '+' || c >= '0' && c <= '9') {
			break
		}
		p.i++
	}
	tok := string(p.b[start:p.i])
	if integer {
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return nil, p.errorf("invalid number %q", tok)
	}
	return f, nil
}

func (p *parser) object(depth int) (Obj, error) {
	p.i++ // {
	o := Obj{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return o, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.errorf("expected a key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		o = append(o, Field{K: k, V: v})
		p.space()
		if p.i >= len(p.b) {
			return nil, errEnd
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return o, nil
		default:
			return nil, p.errorf("expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (any, error) {
	p.i++ // [
	var elems []any
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return []any{}, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
		p.space()
		if p.i >= len(p.b) {
			return nil, errEnd
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			objs := make([]Obj, 0, len(elems))
			for _, e := range elems {
				o, ok := e.(Obj)
				if !ok {
					return elems, nil
				}
				objs = append(objs, o)
			}
			return objs, nil
		default:
			return nil, p.errorf("expected ',' or ']'")
		}
	}
}
