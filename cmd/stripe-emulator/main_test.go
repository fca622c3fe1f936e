package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
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
			cfg, ok := parseCase(t, tt.args, tt.env, tt.wantErr)
			if !ok {
				return
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

func TestParseConfigFixtures(t *testing.T) {
	sep := string(filepath.ListSeparator)
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		files   []string
		key     string
		wantErr string
	}{
		{"none", nil, nil, nil, "sk_test_emulator", ""},
		{"flags", []string{"-fixtures", "a.json", "-fixtures=b.json"}, nil, []string{"a.json", "b.json"}, "sk_test_emulator", ""},
		{"env list", nil, map[string]string{"STRIPE_EMULATOR_FIXTURES": "a.json, b.json" + sep + "c.json,"}, []string{"a.json", "b.json", "c.json"}, "sk_test_emulator", ""},
		{"flags replace env", []string{"-fixtures", "x.json"}, map[string]string{"STRIPE_EMULATOR_FIXTURES": "a.json"}, []string{"x.json"}, "sk_test_emulator", ""},
		{"key flag", []string{"-fixtures-key", "sk_test_seeded"}, nil, nil, "sk_test_seeded", ""},
		{"key env", nil, map[string]string{"STRIPE_EMULATOR_FIXTURES_KEY": "rk_test_abc"}, nil, "rk_test_abc", ""},
		{"key flag beats env", []string{"-fixtures-key=sk_test_flag"}, map[string]string{"STRIPE_EMULATOR_FIXTURES_KEY": "sk_test_env"}, nil, "sk_test_flag", ""},
		{"live key", []string{"-fixtures-key", "sk_live_abc"}, nil, nil, "", "-fixtures-key must be a test mode secret key"},
		{"publishable key", []string{"-fixtures-key", "pk_test_abc"}, nil, nil, "", "-fixtures-key must be a test mode secret key"},
		{"bare prefix", []string{"-fixtures-key", "sk_test_"}, nil, nil, "", "-fixtures-key must be a test mode secret key"},
		{"empty file name", []string{"-fixtures", ""}, nil, nil, "", "empty file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ok := parseCase(t, tt.args, tt.env, tt.wantErr)
			if !ok {
				return
			}
			if !reflect.DeepEqual(cfg.fixtures, tt.files) || cfg.fixturesKey != tt.key {
				t.Errorf("fixtures %q key %q, want %q %q", cfg.fixtures, cfg.fixturesKey, tt.files, tt.key)
			}
		})
	}
}

// -fixtures loads the Alpaca AI file before serving: the log names each entry's
// id, and the customer's upcoming invoice is 12 cents.
func TestRunLoadsFixtures(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	args := []string{"-addr", "127.0.0.1:0", "-log-requests=false", "-fixtures", filepath.Join("..", "..", "fixtures", "alpaca-ai.json")}
	go func() { done <- run(ctx, args, env(nil), io.Discard, &logs, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("exited with %d: %s", code, logs.String())
	}
	out := logs.String()
	for _, want := range []string{`msg="fixtures loaded"`, "key=sk_test_emulator", "entries=6", "env.ALPACA_CUSTOMER_ID=cus_", "fixtures_key=sk_test_emulator"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`name=customer request="POST /v1/customers" status=200 id=(cus_\w+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no customer id in the log:\n%s", out)
	}
	req, err := http.NewRequest("GET", "http://"+addr+"/v1/invoices/upcoming?customer="+m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_emulator", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inv struct {
		Total     int64  `json:"total"`
		AmountDue int64  `json:"amount_due"`
		Customer  string `json:"customer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if inv.Total != 12 || inv.AmountDue != 12 || inv.Customer != m[1] {
		t.Errorf("upcoming invoice: %+v", inv)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}

// A fixtures file that fails stops the emulator before it serves: run returns
// an error code and the log names the file, the entry and Stripe's error.
func TestRunRefusesBadFixtures(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"_meta":{"template_version":0},"fixtures":[{"name":"customer","path":"/v1/customers","method":"post","params":{"name":"Ann"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"_meta":{"template_version":0},"fixtures":[
		{"name":"customer","path":"/v1/customers","method":"post","params":{"name":"John Doe"}},
		{"name":"subscription","path":"/v1/subscriptions","method":"post","params":{"customer":"${customer:id}","items":[{"price":"price_nope"}]}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []string
		want  []string
	}{
		{"failing entry", []string{good, bad}, []string{"not starting", "fixtures file " + bad, `entry \"subscription\" (fixtures[1])`, "No such price: 'price_nope'"}},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, []string{"not starting", "nope.json: no such file or directory"}},
		{"not JSON", []string{filepath.Join("main_test.go")}, []string{"not starting", "invalid JSON at line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			ready := make(chan string, 1)
			args := []string{"-addr", "127.0.0.1:0", "-log-requests=false"}
			for _, f := range tt.files {
				args = append(args, "-fixtures", f)
			}
			if code := run(context.Background(), args, env(nil), io.Discard, &logs, ready); code == 0 {
				t.Fatalf("exit 0 with a bad fixtures file:\n%s", logs.String())
			}
			select {
			case addr := <-ready:
				t.Errorf("served on %s before failing", addr)
			default:
			}
			for _, want := range tt.want {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
			}
			if strings.Contains(logs.String(), "listening") {
				t.Errorf("logged listening:\n%s", logs.String())
			}
		})
	}
}

// ${.env:VAR} looks in the environment, then in ./.env, as the Stripe CLI does.
func TestFixtureEnv(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".env", []byte("FROM_FILE=file\nBOTH=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := fixtureEnv(env(map[string]string{"FROM_ENV": "env", "BOTH": "env"}))
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{
		{"FROM_ENV", "env", true},
		{"FROM_FILE", "file", true},
		{"BOTH", "env", true},
		{"NOWHERE", "", false},
	} {
		if v, ok := lookup(tt.name); v != tt.want || ok != tt.ok {
			t.Errorf("%s = %q, %v; want %q, %v", tt.name, v, ok, tt.want, tt.ok)
		}
	}
}

func TestRequestHost(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:12111": "127.0.0.1:12111",
		"0.0.0.0:12111":   "127.0.0.1:12111",
		"[::]:80":         "127.0.0.1:80",
		":12111":          "127.0.0.1:12111",
		"[::1]:5":         "[::1]:5",
	} {
		if got := requestHost(in); got != want {
			t.Errorf("requestHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// startRun runs the emulator with args until the returned stop is called; stop
// returns the exit code.
func startRun(t *testing.T, args ...string) (addr string, logs *syncBuffer, stop func() int) {
	t.Helper()
	return runUntilReady(t, append([]string{"-addr", "127.0.0.1:0", "-log-requests=false"}, args...), nil)
}

func call(t *testing.T, method, url, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_state", "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// -state-file keeps an account across a restart; a damaged file stops the
// emulator, which leaves it as it was.
func TestRunKeepsStateInAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.jsonl")
	addr, logs, stop := startRun(t, "-state-file", path, "-state-interval", "50ms")
	if !strings.Contains(logs.String(), "no state file yet") {
		t.Errorf("log: %s", logs.String())
	}
	cus := call(t, "POST", "http://"+addr+"/v1/customers", "name=Kept")["id"].(string)
	time.Sleep(200 * time.Millisecond) // a periodic save or two
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file while running: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, logs.String())
	}

	addr, logs, stop = startRun(t, "-state-file", path)
	if !strings.Contains(logs.String(), "state loaded") {
		t.Errorf("log: %s", logs.String())
	}
	if got := call(t, "GET", "http://"+addr+"/v1/customers/"+cus, ""); got["name"] != "Kept" {
		t.Errorf("after a restart: %v", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// A damaged file: refused, and left as it is.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x20
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	if code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-state-file", path}, env(nil), io.Discard, &out, nil); code != 1 {
		t.Errorf("a damaged state file: exit %d", code)
	}
	if !strings.Contains(out.String(), "not starting") || !strings.Contains(out.String(), path) {
		t.Errorf("log: %s", out.String())
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, raw) {
		t.Error("the damaged file was changed")
	}
}

func TestParseConfigState(t *testing.T) {
	cfg, err := parseConfig("x", nil, env(map[string]string{"STRIPE_EMULATOR_STATE_FILE": "s.jsonl", "STRIPE_EMULATOR_STATE_INTERVAL": "5s"}), io.Discard)
	if err != nil || cfg.stateFile != "s.jsonl" || cfg.stateInterval != 5*time.Second {
		t.Errorf("env: %+v %v", cfg, err)
	}
	cfg, err = parseConfig("x", []string{"-state-file", "t.jsonl", "-state-interval", "0"}, env(map[string]string{"STRIPE_EMULATOR_STATE_FILE": "s.jsonl"}), io.Discard)
	if err != nil || cfg.stateFile != "t.jsonl" || cfg.stateInterval != 0 {
		t.Errorf("flags win: %+v %v", cfg, err)
	}
	if cfg, _ := parseConfig("x", nil, env(nil), io.Discard); cfg.stateFile != "" || cfg.stateInterval != 30*time.Second {
		t.Errorf("defaults: %+v", cfg)
	}
	for _, bad := range [][]string{{"-state-interval", "-1s"}, {"-state-interval", "soon"}} {
		if _, err := parseConfig("x", bad, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := parseConfig("x", nil, env(map[string]string{"STRIPE_EMULATOR_STATE_INTERVAL": "x"}), io.Discard); err == nil {
		t.Error("bad STRIPE_EMULATOR_STATE_INTERVAL accepted")
	}
}

// An idle emulator does not rewrite its state file every -state-interval:
// the file is replaced (a new inode) only after a change.
func TestRunSkipsIdleStateSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.jsonl")
	addr, logs, stop := startRun(t, "-state-file", path, "-state-interval", "20ms")
	stat := func() os.FileInfo {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	saved := stat() // the save at start
	time.Sleep(200 * time.Millisecond)
	if !os.SameFile(saved, stat()) {
		t.Fatal("an idle emulator rewrote its state file")
	}
	call(t, "POST", "http://"+addr+"/v1/customers", "name=Changed")
	deadline := time.Now().Add(5 * time.Second)
	for os.SameFile(saved, stat()) {
		if time.Now().After(deadline) {
			t.Fatal("no save after a change")
		}
		time.Sleep(10 * time.Millisecond)
	}
	saved = stat()
	time.Sleep(200 * time.Millisecond)
	if !os.SameFile(saved, stat()) {
		t.Error("saved again with nothing new")
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, logs.String())
	}
}

func TestParseConfigBounds(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		env      map[string]string
		accounts int
		idem     int64
		events   int64
		wantErr  string
	}{
		{"defaults", nil, nil, 100_000, 1 << 30, 1 << 30, ""},
		{"flags", []string{"-max-accounts", "5", "-idempotency-max-bytes", "512MiB", "-events-max-bytes", "64MiB"}, nil, 5, 512 << 20, 64 << 20, ""},
		{"env", nil, map[string]string{"STRIPE_EMULATOR_MAX_ACCOUNTS": "0", "STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES": "1048576", "STRIPE_EMULATOR_EVENTS_MAX_BYTES": "2GiB"}, 0, 1 << 20, 2 << 30, ""},
		{"flags beat env", []string{"-idempotency-max-bytes=2GiB", "-events-max-bytes=3KiB"}, map[string]string{"STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES": "1KiB", "STRIPE_EMULATOR_EVENTS_MAX_BYTES": "1KiB"}, 100_000, 2 << 30, 3 << 10, ""},
		{"negative accounts", []string{"-max-accounts", "-1"}, nil, 0, 0, 0, "-max-accounts must not be negative"},
		{"bad accounts env", nil, map[string]string{"STRIPE_EMULATOR_MAX_ACCOUNTS": "many"}, 0, 0, 0, "STRIPE_EMULATOR_MAX_ACCOUNTS"},
		{"bad size", []string{"-idempotency-max-bytes", "1GB"}, nil, 0, 0, 0, "is not a size in bytes"},
		{"zero size", []string{"-idempotency-max-bytes", "0"}, nil, 0, 0, 0, "is not a size in bytes"},
		{"bad size env", nil, map[string]string{"STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES": "-5MiB"}, 0, 0, 0, "STRIPE_EMULATOR_IDEMPOTENCY_MAX_BYTES"},
		{"bad events size", []string{"-events-max-bytes", "lots"}, nil, 0, 0, 0, "is not a size in bytes"},
		{"bad events env", nil, map[string]string{"STRIPE_EMULATOR_EVENTS_MAX_BYTES": "0"}, 0, 0, 0, "STRIPE_EMULATOR_EVENTS_MAX_BYTES"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig("x", tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || cfg.maxAccounts != tt.accounts || cfg.idemMaxBytes != tt.idem || cfg.eventsMaxBytes != tt.events {
				t.Errorf("max accounts %d, idempotency bytes %d, events bytes %d, %v", cfg.maxAccounts, cfg.idemMaxBytes, cfg.eventsMaxBytes, err)
			}
		})
	}
}

func TestParseConfigAPIVersion(t *testing.T) {
	for _, tt := range []struct {
		name, want, wantErr string
		args                []string
		env                 map[string]string
	}{
		{name: "default", want: "2024-06-20"},
		{name: "flag", args: []string{"-api-version", "2025-03-31.basil"}, want: "2025-03-31.basil"},
		{name: "env", env: map[string]string{"STRIPE_EMULATOR_API_VERSION": "2026-10-28.endive"}, want: "2026-10-28.endive"},
		{name: "flag beats env", args: []string{"-api-version=2024-09-30.acacia"}, env: map[string]string{"STRIPE_EMULATOR_API_VERSION": "2026-10-28.endive"}, want: "2024-09-30.acacia"},
		{name: "not a version", args: []string{"-api-version", "2025-09-30.acacia"}, wantErr: `-api-version must be a Stripe API version the emulator serves, 2024-06-20 … 2026-10-28.endive, not "2025-09-30.acacia"`},
		{name: "bad env", env: map[string]string{"STRIPE_EMULATOR_API_VERSION": "latest"}, wantErr: `not "latest"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if cfg, ok := parseCase(t, tt.args, tt.env, tt.wantErr); ok && cfg.apiVersion != tt.want {
				t.Errorf("api version %q, want %q", cfg.apiVersion, tt.want)
			}
		})
	}
}

// -api-version is the version a request without a Stripe-Version header is
// served at, and what the listening line says; a bad one stops the binary.
func TestRunServesTheDefaultAPIVersion(t *testing.T) {
	addr, logs, stop := runUntilReady(t, []string{"-addr", "127.0.0.1:0", "-api-version", "2025-03-31.basil"}, nil)
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/customers", nil)
	req.Header.Set("Authorization", "Bearer sk_test_default_version")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Stripe-Version") != "2025-03-31.basil" {
		t.Errorf("a request without a version: %d, Stripe-Version %q", resp.StatusCode, resp.Header.Get("Stripe-Version"))
	}
	if !strings.Contains(logs.String(), "api_version=2025-03-31.basil") {
		t.Errorf("the listening line does not name the default version: %s", logs.String())
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"-api-version", "2099-01-01"}, env(nil), io.Discard, &stderr, nil); code != 2 || !strings.Contains(stderr.String(), "-api-version") {
		t.Errorf("a bad -api-version: exit %d, %s", code, stderr.String())
	}
}
