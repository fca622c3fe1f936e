package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/apiversion"
	"github.com/stripe-emulator/stripe-emulator/server"
)

// defaultAddr is stripe-mock's port, so SDK configurations written for it work unchanged.
const defaultAddr = "127.0.0.1:12111"

// defaultFixturesKey is the account -fixtures files are loaded into.
const defaultFixturesKey = "sk_test_emulator"

// config is the emulator's command line and environment.
type config struct {
	addr          string
	logFormat     string
	logLevel      slog.Level
	logRequests   bool
	webhookURL    string
	webhookSecret string
	pprofAddr     string
	// fixtures are the fixture files to load at start, into the account of fixturesKey.
	fixtures    []string
	fixturesKey string
	// stateFile, when set, is loaded at start and saved every stateInterval
	// (0: only on shutdown) and on shutdown.
	stateFile     string
	stateInterval time.Duration
	// serve is the HTTP front end and HTTPS.
	serve serveConfig
	// showVersion: -version, print the version and exit.
	showVersion bool
	// maxAccounts bounds the accounts (0: no bound); idemMaxBytes the memory
	// of every account's idempotency keys together, eventsMaxBytes that of
	// every account's event log and meter error reports.
	maxAccounts    int
	idemMaxBytes   int64
	eventsMaxBytes int64
	// apiVersion is the emulator's default API version (-api-version).
	apiVersion string
}

// parseConfig reads flags, falling back on environment variables (flags win).
func parseConfig(name string, args []string, getenv func(string) string, errOut io.Writer) (config, error) {
	cfg := config{addr: defaultAddr, logFormat: "text", logRequests: true, fixturesKey: defaultFixturesKey, stateInterval: 30 * time.Second,
		maxAccounts: server.DefaultMaxAccounts, idemMaxBytes: server.DefaultIdempotencyMaxTotalBytes, eventsMaxBytes: server.DefaultEventsMaxTotalBytes}
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
	cfg.fixtures = splitFileList(getenv("STRIPE_EMULATOR_FIXTURES"))
	if v := getenv("STRIPE_EMULATOR_FIXTURES_KEY"); v != "" {
		cfg.fixturesKey = v
	}
	cfg.stateFile = getenv("STRIPE_EMULATOR_STATE_FILE")
	if v := getenv("STRIPE_EMULATOR_STATE_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return cfg, fmt.Errorf("STRIPE_EMULATOR_STATE_INTERVAL: %v", err)
		}
		cfg.stateInterval = d
	}
	cfg.serve = serveConfigFromEnv(getenv)
	cfg.apiVersion = server.APIVersion
	if v := getenv("STRIPE_EMULATOR_API_VERSION"); v != "" {
		cfg.apiVersion = v
	}
	if v := getenv("STRIPE_EMULATOR_MAX_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("STRIPE_EMULATOR_MAX_ACCOUNTS: %v", err)
		}
		cfg.maxAccounts = n
	}
	idemBytes, eventsBytes := byteSize{&cfg.idemMaxBytes}, byteSize{&cfg.eventsMaxBytes}
	for _, b := range []struct {
		env string
		v   byteSize
	}{{"STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES", idemBytes}, {"STRIPE_EMULATOR_EVENTS_MAX_BYTES", eventsBytes}} {
		if v := getenv(b.env); v != "" {
			if err := b.v.Set(v); err != nil {
				return cfg, fmt.Errorf("%s: %v", b.env, err)
			}
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = usage(fs)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "address to listen on, host:port (port 0 picks a free one); env STRIPE_EMULATOR_ADDR")
	fs.StringVar(&cfg.logFormat, "log-format", cfg.logFormat, "log format: text or json; env STRIPE_EMULATOR_LOG_FORMAT")
	fs.StringVar(&level, "log-level", level, "log level: debug, info, warn or error; env STRIPE_EMULATOR_LOG_LEVEL")
	fs.BoolVar(&cfg.logRequests, "log-requests", cfg.logRequests, "log one line per request; env STRIPE_EMULATOR_LOG_REQUESTS")
	fs.StringVar(&cfg.webhookURL, "webhook-url", cfg.webhookURL, "forward every event of every account to this URL, signed (like stripe listen --forward-to); env STRIPE_EMULATOR_WEBHOOK_URL")
	fs.StringVar(&cfg.webhookSecret, "webhook-secret", cfg.webhookSecret, "the whsec_ secret -webhook-url deliveries are signed with (default: generated and printed at start; one given is never printed); env STRIPE_EMULATOR_WEBHOOK_SECRET")
	fs.StringVar(&cfg.pprofAddr, "pprof-addr", "", "serve Go's profiler (net/http/pprof) on this address, for performance work")
	fixturesFlag := false
	fs.Func("fixtures", "load this fixtures file (Stripe CLI format) at start; repeatable; env STRIPE_EMULATOR_FIXTURES (a comma- or "+string(filepath.ListSeparator)+"-separated list)", func(v string) error {
		if !fixturesFlag { // flags replace the environment's list
			cfg.fixtures, fixturesFlag = nil, true
		}
		if v == "" {
			return errors.New("empty file name")
		}
		cfg.fixtures = append(cfg.fixtures, v)
		return nil
	})
	fs.StringVar(&cfg.fixturesKey, "fixtures-key", cfg.fixturesKey, "the secret key of the account -fixtures files are loaded into; env STRIPE_EMULATOR_FIXTURES_KEY")
	fs.StringVar(&cfg.stateFile, "state-file", cfg.stateFile, "keep state across restarts in this file: loaded at start, saved every -state-interval and on shutdown; env STRIPE_EMULATOR_STATE_FILE")
	fs.DurationVar(&cfg.stateInterval, "state-interval", cfg.stateInterval, "how often -state-file is saved while running (0: only on shutdown); env STRIPE_EMULATOR_STATE_INTERVAL")
	cfg.serve.register(fs)
	fs.BoolVar(&cfg.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&cfg.apiVersion, "api-version", cfg.apiVersion, "the default Stripe API version: what a request without a Stripe-Version header is served at on an account whose default is not set yet ("+apiversion.Version(0).String()+" … "+apiversion.Latest.String()+"); env STRIPE_EMULATOR_API_VERSION")
	fs.IntVar(&cfg.maxAccounts, "max-accounts", cfg.maxAccounts, "the most accounts (secret keys) the emulator keeps; a new key past it gets a 403 (0: no bound); env STRIPE_EMULATOR_MAX_ACCOUNTS")
	fs.Var(idemBytes, "idempotency-max-bytes", "memory the idempotency keys of every account may hold together, in bytes or with KiB, MiB or GiB; past it the accounts holding the most forget their oldest keys; env STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES")
	fs.Var(eventsBytes, "events-max-bytes", "memory the event logs and meter error reports of every account may hold together, in bytes or with KiB, MiB or GiB; past it the accounts holding the most drop their oldest; env STRIPE_EMULATOR_EVENTS_MAX_BYTES")
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
	if cfg.maxAccounts < 0 {
		return cfg, fmt.Errorf("-max-accounts must not be negative, not %d", cfg.maxAccounts)
	}
	if cfg.stateInterval < 0 {
		return cfg, fmt.Errorf("-state-interval must not be negative, not %v", cfg.stateInterval)
	}
	if _, ok := apiversion.Parse(cfg.apiVersion); !ok {
		return cfg, fmt.Errorf("-api-version must be a Stripe API version the emulator serves, %s … %s, not %q", apiversion.Version(0), apiversion.Latest, cfg.apiVersion)
	}
	if !validTestKey(cfg.fixturesKey) {
		return cfg, fmt.Errorf("-fixtures-key must be a test mode secret key (sk_test_ followed by letters, digits, _ or -), not %q", cfg.fixturesKey)
	}
	if err := cfg.serve.resolve(cfg.addr); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// splitFileList splits STRIPE_EMULATOR_FIXTURES: file names separated by commas
// or by the path list separator (":" on Unix, ";" on Windows).
func splitFileList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		for _, f := range filepath.SplitList(part) {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// validTestKey tells whether k looks like a test mode secret key (the emulator
// checks it fully on the first request).
func validTestKey(k string) bool {
	rest, ok := strings.CutPrefix(k, "sk_test_")
	if !ok {
		rest, ok = strings.CutPrefix(k, "rk_test_")
	}
	if !ok || rest == "" || len(k) > 255 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// byteSize is a flag.Value of bytes: a positive integer, optionally followed
// by KiB, MiB or GiB.
type byteSize struct{ n *int64 }

func (b byteSize) String() string {
	if b.n == nil {
		return ""
	}
	return strconv.FormatInt(*b.n, 10)
}

func (b byteSize) Set(v string) error {
	num, mult := v, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(v, u.suffix); ok {
			num, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return fmt.Errorf("%q is not a size in bytes (a positive number, optionally with KiB, MiB or GiB)", v)
	}
	*b.n = n * mult
	return nil
}
