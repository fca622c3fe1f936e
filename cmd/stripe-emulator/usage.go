package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/server"
)

// usage prints the command's help: how to run it, its flags, and a few lines on
// pointing an SDK at it.
func usage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, `Usage:
  stripe-emulator [flags]                   serve the Stripe API emulator
  stripe-emulator healthcheck [-addr ...]   probe a running emulator's /healthz; exit 0 when healthy
  stripe-emulator help                      print this help
  stripe-emulator -version                  print the version

Flags (each also read from the environment variable it names; a flag wins):
`)
		fs.PrintDefaults()
		fmt.Fprintf(w, `
Point an SDK at it: base URL http://%s (or your -addr), any test key sk_test_... (each key is its own account).
It takes requests of every Stripe API version from %s to %s (the Stripe-Version header, else the account's default, else -api-version);
it answers in Stripe API version %s shapes, the ones stripe-go v79 and stripe-node 16 pin (README: "Which clients work").
`, defaultAddr, apiversion.Version(0), apiversion.Latest, server.APIVersion)
	}
}

// version is the -version line: the module version and VCS revision the go
// command stamped into the binary, the Stripe API version it serves, and Go's.
func version() string {
	v, rev, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	if rev != "" {
		rev = " " + rev
	}
	return fmt.Sprintf("stripe-emulator %s%s (Stripe API %s, %s)", v, rev, server.APIVersion, runtime.Version())
}
