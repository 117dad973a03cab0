package avro

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/internal/rows"
)

// codec pairs a schema with a strict encoder, as the Kafka serializer uses
// them.
type codec struct {
	*Schema
	e Encoder
}

func (c *codec) Append(dst []byte, v rows.Value) ([]byte, error) { return c.e.Append(c.Schema, dst, v) }

func (c *codec) BindRow(rs *rows.Schema) (*RowEncoder, error) {
	return c.Schema.BindRow(rs, BindOptions{Strict: true})
}

func mustParse(t testing.TB, s string) *codec {
	t.Helper()
	c, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return &codec{Schema: c, e: Encoder{Strict: true}}
}

func dec(t testing.TB, s string) rows.Value {
	t.Helper()
	d, err := rows.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mapOf(kv ...any) rows.Value {
	vs := make([]rows.Value, len(kv))
	for i, x := range kv {
		if v, ok := x.(rows.Value); ok {
			vs[i] = v
			continue
		}
		v, err := rows.FromAny(x)
		if err != nil {
			panic(err)
		}
		vs[i] = v
	}
	return rows.MapOf(vs)
}

// Byte layouts from the Avro specification (binary encoding, logical types).
func TestEncodeVectors(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 30, 15, 123456000, time.UTC)
	cases := []struct {
		name, schema string
		v            rows.Value
		hex          string
	}{
		{"null", `"null"`, rows.Null, ""},
		{"true", `"boolean"`, rows.Bool(true), "01"},
		{"int 0", `"int"`, rows.Int(0), "00"},
		{"int -1", `"int"`, rows.Int(-1), "01"},
		{"int 1", `"int"`, rows.Int(1), "02"},
		{"int 64", `"int"`, rows.Int(64), "8001"},
		{"long -65", `"long"`, rows.Int(-65), "8101"},
		{"long from string", `"long"`, rows.String("300"), "d804"},
		{"long from integral decimal", `"long"`, dec(t, "12.00"), "18"},
		{"float 1", `"float"`, rows.Float(1), "0000803f"},
		{"double 1", `"double"`, rows.Float(1), "000000000000f03f"},
		{"string", `"string"`, rows.String("foo"), "06666f6f"},
		{"string from decimal", `"string"`, dec(t, "1.50"), "08312e3530"},
		{"bytes", `"bytes"`, rows.Bytes([]byte{0xde, 0xad}), "04dead"},
		{"decimal 1.23", `{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}`, dec(t, "1.23"), "027b"},
		{"decimal -1.00", `{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}`, dec(t, "-1"), "029c"},
		{"decimal 1.5 rescaled", `{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}`, dec(t, "1.5"), "040096"},
		{"decimal 128 needs a sign byte", `{"type":"bytes","logicalType":"decimal","precision":5,"scale":0}`, rows.Int(128), "040080"},
		{"decimal fixed -2", `{"type":"fixed","name":"d","size":4,"logicalType":"decimal","precision":9,"scale":1}`, dec(t, "-0.2"), "fffffffe"},
		{"date", `{"type":"int","logicalType":"date"}`, rows.Date(19783), "8e b5 02"},
		{"time-millis", `{"type":"int","logicalType":"time-millis"}`, rows.TimeOfDay(1_500_000), "b817"},
		{"time-micros", `{"type":"long","logicalType":"time-micros"}`, rows.TimeOfDay(1_500_001), "c2 8d b7 01"},
		{"timestamp-micros", `{"type":"long","logicalType":"timestamp-micros"}`, rows.TimestampTZOf(ts), hexLong(ts.UnixMicro())},
		{"timestamp-micros of +02:00", `{"type":"long","logicalType":"timestamp-micros"}`, rows.TimestampTZOf(ts.In(time.FixedZone("", 7200))), hexLong(ts.UnixMicro())},
		{"local-timestamp-micros of +02:00", `{"type":"long","logicalType":"local-timestamp-micros"}`, rows.TimestampTZOf(ts.In(time.FixedZone("", 7200))), hexLong(ts.UnixMicro() + 7200e6)},
		{"timestamp-millis", `{"type":"long","logicalType":"timestamp-millis"}`, rows.TimestampTZOf(ts.Truncate(time.Millisecond)), hexLong(ts.UnixMilli())},
		{"timestamp-millis from string", `{"type":"long","logicalType":"timestamp-millis"}`, rows.String("2024-03-01T12:30:15.123Z"), hexLong(ts.UnixMilli())},
		{"uuid", `{"type":"string","logicalType":"uuid"}`, rows.String("123E4567-E89B-12D3-A456-426614174000"), "48" + hex.EncodeToString([]byte("123e4567-e89b-12d3-a456-426614174000"))},
		{"enum", `{"type":"enum","name":"E","symbols":["A","B","C"]}`, rows.String("C"), "04"},
		{"fixed", `{"type":"fixed","name":"F","size":2}`, rows.Bytes([]byte{1, 2}), "0102"},
		{"array", `{"type":"array","items":"long"}`, rows.List([]rows.Value{rows.Int(3), rows.Int(27)}), "04 06 36 00"},
		{"empty array", `{"type":"array","items":"long"}`, rows.List(nil), "00"},
		{"map", `{"type":"map","values":"int"}`, mapOf("a", 1), "02 02 61 02 00"},
		{"union null", `["null","string"]`, rows.Null, "00"},
		{"union string", `["null","string"]`, rows.String("a"), "02 02 61"},
		{"union picks long for int", `["null","string","long"]`, rows.Int(1), "04 02"},
		{"record", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}`, mapOf("a", 27, "b", "foo"), "36 06 66 6f 6f"},
		{"record out of order", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string"}]}`, mapOf("b", "foo", "a", 27), "36 06 66 6f 6f"},
		{"record default", `{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":5},{"name":"b","type":["null","string"]}]}`, mapOf(), "0a 00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			codec := mustParse(t, c.schema)
			got, err := codec.Append(nil, c.v)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(c.hex, " ", "")
			if hex.EncodeToString(got) != want {
				t.Fatalf("got %x, want %s", got, want)
			}
		})
	}
}

func hexLong(n int64) string {
	b := appendLong(nil, n)
	return hex.EncodeToString(b)
}

const allTypes = `{
  "type": "record", "name": "All", "namespace": "t",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "small", "type": "int"},
    {"name": "name", "type": "string"},
    {"name": "ok", "type": "boolean"},
    {"name": "f", "type": "float"},
    {"name": "d", "type": "double"},
    {"name": "raw", "type": "bytes"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 4}},
    {"name": "famount", "type": {"type": "fixed", "name": "F16", "size": 16, "logicalType": "decimal", "precision": 30, "scale": 2}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "tu", "type": {"type": "long", "logicalType": "time-micros"}},
    {"name": "tsm", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "tsu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "ltsu", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
    {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
    {"name": "opt", "type": ["null", "string"], "default": null},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "child", "type": ["null", "All"], "default": null}
  ]
}`

func allTypesValue(t testing.TB) rows.Value {
	big30, _ := new(big.Int).SetString("-1234567890123456789012345678", 10)
	return mapOf(
		"id", int64(-9007199254740993),
		"small", int64(-2147483648),
		"name", "héllo",
		"ok", true,
		"f", rows.Float(float64(float32(1.5))),
		"d", rows.Float(0.1),
		"raw", []byte{0, 1, 255},
		"amount", dec(t, "-12345678901234567890123456789.1234"),
		"famount", rows.DecimalBig(big30, 2),
		"day", rows.Date(-1),
		"tm", rows.TimeOfDay(86_399_999_000),
		"tu", rows.TimeOfDay(1),
		"tsm", rows.TimestampTZ(-1_000, 0),
		"tsu", rows.TimestampTZ(1_700_000_000_123_456, 0),
		"ltsu", rows.Timestamp(1_700_000_000_123_456),
		"uid", "123e4567-e89b-12d3-a456-426614174000",
		"color", "GREEN",
		"opt", rows.Null,
		"tags", []any{"a", "b"},
		"attrs", mapOf("x", int64(1), "y", int64(-2)),
		"child", mapOf("id", int64(2), "small", int64(0), "name", "", "ok", false, "f", rows.Float(0), "d", rows.Float(0),
			"raw", []byte{}, "amount", dec(t, "0.0000"), "famount", dec(t, "0.00"), "day", rows.Date(0), "tm", rows.TimeOfDay(0),
			"tu", rows.TimeOfDay(0), "tsm", rows.TimestampTZ(0, 0), "tsu", rows.TimestampTZ(0, 0), "ltsu", rows.Timestamp(0),
			"uid", "00000000-0000-0000-0000-000000000000", "color", "RED", "opt", "x", "tags", []any{}, "attrs", mapOf(), "child", rows.Null),
	)
}

func TestRoundTripAllTypes(t *testing.T) {
	c := mustParse(t, allTypes)
	v := allTypesValue(t)
	b, err := c.Append(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(v) {
		t.Fatalf("round trip differs:\n got %s\nwant %s", got, v)
	}

	// An independent decoder reads the same bytes to the same values.
	var m map[string]any
	if err := havro.Unmarshal(c.Hamba(), b, &m); err != nil {
		t.Fatalf("hamba/avro cannot decode our bytes: %v", err)
	}
	if m["id"] != int64(-9007199254740993) || m["name"] != "héllo" || m["small"] != -2147483648 {
		t.Fatalf("hamba decoded %v", m)
	}
	if r, ok := m["amount"].(*big.Rat); !ok || r.FloatString(4) != "-12345678901234567890123456789.1234" {
		t.Fatalf("amount decoded as %v", m["amount"])
	}
	if r, ok := m["famount"].(*big.Rat); !ok || r.FloatString(2) != "-12345678901234567890123456.78" {
		t.Fatalf("famount decoded as %v", m["famount"])
	}
	if ts, ok := m["tsu"].(time.Time); !ok || ts.UnixMicro() != 1_700_000_000_123_456 {
		t.Fatalf("tsu decoded as %v", m["tsu"])
	}
	if ts, ok := m["tsm"].(time.Time); !ok || ts.UnixMilli() != -1 {
		t.Fatalf("tsm decoded as %v", m["tsm"])
	}
	if d, ok := m["day"].(time.Time); !ok || d.Format("2006-01-02") != "1969-12-31" {
		t.Fatalf("day decoded as %v", m["day"])
	}
}

func TestEncodeErrors(t *testing.T) {
	rec := `{"type":"record","name":"R","fields":[
		{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}},
		{"name":"n","type":"int","default":0},
		{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"},"default":0},
		{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]},"default":"A"},
		{"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"x","type":"long"}]},"default":{"x":1}},
		{"name":"list","type":{"type":"array","items":"int"},"default":[]}
	]}`
	c := mustParse(t, rec)
	cases := []struct {
		name string
		v    rows.Value
		want string
	}{
		{"scale too large", mapOf("amount", dec(t, "1.239")), `field "amount": 1.239 has 3 digits after the point, more than the 2 the target keeps: it would be rounded`},
		{"precision", mapOf("amount", dec(t, "1234.5")), `field "amount": 1234.5 has more digits than decimal(5,2) holds`},
		{"int range", mapOf("amount", rows.Int(1), "n", rows.Int(1<<31)), `field "n": 2147483648 is out of the range of an int field`},
		{"not integer", mapOf("amount", rows.Int(1), "n", dec(t, "1.5")), `field "n": 1.5 is not an integer`},
		{"millis with micros", mapOf("amount", rows.Int(1), "ts", rows.TimestampTZ(1001, 0)), `field "ts": `},
		{"enum", mapOf("amount", rows.Int(1), "e", "B"), `field "e": "B" is not a symbol of enum E (A)`},
		{"null", mapOf("amount", rows.Null), `field "amount": null is not allowed in a decimal(5,2) field`},
		{"missing", mapOf("n", rows.Int(1)), `field "amount": missing`},
		{"unknown", mapOf("amount", rows.Int(1), "amuont", rows.Int(2)), `"amuont" is not a field of record R`},
		{"nested", mapOf("amount", rows.Int(1), "inner", mapOf("x", "abc")), `field "inner.x": "abc" is not an integer`},
		{"array item", mapOf("amount", rows.Int(1), "list", rows.List([]rows.Value{rows.Int(1), rows.String("z")})), `field "list[1]": "z" is not an integer`},
		{"kind", mapOf("amount", rows.List(nil)), `field "amount": cannot convert a list value ([]) to a decimal`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := c.Append([]byte{9}, tc.v)
			if err == nil {
				t.Fatalf("no error, encoded %x", b)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if len(b) != 1 || b[0] != 9 {
				t.Fatalf("dst not restored: %x", b)
			}
		})
	}
	// Defaults fill what is missing.
	b, err := c.Append(nil, mapOf("amount", dec(t, "1.2")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := mapOf("amount", dec(t, "1.20"), "n", rows.Int(0), "ts", rows.TimestampTZ(0, 0), "e", "A", "inner", mapOf("x", rows.Int(1)), "list", rows.List(nil))
	if !got.Equal(want) {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestBindRow(t *testing.T) {
	c := mustParse(t, `{"type":"record","name":"R","fields":[
		{"name":"id","type":"long"},
		{"name":"note","type":["null","string"]},
		{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}`)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "amount", Kind: rows.KindDecimal}, {Name: "id", Kind: rows.KindInt}}}
	e, err := c.BindRow(schema)
	if err != nil {
		t.Fatal(err)
	}
	row := rows.Row{Values: []rows.Value{dec(t, "3.5"), rows.Int(7)}}
	b, err := e.Append(nil, &row)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := mapOf("id", rows.Int(7), "note", rows.Null, "amount", dec(t, "3.50")); !got.Equal(want) {
		t.Fatalf("got %s want %s", got, want)
	}
	row.Values[0] = dec(t, "3.555")
	if _, err := e.Append(nil, &row); err == nil || !strings.Contains(err.Error(), `field "amount"`) {
		t.Fatalf("want an error naming amount, got %v", err)
	}

	if _, err := c.BindRow(&rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "amount"}, {Name: "extra"}}}); err == nil || !strings.Contains(err.Error(), `columns extra are not fields of record R`) {
		t.Fatalf("extra column: %v", err)
	}
	if _, err := c.BindRow(&rows.Schema{Fields: []rows.Field{{Name: "id"}}}); err == nil || !strings.Contains(err.Error(), `field "amount" (decimal(10,2)) is not a column`) {
		t.Fatalf("missing column: %v", err)
	}
	if _, err := mustParse(t, `"long"`).BindRow(schema); err == nil {
		t.Fatal("binding rows to a non-record schema must fail")
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{`{"type":"record","name":"R"}`, `nope`, `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}`} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%s) succeeded", s)
		}
	}
}

func FuzzDecode(f *testing.F) {
	c := mustParse(f, allTypes)
	b, err := c.Append(nil, allTypesValue(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := c.Decode(data)
		if err != nil {
			return
		}
		// Decoding is lenient (a decimal beyond the declared precision is
		// read as Java's decoder reads it); the encoder may refuse such a
		// value, but only with a located error, and what it accepts must
		// round-trip.
		out, err := c.Append(nil, v)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("re-encoding failed without a field: %v", err)
			}
			return
		}
		// One encode normalizes (a UUID is written in lower case); after
		// it, decoding and encoding are exact inverses.
		back, err := c.Decode(out)
		if err != nil {
			t.Fatalf("re-encoded bytes do not decode: %v", err)
		}
		again, err := c.Append(nil, back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not stable after one round: %v\n%x\n%x", err, again, out)
		}
	})
}
