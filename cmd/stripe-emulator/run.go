package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/fixtures"
	"github.com/stripe-emulator/stripe-emulator/server"
)

// run is the whole program; main only exits with its result. It serves until ctx
// is done (main cancels it on SIGINT or SIGTERM), then shuts down gracefully.
// ready, when not nil, receives the address once the emulator listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(args[1:], getenv, stdout, stderr)
	}
	helpOut := stderr
	if len(args) == 1 && args[0] == "help" {
		args, helpOut = []string{"-h"}, stdout
	}
	cfg, err := parseConfig("stripe-emulator", args, getenv, helpOut)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "stripe-emulator:", err)
		return 2
	}
	if cfg.showVersion {
		fmt.Fprintln(stdout, version())
		return 0
	}
	logOut := newLogWriter(stderr)
	defer logOut.Close()
	logger := newLogger(cfg, logOut)

	opts := server.Options{Logger: logger, MaxAccounts: cfg.maxAccounts, IdempotencyMaxTotalBytes: cfg.idemMaxBytes, EventsMaxTotalBytes: cfg.eventsMaxBytes, APIVersion: cfg.apiVersion}
	secretGenerated := false
	if cfg.maxAccounts == 0 {
		opts.MaxAccounts = -1 // no bound
	}
	if cfg.webhookURL != "" {
		if cfg.webhookSecret == "" {
			cfg.webhookSecret, secretGenerated = "whsec_"+server.RandomSecret(), true
		}
		opts.Webhooks.ForwardURL, opts.Webhooks.ForwardSecret = cfg.webhookURL, cfg.webhookSecret
	}
	if !cfg.logRequests {
		opts.RequestLogger = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(opts)
	if err != nil {
		logger.Error("starting", "error", err.Error())
		return 1
	}
	defer srv.Close()
	stateLoaded := false
	if cfg.stateFile != "" {
		// A save the last run did not finish left its temporary file.
		removed, err := server.RemoveOrphanedTempFiles(cfg.stateFile)
		for _, f := range removed {
			logger.Info("removed the temporary file of an interrupted save", "file", f)
		}
		if err != nil {
			logger.Warn("looking for temporary files of interrupted saves", "error", err.Error())
		}
		// Loaded before anything else, and written back at once: a file that
		// cannot be read or a place that cannot be written stops the emulator
		// now rather than losing data later.
		info, err := srv.LoadStateFile(cfg.stateFile)
		if err != nil {
			logger.Error("loading the state file failed; not starting", "error", err.Error())
			return 1
		}
		if info.Found {
			stateLoaded = true
			logger.Info("state loaded", "file", cfg.stateFile, "saved_at", info.SavedAt.UTC().Format(time.RFC3339),
				"accounts", info.Accounts, "objects", info.Objects, "events", info.Events, "meter_events", info.MeterEvents)
		} else {
			logger.Info("no state file yet: starting empty", "file", cfg.stateFile)
		}
		if _, err := srv.SaveStateFile(cfg.stateFile); err != nil {
			logger.Error("the state file cannot be written; not starting", "error", err.Error())
			return 1
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		logger.Error("listening", "addr", cfg.addr, "error", err.Error())
		return 1
	}
	addr := ln.Addr().String()
	defer ln.Close()
	var tlsLn *httpsListener
	if cfg.serve.httpsAddr != "" {
		if tlsLn, err = listenTLS(cfg.serve, time.Now()); err != nil {
			logger.Error("HTTPS; not starting", "error", err.Error())
			return 1
		}
		defer tlsLn.ln.Close()
	}
	if len(cfg.fixtures) > 0 && stateLoaded {
		logger.Info("state loaded from the state file: fixtures not loaded again", "fixtures", strings.Join(cfg.fixtures, ","))
	} else if len(cfg.fixtures) > 0 {
		// Loaded before serving: a client never sees half an account, and a
		// file that fails stops the emulator.
		if err := loadFixtureFiles(ctx, srv, cfg, requestHost(addr), getenv, logger); err != nil {
			logger.Error("loading fixtures failed; not starting", "error", err.Error())
			return 1
		}
	}
	if cfg.pprofAddr != "" {
		runtime.SetMutexProfileFraction(100)
		runtime.SetBlockProfileRate(100_000) // a sample per 100 µs blocked
		go func() {
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("/debug/pprof/heap", pprof.Index)
			if err := http.ListenAndServe(cfg.pprofAddr, mux); err != nil {
				logger.Error("pprof", "error", err.Error())
			}
		}()
	}
	servers := newServers(srv, logger)
	servers.serveHTTP(cfg.serve.frontEnd, ln)
	listening := []any{"addr", addr, "url", "http://" + requestHost(addr), "api_version", cfg.apiVersion, "http", cfg.serve.frontEnd}
	if len(cfg.fixtures) > 0 {
		listening = append(listening, "fixtures_key", cfg.fixturesKey)
	}
	logger.Info("stripe-emulator listening", listening...)
	warnIfExposed(logger, ln)
	if tlsLn != nil {
		servers.serveHTTPS(tlsLn.ln, tlsLn.cert)
		logger.Info("serving HTTPS", tlsLn.logAttrs()...)
		warnIfExposed(logger, tlsLn.ln)
	}
	if cfg.webhookURL != "" {
		forwarding := []any{"webhook_url", cfg.webhookURL}
		if secretGenerated { // one given by flag or environment is the user's to know, not the log's
			forwarding = append(forwarding, "webhook_secret", cfg.webhookSecret)
		}
		logger.Info("forwarding every event", forwarding...)
	}
	stopSaver := make(chan struct{})
	saverDone := make(chan struct{})
	go func() {
		defer close(saverDone)
		if cfg.stateFile == "" || cfg.stateInterval == 0 {
			return
		}
		t := time.NewTicker(cfg.stateInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// Skipped when nothing changed since the last save.
				if _, _, err := srv.SaveStateFileIfChanged(cfg.stateFile); err != nil {
					logger.Error("saving the state file (the previous one is intact; trying again later)", "error", err.Error())
				}
			case <-stopSaver:
				return
			}
		}
	}()
	logOut.Flush()
	if ready != nil {
		ready <- addr
	}

	select {
	case err := <-servers.errs:
		logger.Error("serving", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "grace", shutdownGrace.String())
	code := 0
	if !servers.shutdown(shutdownGrace, handlerWait) {
		code = 1
	}
	close(stopSaver)
	<-saverDone
	if cfg.stateFile != "" {
		srv.Close() // nothing runs any more: the last save is exact
		info, err := srv.SaveStateFile(cfg.stateFile)
		if err != nil {
			logger.Error("saving the state file", "error", err.Error())
			return 1
		}
		logger.Info("state saved", "file", cfg.stateFile, "accounts", info.Accounts, "objects", info.Objects, "bytes", info.Bytes)
	}
	if code == 0 {
		logger.Info("stopped")
	}
	return code
}

// loadFixtureFiles loads the -fixtures files, in order, into the account of
// -fixtures-key, and logs every entry's name and id and each file's env section.
func loadFixtureFiles(ctx context.Context, srv *server.Server, cfg config, host string, getenv func(string) string, logger *slog.Logger) error {
	env := fixtureEnv(getenv)
	for _, file := range cfg.fixtures {
		data, err := os.ReadFile(file)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("fixtures file %s: %w", file, err)
		}
		res, err := srv.LoadFixtures(ctx, data, server.FixtureOptions{Key: cfg.fixturesKey, File: file, Env: env, Host: host})
		if err != nil {
			return err
		}
		for _, e := range res.Entries {
			attrs := []any{"file", file, "name", e.Name, "request", e.Method + " " + e.Path, "status", e.Status}
			if e.ID != "" {
				attrs = append(attrs, "id", e.ID)
			}
			logger.Info("fixture loaded", attrs...)
		}
		attrs := []any{"file", file, "key", cfg.fixturesKey, "entries", len(res.Entries)}
		if len(res.Env) > 0 {
			vars := make([]any, 0, 2*len(res.Env))
			for _, v := range res.Env {
				vars = append(vars, v.Name, v.Value)
			}
			attrs = append(attrs, slog.Group("env", vars...))
		}
		logger.Info("fixtures loaded", attrs...)
	}
	return nil
}

// fixtureEnv is where ${.env:VAR} references look, as with the Stripe CLI: the
// environment, then a .env file in the working directory.
func fixtureEnv(getenv func(string) string) func(string) (string, bool) {
	var once sync.Once
	var dotenv map[string]string
	return func(name string) (string, bool) {
		if v := getenv(name); v != "" {
			return v, true
		}
		once.Do(func() {
			if data, err := os.ReadFile(".env"); err == nil {
				dotenv = fixtures.ParseDotenv(data)
			}
		})
		v := dotenv[name]
		return v, v != ""
	}
}

// requestHost is the Host of in-process requests: the listening address, with
// an unspecified host (0.0.0.0, ::) replaced by the loopback address.
func requestHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(newTextHandler(w, opts))
}

// logWriter buffers log lines and writes them out every 100 ms (and on Flush and
// Close), so that a line per request costs no system call on the request path.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogWriter(out io.Writer) *logWriter {
	w := &logWriter{buf: bufio.NewWriterSize(out, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				w.Flush()
			case <-w.stop:
				return
			}
		}
	}()
	return w
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes out what is buffered.
func (w *logWriter) Flush() {
	w.mu.Lock()
	_ = w.buf.Flush()
	w.mu.Unlock()
}

// Close stops the flusher and flushes.
func (w *logWriter) Close() {
	close(w.stop)
	<-w.done
	w.Flush()
}
