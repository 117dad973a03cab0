package serde

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/internal/rows"
)

var ctx = context.Background()

func decimal(t *testing.T, s string) rows.Value {
	t.Helper()
	d, err := rows.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The layouts are those of Kafka's Java serializers
// (org.apache.kafka.common.serialization): IntegerSerializer writes
// (byte)(v>>>24)...(byte)v, FloatSerializer Float.floatToRawIntBits
// big-endian, DoubleSerializer Double.doubleToLongBits big-endian,
// UUIDSerializer uuid.toString() in UTF-8, StringSerializer UTF-8,
// ByteArray/ByteBuffer/Bytes the bytes, VoidSerializer null; Confluent's
// KafkaJsonSerializer writes Jackson's JSON text.
func TestByteLayouts(t *testing.T) {
	cases := []struct {
		typ  Type
		v    rows.Value
		hex  string
		null bool
	}{
		{String, rows.String("héllo"), hex.EncodeToString([]byte("héllo")), false},
		{String, rows.Int(-42), hex.EncodeToString([]byte("-42")), false},
		{String, decimal(t, "10.50"), hex.EncodeToString([]byte("10.50")), false},
		{String, rows.Null, "", true},
		{Integer, rows.Int(0x01020304), "01020304", false},
		{Integer, rows.Int(-1), "ffffffff", false},
		{Integer, rows.Int(math.MinInt32), "80000000", false},
		{Integer, rows.String("258"), "00000102", false},
		{Integer, rows.Null, "", true},
		{Long, rows.Int(0x0102030405060708), "0102030405060708", false},
		{Long, rows.Int(-2), "fffffffffffffffe", false},
		{Short, rows.Int(-2), "fffe", false},
		{Short, rows.Int(0x0102), "0102", false},
		{Float, rows.Float(1), "3f800000", false},
		{Float, rows.Float(-2.5), "c0200000", false},
		{Float, rows.Float(math.Inf(1)), "7f800000", false},
		{Double, rows.Float(1), "3ff0000000000000", false},
		{Double, rows.Float(0), "0000000000000000", false},
		{Double, rows.Float(math.Copysign(0, -1)), "8000000000000000", false},
		{Double, rows.Float(math.Float64frombits(0x7ff0000000000123)), "7ff8000000000000", false}, // doubleToLongBits: canonical NaN
		{Double, rows.Int(3), "4008000000000000", false},
		{ByteArray, rows.Bytes([]byte{0, 1, 0xff}), "0001ff", false},
		{ByteBuffer, rows.Bytes([]byte{0xca, 0xfe}), "cafe", false},
		{Bytes, rows.Bytes([]byte{}), "", false},
		{Bytes, rows.String("ab"), "6162", false},
		{UUID, rows.String("123E4567-E89B-12D3-A456-426614174000"), hex.EncodeToString([]byte("123e4567-e89b-12d3-a456-426614174000")), false},
		{UUID, rows.Bytes([]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}), hex.EncodeToString([]byte("123e4567-e89b-12d3-a456-426614174000")), false},
		{Void, rows.Null, "", true},
		{JSON, rows.MapOf([]rows.Value{rows.String("a"), rows.Int(1), rows.String("b"), rows.List([]rows.Value{rows.Bool(true), rows.Null})}), hex.EncodeToString([]byte(`{"a":1,"b":[true,null]}`)), false},
		{JSON, rows.String("x"), hex.EncodeToString([]byte(`"x"`)), false},
		{JSON, decimal(t, "1.10"), hex.EncodeToString([]byte(`1.10`)), false},
		{JSON, rows.Null, "", true},
	}
	for _, c := range cases {
		s, err := New(Config{Type: c.typ})
		if err != nil {
			t.Fatal(err)
		}
		got, null, err := s.Append(ctx, []byte{}, "t", c.v)
		if err != nil {
			t.Errorf("%s %s: %v", c.typ, c.v, err)
			continue
		}
		if null != c.null || hex.EncodeToString(got) != c.hex {
			t.Errorf("%s %s: got %x null=%v, want %s null=%v", c.typ, c.v, got, null, c.hex, c.null)
			continue
		}
		if c.null {
			continue
		}
		// The deserializer of the same type reads the bytes back.
		d, err := NewDeserializer(c.typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := d.Value(ctx, "t", got)
		if err != nil {
			t.Errorf("%s: deserializing %x: %v", c.typ, got, err)
			continue
		}
		again, _, err := s.Append(ctx, nil, "t", back)
		if err != nil || hex.EncodeToString(again) != c.hex {
			t.Errorf("%s: deserialized %s re-serializes to %x (%v)", c.typ, back, again, err)
		}
	}
}

func TestSerializerErrors(t *testing.T) {
	cases := []struct {
		typ  Type
		v    rows.Value
		want string
	}{
		{Integer, rows.Int(1 << 31), "out of the range of a 32-bit integer"},
		{Short, rows.Int(40000), "out of the range of a 16-bit integer"},
		{Long, decimal(t, "1.5"), "1.5 is not an integer"},
		{Integer, rows.String("x"), `"x" is not an integer`},
		{Float, rows.Float(1e300), "out of the range of a 32-bit float"},
		{UUID, rows.String("nope"), "is not a UUID"},
		{Void, rows.Int(1), "only null"},
		{Bytes, rows.Int(1), "is not bytes"},
	}
	for _, c := range cases {
		s, _ := New(Config{Type: c.typ})
		if _, _, err := s.Append(ctx, nil, "t", c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want %q", c.typ, c.v, err, c.want)
		}
	}
	if _, err := ParseType("avro"); err != nil {
		t.Error(err)
	}
	if _, err := ParseType("XML"); err == nil {
		t.Error("XML accepted")
	}
	for _, bad := range []struct {
		typ Type
		b   []byte
	}{{Integer, []byte{1, 2}}, {Long, []byte{1}}, {Void, []byte{1}}, {UUID, []byte("zz")}, {JSON, []byte("{")}} {
		d, _ := NewDeserializer(bad.typ, nil)
		if _, err := d.Value(ctx, "t", bad.b); err == nil {
			t.Errorf("%s deserializer accepted %x", bad.typ, bad.b)
		}
	}
}

func TestRows(t *testing.T) {
	sc := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "name"}}}
	r := rows.Row{Values: []rows.Value{rows.Int(1), rows.String("a\"b")}}
	j, _ := New(Config{Type: JSON})
	got, _, err := j.AppendRow(ctx, nil, "t", sc, &r)
	if err != nil || string(got) != `{"id":1,"name":"a\"b"}` {
		t.Fatalf("JSON row: %s %v", got, err)
	}
	s, _ := New(Config{Type: String})
	if got, _, _ := s.AppendRow(ctx, nil, "t", sc, &r); string(got) != `{"id":1,"name":"a\"b"}` {
		t.Fatalf("STRING row: %s", got)
	}
	i, _ := New(Config{Type: Integer})
	if _, _, err := i.AppendRow(ctx, nil, "t", sc, &r); err == nil || !strings.Contains(err.Error(), "2 columns (id, name)") {
		t.Fatalf("INTEGER row of 2 columns: %v", err)
	}
	one := &rows.Schema{Fields: []rows.Field{{Name: "n"}}}
	if got, _, err := i.AppendRow(ctx, nil, "t", one, &rows.Row{Values: []rows.Value{rows.Int(7)}}); err != nil || hex.EncodeToString(got) != "00000007" {
		t.Fatalf("INTEGER row of one column: %x %v", got, err)
	}
}

const orderSchema = `{"type":"record","name":"Order","namespace":"com.acme","fields":[
  {"name":"id","type":"long"},
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}]}`

func TestAvroWireFormat(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	props, err := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy", "nope": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(props.Unknown) != 1 || props.Unknown[0] != "nope" {
		t.Fatalf("unknown keys %v", props.Unknown)
	}
	s, err := New(Config{Type: Avro, AvroSchema: orderSchema, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	v := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(7), rows.String("amount"), decimal(t, "12.5"), rows.String("at"), rows.TimestampTZ(1_700_000_000_123_000, 0)})
	var out []byte
	for i := 0; i < 100; i++ {
		if out, _, err = s.Append(ctx, out[:0], "orders", v); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Requests() != 1 {
		t.Fatalf("%d registry requests for 100 records, want 1", srv.Requests())
	}
	if subj := srv.Subjects(); len(subj) != 1 || subj[0] != "orders-com.acme.Order" {
		t.Fatalf("subjects %v", subj)
	}
	// Confluent's deserializer: magic byte, 4-byte big-endian ID, Avro
	// binary of the schema registered under that ID.
	if out[0] != 0 {
		t.Fatalf("magic byte %d", out[0])
	}
	id := binary.BigEndian.Uint32(out[1:5])
	text, ok := srv.Schema(int(id))
	if !ok {
		t.Fatalf("schema id %d not in the registry", id)
	}
	var m map[string]any
	if err := havro.Unmarshal(havro.MustParse(text), out[5:], &m); err != nil {
		t.Fatal(err)
	}
	if m["id"] != int64(7) {
		t.Fatalf("decoded %v", m)
	}
	// sluice's deserializer reads it back to the same values.
	d, _ := NewDeserializer(Avro, props.Client)
	back, err := d.Value(ctx, "orders", out)
	if err != nil {
		t.Fatal(err)
	}
	if want := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(7), rows.String("amount"), decimal(t, "12.50"), rows.String("at"), rows.TimestampTZ(1_700_000_000_123_000, 0)}); !back.Equal(want) {
		t.Fatalf("got %s want %s", back, want)
	}
	if _, err := d.Value(ctx, "orders", []byte("{}")); err == nil || !strings.Contains(err.Error(), "magic byte") {
		t.Fatalf("non-wire-format bytes: %v", err)
	}
}

func TestAvroRegistryModes(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	v := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(1), rows.String("amount"), rows.Int(2), rows.String("at"), rows.Int(3)})

	// auto.register.schemas=false: the schema must already be there.
	props, _ := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "auto.register.schemas": "false"})
	s, _ := New(Config{Type: Avro, AvroSchema: orderSchema, Registry: props.For(false)})
	if _, _, err := s.Append(ctx, nil, "orders", v); err == nil || !strings.Contains(err.Error(), "auto.register.schemas") {
		t.Fatalf("lookup of an unregistered schema: %v", err)
	}
	id := srv.Register("orders-value", "AVRO", orderSchema)
	s, _ = New(Config{Type: Avro, AvroSchema: orderSchema, Registry: props.For(false)})
	out, _, err := s.Append(ctx, nil, "orders", v)
	if err != nil || binary.BigEndian.Uint32(out[1:5]) != uint32(id) {
		t.Fatalf("lookup: %x %v", out, err)
	}

	// use.latest.version without a local schema writes with the latest.
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "use.latest.version": "true", "auto.register.schemas": "false"})
	s, err = New(Config{Type: Avro, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err = s.Append(ctx, nil, "orders", v)
	if err != nil || binary.BigEndian.Uint32(out[1:5]) != uint32(id) {
		t.Fatalf("latest: %x %v", out, err)
	}

	// No registry, no schema: clear errors.
	if _, err := New(Config{Type: Avro, AvroSchema: orderSchema}); err == nil || !strings.Contains(err.Error(), "schema.registry.url") {
		t.Fatalf("no registry: %v", err)
	}
	if _, err := New(Config{Type: Avro, Registry: RegistryConfig{Client: props.Client}}); err == nil || !strings.Contains(err.Error(), "valueAvroSchema") {
		t.Fatalf("no schema: %v", err)
	}

	// Incompatible schema: 409 surfaces with its meaning.
	srv.SetIncompatible("orders-value", true)
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	s, _ = New(Config{Type: Avro, AvroSchema: strings.Replace(orderSchema, `"id","type":"long"`, `"id","type":"string"`, 1), Registry: props.For(false)})
	if _, _, err := s.Append(ctx, nil, "orders", rows.MapOf([]rows.Value{rows.String("id"), rows.String("x"), rows.String("amount"), rows.Int(2), rows.String("at"), rows.Int(3)})); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("incompatible: %v", err)
	}
}

func TestSerdeProperties(t *testing.T) {
	p, err := ParseSerdeProperties(map[string]string{"schema.registry.url": "http://u:pw-in-url@localhost:1/", "basic.auth.credentials.source": "URL"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Secrets) != 1 || p.Secrets[0] != "pw-in-url" {
		t.Fatalf("secrets %v", p.Secrets)
	}
	p, err = ParseSerdeProperties(map[string]string{"schema.registry.url": "http://localhost:1", "basic.auth.user.info": "bob:hunter22"})
	if err != nil || p.Client == nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Secrets, " "), "hunter22") {
		t.Fatalf("password not registered as a secret: %v", p.Secrets)
	}
	for _, bad := range []map[string]string{
		{"auto.register.schemas": "maybe"},
		{"value.subject.name.strategy": "Foo"},
		{"schema.registry.url": "http://x", "basic.auth.user.info": "nocolon"},
		{"schema.registry.url": "http://x", "basic.auth.credentials.source": "SASL_INHERIT"},
	} {
		if _, err := ParseSerdeProperties(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if p.ValueStrategy != registry.TopicName {
		t.Fatal("default strategy is not TopicNameStrategy")
	}
}
