package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		addr    string
		format  string
		wantErr string
	}{
		{"defaults", nil, nil, "127.0.0.1:12111", "text", ""},
		{"flag", []string{"-addr", "127.0.0.1:0"}, nil, "127.0.0.1:0", "text", ""},
		{"env", nil, map[string]string{"STRIPE_EMULATOR_ADDR": "0.0.0.0:9999", "STRIPE_EMULATOR_LOG_FORMAT": "json"}, "0.0.0.0:9999", "json", ""},
		{"flag beats env", []string{"-addr=:1"}, map[string]string{"STRIPE_EMULATOR_ADDR": "0.0.0.0:9999"}, ":1", "text", ""},
		{"bad format", []string{"-log-format", "xml"}, nil, "", "", "-log-format must be text or json"},
		{"bad level", []string{"-log-level", "loud"}, nil, "", "", "-log-level"},
		{"bad request logging", nil, map[string]string{"STRIPE_EMULATOR_LOG_REQUESTS": "sometimes"}, "", "", "STRIPE_EMULATOR_LOG_REQUESTS"},
		{"stray argument", []string{"serve"}, nil, "", "", `unexpected argument "serve"`},
		{"unknown flag", []string{"-port", "1"}, nil, "", "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig("test", tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.addr != tt.addr || cfg.logFormat != tt.format {
				t.Errorf("got %+v", cfg)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStopsGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, env(nil), io.Discard, &logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("exited early with %d: %s", code, logs.String())
	}
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("port 0 was not resolved: %s", addr)
	}
	if !strings.Contains(logs.String(), "addr="+addr) {
		t.Errorf("the log does not say which address: %s", logs.String())
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Request-Id") == "" {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	var out bytes.Buffer
	if code := healthcheck([]string{"-addr", addr}, env(nil), &out, io.Discard); code != 0 || out.String() != "ok\n" {
		t.Errorf("healthcheck: %d %q", code, out.String())
	}

	// A request in flight when the stop comes is finished: send the headers and
	// half the body, stop, then send the rest.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "name=in-flight"
	head := "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := conn.Write([]byte(head + body[:5])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case code := <-done:
		t.Fatalf("exited (%d) with a request in flight", code)
	default:
	}
	if _, err := conn.Write([]byte(body[5:])); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 4096)
	n, _ := conn.Read(reply)
	if !strings.HasPrefix(string(reply[:n]), "HTTP/1.1 200") || !strings.Contains(string(reply[:n]), `"name":"in-flight"`) {
		t.Fatalf("in-flight request: %q", reply[:n])
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("still accepting connections after stopping")
	}
	for _, want := range []string{"msg=request method=POST path=/v1/customers status=200", "request_id=req_", "duration_ms=", "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestHealthcheckFailsWhenDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if code := healthcheck([]string{"-addr", addr}, env(nil), io.Discard, io.Discard); code != 1 {
		t.Errorf("healthcheck of a closed port: %d", code)
	}
}

func TestListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs syncBuffer
	if code := run(context.Background(), []string{"-addr", ln.Addr().String()}, env(nil), io.Discard, &logs, nil); code != 1 {
		t.Errorf("listening on a taken port: exit %d", code)
	}
}
