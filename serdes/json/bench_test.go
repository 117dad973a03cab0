package json

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

func genLines(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		nullable := `null`
		if i%3 == 0 {
			nullable = fmt.Sprintf(`"note %d"`, i)
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"customer %d","city":"Paris","score":%d.%d,"amount":%d.%02d,"active":%v,"day":"2021-01-%02d","at":"2021-01-02T03:04:05.%06dZ","note":%s,"meta":{"source":"web","rank":%d}}`+"\n",
			i, i, i%1000, i%97, i%100000, i%100, i%2 == 0, i%28+1, i%1000000, nullable, i%10)
	}
	return b.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	data := genLines(100000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := NewReader(bytes.NewReader(data), ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var row rows.Row
		n := 0
		for d.Next(&row) {
			n++
		}
		if d.Err() != nil || n != 100000 {
			b.Fatal(d.Err(), n)
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkInferOnly(b *testing.B) {
	data := genLines(100000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := InferSchema(bytes.NewReader(data), ReadOptions{}, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDecodeGivenSchema(b *testing.B) {
	data := genLines(100000)
	s, _, _ := InferSchema(bytes.NewReader(data), ReadOptions{}, 0)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, _ := NewReader(bytes.NewReader(data), ReadOptions{Schema: s})
		var row rows.Row
		for d.Next(&row) {
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
