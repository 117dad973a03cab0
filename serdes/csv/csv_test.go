package csv

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

type onlyReader struct{ io.Reader }

func read(t *testing.T, in string, opts ReadOptions) (*rows.Schema, [][]string, *Decoder, error) {
	t.Helper()
	d, err := NewReader(strings.NewReader(in), opts)
	if err != nil {
		return nil, nil, nil, err
	}
	var out [][]string
	var row rows.Row
	for d.Next(&row) {
		var rec []string
		for _, v := range row.Values {
			if v.IsNull() {
				rec = append(rec, "<null>")
			} else {
				rec = append(rec, v.Kind().String()+":"+v.String())
			}
		}
		out = append(out, rec)
	}
	return d.Schema(), out, d, d.Err()
}

func TestRead(t *testing.T) {
	def := DefaultReadOptions()
	semi := def
	semi.Separator, semi.Quote = ';', '\''
	noHeader := def
	noHeader.Header = false
	nulls := def
	nulls.NullValues = []string{"", "NULL"}
	skip := def
	skip.SkipRows = 2
	loose := def
	loose.ErrorOnDifferentFieldCount = false
	cases := []struct {
		name  string
		in    string
		opts  ReadOptions
		names string
		want  string
	}{
		{"basic", "a,b\n1,x\n2,y\n", def, "a,b", "string:1|string:x;string:2|string:y"},
		{"crlf no final newline", "a,b\r\n1,x\r\n2,y", def, "a,b", "string:1|string:x;string:2|string:y"},
		{"quotes", "a,b\n\"x,1\",\"he said \"\"hi\"\"\"\n\"multi\nline\",\"\"\n", def, "a,b", "string:x,1|string:he said \"hi\";string:multi\nline|string:"},
		{"custom sep and quote", "a;b\n'1;2';'it''s'\n", semi, "a,b", "string:1;2|string:it's"},
		{"no header", "1,x\n2,y\n", noHeader, "column1,column2", "string:1|string:x;string:2|string:y"},
		{"nulls", "a,b\n,NULL\n", nulls, "a,b", "<null>|<null>"},
		{"skip rows", "# title\n# more\na\n1\n", skip, "a", "string:1"},
		{"blank lines", "a\n\n1\n\n", def, "a", "string:1"},
		{"header dup and empty", "a,a,\n1,2,3\n", def, "a,a_2,column3", "string:1|string:2|string:3"},
		{"bom", "\xef\xbb\xbfid\n1\n", def, "id", "string:1"},
		{"quote in unquoted field", "a\nx\"y\n", def, "a", "string:x\"y"},
		{"loose counts", "a,b\n1\n1,2,3\n", loose, "a,b", "string:1|<null>;string:1|string:2"},
		{"trailing separator", "a,b\n1,\n", def, "a,b", "string:1|string:"},
		{"empty input", "", def, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, got, _, err := read(t, c.in, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(s.Names(), ",") != c.names {
				t.Errorf("names %v", s.Names())
			}
			var recs []string
			for _, r := range got {
				recs = append(recs, strings.Join(r, "|"))
			}
			if g := strings.Join(recs, ";"); g != c.want {
				t.Errorf("got  %q\nwant %q", g, c.want)
			}
		})
	}
}

func TestTyped(t *testing.T) {
	opts := DefaultReadOptions()
	opts.Columns = []Column{{Name: "n", Type: "int"}, {Name: "amount", Type: "decimal"}, {Name: "d", Type: "date", Format: "dd/MM/yyyy"},
		{Name: "ts", Type: "timestamptz"}, {Name: "ok", Type: "bool"}}
	in := "n,amount,d,ts,ok,s\n1,12.50,02/01/2021,2021-01-02T03:04:05.5+01:00,yes,x\n,,,,,\n"
	_, got, _, err := read(t, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := "int:1|decimal:12.50|date:2021-01-02|timestamptz:2021-01-02T03:04:05.5+01:00|bool:true|string:x;<null>|<null>|<null>|<null>|<null>|string:"
	var recs []string
	for _, r := range got {
		recs = append(recs, strings.Join(r, "|"))
	}
	if g := strings.Join(recs, ";"); g != want {
		t.Errorf("got  %q\nwant %q", g, want)
	}

	opts.Columns = []Column{{Name: "nope", Type: "int"}}
	if _, _, _, err := read(t, "a\n1\n", opts); err == nil || !strings.Contains(err.Error(), `column "nope" is not in the header`) {
		t.Errorf("got %v", err)
	}
}

func TestInferTypes(t *testing.T) {
	in := "i,d,b,dt,tm,ts,tz,s,e\n1,1.5,true,2021-01-02,10:00:00,2021-01-02 03:04:05,2021-01-02T03:04:05Z,x,\n-2,3,FALSE,2021-12-31,23:59:59.5,2021-01-02T03:04,2021-01-02T03:04:05+02:00,1,\n"
	for _, seekable := range []bool{true, false} {
		opts := DefaultReadOptions()
		opts.InferTypes = true
		var r io.Reader = strings.NewReader(in)
		if !seekable {
			r = onlyReader{r}
		}
		d, err := NewReader(r, opts)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, f := range d.Schema().Fields {
			kinds = append(kinds, f.Kind.String())
		}
		if g := strings.Join(kinds, ","); g != "int,decimal,bool,date,time,timestamp,timestamptz,string,string" {
			t.Errorf("kinds %s", g)
		}
		if f := d.Schema().Fields[1]; f.Precision != 2 || f.Scale != 1 {
			t.Errorf("decimal precision/scale %d/%d", f.Precision, f.Scale)
		}
		var row rows.Row
		n := 0
		for d.Next(&row) {
			n++
		}
		if d.Err() != nil || n != 2 {
			t.Fatal(d.Err(), n)
		}
	}
	// A sampled type that later does not fit names line, column and sample.
	opts := DefaultReadOptions()
	opts.InferTypes, opts.Sample, opts.Name = true, 2, "s.csv"
	d, err := NewReader(onlyReader{strings.NewReader("a\n1\n2\nx\n")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	for d.Next(&row) {
	}
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), `s.csv:4: column "a": "x" is not a valid int (the type was inferred from the first 2 records`) {
		t.Errorf("got %v", err)
	}
}

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"field count", "a,b\n1,2\n3\n", "m.csv:3: 1 fields, expected 2"},
		{"text after quote", "a,b\n1,2\n\"x\"y,2\n", "m.csv:3:4: unexpected text after the closing \""},
		{"unterminated", "a,b\n1,2\n3,\"abc\n4,5\n", "m.csv:3:3: quoted field starting here is never closed"},
		{"multiline record then bad count", "a,b\n\"x\ny\",2\n1\n", "m.csv:4: 1 fields, expected 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := DefaultReadOptions()
			opts.Name = "m.csv"
			_, got, _, err := read(t, c.in, opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if len(got) != 1 {
				t.Errorf("%d rows before the error", len(got))
			}
			opts.SkipMalformed = true
			_, got, d, err := read(t, c.in, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Skipped() != 1 || len(got) < 1 {
				t.Errorf("skipped %d, rows %d", d.Skipped(), len(got))
			}
		})
	}
}

func TestWriteAndRoundTrip(t *testing.T) {
	schema := &rows.Schema{Fields: []rows.Field{{Name: "s"}, {Name: "n"}, {Name: "d"}, {Name: "f"}, {Name: "b"}, {Name: "dt"}, {Name: "ts"}, {Name: "tz"}, {Name: "raw"}, {Name: "l"}}}
	big, _ := rows.ParseDecimal("-12345678901234567890.120")
	data := []rows.Row{
		{Values: []rows.Value{rows.String("a,\"b\"\nc"), rows.Int(-5), big, rows.Float(0.1), rows.Bool(true),
			rows.Date(rows.DaysFromCivil(2021, 1, 2)), rows.Timestamp(1609556645123456), rows.TimestampTZ(1609556645000000, 3600),
			rows.Bytes([]byte{0xff, 0}), rows.List([]rows.Value{rows.Int(1), rows.String("x")})}},
		{Values: make([]rows.Value, 10)},
	}
	for _, cs := range []string{"UTF-8", "windows-1252", "UTF-16"} {
		var buf bytes.Buffer
		wo := DefaultWriteOptions()
		wo.Charset = cs
		w, err := NewWriter(&buf, schema, wo)
		if err != nil {
			t.Fatal(err)
		}
		rowstest.WriteAll(t, w, data)
		ro := DefaultReadOptions()
		ro.Charset = cs
		_, got, _, err := read(t, buf.String(), ro)
		if err != nil {
			t.Fatal(err)
		}
		want := "string:a,\"b\"\nc|string:-5|string:-12345678901234567890.120|string:0.1|string:true|string:2021-01-02|string:2021-01-02T03:04:05.123456|string:2021-01-02T04:04:05+01:00|string:/wA=|string:[1,\"x\"]"
		if g := strings.Join(got[0], "|"); g != want {
			t.Errorf("%s:\n got %q\nwant %q", cs, g, want)
		}
		if cs == "UTF-8" {
			if !strings.HasPrefix(buf.String(), "s,n,d,f,b,dt,ts,tz,raw,l\n\"a,\"\"b\"\"\nc\",-5,") || !strings.HasSuffix(buf.String(), "\n,,,,,,,,,\n") {
				t.Errorf("output %q", buf.String())
			}
		}
	}
}

func TestWriteFormats(t *testing.T) {
	schema := &rows.Schema{Fields: []rows.Field{{Name: "d"}, {Name: "t"}, {Name: "ts"}, {Name: "tz"}, {Name: "s"}}}
	row := rows.Row{Values: []rows.Value{rows.Date(rows.DaysFromCivil(2021, 1, 2)), rows.TimeOfDay(13*3600e6 + 5e6),
		rows.Timestamp(1609556645123456), rows.TimestampTZ(1609556645000000, 0), rows.String("x")}}
	paris, _ := time.LoadLocation("Europe/Paris")
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, WriteOptions{Separator: '\t', Quote: '"', LineDelimiter: "\r\n", AlwaysQuote: true,
		DateFormat: "dd/MM/yyyy", TimeFormat: "hh:mm a", DateTimeFormat: "yyyy-MM-dd HH:mm:ss.SSS[XXX]", TimeZone: paris})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(&row)
	w.Close()
	want := "\"02/01/2021\"\t\"01:00 PM\"\t\"2021-01-02 03:04:05.123+01:00\"\t\"2021-01-02 04:04:05.000+01:00\"\t\"x\"\r\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
	if _, err := NewWriter(&buf, schema, WriteOptions{DateFormat: "yyyy-qq"}); err == nil {
		t.Error("bad pattern accepted")
	}
	// A mandatory zone on a zone-less value is a located row error.
	w, _ = NewWriter(io.Discard, schema, WriteOptions{DateTimeFormat: "yyyy XXX"})
	if err := w.Write(&row); err == nil || !strings.Contains(err.Error(), `row 1, column "ts"`) {
		t.Errorf("got %v", err)
	}
}
