package server

import (
	"unicode/utf8"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/form"
)

// The checks that resources share on the values a request sets: lengths,
// caller-chosen IDs, amounts.

// checkLength refuses a string parameter (param) longer than max characters.
func checkLength(param, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return apierr.Invalid(param, "Invalid %s: must be at most %d characters.", param, max)
	}
	return nil
}

// maxLen refuses a free-text parameter (key of p) longer than limit
// characters; a limit of 0 is none.
func maxLen(p *form.Params, key, v string, limit int) error {
	if limit > 0 && len([]rune(v)) > limit {
		return apierr.Invalid(p.Path(key), "Invalid string: %s; must be at most %d characters", form.Abbreviate(v), limit)
	}
	return nil
}

// checkCustomID validates an ID chosen by the caller.
func checkCustomID(id, param string) error {
	if id == "" || len(id) > 255 {
		return apierr.Invalid(param, "Invalid %s: an ID must be 1 to 255 characters long.", param)
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			return apierr.Invalid(param, "Invalid %s: an ID may contain only letters, digits, '_' and '-'.", param)
		}
	}
	return nil
}
