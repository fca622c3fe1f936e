package compat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// The README a newcomer reads: which clients work comes first, "The two
// commands" are still two (the -short run is a note below them), and every
// flag the binary's help lists is documented.
func TestReadmeFirstRun(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	sections := regexp.MustCompile(`(?m)^## (.+)$`).FindAllStringSubmatch(readme, 2)
	if len(sections) < 2 || sections[0][1] != "Which clients work" || sections[1][1] != "The two commands" {
		t.Errorf("the first sections are %q, want Which clients work, then The two commands", sections)
	}
	for _, client := range []string{"stripe-go v79", "stripe-node 16", "stripe-python", "api_base", "2024-06-20"} {
		if !strings.Contains(readme, client) {
			t.Errorf("the README does not mention %s", client)
		}
	}
	_, two, _ := strings.Cut(readme, "## The two commands")
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(two)
	if block == nil {
		t.Fatal("no command block under The two commands")
	}
	var commands []string
	for _, line := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		commands = append(commands, strings.TrimSpace(strings.SplitN(line, "#", 2)[0]))
	}
	if want := []string{"go run ./cmd/stripe-emulator", "go test ./..."}; !slices.Equal(commands, want) {
		t.Errorf("The two commands are %q, want %q", commands, want)
	}
	if !strings.Contains(two, "`go test -short ./...`") {
		t.Error("the README does not say what go test -short ./... is for")
	}

	out, err := exec.Command(builtBinary(t), "help").Output()
	if err != nil {
		t.Fatalf("help: %v", err)
	}
	flags := regexp.MustCompile(`(?m)^  (-[a-z][a-z-]*)`).FindAllStringSubmatch(string(out), -1)
	if len(flags) < 10 {
		t.Fatalf("help lists %d flags:\n%s", len(flags), out)
	}
	for _, f := range flags {
		if !strings.Contains(readme, "`"+f[1]+"`") && !strings.Contains(readme, "`"+f[1]+" ") {
			t.Errorf("the README does not document %s", f[1])
		}
	}
}
