package template

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

type point struct {
	X int `json:"x"`
}

func TestGoValues(t *testing.T) {
	i8, u, u64big, f32 := int8(-3), uint(5), uint64(math.MaxUint64), float32(1.5)
	tm := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))
	vars := map[string]any{
		"i8": i8, "i16": int16(-300), "i32": int32(70000), "u": u, "u16": uint16(9), "u32": uint32(10), "u64": uint64(11),
		"u64big": u64big, "f32": f32, "bytes": []byte("raw"), "tptr": &tm, "nilptr": (*time.Time)(nil),
		"ints": []int{1, 2}, "arr": [2]string{"a", "b"}, "nested": map[string][]map[string]int{"k": {{"v": 1}}},
		"point": point{X: 3}, "nilmap": map[string]any(nil), "nilslice": []any(nil),
		"ctl": "a\x01\u2028\xff", "nan": math.NaN(), "inf": math.Inf(-1), "small": 1e-9,
		"ünï": "unicode name",
	}
	runRenderWith(t, vars, []renderCase{
		{"ints", "{{ i8 }} {{ i16 }} {{ i32 }} {{ u }} {{ u16 }} {{ u32 }} {{ u64 + 1 }}", "-3 -300 70000 5 9 10 12"},
		{"big uint becomes float", "{{ u64big > 1 }}", "true"},
		{"float32", "{{ f32 * 2 }}", "3"},
		{"bytes are strings", "{{ bytes | upper }}", "RAW"},
		{"time pointer", "{{ tptr }} [{{ nilptr }}] {{ nilptr is null }}", "2024-01-02T03:04:05+01:00 [] true"},
		{"int slice", "{{ ints[1] }} {{ ints | length }} {{ ints }}", "2 2 [1,2]"},
		{"array", "{{ arr[0] }} {{ arr | join }}", "a ab"},
		{"nested reflection", "{{ nested.k[0].v }} {{ nested }}", `1 {"k":[{"v":1}]}`},
		{"struct prints as JSON", "{{ point }}", `{"x":3}`},
		{"nil map and slice", "{{ nilmap is null }} {{ nilslice is null }} {% for x in nilslice %}{% else %}none{% endfor %}", "true true none"},
		{"json escapes", "{{ ctl | json }}", `"a\u0001\u2028\ufffd"`},
		{"nan and infinity print", "{{ nan }} {{ inf }} {{ -inf }}", "NaN -Infinity Infinity"},
		{"small float", "{{ small }} {{ [small] }}", "0.000000001 [1e-9]"},
		{"unicode identifier", "{{ ünï }}", "unicode name"},
		{"loop prints as map", "{% for x in [1] %}{{ loop }}{% endfor %}", `{"first":true,"index":0,"index1":1,"last":true,"length":1,"revindex":0}`},
		{"loop keys", "{% for x in [1] %}{{ loop | keys | length }}{{ loop | length }}{% endfor %}", "66"},
	})
	if _, err := Render("{{ nan | json }}", vars); err == nil {
		t.Error("NaN as JSON: want an error")
	}
}

func runRenderWith(t *testing.T, vars map[string]any, cases []renderCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Render(c.src, vars)
			if err != nil {
				t.Fatalf("Render(%q): %v", c.src, err)
			}
			if got != c.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", c.src, got, c.want)
			}
		})
	}
}

func TestOrderedMap(t *testing.T) {
	m := NewOrderedMap(0)
	m.Set("b", int64(1))
	m.Set("a", []any{"x"})
	m.Set("b", int64(2)) // replacing keeps the position
	if m.Len() != 2 || m.Keys()[0] != "b" {
		t.Fatalf("keys %v", m.Keys())
	}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"b":2,"a":["x"]}` {
		t.Errorf("MarshalJSON: %s, %v", b, err)
	}
	var nilMap *OrderedMap
	if _, ok := nilMap.Get("a"); ok || nilMap.Len() != 0 || nilMap.Keys() != nil {
		t.Error("nil OrderedMap should be empty")
	}
}

func TestPlain(t *testing.T) {
	m := NewOrderedMap(1)
	m.Set("k", []any{NewOrderedMap(0), int32(4)})
	got := Plain(map[string]any{
		"m": m, "ints": []int{1}, "typed": map[string]uint8{"u": 2}, "n": json.Number("7"),
	})
	want := map[string]any{
		"m": map[string]any{"k": []any{map[string]any{}, int64(4)}}, "ints": []any{int64(1)},
		"typed": map[string]any{"u": int64(2)}, "n": int64(7),
	}
	if !equal(got, want) {
		t.Errorf("Plain = %#v", got)
	}
	if _, ok := got.(map[string]any)["m"].(map[string]any); !ok {
		t.Errorf("Plain kept an ordered map: %T", got.(map[string]any)["m"])
	}
}

func TestParseJSONKeepsOrderAndTypes(t *testing.T) {
	v, err := parseJSON(`{"z": 1, "a": {"y": 2.5, "b": [null, true, "s", 12345678901234567890]}}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := appendJSON(nil, v)
	if string(b) != `{"z":1,"a":{"y":2.5,"b":[null,true,"s",12345678901234567000]}}` {
		t.Errorf("round trip: %s", b)
	}
	if z, _ := v.(*OrderedMap).Get("z"); z != int64(1) {
		t.Errorf("integer: %#v", z)
	}
	for _, bad := range []string{"", "{", `{"a" 1}`, "[1,]", "1 2"} {
		if _, err := parseJSON(bad); err == nil {
			t.Errorf("parseJSON(%q): want an error", bad)
		}
	}
}
