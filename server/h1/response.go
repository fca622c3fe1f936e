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
// net/http, the header is what it was at WriteHeader.
type response struct {
	c      *conn
	req    *http.Request
	header http.Header
	// head is the status line and header lines frozen at WriteHeader, without
	// the ones finish decides (Content-Length, Date, Connection).
	head   []byte
	status int
	wrote  bool
	// declared is the handler's Content-Length (-1: none); written counts the
	// body bytes written (a HEAD response counts them without keeping them).
	declared int64
	written  int64
	haveType bool
	haveDate bool
	close    bool
	body     []byte
}

func (w *response) reset(req *http.Request) {
	w.req = req
	if w.header == nil {
		w.header = make(http.Header, 8)
	} else {
		clear(w.header)
	}
	w.head, w.body = w.head[:0], w.body[:0]
	w.status, w.wrote, w.declared, w.written = 0, false, -1, 0
	w.haveType, w.haveDate, w.close = false, false, false
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
		w.c.out = w.appendHead(w.c.out, code, false)
		w.c.out = append(w.c.out, "\r\n"...)
		return
	}
	w.wrote, w.status = true, code
	w.head = w.appendHead(w.head, code, true)
}

// appendHead appends the status line and the header lines to b; final notes
// what finish needs to know and leaves out the lines it writes itself.
func (w *response) appendHead(b []byte, code int, final bool) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	b = append(b, "\r\n"...)
	keys := w.c.keys[:0]
	for k := range w.header {
		keys = append(keys, k)
	}
	slices.Sort(keys) // as net/http writes them
	w.c.keys = keys
	for _, k := range keys {
		vs := w.header[k]
		if final {
			switch k {
			case "Content-Length":
				if len(vs) > 0 {
					w.declared = parseLength(strings.TrimSpace(vs[0]))
				}
				continue
			case "Date":
				w.haveDate = true
				if len(vs) == 0 {
					continue
				}
			case "Connection":
				for _, v := range vs {
					if strings.Contains(strings.ToLower(v), "close") {
						w.close = true
					}
				}
				continue
			case "Transfer-Encoding": // the body is sent whole, with its length
				continue
			case "Content-Type", "Content-Encoding":
				w.haveType = true
			}
		}
		if !isToken(k) {
			continue // as net/http: a header with an invalid name is not sent
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, strings.Trim(v, " \t")...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.declared >= 0 && w.written > w.declared {
		return 0, http.ErrContentLength
	}
	if w.req.Method != http.MethodHead {
		w.body = append(w.body, p...)
	}
	return len(p), nil
}

// finish queues the response on the connection; it returns whether the
// connection stays open after it.
func (w *response) finish(keepAlive bool) bool {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	b := append(c.out, w.head...)
	if w.close {
		keepAlive = false
	}
	if bodyAllowed(w.status) {
		if !w.haveType && len(w.body) > 0 {
			b = append(b, "Content-Type: "...)
			b = append(b, http.DetectContentType(w.body)...)
			b = append(b, "\r\n"...)
		}
		n := w.written
		if w.declared >= 0 {
			if w.written < w.declared && w.req.Method != http.MethodHead {
				keepAlive = false // the client would wait for the rest
			}
			n = w.declared
		}
		if w.declared >= 0 || w.req.Method != http.MethodHead || n > 0 {
			b = append(b, "Content-Length: "...)
			b = strconv.AppendInt(b, n, 10)
			b = append(b, "\r\n"...)
		}
	}
	if !w.haveDate {
		b = append(b, "Date: "...)
		b = append(b, c.dateValue()...)
		b = append(b, "\r\n"...)
	}
	if !keepAlive {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.out = append(b, w.body...)
	if cap(w.body) > maxKeep {
		w.body = nil
	}
	return keepAlive
}

// bodyAllowed is RFC 9110's rule, as net/http applies it.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
