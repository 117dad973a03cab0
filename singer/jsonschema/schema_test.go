package jsonschema

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestFields(t *testing.T) {
	cases := []struct {
		schema string
		want   string // name kind [nullable] [scale]
	}{
		{`{"type":"integer"}`, "int"},
		{`{"type":["null","integer"]}`, "int null"},
		{`{"type":"number","multipleOf":0.01}`, "decimal scale=2"},
		{`{"type":"number","multipleOf":1e-6}`, "decimal scale=6"},
		{`{"type":"number","multipleOf":1}`, "decimal scale=0"},
		{`{"type":"number","multipleOf":0.25}`, "float"},
		{`{"type":"number"}`, "float"},
		{`{"type":"string","format":"date-time"}`, "timestamptz"},
		{`{"type":["string","null"],"format":"date"}`, "date null"},
		{`{"type":"string","format":"time"}`, "time"},
		{`{"type":"string","format":"singer.decimal"}`, "decimal"},
		{`{"type":"string","maxLength":10}`, "string"},
		{`{"type":"boolean"}`, "bool"},
		{`{"type":"object","properties":{"a":{"type":"string"}}}`, "map"},
		{`{"properties":{"a":{"type":"string"}}}`, "map"},
		{`{"type":"array","items":{"type":"integer"}}`, "list elem=int"},
		{`{"anyOf":[{"type":"null"},{"type":"string","format":"date-time"}]}`, "timestamptz null"},
		{`{"anyOf":[{"type":"integer"},{"type":"string"}]}`, "any null"},
		{`{"type":["null","integer","string"]}`, "any null"},
		{`{}`, "any null"},
		{`{"type":"null"}`, "any null"},
	}
	for _, c := range cases {
		n, err := Parse([]byte(c.schema))
		if err != nil {
			t.Errorf("%s: %v", c.schema, err)
			continue
		}
		f := n.Field("x")
		got := f.Kind.String()
		if f.Nullable {
			got += " null"
		}
		if f.Kind == rows.KindDecimal && n.HasScale {
			got += " scale=" + strconv.Itoa(f.Scale)
		}
		if f.Kind == rows.KindList {
			got += " elem=" + f.Elem.String()
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.schema, got, c.want)
		}
	}
}

func TestMapValues(t *testing.T) {
	schema := `{"type":"object","properties":{
		"i":{"type":["null","integer"]},
		"big":{"type":"integer"},
		"d":{"type":"number","multipleOf":0.001},
		"f":{"type":"number"},
		"ts":{"type":"string","format":"date-time"},
		"day":{"type":"string","format":"date"},
		"tm":{"type":"string","format":"time"},
		"s":{"type":"string"},
		"b":{"type":"boolean"},
		"o":{"type":"object","properties":{"when":{"type":"string","format":"date"}}},
		"a":{"type":"array","items":{"type":"number","multipleOf":0.1}},
		"any":{}
	}}`
	n, err := Parse([]byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMapper(n)
	if err != nil {
		t.Fatal(err)
	}
	rec := `{"extra":1,"i":null,"big":123456789012345678901234567890,"d":1.5,"f":0.1,
		"ts":"2021-03-04 05:06:07.123456+02:00","day":"2021-03-04T00:00:00+00:00","tm":"23:59:59.5",
		"s":"a\"b","b":true,"o":{"when":"1999-12-31","z":[1]},"a":[1.25,2],"any":{"k":1.5}}`
	var row rows.Row
	if err := m.Map([]byte(rec), &row); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"null", "123456789012345678901234567890", "1.500", "0.1",
		"2021-03-04T05:06:07.123456+02:00", "2021-03-04", "23:59:59.5",
		`a"b`, "true", `{"when":"1999-12-31","z":[1]}`, `[1.25,2.0]`, `{"k":1.5}`,
	}
	for i, w := range want {
		if got := row.Values[i].String(); got != w {
			t.Errorf("%s = %s (%s), want %s", m.Schema().Fields[i].Name, got, row.Values[i].Kind(), w)
		}
	}
	if row.Values[9].Index(1).Kind() != rows.KindDate {
		t.Errorf("nested date not typed: %s", row.Values[9].Index(1).Kind())
	}
	if m.Extra["extra"] != 1 {
		t.Errorf("extra members not counted: %v", m.Extra)
	}
	// A missing property is null.
	if err := m.Map([]byte(`{"s":"x"}`), &row); err != nil || !row.Values[0].IsNull() || row.Values[7].AsString() != "x" {
		t.Fatalf("missing properties: %v %v", row.Values, err)
	}
}

func TestMapErrors(t *testing.T) {
	n, _ := Parse([]byte(`{"properties":{"i":{"type":"integer"},"ts":{"type":"string","format":"date-time"},"d":{"type":"string","format":"date"},"b":{"type":"boolean"}}}`))
	m, _ := NewMapper(n)
	cases := []struct{ rec, want string }{
		{`{"i":1.5}`, `property "i", value 1.5: not an integer`},
		{`{"i":"x"}`, `property "i", value "x": not an integer`},
		{`{"ts":"2021-02-30T00:00:00Z"}`, `invalid date`},
		{`{"ts":"2021-01-01T00:00:00.1234567Z"}`, `more precise than microseconds`},
		{`{"ts":"2021-01-01T25:00:00Z"}`, `invalid time`},
		{`{"d":"2021-01-01T10:00:00Z"}`, `has a time of day`},
		{`{"b":"yes"}`, `expected a boolean, got a string`},
		{`{"i":[1]}`, `expected an integer, got an array`},
	}
	var row rows.Row
	for _, c := range cases {
		err := m.Map([]byte(c.rec), &row)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.rec, err, c.want)
		}
	}
}

func TestDateTimeForms(t *testing.T) {
	cases := map[string]string{
		"2019-07-01T00:00:00Z":           "2019-07-01T00:00:00Z",
		"2019-07-01t10:00:00.5-0530":     "2019-07-01T10:00:00.5-05:30",
		"2019-07-01 10:00:00+02":         "2019-07-01T10:00:00+02:00",
		"2019-07-01T10:00:00":            "2019-07-01T10:00:00",
		"2019-07-01":                     "2019-07-01T00:00:00",
		"1969-12-31T23:59:59.999999Z":    "1969-12-31T23:59:59.999999Z",
		"2020-02-29T12:00:00.000000000Z": "2020-02-29T12:00:00Z",
	}
	for in, want := range cases {
		v, err := ParseDateTime([]byte(in))
		if err != nil || v.String() != want {
			t.Errorf("%s → %s %v, want %s", in, v, err, want)
		}
	}
}

func TestSchemaless(t *testing.T) {
	m, err := NewMapperFromRecord([]byte(`{"b":1,"a":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Schema().String() != "b any, a any" {
		t.Fatal(m.Schema())
	}
	var row rows.Row
	if err := m.Map([]byte(`{"a":"y","b":2.50}`), &row); err != nil || row.Values[1].String() != "y" || row.Values[0].String() != "2.50" {
		t.Fatal(row.Values, err)
	}
}

// FuzzFromJSON feeds arbitrary values to every kind of node: errors are
// fine, panics are not, and a value that converts keeps its kind (or null).
func FuzzFromJSON(f *testing.F) {
	schema := `{"properties":{
		"i":{"type":"integer"},"d":{"type":"number","multipleOf":0.01},"f":{"type":"number"},
		"ts":{"type":"string","format":"date-time"},"dt":{"type":"string","format":"date"},
		"tm":{"type":"string","format":"time"},"s":{"type":"string"},"b":{"type":"boolean"},
		"o":{"type":"object","properties":{"x":{"type":"integer"}}},"a":{"type":"array","items":{"type":"string","format":"date"}},
		"any":{}}}`
	n, err := Parse([]byte(schema))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`1`, `-1.50`, `1e400`, `"2020-02-29T23:59:60.999999-23:59"`, `"1999-12-31"`, `"24:00:00"`, `{"x":"1"}`, `["2020-01-01",null]`, `true`, `null`, `"\u00e9"`, `123456789012345678901234567890`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, p := range n.Props {
			out, err := p.Node.FromJSON(v)
			if err != nil || out.IsNull() || p.Node.Kind == rows.KindAny {
				continue
			}
			k := out.Kind()
			switch p.Node.Kind {
			case rows.KindInt:
				if k != rows.KindInt && k != rows.KindDecimal {
					t.Fatalf("%s: %s gave %s", p.Name, v, k)
				}
			case rows.KindTimestampTZ:
				if k != rows.KindTimestampTZ && k != rows.KindTimestamp {
					t.Fatalf("%s: %s gave %s", p.Name, v, k)
				}
			default:
				if k != p.Node.Kind {
					t.Fatalf("%s: %s gave %s", p.Name, v, k)
				}
			}
		}
	})
}
