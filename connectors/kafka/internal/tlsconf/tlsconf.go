// Package tlsconf builds a tls.Config from Kafka's Java-style ssl.*
// properties: trust and key material in PEM (inline, as
// ssl.truststore.certificates / ssl.keystore.certificate.chain +
// ssl.keystore.key, or in files named by ssl.*.location with type PEM) or
// PKCS#12 files. JKS stores cannot be read outside the JVM; the error says
// how to convert them.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/pkcs12"
)

// Keys are the property names (after the prefix) this package reads.
var Keys = []string{
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates",
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
	"ssl.keystore.certificate.chain", "ssl.keystore.key",
	"ssl.endpoint.identification.algorithm", "ssl.protocol", "ssl.enabled.protocols",
}

// Uses reports whether any ssl.* key (after prefix) is set.
func Uses(props map[string]string, prefix string) bool {
	for _, k := range Keys {
		if _, ok := props[prefix+k]; ok {
			return true
		}
	}
	return false
}

// Build returns the TLS configuration described by the properties under
// prefix ("" for Kafka, "schema.registry." for the registry). With no trust
// material the system roots are used.
func Build(props map[string]string, prefix string) (*tls.Config, error) {
	get := func(k string) string { return strings.TrimSpace(props[prefix+k]) }
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}

	// Trust.
	var pool *x509.CertPool
	switch {
	case get("ssl.truststore.certificates") != "":
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(get("ssl.truststore.certificates"))) {
			return nil, fmt.Errorf("%sssl.truststore.certificates: no PEM certificate found", prefix)
		}
	case get("ssl.truststore.location") != "":
		data, err := readStore(get("ssl.truststore.location"))
		if err != nil {
			return nil, fmt.Errorf("%sssl.truststore.location: %w", prefix, err)
		}
		certs, err := trustCerts(data, get("ssl.truststore.type"), get("ssl.truststore.password"))
		if err != nil {
			return nil, fmt.Errorf("%sssl.truststore.location: %w", prefix, err)
		}
		pool = x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	cfg.RootCAs = pool

	// Client key.
	switch {
	case get("ssl.keystore.certificate.chain") != "" || get("ssl.keystore.key") != "":
		if get("ssl.keystore.certificate.chain") == "" || get("ssl.keystore.key") == "" {
			return nil, fmt.Errorf("%sssl.keystore.certificate.chain and %sssl.keystore.key go together", prefix, prefix)
		}
		cert, err := tls.X509KeyPair([]byte(get("ssl.keystore.certificate.chain")), []byte(get("ssl.keystore.key")))
		if err != nil {
			return nil, fmt.Errorf("%sssl.keystore.key: %w (encrypted PEM keys are not supported: decrypt it with openssl pkey)", prefix, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case get("ssl.keystore.location") != "":
		data, err := readStore(get("ssl.keystore.location"))
		if err != nil {
			return nil, fmt.Errorf("%sssl.keystore.location: %w", prefix, err)
		}
		pw := get("ssl.keystore.password")
		if kp := get("ssl.key.password"); kp != "" && pw == "" {
			pw = kp
		}
		cert, err := keyPair(data, get("ssl.keystore.type"), pw)
		if err != nil {
			return nil, fmt.Errorf("%sssl.keystore.location: %w", prefix, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}

	if p := get("ssl.enabled.protocols"); p != "" {
		if !strings.Contains(p, "TLSv1.2") && strings.Contains(p, "TLSv1.3") {
			cfg.MinVersion = tls.VersionTLS13
		}
	}

	// ssl.endpoint.identification.algorithm="" turns host-name checks off
	// (the chain is still verified), as in Java.
	if alg, set := props[prefix+"ssl.endpoint.identification.algorithm"]; set && strings.TrimSpace(alg) == "" {
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return cfg, nil
}

// readStore reads a store file. Kestra's Kafka tasks take the file's
// content base64-encoded in the .location property; that form is accepted
// when no file of that name exists.
func readStore(loc string) ([]byte, error) {
	data, err := os.ReadFile(loc)
	if err == nil {
		return data, nil
	}
	if b, derr := base64.StdEncoding.DecodeString(strings.ReplaceAll(loc, "\n", "")); derr == nil && len(b) > 0 {
		return b, nil
	}
	return nil, err
}

func storeType(typ string, data []byte) string {
	typ = strings.ToUpper(typ)
	if typ == "" {
		switch {
		case strings.Contains(string(data), "-----BEGIN"):
			typ = "PEM"
		case len(data) >= 4 && data[0] == 0xfe && data[1] == 0xed && data[2] == 0xfe && data[3] == 0xed:
			typ = "JKS"
		default:
			typ = "PKCS12"
		}
	}
	return typ
}

var errJKS = errors.New("JKS stores cannot be read by sluice: convert with `keytool -importkeystore -srcstoretype JKS -deststoretype PKCS12` or export PEM")

func trustCerts(data []byte, typ, password string) ([]*x509.Certificate, error) {
	switch storeType(typ, data) {
	case "PEM":
		var out []*x509.Certificate
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return nil, errors.New("no PEM certificate found")
		}
		return out, nil
	case "JKS":
		return nil, errJKS
	case "PKCS12":
		blocks, err := pkcs12.ToPEM(data, password)
		if err != nil {
			return nil, fmt.Errorf("PKCS#12: %w (a truststore made by keytool may hold only trusted-certificate entries, which Go cannot read: export them as PEM)", err)
		}
		var out []*x509.Certificate
		for _, b := range blocks {
			if b.Type == "CERTIFICATE" {
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, err
				}
				out = append(out, c)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown store type %q (PEM, PKCS12)", typ)
}

func keyPair(data []byte, typ, password string) (tls.Certificate, error) {
	switch storeType(typ, data) {
	case "PEM":
		// One file holding the chain and the key.
		return tls.X509KeyPair(data, data)
	case "JKS":
		return tls.Certificate{}, errJKS
	case "PKCS12":
		blocks, err := pkcs12.ToPEM(data, password)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("PKCS#12: %w", err)
		}
		var pemData []byte
		for _, b := range blocks {
			pemData = append(pemData, pem.EncodeToMemory(b)...)
		}
		return tls.X509KeyPair(pemData, pemData)
	}
	return tls.Certificate{}, fmt.Errorf("unknown store type %q (PEM, PKCS12)", typ)
}
