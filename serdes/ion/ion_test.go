package ion

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/amazon-ion/ion-go/ion"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
)

// As Kestra writes its internal storage files.
const kestraIon = `{id:1,name:"a",amount:12.50,created:2021-01-02T03:04:05.123456Z,day:2021-01-02,ok:true,tags:["x",2],meta:{k:null},f:1.5e0,local:2021-01-02T03:04:05-00:00}
{id:2,name:"b\"\n",amount:-7.,created:2021-01-02T03:04:05+01:00,day:null,ok:false,tags:[],meta:{},f:nan,local:2021-01-02T03:04:05.5-00:00,big:123456789012345678901234567890,'odd key':'sym'}
`

func readAll(t *testing.T, in string) (*rows.Schema, []rows.Row) {
	t.Helper()
	d, err := NewReader(strings.NewReader(in), ReadOptions{Name: "k.ion"})
	if err != nil {
		t.Fatal(err)
	}
	out := rowstest.MustDrain(t, d)
	return d.Schema(), out
}

func TestReadKestraIon(t *testing.T) {
	s, got := readAll(t, kestraIon)
	if s.String() != "id int, name string, amount decimal, created timestamptz, day date, ok bool, tags list, meta map, f float, local timestamp, big decimal, odd key string" {
		t.Fatalf("schema %s", s)
	}
	want := [][]string{
		{"1", "a", "12.50", "2021-01-02T03:04:05.123456Z", "2021-01-02", "true", `["x",2]`, `{"k":null}`, "1.5", "2021-01-02T03:04:05", "null", "null"},
		{"2", "b\"\n", "-7", "2021-01-02T03:04:05+01:00", "null", "false", "[]", "{}", "NaN", "2021-01-02T03:04:05.5", "123456789012345678901234567890", "sym"},
	}
	for i := range want {
		for j, w := range want[i] {
			if g := got[i].Values[j].String(); g != w {
				t.Errorf("row %d %s: got %q want %q", i, s.Fields[j].Name, g, w)
			}
		}
	}
	if got[1].Values[2].Kind() != rows.KindDecimal || got[1].Values[2].Scale() != 0 {
		t.Errorf("-7. must stay a decimal of scale 0: %v", got[1].Values[2])
	}
}

func TestRoundTrip(t *testing.T) {
	s, got := readAll(t, kestraIon)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if err := w.Write(&got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != `{id:1,name:"a",amount:12.50,created:2021-01-02T03:04:05.123456Z,day:2021-01-02,ok:true,tags:["x",2],meta:{k:null},f:1.5e+00,local:2021-01-02T03:04:05-00:00,big:null,'odd key':null}` {
		t.Errorf("output:\n%s", buf.String())
	}
	s2, back := readAll(t, buf.String())
	if s2.String() != s.String() {
		t.Errorf("schema %s != %s", s2, s)
	}
	for i := range got {
		for j := range got[i].Values {
			if !back[i].Values[j].Equal(got[i].Values[j]) {
				t.Errorf("row %d %s: %v != %v", i, s.Fields[j].Name, back[i].Values[j], got[i].Values[j])
			}
		}
	}
	// ion-go's own reader accepts every value and sees the same decimal.
	r := ion.NewReaderString(buf.String())
	n := 0
	for r.Next() {
		n++
	}
	if r.Err() != nil || n != 2 {
		t.Fatal(r.Err(), n)
	}
}

func TestWriteKinds(t *testing.T) {
	s := &rows.Schema{Fields: []rows.Field{{Name: "null"}, {Name: "d"}, {Name: "neg"}, {Name: "t"}, {Name: "b"}, {Name: "inf"}, {Name: "$1"}}}
	row := rows.Row{Values: []rows.Value{rows.Int(1), rows.Decimal(5, -2), rows.Decimal(-5, 3), rows.TimeOfDay(1), rows.Bytes([]byte("hi")), rows.Float(-1 / zero()), rows.String("\x00")}}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, s)
	w.Write(&row)
	w.Close()
	want := `{'null':1,d:5d2,neg:-0.005,t:"00:00:00.000001",b:{{aGk=}},inf:-inf,'$1':"\x00"}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	_, got := readAll(t, buf.String())
	if got[0].Values[1].DecimalString() != "500" || got[0].Values[2].DecimalString() != "-0.005" || string(got[0].Values[4].AsBytes()) != "hi" {
		t.Errorf("read back %v", got[0].Values)
	}
}

func zero() float64 { return 0 }

func TestErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"{a:1}\n[1,2]\n", "k.ion: value 2: a list among rows that are structs"},
		{"1\n", "k.ion: value 1: expected a struct or a list (a row), found int"},
		{"{a:1}\n{a:1\n", "k.ion: value 2"},
	}
	for _, c := range cases {
		_, err := NewReader(strings.NewReader(c.in), ReadOptions{Name: "k.ion"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v want %q", c.in, err, c.want)
		}
	}
	_, err := NewReader(onlyReader{strings.NewReader("{a:1}")}, ReadOptions{})
	if err == nil {
		t.Error("non-seekable input without schema accepted")
	}
}

type onlyReader struct{ io.Reader }

// TestListRows: rows written as Ion lists (Kestra's CsvReader without a
// header) are read by position into columns column1, column2, ...
func TestListRows(t *testing.T) {
	r, err := NewReader(strings.NewReader("[\"a\",1]\n[\"b\",2,3.5]\n"), ReadOptions{Name: "l.ion"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Schema().Names(), ","); got != "column1,column2,column3" {
		t.Fatalf("columns %s", got)
	}
	var row rows.Row
	var got []string
	for r.Next(&row) {
		got = append(got, fmt.Sprint(row.Values[0], row.Values[1], row.Values[2]))
	}
	if r.Err() != nil || strings.Join(got, "|") != "a 1 null|b 2 3.5" {
		t.Fatalf("got %q, %v", got, r.Err())
	}
}
