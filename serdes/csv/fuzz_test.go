package csv

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// FuzzReader: never panics; clean reads survive a write/read round trip.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a,b\n1,\"x\ny\"\n"), byte(','), byte('"'), true, false)
	f.Add([]byte("a;b\r\n'1;2';'it''s'\r\n"), byte(';'), byte('\''), true, true)
	f.Add([]byte("1,2021-01-02,true,1.5\n"), byte(','), byte('"'), false, true)
	f.Fuzz(func(t *testing.T, data []byte, sep, quote byte, header, infer bool) {
		if sep == quote || sep == '\n' || sep == '\r' || quote == '\n' || quote == '\r' {
			t.Skip()
		}
		opts := DefaultReadOptions()
		opts.Separator, opts.Quote, opts.Header, opts.InferTypes = sep, quote, header, infer
		opts.ErrorOnDifferentFieldCount = false
		opts.SkipEmptyRows = false
		d, err := NewReader(bytes.NewReader(data), opts)
		if err != nil {
			return
		}
		got, err := rowstest.Drain(d)
		if err != nil || infer || !header || len(d.Schema().Fields) == 0 {
			return
		}
		var buf bytes.Buffer
		wo := DefaultWriteOptions()
		wo.Separator, wo.Quote = sep, quote
		w, err := NewWriter(&buf, d.Schema(), wo)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if err := w.Write(&got[i]); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		d2, err := NewReader(bytes.NewReader(buf.Bytes()), opts)
		if err != nil {
			t.Fatalf("re-read header: %v (written %q)", err, buf.String())
		}
		i := 0
		var row rows.Row
		for d2.Next(&row) {
			if i >= len(got) {
				t.Fatalf("extra row; written %q", buf.String())
			}
			for j := range row.Values {
				a, b := row.Values[j], got[i].Values[j]
				if a.IsNull() {
					a = rows.String("")
				}
				if b.IsNull() {
					b = rows.String("")
				}
				if !a.Equal(b) {
					t.Fatalf("row %d field %d: %q != %q; written %q", i, j, a.String(), b.String(), buf.String())
				}
			}
			i++
		}
		if d2.Err() != nil || i != len(got) {
			t.Fatalf("re-read: %v, %d of %d; written %q", d2.Err(), i, len(got), buf.String())
		}
	})
}
