package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthcheck probes a running emulator's /healthz: exit 0 when it answers 200,
// 1 otherwise. It is what the container's HEALTHCHECK runs (there is no curl).
// Its only flag is -addr.
func healthcheck(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	addr := defaultAddr
	if v := getenv("STRIPE_EMULATOR_ADDR"); v != "" {
		addr = v
	}
	fs := flag.NewFlagSet("stripe-emulator healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&addr, "addr", addr, "the emulator's address, host:port (0.0.0.0 and :: are probed on 127.0.0.1); env STRIPE_EMULATOR_ADDR")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: stripe-emulator healthcheck [-addr host:port]\n\nProbes GET /healthz of a running emulator: exit 0 when it answers 200, 1 otherwise.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "healthcheck: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + requestHost(addr) + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}
