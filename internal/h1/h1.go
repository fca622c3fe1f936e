// Package h1 is a lean HTTP/1.1 front end for an http.Handler, for the
// emulator's hot paths. It serves the plain requests every SDK sends
// (HTTP/1.1, an origin-form target, well-formed headers, a Content-Length
// body or none) itself, and hands every other connection, before reading any
// of the request it cannot serve, to a net/http server: chunked bodies,
// Expect: 100-continue, HTTP/1.0, upgrades, oversized or malformed headers all
// get exactly net/http's behaviour.
//
// What it saves over net/http for each request: the goroutine and extra read
// net/http starts to watch for a closed connection, the request's cancelable
// context, most header allocations (one string holds the whole header block)
// and the layered response writer (a response is one buffer and one write).
//
// The handler sees an ordinary *http.Request whose Context is
// context.Background(), and an http.ResponseWriter that buffers the response
// (it is not an http.Flusher or http.Hijacker). Neither may be kept after the
// handler returns: the Request, its URL and its Header map serve the
// connection's next request.
//
// Where a response differs from net/http's: every body goes with its
// Content-Length (net/http sends one over 2 KB chunked), so a HEAD response
// of a body over 2 KB says its length, and trailers are not sent.
package h1

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves HTTP/1.1 on a listener, passing what it does not serve to Fallback.
type Server struct {
	// Handler answers every request served here.
	Handler http.Handler
	// Fallback serves the connections handed off (its Handler should be the
	// same). Its Serve runs inside Serve; Shutdown shuts it down too.
	Fallback *http.Server
	// ReadHeaderTimeout bounds the time to read a request's header once its
	// first byte arrived, and, as net/http's, a new connection's wait for its
	// first request (a header handed to Fallback keeps what is left of it);
	// BodyTimeout bounds the time to read the rest of a request's body once
	// its header is read; WriteTimeout bounds each write of a response (only
	// the write: unlike net/http's, it does not count the handler's time);
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection. Zero means no limit. An idle wait or a write may run a
	// sixteenth of its timeout, at most 1 s, over it, never short of it.
	ReadHeaderTimeout time.Duration
	BodyTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// Log, when set, receives panics in the handler and failures to accept.
	Log *slog.Logger

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*conn]struct{}
	handoff  *handoffListener
	closing  atomic.Bool
	inFlight sync.WaitGroup
}

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = http.ErrServerClosed

// Serve accepts connections on ln until Shutdown, serving each on its own
// goroutine. A Server serves one listener, once. It returns ErrServerClosed after Shutdown, or the error that
// stopped it.
func (s *Server) Serve(ln net.Listener) error {
	if s.Handler == nil || s.Fallback == nil {
		return errors.New("h1: the server needs a Handler and a Fallback")
	}
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.ln != nil {
		s.mu.Unlock()
		return errors.New("h1: Serve runs once")
	}
	s.ln = ln
	s.conns = make(map[*conn]struct{})
	s.handoff = newHandoffListener(ln.Addr())
	s.mu.Unlock()

	fallbackDone := make(chan error, 1)
	go func() { fallbackDone <- s.Fallback.Serve(s.handoff) }()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				s.handoff.Close() // Fallback.Shutdown still waits for its connections
				<-fallbackDone
				return ErrServerClosed
			}
			// Transient, as net/http treats it: a timeout, or too many open files.
			var temp interface{ Temporary() bool }
			if errors.As(err, &temp) && temp.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logError("accepting a connection; retrying", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			s.handoff.Close()
			<-fallbackDone
			return err
		}
		delay = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

func (s *Server) newConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // net/http's default too
	}
	c := &conn{s: s, nc: nc, r: bufio.NewReaderSize(nc, readBufferSize)}
	s.conns[c] = struct{}{}
	s.inFlight.Add(1)
	return c
}

// forget is called by a connection as it ends; handedOff connections now belong to Fallback.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.inFlight.Done()
}

// Shutdown stops accepting, closes idle connections, lets each busy one finish
// the request it is serving, and shuts Fallback down alongside. It returns
// ctx's error if ctx ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	ln, conns := s.stop()
	if ln == nil {
		if s.Fallback == nil {
			return nil
		}
		return s.Fallback.Shutdown(ctx)
	}
	lnErr := ln.Close()
	for _, c := range conns {
		c.wakeIfIdle()
	}
	// Fallback shuts down alongside: its idle connections close now too.
	fallbackErr := make(chan error, 1)
	go func() { fallbackErr <- s.Fallback.Shutdown(ctx) }()
	done := make(chan struct{})
	go func() { s.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := <-fallbackErr; err != nil {
		return err
	}
	if lnErr != nil && !errors.Is(lnErr, net.ErrClosed) {
		return lnErr
	}
	return nil
}

// Close closes the listener and every connection at once, busy or idle, and
// Fallback with them (as http.Server.Close does): a handler still running
// sees its reads and writes fail. It is for after a Shutdown that gave up.
func (s *Server) Close() error {
	ln, conns := s.stop()
	var lnErr error
	if ln != nil {
		lnErr = ln.Close()
	}
	for _, c := range conns {
		_ = c.nc.Close() // its goroutine sees the error and ends
	}
	var fallbackErr error
	if s.Fallback != nil {
		fallbackErr = s.Fallback.Close()
	}
	if lnErr != nil && !errors.Is(lnErr, net.ErrClosed) {
		return lnErr
	}
	return fallbackErr
}

// stop marks the server closing (no connection is taken on from now) and
// returns its listener (nil before Serve) and the connections it serves.
func (s *Server) stop() (net.Listener, []*conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return s.ln, conns
}

func (s *Server) logError(msg string, err error, args ...any) {
	if s.Log != nil {
		s.Log.Error(msg, append([]any{"error", err.Error()}, args...)...)
	}
}
