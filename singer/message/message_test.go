package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSkim(t *testing.T) {
	cases := []struct {
		line   string
		full   bool
		typ    Type
		name   string
		stream string
		record string
		value  string
		err    string
	}{
		{line: `{"type":"RECORD","stream":"users","record":{"id":1,"s":"}\"{"}}`, full: true, typ: Record, name: "RECORD", stream: "users", record: `{"id":1,"s":"}\"{"}`},
		{line: `{ "record" : [1, {"a": []}], "stream" : "s", "type" : "record" }`, full: true, typ: Record, name: "record", stream: "s", record: `[1, {"a": []}]`},
		{line: `{"type":"STATE","value":{"bookmarks":{"t":{"v":"2020-01-01"}}}}`, typ: State, name: "STATE", value: `{"bookmarks":{"t":{"v":"2020-01-01"}}}`},
		{line: `{"type":"Schema","stream":"a\u0062c","schema":{},"key_properties":[]}`, full: true, typ: Schema, name: "Schema", stream: "abc"},
		{line: `{"t\u0079pe":"ACTIVATE_VERSION","stream":"x","version":12}`, full: true, typ: ActivateVersion, name: "ACTIVATE_VERSION", stream: "x"},
		{line: `{"type":"BATCH","stream":"x","encoding":{"format":"jsonl"},"manifest":["file:///tmp/a"]}`, full: true, typ: Batch, name: "BATCH", stream: "x"},
		{line: `{"type":"SURPRISE","x":true,"y":null,"z":-1.5e3}`, full: true, typ: Unknown, name: "SURPRISE"},
		// Lazy skim stops after type and stream: a broken tail is not seen.
		{line: `{"type":"RECORD","stream":"s","record":{"a":`, typ: Record, name: "RECORD", stream: "s"},
		{line: `{"type":"RECORD","stream":"s","record":{"a":`, full: true, err: "unterminated"},
		{line: `{"stream":"s","record":{}}`, full: true, err: `no "type"`},
		{line: `[1,2]`, err: "not a JSON object"},
		{line: `{"type":"STATE","value":{}} x`, full: true, err: "unexpected data after"},
		{line: `{"type":"STATE","value":{]}`, full: true, err: "unbalanced"},
		{line: `{"type":7}`, err: `"type"`},
		{line: `{"type":"STATE","value":tru}`, full: true, err: "invalid literal"},
	}
	for _, c := range cases {
		var h Head
		err := Skim([]byte(c.line), &h, c.full)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Skim(%s) error = %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Skim(%s): %v", c.line, err)
			continue
		}
		if h.Type != c.typ || h.TypeName != c.name || string(h.Stream) != c.stream {
			t.Errorf("Skim(%s) = %v %q %q", c.line, h.Type, h.TypeName, h.Stream)
		}
		if c.record != "" && string(h.Record) != c.record {
			t.Errorf("Skim(%s) record = %s", c.line, h.Record)
		}
		if c.value != "" && string(h.Value) != c.value {
			t.Errorf("Skim(%s) value = %s", c.line, h.Value)
		}
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("é", 1<<20) // 2 MiB line
	in := "a\r\n\n" + long + "\nlast"
	lr := NewLineReader(strings.NewReader(in), "in")
	var got []string
	for {
		b, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if len(got) != 3 || got[0] != "a" || got[1] != long || got[2] != "last" || lr.Line() != 4 {
		t.Fatalf("lines = %d, line number %d", len(got), lr.Line())
	}

	lr = NewLineReader(strings.NewReader("ok\n"+strings.Repeat("x", 300<<10)+"\xc3(\n"), "tap stdout")
	lr.Next()
	_, err := lr.Next()
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "tap stdout: line 2: not valid UTF-8 (first bad byte at column 307201)") {
		t.Fatalf("err = %v", err)
	}
}

func TestMembers(t *testing.T) {
	var names, values []string
	err := Members([]byte(`{"a":1, "b\n":"x\"y", "c":{"d":[1,2]},"e":null}`), func(n, v []byte) error {
		names = append(names, string(n))
		values = append(values, string(v))
		return nil
	})
	if err != nil || strings.Join(names, "|") != "a|b\n|c|e" || strings.Join(values, "|") != `1|"x\"y"|{"d":[1,2]}|null` {
		t.Fatalf("names %q values %q err %v", names, values, err)
	}
}

func TestCanonical(t *testing.T) {
	a, err1 := Canonical([]byte(`{"b": {"y": 1.50, "x": [1, "é"]}, "a": null}`))
	b, err2 := Canonical([]byte(`{"a":null,"b":{"x":[1,"\u00e9"],"y":1.50}}`))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) || string(a) != `{"a":null,"b":{"x":[1,"é"],"y":1.50}}` {
		t.Fatalf("%s %s %v %v", a, b, err1, err2)
	}
	if _, err := Canonical([]byte(`{"a":1} {}`)); err == nil {
		t.Fatal("two values accepted")
	}
}

// FuzzSkim checks Skim against encoding/json: every valid message is
// skimmed with the same type, stream and spans; nothing panics.
func FuzzSkim(f *testing.F) {
	for _, s := range []string{
		`{"type":"RECORD","stream":"users","record":{"id":1}}`,
		`{"type":"STATE","value":{"a":[1,2,{"b":"\""}]}}`,
		`{"type":"SCHEMA","stream":"s","schema":{"properties":{}},"key_properties":["id"]}`,
		`{"type":"x\\y","stream":"\ud83d\ude00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var h Head
		err := Skim(line, &h, true)
		if !utf8.Valid(line) {
			return // LineReader rejects such lines before Skim sees them
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(line, &m) != nil || m == nil {
			return
		}
		var typ string
		if json.Unmarshal(m["type"], &typ) != nil {
			return
		}
		if err != nil {
			t.Fatalf("valid message %q: %v", line, err)
		}
		if h.TypeName != typ {
			t.Fatalf("type %q, want %q", h.TypeName, typ)
		}
		if raw, ok := m["stream"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil && string(h.Stream) != s {
				t.Fatalf("stream %q, want %q", h.Stream, s)
			}
		}
		if raw, ok := m["record"]; ok && !bytes.Equal(bytes.TrimSpace(raw), h.Record) {
			t.Fatalf("record %q, want %q", h.Record, raw)
		}
	})
}
