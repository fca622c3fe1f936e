package calc

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// TestImports keeps the billing arithmetic pure, as the engine of issue 14
// will import it: nothing of the module, no third-party package but
// decimal, and no net/http, directly or through anything it imports.
func TestImports(t *testing.T) {
	self, err := exec.Command("go", "list", ".").Output()
	if err != nil {
		testnote.Skip(t, "go list is not available, the imports are not checked: "+err.Error())
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	pkg := strings.TrimSpace(string(self))
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == pkg || dep == "github.com/shopspring/decimal":
		case dep == "net/http" || strings.HasPrefix(dep, "net/http/"):
			t.Errorf("the billing arithmetic depends on %s", dep)
		case strings.Contains(strings.SplitN(dep, "/", 2)[0], "."):
			t.Errorf("the billing arithmetic depends on %s, which is neither the standard library nor decimal", dep)
		}
	}
}
