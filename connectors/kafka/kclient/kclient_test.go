package kclient

import (
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	mod, opts, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p\"w;d" serviceName=kafka;`)
	if err != nil {
		t.Fatal(err)
	}
	if mod != "org.apache.kafka.common.security.plain.PlainLoginModule" || opts["username"] != "alice" || opts["password"] != `p"w;d` || opts["serviceName"] != "kafka" {
		t.Fatalf("%s %v", mod, opts)
	}
	if _, _, err := ParseJAAS("nonsense"); err == nil {
		t.Fatal("accepted")
	}
}

func TestParse(t *testing.T) {
	s, err := Parse(map[string]string{
		"bootstrap.servers": "a:1, b:2", "acks": "all", "compression.type": "zstd", "linger.ms": "5",
		"batch.size": "65536", "delivery.timeout.ms": "3000", "key.serializer": "x", "foo.bar": "1",
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="secret-pw";`,
	}, Producer)
	if err != nil {
		t.Fatal(err)
	}
	if s.DeliveryTimeout.Milliseconds() != 3000 {
		t.Fatalf("delivery timeout %v", s.DeliveryTimeout)
	}
	if len(s.Unknown) != 1 || s.Unknown[0] != "foo.bar" {
		t.Fatalf("unknown %v", s.Unknown)
	}
	if _, ok := s.Ignored["key.serializer"]; !ok {
		t.Fatalf("ignored %v", s.Ignored)
	}
	if strings.Join(s.Secrets, ",") != "secret-pw" {
		t.Fatalf("secrets %v", s.Secrets)
	}
	c, err := Parse(map[string]string{"bootstrap.servers": "a:1", "enable.auto.commit": "true", "auto.offset.reset": "latest", "partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"}, Consumer)
	if err != nil || c.AutoOffsetReset != "latest" || c.Ignored["enable.auto.commit"] == "" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []map[string]string{
		{},
		{"bootstrap.servers": "a:1", "acks": "2"},
		{"bootstrap.servers": "a:1", "acks": "1", "enable.idempotence": "true"},
		{"bootstrap.servers": "a:1", "compression.type": "brotli"},
		{"bootstrap.servers": "a:1", "linger.ms": "soon"},
		{"bootstrap.servers": "a:1", "security.protocol": "SASL_PLAINTEXT"},
		{"bootstrap.servers": "a:1", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI", "sasl.jaas.config": `x required username="a" password="b";`},
		{"bootstrap.servers": "a:1", "security.protocol": "TLS"},
		{"bootstrap.servers": "a:1", "transactional.id": "t", "acks": "1"},
		{"bootstrap.servers": "a:1", "transactional.id": "t", "enable.idempotence": "false"},
		{"bootstrap.servers": "a:1", "transaction.timeout.ms": "x"},
		{"bootstrap.servers": "a:1", "security.protocol": "SSL", "ssl.truststore.certificates": "not pem"},
	} {
		if _, err := Parse(bad, Producer); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	tx, err := Parse(map[string]string{"bootstrap.servers": "a:1", "transactional.id": "t1", "transaction.timeout.ms": "5000", "batch.size": "100", "max.request.size": "2000"}, Producer)
	if err != nil || tx.TransactionalID != "t1" || tx.TransactionTimeout.Milliseconds() != 5000 || tx.MaxRequestSize != 2000 {
		t.Fatalf("%+v %v", tx, err)
	}
	if d, _ := Parse(map[string]string{"bootstrap.servers": "a:1"}, Producer); d.MaxRequestSize != 1<<20 {
		t.Fatalf("default max.request.size %d", d.MaxRequestSize)
	}
	if r, _ := Parse(map[string]string{"bootstrap.servers": "a:1"}, Consumer); !r.ReadCommitted {
		t.Fatal("consumers do not read committed records by default")
	}
	if r, _ := Parse(map[string]string{"bootstrap.servers": "a:1", "isolation.level": "read_uncommitted"}, Consumer); r.ReadCommitted {
		t.Fatal("read_uncommitted ignored")
	}
	// acks=1 turns idempotence off by itself, as in Java.
	if _, err := Parse(map[string]string{"bootstrap.servers": "a:1", "acks": "1"}, Producer); err != nil {
		t.Fatal(err)
	}
}
