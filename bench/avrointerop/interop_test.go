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
	"github.com/sluicehq/sluice/internal/rows/rowstest"
	"github.com/sluicehq/sluice/serdes/avro"
)

func write(t *testing.T, s *rows.Schema, data []rows.Row, opts avro.WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := avro.NewWriter(&buf, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	rowstest.WriteAll(t, w, data)
	return buf.Bytes()
}

func readBack(t *testing.T, b []byte) (*rows.Schema, []rows.Row) {
	t.Helper()
	d, err := avro.NewReader(bytes.NewReader(b), avro.ReadOptions{Name: "t.avro"})
	if err != nil {
		t.Fatal(err)
	}
	out := rowstest.MustDrain(t, d)
	return d.Schema(), out
}

// TestReadByGoavro: a file sluice writes is read by linkedin/goavro with
// every value exact.
func TestReadByGoavro(t *testing.T) {
	s, data := rowstest.AllKinds()
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
