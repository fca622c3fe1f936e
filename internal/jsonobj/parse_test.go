package jsonobj

import (
	"bytes"
	"testing"
)

// Parse gives back what Marshal wrote, byte for byte.
func TestParseRoundTrip(t *testing.T) {
	v := Obj{
		{K: "id", V: "cus_1"}, {K: "n", V: int64(-42)}, {K: "f", V: 1.5}, {K: "ok", V: true}, {K: "none", V: nil},
		{K: "s", V: "a \"quoted\" é\n\u2028"}, {K: "dec", V: Decimal("0.004")},
		{K: "list", V: Obj{{K: "object", V: "list"}, {K: "data", V: []Obj{{{K: "a", V: int64(1)}}, {{K: "b", V: Obj{}}}}}}},
		{K: "mixed", V: []any{int64(1), "x", nil}}, {K: "empty", V: []any{}}, {K: "raw", V: Raw(`{"z":[1,2]}`)},
		{K: "meta", V: map[string]string{"b": "2", "a": "1"}},
	}
	b := Marshal(v)
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if again := Marshal(got); !bytes.Equal(again, b) {
		t.Errorf("round trip:\n%s\n%s", b, again)
	}
	o := got.(Obj)
	if data, _ := o.Get("list"); data.(Obj).Str("object") != "list" {
		t.Errorf("nested object: %#v", data)
	}
	if l, _ := o.Get("list"); len(mustObjs(t, l.(Obj))) != 2 {
		t.Error("a list's data is []Obj")
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `tru`, `"x`, `{"a":1} 2`, `01x`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func mustObjs(t *testing.T, list Obj) []Obj {
	t.Helper()
	d, _ := list.Get("data")
	objs, ok := d.([]Obj)
	if !ok {
		t.Fatalf("data is %T", d)
	}
	return objs
}

func TestHasHidden(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{Obj{{K: "a", V: int64(1)}}, false},
		{Obj{{K: "a", V: Obj{{K: "t", V: Hidden{V: 1}}}}}, true},
		{[]Obj{{}, {{K: "t", V: Hidden{V: 1}}}}, true},
		{[]any{"x", Obj{{K: "t", V: Hidden{Fn: func() any { return 1 }}}}}, true},
		{[]any{"x", Raw(`{"t":1}`)}, false},
	} {
		if got := HasHidden(tc.v); got != tc.want {
			t.Errorf("HasHidden(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
