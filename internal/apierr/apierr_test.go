package apierr

import (
	"net/http"
	"testing"
)

func TestMessages(t *testing.T) {
	for _, tt := range []struct {
		err  *Error
		msg  string
		code string
	}{
		{InvalidEnum("recurring[interval]", []string{"day", "month"}), "Invalid interval: must be one of day or month", ""},
		{InvalidEnum("enabled_events[3]", []string{"a", "b", "c"}), "Invalid enabled_events: must be one of a, b, or c", ""},
		{InvalidEnum("items[0][tax_behavior]", []string{"x"}), "Invalid tax_behavior: must be one of x", ""},
		{ResourceMissing("customer", "id", "cus_1"), "No such customer: 'cus_1'", "resource_missing"},
		{ParameterMissing("items[0][price]"), "Missing required param: items[0][price].", "parameter_missing"},
		{Exclusive("a", "b"), "You may only specify one of these parameters: a, b.", "parameters_exclusive"},
	} {
		if tt.err.Message != tt.msg || tt.err.Code != tt.code {
			t.Errorf("%q (%s), want %q (%s)", tt.err.Message, tt.err.Code, tt.msg, tt.code)
		}
	}
	if ResourceMissing("customer", "id", "x").Status != 404 || ResourceMissing("customer", "customer", "x").Status != 400 {
		t.Errorf("resource_missing status: 404 in the path, 400 in a parameter")
	}
	if e := (&Error{Code: "resource_missing"}); e.DocURL() != "https://stripe.com/docs/error-codes/resource-missing" {
		t.Errorf("doc url: %s", e.DocURL())
	}
}

// The package's status constants are net/http's (it does not import net/http,
// so that the billing engine, which uses it, does not depend on it).
func TestStatusesAreHTTPs(t *testing.T) {
	for _, tt := range []struct{ got, want int }{
		{statusBadRequest, http.StatusBadRequest},
		{statusConflict, http.StatusConflict},
		{statusForbidden, http.StatusForbidden},
		{statusInternalServerError, http.StatusInternalServerError},
		{statusNotFound, http.StatusNotFound},
		{statusPaymentRequired, http.StatusPaymentRequired},
		{statusRequestEntityTooLarge, http.StatusRequestEntityTooLarge},
		{statusUnauthorized, http.StatusUnauthorized},
	} {
		if tt.got != tt.want {
			t.Errorf("status %d, want %d (%s)", tt.got, tt.want, http.StatusText(tt.want))
		}
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    string
		n    int
		want string
	}{
		{"shorter", "abc", 5, "abc"},
		{"exactly n", "abcde", 5, "abcde"},
		{"longer", "abcdef", 5, "abcde..."},
		{"empty", "", 3, ""},
		{"zero", "ab", 0, "..."},
		{"counts runes, not bytes", "ééééé", 5, "ééééé"},
		{"cuts between runes", "日本語テキスト", 3, "日本語..."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clip(tt.v, tt.n); got != tt.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tt.v, tt.n, got, tt.want)
			}
		})
	}
}
