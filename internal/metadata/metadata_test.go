package metadata

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
)

// keys is a map of n keys k0…k(n-1), each with the value "v".
func keys(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m["k"+strconv.Itoa(i)] = "v"
	}
	return m
}

// with is m changed by the key-value pairs kv: an empty value removes its key.
func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func TestApply(t *testing.T) {
	set := func(kv map[string]string) Patch { return Patch{Given: true, Param: "metadata", Keys: kv} }
	for _, tt := range []struct {
		name string
		cur  map[string]string
		p    Patch
		want map[string]string
	}{
		{"not sent: unchanged", map[string]string{"a": "1"}, Patch{}, map[string]string{"a": "1"}},
		{"not sent, none yet: still none", nil, Patch{}, nil},
		{"metadata= clears", map[string]string{"a": "1"}, Patch{Given: true, Clear: true, Param: "metadata"}, map[string]string{}},
		{"sets a key, keeps the others", map[string]string{"a": "1"}, set(map[string]string{"b": "2"}), map[string]string{"a": "1", "b": "2"}},
		{"replaces a value", map[string]string{"a": "1"}, set(map[string]string{"a": "9"}), map[string]string{"a": "9"}},
		{"metadata[k]= removes k", map[string]string{"a": "1", "b": "2"}, set(map[string]string{"a": ""}), map[string]string{"b": "2"}},
		{"removing an absent key", map[string]string{"a": "1"}, set(map[string]string{"z": ""}), map[string]string{"a": "1"}},
		{"sets on none", nil, set(map[string]string{"a": "1"}), map[string]string{"a": "1"}},
		{"sent with no keys: a copy", map[string]string{"a": "1"}, set(nil), map[string]string{"a": "1"}},
		{"sent with no keys on none: empty", nil, set(nil), map[string]string{}},
		{"a key of 40 characters", nil, set(map[string]string{strings.Repeat("k", 40): "v"}), map[string]string{strings.Repeat("k", 40): "v"}},
		{"a key of 40 runes, more bytes", nil, set(map[string]string{strings.Repeat("é", 40): "v"}), map[string]string{strings.Repeat("é", 40): "v"}},
		{"a value of 500 characters", nil, set(map[string]string{"a": strings.Repeat("v", 500)}), map[string]string{"a": strings.Repeat("v", 500)}},
		{"50 keys", keys(49), set(map[string]string{"new": "v"}), with(keys(49), "new", "v")},
		{"removals count before the limit", keys(50), set(map[string]string{"k0": "", "new": "v"}), with(keys(50), "k0", "", "new", "v")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := maps.Clone(tt.cur)
			got, err := Apply(tt.cur, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if !maps.Equal(tt.cur, before) {
				t.Errorf("cur modified: %v, was %v", tt.cur, before)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	long := strings.Repeat("x", 60) + strings.Repeat("y", 441) // 501 characters
	for _, tt := range []struct {
		name  string
		cur   map[string]string
		keys  map[string]string
		param string
		msg   string
	}{
		{"a key over 40 characters", nil, map[string]string{strings.Repeat("k", 41): "v"}, "metadata",
			"Invalid key: " + strings.Repeat("k", 41) + " must be a string under 40 characters"},
		{"an empty key", nil, map[string]string{"": "v"}, "metadata", "Invalid key: metadata keys cannot be empty"},
		{"a value over 500 characters, quoted to 50", nil, map[string]string{"a": long}, "items[0][metadata]",
			"Invalid val: " + strings.Repeat("x", 50) + "... must be a string under 500 characters"},
		{"a value of 501 runes", nil, map[string]string{"a": strings.Repeat("é", 501)}, "metadata",
			"Invalid val: " + strings.Repeat("é", 50) + "... must be a string under 500 characters"},
		{"51 keys", keys(50), map[string]string{"one_more": "v"}, "metadata", "Metadata can have up to 50 keys, but you've set 51."},
		{"too many keys sent at once", nil, keys(60), "metadata", "Metadata can have up to 50 keys, but you've set 60."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := maps.Clone(tt.cur)
			got, err := Apply(tt.cur, Patch{Given: true, Param: tt.param, Keys: tt.keys})
			var ae *apierr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, %v; want an *apierr.Error", got, err)
			}
			if ae.Status != 400 || ae.Type != apierr.TypeInvalidRequest || ae.Code != "" || ae.Param != tt.param || ae.Message != tt.msg {
				t.Errorf("got %d %s %q param %q: %q\nwant 400 %s \"\" param %q: %q",
					ae.Status, ae.Type, ae.Code, ae.Param, ae.Message, apierr.TypeInvalidRequest, tt.param, tt.msg)
			}
			if got != nil {
				t.Errorf("a result with the error: %v", got)
			}
			if !maps.Equal(tt.cur, before) {
				t.Errorf("cur modified: %v, was %v", tt.cur, before)
			}
		})
	}
}
