// Package form decodes Stripe's application/x-www-form-urlencoded requests.
//
// Decoding is two steps. Parse turns the raw query string or body into a tree of
// nested keys (a[b][0][c]=v, a[]=v); Validate checks that tree against an
// endpoint's Schema and yields typed Params, reporting unknown, missing and
// malformed parameters as Stripe does.
package form

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// Limits on what Parse accepts; requests past them get a 400, never a panic.
const (
	MaxDepth    = 16    // brackets in one key: Stripe's deepest parameter has 8
	MaxPairs    = 10000 // key=value pairs in one request
	MaxKeyLen   = 1000  // bytes in one (decoded) key
	MaxArrayLen = 1000  // elements in one array
)

// Node is one level of a parsed form: a scalar value, a map of named children, or
// an array. Indexed keys (a[0], a[1]) are kept in a map and become an array only
// when the schema says the parameter is one; a[] appends to List directly.
type Node struct {
	Scalar   string
	IsScalar bool
	Map      map[string]*Node
	List     []*Node
}

func (n *Node) isMap() bool  { return n.Map != nil }
func (n *Node) isList() bool { return n.List != nil }

// Parse decodes a urlencoded string into a tree. An empty string gives an empty map.
func Parse(raw string) (*Node, *apierr.Error) {
	root := &Node{Map: map[string]*Node{}}
	if raw == "" {
		return root, nil
	}
	pairs := 0
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		pairs++
		if pairs > MaxPairs {
			return nil, apierr.InvalidRequest("", "", "Too many parameters: the limit is %d per request.", MaxPairs)
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := Unescape(rawKey)
		if err != nil {
			return nil, apierr.InvalidRequest("", "", "Invalid request: the parameter name %q is not valid URL encoding.", truncate(rawKey))
		}
		if key == "" { // "=v": a value without a name is dropped, as Rack does
			continue
		}
		val, err := Unescape(rawVal)
		if err != nil {
			return nil, apierr.InvalidRequest("", key, "Invalid request: the value of %s is not valid URL encoding.", truncate(key))
		}
		if !utf8.ValidString(key) {
			return nil, apierr.InvalidRequest("", "", "Invalid request: a parameter name is not valid UTF-8.")
		}
		if !utf8.ValidString(val) {
			return nil, apierr.InvalidRequest("", key, "Invalid request: the value of %s is not valid UTF-8.", key)
		}
		if len(key) > MaxKeyLen {
			return nil, apierr.InvalidRequest("", "", "Invalid request: a parameter name is longer than %d bytes.", MaxKeyLen)
		}
		var one [1]string // a plain key (most are) needs no slice of its own
		segs, aerr := splitKey(key, one[:0])
		if aerr != nil {
			return nil, aerr
		}
		if aerr := root.insert(segs, val, ""); aerr != nil {
			return nil, aerr
		}
	}
	return root, nil
}

// Unescape decodes one urlencoded key or value (%XX and +).
func Unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// splitKey turns "a[b][0][]" into ["a","b","0",""], appended to dst; ""
// stands for [] (append).
func splitKey(key string, dst []string) ([]string, *apierr.Error) {
	open := strings.IndexByte(key, '[')
	if open < 0 {
		if strings.IndexByte(key, ']') >= 0 {
			return nil, malformedKey(key)
		}
		return append(dst, key), nil
	}
	if open == 0 {
		return nil, malformedKey(key)
	}
	segs := append(dst, key[:open])
	rest := key[open:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, malformedKey(key)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, malformedKey(key)
		}
		seg := rest[1:end]
		if strings.IndexByte(seg, '[') >= 0 {
			return nil, malformedKey(key)
		}
		segs = append(segs, seg)
		if len(segs) > MaxDepth+1 {
			// param is the whole key as sent (at most MaxKeyLen bytes): the
			// message abbreviates it, the param names the culprit exactly.
			return nil, apierr.InvalidRequest("", key, "Invalid request: the parameter %s is nested more than %d levels deep.", truncate(key), MaxDepth)
		}
		rest = rest[end+1:]
	}
	return segs, nil
}

func malformedKey(key string) *apierr.Error {
	return apierr.InvalidRequest("", truncate(key), "Invalid request: the parameter name %s is malformed; nested parameters look like a[b][c] or a[0][b].", truncate(key))
}

func truncate(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func childParam(parent, seg string) string {
	if parent == "" {
		return seg
	}
	return parent + "[" + seg + "]"
}

// insert places val at the path segs below n.
func (n *Node) insert(segs []string, val, param string) *apierr.Error {
	seg := segs[0]
	last := len(segs) == 1
	if seg == "" { // a[]: append to a list
		if n.isMap() && len(n.Map) > 0 {
			return conflict(param)
		}
		n.Map = nil
		if len(n.List) >= MaxArrayLen {
			return tooLong(param)
		}
		if last {
			n.List = append(n.List, &Node{Scalar: val, IsScalar: true})
			return nil
		}
		// a[][b]=1&a[][c]=2 merge into the last element until a key repeats (Rack's rule).
		var tail *Node
		if k := len(n.List); k > 0 && n.List[k-1].isMap() {
			if _, dup := n.List[k-1].Map[segs[1]]; !dup && segs[1] != "" {
				tail = n.List[k-1]
			}
		}
		if tail == nil {
			if len(n.List) >= MaxArrayLen {
				return tooLong(param)
			}
			tail = &Node{Map: map[string]*Node{}}
			n.List = append(n.List, tail)
		}
		return tail.insert(segs[1:], val, param+"["+strconv.Itoa(len(n.List)-1)+"]")
	}
	if n.isList() {
		return conflict(param)
	}
	if n.Map == nil {
		n.Map = map[string]*Node{}
	}
	child, ok := n.Map[seg]
	if last {
		if ok && !child.IsScalar {
			return conflict(childParam(param, seg))
		}
		n.Map[seg] = &Node{Scalar: val, IsScalar: true} // the last value given wins
		return nil
	}
	p := childParam(param, seg)
	if !ok {
		if len(n.Map) >= MaxArrayLen && isIndex(seg) {
			return tooLong(param)
		}
		child = &Node{}
		if segs[1] != "" {
			child.Map = map[string]*Node{}
		}
		n.Map[seg] = child
	} else if child.IsScalar {
		return conflict(p)
	}
	return child.insert(segs[1:], val, p)
}

func conflict(param string) *apierr.Error {
	return apierr.InvalidRequest("", param, "Invalid request: %s is given both as a value and as a nested object or array.", param)
}

func tooLong(param string) *apierr.Error {
	return apierr.InvalidRequest("", param, "Invalid array: %s has more than %d elements.", param, MaxArrayLen)
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
