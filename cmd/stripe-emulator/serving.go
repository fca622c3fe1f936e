package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/h1"
)

// The limits on a connection: its request header once begun, the rest of a
// body once its header is read, writing a response, and the wait for its
// next request. A stop waits shutdownGrace for the requests in flight, then
// closes the connections still busy and waits at most handlerWait for their
// handlers: a client stalled mid-body or not reading its responses cannot
// hold the final save past Docker's 10 s stop timeout.
const (
	readHeaderTimeout = 10 * time.Second
	bodyTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownGrace     = 5 * time.Second
	handlerWait       = 5 * time.Second
)

// defaultHTTPSPort is stripe-mock's HTTPS port; -https-addr default takes it.
const defaultHTTPSPort = "12112"

// serveConfig is how the emulator serves: its HTTP front end, and HTTPS.
type serveConfig struct {
	// frontEnd is "fast" (internal/h1, which hands every connection it does
	// not serve to net/http) or "std" (net/http alone).
	frontEnd string
	// httpsAddr, when set, serves HTTPS (HTTP/2 and HTTP/1.1) there too,
	// with the certificate and key in tlsCert and tlsKey, or a self-signed
	// certificate made at start.
	httpsAddr, tlsCert, tlsKey string
}

func serveConfigFromEnv(getenv func(string) string) serveConfig {
	c := serveConfig{frontEnd: "fast"}
	if v := getenv("STRIPE_EMULATOR_HTTP"); v != "" {
		c.frontEnd = v
	}
	c.httpsAddr = getenv("STRIPE_EMULATOR_HTTPS_ADDR")
	c.tlsCert = getenv("STRIPE_EMULATOR_TLS_CERT")
	c.tlsKey = getenv("STRIPE_EMULATOR_TLS_KEY")
	return c
}

// register adds the serving flags to fs, the environment's values as defaults.
func (c *serveConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.frontEnd, "http", c.frontEnd, "the HTTP front end: fast (internal/h1, handing anything unusual to net/http) or std (net/http alone); env STRIPE_EMULATOR_HTTP")
	fs.StringVar(&c.httpsAddr, "https-addr", c.httpsAddr, "also serve HTTPS with HTTP/2, like stripe-mock, on this address, host:port; \"default\" is the -addr host on port "+defaultHTTPSPort+" (127.0.0.1:"+defaultHTTPSPort+"); off unless set; env STRIPE_EMULATOR_HTTPS_ADDR")
	fs.StringVar(&c.tlsCert, "tls-cert", c.tlsCert, "the HTTPS certificate, a PEM file (default: a self-signed one made at start); env STRIPE_EMULATOR_TLS_CERT")
	fs.StringVar(&c.tlsKey, "tls-key", c.tlsKey, "the private key of -tls-cert, a PEM file; env STRIPE_EMULATOR_TLS_KEY")
}

// resolve checks the settings once parsed and turns -https-addr default into
// an address: the host of addr (the -addr) on port 12112.
func (c *serveConfig) resolve(addr string) error {
	if c.frontEnd != "fast" && c.frontEnd != "std" {
		return fmt.Errorf("-http must be fast or std, not %q", c.frontEnd)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	if c.tlsCert != "" && c.httpsAddr == "" {
		return errors.New("-tls-cert and -tls-key are for HTTPS: set -https-addr too")
	}
	if c.httpsAddr == "default" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("-https-addr default takes the host of -addr %q: %v", addr, err)
		}
		c.httpsAddr = net.JoinHostPort(host, defaultHTTPSPort)
	}
	return nil
}

// servers are the emulator's HTTP front end and, with -https-addr, its HTTPS
// server, all serving one handler.
type servers struct {
	handler *inFlight
	log     *slog.Logger
	running []stopper
	// errs receives the error of a server that stopped by itself.
	errs chan error
}

// stopper is a running server: *h1.Server and *http.Server.
type stopper interface {
	Shutdown(context.Context) error
	Close() error
}

func newServers(h http.Handler, logger *slog.Logger) *servers {
	return &servers{handler: &inFlight{h: h}, log: logger, errs: make(chan error, 2)}
}

// netHTTP is a net/http server of the handler, with the emulator's limits.
func (s *servers) netHTTP() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout + bodyTimeout, // net/http's counts the header too
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// serveHTTP serves plain HTTP on ln through the front end frontEnd.
func (s *servers) serveHTTP(frontEnd string, ln net.Listener) {
	std := s.netHTTP()
	if frontEnd == "std" {
		s.start(std, func() error { return std.Serve(ln) })
		return
	}
	// The lean HTTP/1.1 front end serves what SDKs send and hands any other
	// connection to std.
	front := &h1.Server{
		Handler:           s.handler,
		Fallback:          std,
		ReadHeaderTimeout: readHeaderTimeout,
		BodyTimeout:       bodyTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		Log:               s.log,
	}
	s.start(front, func() error { return front.Serve(ln) })
}

// serveHTTPS serves HTTPS on ln with cert: net/http, HTTP/2 and HTTP/1.1.
func (s *servers) serveHTTPS(ln net.Listener, cert tls.Certificate) {
	srv := s.netHTTP()
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.start(srv, func() error { return srv.ServeTLS(ln, "", "") }) // ServeTLS adds h2 to the offered protocols
}

func (s *servers) start(st stopper, serve func() error) {
	s.running = append(s.running, st)
	go func() {
		if err := serve(); !errors.Is(err, http.ErrServerClosed) {
			s.errs <- err
		}
	}()
}

// shutdown stops every server: no new connection, idle ones closed, the
// requests in flight given grace to finish; then the connections still busy
// (a client stalled mid-body, or not reading its responses) are closed, and
// it waits at most wait for their handlers to return. It returns false if a
// server failed to stop or a handler is still running.
func (s *servers) shutdown(grace, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	errs := make(chan error, len(s.running))
	for _, st := range s.running {
		go func() { errs <- st.Shutdown(ctx) }()
	}
	ok, stalled := true, false
	for range s.running {
		switch err := <-errs; {
		case errors.Is(err, context.DeadlineExceeded):
			stalled = true
		case err != nil:
			s.log.Error("shutting down", "error", err.Error())
			ok, stalled = false, true
		}
	}
	if stalled {
		s.log.Warn("connections still busy after the grace period: closing them", "grace", grace.String())
		for _, st := range s.running {
			if err := st.Close(); err != nil {
				s.log.Error("closing connections", "error", err.Error())
			}
		}
	}
	if !s.handler.wait(wait) {
		s.log.Error("requests still being handled after their connections closed", "waited", wait.String())
		return false
	}
	return ok
}

// inFlight is the handler every server runs: it counts the requests being
// handled, whichever server took them, so that a stop can wait for the last
// one before the final save.
type inFlight struct {
	h http.Handler
	n atomic.Int64
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.n.Add(1)
	defer f.n.Add(-1)
	f.h.ServeHTTP(w, r)
}

// wait waits until no request is being handled, at most d; false if some still are.
func (f *inFlight) wait(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for f.n.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// warnIfExposed logs a warning when ln listens beyond this machine: on an
// address other than a loopback one (0.0.0.0 and :: included).
func warnIfExposed(logger *slog.Logger, ln net.Listener) {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return
	}
	logger.Warn("listening beyond this machine: anyone who reaches this address can use the API with any sk_test_ key, and can register webhook endpoints that make the emulator send requests to any URL it reaches. "+
		"Listen on 127.0.0.1, or in a container publish the port on 127.0.0.1 only (docker run -p 127.0.0.1:12111:12111)", "addr", ln.Addr().String())
}
