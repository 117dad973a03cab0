package avro

import (
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// readByOthers lists the files fastavro refuses but the reference Java
// implementation reads; sluice reads them too, and the test checks what
// it reads against what Java's test suite says the file holds.
var readByOthers = map[string]string{
	// Java's TestDataFileReader writes the sync marker into the metadata
	// on purpose; fastavro decodes metadata values as UTF-8 and fails.
	"apache/syncInMeta.avro": "",
}

// TestInteropFiles reads every Avro file of Apache Avro's share/test/data
// and fastavro's tests/avro-files (copies in testdata/interop, licences
// beside them) and compares each value with what fastavro reads, as
// recorded by testdata/interop/fastavro_expected.py. The expected values
// are committed rather than computed at test time so that the comparison
// runs everywhere, CI included, without Python or the network; the script
// regenerates them (the fastavro version is in the file).
func TestInteropFiles(t *testing.T) {
	f, err := os.Open("testdata/interop/fastavro-expected.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	dec.UseNumber()
	var want struct {
		Fastavro string
		Files    map[string]struct {
			Records []any
			Error   string
		}
	}
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sub := range []string{"apache", "fastavro"} {
		ents, err := os.ReadDir(filepath.Join("testdata/interop", sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), "LICENSE") {
				names = append(names, sub+"/"+e.Name())
			}
		}
	}
	if len(names) != len(want.Files) {
		t.Fatalf("%d files, %d expected by fastavro %s: rerun fastavro_expected.py", len(names), len(want.Files), want.Fastavro)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			exp, ok := want.Files[name]
			if !ok {
				t.Fatalf("no fastavro reading of %s: rerun fastavro_expected.py", name)
			}
			got, err := readTagged(filepath.Join("testdata/interop", name))
			if exp.Error != "" {
				if _, other := readByOthers[name]; other {
					// Java's TestDataFile.syncInHeader: every datum reads.
					if err != nil || len(got) == 0 {
						t.Fatalf("Java reads %s, sluice: %d records, %v", name, len(got), err)
					}
					return
				}
				if err == nil {
					t.Fatalf("fastavro refuses it (%s), sluice read %d records", exp.Error, len(got))
				}
				t.Logf("refused as fastavro does: sluice %v; fastavro %s", err, exp.Error)
				return
			}
			if err != nil {
				t.Fatalf("fastavro reads %d records, sluice: %v", len(exp.Records), err)
			}
			if len(got) != len(exp.Records) {
				t.Fatalf("%d records, fastavro %d", len(got), len(exp.Records))
			}
			for i := range got {
				g, _ := json.Marshal(got[i])
				w, _ := json.Marshal(exp.Records[i])
				if string(g) != string(w) {
					t.Fatalf("record %d:\nsluice   %s\nfastavro %s", i+1, g, w)
				}
			}
		})
	}
}

// readTagged reads a container file into fastavro_expected.py's tagged
// form: a record per row, or the value of a non-record schema.
func readTagged(path string) ([]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := NewReader(f, ReadOptions{Name: filepath.Base(path)})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	record := d.schema.IsRecord()
	var out []any
	var row rows.Row
	for d.Next(&row) {
		if !record {
			out = append(out, tagValue(row.Values[0]))
			continue
		}
		o := make([]any, len(row.Values))
		for i, v := range row.Values {
			o[i] = []any{d.Schema().Fields[i].Name, tagValue(v)}
		}
		out = append(out, map[string]any{"o": o})
	}
	return out, d.Err()
}

func tagValue(v rows.Value) any {
	switch v.Kind() {
	case rows.KindNull:
		return nil
	case rows.KindBool:
		return v.AsBool()
	case rows.KindInt:
		return json.Number(strconv.FormatInt(v.AsInt(), 10))
	case rows.KindFloat:
		return map[string]any{"f": fmt.Sprintf("%016x", math.Float64bits(v.AsFloat()))}
	case rows.KindDecimal:
		return map[string]any{"d": v.DecimalString()}
	case rows.KindString:
		return strings.Clone(v.AsString()) // it aliases the block, reused by Next
	case rows.KindBytes:
		return map[string]any{"b": hex.EncodeToString(v.AsBytes())}
	case rows.KindDate:
		return map[string]any{"date": json.Number(strconv.FormatInt(v.Raw(), 10))}
	case rows.KindTime:
		return map[string]any{"time": json.Number(strconv.FormatInt(v.Raw(), 10))}
	case rows.KindTimestamp:
		return map[string]any{"local": json.Number(strconv.FormatInt(v.Raw(), 10))}
	case rows.KindTimestampTZ:
		return map[string]any{"ts": json.Number(strconv.FormatInt(v.Raw(), 10))}
	case rows.KindList:
		out := make([]any, v.Len())
		for i, x := range v.Items() {
			out[i] = tagValue(x)
		}
		return out
	case rows.KindMap:
		o := make([]any, v.Len())
		for i := range o {
			k, x := v.Entry(i)
			o[i] = []any{strings.Clone(k), tagValue(x)}
		}
		return map[string]any{"o": o}
	}
	return fmt.Sprintf("unknown kind %s", v.Kind())
}

// TestLenientNames reads a file whose schema has what Avro's name rule
// forbids but Java and fastavro read: a reflect-API namespace with "$",
// an enum symbol "ž", an alias with "-". Writing such a schema is refused.
func TestLenientNames(t *testing.T) {
	schema := `{"type":"record","name":"Numbers","namespace":"org.apache.avro.mapred.TestReflectJob$","fields":[
		{"name":"kind","type":{"type":"enum","name":"K","symbols":["a","ž"]}},
		{"name":"desk","aliases":["nbJH_DTP-Helpdesk"],"type":"string"}]}`
	file, sync, err := appendHeader(nil, schema, "null")
	if err != nil {
		t.Fatal(err)
	}
	rec := []byte{2, 4, 'h', 'i'} // symbol 1, "hi"
	file = appendLong(appendLong(file, 1), int64(len(rec)))
	file = append(append(file, rec...), sync[:]...)
	_, got := readBack(t, file)
	if len(got) != 1 || got[0].Values[0].AsString() != "ž" || got[0].Values[1].AsString() != "hi" {
		t.Fatalf("got %v", got)
	}
	rs := &rows.Schema{Fields: []rows.Field{{Name: "kind"}, {Name: "desk"}}}
	if _, err := NewWriter(io.Discard, rs, WriteOptions{Schema: schema}); err == nil || !strings.Contains(err.Error(), "invalid name") {
		t.Fatalf("writing with invalid names: %v", err)
	}
}

// TestAliasesMatchColumns: a field takes the column (or nested key) named
// by one of its aliases, as Kestra's AvroWriter does.
func TestAliasesMatchColumns(t *testing.T) {
	schema := `{"type":"record","name":"r","fields":[
		{"name":"id","aliases":["ID","ident"],"type":"long"},
		{"name":"inner","type":{"type":"record","name":"i","fields":[{"name":"x","aliases":["old_x"],"type":"int"}]}}]}`
	rs := &rows.Schema{Fields: []rows.Field{{Name: "ident"}, {Name: "inner"}}}
	data := []rows.Row{{Values: []rows.Value{rows.String("7"), rows.MapOf([]rows.Value{rows.String("old_x"), rows.Int(3)})}}}
	_, got := readBack(t, write(t, rs, data, WriteOptions{Schema: schema, StrictSchema: true}))
	want := rows.MapOf([]rows.Value{rows.String("x"), rows.Int(3)})
	if len(got) != 1 || got[0].Values[0].AsInt() != 7 || !got[0].Values[1].Equal(want) {
		t.Fatalf("got %v", got)
	}
}
