package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// defaultAddr is stripe-mock's port, so SDK configurations written for it work unchanged.
const defaultAddr = "127.0.0.1:12111"

// config is the emulator's command line and environment.
type config struct {
	addr          string
	logFormat     string
	logLevel      slog.Level
	logRequests   bool
	webhookURL    string
	webhookSecret string
	pprofAddr     string
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
	cfg.webhookURL = getenv("STRIPE_EMULATOR_WEBHOOK_URL")
	cfg.webhookSecret = getenv("STRIPE_EMULATOR_WEBHOOK_SECRET")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on, host:port (port 0 picks a free one); env STRIPE_EMULATOR_ADDR")
	fs.StringVar(&cfg.logFormat, "log-format", cfg.logFormat, "log format: text or json; env STRIPE_EMULATOR_LOG_FORMAT")
	fs.StringVar(&level, "log-level", level, "log level: debug, info, warn or error; env STRIPE_EMULATOR_LOG_LEVEL")
	fs.BoolVar(&cfg.logRequests, "log-requests", cfg.logRequests, "log one line per request; env STRIPE_EMULATOR_LOG_REQUESTS")
	fs.StringVar(&cfg.webhookURL, "webhook-url", cfg.webhookURL, "forward every event of every account to this URL, signed (like stripe listen --forward-to); env STRIPE_EMULATOR_WEBHOOK_URL")
	fs.StringVar(&cfg.webhookSecret, "webhook-secret", cfg.webhookSecret, "the whsec_ secret -webhook-url deliveries are signed with (default: generated, printed at start); env STRIPE_EMULATOR_WEBHOOK_SECRET")
	fs.StringVar(&cfg.pprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, for performance work")
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
	if cfg.webhookURL != "" {
		u, err := url.Parse(cfg.webhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("-webhook-url must be an absolute http or https URL, not %q", cfg.webhookURL)
		}
	}
	if cfg.webhookSecret != "" && !strings.HasPrefix(cfg.webhookSecret, "whsec_") {
		return cfg, fmt.Errorf("-webhook-secret must start with whsec_")
	}
	return cfg, nil
}
