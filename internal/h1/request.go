package h1

import (
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// request is a connection's request: the http.Request, its URL and its body,
// and the header map and values behind Request.Header, all reused from one
// request to the next (the handler may keep none of them).
type request struct {
	http.Request
	url  url.URL
	body body
	// header and values are kept across requests.
	header http.Header
	values []string
}

// parse reads a request head (ending in the blank line) into rq. It returns
// false for anything it leaves to net/http: another protocol version, a target
// that is not a plain path, a malformed or unusual header (Transfer-Encoding,
// Expect, Upgrade, Connection options other than close and keep-alive, a
// repeated or odd Content-Length, a missing, repeated or unusual Host).
func (rq *request) parse(head []byte, remote string) bool {
	*rq = request{header: rq.header, values: rq.values} // the rest starts afresh
	if rq.header == nil {
		rq.header = make(http.Header, 8)
	} else {
		clear(rq.header)
	}
	s := string(head[:len(head)-2]) // one allocation holds every string of the request; each line ends "\r\n"
	eol := strings.Index(s, "\r\n")
	method, rest, ok := strings.Cut(s[:eol], " ")
	if !ok || !isToken(method) {
		return false
	}
	target, proto, ok := strings.Cut(rest, " ")
	if !ok || proto != "HTTP/1.1" || target == "" || target[0] != '/' {
		return false
	}
	if !rq.setURL(target) {
		return false
	}
	lines := s[eol+2:]
	n := strings.Count(lines, "\r\n")
	header := rq.header
	if cap(rq.values) < n {
		rq.values = make([]string, n)
	}
	values := rq.values[:n]
	var host string
	hosts, length := 0, int64(-1)
	for i := 0; lines != ""; i++ {
		var line string
		line, lines, _ = strings.Cut(lines, "\r\n")
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) { // a leading space or tab (obs-fold) is not a token either
			return false
		}
		value = strings.Trim(value, " \t")
		if !validValue(value) {
			return false
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		switch key {
		case "Host":
			hosts++
			host = value
			continue // net/http keeps it in Request.Host only
		case "Content-Length":
			if length >= 0 {
				return false
			}
			if length = parseLength(value); length < 0 {
				return false
			}
		case "Transfer-Encoding", "Expect", "Upgrade":
			return false
		case "Connection":
			for tok := range strings.SplitSeq(value, ",") {
				switch tok = strings.Trim(tok, " \t"); {
				case strings.EqualFold(tok, "close"):
					rq.Close = true
				case strings.EqualFold(tok, "keep-alive"):
				default:
					return false
				}
			}
		}
		values[i] = value
		if prev, ok := header[key]; ok {
			header[key] = append(prev, value)
		} else {
			header[key] = values[i : i+1 : i+1]
		}
	}
	if hosts != 1 || !plainHost(host) {
		return false
	}
	if p, ok := header["Pragma"]; ok && p[0] == "no-cache" { // as net/http does
		if _, ok := header["Cache-Control"]; !ok {
			header["Cache-Control"] = []string{"no-cache"}
		}
	}
	rq.Method = method
	rq.Proto, rq.ProtoMajor, rq.ProtoMinor = "HTTP/1.1", 1, 1
	rq.Header = header
	rq.Host = host
	rq.RemoteAddr = remote
	rq.RequestURI = target
	if length > 0 {
		rq.ContentLength = length
		rq.body.n = length
		rq.Body = &rq.body
	} else {
		rq.Body = http.NoBody
	}
	return true
}

// setURL sets the request's URL from an origin-form target as
// url.ParseRequestURI would: directly for a plain path (where the URL's Path is
// the target's and RawPath is empty), else through it.
func (rq *request) setURL(target string) bool {
	path, query, hasQuery := strings.Cut(target, "?")
	if plainPath(path) && printable(query) {
		rq.url.Path = path
		rq.url.RawQuery = query
		rq.url.ForceQuery = hasQuery && query == ""
		rq.URL = &rq.url
		return true
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return false
	}
	rq.URL = u
	return true
}

// body reads a request's Content-Length body from the connection.
type body struct {
	c *conn
	// n is what is left of the body; err a failed read (the connection cannot go on).
	n   int64
	err error
	// closed: the handler closed it or returned; reads fail.
	closed bool
}

func (b *body) Read(p []byte) (int, error) {
	switch {
	case b.closed:
		return 0, http.ErrBodyReadAfterClose
	case b.err != nil:
		return 0, b.err
	case b.n == 0:
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	k, err := b.c.r.Read(p)
	b.n -= int64(k)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return k, err
	}
	if b.n == 0 {
		return k, io.EOF
	}
	return k, nil
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// bodyState is what finish found of a body the handler left.
type bodyState uint8

const (
	bodyDone     bodyState = iota // read to its end: the connection can go on
	bodyTooLong                   // too much left to read past: the connection closes
	bodyBroken                    // the handler's read failed: the connection closes
	bodyCutShort                  // reading past the rest failed: the connection closes
)

// finish ends the body as the handler returns, reading past what the handler
// left of it when that is less than maxDrain (net/http's rule).
func (b *body) finish() bodyState {
	b.closed = true
	switch {
	case b.err != nil:
		return bodyBroken
	case b.n >= maxDrain:
		return bodyTooLong
	case b.n > 0:
		if _, err := b.c.r.Discard(int(b.n)); err != nil {
			b.err = err
			return bodyCutShort
		}
		b.n = 0
	}
	return bodyDone
}

// parseLength is a Content-Length value, or -1 if it is not plain digits
// (net/http decides about anything else).
func parseLength(v string) int64 {
	if v == "" || len(v) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// tokenChars are the bytes of an RFC 9110 token (method, header name).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// pathChars are the bytes url.URL keeps in a path as they are (so its RawPath is empty).
var pathChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = tokenChars[c] && !strings.ContainsRune("!#%'*^`|", rune(c))
	}
	for _, c := range "/:;=@,$&+" {
		t[c] = true
	}
	return t
}()

// hostChars are the bytes of the plain hosts served here (names, IPv4, IPv6
// in brackets, a port); net/http judges any other.
var hostChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("-._~:[]", rune(c))
	}
	return t
}()

func isToken(s string) bool { return s != "" && all(s, &tokenChars) }

func plainPath(s string) bool { return all(s, &pathChars) }

func plainHost(s string) bool { return s != "" && all(s, &hostChars) }

func all(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if !set[s[i]] {
			return false
		}
	}
	return true
}

// printable: visible ASCII only.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validValue is net/http's rule for a header value: no control bytes but tab.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
