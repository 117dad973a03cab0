package avrointerop

import (
	"bytes"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/hamba/avro/v2/ocf"
	"github.com/linkedin/goavro/v2"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/avro"
)

// The library comparison behind docs/serdes.md: the same 10-column rows
// written and read through (1) sluice's direct rows.Value ⇄ Avro binary
// codec on hamba's container framing, (2) hamba's reflection encoder with
// map[string]any (*big.Rat, time.Time), (3) goavro with map[string]any.
// Run: go test -run XXX -bench . ./bench/avrointerop/

const benchSchema = `{"type":"record","name":"Row","fields":[
{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"city","type":"string"},
{"name":"score","type":"double"},
{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},
{"name":"active","type":"boolean"},
{"name":"day","type":{"type":"int","logicalType":"date"}},
{"name":"at","type":{"type":"long","logicalType":"timestamp-micros"}},
{"name":"note","type":["null","string"],"default":null},
{"name":"raw","type":"bytes"}]}`

func benchRows(n int) (*rows.Schema, []rows.Row) {
	s := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "name"}, {Name: "city"}, {Name: "score"}, {Name: "amount"}, {Name: "active"}, {Name: "day"}, {Name: "at"}, {Name: "note"}, {Name: "raw"}}}
	out := make([]rows.Row, n)
	for i := range out {
		note := rows.Null
		if i%3 == 0 {
			note = rows.String("a note")
		}
		out[i] = rows.Row{Values: []rows.Value{rows.Int(int64(i)), rows.String("customer name"), rows.String("Paris"), rows.Float(float64(i) / 7),
			rows.Decimal(int64(i%100000)*100+int64(i%100), 2), rows.Bool(i%2 == 0), rows.Date(18000 + int64(i%1000)),
			rows.TimestampTZ(1609556645123456+int64(i), 0), note, rows.Bytes([]byte("0123456789abcdef"))}}
	}
	return s, out
}

func asMaps(data []rows.Row, goavroUnions bool) []map[string]any {
	out := make([]map[string]any, len(data))
	for i, r := range data {
		v := r.Values
		var note any
		if !v[8].IsNull() {
			note = v[8].AsString()
			if goavroUnions {
				note = goavro.Union("string", note)
			}
		}
		out[i] = map[string]any{"id": v[0].AsInt(), "name": v[1].AsString(), "city": v[2].AsString(), "score": v[3].AsFloat(),
			"amount": v[4].Rat(), "active": v[5].AsBool(), "day": v[6].Time(), "at": v[7].Time(), "note": note, "raw": v[9].AsBytes()}
	}
	return out
}

const benchN = 100000

func report(b *testing.B) {
	b.ReportMetric(float64(benchN*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriteSluice(b *testing.B) {
	s, data := benchRows(benchN)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, _ := avro.NewWriter(io.Discard, s, avro.WriteOptions{Schema: benchSchema})
		for j := range data {
			if err := w.Write(&data[j]); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
	}
	report(b)
}

func BenchmarkWriteHambaMaps(b *testing.B) {
	_, data := benchRows(benchN)
	maps := asMaps(data, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		enc, _ := ocf.NewEncoder(benchSchema, io.Discard)
		for _, m := range maps {
			if err := enc.Encode(m); err != nil {
				b.Fatal(err)
			}
		}
		enc.Close()
	}
	report(b)
}

func BenchmarkWriteGoavroMaps(b *testing.B) {
	_, data := benchRows(benchN)
	maps := asMaps(data, true)
	recs := make([]any, len(maps))
	for i, m := range maps {
		recs[i] = m
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: io.Discard, Schema: benchSchema})
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < len(recs); k += 1000 {
			if err := w.Append(recs[k : k+1000]); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b)
}

func benchFile(b *testing.B) []byte {
	s, data := benchRows(benchN)
	var buf bytes.Buffer
	w, _ := avro.NewWriter(&buf, s, avro.WriteOptions{Schema: benchSchema})
	for j := range data {
		w.Write(&data[j])
	}
	w.Close()
	return buf.Bytes()
}

func BenchmarkReadSluice(b *testing.B) {
	f := benchFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := avro.NewReader(bytes.NewReader(f), avro.ReadOptions{})
		var row rows.Row
		n := 0
		for d.Next(&row) {
			n++
		}
		if d.Err() != nil || n != benchN {
			b.Fatal(d.Err(), n)
		}
	}
	report(b)
}

func BenchmarkReadHambaMaps(b *testing.B) {
	f := benchFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := ocf.NewDecoder(bytes.NewReader(f))
		for d.HasNext() {
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				b.Fatal(err)
			}
			_ = m["amount"].(*big.Rat)
		}
	}
	report(b)
}

func BenchmarkReadGoavroMaps(b *testing.B) {
	f := benchFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, _ := goavro.NewOCFReader(bytes.NewReader(f))
		for r.Scan() {
			m, err := r.Read()
			if err != nil {
				b.Fatal(err)
			}
			_ = m.(map[string]any)["at"].(time.Time)
		}
	}
	report(b)
}
