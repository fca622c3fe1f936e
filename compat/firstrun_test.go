package compat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// go.mod is tidy: every module the code imports is a direct requirement (not
// "// indirect"), none is missing and none unused.
func TestGoModIsTidy(t *testing.T) {
	out, err := exec.Command("go", "mod", "tidy", "-diff").CombinedOutput()
	if err == nil {
		return
	}
	if bytes.HasPrefix(out, []byte("diff ")) {
		t.Fatalf("go.mod or go.sum is not tidy (run go mod tidy):\n%s", out)
	}
	testnote.Skip(t, "go mod tidy -diff could not run (no network to the module proxy?): go.mod is not checked: "+strings.TrimSpace(string(out)))
}

// Every test that skips says why where go test ./... shows it without -v:
// through testnote.Skip, never t.Skip itself.
func TestEverySkipSaysWhy(t *testing.T) {
	rawSkip := regexp.MustCompile(`\b[tbf]\.Skip(f|Now)?\(`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testnote") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if rawSkip.MatchString(line) {
				t.Errorf("%s:%d skips without saying why on a plain run; use testnote.Skip: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
