package server

import (
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/stripe-emulator/stripe-emulator/internal/apierr"
	"github.com/stripe-emulator/stripe-emulator/internal/jsonobj"
)

// This file is the response adapter: the only code that writes status codes and
// bodies. Handlers return objects or errors; these functions render them.

func (s *Server) writeResponse(w http.ResponseWriter, status int, body []byte, extra http.Header) {
	h := w.Header()
	for k, vs := range extra {
		h[k] = vs
	}
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// jsonContentType is shared by every response (net/http never changes header values).
var jsonContentType = []string{"application/json"}

// bodyPool recycles response buffers: a body is written, then released, unless
// something keeps it (the idempotency store and the request log keep copies).
var bodyPool = sync.Pool{New: func() any { return make([]byte, 0, 4096) }}

// marshalBody renders a response object into a pooled buffer.
func marshalBody(obj jsonobj.Obj) []byte {
	return jsonobj.Append(bodyPool.Get().([]byte)[:0], obj)
}

// releaseBody returns a written body's buffer to the pool (huge ones are let go).
func releaseBody(b []byte) {
	if cap(b) > 0 && cap(b) <= 1<<20 {
		bodyPool.Put(b[:0])
	}
}

// writeError renders an error that happened before the request had an account
// (routing, authentication): it has no request log entry.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	status, body, hdr := s.errorResponse(r, reqID, "", err)
	s.writeResponse(w, status, body, hdr)
}

// errorResponse renders an error as Stripe's envelope. Errors that are not
// *apierr.Error are bugs: they are logged and become a 500 api_error.
func (s *Server) errorResponse(r *http.Request, reqID, logURL string, err error) (int, []byte, http.Header) {
	var e *apierr.Error
	if !errors.As(err, &e) {
		s.log.Error("internal error", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "error", err.Error())
		e = apierr.Internal()
	}
	inner := errorMembers(e, logURL)
	var hdr http.Header
	if e.ShouldRetry != nil {
		hdr = http.Header{"Stripe-Should-Retry": {strconv.FormatBool(*e.ShouldRetry)}}
	}
	return e.Status, jsonobj.Marshal(jsonobj.Obj{{K: "error", V: inner}}), hdr
}

// logURL points at the emulator's own log of the request (kept for failures of
// authenticated requests).
func (c *call) logURL() string {
	if c.acct == nil {
		return ""
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + "/_emulator/requests/" + c.reqID
}
