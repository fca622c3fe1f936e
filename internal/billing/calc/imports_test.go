package calc

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/purity"
)

// TestImports keeps the billing arithmetic pure, as the engine of issue 14
// will import it: nothing of the module, no third-party package but
// decimal, and no net/http, directly or through anything it imports.
func TestImports(t *testing.T) {
	purity.Check(t, "the billing arithmetic", "github.com/shopspring/decimal")
}
