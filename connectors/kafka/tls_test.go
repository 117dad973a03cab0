package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicehq/sluice/flows/plugin/plugintest"
)

// selfSigned returns a CA-signed server certificate for 127.0.0.1 and the
// CA's PEM.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sluice test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
}

func TestProduceTLS(t *testing.T) {
	cert, caPEM := selfSigned(t)
	_, addr := fakeCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	env := plugintest.New(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, []byte(caPEM), 0o600)
	for name, p := range map[string]map[string]any{
		"inline PEM":    props(addr, "security.protocol", "SSL", "ssl.truststore.certificates", caPEM),
		"PEM file":      props(addr, "security.protocol", "SSL", "ssl.truststore.location", caFile, "ssl.truststore.type", "PEM"),
		"no host check": props(addr, "security.protocol", "SSL", "ssl.truststore.certificates", caPEM, "ssl.endpoint.identification.algorithm", ""),
	} {
		out, err := env.Run(&Produce{Properties: p, Topic: "t", From: map[string]any{"value": "x"}}, "produce")
		if err != nil || out["messagesCount"] != int64(1) {
			t.Fatalf("%s: %v %v", name, out, err)
		}
	}
	// Without the CA the server is not trusted: a clear failure, at once
	// (well before the delivery timeout: retrying does not help).
	_, err := env.Run(&Produce{Properties: props(addr, "security.protocol", "SSL", "delivery.timeout.ms", "120000"), Topic: "t", From: map[string]any{"value": "x"}}, "produce")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server: %v", err)
	}
}
