package server

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe-emulator/stripe-emulator/internal/h1"
	"github.com/stripe-emulator/stripe-emulator/internal/testnote"
	"github.com/stripe-emulator/stripe-emulator/server/clock"
)

var soakFor = flag.Duration("soak", 60*time.Second, "how long TestSoak runs its mixed traffic")

// soakClient sends form requests to the emulator over loopback.
type soakClient struct {
	base string
	key  string
	// http carries the traffic; large the requests whose header is too large
	// for internal/h1, on connections of their own (a connection one is sent on
	// is handed to net/http for good).
	http, large *http.Client
	fivexx      atomic.Int64
	calls       atomic.Int64
}

// soakTransport is a transport of the soak's client for a front end that
// closes a connection idle for idle, or connected and not yet used for
// readHeader (as net/http's server does; zero: never): it drops its own idle
// connections at half the shorter. A request sent on a connection just as
// the server closes it fails (EOF), and Go's Transport sends it again only
// when it may (no body, or an Idempotency-Key): the race is HTTP/1.1's, in
// net/http's server too (TestSoakClientDropsIdleConnectionsFirst), and a
// client avoids it by giving up an idle connection before the server does.
// Go's Transport keeps one it dialed for a request another connection served
// (TestSoak's burst of 32 starts leaves several), so readHeader counts.
func soakTransport(readHeader, idle time.Duration) *http.Transport {
	var limit time.Duration
	for _, d := range []time.Duration{readHeader, idle} {
		if d > 0 && (limit == 0 || d < limit) {
			limit = d
		}
	}
	return &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: limit / 2}
}

// do sends a request on the shared connections.
func (sc *soakClient) do(method, path string, form url.Values, hdr ...string) (int, []byte, error) {
	return sc.send(sc.http, method, path, form, hdr...)
}

// send sends a request with client; the answer is decoded only for the
// callers that read it (the test's client must not be what limits the
// traffic).
func (sc *soakClient) send(client *http.Client, method, path string, form url.Values, hdr ...string) (int, []byte, error) {
	var body io.Reader
	if form != nil && method != "GET" {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		path += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, sc.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+sc.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	var conn httptrace.GotConnInfo
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn = i }}))
	resp, err := client.Do(req)
	if err != nil {
		if conn.Conn != nil { // what tells a connection the server closed from a request it dropped
			err = fmt.Errorf("%w (on a connection reused %v, idle %v)", err, conn.Reused, conn.IdleTime.Round(time.Millisecond))
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	sc.calls.Add(1)
	if resp.StatusCode >= 500 {
		sc.fivexx.Add(1)
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, raw, nil
}

func decoded(raw []byte) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// TestSoak runs mixed traffic at saturation from many goroutines for -soak
// (60 s by default; skipped with -short) against an emulator on loopback, then
// checks: no 5xx at all; every meter event the emulator accepted counted
// exactly once (duplicates and retries included), against the summaries; no
// goroutine left behind; and the heap back near where it started once the
// account is reset.
func TestSoak(t *testing.T) {
	if testing.Short() {
		testnote.Skip(t, "-short: the 60 s soak test does not run")
	}
	clk := clock.NewManual(t0)
	srv, err := New(Options{Clock: clk, TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// Served as the binary serves it: through the HTTP/1.1 front end.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, Fallback: &http.Server{Handler: srv}, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- front.Serve(ln) }()
	defer func() {
		if err := front.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != h1.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
	}()
	// The client drops its idle connections before the front end would close
	// them (soakTransport). Keeping them, one POST in 91,190 once got EOF: the
	// server closing an idle connection as the client sent on it, so far as
	// could be told (it did not recur in two dozen runs of 20-30 s, under
	// -race and load; the race itself is in
	// TestSoakClientDropsIdleConnectionsFirst, net/http's server has it too).
	tr := soakTransport(front.ReadHeaderTimeout, front.IdleTimeout)
	largeTr := soakTransport(front.ReadHeaderTimeout, front.IdleTimeout)
	sc := &soakClient{base: "http://" + ln.Addr().String(), key: "sk_test_soak",
		http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, large: &http.Client{Transport: largeTr, Timeout: 30 * time.Second}}
	closeIdle := func() { tr.CloseIdleConnections(); largeTr.CloseIdleConnections() }

	must := func(status int, raw []byte, err error) map[string]any {
		t.Helper()
		if err != nil || status != 200 {
			t.Fatalf("setup: %d %s %v", status, raw, err)
		}
		return decoded(raw)
	}
	meter := must(sc.do("POST", "/v1/billing/meters", url.Values{"display_name": {"Tokens"}, "event_name": {"soak_tokens"},
		"default_aggregation[formula]": {"sum"}, "customer_mapping[type]": {"by_id"},
		"customer_mapping[event_payload_key]": {"stripe_customer_id"}, "value_settings[event_payload_key]": {"value"}}))["id"].(string)
	price := must(sc.do("POST", "/v1/prices", url.Values{"currency": {"usd"}, "unit_amount": {"4"}, "product_data[name]": {"Soak"},
		"transform_quantity[divide_by]": {"1000"}, "transform_quantity[round]": {"up"},
		"recurring[interval]": {"month"}, "recurring[usage_type]": {"metered"}, "recurring[meter]": {meter}}))["id"].(string)
	const customers = 16
	var cus [customers]string
	for i := range cus {
		cus[i] = must(sc.do("POST", "/v1/customers", url.Values{"name": {"Soak"}, "email": {fmt.Sprintf("soak%d@example.com", i)}}))["id"].(string)
		must(sc.do("POST", "/v1/subscriptions", url.Values{"customer": {cus[i]}, "items[0][price]": {price}}))
	}

	runtime.GC()
	goroutinesBefore := runtime.NumGoroutine()
	heapBefore := heapInUse()

	var counted [customers]atomic.Int64 // the value of every accepted meter event
	var errMu sync.Mutex
	var errs []string
	report := func(err error) {
		errMu.Lock()
		if len(errs) < 20 {
			errs = append(errs, err.Error())
		}
		errMu.Unlock()
	}
	deadline := time.Now().Add(*soakFor)
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; time.Now().Before(deadline); i++ {
				c := rng.IntN(customers)
				var err error
				switch op := rng.IntN(12); op {
				case 0, 1, 2, 3: // meter events, some sent twice with one identifier
					v := int64(rng.IntN(1000) + 1)
					id := fmt.Sprintf("w%d-%d", w, i)
					for try := 0; try < 1+rng.IntN(2); try++ {
						var status int
						status, _, err = sc.do("POST", "/v1/billing/meter_events", url.Values{"event_name": {"soak_tokens"}, "identifier": {id},
							"payload[stripe_customer_id]": {cus[c]}, "payload[value]": {fmt.Sprint(v)}})
						if err == nil && status == 200 {
							counted[c].Add(v)
						}
					}
				case 4: // an idempotent create, retried
					key := fmt.Sprintf("idem-%d-%d", w, i)
					for try := 0; try < 2; try++ {
						_, _, err = sc.do("POST", "/v1/customers", url.Values{"name": {"Idem"}}, "Idempotency-Key", key)
					}
				case 5:
					_, _, err = sc.do("GET", "/v1/customers/"+cus[c], nil)
				case 6:
					_, _, err = sc.do("GET", "/v1/customers", url.Values{"limit": {"100"}})
				case 7:
					_, _, err = sc.do("POST", "/v1/customers/"+cus[c], url.Values{"metadata[n]": {fmt.Sprint(i)}})
				case 8:
					_, _, err = sc.do("GET", "/v1/invoices/upcoming", url.Values{"customer": {cus[c]}})
				case 9:
					_, _, err = sc.do("GET", "/v1/customers/search", url.Values{"query": {"email~'soak'"}})
				case 10: // bad input of many kinds
					bad := []url.Values{{"unknown": {"1"}}, {"limit": {"1000"}}, {"email": {strings.Repeat("x", 6000)}}, {"created[gte]": {"-1"}}}
					form, client := bad[rng.IntN(len(bad))], sc.http
					if _, ok := form["email"]; ok {
						// A header over 4 KB: internal/h1 hands its connection to
						// net/http for good. Sent on the shared ones, it moved
						// each to net/http within a few dozen requests, and
						// internal/h1 served under 5% of the soak.
						client = sc.large
					}
					_, _, err = sc.send(client, "GET", "/v1/customers", form)
				case 11:
					_, _, err = sc.do("GET", "/v1/events", url.Values{"limit": {"20"}})
				}
				if err != nil {
					report(err)
				}
			}
		}(w)
	}
	wg.Wait()
	if n := sc.fivexx.Load(); n > 0 {
		t.Errorf("%d responses were 5xx", n)
	}
	if len(errs) > 0 {
		t.Errorf("failures (first %d): %s", len(errs), strings.Join(errs, "\n"))
	}
	t.Logf("%d requests in %v", sc.calls.Load(), *soakFor)

	// Every accepted event counted exactly once.
	for i, id := range cus {
		_, raw, err := sc.do("GET", "/v1/billing/meters/"+meter+"/event_summaries", url.Values{"customer": {id},
			"start_time": {fmt.Sprint(t0.Unix() - 3600)}, "end_time": {fmt.Sprint(t0.Unix() + 3600)}})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := decoded(raw)["data"].([]any)
		got := 0.0
		if len(data) == 1 {
			got = data[0].(map[string]any)["aggregated_value"].(float64)
		}
		if int64(got) != counted[i].Load() {
			t.Errorf("customer %d: summaries say %v, accepted events add up to %d", i, got, counted[i].Load())
		}
	}

	// Nothing left running: the client's idle connections closed, the count returns.
	closeIdle()
	waitFor := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutinesBefore+2 {
		if time.Now().After(waitFor) {
			t.Errorf("goroutines: %d before the traffic, %d after", goroutinesBefore, runtime.NumGoroutine())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A reset gives the memory back.
	heapLoaded := heapInUse()
	if status, _, err := sc.do("POST", "/_emulator/reset", nil); err != nil || status != 200 {
		t.Fatalf("reset: %d %v", status, err)
	}
	closeIdle()
	heapAfter := heapInUse()
	t.Logf("heap: %d MiB before the traffic, %d MiB after it, %d MiB after the reset", heapBefore>>20, heapLoaded>>20, heapAfter>>20)
	if heapAfter > heapBefore+16<<20 {
		t.Errorf("heap after the reset: %d bytes, %d before the traffic", heapAfter, heapBefore)
	}
}

// lateEOFConn is a client's connection whose reader learns that the server
// closed it only after the client wrote to it again: a client that has not
// yet noticed the close when it sends its next request, as under load,
// where the Transport's reader may run well after the server's FIN came.
type lateEOFConn struct {
	net.Conn
	held    chan<- struct{} // told when an EOF is held
	holding atomic.Bool
	release chan struct{}
	once    sync.Once
}

func (c *lateEOFConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF && !c.holding.Swap(true) {
		c.held <- struct{}{}
		<-c.release
	}
	return n, err
}

func (c *lateEOFConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.holding.Load() {
		c.once.Do(func() { close(c.release) })
	}
	return n, err
}

func (c *lateEOFConn) Close() error {
	c.once.Do(func() { close(c.release) })
	return c.Conn.Close()
}

// The soak's client gives up an idle connection before either front end
// closes it, so a POST it sends never meets the close: a client that keeps
// its idle connections gets EOF from internal/h1 and net/http alike when the
// server closes one it then sends on, whether the connection served a
// request (IdleTimeout) or was dialed for one another connection served and
// never used (ReadHeaderTimeout, counted from accept) — TestSoak's failure.
func TestSoakClientDropsIdleConnectionsFirst(t *testing.T) {
	const short, long = 200 * time.Millisecond, 10 * time.Second
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	})
	serve := map[string]func(ln net.Listener, readHeader, idle time.Duration) func(){
		"internal/h1": func(ln net.Listener, readHeader, idle time.Duration) func() {
			s := &h1.Server{Handler: handler, Fallback: &http.Server{Handler: handler}, ReadHeaderTimeout: readHeader, IdleTimeout: idle}
			go func() { _ = s.Serve(ln) }()
			return func() { _ = s.Close() }
		},
		"net/http": func(ln net.Listener, readHeader, idle time.Duration) func() {
			s := &http.Server{Handler: handler, ReadHeaderTimeout: readHeader, IdleTimeout: idle}
			go func() { _ = s.Serve(ln) }()
			return func() { _ = s.Close() }
		},
	}
	type idleConn struct {
		name             string
		readHeader, idle time.Duration
		// leave gets an idle connection into the client's pool, on top.
		leave func(t *testing.T, c *http.Client, base string, dialGate chan struct{}, dialing <-chan struct{})
	}
	get := func(t *testing.T, c *http.Client, url string) {
		resp, err := c.Get(url)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	conns := []idleConn{
		{"kept alive after a request", long, short, func(t *testing.T, c *http.Client, base string, dialGate chan struct{}, _ <-chan struct{}) {
			close(dialGate)
			get(t, c, base+"/first")
		}},
		{"dialed for a request another served", short, long, func(t *testing.T, c *http.Client, base string, dialGate chan struct{}, dialing <-chan struct{}) {
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); get(t, c, base+"/hold") }() // on the first connection
			<-entered
			go func() { defer wg.Done(); get(t, c, base+"/second") }() // dials a second, which waits
			<-dialing
			release <- struct{}{} // the first connection is free: /second takes it
			wg.Wait()
			close(dialGate) // the second connection, never used, goes to the pool
		}},
	}
	for _, front := range []string{"internal/h1", "net/http"} {
		for _, ic := range conns {
			for _, soak := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/a client that keeps it", front, ic.name)
				if soak {
					name = fmt.Sprintf("%s/%s/the soak's client", front, ic.name)
				}
				t.Run(name, func(t *testing.T) {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					defer serve[front](ln, ic.readHeader, ic.idle)()
					tr := &http.Transport{}
					if soak {
						tr = soakTransport(ic.readHeader, ic.idle)
					}
					defer tr.CloseIdleConnections()
					held, dialGate, dialing := make(chan struct{}, 4), make(chan struct{}), make(chan struct{}, 4)
					var dialer net.Dialer
					var dials atomic.Int32
					tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
						if dials.Add(1) == 2 {
							dialing <- struct{}{}
							<-dialGate
						}
						c, err := dialer.DialContext(ctx, network, addr)
						if err != nil {
							return nil, err
						}
						return &lateEOFConn{Conn: c, held: held, release: make(chan struct{})}, nil
					}
					client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
					base := "http://" + ln.Addr().String()
					ic.leave(t, client, base, dialGate, dialing)
					if soak {
						time.Sleep(3 * short) // past the server's timeout
					} else {
						select { // the server closed the idle connection; the client has not noticed
						case <-held:
						case <-time.After(5 * time.Second):
							t.Fatal("the server did not close the idle connection")
						}
					}
					resp, err := client.Post(base+"/post", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
					switch {
					case soak && err != nil:
						t.Fatalf("the soak's client sent on a connection the server closed: %v", err)
					case soak:
						resp.Body.Close()
					case err == nil:
						resp.Body.Close()
						t.Fatal("a POST on a connection the server closed was answered")
					case !errors.Is(err, io.EOF):
						t.Fatalf("a POST on a connection the server closed: %v, want EOF", err)
					}
				})
			}
		}
	}
}
