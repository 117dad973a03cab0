package rowfile

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestTotalRows(t *testing.T) {
	for _, n := range []int{0, 1, 5000} {
		var buf bytes.Buffer
		schema := &rows.Schema{Fields: []rows.Field{{Name: "id", Kind: rows.KindInt}}}
		w, err := NewWriter(&buf, schema)
		if err != nil {
			t.Fatal(err)
		}
		var row rows.Row
		for i := 0; i < n; i++ {
			row.Values = append(row.Values[:0], rows.Int(int64(i)))
			if err := w.Write(&row); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		got, err := TotalRows(bytes.NewReader(b), int64(len(b)))
		if err != nil || got != int64(n) {
			t.Errorf("%d rows: TotalRows = %d, %v", n, got, err)
		}
		// Cut or damaged files are errors, never a wrong count.
		if _, err := TotalRows(bytes.NewReader(b[:len(b)-1]), int64(len(b)-1)); err == nil {
			t.Errorf("%d rows: a cut file gave a count", n)
		}
		bad := append([]byte(nil), b...)
		bad[len(bad)-1] ^= 1
		if _, err := TotalRows(bytes.NewReader(bad), int64(len(bad))); !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%d rows: damaged end block: %v", n, err)
		}
	}
}
