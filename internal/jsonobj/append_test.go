package jsonobj

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// appendStringReference is AppendString without its fast path for plain
// strings: its byte-by-byte loop from the first byte, which the fast path
// must agree with.
func appendStringReference(b []byte, s string) []byte { return appendEscaped(b, s, 0) }

// TestPlainBytes: the table of bytes written as they are holds the printable
// ASCII bytes but the quote and the backslash, and nothing else.
func TestPlainBytes(t *testing.T) {
	for c := range 256 {
		if want := c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\'; plain[c] != want {
			t.Errorf("plain[%#x] = %v, want %v", c, plain[c], want)
		}
	}
}

// stdString is encoding/json's rendering of s, without its HTML escaping
// (Stripe does not escape <, > and &).
func stdString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

var stringCases = []string{
	"", "cus_ABC123", "John Doe", "a\"b", "back\\slash", "line\nbreak", "tab\there", "\x00\x01\x1f\x7f",
	"<html>&amp;", "café", "日本語", "bad \xff utf-8", "\xc3", "sep \u2028 and \u2029", "emoji 😀",
	strings.Repeat("x", 300) + "\"",
}

// TestAppendString: every case renders as the byte-by-byte loop did, and
// valid UTF-8 as encoding/json does.
func TestAppendString(t *testing.T) {
	for _, s := range stringCases {
		t.Run(s, func(t *testing.T) {
			got := string(AppendString(nil, s))
			if want := string(appendStringReference(nil, s)); got != want {
				t.Errorf("AppendString(%q) = %s, before %s", s, got, want)
			}
			if utf8.ValidString(s) {
				if want := stdString(t, s); got != want {
					t.Errorf("AppendString(%q) = %s, encoding/json %s", s, got, want)
				}
			}
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString([]byte("x"), s)
		if want := appendStringReference([]byte("x"), s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, before %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: not JSON: %v", s, got, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("AppendString(%q) reads back as %q", s, back)
		}
	})
}

// BenchmarkAppendObj renders an object shaped like an invoice line: short
// keys and IDs, as most of what the emulator writes.
func BenchmarkAppendObj(b *testing.B) {
	o := Obj{{K: "id", V: "il_1QZ2AbCdEfGhIjKlMnOpQrSt"}, {K: "object", V: "line_item"}, {K: "amount", V: int64(12)},
		{K: "currency", V: "usd"}, {K: "description", V: "3000 × Alpaca AI tokens (at $0.00004 / month)"},
		{K: "discountable", V: true}, {K: "invoice", V: nil}, {K: "livemode", V: false},
		{K: "metadata", V: map[string]string{}}, {K: "period", V: Obj{{K: "end", V: int64(1767225600)}, {K: "start", V: int64(1764547200)}}},
		{K: "quantity", V: int64(3)}, {K: "subscription", V: "sub_1QZ2AbCdEfGhIjKlMnOpQrSt"}, {K: "type", V: "subscription"}}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = Append(buf[:0], o)
	}
}
