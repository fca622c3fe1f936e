package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

const (
	// readBufferSize is the connection's read buffer, and the largest request
	// header served here; a larger one goes to Fallback (net/http takes 1 MB).
	readBufferSize = 4096
	// maxDrain is the most of an unread request body read past to keep the
	// connection; more closes it after the response (net/http's rule).
	maxDrain = 256 << 10
	// maxKeep is the largest response buffer a connection keeps between requests.
	maxKeep = 64 << 10
	// maxSlack: an idle or write deadline is set a sixteenth of its
	// timeout late, at most this, and set again only once it would end
	// before its timeout, so a busy connection does not reset a timer per
	// request (it may end that much late, never early).
	maxSlack = time.Second
)

const (
	stateActive int32 = iota
	stateIdle         // waiting for a request, or the rest of its header: Shutdown closes it
	stateWoken        // woken by Shutdown while idle
)

// conn is one client connection served here.
type conn struct {
	s      *Server
	nc     net.Conn
	r      *bufio.Reader
	remote string
	state  atomic.Int32
	// deadline is the read deadline last set on nc (zero: none); headerBy
	// the header deadline of the request being read (zero: none set, the
	// whole header was there); writeBy the write deadline last set.
	deadline, headerBy, writeBy time.Time
	// out is the response being written; werr a failed write.
	out  []byte
	werr error
	w    response
	rq   request
	// date is the Date header's value for the second dateSec.
	date    []byte
	dateSec int64
	keys    []string
	// served: a request was answered (the connection is kept alive);
	// lastPost: the last one was a POST; linger: the connection closes with a
	// request body unread, so it half-closes and waits before it closes.
	served, lastPost, linger bool
}

var errHandedOff = errors.New("handed off")

// serve reads and answers requests until the client goes, an error, Shutdown,
// or a request this server leaves to Fallback.
func (c *conn) serve() {
	defer c.s.forget(c)
	c.remote = c.nc.RemoteAddr().String()
	c.w.c = c
	for {
		err := c.serveOne()
		if err == nil {
			continue
		}
		if err != errHandedOff {
			c.close()
		}
		return
	}
}

// rstAvoidanceDelay is how long a connection closing with a request body
// unread waits, half-closed, so that the client reads the response before a
// reset (net/http's closeWriteAndWait).
const rstAvoidanceDelay = 500 * time.Millisecond

func (c *conn) close() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && c.linger && c.werr == nil {
		_ = cw.CloseWrite()
		time.Sleep(rstAvoidanceDelay)
	}
	c.nc.Close()
}

// serveOne reads and answers one request; nil means keep going.
func (c *conn) serveOne() error {
	head, err := c.readHead()
	if err != nil {
		return err
	}
	rq := &c.rq
	if head == nil || !rq.parse(head, c.remote) {
		return c.handOff()
	}
	c.r.Discard(len(head))
	rq.body.c = c
	if rq.ContentLength > int64(c.r.Buffered()) {
		// The body is still to come: within BodyTimeout (none if zero).
		if err := c.bodyDeadline(); err != nil {
			return err
		}
	}
	keepAlive := c.handle(rq)
	c.served, c.lastPost = true, rq.Method == http.MethodPost
	// Each response goes out as it is answered, as net/http's do: a client
	// may wait for it before it sends the rest of what follows.
	if err := c.flush(); err != nil {
		return err
	}
	if !keepAlive {
		return io.EOF
	}
	return nil
}

// handle runs the handler on rq and queues the response; false means the
// connection closes after it.
func (c *conn) handle(rq *request) (keepAlive bool) {
	w := &c.w
	w.reset(&rq.Request)
	defer func() {
		if p := recover(); p != nil {
			// As net/http: no response, the connection closes.
			if p != http.ErrAbortHandler {
				c.s.logError("panic serving a request", fmt.Errorf("%v", p), "remote", c.remote, "path", rq.URL.Path, "stack", string(debug.Stack()))
			}
			keepAlive = false
		}
	}()
	c.s.Handler.ServeHTTP(w, &rq.Request)
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	// As net/http: the rest of the body is read past only when the
	// connection is to serve another request; a response that closes it
	// with bytes of the body still on their way lingers, half-closed, so
	// that the client reads it before a reset (not when the client itself
	// said it closes).
	closing := rq.Close || c.s.closing.Load() || w.wantsClose()
	announce, force := true, false
	if closing {
		rq.body.closed = true
	} else {
		switch rq.body.finish() {
		case bodyTooLong:
			closing, force = true, true
		case bodyBroken:
			// The handler saw the client break off its body: net/http
			// answers without saying it closes, and closes.
			closing, announce = true, false
		case bodyCutShort:
			closing = true
		}
	}
	keepAlive = w.finish(closing, announce, force)
	c.linger = !keepAlive && !rq.Close && rq.body.err == nil && rq.body.n > int64(c.r.Buffered())
	return keepAlive
}

// readHead waits for a request and returns its head (request line, headers and
// the blank line), still unread in c.r; nil head means hand the connection off.
// Its waits are net/http's: the first request's header within
// ReadHeaderTimeout; on a kept-alive connection, four bytes within
// IdleTimeout (else it closes without a word), then the rest of the header
// within ReadHeaderTimeout; after a POST, up to four stray CR/LF bytes skipped.
func (c *conn) readHead() ([]byte, error) {
	c.headerBy = time.Time{}
	headerDeadline := false
	need := 1
	if c.served {
		need = 4
	}
	if c.r.Buffered() < need {
		if !c.served {
			headerDeadline = true
			if err := c.headerDeadline(); err != nil {
				return nil, err
			}
		} else if err := c.idleDeadline(); err != nil {
			return nil, err
		}
		if err := c.wait(need); err != nil {
			return nil, err
		}
	}
	if c.lastPost {
		c.lastPost = false
		peek, _ := c.r.Peek(4)
		n := 0
		for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
			n++
		}
		c.r.Discard(n)
	}
	for {
		buf, _ := c.r.Peek(c.r.Buffered())
		end, bad := headEnd(buf)
		switch {
		case bad:
			return nil, nil
		case end > 0:
			return buf[:end], nil
		case len(buf) == readBufferSize:
			return nil, nil // a header too large to serve here
		}
		if !headerDeadline {
			headerDeadline = true
			if err := c.headerDeadline(); err != nil {
				return nil, err
			}
		}
		if err := c.wait(len(buf) + 1); err != nil {
			if err == io.EOF {
				return nil, nil // the client stopped mid-head: net/http answers that (400)
			}
			return nil, err
		}
	}
}

// wait reads until n bytes are buffered, as an idle connection: Shutdown may
// wake it, and then it ends. The read deadline is set before: Shutdown sets
// closing, then wakes idle connections, so one of the two sees the other.
func (c *conn) wait(n int) error {
	c.state.Store(stateIdle)
	if c.s.closing.Load() {
		return ErrServerClosed
	}
	_, err := c.r.Peek(n)
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return ErrServerClosed // woken by Shutdown: whatever came is dropped, as net/http drops it
	}
	return err
}

// headerDeadline limits the rest of a request header to ReadHeaderTimeout (none if zero).
func (c *conn) headerDeadline() error {
	if d := c.s.ReadHeaderTimeout; d > 0 {
		c.headerBy = time.Now().Add(d)
		return c.setDeadline(c.headerBy)
	}
	return c.clearDeadline()
}

// bodyDeadline limits the rest of a request body to BodyTimeout (none if zero).
func (c *conn) bodyDeadline() error {
	if d := c.s.BodyTimeout; d > 0 {
		return c.setDeadline(time.Now().Add(d))
	}
	return c.clearDeadline()
}

// idleDeadline limits the wait for the next request to IdleTimeout (none if
// zero), moving the deadline only when it must.
func (c *conn) idleDeadline() error {
	d := c.s.IdleTimeout
	if d <= 0 {
		return c.clearDeadline()
	}
	if at, move := nextDeadline(c.deadline, time.Now(), d); move {
		return c.setDeadline(at)
	}
	return nil
}

// nextDeadline is the deadline for a timeout d from now, given the one set
// (cur, zero if none): cur itself (move false) while it ends no sooner than d
// from now and at most slack after, else d plus slack from now, slack being a
// sixteenth of d, at most maxSlack. So a busy connection resets its timer
// once per slack, not per request, and, as with net/http, the deadline never
// comes before d has passed (a client that drops its idle connections just
// before the server's IdleTimeout never sends on one closed under it).
func nextDeadline(cur, now time.Time, d time.Duration) (at time.Time, move bool) {
	slack := min(d/16, maxSlack)
	due := now.Add(d)
	if !cur.IsZero() && !cur.Before(due) && !cur.After(due.Add(slack)) {
		return cur, false
	}
	return due.Add(slack), true
}

// headEnd finds the end of a request head ("\r\n\r\n") in buf: end is its
// length, 0 if buf holds only part of it; bad means lines this server leaves
// to net/http (a bare LF, or an empty line before the request line).
func headEnd(buf []byte) (end int, bad bool) {
	for i := 0; ; {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0, false
		}
		j += i
		if j == 0 || buf[j-1] != '\r' || j == 1 {
			return 0, true
		}
		if j >= 3 && buf[j-2] == '\n' {
			return j + 1, false
		}
		i = j + 1
	}
}

func (c *conn) setDeadline(t time.Time) error {
	c.deadline = t
	return c.nc.SetReadDeadline(t)
}

// clearDeadline lifts the read deadline, if one is set.
func (c *conn) clearDeadline() error {
	if c.deadline.IsZero() {
		return nil
	}
	return c.setDeadline(time.Time{})
}

// wakeIfIdle makes an idle connection's read return now, for Shutdown.
func (c *conn) wakeIfIdle() {
	if c.state.CompareAndSwap(stateIdle, stateWoken) {
		_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

// handOff gives the connection, with what is buffered of it, to Fallback. A
// header begun here keeps its deadline there: it is the connection's read
// deadline as Fallback starts, and when Fallback has a header timeout of its
// own, the deadline net/http sets for the header first is held to it
// (replayConn.SetReadDeadline). Without one, net/http sets no deadline
// before the header is read, and its first (for the body, none unless
// ReadTimeout) must stand as it is. The write deadline set here is lifted,
// Fallback sets its own.
func (c *conn) handOff() error {
	if err := c.nc.SetReadDeadline(c.headerBy); err != nil {
		return err
	}
	if !c.writeBy.IsZero() {
		if err := c.nc.SetWriteDeadline(time.Time{}); err != nil {
			return err
		}
	}
	rc := &replayConn{Conn: c.nc, r: c.r}
	if headerTimeout(c.s.Fallback) > 0 {
		rc.headerBy = c.headerBy
	}
	if !c.s.handoff.give(rc) {
		return ErrServerClosed // shutting down: the caller closes it
	}
	return errHandedOff
}

// headerTimeout is the limit net/http's server puts on reading a request
// header, as it sets it before reading one: ReadHeaderTimeout, or
// ReadTimeout when that is zero (none unless positive).
func headerTimeout(s *http.Server) time.Duration {
	if s.ReadHeaderTimeout != 0 {
		return s.ReadHeaderTimeout
	}
	return s.ReadTimeout
}

// flush writes the response queued in c.out.
func (c *conn) flush() error {
	if c.werr != nil {
		return c.werr
	}
	if len(c.out) == 0 {
		return nil
	}
	if d := c.s.WriteTimeout; d > 0 {
		if at, move := nextDeadline(c.writeBy, time.Now(), d); move {
			c.writeBy = at
			if c.werr = c.nc.SetWriteDeadline(at); c.werr != nil {
				return c.werr
			}
		}
	}
	_, c.werr = c.nc.Write(c.out)
	if cap(c.out) > maxKeep {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	return c.werr
}

// dateValue is the Date header for now, formatted once a second.
func (c *conn) dateValue() []byte {
	now := time.Now()
	if sec := now.Unix(); sec != c.dateSec || c.date == nil {
		c.dateSec = sec
		c.date = now.UTC().AppendFormat(c.date[:0], http.TimeFormat)
	}
	return c.date
}
