package serde

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/internal/rows"
)

const moneyProto = `syntax = "proto3";
package shop.money;
message Money { string currency = 1; int64 cents = 2; }
`

const itemProto = `syntax = "proto3";
package shop;
import "money.proto";
import "google/protobuf/timestamp.proto";
message Item { int64 id = 1; shop.money.Money price = 2; google.protobuf.Timestamp at = 3; }
message Box { message Inner { string name = 1; } Inner inner = 1; }
`

// Confluent's KafkaProtobufSerializer layout: magic byte 0, the 4-byte
// schema ID, the message-index array ([0] as one 0 byte), the message;
// imports are schema references registered under their own subjects.
func TestProtobufSerializer(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	srv.Register("money.proto", "PROTOBUF", moneyProto)
	props, _ := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	refs := []registry.Reference{{Name: "money.proto", Subject: "money.proto", Version: 1}}
	s, err := New(Config{Type: Protobuf, Schema: itemProto, References: refs, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	v := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(5), rows.String("price"), rows.MapOf([]rows.Value{rows.String("currency"), rows.String("EUR"), rows.String("cents"), rows.Int(250)}),
		rows.String("at"), rows.TimestampTZ(1_000_001, 0)})
	out, _, err := s.Append(ctx, nil, "items", v)
	if err != nil {
		t.Fatal(err)
	}
	if id := binary.BigEndian.Uint32(out[1:5]); id != 2 {
		t.Fatalf("schema id %d, want 2 (after money.proto)", id)
	}
	// 00 = [0]; then id=5, price{EUR, 250}, at{1 s, 1000 ns}.
	if out[0] != 0 || hex.EncodeToString(out[5:]) != "00"+"0805"+"1208"+"0a03455552"+"10fa01"+"1a05"+"0801"+"10e807" {
		t.Fatalf("bytes %x", out)
	}
	d, _ := NewDeserializer(Protobuf, props.Client)
	back, err := d.Value(ctx, "items", out)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(v) {
		t.Fatalf("back %s want %s", back, v)
	}

	// A nested message: its index path, and RecordNameStrategy names the
	// subject after it.
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "value.subject.name.strategy": "RecordNameStrategy"})
	s, _ = New(Config{Type: Protobuf, Schema: itemProto, References: refs, Message: "Inner", Registry: props.For(false)})
	out, _, err = s.Append(ctx, nil, "boxes", rows.MapOf([]rows.Value{rows.String("name"), rows.String("n")}))
	if err != nil {
		t.Fatal(err)
	}
	// [1, 0] = count 2, indexes 1 and 0 as zig-zag varints.
	if hex.EncodeToString(out[5:8]) != "040200" {
		t.Fatalf("indexes %x", out[5:])
	}
	found := false
	for _, sub := range srv.Subjects() {
		found = found || sub == "shop.Box.Inner"
	}
	if !found {
		t.Fatalf("subjects %v", srv.Subjects())
	}
	if back, err := d.Value(ctx, "boxes", out); err != nil || !back.Equal(rows.MapOf([]rows.Value{rows.String("name"), rows.String("n")})) {
		t.Fatalf("nested back %s %v", back, err)
	}

	// use.latest.version without a local schema, and a refused value.
	srv.Register("latest-value", "PROTOBUF", moneyProto)
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "use.latest.version": "true"})
	s, err = New(Config{Type: Protobuf, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err = s.Append(ctx, nil, "latest", rows.MapOf([]rows.Value{rows.String("cents"), rows.Int(1)})); err != nil || hex.EncodeToString(out[5:]) != "001001" {
		t.Fatalf("latest %x %v", out, err)
	}
	if _, _, err := s.Append(ctx, nil, "latest", rows.MapOf([]rows.Value{rows.String("cents"), rows.String("x")})); err == nil || !strings.Contains(err.Error(), `field "cents"`) {
		t.Fatalf("bad value: %v", err)
	}
	// Without the reference the import is missing, clearly.
	s, _ = New(Config{Type: Protobuf, Schema: itemProto, Registry: RegistryConfig{Client: props.Client, AutoRegister: true}})
	if _, _, err := s.Append(ctx, nil, "x", v); err == nil || !strings.Contains(err.Error(), `import "money.proto" is not among the schema's references`) {
		t.Fatalf("missing reference: %v", err)
	}
	if _, err := New(Config{Type: Protobuf, Schema: itemProto}); err == nil {
		t.Fatal("no registry accepted")
	}
	if _, err := d.Value(ctx, "x", []byte{0, 0, 0, 0, 1, 0x80}); err == nil {
		t.Fatal("truncated indexes accepted")
	}
}
