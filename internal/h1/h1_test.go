package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echo answers with what it saw of the request, and has paths that exercise
// the response writer.
func echo(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Path {
	case "/unread":
		return // the body is not read: the server reads past it, or closes
	case "/unreadclose":
		h.Set("Connection", "x-a, close")
		return
	case "/declared204":
		h.Set("Content-Length", "5")
		w.WriteHeader(http.StatusNoContent)
		return
	case "/twoconnection":
		h["Connection"] = []string{"x-a", "close"}
		_, _ = io.WriteString(w, "two")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
		if n, err := w.Write(nil); n != 0 || err != nil {
			panic(fmt.Sprintf("an empty write after 204: %d, %v", n, err))
		}
		return
	case "/notmodified":
		h.Set("ETag", `"x"`)
		h.Set("Content-Type", "text/plain") // not sent with a 304
		w.WriteHeader(http.StatusNotModified)
		_, err := w.Write([]byte("not allowed"))
		if !errors.Is(err, http.ErrBodyNotAllowed) {
			panic(fmt.Sprintf("a body after 304: %v", err))
		}
		return
	case "/sniff":
		_, _ = w.Write([]byte("<html><body>sniffed</body></html>"))
		return
	case "/declared":
		h.Set("Content-Length", "5")
		_, _ = w.Write([]byte("12345"))
		if _, err := w.Write([]byte("6")); !errors.Is(err, http.ErrContentLength) {
			panic(fmt.Sprintf("a byte past Content-Length: %v", err))
		}
		return
	case "/keepalive":
		h.Set("Connection", "keep-alive")
		_, _ = w.Write([]byte("kept"))
		return
	case "/capitalclose":
		h.Set("Connection", "Close") // not "close": net/http keeps the connection
		_, _ = w.Write([]byte("kept"))
		return
	case "/closetoken":
		h.Set("Connection", "x-a, close")
		_, _ = w.Write([]byte("kept"))
		return
	case "/emptyencoding":
		h.Set("Content-Encoding", "")
		_, _ = w.Write([]byte("<html>sniffed</html>"))
		return
	case "/interim":
		h.Set("Content-Length", "7") // not sent with the 103
		h.Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		h.Del("Link")
		h.Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("created"))
		return
	case "/frozen":
		h.Set("Content-Type", "text/plain")
		h.Set("X-Before", "1")
		w.WriteHeader(http.StatusAccepted)
		h.Set("X-After", "1") // not sent: the header froze at WriteHeader
		_, _ = w.Write([]byte("frozen"))
		return
	case "/close":
		h.Set("Connection", "close")
		h.Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("bye"))
		return
	case "/nodate":
		h["Date"] = nil
		h.Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("no date"))
		return
	case "/multi":
		h.Add("X-Multi", "a")
		h.Add("X-Multi", "b\r\nInjected: yes")
		h.Set("Bad Name", "dropped")
		h.Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "one ")
		_, _ = io.WriteString(w, "two")
		return
	}
	headers := map[string][]string{}
	for k, v := range r.Header {
		headers[k] = v
	}
	seen := map[string]any{
		"method": r.Method, "path": r.URL.Path, "raw_path": r.URL.RawPath, "raw_query": r.URL.RawQuery,
		"force_query": r.URL.ForceQuery, "request_uri": r.RequestURI, "host": r.Host, "proto": r.Proto,
		"major": r.ProtoMajor, "minor": r.ProtoMinor, "close": r.Close, "content_length": r.ContentLength,
		"body": string(body), "header": headers, "remote": r.RemoteAddr != "", "tls": r.TLS != nil,
		"no_body": r.Body == http.NoBody,
	}
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", "req_1")
	_ = json.NewEncoder(w).Encode(seen)
}

// pair is the same handler behind this server and behind net/http alone.
type pair struct {
	h1, std  string
	handoffs atomic.Int64
	srv      *Server
}

func newPair(t testing.TB, handler http.Handler) *pair {
	t.Helper()
	p := &pair{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.srv = &Server{
		Handler: handler,
		Fallback: &http.Server{Handler: handler, ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				p.handoffs.Add(1)
			}
		}},
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- p.srv.Serve(ln) }()
	stdLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	std := &http.Server{Handler: handler}
	go func() { _ = std.Serve(stdLn) }()
	p.h1, p.std = ln.Addr().String(), stdLn.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
		_ = std.Shutdown(ctx)
	})
	return p
}

// exchange writes raw on a new connection, half-closes it, and reads every
// response until the server closes. It returns the responses (their bodies
// read) and how the reading ended.
func exchange(t testing.TB, addr, raw string) ([]*http.Response, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return nil, err
	}
	_ = c.(*net.TCPConn).CloseWrite()
	br := bufio.NewReaderSize(c, 64<<10)
	methods := requestMethods(raw)
	var out []*http.Response
	for {
		if _, err := br.Peek(1); err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		var rq *http.Request // a HEAD response has no body to read
		if n := len(out); n < len(methods) {
			rq = &http.Request{Method: methods[n]}
		}
		conn := rawConnection(br) // ReadResponse drops a Connection header that says close
		resp, err := http.ReadResponse(br, rq)
		if err != nil {
			return out, err
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return out, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.Header["X-Raw-Connection"] = conn
		out = append(out, resp)
	}
}

// rawConnection is the Connection header lines of the response head at the
// front of br, as sent.
func rawConnection(br *bufio.Reader) []string {
	var head []byte
	for n := 64; n <= br.Size(); n *= 2 {
		b, err := br.Peek(n)
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			head = b[:i]
			break
		}
		if err != nil {
			head = b
			break
		}
	}
	var lines []string
	for line := range strings.SplitSeq(string(head), "\r\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Connection") {
			lines = append(lines, strings.TrimSpace(value))
		}
	}
	return lines
}

// requestMethods are the methods of the requests in raw, as far as net/http
// can read them.
func requestMethods(raw string) []string {
	br := bufio.NewReader(strings.NewReader(raw))
	var methods []string
	for {
		rq, err := http.ReadRequest(br)
		if err != nil {
			return methods
		}
		methods = append(methods, rq.Method)
		if _, err := io.Copy(io.Discard, rq.Body); err != nil {
			return methods
		}
	}
}

// describe is a response as the comparison sees it: everything but Date, and
// its framing as a length (net/http sends a long body chunked; this server
// buffers every body and sends its length). A long body is shown by its size
// and a digest.
func describe(resps []*http.Response) []string {
	var out []string
	for _, r := range resps {
		h := r.Header.Clone()
		_, date := h["Date"]
		h.Del("Date")
		h.Del("Content-Length") // compared as length below
		var lines []string
		for k, v := range h {
			lines = append(lines, k+": "+strings.Join(v, " | "))
		}
		slices.Sort(lines)
		b, _ := io.ReadAll(r.Body)
		length := r.ContentLength
		if slices.Contains(r.TransferEncoding, "chunked") {
			length = int64(len(b))
		}
		shown := string(b)
		if len(shown) > 300 {
			shown = fmt.Sprintf("%s... (%d bytes, sha256 %x)", shown[:200], len(b), sha256.Sum256(b))
		}
		out = append(out, fmt.Sprintf("%s close=%v length=%d date=%v\n%s\n\n%s", r.Status, r.Close, length, date, strings.Join(lines, "\n"), shown))
	}
	return out
}

func req(method, target, extra, body string) string {
	s := method + " " + target + " HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: t\r\n" + extra
	if body != "" {
		s += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	return s + "\r\n" + body
}

func TestSameAsNetHTTP(t *testing.T) {
	p := newPair(t, http.HandlerFunc(echo))
	big := strings.Repeat("x", 300<<10)
	cases := []struct {
		name string
		raw  string
		// handoff: net/http serves it (the connection's first request, or a later one).
		handoff bool
	}{
		{"get", req("GET", "/v1/customers/cus_1", "", ""), false},
		{"post form", req("POST", "/v1/customers", "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Bearer sk_test_1\r\nIdempotency-Key: k\r\n", "name=A&email=a%40b.c"), false},
		{"query", req("GET", "/v1/customers?limit=3&expand[]=data.x", "", ""), false},
		{"force query", req("GET", "/v1/customers?", "", ""), false},
		{"query with odd bytes", req("GET", "/x?a=\"b\"#c", "", ""), false},
		{"escaped path", req("GET", "/v1/customers/cus%201", "", ""), false},
		{"path that keeps RawPath", req("GET", "/v1/a!b(c)'d*", "", ""), false},
		{"path with braces", req("GET", "/v1/{a}", "", ""), false},
		{"invalid escape", req("GET", "/v1/%zz", "", ""), true},
		{"pragma", req("GET", "/", "Pragma: no-cache\r\n", ""), false},
		{"pragma and cache-control", req("GET", "/", "Pragma: no-cache\r\nCache-Control: max-age=1\r\n", ""), false},
		{"repeated header", req("GET", "/", "X-A: 1\r\nx-a: 2\r\nX-A:3\r\n", ""), false},
		{"spaces around values", req("GET", "/", "X-A: \t padded \t\r\nX-Empty:\r\n", ""), false},
		{"obs-text value", req("GET", "/", "X-A: caf\xc3\xa9\r\n", ""), false},
		{"lower-case names", req("GET", "/", "content-type: text/plain\r\nx-stripe-client-user-agent: {}\r\n", ""), false},
		{"connection close", req("GET", "/", "Connection: close\r\n", ""), false},
		{"connection keep-alive", req("GET", "/", "Connection: Keep-Alive\r\n", ""), false},
		{"zero length", req("POST", "/", "Content-Length: 0\r\n", ""), false},
		{"body on a GET", req("GET", "/", "", "abc"), false},
		{"head", req("HEAD", "/", "", ""), false},
		{"head sniffed", req("HEAD", "/sniff", "", ""), false},
		{"delete", req("DELETE", "/v1/customers/cus_1", "", ""), false},
		{"custom method", req("PURGE", "/x", "", ""), false},
		{"keep-alive sequence", req("GET", "/a", "", "") + req("POST", "/b", "", "x=1") + req("GET", "/c", "Connection: close\r\n", "") + req("GET", "/never", "", ""), false},
		{"no content", req("GET", "/nocontent", "", ""), false},
		{"not modified", req("GET", "/notmodified", "", ""), false},
		{"sniffed type", req("GET", "/sniff", "", ""), false},
		{"declared length", req("GET", "/declared", "", ""), false},
		{"interim response", req("GET", "/interim", "", ""), false},
		{"header frozen at WriteHeader", req("GET", "/frozen", "", ""), false},
		{"handler closes", req("GET", "/close", "", "") + req("GET", "/never", "", ""), false},
		{"no date", req("GET", "/nodate", "", ""), false},
		{"handler's keep-alive", req("GET", "/keepalive", "", "") + req("GET", "/after", "", ""), false},
		{"handler's Close", req("GET", "/capitalclose", "", "") + req("GET", "/after", "", ""), false},
		{"handler's close token", req("GET", "/closetoken", "", "") + req("GET", "/after", "", ""), false},
		{"handler's keep-alive, client's close", req("GET", "/keepalive", "Connection: close\r\n", "") + req("GET", "/never", "", ""), false},
		{"empty content-encoding", req("GET", "/emptyencoding", "", ""), false},
		{"head with a declared length", req("HEAD", "/declared", "", "") + req("GET", "/after", "", ""), false},
		{"head of a 304", req("HEAD", "/notmodified", "", ""), false},
		{"unread body just under the limit", req("POST", "/unread", "", strings.Repeat("u", 256<<10-1)) + req("GET", "/after", "", ""), false},
		{"unread body at the limit", req("POST", "/unread", "", strings.Repeat("u", 256<<10)) + req("GET", "/after", "", ""), false},
		{"unread body, client closes", req("POST", "/unread", "Connection: close\r\n", "abc"), false},
		{"a 204 with a declared length", req("GET", "/declared204", "", "") + req("GET", "/after", "", ""), false},
		{"unread body, reading past it ends early", "POST /unread HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc", false},
		{"unread large body, handler closes", req("POST", "/unreadclose", "", big) + req("GET", "/never", "", ""), false},
		{"unread small body, handler closes", req("POST", "/unreadclose", "", "abc") + req("GET", "/never", "", ""), false},
		{"two Connection values", req("GET", "/twoconnection", "", "") + req("GET", "/after", "", ""), false},
		{"two Connection values, client closes", req("GET", "/twoconnection", "Connection: close\r\n", "") + req("GET", "/never", "", ""), false},
		{"stray CRLF after a POST", req("POST", "/p", "", "x=1") + "\r\n\r\n" + req("GET", "/after", "", ""), false},
		{"stray CRLF after a GET", req("GET", "/g", "", "") + "\r\n" + req("GET", "/after", "", ""), true},
		{"multi-valued and sanitized", req("GET", "/multi", "", ""), false},
		{"unread body read past", req("POST", "/unread", "", "abc") + req("GET", "/after", "", ""), false},
		{"unread large body closes", req("POST", "/unread", "", big) + req("GET", "/after", "", ""), false},
		{"large body read", req("POST", "/", "", big), false},
		{"ipv6 host", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", false},
		// Left to net/http:
		{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true},
		{"expect continue", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", true},
		{"http/1.0", "GET / HTTP/1.0\r\n\r\n", true},
		{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", true},
		{"http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true},
		{"absolute form", "GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"options star", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", true},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", true},
		{"odd host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", true},
		{"bad header name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", true},
		{"no colon", "GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n", true},
		{"control byte in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", true},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", true},
		{"bare LF", "GET / HTTP/1.1\nHost: h\n\n", true},
		{"empty line first", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"bad content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3x\r\n\r\nabc", true},
		{"negative content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", true},
		{"two content-lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", true},
		{"length and chunked", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
		{"upgrade", "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", true},
		{"connection option", "GET / HTTP/1.1\r\nHost: h\r\nConnection: x-custom\r\n\r\n", true},
		{"huge header", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 6000) + "\r\n\r\n", true},
		{"bad method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", true},
		{"garbage", "hello\r\n\r\n", true},
		{"served, then a request left to net/http", req("GET", "/first", "", "") + "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := p.handoffs.Load()
			got, gotErr := exchange(t, p.h1, tc.raw)
			want, wantErr := exchange(t, p.std, tc.raw)
			if gotErr != nil || wantErr != nil {
				t.Fatalf("reading: %v here, %v from net/http", gotErr, wantErr)
			}
			if len(want) == 0 {
				t.Fatalf("net/http sent nothing: a case that tests nothing")
			}
			if g, w := describe(got), describe(want); !slices.Equal(g, w) {
				t.Fatalf("responses differ\n--- here:\n%s\n--- net/http:\n%s", strings.Join(g, "\n=====\n"), strings.Join(w, "\n=====\n"))
			}
			if handedOff := p.handoffs.Load() > before; handedOff != tc.handoff {
				t.Fatalf("handed off to net/http: %v, want %v", handedOff, tc.handoff)
			}
		})
	}
}
