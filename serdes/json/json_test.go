package json

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// onlyReader hides Seek so the sampling path is taken.
type onlyReader struct{ io.Reader }

func readAll(t *testing.T, in string, opts ReadOptions, seekable bool) (*rows.Schema, []rows.Row, error) {
	t.Helper()
	var r io.Reader = strings.NewReader(in)
	if !seekable {
		r = onlyReader{r}
	}
	d, err := NewReader(r, opts)
	if err != nil {
		return nil, nil, err
	}
	out, err := rowstest.Drain(d)
	return d.Schema(), out, err
}

func TestReadValues(t *testing.T) {
	in := `{"id":1,"name":"a\"b\u00e9\ud83d\ude00","amount":12.50,"big":123456789012345678901,"neg":-0.001,"e":1.5e2,"ok":true,"n":null,"tags":["x",2],"obj":{"z":1,"a":{"b":[]}}}
{"id":9223372036854775807,"name":"","amount":3,"big":1,"neg":-1,"e":2E-3,"ok":false,"n":null,"tags":[],"obj":{}}
`
	for _, seekable := range []bool{true, false} {
		schema, got, err := readAll(t, in, ReadOptions{Name: "t.jsonl"}, seekable)
		if err != nil {
			t.Fatal(err)
		}
		wantNames := "id name amount big neg e ok n tags obj"
		if strings.Join(schema.Names(), " ") != wantNames {
			t.Fatalf("names %v", schema.Names())
		}
		kinds := map[string]rows.Kind{"id": rows.KindInt, "name": rows.KindString, "amount": rows.KindDecimal,
			"big": rows.KindDecimal, "neg": rows.KindDecimal, "e": rows.KindDecimal, "ok": rows.KindBool, "n": rows.KindAny,
			"tags": rows.KindList, "obj": rows.KindMap}
		for _, f := range schema.Fields {
			if f.Kind != kinds[f.Name] {
				t.Errorf("field %s kind %s want %s", f.Name, f.Kind, kinds[f.Name])
			}
		}
		if f := schema.Fields[2]; f.Scale != 2 || f.Precision != 4 {
			t.Errorf("amount precision/scale %d/%d", f.Precision, f.Scale)
		}
		want := [][]rows.Value{
			{rows.Int(1), rows.String("a\"bé😀"), rowstest.Dec("12.50"), rowstest.Dec("123456789012345678901"), rowstest.Dec("-0.001"), rowstest.Dec("150"),
				rows.Bool(true), rows.Null, rows.List([]rows.Value{rows.String("x"), rows.Int(2)}),
				rows.MapOf([]rows.Value{rows.String("z"), rows.Int(1), rows.String("a"), rows.MapOf([]rows.Value{rows.String("b"), rows.List(nil)})})},
			{rows.Int(9223372036854775807), rows.String(""), rows.Decimal(3, 0), rows.Decimal(1, 0), rows.Decimal(-1, 0), rowstest.Dec("0.002"),
				rows.Bool(false), rows.Null, rows.List(nil), rows.MapOf(nil)},
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows", len(got))
		}
		for i := range want {
			for j := range want[i] {
				if !got[i].Values[j].Equal(want[i][j]) {
					t.Errorf("seekable=%v row %d field %s: got %v (%s) want %v (%s)", seekable, i, schema.Fields[j].Name,
						got[i].Values[j], got[i].Values[j].Kind(), want[i][j], want[i][j].Kind())
				}
			}
		}
	}
}

func TestSchemaInference(t *testing.T) {
	in := `{"a":1}
{"b":"x","a":2}

{"a":"mixed","c":null}
`
	schema, got, err := readAll(t, in, ReadOptions{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d rows", len(got))
	}
	want := []rows.Field{
		{Name: "a", Kind: rows.KindAny, Nullable: true},
		{Name: "b", Kind: rows.KindString, Nullable: true},
		{Name: "c", Kind: rows.KindAny, Nullable: true},
	}
	for i, f := range want {
		if schema.Fields[i] != f {
			t.Errorf("field %d: %+v want %+v", i, schema.Fields[i], f)
		}
	}
	if !got[0].Values[1].IsNull() || got[1].Values[1].AsString() != "x" {
		t.Errorf("missing keys must be null: %v", got)
	}
}

func TestArray(t *testing.T) {
	cases := []struct {
		in   string
		rows int
	}{
		{`[{"a":1},{"a":2.5}]`, 2},
		{"[\n  {\"a\": 1},\n  {\"a\": \"x, ]\"}\n]\n", 2},
		{`[]`, 0},
		{``, 0},
		{`{"a":1}`, 1},
	}
	for _, c := range cases {
		for _, seekable := range []bool{true, false} {
			_, got, err := readAll(t, c.in, ReadOptions{Array: true}, seekable)
			if err != nil {
				t.Fatalf("%q: %v", c.in, err)
			}
			if len(got) != c.rows {
				t.Errorf("%q: %d rows, want %d", c.in, len(got), c.rows)
			}
		}
	}
}

func TestErrorLocation(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		array bool
		want  string
	}{
		{"bad value", "{\"a\":1}\n{\"a\":tru}\n", false, "f.json:2:6: invalid literal"},
		{"unterminated", "{\"a\":1}\n\n{\"a\":\"x}\n", false, "f.json:3:6: unterminated string"},
		{"trailing", "{\"a\":1} x\n", false, "f.json:1:9: unexpected data after the object"},
		{"not object", "{\"a\":1}\n[1]\n", false, "f.json:2:1: expected a JSON object, found an array"},
		{"number", "{\"a\":01}\n", false, "f.json:1:6: invalid number: leading zero"},
		{"exponent", "{\"a\":1e99999}\n", false, "f.json:1:6: number 1e99999: exponent out of range"},
		{"array element", "[\n{\"a\":1},\n{\"a\":\n  nul}]", true, "f.json:4:3: invalid literal"},
		{"array comma", "[{\"a\":1} {\"a\":2}]", true, "f.json:1:10: expected ',' or ']'"},
		{"array unterminated", "[{\"a\":1},", true, "f.json:1:10: unexpected end of file inside the top-level array"},
		{"array tail", "[{\"a\":1}] x", true, "f.json:1:11: unexpected data after the end"},
		{"control char", "{\"a\":\"x\ty\"}", false, "f.json:1:8: control character"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.in, ReadOptions{Name: "f.json", Array: c.array}, true)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%T is not a *SyntaxError", err)
			}
		})
	}
}

func TestSampleErrors(t *testing.T) {
	in := "{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"b\":1}\n"
	_, _, err := readAll(t, in, ReadOptions{Sample: 2, Name: "s.jsonl"}, false)
	if err == nil || !strings.Contains(err.Error(), `s.jsonl:3:8: key "b" did not appear in the first 2 records`) {
		t.Fatalf("got %v", err)
	}
	in = "{\"a\":1}\n{\"a\":2}\n{\"a\":\"x\"}\n"
	_, _, err = readAll(t, in, ReadOptions{Sample: 2, Name: "s.jsonl"}, false)
	if err == nil || !strings.Contains(err.Error(), `s.jsonl:3:6: field "a": a string value, but the schema inferred from the first 2 records says int`) {
		t.Fatalf("got %v", err)
	}
	// The same input read whole is fine.
	if _, got, err := readAll(t, in, ReadOptions{}, true); err != nil || len(got) != 3 {
		t.Fatalf("%v %d", err, len(got))
	}
	// A sample larger than the file is a complete scan.
	if _, got, err := readAll(t, in, ReadOptions{Sample: 10}, false); err != nil || len(got) != 3 {
		t.Fatalf("%v %d", err, len(got))
	}
}

func TestGivenSchema(t *testing.T) {
	schema := &rows.Schema{Fields: []rows.Field{{Name: "b", Kind: rows.KindString}, {Name: "a", Kind: rows.KindInt}}}
	s, got, err := readAll(t, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2}\n", ReadOptions{Schema: schema}, false)
	if err != nil {
		t.Fatal(err)
	}
	if s != schema || got[0].Values[0].AsString() != "x" || got[0].Values[1].AsInt() != 1 || !got[1].Values[0].IsNull() {
		t.Fatalf("%v", got)
	}
	_, _, err = readAll(t, "{\"c\":1}\n", ReadOptions{Schema: schema}, false)
	if err == nil || !strings.Contains(err.Error(), `key "c" is not in the schema`) {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	in := `{"id":1,"name":"a\"b\\c\n","amount":12.50,"big":-123456789012345678901.000,"ok":true,"n":null,"tags":["x",2,{"k":[1.0]}],"obj":{"z":1,"a":{"b":[]}}}
{"id":-2,"name":"é😀","amount":0.00,"big":0,"ok":false,"n":null,"tags":[],"obj":{}}
`
	for _, array := range []bool{false, true} {
		for _, cs := range []string{"UTF-8", "UTF-16", "ISO-8859-1"} {
			src := in
			if cs == "ISO-8859-1" {
				src = strings.ReplaceAll(src, "é😀", "é")
			}
			var encoded bytes.Buffer
			// encode the source in the charset first (via a writer round trip)
			d, err := NewReader(strings.NewReader(src), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w, err := NewWriter(&encoded, d.Schema(), WriteOptions{Array: array, Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rows.Copy(w, d); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			d2, err := NewReader(bytes.NewReader(encoded.Bytes()), ReadOptions{Array: array, Charset: cs})
			if err != nil {
				t.Fatal(err)
			}
			var back bytes.Buffer
			w2, _ := NewWriter(&back, d2.Schema(), WriteOptions{})
			if _, err := rows.Copy(w2, d2); err != nil {
				t.Fatal(err)
			}
			w2.Close()
			if back.String() != src {
				t.Errorf("array=%v %s:\n got %s\nwant %s", array, cs, back.String(), src)
			}
		}
	}
}

func TestWriteKinds(t *testing.T) {
	schema := &rows.Schema{Fields: []rows.Field{{Name: "d"}, {Name: "t"}, {Name: "ts"}, {Name: "tz"}, {Name: "f"}, {Name: "nan"}, {Name: "b"}}}
	row := rows.Row{Values: []rows.Value{
		rows.Date(rows.DaysFromCivil(2021, 1, 2)), rows.TimeOfDay(3_000_001), rows.Timestamp(1609556645123456),
		rows.TimestampTZ(1609556645000000, 0), rows.Float(0.1), rows.Float(nanValue()), rows.Bytes([]byte{1, 2, 3}),
	}}
	paris, _ := time.LoadLocation("Europe/Paris")
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, schema, WriteOptions{TimeZone: paris})
	w.Write(&row)
	w.Close()
	want := `{"d":"2021-01-02","t":"00:00:03.000001","ts":"2021-01-02T03:04:05.123456","tz":"2021-01-02T04:04:05+01:00","f":0.1,"nan":"NaN","b":"AQID"}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
}

func nanValue() float64 { z := 0.0; return z / z }

func TestDecoderReusesMemory(t *testing.T) {
	line := `{"a":"x\ny","b":[1,2,{"c":"d"}],"n":12.5}` + "\n"
	in := strings.Repeat(line, 2000)
	d, err := NewReader(strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	d.Next(&row)
	allocs := testing.AllocsPerRun(1000, func() {
		if !d.Next(&row) {
			t.Fatal(d.Err())
		}
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per row", allocs)
	}
}

// The quickstart's sample must stay readable, with exact decimals.
func TestQuickstartSample(t *testing.T) {
	f, err := os.Open("../../examples/quickstart/data/orders.jsonl")
	if err != nil {
		t.Skip("quickstart sample not present:", err)
	}
	defer f.Close()
	d, err := NewReader(f, ReadOptions{Name: "orders.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	n := 0
	for d.Next(&row) {
		n++
	}
	if d.Err() != nil || n != 20 {
		t.Fatal(d.Err(), n)
	}
	if got := d.Schema().String(); got != "id int, customer string, amount decimal, quantity int, status string, order_date string, shipped_at string, discount decimal, address map, tags list" {
		t.Errorf("schema %s", got)
	}
}
