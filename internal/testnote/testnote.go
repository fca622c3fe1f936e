// Package testnote lets a test that skips say why where a person running
// go test ./... sees it.
//
// In package list mode (go test ./...) the go command keeps a passing
// package's output only with -v: it buffers each test binary's output and
// drops it when the package passes, so a t.Skip message is invisible on an
// ordinary run. Skip also writes its one line to the terminal the tests run
// in, when there is one and -v is off. Where there is none (CI), go test -v
// or -json shows the t.Skip message as usual.
package testnote

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Skip skips t, saying why in one line: reason should name what is missing
// and what did not run.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if !testing.Verbose() {
		tell(Line(t.Name(), reason))
	}
	t.Skip(reason)
}

// Line is the line Skip writes: the package's directory, the test and the
// reason, on one line.
func Line(test, reason string) string {
	pkg := "."
	if wd, err := os.Getwd(); err == nil { // go test runs a package's tests in its directory
		pkg = filepath.Base(wd)
	}
	return fmt.Sprintf("--- SKIP: %s %s: %s\n", pkg, test, strings.ReplaceAll(reason, "\n", " "))
}

// tell writes line to the controlling terminal, if there is one. Without
// one it does nothing: t.Skip still records the reason for -v and -json.
func tell(line string) {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer tty.Close()
	_, _ = tty.WriteString(line)
}
