// Package purity lets a package's tests check that it stays pure: the
// standard library and the few packages it may use, and never net/http,
// directly or through anything it imports. The billing packages are imported
// by the engine, which must not depend on HTTP.
package purity

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// Check fails t for each dependency of the package in the current directory
// (go test runs a package's tests there) that is net/http or one of its
// packages, or neither the standard library nor one of allowed (import
// paths). what names the package in the messages.
func Check(t *testing.T, what string, allowed ...string) {
	t.Helper()
	self, err := exec.Command("go", "list", ".").Output()
	if err != nil {
		testnote.Skip(t, "go list is not available, the imports are not checked: "+err.Error())
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]bool{strings.TrimSpace(string(self)): true}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case ok[dep]:
		case dep == "net/http" || strings.HasPrefix(dep, "net/http/"):
			t.Errorf("%s depends on %s", what, dep)
		case strings.Contains(strings.SplitN(dep, "/", 2)[0], "."):
			t.Errorf("%s depends on %s, which is neither the standard library nor %s", what, dep, strings.Join(allowed, ", "))
		}
	}
}
