package metadata

import (
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/purity"
)

// TestImports keeps the metadata rules pure, as the billing engine imports
// them: nothing of the module but apierr, and no net/http.
func TestImports(t *testing.T) {
	purity.Check(t, "the metadata rules", "github.com/stripe-emulator/stripe-emulator/internal/apierr")
}
