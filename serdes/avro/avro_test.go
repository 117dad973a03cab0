package avro

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hamba/avro/v2/ocf"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

func write(t *testing.T, s *rows.Schema, data []rows.Row, opts WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	rowstest.WriteAll(t, w, data)
	return buf.Bytes()
}

func readBack(t *testing.T, b []byte) (*rows.Schema, []rows.Row) {
	t.Helper()
	d, err := NewReader(bytes.NewReader(b), ReadOptions{Name: "t.avro"})
	if err != nil {
		t.Fatal(err)
	}
	out := rowstest.MustDrain(t, d)
	return d.Schema(), out
}

func TestRoundTripInferred(t *testing.T) {
	s, data := rowstest.AllKinds()
	for _, codec := range Codecs {
		b := write(t, s, data, WriteOptions{Codec: codec})
		rs, got := readBack(t, b)
		if len(got) != len(data) {
			t.Fatalf("%s: %d rows", codec, len(got))
		}
		if rs.Fields[12].Name != "bad_name_" || rs.Fields[2].Kind != rows.KindDecimal || rs.Fields[2].Scale != 3 || !rs.Fields[1].Nullable {
			t.Errorf("schema %+v", rs.Fields)
		}
		for i := range data {
			for j, want := range data[i].Values {
				g := got[i].Values[j]
				switch s.Fields[j].Name {
				case "meta": // any → JSON text
					wantJSON, _ := rows.AppendJSON(nil, want)
					want = rows.String(string(wantJSON))
				}
				if !g.Equal(want) {
					t.Errorf("%s row %d %s: got %v (%s) want %v (%s)", codec, i, s.Fields[j].Name, g, g.Kind(), want, want.Kind())
				}
			}
		}
	}
}

func TestGivenSchemaConversions(t *testing.T) {
	schema := `{"type":"record","name":"r","fields":[
		{"name":"i","type":"int"},
		{"name":"b","type":["null","boolean"]},
		{"name":"d","type":{"type":"int","logicalType":"date"}},
		{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"lts","type":{"type":"long","logicalType":"local-timestamp-micros"}},
		{"name":"t","type":{"type":"int","logicalType":"time-millis"}},
		{"name":"dec","type":{"type":"fixed","name":"f8","size":8,"logicalType":"decimal","precision":10,"scale":2}},
		{"name":"u","type":{"type":"string","logicalType":"uuid"}},
		{"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN"]}},
		{"name":"missing","type":"string","default":"dflt"},
		{"name":"opt","type":["null","long"],"default":null},
		{"name":"s","type":["null","string"]},
		{"name":"rec","type":{"type":"record","name":"inner","fields":[{"name":"x","type":"long"}]}}
	]}`
	rs := &rows.Schema{Fields: []rows.Field{{Name: "i"}, {Name: "b"}, {Name: "d"}, {Name: "ts"}, {Name: "lts"}, {Name: "t"}, {Name: "dec"}, {Name: "u"}, {Name: "e"}, {Name: "s"}, {Name: "rec"}}}
	row := rows.Row{Values: []rows.Value{rows.String("42"), rows.String("yes"), rows.String("2021-01-02"),
		rows.String("2021-01-02T03:04:05.123+01:00"), rows.String("2021-01-02T03:04:05.123456"), rows.String("10:11:12.5"),
		rows.String("-12.3"), rows.String("123e4567-e89b-12d3-a456-426614174000"), rows.String("GREEN"), rows.String("NA"),
		rows.MapOf([]rows.Value{rows.String("x"), rows.String("7")})}}
	b := write(t, rs, []rows.Row{row}, WriteOptions{Schema: schema})
	_, got := readBack(t, b)
	want := []string{"42", "true", "2021-01-02", "2021-01-02T02:04:05.123Z", "2021-01-02T03:04:05.123456", "10:11:12.5", "-12.30",
		"123e4567-e89b-12d3-a456-426614174000", "GREEN", "dflt", "null", "NA", `{"x":7}`}
	for i, w := range want {
		if g := got[0].Values[i].String(); g != w {
			t.Errorf("field %d: got %q want %q", i, g, w)
		}
	}
	// inferAllFields turns null texts into null in nullable string columns.
	b = write(t, rs, []rows.Row{row}, WriteOptions{Schema: schema, InferAllFields: true})
	if _, got := readBack(t, b); !got[0].Values[11].IsNull() {
		t.Errorf("inferAllFields: got %v", got[0].Values[11])
	}
}

func TestWriteErrors(t *testing.T) {
	rs := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "amount"}}}
	decSchema := `{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}]}`
	cases := []struct {
		name   string
		schema string
		opts   WriteOptions
		rows   []rows.Row
		want   string
	}{
		{"scale", decSchema, WriteOptions{}, []rows.Row{{Values: []rows.Value{rows.Int(1), rowstest.Dec("1.23")}}, {Values: []rows.Value{rows.Int(2), rowstest.Dec("1.239")}}},
			`row 2, column "amount", value "1.239": 1.239 has 3 digits after the point, more than the 2 the target keeps: it would be rounded`},
		{"precision", decSchema, WriteOptions{}, []rows.Row{{Values: []rows.Value{rows.Int(1), rowstest.Dec("1234.5")}}},
			`row 1, column "amount", value "1234.5": 1234.5 has more digits than decimal(5,2) holds`},
		{"big scale", decSchema, WriteOptions{}, []rows.Row{{Values: []rows.Value{rows.Int(1), rowstest.Dec("0.00000000000000000000001")}}},
			`it would be rounded`},
		{"null", decSchema, WriteOptions{}, []rows.Row{{Values: []rows.Value{rows.Null, rowstest.Dec("1")}}},
			`row 1, column "id": null is not allowed in a long field`},
		{"text", decSchema, WriteOptions{}, []rows.Row{{Values: []rows.Value{rows.String("x1"), rowstest.Dec("1")}}},
			`row 1, column "id", value "x1": "x1" is not an integer`},
		{"nested", `{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"amount","type":{"type":"array","items":"int"}}]}`, WriteOptions{},
			[]rows.Row{{Values: []rows.Value{rows.Int(1), rows.List([]rows.Value{rows.Int(1), rows.Int(1 << 40)})}}},
			`column "amount[1]"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := NewWriter(&bytes.Buffer{}, rs, WriteOptions{Schema: c.schema})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := range c.rows {
				if werr = w.Write(&c.rows[i]); werr != nil {
					break
				}
			}
			if werr == nil || !strings.Contains(werr.Error(), c.want) {
				t.Fatalf("got %v, want %q", werr, c.want)
			}
		})
	}
	// Schema mismatches found before any row.
	if _, err := NewWriter(&bytes.Buffer{}, rs, WriteOptions{Schema: `{"type":"record","name":"r","fields":[{"name":"other","type":"long"}]}`}); err == nil ||
		!strings.Contains(err.Error(), `field "other" (long) is not a column of the rows (id, amount), has no default and does not accept null`) {
		t.Errorf("got %v", err)
	}
	if _, err := NewWriter(&bytes.Buffer{}, rs, WriteOptions{StrictSchema: true, Schema: `{"type":"record","name":"r","fields":[{"name":"id","type":"long"}]}`}); err == nil ||
		!strings.Contains(err.Error(), "strictSchema: avro: columns amount are not fields of record r") {
		t.Errorf("got %v", err)
	}
	if _, err := NewWriter(&bytes.Buffer{}, rs, WriteOptions{Schema: `{"type":"record"`}); err == nil {
		t.Error("bad schema accepted")
	}
}

// TestReadByHamba: hamba's own container decoder accepts the file too.
func TestReadByHamba(t *testing.T) {
	s, data := rowstest.AllKinds()
	b := write(t, s, data, WriteOptions{Codec: "zstandard"})
	d, err := ocf.NewDecoder(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for d.HasNext() {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if d.Error() != nil || n != 2 {
		t.Fatal(d.Error(), n)
	}
}

func TestCorruptInput(t *testing.T) {
	s, data := rowstest.AllKinds()
	b := write(t, s, data, WriteOptions{})
	for _, cut := range []int{10, len(b) / 2, len(b) - 5} {
		d, err := NewReader(bytes.NewReader(b[:cut]), ReadOptions{Name: "cut.avro"})
		if err != nil {
			continue
		}
		var row rows.Row
		for d.Next(&row) {
		}
		if d.Err() == nil || !strings.Contains(d.Err().Error(), "cut.avro") {
			t.Errorf("cut at %d: %v", cut, d.Err())
		}
	}
	if _, err := NewReader(strings.NewReader("not avro at all"), ReadOptions{Name: "x"}); err == nil {
		t.Error("garbage accepted")
	}
}

func TestDecimalWidePaths(t *testing.T) {
	schema := `{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"bytes","logicalType":"decimal","precision":38,"scale":19}},
		{"name":"f","type":{"type":"fixed","name":"f16","size":16,"logicalType":"decimal","precision":38,"scale":19}}]}`
	rs := &rows.Schema{Fields: []rows.Field{{Name: "a"}, {Name: "f"}}}
	vals := []rows.Value{rows.Int(-9223372036854775808), rowstest.Dec("1.5"), rowstest.Dec("-0.000001"), rowstest.Dec("0"), rows.Int(9223372036854775807), rowstest.Dec("-1234567890123456789.1234567890123456789")}
	var data []rows.Row
	for _, v := range vals {
		data = append(data, rows.Row{Values: []rows.Value{v, v}})
	}
	_, got := readBack(t, write(t, rs, data, WriteOptions{Schema: schema}))
	for i, v := range vals {
		for j := 0; j < 2; j++ {
			if got[i].Values[j].Rat().Cmp(v.Rat()) != 0 || got[i].Values[j].Scale() != 19 {
				t.Errorf("%v → %v", v, got[i].Values[j])
			}
		}
	}
	narrow := `{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"bytes","logicalType":"decimal","precision":20,"scale":19}}]}`
	w, _ := NewWriter(&bytes.Buffer{}, &rows.Schema{Fields: []rows.Field{{Name: "a"}}}, WriteOptions{Schema: narrow})
	if err := w.Write(&rows.Row{Values: []rows.Value{rowstest.Dec("12.5")}}); err == nil || !strings.Contains(err.Error(), "more digits than decimal(20,19) holds") {
		t.Errorf("got %v", err)
	}
	if err := w.Write(&rows.Row{Values: []rows.Value{rowstest.Dec("-9.5")}}); err != nil {
		t.Error(err)
	}
}
