package billing

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/purity"
)

const mod = "github.com/stripe-emulator/stripe-emulator"

// TestEngineImports: the engine depends neither on HTTP, nor on the form
// decoder, nor on the JSON renderer, nor on server, directly or through
// anything it imports: it takes typed inputs and returns records.
func TestEngineImports(t *testing.T) {
	purity.Forbidden(t, "the billing engine", "net/http", "github.com/gorilla/mux", mod+"/server",
		mod+"/internal/form", mod+"/internal/jsonobj", mod+"/internal/spec", mod+"/internal/search",
		mod+"/internal/h1", mod+"/internal/fixtures")
}

// TestEngineDirectImports: what the engine imports itself is an allowlist:
// the standard library (not net/http), decimal, and these of the module:
// the store, meter usage, Stripe's errors, the arithmetic beneath it and
// metadata (issue 14's final list), and the test cards issue 16's payments
// use.
func TestEngineDirectImports(t *testing.T) {
	purity.Direct(t, "the billing engine", "github.com/shopspring/decimal",
		mod+"/internal/store", mod+"/internal/metering", mod+"/internal/apierr", mod+"/internal/billing/calc",
		mod+"/internal/metadata", mod+"/internal/billing/cards")
}
