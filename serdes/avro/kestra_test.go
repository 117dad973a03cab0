package avro

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

type kestraCase struct {
	Test    string
	Schema  string
	In      any
	Want    any
	Fail    bool
	Options struct {
		DecimalSeparator string
		DateFormat       string
		DatetimeFormat   string
	}
	Kestra any
	Why    string
}

// TestKestraConverterTable runs Kestra's AvroConverterTest cases
// (testdata/kestra-converter.jsonl) through the Avro file writer, that is
// through rows.Converter, the conversion layer every writer shares. A case
// where sluice does otherwise than Kestra says what Kestra does and why;
// docs/serdes.md lists them.
func TestKestraConverterTable(t *testing.T) {
	f, err := os.Open("testdata/kestra-converter.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, n := 0, 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // the header comment
		}
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		var c kestraCase
		if err := d.Decode(&c); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if c.Kestra != nil && c.Why == "" {
			t.Errorf("line %d: a difference from Kestra without its reason", line)
		}
		n++
		t.Run(fmt.Sprintf("%d_%s", line, c.Test), func(t *testing.T) { runKestraCase(t, c) })
	}
	if n < 150 {
		t.Fatalf("only %d cases", n)
	}
}

func runKestraCase(t *testing.T, c kestraCase) {
	in, err := kestraValue(c.In)
	if err != nil {
		t.Fatal(err)
	}
	opts := WriteOptions{
		Schema:     `{"type":"record","name":"r","fields":[{"name":"f","type":` + c.Schema + `}]}`,
		DateFormat: c.Options.DateFormat, DateTimeFormat: c.Options.DatetimeFormat,
	}
	if c.Options.DecimalSeparator != "" {
		opts.DecimalSeparator = c.Options.DecimalSeparator[0]
	}
	rs := &rows.Schema{Fields: []rows.Field{{Name: "f"}}}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, rs, opts)
	if err == nil {
		err = w.Write(&rows.Row{Values: []rows.Value{in}})
	}
	if c.Fail {
		if err == nil {
			t.Fatalf("%v into %s: accepted, want refused", in, c.Schema)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v into %s: %v", in, c.Schema, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got := readBack(t, buf.Bytes())
	if msg := kestraMatch(got[0].Values[0], c.Want, strings.Contains(c.Schema, `"float"`)); msg != "" {
		t.Fatalf("%v into %s: %s", in, c.Schema, msg)
	}
}

// kestraValue builds the input: JSON strings, booleans and null as they
// are, Java's typed values from their tags.
func kestraValue(x any) (rows.Value, error) {
	switch t := x.(type) {
	case nil:
		return rows.Null, nil
	case string:
		return rows.String(t), nil
	case bool:
		return rows.Bool(t), nil
	case map[string]any:
		for k, v := range t {
			switch k {
			case "int":
				n, err := v.(json.Number).Int64()
				return rows.Int(n), err
			case "double":
				f, err := v.(json.Number).Float64()
				return rows.Float(f), err
			case "float32":
				f, err := v.(json.Number).Float64()
				return rows.Float(float64(float32(f))), err
			case "date":
				d, err := time.Parse("2006-01-02", v.(string))
				return rows.DateOf(d), err
			case "datetime":
				d, err := time.Parse("2006-01-02T15:04:05.999999", v.(string))
				return rows.TimestampOf(d), err
			case "zoned", "instant":
				d, err := time.Parse(time.RFC3339Nano, v.(string))
				return rows.TimestampTZOf(d), err
			case "list":
				var items []rows.Value
				for _, e := range v.([]any) {
					iv, err := kestraValue(e)
					if err != nil {
						return rows.Null, err
					}
					items = append(items, iv)
				}
				return rows.List(items), nil
			case "map":
				var kv []rows.Value
				for _, e := range v.([]any) {
					p := e.([]any)
					iv, err := kestraValue(p[1])
					if err != nil {
						return rows.Null, err
					}
					kv = append(kv, rows.String(p[0].(string)), iv)
				}
				return rows.MapOf(kv), nil
			}
			return rows.Null, fmt.Errorf("unknown input tag %q", k)
		}
	}
	return rows.Null, fmt.Errorf("unknown input %v", x)
}

// kestraMatch compares what was read back with the expected tagged value;
// "" when they agree.
func kestraMatch(got rows.Value, want any, float32Field bool) string {
	w, ok := want.(map[string]any)
	if !ok || len(w) != 1 {
		return fmt.Sprintf("bad expectation %v", want)
	}
	for k, x := range w {
		ok := false
		switch k {
		case "null":
			ok = got.IsNull()
		case "bool":
			ok = got.Kind() == rows.KindBool && got.AsBool() == x.(bool)
		case "int":
			n, _ := x.(json.Number).Int64()
			ok = got.Kind() == rows.KindInt && got.AsInt() == n
		case "float":
			f, _ := x.(json.Number).Float64()
			if float32Field {
				ok = got.Kind() == rows.KindFloat && float32(got.AsFloat()) == float32(f)
			} else {
				ok = got.Kind() == rows.KindFloat && got.AsFloat() == f && !math.IsNaN(f)
			}
		case "string":
			ok = got.Kind() == rows.KindString && got.AsString() == x.(string)
		case "bytes":
			ok = got.Kind() == rows.KindBytes && string(got.AsBytes()) == x.(string)
		case "decimal":
			ok = got.Kind() == rows.KindDecimal && got.DecimalString() == x.(string)
		case "date":
			ok = got.Kind() == rows.KindDate && got.String() == x.(string)
		case "time":
			d, _ := time.Parse("15:04:05.999999", x.(string))
			us := int64(d.Hour()*3600+d.Minute()*60+d.Second())*1e6 + int64(d.Nanosecond()/1000)
			ok = got.Kind() == rows.KindTime && got.Raw() == us
		case "instant":
			d, _ := time.Parse(time.RFC3339Nano, x.(string))
			ok = got.Kind() == rows.KindTimestampTZ && got.Raw() == d.UnixMicro()
		case "list":
			items := x.([]any)
			if got.Kind() != rows.KindList || got.Len() != len(items) {
				return fmt.Sprintf("got %v, want %d items", got, len(items))
			}
			for i, it := range items {
				if m := kestraMatch(got.Index(i), it, float32Field); m != "" {
					return fmt.Sprintf("[%d]: %s", i, m)
				}
			}
			return ""
		case "map":
			entries := x.([]any)
			if got.Kind() != rows.KindMap || got.Len() != len(entries) {
				return fmt.Sprintf("got %v, want %d entries", got, len(entries))
			}
			for _, e := range entries {
				p := e.([]any)
				v, found := got.Get(p[0].(string))
				if !found {
					return fmt.Sprintf("no key %v in %v", p[0], got)
				}
				if m := kestraMatch(v, p[1], float32Field); m != "" {
					return fmt.Sprintf("[%v]: %s", p[0], m)
				}
			}
			return ""
		default:
			return fmt.Sprintf("unknown expectation tag %q", k)
		}
		if !ok {
			return fmt.Sprintf("got %s %v, want %s %v", got.Kind(), got, k, x)
		}
	}
	return ""
}
