package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Handler-level benchmarks (no network): what one request costs the emulator.

func benchServer(b *testing.B) *Server {
	b.Helper()
	srv, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

func serveOnce(b *testing.B, srv *Server, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer sk_test_bench")
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	return w
}

func BenchmarkCreateCustomer(b *testing.B) {
	srv := benchServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe&email=john%40example.com&metadata[plan]=pro")
		}
	})
}

func BenchmarkRetrieveCustomer(b *testing.B) {
	srv := benchServer(b)
	w := serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe")
	id := w.Body.String()[7:35]
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "GET", "/v1/customers/"+id, "")
		}
	})
}

func BenchmarkListCustomers100(b *testing.B) {
	srv := benchServer(b)
	for i := 0; i < 200; i++ {
		serveOnce(b, srv, "POST", "/v1/customers", "name=John+Doe&email=john%40example.com")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serveOnce(b, srv, "GET", "/v1/customers?limit=100", "")
		}
	})
}
