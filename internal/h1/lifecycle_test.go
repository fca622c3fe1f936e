package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// start serves handler here (with a Fallback of the same handler) and returns
// the address and a shutdown function that reports Serve's return.
func start(t *testing.T, handler http.Handler, configure func(*Server)) (string, func(context.Context) (error, error)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: handler, Fallback: &http.Server{Handler: handler}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configure != nil {
		configure(s)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	var once sync.Once
	shutdown := func(ctx context.Context) (shutErr, serveErr error) {
		once.Do(func() {
			shutErr = s.Shutdown(ctx)
			select {
			case serveErr = <-served:
			case <-time.After(5 * time.Second):
				serveErr = errors.New("Serve did not return")
			}
		})
		return
	}
	t.Cleanup(func() { _, _ = shutdown(context.Background()) })
	return ln.Addr().String(), shutdown
}

// client is one raw keep-alive connection.
type client struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{c: c, br: bufio.NewReader(c)}
}

func (c *client) send(t *testing.T, raw string) {
	t.Helper()
	if _, err := io.WriteString(c.c, raw); err != nil {
		t.Fatal(err)
	}
}

func (c *client) read(t *testing.T) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("reading a response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// closedBy waits for the server to close the connection, within limit.
func (c *client) closedBy(t *testing.T, limit time.Duration) {
	t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(limit))
	if n, err := c.br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection is still open after %v: read %d, %v", limit, n, err)
	}
}

func TestShutdownIsGraceful(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	addr, shutdown := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		_, _ = io.WriteString(w, "done "+r.URL.Path)
	}), nil)

	idle := dial(t, addr)
	idle.send(t, req("GET", "/first", "", ""))
	if _, body := idle.read(t); body != "done /first" {
		t.Fatalf("first: %q", body)
	}
	handedIdle := dial(t, addr) // an idle connection of Fallback's
	handedIdle.send(t, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	if _, body := handedIdle.read(t); body != "done /old" {
		t.Fatalf("HTTP/1.0: %q", body)
	}
	busy := dial(t, addr)
	busy.send(t, req("GET", "/slow", "", ""))
	<-entered

	type result struct{ shut, serve error }
	done := make(chan result, 1)
	go func() {
		shut, serve := shutdown(context.Background())
		done <- result{shut, serve}
	}()
	idle.closedBy(t, 2*time.Second)
	handedIdle.closedBy(t, 2*time.Second)
	select {
	case r := <-done:
		t.Fatalf("Shutdown returned while a request was in flight: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted during shutdown")
	}
	close(release)
	resp, body := busy.read(t)
	if body != "done /slow" || !resp.Close {
		t.Fatalf("the request in flight: %q, close=%v", body, resp.Close)
	}
	busy.closedBy(t, 2*time.Second)
	select {
	case r := <-done:
		if r.shut != nil || r.serve != ErrServerClosed {
			t.Fatalf("Shutdown %v, Serve %v", r.shut, r.serve)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
}

func TestShutdownGivesUpAtTheContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{})
	addr, shutdown := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}), nil)
	busy := dial(t, addr)
	busy.send(t, req("GET", "/", "", ""))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	shut, serve := shutdown(ctx)
	if !errors.Is(shut, context.DeadlineExceeded) || serve != ErrServerClosed {
		t.Fatalf("Shutdown %v, Serve %v", shut, serve)
	}
}

func TestTimeouts(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(echo), func(s *Server) {
		s.IdleTimeout = time.Second
		s.ReadHeaderTimeout = 300 * time.Millisecond
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t, addr)
		// Requests keep the connection open past one IdleTimeout...
		for i := range 8 {
			c.send(t, req("GET", fmt.Sprintf("/%d", i), "", ""))
			c.read(t)
			time.Sleep(200 * time.Millisecond)
		}
		// ...and it closes once idle for one.
		c.closedBy(t, 3*time.Second)
	})
	t.Run("header", func(t *testing.T) {
		c := dial(t, addr)
		c.send(t, "GET / HTTP/1.1\r\nHost: h\r\n") // never finished
		c.closedBy(t, 2*time.Second)
	})
	t.Run("a slow body is not cut off", func(t *testing.T) {
		c := dial(t, addr)
		c.send(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc")
		time.Sleep(1200 * time.Millisecond) // longer than both timeouts
		c.send(t, "def")
		resp, body := c.read(t)
		if resp.StatusCode != 200 || !strings.Contains(body, `"body":"abcdef"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestHandlerPanic(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			w.Header().Set("X-Partial", "1")
			_, _ = io.WriteString(w, "partial")
			panic("boom")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		_, _ = io.WriteString(w, "ok")
	}), func(s *Server) {
		s.Log = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logged.Write(p)
		}), nil))
	})
	for _, path := range []string{"/panic", "/abort"} {
		c := dial(t, addr)
		c.send(t, req("GET", "/before", "", "")+req("GET", path, "", "")+req("GET", "/after", "", ""))
		if _, body := c.read(t); body != "ok" { // what was answered before still goes out
			t.Fatalf("%s: the earlier response: %q", path, body)
		}
		c.closedBy(t, 2*time.Second)
	}
	c := dial(t, addr)
	c.send(t, req("GET", "/", "", ""))
	if _, body := c.read(t); body != "ok" {
		t.Fatalf("after the panics: %q", body)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := logged.String(); strings.Count(got, "panic serving a request") != 1 || !strings.Contains(got, "boom") {
		t.Fatalf("log: %s", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Many clients through net/http's client, keep-alive, bodies of every size.
func TestConcurrentClients(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s %d:%s", r.Method, r.URL.Path, r.URL.RawQuery, len(b), bytes.ToUpper(b))
	}), func(s *Server) { s.IdleTimeout = time.Minute; s.ReadHeaderTimeout = time.Minute })
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 150 {
				body := strings.Repeat(string(rune('a'+g%26)), (i*97)%9000)
				var resp *http.Response
				var err error
				if i%3 == 0 {
					resp, err = cl.Get(fmt.Sprintf("http://%s/g/%d?i=%d", addr, g, i))
					body = ""
				} else {
					resp, err = cl.Post(fmt.Sprintf("http://%s/p/%d?i=%d", addr, g, i), "text/plain", strings.NewReader(body))
				}
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				method, path := "POST", "/p/"
				if i%3 == 0 {
					method, path = "GET", "/g/"
				}
				want := fmt.Sprintf("%s %s%d i=%d %d:%s", method, path, g, i, len(body), strings.ToUpper(body))
				if err != nil || string(got) != want {
					errs <- fmt.Errorf("goroutine %d request %d: %v\n got %.80q\nwant %.80q", g, i, err, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeNeedsFallback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := (&Server{Handler: http.NotFoundHandler()}).Serve(ln); err == nil {
		t.Fatal("Serve without a Fallback")
	}
}

// FuzzSameAsNetHTTP: whatever bytes a client sends, this server answers as
// net/http does (Date and framing aside), or leaves them to net/http.
func FuzzSameAsNetHTTP(f *testing.F) {
	for _, seed := range []string{
		req("GET", "/v1/customers/cus_1", "", ""),
		req("POST", "/v1/customers", "Content-Type: application/x-www-form-urlencoded\r\n", "name=A"),
		req("GET", "/a?b", "Connection: close\r\n", "") + req("GET", "/never", "", ""),
		req("POST", "/unread", "", "abc") + req("HEAD", "/sniff", "", ""),
		req("GET", "/interim", "", "") + req("GET", "/declared", "", ""),
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\n\n",
	} {
		f.Add(seed)
	}
	p := newPair(f, http.HandlerFunc(echo))
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 16<<10 {
			return
		}
		got, gotErr := exchange(t, p.h1, raw)
		want, wantErr := exchange(t, p.std, raw)
		for _, err := range []error{gotErr, wantErr} {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("%q: a server hung: here %v, net/http %v", raw, gotErr, wantErr)
			}
		}
		if gotErr != nil || wantErr != nil {
			// A connection reset (net/http closing on a bad request with bytes
			// unread) can cost either side the rest of its responses.
			return
		}
		if g, w := describe(got), describe(want); strings.Join(g, "\x00") != strings.Join(w, "\x00") {
			t.Fatalf("%q: responses differ\n--- here:\n%s\n--- net/http:\n%s", raw, strings.Join(g, "\n=====\n"), strings.Join(w, "\n=====\n"))
		}
	})
}

// A response goes out as it is answered, whatever the client sends after it:
// clients that wait for it before sending more must not hang.
func TestResponsesDoNotWaitForLaterBytes(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/401" {
			w.WriteHeader(http.StatusUnauthorized) // the body is never read
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.URL.Path, b)
	}), func(s *Server) { s.ReadHeaderTimeout = 10 * time.Second; s.IdleTimeout = 10 * time.Second })
	expect := func(t *testing.T, c *client, want string) {
		t.Helper()
		_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, body := c.read(t); body != want {
			t.Fatalf("got %q, want %q", body, want)
		}
	}
	// Each sends first, reads the answer to it, then sends second and reads
	// the answer to that.
	for _, tc := range []struct{ name, first, answer, second, then string }{
		{"the start of the next request", req("GET", "/a", "", "") + "GET /b HTTP/1.1\r\n", "/a ", "Host: h\r\n\r\n", "/b "},
		{"stray CRLF after a POST", req("POST", "/p", "", "abc") + "\r\n\r\n", "/p abc", req("GET", "/after", "", ""), "/after "},
		{"a body that follows the earlier response", req("GET", "/a", "", "") + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", "/a ", "hello", "/b hello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.send(t, tc.first)
			expect(t, c, tc.answer)
			c.send(t, tc.second)
			expect(t, c, tc.then)
		})
	}
	t.Run("an unsent body on a closing connection", func(t *testing.T) {
		c := dial(t, addr)
		c.send(t, "POST /401 HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n")
		_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if resp, _ := c.read(t); resp.StatusCode != http.StatusUnauthorized || !resp.Close {
			t.Fatalf("%d close=%v", resp.StatusCode, resp.Close)
		}
	})
}

// Without an IdleTimeout a kept-alive connection waits as long as it takes,
// whatever the ReadHeaderTimeout.
func TestNoIdleTimeout(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(echo), func(s *Server) { s.ReadHeaderTimeout = 200 * time.Millisecond })
	c := dial(t, addr)
	c.send(t, req("GET", "/1", "", ""))
	c.read(t)
	time.Sleep(600 * time.Millisecond)
	c.send(t, req("GET", "/2", "", ""))
	if resp, _ := c.read(t); resp.StatusCode != 200 {
		t.Fatalf("after an idle spell: %d", resp.StatusCode)
	}
}

// flakyListener fails Accept with a temporary error (as "too many open
// files" is) before each connection.
type flakyListener struct {
	net.Listener
	fails int
}

type temporaryError struct{}

func (temporaryError) Error() string   { return "accept4: too many open files" }
func (temporaryError) Temporary() bool { return true }
func (temporaryError) Timeout() bool   { return false }

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails < 3 {
		l.fails++
		return nil, temporaryError{}
	}
	return l.Listener.Accept()
}

func TestTemporaryAcceptErrors(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(echo), Fallback: &http.Server{Handler: http.HandlerFunc(echo)}}
	served := make(chan error, 1)
	go func() { served <- s.Serve(&flakyListener{Listener: inner}) }()
	c := dial(t, inner.Addr().String())
	c.send(t, req("GET", "/", "", ""))
	if resp, _ := c.read(t); resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
}

// If Fallback is not serving, a connection to hand off is closed, not stuck:
// net/http's Serve closes its listener (the handoff listener) as it returns.
func TestFallbackNotServing(t *testing.T) {
	fallback := &http.Server{Handler: http.HandlerFunc(echo)}
	_ = fallback.Shutdown(context.Background()) // its Serve returns at once
	addr, _ := start(t, http.HandlerFunc(echo), func(s *Server) { s.Fallback = fallback })
	c := dial(t, addr)
	c.send(t, req("GET", "/", "", "")+"GET / HTTP/1.0\r\n\r\n")
	if resp, _ := c.read(t); resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	c.closedBy(t, 2*time.Second)
}

// Shutdown closes a kept-alive connection that is partway through its next
// request header at once, as net/http does, rather than wait for the header.
func TestShutdownMidHeader(t *testing.T) {
	addr, shutdown := start(t, http.HandlerFunc(echo), func(s *Server) { s.ReadHeaderTimeout = time.Minute })
	c := dial(t, addr)
	c.send(t, req("GET", "/1", "", ""))
	c.read(t)
	c.send(t, "GET /2 HTTP/1.1\r\nHost: h\r\n") // never finished
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if shut, serve := shutdown(ctx); shut != nil || serve != ErrServerClosed {
		t.Fatalf("Shutdown %v, Serve %v: it waited for the header", shut, serve)
	}
	c.closedBy(t, time.Second)
}

// recordingListener's connections note when the server half-closes and closes them.
type recordingListener struct {
	net.Listener
	mu     sync.Mutex
	events []string
}

type recordingConn struct {
	*net.TCPConn
	l *recordingListener
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{TCPConn: c.(*net.TCPConn), l: l}, nil
}

func (l *recordingListener) note(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *recordingListener) taken() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.events
	l.events = nil
	return e
}

func (c *recordingConn) CloseWrite() error { c.l.note("closewrite"); return c.TCPConn.CloseWrite() }
func (c *recordingConn) Close() error      { c.l.note("close"); return c.TCPConn.Close() }

// A response that closes the connection with body bytes still to come
// half-closes it and waits before closing, as net/http does, so that the
// client reads the response before a reset; where net/http closes at once
// (the client said it closes, or the rest of the body was already read), so
// does this server.
func TestLingerOnUnreadBody(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &recordingListener{Listener: inner}
	s := &Server{Handler: http.HandlerFunc(echo), Fallback: &http.Server{Handler: http.HandlerFunc(echo)}}
	go func() { _ = s.Serve(rl) }()
	defer s.Shutdown(context.Background())
	addr := inner.Addr().String()
	for _, tc := range []struct {
		name, raw string
		want      []string
	}{
		{"a long body unread", "POST /unread HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n" + strings.Repeat("b", 300<<10), []string{"closewrite", "close"}},
		{"the client closes", "POST /unread HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 10000000\r\n\r\n" + strings.Repeat("b", 300<<10), []string{"close"}},
		{"the body read", req("POST", "/", "Connection: close\r\n", "abc"), []string{"close"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rl.taken()
			c := dial(t, addr)
			c.send(t, tc.raw)
			if resp, _ := c.read(t); resp.StatusCode != 200 || !resp.Close {
				t.Fatalf("%d close=%v", resp.StatusCode, resp.Close)
			}
			// Closed: EOF, or a reset where unread body bytes were left.
			_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := c.br.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the connection is still open: %v", err)
			}
			deadline := time.Now().Add(3 * time.Second)
			for {
				got := rl.taken()
				if len(got) > 0 && got[len(got)-1] == "close" {
					if !slices.Equal(got, tc.want) {
						t.Fatalf("the server did %v, want %v", got, tc.want)
					}
					return
				}
				rl.mu.Lock()
				rl.events = got
				rl.mu.Unlock()
				if time.Now().After(deadline) {
					t.Fatalf("the server did %v and never closed", got)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
