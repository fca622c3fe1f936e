// Package apierr is the one Stripe error type of the emulator and its constructors.
//
// Every handler returns a *Error (or a plain error, which becomes a 500 api_error);
// the response adapter in package server is the only place that renders it.
package apierr

import (
	"fmt"
	"strings"
)

// HTTP statuses, as integers: the package needs no net/http (the billing
// engine imports it, and must not depend on net/http).
const (
	statusBadRequest            = 400
	statusConflict              = 409
	statusForbidden             = 403
	statusInternalServerError   = 500
	statusNotFound              = 404
	statusRequestEntityTooLarge = 413
	statusUnauthorized          = 401
)

// Error types as stripe-go v79 knows them.
const (
	TypeAPI            = "api_error"
	TypeCard           = "card_error"
	TypeIdempotency    = "idempotency_error"
	TypeInvalidRequest = "invalid_request_error"
)

// Error is a Stripe API error: rendered as {"error":{...}} with Status as the HTTP status.
type Error struct {
	Status  int    `json:"-"`
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
	// ShouldRetry, when set, is sent as the Stripe-Should-Retry header.
	ShouldRetry *bool `json:"-"`

	// The fields of card errors (card.go): the decline code, the failed
	// charge's id, and the objects embedded in full. Members lists them, with
	// the fields above, in Stripe's order.
	DeclineCode   string   `json:"-"`
	Charge        string   `json:"-"`
	PaymentIntent Embedded `json:"-"`
	PaymentMethod Embedded `json:"-"`
	SetupIntent   Embedded `json:"-"`
	// Commit: the request's changes stand although it fails (a decline
	// records the failed attempt, design-16 D4); WithCommit sets it.
	Commit bool `json:"-"`
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%d %s (%s, param %s): %s", e.Status, e.Type, e.Code, e.Param, e.Message)
	}
	return fmt.Sprintf("%d %s (%s): %s", e.Status, e.Type, e.Code, e.Message)
}

// DocURL is the documentation link Stripe attaches to errors that have a code.
func (e *Error) DocURL() string {
	if e.Code == "" {
		return ""
	}
	return "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(e.Code, "_", "-")
}

// NoRetry marks the error with Stripe-Should-Retry: false.
func (e *Error) NoRetry() *Error {
	f := false
	e.ShouldRetry = &f
	return e
}

// InvalidRequest is a 400 invalid_request_error with the given code and param.
func InvalidRequest(code, param, format string, args ...any) *Error {
	return &Error{Status: statusBadRequest, Type: TypeInvalidRequest, Code: code, Param: param, Message: sprintf(format, args...)}
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// ResourceMissing is "No such <noun>: '<id>'". A missing object named in the URL path
// (param "id") is a 404; one named by a request parameter is a 400 with that param.
func ResourceMissing(noun, param, id string) *Error {
	status := statusBadRequest
	if param == "id" {
		status = statusNotFound
	}
	return &Error{Status: status, Type: TypeInvalidRequest, Code: "resource_missing", Param: param,
		Message: fmt.Sprintf("No such %s: '%s'", noun, id)}
}

// ParameterUnknown is "Received unknown parameter: <param>".
func ParameterUnknown(param string) *Error {
	return InvalidRequest("parameter_unknown", param, "Received unknown parameter: %s", param)
}

// ParameterMissing is "Missing required param: <param>.".
func ParameterMissing(param string) *Error {
	return InvalidRequest("parameter_missing", param, "Missing required param: %s.", param)
}

// InvalidInteger is a parameter that should be an integer but is not.
func InvalidInteger(param, value string) *Error {
	return InvalidRequest("parameter_invalid_integer", param, "Invalid integer: %s", truncate(value))
}

// InvalidBoolean is a parameter that should be a boolean but is not.
func InvalidBoolean(param, value string) *Error {
	return InvalidRequest("", param, "Invalid boolean: %s", truncate(value))
}

// InvalidNumber is a parameter that should be a decimal number but is not.
func InvalidNumber(param, value string) *Error {
	return InvalidRequest("", param, "Invalid decimal: %s", truncate(value))
}

// InvalidEnum is a value outside an enumeration: "Invalid <param>: must be one of a, b, or c".
func InvalidEnum(param string, allowed []string) *Error {
	return InvalidRequest("", param, "Invalid %s: must be one of %s", lastKey(param), oneOf(allowed))
}

// InvalidEmpty is an empty string sent for a parameter that cannot be unset.
func InvalidEmpty(param string) *Error {
	return InvalidRequest("parameter_invalid_empty", param,
		"You passed an empty string for '%s'. We assume empty values are an attempt to unset a parameter; however '%s' cannot be unset. You should remove '%s' from your request or supply a non-empty value.",
		param, param, param)
}

// Exclusive is "You may only specify one of these parameters: a, b.".
func Exclusive(params ...string) *Error {
	return InvalidRequest("parameters_exclusive", params[0], "You may only specify one of these parameters: %s.", strings.Join(params, ", "))
}

// Invalid is a 400 for a parameter whose value breaks a rule; message says which.
func Invalid(param, format string, args ...any) *Error {
	return InvalidRequest("parameter_invalid", param, format, args...)
}

// State is a 400 for an action the object's current state does not allow.
func State(code, format string, args ...any) *Error {
	return InvalidRequest(code, "", format, args...)
}

// Idempotency is the 400 idempotency_error for a key reused with other parameters.
func Idempotency(format string, args ...any) *Error {
	return &Error{Status: statusBadRequest, Type: TypeIdempotency, Message: sprintf(format, args...)}
}

// IdempotencyInUse is the 409 for a key whose first request is still running.
func IdempotencyInUse(key string) *Error {
	return &Error{Status: statusConflict, Type: TypeIdempotency, Code: "idempotency_key_in_use",
		Message: fmt.Sprintf("There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): %s. Please try again later.", key)}
}

// Unauthorized is a 401 (Stripe uses invalid_request_error for authentication failures).
func Unauthorized(format string, args ...any) *Error {
	return &Error{Status: statusUnauthorized, Type: TypeInvalidRequest, Message: sprintf(format, args...)}
}

// AccountLimit is the 403 for a new secret key when the emulator already holds
// its maximum of accounts (one per key).
func AccountLimit(max int, maskedKey string) *Error {
	return &Error{Status: statusForbidden, Type: TypeInvalidRequest,
		Message: fmt.Sprintf("stripe-emulator already holds its maximum of %d accounts (one per secret key), and %s is not one of them. Reset the accounts you no longer need (POST /_emulator/reset with their key), or start the emulator with a higher -max-accounts.", max, maskedKey)}
}

// Limit is the 400 for a create past a bound on how many of something an
// account (or the emulator) holds; message says which, and what to do.
// Stripe's own refusals of this kind carry no code.
func Limit(format string, args ...any) *Error {
	return &Error{Status: statusBadRequest, Type: TypeInvalidRequest, Message: sprintf(format, args...)}
}

// NotFound is the 404 for a URL the API does not serve.
func NotFound(method, path string) *Error {
	return &Error{Status: statusNotFound, Type: TypeInvalidRequest,
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", method, path)}
}

// RemovedEndpoint is the 404 of an endpoint the request's API version no
// longer has: Stripe's unknown-route message, saying which version removed
// it, which version the request used, and what to use instead.
func RemovedEndpoint(method, path, removedIn, used, use string) *Error {
	return &Error{Status: statusNotFound, Type: TypeInvalidRequest,
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). This endpoint was removed in API version %s; this request used %s. Use %s instead. Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", method, path, removedIn, used, use)}
}

// InvalidVersion is Stripe's 400 for a Stripe-Version header that names no
// API version (the value as received, several headers joined by ", ").
func InvalidVersion(value string) *Error {
	return InvalidRequest("", "", "Invalid Stripe API version: %s", value)
}

// TooLarge is the 413 for a request body over the cap.
func TooLarge(limit int64) *Error {
	return &Error{Status: statusRequestEntityTooLarge, Type: TypeInvalidRequest,
		Message: fmt.Sprintf("The request body is too large: the limit is %d bytes.", limit)}
}

// Internal is a 500 api_error; the emulator logs the cause.
func Internal() *Error {
	return &Error{Status: statusInternalServerError, Type: TypeAPI,
		Message: "An unknown error occurred in stripe-emulator; the log has the cause."}
}

// lastKey is the name of a bracketed parameter's last key, skipping array
// indexes: recurring[interval] → interval, enabled_events[0] → enabled_events.
func lastKey(param string) string {
	for strings.HasSuffix(param, "]") {
		i := strings.LastIndexByte(param, '[')
		if i < 0 {
			break
		}
		key := param[i+1 : len(param)-1]
		if strings.Trim(key, "0123456789") != "" {
			return key
		}
		param = param[:i]
	}
	return param
}

func oneOf(allowed []string) string {
	switch len(allowed) {
	case 0:
		return ""
	case 1:
		return allowed[0]
	case 2:
		return allowed[0] + " or " + allowed[1]
	}
	return strings.Join(allowed[:len(allowed)-1], ", ") + ", or " + allowed[len(allowed)-1]
}

func truncate(v string) string {
	const max = 100
	if len(v) > max {
		return v[:max] + "..."
	}
	return v
}

// Clip is a value a client sent, shortened for quoting in a message or a log:
// its first n characters (runes), and "..." when it has more.
func Clip(v string, n int) string {
	i := 0
	for pos := range v {
		if i == n {
			return v[:pos] + "..."
		}
		i++
	}
	return v
}
