package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/stripe-emulator/stripe-emulator/server"
)

// run is the whole program; main only exits with its result. It serves until ctx
// is done (main cancels it on SIGINT or SIGTERM), then shuts down gracefully.
// ready, when not nil, receives the address once the emulator listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(args[1:], getenv, stdout, stderr)
	}
	cfg, err := parseConfig("stripe-emulator", args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "stripe-emulator:", err)
		return 2
	}
	logOut := newLogWriter(stderr)
	defer logOut.Close()
	logger := newLogger(cfg, logOut)

	opts := server.Options{Logger: logger}
	if cfg.webhookURL != "" {
		if cfg.webhookSecret == "" {
			cfg.webhookSecret = "whsec_" + server.RandomSecret()
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

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		logger.Error("listening", "addr", cfg.addr, "error", err.Error())
		return 1
	}
	addr := ln.Addr().String()
	if cfg.pprofAddr != "" {
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
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	logger.Info("stripe-emulator listening", "addr", addr, "url", "http://"+addr, "api_version", server.APIVersion)
	if cfg.webhookURL != "" {
		logger.Info("forwarding every event", "webhook_url", cfg.webhookURL, "webhook_secret", cfg.webhookSecret)
	}
	logOut.Flush()
	if ready != nil {
		ready <- addr
	}

	select {
	case err := <-serveErr:
		logger.Error("serving", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutting down", "error", err.Error())
		return 1
	}
	logger.Info("stopped")
	return 0
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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
