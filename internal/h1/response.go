package h1

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// response is the connection's http.ResponseWriter. It buffers the body, so
// the whole response goes out in one write with its Content-Length. As with
// net/http, the header is what it was at WriteHeader, and an interim (1xx)
// response is sent at once. Trailers are not sent (a buffered body has no
// chunked encoding to carry them).
type response struct {
	c      *conn
	req    *http.Request
	header http.Header
	// head is the status line and header lines frozen at WriteHeader, without
	// the ones finish decides (Content-Length, Date, Connection and, for a
	// 304, Content-Type).
	head   []byte
	status int
	wrote  bool
	// declared is the handler's valid Content-Length (-1: none), lengthValue
	// its text; written counts the body bytes written (a HEAD response keeps
	// them for sniffing only).
	declared    int64
	lengthValue string
	written     int64
	// haveType: the handler set Content-Type or a non-empty
	// Content-Encoding, so nothing is sniffed; haveDate: it set Date (even to
	// nothing); connection is its Connection header.
	haveType   bool
	haveDate   bool
	connection []string
	body       []byte
}

func (w *response) reset(req *http.Request) {
	w.req = req
	if w.header == nil {
		w.header = make(http.Header, 8)
	} else {
		clear(w.header)
	}
	w.head, w.body = w.head[:0], w.body[:0]
	w.status, w.wrote, w.declared, w.lengthValue, w.written = 0, false, -1, "", 0
	w.haveType, w.haveDate, w.connection = false, false, nil
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wrote {
		w.c.s.logError("superfluous WriteHeader call", fmt.Errorf("status %d after %d", code, w.status), "path", w.req.URL.Path)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code)) // as net/http
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// An interim response goes out at once, as net/http sends it.
		c := w.c
		c.out = appendStatus(c.out, code)
		c.out = w.appendHeader(c.out, func(k string) bool { return k == "Content-Length" || k == "Transfer-Encoding" })
		c.out = append(c.out, "\r\n"...)
		_ = c.flush() // a failed write fails the response's too
		return
	}
	w.wrote, w.status = true, code
	h := w.header
	if cl := h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.declared, w.lengthValue = v, cl
		} else {
			w.c.s.logError("invalid Content-Length", fmt.Errorf("%q", cl), "path", w.req.URL.Path)
		}
	}
	_, w.haveType = h["Content-Type"]
	w.haveType = w.haveType || h.Get("Content-Encoding") != ""
	_, w.haveDate = h["Date"]
	w.connection = h["Connection"]
	w.head = appendStatus(w.head, code)
	w.head = w.appendHeader(w.head, func(k string) bool {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			return true
		case "Content-Type":
			return code == http.StatusNotModified
		}
		return false
	})
}

func appendStatus(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, "\r\n"...)
}

// appendHeader appends the handler's header lines, but those skip names, in
// net/http's order and with its sanitizing.
func (w *response) appendHeader(b []byte, skip func(string) bool) []byte {
	keys := w.c.keys[:0]
	for k := range w.header {
		if !skip(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	w.c.keys = keys
	for _, k := range keys {
		if !isToken(k) {
			continue // as net/http: a header with an invalid name is not sent
		}
		for _, v := range w.header[k] {
			b = appendLine(b, k, v)
		}
	}
	return b
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ") // net/http's headerNewlineToSpace

func appendLine(b []byte, k, v string) []byte {
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v)
	}
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, strings.Trim(v, " \t")...)
	return append(b, "\r\n"...)
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.declared >= 0 && w.written > w.declared {
		return 0, http.ErrContentLength
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// wantsClose: the response itself ends the connection (its handler set
// "Connection: close", as net/http reads it).
func (w *response) wantsClose() bool {
	return len(w.connection) > 0 && w.connection[0] == "close"
}

// finish queues the response on the connection. closing says the connection
// closes after it (the caller decides, the handler's "Connection: close"
// included); announce, that the response says so (net/http does not
// when the client broke off its body); force, that "Connection: close"
// replaces the handler's Connection header whatever it says (a body too long
// to read past). It returns whether the connection stays open.
func (w *response) finish(closing, announce, force bool) bool {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	b := append(c.out, w.head...)
	head := w.req.Method == http.MethodHead
	// As net/http: a body other than the declared length closes the
	// connection after the response, which does not say so.
	keepAlive := !closing && (w.declared < 0 || w.written == w.declared || head || !bodyAllowed(w.status))
	if bodyAllowed(w.status) {
		if !w.haveType && len(w.body) > 0 {
			b = appendLine(b, "Content-Type", http.DetectContentType(w.body))
		}
		switch {
		case w.declared >= 0:
			b = appendLine(b, "Content-Length", w.lengthValue)
		case !head || w.written > 0:
			b = append(b, "Content-Length: "...)
			b = strconv.AppendInt(b, w.written, 10)
			b = append(b, "\r\n"...)
		}
	}
	if !w.haveDate {
		b = append(b, "Date: "...)
		b = append(b, c.dateValue()...)
		b = append(b, "\r\n"...)
	}
	// As net/http: a closing response says "Connection: close" in place of
	// the handler's Connection header, unless that already has the token
	// (and the server is not shutting down), or it switches protocols.
	switch {
	case closing && announce && (force || c.s.closing.Load() || !hasToken(w.connection[:min(1, len(w.connection))], "close")) &&
		!(w.status == http.StatusSwitchingProtocols && w.header.Get("Upgrade") != ""):
		b = append(b, "Connection: close\r\n"...)
	default:
		for _, v := range w.connection {
			b = appendLine(b, "Connection", v)
		}
	}
	b = append(b, "\r\n"...)
	if !head && bodyAllowed(w.status) {
		b = append(b, w.body...)
	}
	c.out = b
	if cap(w.body) > maxKeep {
		w.body = nil
	}
	return keepAlive
}

// hasToken: a comma-separated token list among values holds token (any case).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// bodyAllowed is RFC 9110's rule, as net/http applies it.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
