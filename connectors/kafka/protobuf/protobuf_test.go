package protobuf

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicehq/sluice/internal/rows"
)

const customerProto = `syntax = "proto3";
package shop.common;
message Address { string city = 1; string zip = 2; }
`

const orderProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "common/address.proto";

message Order {
  int64 id = 1;
  string customer = 2;
  bytes payload = 3;
  google.protobuf.Timestamp created = 4;
  google.protobuf.Duration ttl = 5;
  google.protobuf.StringValue note = 6;
  google.protobuf.Int64Value discount = 7;
  map<string, int32> counts = 8;
  repeated string tags = 9;
  repeated sint64 deltas = 10;
  oneof pay { string card = 11; shop.common.Address bank = 12; }
  Status status = 13;
  double price = 14;
  float weight = 15;
  uint64 big = 16;
  optional bool gift = 17;
  repeated Line lines = 18;
  fixed32 f32 = 19;
  sfixed64 sf64 = 20;
  map<int64, Line> by_no = 21;
  message Line { string sku = 1; uint32 qty = 2; }
  enum Status { NEW = 0; PAID = 1; }
}
message Other { int32 x = 1; }
`

func compileOrder(t *testing.T) *Codec {
	t.Helper()
	fd, err := Compile(context.Background(), orderProto, map[string]string{"common/address.proto": customerProto})
	if err != nil {
		t.Fatal(err)
	}
	md, err := Message(fd, "")
	if err != nil || md.FullName() != "shop.Order" {
		t.Fatalf("%v %v", md, err)
	}
	return NewCodec(md)
}

func m(kv ...rows.Value) rows.Value { return rows.MapOf(kv) }
func s(x string) rows.Value         { return rows.String(x) }

func TestEncodeMatchesProtobufGo(t *testing.T) {
	c := compileOrder(t)
	dec, _ := rows.ParseDecimal("18446744073709551615")
	// Fields out of number order: the encoding is in number order anyway.
	in := m(s("tags"), rows.List([]rows.Value{s("a"), s("b")}),
		s("id"), rows.Int(-9007199254740993),
		s("customer"), s("Ann"),
		s("payload"), rows.Bytes([]byte{0, 0xff}),
		s("created"), rows.TimestampTZ(1_700_000_000_123_456, 0),
		s("ttl"), s("1.5s"),
		s("note"), s(""),
		s("discount"), rows.Null,
		s("counts"), m(s("x"), rows.Int(1), s("y"), rows.Int(0)),
		s("deltas"), rows.List([]rows.Value{rows.Int(-1), rows.Int(300)}),
		s("bank"), m(s("city"), s("Oslo")),
		s("status"), s("PAID"),
		s("price"), rows.Float(0.1),
		s("weight"), rows.Float(1.5),
		s("big"), dec,
		s("gift"), rows.Bool(false),
		s("lines"), rows.List([]rows.Value{m(s("sku"), s("s1"), s("qty"), rows.Int(2))}),
		s("f32"), rows.Int(7),
		s("sf64"), rows.Int(-7),
		s("by_no"), m(s("5"), m(s("sku"), s("s5"))),
	)
	got, err := c.Append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	msg := dynamicpb.NewMessage(c.Descriptor())
	if err := proto.Unmarshal(got, msg); err != nil {
		t.Fatal(err)
	}
	js, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	for _, want := range []string{`"id":"-9007199254740993"`, `"payload":"AP8="`, `"created":"2023-11-14T22:13:20.123456Z"`, `"ttl":"1.500s"`, `"note":""`,
		`"counts":{"x":1,"y":0}`, `"deltas":["-1","300"]`, `"bank":{"city":"Oslo"}`, `"status":"PAID"`, `"big":"18446744073709551615"`, `"gift":false`,
		`"lines":[{"sku":"s1","qty":2}]`, `"by_no":{"5":{"sku":"s5"}}`} {
		if !strings.Contains(strings.ReplaceAll(string(js), " ", ""), want) {
			t.Errorf("protojson %s lacks %s", js, want)
		}
	}
	if strings.Contains(string(js), "discount") {
		t.Errorf("a null wrapper was written: %s", js)
	}
	// Byte for byte what protobuf-go's deterministic encoder writes, but
	// for where a set oneof member goes: protobuf-java (Confluent's
	// serializer) writes every field in number order, protobuf-go puts
	// oneofs last. Without the oneof the bytes are the same.
	noOneof, _ := c.Append(nil, rows.MapOf(append(append([]rows.Value{}, in.Items()[:20]...), in.Items()[22:]...)))
	msg2 := dynamicpb.NewMessage(c.Descriptor())
	if err := proto.Unmarshal(noOneof, msg2); err != nil {
		t.Fatal(err)
	}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(noOneof, want) {
		t.Fatalf("sluice %s\nprotobuf-go %s", hex.EncodeToString(noOneof), hex.EncodeToString(want))
	}

	// Decoding gives every field, defaults for absent implicit fields.
	back, err := c.Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]rows.Value{
		"id": rows.Int(-9007199254740993), "payload": rows.Bytes([]byte{0, 0xff}), "created": rows.TimestampTZ(1_700_000_000_123_456, 0),
		"ttl": s("1.500s"), "note": s(""), "discount": rows.Null, "counts": m(s("x"), rows.Int(1), s("y"), rows.Int(0)),
		"deltas": rows.List([]rows.Value{rows.Int(-1), rows.Int(300)}), "card": rows.Null, "bank": m(s("city"), s("Oslo"), s("zip"), s("")),
		"status": s("PAID"), "price": rows.Float(0.1), "weight": rows.Float(1.5), "big": dec, "gift": rows.Bool(false),
		"lines": rows.List([]rows.Value{m(s("sku"), s("s1"), s("qty"), rows.Int(2))}), "f32": rows.Int(7), "sf64": rows.Int(-7),
		"by_no": m(s("5"), m(s("sku"), s("s5"), s("qty"), rows.Int(0))),
	} {
		if v, _ := back.Get(name); !v.Equal(want) {
			t.Errorf("decoded %s = %s, want %s", name, v, want)
		}
	}
	if back.Len() != c.Descriptor().Fields().Len() {
		t.Errorf("decoded %d fields", back.Len())
	}
}

func TestEncodeRefusals(t *testing.T) {
	c := compileOrder(t)
	for _, tc := range []struct {
		v    rows.Value
		want string
	}{
		{m(s("idd"), rows.Int(1)), `field "idd": shop.Order has no such field`},
		{m(s("id"), rows.Float(1.5)), `field "id"`},
		{m(s("card"), s("x"), s("bank"), m()), "oneof pay already holds card"},
		{m(s("status"), s("LOST")), `"LOST" is not a value of enum shop.Order.Status (NEW, PAID)`},
		{m(s("lines"), rows.List([]rows.Value{m(s("qty"), rows.Int(-1))})), `field "lines[0].qty"`},
		{m(s("counts"), m(s("a"), rows.Int(1<<40))), `field "counts[\"a\"]"`},
		{m(s("by_no"), m(s("x"), m())), `field "by_no[\"x\"]"`},
		{m(s("created"), rows.Int(5)), `field "created"`},
		{m(s("ttl"), s("soon")), `"soon" is not a duration`},
		{m(s("tags"), s("a")), "is not a list"},
		{s("x"), "not a shop.Order message"},
	} {
		if _, err := c.Append(nil, tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.v, err, tc.want)
		}
	}
}

func TestRowsAndDescriptors(t *testing.T) {
	c := compileOrder(t)
	sc := &rows.Schema{Fields: []rows.Field{{Name: "customer"}, {Name: "id"}}}
	got, err := c.AppendRow(nil, sc, &rows.Row{Values: []rows.Value{s("Bo"), rows.Int(3)}})
	if err != nil || hex.EncodeToString(got) != "0803"+"1202426f" {
		t.Fatalf("row %x %v", got, err)
	}
	if _, err := c.AppendRow(nil, &rows.Schema{Fields: []rows.Field{{Name: "nope"}}}, &rows.Row{Values: []rows.Value{rows.Int(1)}}); err == nil || !strings.Contains(err.Error(), `column "nope"`) {
		t.Fatalf("unknown column: %v", err)
	}
	// The same schema as a base64 FileDescriptorProto compiles to the
	// same message.
	fdp := protodesc.ToFileDescriptorProto(c.Descriptor().ParentFile())
	raw, _ := proto.Marshal(fdp)
	b64 := base64.StdEncoding.EncodeToString(raw)
	if _, ok := Descriptor(orderProto); ok {
		t.Fatal(".proto text taken for a descriptor")
	}
	fd, err := Compile(context.Background(), b64, map[string]string{"common/address.proto": customerProto})
	if err != nil {
		t.Fatal(err)
	}
	md, err := Message(fd, "Line")
	if err != nil || md.FullName() != "shop.Order.Line" {
		t.Fatalf("%v %v", md, err)
	}
	// Line is Order's third nested message, after the map entries
	// CountsEntry and ByNoEntry (Confluent counts them too).
	if idx := Indexes(md); len(idx) != 2 || idx[0] != 0 || idx[1] != 2 {
		t.Fatalf("indexes %v", idx)
	}
	if _, err := Message(fd, "Nope"); err == nil || !strings.Contains(err.Error(), "shop.Order.Line") {
		t.Fatalf("unknown message: %v", err)
	}
	if _, err := Compile(context.Background(), orderProto, nil); err == nil || !strings.Contains(err.Error(), "common/address.proto") {
		t.Fatalf("missing import: %v", err)
	}
	if _, err := Compile(context.Background(), "syntax = \"proto3\"; message { }", nil); err == nil || !strings.Contains(err.Error(), "invalid Protobuf schema") {
		t.Fatalf("bad syntax: %v", err)
	}
}

// Confluent's message-index array: [0] is one 0 byte; others are the
// count and indexes as zig-zag varints.
func TestIndexes(t *testing.T) {
	for _, tc := range []struct {
		idx []int
		hex string
	}{{[]int{0}, "00"}, {[]int{1}, "0202"}, {[]int{0, 2}, "040004"}, {[]int{70}, "028c01"}} {
		b := AppendIndexes(nil, tc.idx)
		if hex.EncodeToString(b) != tc.hex {
			t.Errorf("%v: %x want %s", tc.idx, b, tc.hex)
		}
		back, rest, err := ReadIndexes(append(b, 0xAA))
		if err != nil || len(rest) != 1 || len(back) != len(tc.idx) {
			t.Errorf("%v: read %v %x %v", tc.idx, back, rest, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	fd, err := Compile(context.Background(), orderProto, map[string]string{"common/address.proto": customerProto})
	if err != nil {
		f.Fatal(err)
	}
	md, _ := Message(fd, "")
	c := NewCodec(md)
	seed, _ := c.Append(nil, m(s("id"), rows.Int(1), s("tags"), rows.List([]rows.Value{s("a")}), s("by_no"), m(s("1"), m(s("sku"), s("x")))))
	f.Add(seed)
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := c.Decode(b)
		if err != nil {
			return
		}
		// What decodes encodes again, and protobuf-go reads that.
		out, err := c.Append(nil, v)
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", v, err)
		}
		if err := proto.Unmarshal(out, dynamicpb.NewMessage(md)); err != nil {
			t.Fatalf("re-encoded %x: %v", out, err)
		}
	})
}
