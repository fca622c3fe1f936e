// Command stripe-emulator serves the Stripe API emulator.
//
//	stripe-emulator [-addr 127.0.0.1:12111]   start the emulator
//	stripe-emulator healthcheck [-addr ...]   probe /healthz; exit 0 when healthy
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}
