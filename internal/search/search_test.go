package search

import (
	"strings"
	"testing"
)

type doc struct {
	fields map[string]Value
	meta   map[string]string
}

func (d doc) Field(n string) (Value, bool) { v, ok := d.fields[n]; return v, ok }

func (d doc) Metadata(k string) (string, bool) { v, ok := d.meta[k]; return v, ok }

var fields = map[string]FieldType{"email": Text, "name": Text, "created": Number, "status": Token, "phone": Text}

var jenny = doc{
	fields: map[string]Value{"email": {Str: "Jenny@Example.com"}, "name": {Str: "Jenny Rosen"}, "created": {Num: 1700000000, IsNum: true}, "status": {Str: "active"}},
	meta:   map[string]string{"plan": "pro", "org": "acme"},
}

func TestMatch(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{`email:'jenny@example.com'`, true},
		{`email:"JENNY@EXAMPLE.COM"`, true},
		{`email:'jenny'`, false},
		{`email~'example'`, true},
		{`name~'ROSE'`, true},
		{`name~'xyz'`, false},
		{`-name~'rosen'`, false},
		{`-email:'other@example.com'`, true},
		{`status:'active'`, true},
		{`status:'ACTIVE'`, false},
		{`created>1699999999`, true},
		{`created>1700000000`, false},
		{`created>=1700000000`, true},
		{`created<1700000000`, false},
		{`created<=1700000000`, true},
		{`created:1700000000`, true},
		{`metadata['plan']:'pro'`, true},
		{`metadata["plan"]:"basic"`, false},
		{`metadata['missing']:null`, true},
		{`metadata['plan']:null`, false},
		{`phone:null`, true},
		{`-phone:null`, false},
		{`email:'jenny@example.com' AND status:'active'`, true},
		{`email:'jenny@example.com' status:'canceled'`, false},
		{`email:'nobody@example.com' OR status:'active'`, true},
		{`email:'nobody@example.com' or status:'canceled'`, false},
		{`name:'jenny \'the\' rosen'`, false},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query, fields)
		if err != nil {
			t.Errorf("%s: %v", tt.query, err)
			continue
		}
		if got := q.Match(jenny); got != tt.want {
			t.Errorf("%s: match = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ query, want string }{
		{``, "empty"},
		{`   `, "empty"},
		{`email`, "expected an operator"},
		{`email:`, "a value must follow"},
		{`email:jenny`, "must be quoted"},
		{`email:'jenny`, "not closed"},
		{`unknown:'x'`, "unknown is not a field you can search on here"},
		{`email:'a' AND status:'b' OR name:'c'`, "AND and OR cannot be combined"},
		{`email~'ab'`, "at least 3 characters"},
		{`status~'act'`, "does not support substring"},
		{`email>5`, "does not support numeric comparison"},
		{`created>'abc'`, "not a number"},
		{`metadata:'x'`, "metadata must name a key"},
		{`metadata['k'`, "expected ]"},
		{`email:'a'status:'b'`, "expected a space"},
		{`email:'a' AND`, "a clause must follow"},
		{`@foo:'x'`, "expected a field name"},
		{`created>null`, "null can only be matched with :"},
		{strings.Repeat(`email:'a' `, 11), "at most 10 clauses"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.query, fields)
		if err == nil {
			t.Errorf("%q: no error", tt.query)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %q, want it to contain %q", tt.query, err.Error(), tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`email:'a'`, `-name~'abc' OR created>5`, `metadata['k']:null`, `a:"\"`, `x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := Parse(q, fields)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error for %q", q)
			}
			return
		}
		parsed.Match(jenny)
	})
}
