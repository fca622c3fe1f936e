package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// conn is a minimal keep-alive HTTP/1.1 client connection: requests are
// prepared bytes, responses are read just far enough to find their status and
// end (Content-Length or chunked). It costs the load generator far less than
// net/http's client, so that the servers, not the client, are measured.
type conn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &conn{addr: addr, c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (c *conn) close() { _ = c.c.Close() }

// request is a prepared request.
type request []byte

func buildRequest(method, path, key string, body []byte, contentType string) request {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: load\r\nUser-Agent: stripe-emulator-load\r\n", method, path)
	if key != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", key)
	}
	if body != nil {
		if contentType == "" {
			contentType = "application/x-www-form-urlencoded"
		}
		fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\n", contentType, len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

var errProtocol = errors.New("malformed HTTP response")

// do sends one request and reads its response; it returns the status code and,
// when keep is true, the body.
func (c *conn) do(req request, keep bool) (int, []byte, error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, nil, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, nil, errProtocol
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, errProtocol
	}
	length, chunked, closeAfter := -1, false, false
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(value))
		case bytes.EqualFold(name, []byte("Transfer-Encoding")) && bytes.EqualFold(value, []byte("chunked")):
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			closeAfter = true
		}
	}
	var body []byte
	switch {
	case chunked:
		body, err = c.readChunked(keep)
	case length >= 0:
		if keep {
			body = make([]byte, length)
			_, err = io.ReadFull(c.r, body)
		} else {
			_, err = c.r.Discard(length)
		}
	default:
		return 0, nil, errProtocol
	}
	if err != nil {
		return 0, nil, err
	}
	if closeAfter {
		return status, body, errors.New("the server closed the connection")
	}
	return status, body, nil
}

func (c *conn) readChunked(keep bool) ([]byte, error) {
	var body []byte
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return nil, errProtocol
		}
		if size == 0 {
			if _, err := c.r.ReadSlice('\n'); err != nil {
				return nil, err
			}
			return body, nil
		}
		if keep {
			chunk := make([]byte, size)
			if _, err := io.ReadFull(c.r, chunk); err != nil {
				return nil, err
			}
			body = append(body, chunk...)
		} else if _, err := c.r.Discard(int(size)); err != nil {
			return nil, err
		}
		if _, err := c.r.Discard(2); err != nil {
			return nil, err
		}
	}
}
