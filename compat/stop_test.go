package compat

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
)

// SIGTERM with stalled clients, through either front end: one client sent a
// header saying Content-Length: 100 and 8 bytes of body, one never reads its
// responses. The emulator closes them after its grace period, saves its
// state and exits 0 within 15 s (Docker's stop timeout is 10 s).
func TestStopWithStalledClients(t *testing.T) {
	for _, frontEnd := range []string{"fast", "std"} {
		t.Run(frontEnd, func(t *testing.T) {
			t.Parallel()
			state := filepath.Join(t.TempDir(), "state.jsonl")
			e := start(t, "-http", frontEnd, "-state-file", state, "-state-interval", "0", "-log-requests=false")
			const key = "sk_test_stalled"
			sc := e.client(key)
			// Customers big enough that a list of them fills any socket buffer
			// a client that never reads leaves.
			meta := map[string]string{}
			for i := range 50 {
				meta[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", 500)
			}
			var kept string
			for i := range 20 {
				c, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String(fmt.Sprint("big ", i)), Params: stripe.Params{Metadata: meta}})
				if err != nil {
					t.Fatal(err)
				}
				kept = c.ID
			}

			partial, err := net.Dial("tcp", e.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer partial.Close()
			if _, err := io.WriteString(partial, "POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+key+
				"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=abc"); err != nil {
				t.Fatal(err)
			}
			deaf, err := net.Dial("tcp", e.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer deaf.Close()
			if err := deaf.(*net.TCPConn).SetReadBuffer(4096); err != nil {
				t.Fatal(err)
			}
			go func() { // 200 lists of about 520 KB each, never read
				list := "GET /v1/customers?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n\r\n"
				_, _ = io.WriteString(deaf, strings.Repeat(list, 200))
			}()
			time.Sleep(500 * time.Millisecond) // both stall

			began := time.Now()
			if code := e.stop(); code != 0 {
				t.Fatalf("exit %d:\n%s", code, e.logs.String())
			}
			took := time.Since(began)
			logs := e.logs.String()
			for _, want := range []string{`msg="connections still busy after the grace period: closing them"`, `msg="state saved"`, "msg=stopped"} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log lacks %s:\n%s", want, logs)
				}
			}
			if took > 15*time.Second {
				t.Errorf("stopping took %v", took)
			}
			t.Logf("stopped in %v", took.Round(time.Millisecond))

			// The final save holds what was acknowledged before the stop.
			again := start(t, "-state-file", state, "-log-requests=false")
			if c, err := again.client(key).Customers.Get(kept, nil); err != nil || c.Name != "big 19" {
				t.Fatalf("after a restart: %v %+v", err, c)
			}
		})
	}
}
