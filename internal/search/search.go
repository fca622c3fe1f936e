// Package search parses and evaluates Stripe's search query language:
//
//	email:'jenny@example.com' AND metadata['plan']:'pro' AND -name~'test' AND created>1700000000
//
// A clause is a field, an operator and a value. ":" is an exact match
// (case-insensitive for strings), "~" a substring match (at least 3 characters,
// string fields only), ">", "<", ">=", "<=" compare numbers. "-" negates a
// clause. Clauses are joined by spaces or AND (all must match) or by OR (any
// may match); AND and OR cannot be mixed. String values are quoted with ' or "
// (backslash escapes); numbers may be bare; null matches a missing value.
package search

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// MaxClauses is the most clauses one query may have.
const MaxClauses = 10

// FieldType says what a searchable field holds and which operators it takes.
type FieldType uint8

// Field types.
const (
	Token  FieldType = iota // exact match only (ids, enums, booleans as 'true'/'false')
	Text                    // exact and substring match
	Number                  // exact match and comparisons
)

// Error is a malformed query; Pos is the byte offset where it went wrong.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Value is a field's value in a document.
type Value struct {
	Str   string
	Num   int64
	IsNum bool
}

// Doc gives the values of a document's fields; ok is false for a missing (null) value.
type Doc interface {
	Field(name string) (Value, bool)
	Metadata(key string) (string, bool)
}

// Query is a parsed query.
type Query struct {
	clauses []clause
	or      bool
}

type clause struct {
	field   string
	metaKey string // for metadata['key']
	op      string // ":", "~", ">", "<", ">=", "<="
	negate  bool
	null    bool
	str     string
	num     int64
	isNum   bool
	typ     FieldType
}

// Parse parses a query over the given fields. metadata['key'] is always allowed.
func Parse(q string, fields map[string]FieldType) (*Query, error) {
	p := &parser{src: q}
	out := &Query{}
	sawAnd, sawOr := false, false
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		if len(out.clauses) > 0 {
			if kw := p.keyword(); kw != "" {
				if kw == "OR" {
					sawOr = true
				} else {
					sawAnd = true
				}
				if sawAnd && sawOr {
					return nil, p.errf("AND and OR cannot be combined in one query (at position %d); use one or the other", p.pos-len(kw))
				}
				p.skipSpace()
				if p.eof() {
					return nil, p.errf("the query ends after %s; a clause must follow it", kw)
				}
			}
		}
		c, err := p.clause(fields)
		if err != nil {
			return nil, err
		}
		out.clauses = append(out.clauses, c)
		if len(out.clauses) > MaxClauses {
			return nil, p.errf("a query can have at most %d clauses", MaxClauses)
		}
	}
	if len(out.clauses) == 0 {
		return nil, &Error{0, "the query is empty; write at least one clause such as email:'jenny@example.com'"}
	}
	out.or = sawOr
	return out, nil
}

// Match tells whether a document satisfies the query.
func (q *Query) Match(d Doc) bool {
	for _, c := range q.clauses {
		ok := c.match(d)
		if q.or && ok {
			return true
		}
		if !q.or && !ok {
			return false
		}
	}
	return !q.or
}

func (c clause) match(d Doc) bool {
	var v Value
	var present bool
	if c.metaKey != "" {
		var s string
		s, present = d.Metadata(c.metaKey)
		v = Value{Str: s}
	} else {
		v, present = d.Field(c.field)
	}
	var ok bool
	switch {
	case c.null:
		ok = !present
	case !present:
		ok = false
	case c.op == "~":
		ok = strings.Contains(strings.ToLower(v.Str), strings.ToLower(c.str))
	case c.op == ":" && c.isNum:
		ok = v.IsNum && v.Num == c.num || !v.IsNum && v.Str == strconv.FormatInt(c.num, 10)
	case c.op == ":":
		if c.metaKey != "" || c.typ == Token {
			ok = v.Str == c.str
		} else {
			ok = strings.EqualFold(v.Str, c.str)
		}
	default:
		ok = v.IsNum && compare(v.Num, c.op, c.num)
	}
	return ok != c.negate
}

func compare(a int64, op string, b int64) bool {
	switch op {
	case ">":
		return a > b
	case "<":
		return a < b
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	}
	return false
}

type parser struct {
	src string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) errf(format string, args ...any) *Error {
	return &Error{Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

// keyword consumes AND or OR (any case) followed by a space or the end.
func (p *parser) keyword() string {
	for _, kw := range []string{"AND", "OR"} {
		end := p.pos + len(kw)
		if end <= len(p.src) && strings.EqualFold(p.src[p.pos:end], kw) && (end == len(p.src) || p.src[end] == ' ' || p.src[end] == '\t') {
			p.pos = end
			return kw
		}
	}
	return ""
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

func (p *parser) clause(fields map[string]FieldType) (clause, error) {
	var c clause
	start := p.pos
	if p.src[p.pos] == '-' {
		c.negate = true
		p.pos++
	}
	for !p.eof() && isIdent(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if c.negate {
		name = name[1:]
	}
	if name == "" {
		return c, p.errf("expected a field name at position %d, found %s", p.pos, p.describe())
	}
	c.field = name
	if name == "metadata" {
		if p.eof() || p.src[p.pos] != '[' {
			return c, p.errf("metadata must name a key, as in metadata['key']:'value' (at position %d)", p.pos)
		}
		p.pos++
		key, err := p.quoted()
		if err != nil {
			return c, err
		}
		if key == "" {
			return c, p.errf("the metadata key at position %d is empty", p.pos)
		}
		if p.eof() || p.src[p.pos] != ']' {
			return c, p.errf("expected ] at position %d, found %s", p.pos, p.describe())
		}
		p.pos++
		c.metaKey = key
		c.typ = Token
	} else {
		t, ok := fields[name]
		if !ok {
			return c, &Error{Pos: start, Msg: fmt.Sprintf("%s is not a field you can search on here (at position %d); the fields are %s", name, start, fieldList(fields))}
		}
		c.typ = t
	}
	opPos := p.pos
	switch {
	case strings.HasPrefix(p.src[p.pos:], ">="), strings.HasPrefix(p.src[p.pos:], "<="):
		c.op = p.src[p.pos : p.pos+2]
		p.pos += 2
	case !p.eof() && strings.IndexByte(":~><", p.src[p.pos]) >= 0:
		c.op = p.src[p.pos : p.pos+1]
		p.pos++
	default:
		return c, p.errf("expected an operator (: ~ > < >= <=) after %s at position %d, found %s", name, p.pos, p.describe())
	}
	if p.eof() {
		return c, p.errf("the query ends after %s%s; a value must follow", name, c.op)
	}
	switch p.src[p.pos] {
	case '\'', '"':
		s, err := p.quoted()
		if err != nil {
			return c, err
		}
		c.str = s
		if c.typ == Number {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return c, &Error{Pos: opPos, Msg: fmt.Sprintf("%s is a number field; %q is not a number (at position %d)", name, s, opPos)}
			}
			c.num, c.isNum = n, true
		}
	default:
		vstart := p.pos
		for !p.eof() && p.src[p.pos] != ' ' && p.src[p.pos] != '\t' {
			p.pos++
		}
		word := p.src[vstart:p.pos]
		if word == "null" {
			if c.op != ":" {
				return c, &Error{Pos: vstart, Msg: fmt.Sprintf("null can only be matched with : (at position %d)", vstart)}
			}
			c.null = true
			break
		}
		n, err := strconv.ParseInt(word, 10, 64)
		if err != nil {
			return c, &Error{Pos: vstart, Msg: fmt.Sprintf("the value %q at position %d must be quoted ('...' or \"...\") unless it is a number or null", word, vstart)}
		}
		c.num, c.isNum, c.str = n, true, word
	}
	switch c.op {
	case "~":
		if c.typ != Text || c.metaKey != "" {
			return c, &Error{Pos: opPos, Msg: fmt.Sprintf("%s does not support substring matching with ~ (at position %d)", name, opPos)}
		}
		if len([]rune(c.str)) < 3 {
			return c, &Error{Pos: opPos, Msg: fmt.Sprintf("a substring match (~) needs at least 3 characters (at position %d)", opPos)}
		}
	case ">", "<", ">=", "<=":
		if c.typ != Number || c.metaKey != "" {
			return c, &Error{Pos: opPos, Msg: fmt.Sprintf("%s does not support numeric comparison with %s (at position %d)", name, c.op, opPos)}
		}
		if !c.isNum {
			return c, &Error{Pos: opPos, Msg: fmt.Sprintf("%s%s needs a number (at position %d)", name, c.op, opPos)}
		}
	}
	if !p.eof() && p.src[p.pos] != ' ' && p.src[p.pos] != '\t' {
		return c, p.errf("expected a space, AND or OR at position %d, found %s", p.pos, p.describe())
	}
	return c, nil
}

func (p *parser) quoted() (string, error) {
	if p.eof() || (p.src[p.pos] != '\'' && p.src[p.pos] != '"') {
		return "", p.errf("expected a quoted string at position %d, found %s", p.pos, p.describe())
	}
	q := p.src[p.pos]
	start := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case c == q:
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", &Error{Pos: start, Msg: fmt.Sprintf("the string that starts at position %d is not closed", start)}
}

func (p *parser) describe() string {
	if p.eof() {
		return "the end of the query"
	}
	r := []rune(p.src[p.pos:])
	return strconv.Quote(string(r[0]))
}

func fieldList(fields map[string]FieldType) string {
	names := make([]string, 0, len(fields)+1)
	for k := range fields {
		names = append(names, k)
	}
	names = append(names, "metadata['key']")
	sort.Strings(names)
	return strings.Join(names, ", ")
}
