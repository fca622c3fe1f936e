// Command stripe-emulator serves the Stripe API emulator.
//
//	stripe-emulator [-addr 127.0.0.1:12111]   start the emulator
//	stripe-emulator healthcheck [-addr ...]   probe /healthz; exit 0 when healthy
//	stripe-emulator help                      the flags, and how to point an SDK at it
//
// SIGINT and SIGTERM stop it gracefully: it stops accepting connections,
// finishes the requests in flight (closing, after 5 s, the connections of
// clients that stalled), saves its state and exits 0.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// The emulator's heap is mostly long-lived state; collecting less often
	// trades some memory for throughput. GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}
