package rowfile

import (
	"bytes"
	"io"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// The bench/ program's `rowfile` scenario is the reference measurement;
// these are for profiling while working on the codec.

func BenchmarkWrite(b *testing.B) {
	w, err := NewWriter(io.Discard, sample10Schema)
	if err != nil {
		b.Fatal(err)
	}
	var row rows.Row
	var tag [16]byte
	fillSample(1, &row, &tag)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		row.Values[0] = rows.Int(int64(i))
		if err := w.Write(&row); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(float64(w.Bytes()) / float64(b.N)))
}

func BenchmarkRead(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, sample10Schema)
	var row rows.Row
	var tag [16]byte
	for i := range int64(n) {
		fillSample(i, &row, &tag)
		if err := w.Write(&row); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data) / n))
	b.ReportAllocs()
	b.ResetTimer()
	var r *Reader
	for i := range b.N {
		if i%n == 0 {
			if r != nil && (r.Next(&row) || r.Err() != nil) {
				b.Fatal("not at a clean end", r.Err())
			}
			r, _ = NewReader(bytes.NewReader(data))
		}
		if !r.Next(&row) {
			b.Fatal(r.Err())
		}
	}
}
