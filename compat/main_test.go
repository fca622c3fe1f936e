// Package compat drives the built stripe-emulator binary with official Stripe
// clients, as users do: a process on a free port, spoken to over HTTP.
package compat

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

// binary is the emulator, built on first use into dir.
var (
	binary   string
	dir      string
	buildErr error
	build    sync.Once
)

func TestMain(m *testing.M) {
	var err error
	dir, err = os.MkdirTemp("", "stripe-emulator-compat")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "stripe-emulator")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// builtBinary builds the emulator once. It runs inside a test, after the test
// log is set up: reading the sources there lets go test's cache (which tracks
// the files a test opens) rerun these tests when the sources change.
func builtBinary(t testing.TB) string {
	t.Helper()
	build.Do(func() {
		if buildErr = touchSources(".."); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binary, "../cmd/stripe-emulator").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building the emulator: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// emulator is a running stripe-emulator process.
type emulator struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	Addr string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`msg="stripe-emulator listening" addr=(\S+)`)

// start runs the binary on a free loopback port and waits until it listens.
func start(t *testing.T, args ...string) *emulator { return startB(t, args...) }

// startB is start for tests and benchmarks.
func startB(t testing.TB, args ...string) *emulator {
	t.Helper()
	cmd := exec.Command(builtBinary(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &emulator{t: t, cmd: cmd, logs: &lockedBuffer{}, done: make(chan error, 1)}
	addrCh := make(chan string, 1)
	readAll := make(chan struct{})
	go func() {
		defer close(readAll)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			e.logs.add(line + "\n")
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				addrCh <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	// Wait closes the pipe once the process exits: only after every line of
	// its log has been read, or the last ones may be lost.
	go func() {
		<-readAll
		e.done <- cmd.Wait()
	}()
	select {
	case e.Addr = <-addrCh:
	case err := <-e.done:
		t.Fatalf("emulator exited before listening (%v):\n%s", err, e.logs.String())
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("emulator did not start:\n%s", e.logs.String())
	}
	e.URL = "http://" + e.Addr
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-e.done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("emulator log:\n%s", e.logs.String())
		}
	})
	return e
}

// stop sends SIGTERM and returns the exit code.
func (e *emulator) stop() int {
	e.t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		e.t.Fatal(err)
	}
	select {
	case <-e.done:
	case <-time.After(15 * time.Second):
		e.t.Fatal("emulator did not stop on SIGTERM")
	}
	return e.cmd.ProcessState.ExitCode()
}

// client is a stripe-go client for the key, configured as the README says.
func (e *emulator) client(key string) *client.API {
	return client.New(key, stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(e.URL),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:    &http.Client{Timeout: 30 * time.Second},
	}))
}

func touchSources(root string) error {
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".json") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			_, err = os.ReadFile(path)
		}
		return err
	})
}
