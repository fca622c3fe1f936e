package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"time"
)

// tlsCertificate is the HTTPS certificate: -tls-cert and -tls-key when given,
// else a self-signed one made now, valid for a year for localhost,
// 127.0.0.1, ::1 and host (the -https-addr host, when it names one).
func tlsCertificate(c serveConfig, host string, now time.Time) (cert tls.Certificate, generated bool, err error) {
	if c.tlsCert != "" {
		cert, err = tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return cert, false, fmt.Errorf("-tls-cert %s, -tls-key %s: %w", c.tlsCert, c.tlsKey, err)
		}
		return cert, false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, false, fmt.Errorf("making a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return cert, false, fmt.Errorf("making a TLS certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "stripe-emulator"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // it signs itself: a client may trust it as its own root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	} else if ip == nil && host != "" && host != "localhost" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, false, fmt.Errorf("making a TLS certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, true, nil
}

// fingerprint is the SHA-256 of the certificate's leaf, in hex: what a client
// that pins the certificate compares.
func fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// httpsListener is the -https-addr listener and its certificate.
type httpsListener struct {
	ln        net.Listener
	cert      tls.Certificate
	generated bool
	certFile  string
}

// listenTLS listens on c.httpsAddr and gets its certificate.
func listenTLS(c serveConfig, now time.Time) (*httpsListener, error) {
	ln, err := net.Listen("tcp", c.httpsAddr)
	if err != nil {
		return nil, fmt.Errorf("listening on -https-addr %s: %w", c.httpsAddr, err)
	}
	host, _, _ := net.SplitHostPort(c.httpsAddr)
	cert, generated, err := tlsCertificate(c, host, now)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &httpsListener{ln: ln, cert: cert, generated: generated, certFile: c.tlsCert}, nil
}

// logAttrs describe the listener in the start-up log: where, a URL a client
// can use, and which certificate.
func (h *httpsListener) logAttrs() []any {
	addr := h.ln.Addr().String()
	attrs := []any{"addr", addr, "url", "https://" + requestHost(addr), "protocols", "h2,http/1.1"}
	if h.generated {
		return append(attrs, "certificate", "self-signed (made at start)", "sha256", fingerprint(h.cert))
	}
	return append(attrs, "certificate", h.certFile)
}
