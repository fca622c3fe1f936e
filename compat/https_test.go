package compat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v79"
	"github.com/stripe/stripe-go/v79/client"
)

var httpsRE = regexp.MustCompile(`msg="serving HTTPS" addr=\S+ url=(\S+) protocols=\S+ certificate=(?:"self-signed \(made at start\)" sha256=([0-9a-f]{64})|(\S+))`)

// protocols records the protocol of every response a client received.
type protocols struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (p *protocols) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err == nil {
		alpn := "no TLS"
		if resp.TLS != nil {
			alpn = resp.TLS.NegotiatedProtocol
		}
		p.mu.Lock()
		p.seen = append(p.seen, resp.Proto+" "+alpn)
		p.mu.Unlock()
	}
	return resp, err
}

// allHTTP2 fails unless every response came over HTTP/2 negotiated by TLS.
func (p *protocols) allHTTP2(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) == 0 {
		t.Fatal("no response")
	}
	for i, s := range p.seen {
		if s != "HTTP/2.0 h2" {
			t.Fatalf("response %d of %d came over %q, not HTTP/2", i+1, len(p.seen), s)
		}
	}
}

// httpsClient is a stripe-go v79 client for url over TLS, HTTP/2 forced on
// (a custom TLS config turns net/http's automatic HTTP/2 off), recording the
// protocols.
func httpsClient(url, key string, tlsConf *tls.Config) (*client.API, *protocols) {
	rec := &protocols{next: &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true}}
	return client.New(key, stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:           stripe.String(url),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		HTTPClient:    &http.Client{Timeout: 30 * time.Second, Transport: rec},
	})), rec
}

// -https-addr serves HTTPS with HTTP/2 beside HTTP, as stripe-mock does on
// 12112: stripe-go v79 runs the Alpaca AI walkthrough, an error and a list
// over it, each response over HTTP/2.
// httpsLine is the emulator's "serving HTTPS" log line, matched by httpsRE
// (nil if none within 10 s): start returns at the "listening" line, which the
// HTTPS line may follow.
func httpsLine(t *testing.T, e *emulator) []string {
	var m []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m = httpsRE.FindStringSubmatch(e.logs.String()); m != nil {
			break
		}
	}
	return m
}

func TestHTTPSWithHTTP2(t *testing.T) {
	t.Run("a self-signed certificate made at start", func(t *testing.T) {
		e := start(t, "-https-addr", "127.0.0.1:0", "-log-requests=false")
		m := httpsLine(t, e)
		if m == nil || m[2] == "" {
			t.Fatalf("no HTTPS line with a fingerprint:\n%s", e.logs.String())
		}
		url, pin := m[1], m[2]
		// As stripe-mock's users do, skip the chain check, but pin the
		// certificate the log names.
		sc, rec := httpsClient(url, "sk_test_https", &tls.Config{
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if sum := sha256.Sum256(cs.PeerCertificates[0].Raw); hex.EncodeToString(sum[:]) != pin {
					return errors.New("not the certificate the log names")
				}
				return nil
			},
		})
		alpacaWalkthrough(t, sc)
		_, err := sc.Customers.Get("cus_missing", nil)
		var se *stripe.Error
		if !errors.As(err, &se) || se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
			t.Fatalf("a missing customer over HTTPS: %v", err)
		}
		it := sc.Customers.List(&stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(1)}})
		n := 0
		for it.Next() {
			n++
		}
		if it.Err() != nil || n != 3 { // the walkthrough's three customers, a page each
			t.Fatalf("listed %d customers: %v", n, it.Err())
		}
		rec.allHTTP2(t)
	})
	t.Run("a certificate and key given", func(t *testing.T) {
		certFile, keyFile, pool := writeCertificate(t)
		e := start(t, "-https-addr", "127.0.0.1:0", "-tls-cert", certFile, "-tls-key", keyFile, "-log-requests=false")
		m := httpsLine(t, e)
		if m == nil || m[3] != certFile {
			t.Fatalf("no HTTPS line naming %s:\n%s", certFile, e.logs.String())
		}
		sc, rec := httpsClient(m[1], "sk_test_https", &tls.Config{RootCAs: pool}) // verified in full
		c, err := sc.Customers.New(&stripe.CustomerParams{Name: stripe.String("Over TLS")})
		if err != nil {
			t.Fatal(err)
		}
		// Plain HTTP still answers, with the same account.
		if got, err := e.client("sk_test_https").Customers.Get(c.ID, nil); err != nil || got.Name != "Over TLS" {
			t.Fatalf("over HTTP: %v %+v", err, got)
		}
		rec.allHTTP2(t)
	})
}

// writeCertificate writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files, and returns a pool that trusts it.
func writeCertificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
