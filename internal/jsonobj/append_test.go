package jsonobj

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// appendStringReference is AppendString as it was before its fast path for
// plain strings: the one byte-by-byte loop the fast path must agree with.
func appendStringReference(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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
