package json

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// FuzzReader: any input either reads cleanly or fails with an error, never
// panics; what reads cleanly survives a write/read round trip unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":"x"}` + "\n" + `{"a":2.50,"c":[1,{"d":null}]}`,
		`[{"a":1},{"a":"\ud83d\ude00"}]`,
		`{"a":1e5,"b":-0.0,"c":123456789012345678901234567890}`,
		"{\"a\":\"\\u00e9\\n\"}\r\n\r\n{}",
		`{"a":[[[[]]]]}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, array bool) {
		for _, seekable := range []bool{true, false} {
			var r interface{ Read([]byte) (int, error) } = bytes.NewReader(data)
			if !seekable {
				r = onlyReader{r}
			}
			d, err := NewReader(r, ReadOptions{Array: array, Sample: 3})
			if err != nil {
				continue
			}
			got, err := rowstest.Drain(d)
			if err != nil || !seekable {
				continue
			}
			var buf bytes.Buffer
			w, err := NewWriter(&buf, d.Schema(), WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if err := w.Write(&got[i]); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			d2, err := NewReader(bytes.NewReader(buf.Bytes()), ReadOptions{Schema: d.Schema()})
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			var row rows.Row
			for d2.Next(&row) {
				for j := range row.Values {
					if !row.Values[j].Equal(got[i].Values[j]) {
						t.Fatalf("row %d field %d: %v != %v (written %q)", i, j, row.Values[j], got[i].Values[j], buf.String())
					}
				}
				i++
			}
			if d2.Err() != nil || i != len(got) {
				t.Fatalf("re-read: %v, %d of %d rows; written %q", d2.Err(), i, len(got), buf.String())
			}
		}
	})
}
