// Package avrointerop checks sluice's Avro files against linkedin/goavro and
// compares the libraries' speed. It lives in the bench module so that goavro
// stays out of the main module's dependencies; `make test` runs it
// (go test ./bench/...).
package avrointerop

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/avro"
)

func dec(s string) rows.Value {
	v, err := rows.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

// sample rows covering every kind the inferred schema maps.
func sample() (*rows.Schema, []rows.Row) {
	s := &rows.Schema{Fields: []rows.Field{
		{Name: "id", Kind: rows.KindInt},
		{Name: "name", Kind: rows.KindString, Nullable: true},
		{Name: "amount", Kind: rows.KindDecimal, Precision: 30, Scale: 3, Nullable: true},
		{Name: "ratio", Kind: rows.KindFloat},
		{Name: "ok", Kind: rows.KindBool},
		{Name: "day", Kind: rows.KindDate},
		{Name: "at", Kind: rows.KindTimestampTZ, Nullable: true},
		{Name: "local", Kind: rows.KindTimestamp},
		{Name: "tod", Kind: rows.KindTime},
		{Name: "raw", Kind: rows.KindBytes},
		{Name: "tags", Kind: rows.KindList, Elem: rows.KindString},
		{Name: "meta", Kind: rows.KindMap, Elem: rows.KindAny},
		{Name: "bad name!", Kind: rows.KindString},
	}}
	r := []rows.Row{
		{Values: []rows.Value{rows.Int(1), rows.String("é\"x"), dec("12.500"), rows.Float(0.1), rows.Bool(true),
			rows.Date(rows.DaysFromCivil(2021, 1, 2)), rows.TimestampTZ(1609556645123456, 0), rows.Timestamp(-1),
			rows.TimeOfDay(86399999999), rows.Bytes([]byte{0, 0xff}), rows.List([]rows.Value{rows.String("a"), rows.Null}),
			rows.MapOf([]rows.Value{rows.String("k"), rows.Int(1)}), rows.String("x")}},
		{Values: []rows.Value{rows.Int(-9223372036854775808), rows.Null, dec("-123456789012345678901234567.891"), rows.Float(-1e300), rows.Bool(false),
			rows.Date(-1), rows.Null, rows.Timestamp(0), rows.TimeOfDay(0), rows.Bytes(nil), rows.List(nil),
			rows.MapOf(nil), rows.String("")}},
	}
	return s, r
}

func write(t *testing.T, s *rows.Schema, data []rows.Row, opts avro.WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := avro.NewWriter(&buf, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if err := w.Write(&data[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBack(t *testing.T, b []byte) (*rows.Schema, []rows.Row) {
	t.Helper()
	d, err := avro.NewReader(bytes.NewReader(b), avro.ReadOptions{Name: "t.avro"})
	if err != nil {
		t.Fatal(err)
	}
	var out []rows.Row
	var row rows.Row
	for d.Next(&row) {
		out = append(out, row.Clone())
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	return d.Schema(), out
}

// TestReadByGoavro: a file sluice writes is read by linkedin/goavro with
// every value exact.
func TestReadByGoavro(t *testing.T) {
	s, data := sample()
	b := write(t, s, data, avro.WriteOptions{Codec: "deflate"})
	r, err := goavro.NewOCFReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	for r.Scan() {
		x, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, x.(map[string]any))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	unwrap := func(v any) any { // goavro wraps union values as {"type": value}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for _, x := range m {
				return x
			}
		}
		return v
	}
	r0, r1 := recs[0], recs[1]
	if r0["id"] != int64(1) || unwrap(r0["name"]) != "é\"x" || r0["ok"] != true || r0["ratio"] != 0.1 {
		t.Errorf("scalars %v", r0)
	}
	if a := unwrap(r0["amount"]).(*big.Rat); a.Cmp(big.NewRat(125, 10)) != 0 {
		t.Errorf("amount %v", a)
	}
	want, _ := new(big.Rat).SetString("-123456789012345678901234567.891")
	if a := unwrap(r1["amount"]).(*big.Rat); a.Cmp(want) != 0 {
		t.Errorf("big amount %v", a.FloatString(3))
	}
	if at := unwrap(r0["at"]).(time.Time); !at.Equal(time.UnixMicro(1609556645123456)) {
		t.Errorf("timestamp %v", at)
	}
	if unwrap(r1["at"]) != nil || unwrap(r1["name"]) != nil {
		t.Errorf("nulls %v %v", r1["at"], r1["name"])
	}
	if d := r0["day"].(time.Time); d.Format("2006-01-02") != "2021-01-02" {
		t.Errorf("date %v", d)
	}
	if r0["id"] != int64(1) || r1["id"] != int64(-9223372036854775808) {
		t.Errorf("ids %v %v", r0["id"], r1["id"])
	}
}

// TestReadGoavroFile: a file goavro writes (snappy, its own union
// encoding) is read by sluice exactly.
func TestReadGoavroFile(t *testing.T) {
	schema := `{"type":"record","name":"r","fields":[
		{"name":"id","type":"long"},
		{"name":"amount","type":["null",{"type":"bytes","logicalType":"decimal","precision":20,"scale":4}]},
		{"name":"at","type":{"type":"long","logicalType":"timestamp-micros"}},
		{"name":"tags","type":{"type":"array","items":"string"}},
		{"name":"m","type":{"type":"map","values":"double"}}]}`
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schema, CompressionName: goavro.CompressionSnappyLabel})
	if err != nil {
		t.Fatal(err)
	}
	amt, _ := new(big.Rat).SetString("-1234.5678")
	err = w.Append([]map[string]any{
		{"id": int64(7), "amount": goavro.Union("bytes.decimal", amt), "at": time.UnixMicro(1609556645123456).UTC(), "tags": []any{"a", "b"}, "m": map[string]any{"x": 1.5}},
		{"id": int64(8), "amount": nil, "at": time.UnixMicro(0).UTC(), "tags": []any{}, "m": map[string]any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, got := readBack(t, buf.Bytes())
	if s.String() != "id int, amount decimal, at timestamptz, tags list, m map" || !s.Fields[1].Nullable {
		t.Errorf("schema %s", s)
	}
	wants := [][]string{{"7", "-1234.5678", "2021-01-02T03:04:05.123456Z", `["a","b"]`, `{"x":1.5}`}, {"8", "null", "1970-01-01T00:00:00Z", "[]", "{}"}}
	for i, w := range wants {
		for j, x := range w {
			if g := got[i].Values[j].String(); g != x {
				t.Errorf("row %d field %d: got %q want %q", i, j, g, x)
			}
		}
	}
}
