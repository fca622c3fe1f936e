package cards

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/purity"
)

// TestImports keeps the card model pure, as the billing engine imports it:
// the standard library and apierr only, and no net/http.
func TestImports(t *testing.T) {
	purity.Check(t, "the card model", "github.com/stripe-emulator/stripe-emulator/internal/apierr")
}
