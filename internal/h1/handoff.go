package h1

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// handoffListener is the listener Fallback serves: its connections are the
// ones this server handed over.
type handoffListener struct {
	addr   net.Addr
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// give hands c over; false if the listener is closed (the caller closes c).
func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

// replayConn is a connection whose reads first return what this server had
// already buffered: net/http reads the request from its first byte.
type replayConn struct {
	net.Conn
	r *bufio.Reader
	// headerBy is the deadline of the header this server began reading (zero:
	// none, or Fallback has no header timeout); net/http's first read
	// deadline, the one it sets for that header, is held to it.
	headerBy time.Time
}

// SetReadDeadline passes net/http's deadlines on, except that the first one,
// which net/http sets as it starts reading the request handed over, is no
// later than the header deadline already running here: a slow header has
// ReadHeaderTimeout in all, not again from the hand-off.
func (c *replayConn) SetReadDeadline(t time.Time) error {
	if by := c.headerBy; !by.IsZero() {
		c.headerBy = time.Time{}
		if t.IsZero() || t.After(by) {
			t = by
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil // drained: read the socket directly from now on
	}
	return c.Conn.Read(p)
}

// CloseWrite half-closes the connection, as net/http does before it closes
// one with a request body unread.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
