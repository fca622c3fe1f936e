package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
	"github.com/stripe-emulator/stripe-emulator/server"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

// The public surface: what a user of the emulator in-process (the README's
// "In-process, from a Go test", "Keeping state across restarts", Fixtures)
// and cmd/stripe-emulator can name. Issue 14 moves everything else under
// internal/ and must leave this as it is.

// These lines only compile if every public name is there, with its type,
// usable from outside the package.
var (
	_ string = server.APIVersion
	_ int64  = server.DefaultIdempotencyMaxTotalBytes
	_ int    = server.DefaultMaxAccounts
	_ int    = server.StateFormatVersion
	_ error  = server.ErrStateForeign
	_ error  = server.ErrStateCorrupt
	_ error  = server.ErrStateVersion
	_ error  = server.ErrStateNotEmpty

	_ func(server.Options) (*server.Server, error)                                                        = server.New
	_ func() string                                                                                       = server.RandomSecret
	_ func(string) ([]string, error)                                                                      = server.RemoveOrphanedTempFiles
	_ func([]byte, string, time.Time) string                                                              = server.SignPayload
	_ http.Handler                                                                                        = (*server.Server)(nil)
	_ func(*server.Server) error                                                                          = (*server.Server).Close
	_ func(*server.Server, io.Reader) error                                                               = (*server.Server).LoadState
	_ func(*server.Server, string) (server.StateInfo, error)                                              = (*server.Server).LoadStateFile
	_ func(*server.Server, io.Writer) error                                                               = (*server.Server).SaveState
	_ func(*server.Server, string) (server.StateInfo, error)                                              = (*server.Server).SaveStateFile
	_ func(*server.Server, string) (server.StateInfo, bool, error)                                        = (*server.Server).SaveStateFileIfChanged
	_ func(*server.Server, http.ResponseWriter, *http.Request)                                            = (*server.Server).ServeHTTP
	_ func(*server.Server, context.Context, []byte, server.FixtureOptions) (*server.FixtureResult, error) = (*server.Server).LoadFixtures

	_ = server.Options{
		Clock: clock.Clock(nil), Logger: (*slog.Logger)(nil), RequestLogger: (*slog.Logger)(nil),
		MaxBodyBytes: int64(0), IdempotencyTTL: time.Duration(0), IdempotencyMaxBytes: int64(0),
		IdempotencyMaxTotalBytes: int64(0), RequestLogMaxBytes: int64(0), RequestLogMaxTotalBytes: int64(0),
		MaxAccounts: 0, TickInterval: time.Duration(0),
		Webhooks: server.WebhookOptions{ForwardURL: "", ForwardSecret: "", RetryBase: time.Duration(0),
			MaxAttempts: 0, Timeout: time.Duration(0), MaxQueue: 0},
	}
	_ = server.FixtureOptions{Key: "", File: "", Env: func(string) (string, bool) { return "", false }, Host: ""}
	_ = server.FixtureEntry{Name: "", Method: "", Path: "", Status: 0, ID: "", Body: []byte(nil)}
	_ = server.StateInfo{Found: false, Path: "", SavedAt: time.Time{}, Accounts: 0, Objects: 0, Events: 0,
		MeterEvents: 0, Bytes: int64(0), Duration: time.Duration(0)}
	_ = func(r server.FixtureResult) (string, []server.FixtureEntry, any) { return r.File, r.Entries, r.Env }
	_ = func(e *server.FixtureError) (string, string, int, string, any, error, []string) {
		return e.File, e.Entry, e.Index, e.Request, e.API, e.Err, e.Loaded
	}
	_ error                            = (*server.FixtureError)(nil)
	_ func(*server.FixtureError) error = (*server.FixtureError).Unwrap

	_ clock.Clock                        = clock.Real{}
	_ clock.Clock                        = (*clock.Manual)(nil)
	_ func(time.Time) *clock.Manual      = clock.NewManual
	_ func(*clock.Manual, time.Time)     = (*clock.Manual).Set
	_ func(*clock.Manual, time.Duration) = (*clock.Manual).Add
)

// TestPublicSurface checks the public constants' values and that the state
// errors are distinct; the lines above check the names and types at compile
// time, and TestPublicDeclarations (package server) lists every exported
// declaration, so that an added one shows too.
func TestPublicSurface(t *testing.T) {
	if server.APIVersion != "2024-06-20" || server.StateFormatVersion != 2 ||
		server.DefaultMaxAccounts != 100_000 || server.DefaultIdempotencyMaxTotalBytes != 1<<30 {
		t.Errorf("constants: %q %d %d %d", server.APIVersion, server.StateFormatVersion, server.DefaultMaxAccounts, server.DefaultIdempotencyMaxTotalBytes)
	}
	errs := []error{server.ErrStateForeign, server.ErrStateCorrupt, server.ErrStateVersion, server.ErrStateNotEmpty}
	for i, e := range errs {
		for j, f := range errs {
			if i != j && errors.Is(e, f) {
				t.Errorf("ErrState errors %d and %d are the same", i, j)
			}
		}
	}
}

// TestPackageLayout: outside internal/, the module holds only the packages
// meant to be imported or run (publicPackages), and every one of them exists.
func TestPackageLayout(t *testing.T) {
	const mod = "github.com/stripe-emulator/stripe-emulator"
	cmd := exec.Command("go", "list", mod+"/...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		testnote.Skip(t, "go list is not available, the package layout is not checked: "+err.Error())
	}
	publicPackages := []string{"cmd/stripe-emulator", "compat", "compat/load", "server", "server/clock"}
	var have []string
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, mod), "/")
		have = append(have, rel)
		if !strings.HasPrefix(rel, "internal/") && !slices.Contains(publicPackages, rel) {
			t.Errorf("package %s is outside internal/ but not public", rel)
		}
	}
	for _, p := range publicPackages {
		if !slices.Contains(have, p) {
			t.Errorf("package %s is listed but does not exist: update the layout", p)
		}
	}
}
