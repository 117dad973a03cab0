package avro

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// FuzzReader: a corrupt or hostile container file fails with an error,
// never a panic or an unbounded allocation.
func FuzzReader(f *testing.F) {
	s, data := rowstest.AllKinds()
	for _, codec := range Codecs {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, s, WriteOptions{Codec: codec})
		for i := range data {
			w.Write(&data[i])
		}
		w.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := NewReader(bytes.NewReader(b), ReadOptions{})
		if err != nil {
			return
		}
		defer d.Close()
		var row rows.Row
		for n := 0; d.Next(&row) && n < 1000; n++ {
		}
	})
}
