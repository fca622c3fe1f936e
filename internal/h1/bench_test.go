package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
)

// BenchmarkServe: one keep-alive connection, a plain POST of the shape SDKs
// send, a handler that reads the body and answers a small JSON object. Its
// allocs/op are the front end's per request (the client's are few).
func BenchmarkServe(b *testing.B) {
	body := []byte(`{"id":"cus_1","object":"customer"}`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	s := &Server{Handler: h, Fallback: &http.Server{Handler: h}}
	go func() { _ = s.Serve(ln) }()
	defer s.Shutdown(b.Context())
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	request := []byte(req("POST", "/v1/customers", "Authorization: Bearer sk_test_1\r\nContent-Type: application/x-www-form-urlencoded\r\n", "name=John+Doe&email=john%40example.com"))
	br := bufio.NewReader(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(request); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
