package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripe-emulator/stripe-emulator/server"
)

func TestParseConfigServing(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		frontEnd  string
		httpsAddr string
		wantErr   string
	}{
		{"defaults: the fast front end, no HTTPS", nil, nil, "fast", "", ""},
		{"std by flag", []string{"-http", "std"}, nil, "std", "", ""},
		{"std by environment", nil, map[string]string{"STRIPE_EMULATOR_HTTP": "std"}, "std", "", ""},
		{"flag beats environment", []string{"-http=fast"}, map[string]string{"STRIPE_EMULATOR_HTTP": "std"}, "fast", "", ""},
		{"an unknown front end", []string{"-http", "h2"}, nil, "", "", `-http must be fast or std, not "h2"`},
		{"HTTPS on an address", []string{"-https-addr", "127.0.0.1:0"}, nil, "fast", "127.0.0.1:0", ""},
		{"HTTPS default", []string{"-https-addr", "default"}, nil, "fast", "127.0.0.1:12112", ""},
		{"HTTPS default follows -addr's host", []string{"-addr", "0.0.0.0:12111", "-https-addr", "default"}, nil, "fast", "0.0.0.0:12112", ""},
		{"HTTPS by environment", nil, map[string]string{"STRIPE_EMULATOR_HTTPS_ADDR": "default"}, "fast", "127.0.0.1:12112", ""},
		{"a certificate without its key", []string{"-https-addr", "default", "-tls-cert", "c.pem"}, nil, "", "", "-tls-cert and -tls-key go together"},
		{"a certificate without HTTPS", []string{"-tls-cert", "c.pem", "-tls-key", "k.pem"}, nil, "", "", "set -https-addr too"},
		{"a certificate and key", []string{"-https-addr", "127.0.0.1:0", "-tls-cert", "c.pem", "-tls-key", "k.pem"}, nil, "fast", "127.0.0.1:0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ok := parseCase(t, tt.args, tt.env, tt.wantErr)
			if !ok {
				return
			}
			if cfg.serve.frontEnd != tt.frontEnd || cfg.serve.httpsAddr != tt.httpsAddr {
				t.Errorf("front end %q, HTTPS %q; want %q, %q", cfg.serve.frontEnd, cfg.serve.httpsAddr, tt.frontEnd, tt.httpsAddr)
			}
		})
	}
}

// help, -h, -version and healthcheck -h say what a newcomer needs, and exit 0.
func TestHelpVersionAndUsage(t *testing.T) {
	sdkLines := []string{
		"Point an SDK at it: base URL http://127.0.0.1:12111 (or your -addr), any test key sk_test_... (each key is its own account).",
		"It takes requests of every Stripe API version from 2024-06-20 to 2026-10-28.endive",
		"it answers in Stripe API version " + server.APIVersion + " shapes, the ones stripe-go v79 and stripe-node 16 pin",
	}
	tests := []struct {
		name                 string
		args                 []string
		stdout, stderr, lack []string
	}{
		{"help", []string{"help"}, append([]string{"Usage:", "stripe-emulator healthcheck", "-https-addr", "-http "}, sdkLines...), nil, nil},
		{"-h", []string{"-h"}, nil, append([]string{"Usage:", "-fixtures"}, sdkLines...), nil},
		{"-version", []string{"-version"}, []string{"stripe-emulator ", "(Stripe API " + server.APIVersion + ", go"}, nil, nil},
		{"healthcheck -h lists its own flag only", []string{"healthcheck", "-h"}, nil, []string{"Usage: stripe-emulator healthcheck", "-addr"}, []string{"-fixtures", "-state-file", "-webhook", "-log-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, env(nil), &stdout, &stderr, nil); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			for _, not := range tt.lack {
				if strings.Contains(stderr.String()+stdout.String(), not) {
					t.Errorf("the output has %q:\n%s", not, stderr.String())
				}
			}
			if len(sdkLines) > 0 && (tt.name == "help" || tt.name == "-h") {
				out := strings.TrimRight(stdout.String()+stderr.String(), "\n")
				lines := strings.Split(out, "\n")
				last := lines[len(lines)-len(sdkLines):]
				for i := range sdkLines {
					if !strings.HasPrefix(last[i], sdkLines[i]) {
						t.Errorf("the help does not end with the SDK lines: %q", last)
						break
					}
				}
			}
		})
	}
}

// A webhook secret the user gave (flag or environment) is never printed; a
// generated one is, since there is no other way to learn it.
func TestWebhookSecretIsPrintedOnlyWhenGenerated(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		printed bool
	}{
		{"by flag", []string{"-webhook-secret", "whsec_givenbyflag"}, nil, false},
		{"by environment", nil, map[string]string{"STRIPE_EMULATOR_WEBHOOK_SECRET": "whsec_givenbyenv"}, false},
		{"generated", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0", "-log-requests=false", "-webhook-url", "http://127.0.0.1:1/hook"}, tt.args...)
			_, logs, stop := runUntilReady(t, args, tt.env)
			if code := stop(); code != 0 {
				t.Fatalf("exit %d", code)
			}
			out := logs.String()
			if !strings.Contains(out, `msg="forwarding every event" webhook_url=http://127.0.0.1:1/hook`) {
				t.Fatalf("no forwarding line:\n%s", out)
			}
			for _, given := range []string{"whsec_givenbyflag", "whsec_givenbyenv"} {
				if strings.Contains(out, given) {
					t.Errorf("the log prints the given secret %s:\n%s", given, out)
				}
			}
			if got := strings.Contains(out, "webhook_secret=whsec_"); got != tt.printed {
				t.Errorf("secret printed: %v, want %v:\n%s", got, tt.printed, out)
			}
		})
	}
}

// The start-up log gives a URL a client can use, and warns when the emulator
// listens beyond this machine.
func TestListeningURLAndExposure(t *testing.T) {
	tests := []struct {
		name, addr, url string
		warns           bool
	}{
		{"loopback", "127.0.0.1:0", "http://127.0.0.1:", false},
		{"every interface", ":0", "http://127.0.0.1:", true},
		{"every IPv4 interface", "0.0.0.0:0", "http://127.0.0.1:", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, logs, stop := runUntilReady(t, []string{"-addr", tt.addr, "-log-requests=false"}, nil)
			stop()
			out := logs.String()
			if !strings.Contains(out, "url="+tt.url) || strings.Contains(out, "url=http://[::]") || strings.Contains(out, "url=http://0.0.0.0") {
				t.Errorf("want url=%s…:\n%s", tt.url, out)
			}
			if got := strings.Contains(out, `level=WARN msg="listening beyond this machine`); got != tt.warns {
				t.Errorf("warned: %v, want %v:\n%s", got, tt.warns, out)
			}
		})
	}
}

// At start the emulator removes the temporary files of a save it did not
// finish, beside the state file, and nothing else.
func TestRunRemovesOrphanedTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.jsonl")
	orphan := filepath.Join(dir, ".state.jsonl.tmp-1234567")
	other := filepath.Join(dir, ".notes.txt.tmp-1234567")
	for _, f := range []string{orphan, other} {
		if err := os.WriteFile(f, []byte("half a state"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, logs, stop := runUntilReady(t, []string{"-addr", "127.0.0.1:0", "-state-file", path}, nil)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, logs.String())
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the orphan is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
	if !strings.Contains(logs.String(), `msg="removed the temporary file of an interrupted save" file=`+orphan) {
		t.Errorf("the log does not say so:\n%s", logs.String())
	}
}

// parseCase parses args and environ as the emulator does. With wantErr set, it
// checks that parsing fails saying so, and reports false; else it fails the
// test on any error.
func parseCase(t *testing.T, args []string, environ map[string]string, wantErr string) (config, bool) {
	t.Helper()
	cfg, err := parseConfig("test", args, env(environ), io.Discard)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		return cfg, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg, true
}

// runUntilReady runs the emulator with args and environment until stop,
// which returns the exit code.
func runUntilReady(t *testing.T, args []string, environ map[string]string) (addr string, logs *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, env(environ), io.Discard, logs, ready) }()
	select {
	case addr = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("exited with %d: %s", code, logs.String())
	}
	return addr, logs, func() int { cancel(); return <-done }
}

// A certificate that cannot be loaded stops the emulator before it serves,
// naming the files.
func TestRunRefusesABadCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ready := make(chan string, 1)
	args := []string{"-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0", "-tls-cert", cert, "-tls-key", key}
	if code := run(context.Background(), args, env(nil), io.Discard, &logs, ready); code != 1 {
		t.Fatalf("exit %d:\n%s", code, logs.String())
	}
	if len(ready) > 0 || !strings.Contains(logs.String(), "HTTPS; not starting") || !strings.Contains(logs.String(), cert) {
		t.Errorf("log:\n%s", logs.String())
	}
}
