package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
)

// nodeDir holds the stripe-node suite: package.json, its lockfile and test/*.test.mjs.
const nodeDir = "node"

// TestNode runs the stripe-node suite (compat/node, Node's built-in test runner,
// npm stripe@16.12.0, and stripe18 and stripe23, aliases of stripe@18.5.0 and
// stripe@23.1.0) against the built binary. It skips, saying why, where Node
// or the suite's npm dependencies are not to be had, so that go test ./...
// passes on a machine with Go only; .ci/run installs them. stripe-node 23
// needs Node 20: on an older one its suite is left out, saying so.
func TestNode(t *testing.T) {
	// Read the suite's own files so go test's cache reruns this test when they change.
	if err := readNodeSuite(); err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testnote.Skip(t, "node is not installed: the stripe-node suite in compat/node does not run (it needs Node >= 18 and npm; .ci/run installs them)")
	}
	major, err := nodeMajor(node)
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("cannot tell the version of %s (%v): the stripe-node suite in compat/node does not run", node, err))
	}
	if major < 18 {
		testnote.Skip(t, fmt.Sprintf("node %d is too old for node:test: the stripe-node suite in compat/node does not run (it needs Node >= 18)", major))
	}
	ensureNodeModules(t)

	// One line per request would bury node's report in the log of a failure.
	e := start(t, "-log-requests=false")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"--test"}
	if major >= 20 {
		args = append(args, "--test-reporter=spec")
	} else {
		files, err := filepath.Glob(filepath.Join(nodeDir, "test", "*.test.mjs"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if filepath.Base(f) != node23Suite {
				args = append(args, filepath.Join("test", filepath.Base(f)))
			}
		}
		t.Run("stripe-node 23", func(t *testing.T) {
			testnote.Skip(t, fmt.Sprintf("node %d is older than stripe-node 23.1.0 supports (Node >= 20): compat/node/test/%s does not run", major, node23Suite))
		})
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "STRIPE_EMULATOR_URL="+e.URL, "NO_COLOR=1", "FORCE_COLOR=0")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node --test did not finish in 5 minutes:\n%s", out)
	}
	if err != nil {
		t.Fatalf("node --test in compat/node failed (%v):\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^\S*\s*pass [1-9]`).Match(out) {
		t.Fatalf("node --test ran no test:\n%s", out)
	}
	t.Logf("node --test in compat/node:\n%s", summaryLines(out))
}

// node23Suite is the suite of stripe-node 23, which needs Node 20.
const node23Suite = "sdk23.test.mjs"

// nodePackages are the suite's stripe-node packages: npm stripe@16.12.0 and
// the aliases of the newer majors.
var nodePackages = []string{"stripe", "stripe18", "stripe23"}

// nodeMajor is the major version of the node binary.
func nodeMajor(node string) (int, error) {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return 0, err
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _, _ := strings.Cut(v, ".")
	return strconv.Atoi(major)
}

// ensureNodeModules installs the locked dependencies with npm ci unless
// node_modules already holds the locked stripe-node packages; it skips the
// test when they cannot be installed (no npm, no network).
func ensureNodeModules(t *testing.T) {
	t.Helper()
	installed := func() (missing, want string) {
		for _, pkg := range nodePackages {
			v, err := lockedVersion(pkg)
			if err != nil || v == "" {
				t.Fatalf("compat/node/package-lock.json has no %s (%v)", pkg, err)
			}
			if installedVersion(pkg) != v {
				return pkg, v
			}
		}
		return "", ""
	}
	missing, want := installed()
	if missing == "" {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testnote.Skip(t, fmt.Sprintf("compat/node/node_modules lacks %s@%s and npm is not installed: the stripe-node suite does not run (run `npm ci` in compat/node; .ci/run does)", missing, want))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = nodeDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("npm ci: %v\n%s", err, lastLines(out, 15))
		testnote.Skip(t, "npm ci failed in compat/node (no network to the npm registry?): the stripe-node suite does not run")
	}
	if missing, want := installed(); missing != "" {
		t.Fatalf("after npm ci, compat/node/node_modules has %s %q, the lockfile says %q", missing, installedVersion(missing), want)
	}
}

// lockedVersion is a package's version in compat/node/package-lock.json.
func lockedVersion(pkg string) (string, error) {
	data, err := os.ReadFile(filepath.Join(nodeDir, "package-lock.json"))
	if err != nil {
		return "", err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return "", err
	}
	return lock.Packages["node_modules/"+pkg].Version, nil
}

// installedVersion is a package's version in compat/node/node_modules, or "".
func installedVersion(pkg string) string {
	data, err := os.ReadFile(filepath.Join(nodeDir, "node_modules", pkg, "package.json"))
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(data, &p) != nil {
		return ""
	}
	return p.Version
}

// readNodeSuite reads every file of the suite outside node_modules.
func readNodeSuite() error {
	return filepath.WalkDir(nodeDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			_, err = os.ReadFile(path)
		}
		return err
	})
}

// summaryLines are the runner's closing counts (ℹ tests 32, ℹ pass 32, …).
func summaryLines(out []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(out), "\n") {
		if regexp.MustCompile(`^\S*\s*(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) \d`).MatchString(l) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// lastLines is the end of a command's output.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
