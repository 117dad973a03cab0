package avro

import (
	"bytes"
	"os"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/ion"
)

// TestKestraIonListRows is Kestra's AvroWriterTest.array: an Ion file
// whose rows are lists (what Kestra's CsvReader writes without a header)
// written with a record schema, the items filling the fields in order.
// The files are Kestra's (plugin-serdes, Apache License 2.0).
func TestKestraIonListRows(t *testing.T) {
	f, err := os.Open("../ion/testdata/insurance_sample_array.ion")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schema, err := os.ReadFile("../ion/testdata/insurance_sample.avsc")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ion.NewReader(f, ion.ReadOptions{Name: "insurance_sample_array.ion"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, r.Schema(), WriteOptions{Schema: string(schema)})
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	for r.Next(&row) {
		if err := w.Write(&row); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rs, got := readBack(t, buf.Bytes())
	if len(got) != 5 || rs.Fields[0].Name != "policyID" || got[0].Values[0].AsString() != "119736" ||
		got[2].Values[16].AsString() != "Wood" || got[1].Values[17].AsString() != "3" {
		t.Fatalf("read back %d rows: %v", len(got), got)
	}
}
