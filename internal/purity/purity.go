// Package purity lets a package's tests check that it stays pure: the
// standard library and the few packages it may use, and never net/http,
// directly or through anything it imports. The billing packages are pure so
// that the engine does not depend on HTTP.
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
	self, deps := list(t, "{{.ImportPath}}", "-deps")
	ok := map[string]bool{self: true}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, dep := range deps {
		switch {
		case ok[dep]:
		case under(dep, "net/http"):
			t.Errorf("%s depends on %s", what, dep)
		case !std(dep):
			t.Errorf("%s depends on %s, which is neither the standard library nor %s", what, dep, strings.Join(allowed, ", "))
		}
	}
}

// Forbidden fails t for each dependency of the package in the current
// directory, direct or through anything it imports, that is one of forbidden
// or one of their packages (net/http forbids net/http/httptest too).
func Forbidden(t *testing.T, what string, forbidden ...string) {
	t.Helper()
	_, deps := list(t, "{{.ImportPath}}", "-deps")
	for _, dep := range deps {
		for _, f := range forbidden {
			if under(dep, f) {
				t.Errorf("%s depends on %s (go list -deps -json shows through what)", what, dep)
			}
		}
	}
}

// Direct fails t for each package that the package in the current directory
// imports itself and that is net/http, or neither the standard library nor
// one of allowed.
func Direct(t *testing.T, what string, allowed ...string) {
	t.Helper()
	_, imports := list(t, `{{join .Imports "\n"}}`)
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, imp := range imports {
		if !ok[imp] && (under(imp, "net/http") || !std(imp)) {
			t.Errorf("%s imports %s, which is not among what it may import: the standard library but net/http, and %s", what, imp, strings.Join(allowed, ", "))
		}
	}
}

// list is the import path of the package in the current directory and what
// go list's format gives of it (with the flags before it), as fields.
func list(t *testing.T, format string, flags ...string) (string, []string) {
	t.Helper()
	self, err := exec.Command("go", "list", ".").Output()
	if err != nil {
		testnote.Skip(t, "go list is not available, the imports are not checked: "+err.Error())
	}
	out, err := exec.Command("go", append(append([]string{"list"}, flags...), "-f", format, ".")...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(self)), strings.Fields(string(out))
}

// under reports whether pkg is path or one of its packages.
func under(pkg, path string) bool { return pkg == path || strings.HasPrefix(pkg, path+"/") }

// std reports whether pkg is of the standard library (its first element has
// no dot).
func std(pkg string) bool { return !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") }
