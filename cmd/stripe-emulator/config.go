package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// defaultAddr is stripe-mock's port, so SDK configurations written for it work unchanged.
const defaultAddr = "127.0.0.1:12111"

// config is the emulator's command line and environment.
type config struct {
	addr        string
	logFormat   string
	logLevel    slog.Level
	logRequests bool
}

// parseConfig reads flags, falling back on environment variables (flags win).
func parseConfig(name string, args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	cfg := config{addr: defaultAddr, logFormat: "text", logRequests: true}
	if v := getenv("STRIPE_EMULATOR_ADDR"); v != "" {
		cfg.addr = v
	}
	if v := getenv("STRIPE_EMULATOR_LOG_FORMAT"); v != "" {
		cfg.logFormat = v
	}
	level := "info"
	if v := getenv("STRIPE_EMULATOR_LOG_LEVEL"); v != "" {
		level = v
	}
	if v := getenv("STRIPE_EMULATOR_LOG_REQUESTS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("STRIPE_EMULATOR_LOG_REQUESTS: %v", err)
		}
		cfg.logRequests = b
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on, host:port (port 0 picks a free one); env STRIPE_EMULATOR_ADDR")
	fs.StringVar(&cfg.logFormat, "log-format", cfg.logFormat, "log format: text or json; env STRIPE_EMULATOR_LOG_FORMAT")
	fs.StringVar(&level, "log-level", level, "log level: debug, info, warn or error; env STRIPE_EMULATOR_LOG_LEVEL")
	fs.BoolVar(&cfg.logRequests, "log-requests", cfg.logRequests, "log one line per request; env STRIPE_EMULATOR_LOG_REQUESTS")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.logFormat != "text" && cfg.logFormat != "json" {
		return cfg, fmt.Errorf("-log-format must be text or json, not %q", cfg.logFormat)
	}
	if err := cfg.logLevel.UnmarshalText([]byte(strings.ToLower(level))); err != nil {
		return cfg, fmt.Errorf("-log-level: %v", err)
	}
	return cfg, nil
}
