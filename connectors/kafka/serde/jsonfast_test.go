package serde

import (
	"math"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// The fast check never accepts what the full validator refuses, and it
// accepts the common valid records (so that they skip the full validator).
func TestFastCheckAgreesWithValidator(t *testing.T) {
	schemas := []string{
		`{"type": "object", "required": ["id"], "additionalProperties": false,
		  "properties": {"id": {"type": "integer", "minimum": 0, "exclusiveMaximum": 100}, "amount": {"type": "number", "minimum": -5, "maximum": 5},
		   "name": {"type": ["string", "null"], "minLength": 2, "maxLength": 3}, "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
		   "any": {}, "flag": {"type": "boolean"}, "obj": {"type": "object", "additionalProperties": {"type": "integer"}}}}`,
		`{"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}}`,
		`{"type": "string"}`,
	}
	dec := func(s string) rows.Value { d, _ := rows.ParseDecimal(s); return d }
	obj := func(kv ...rows.Value) rows.Value { return rows.MapOf(kv) }
	s := rows.String
	values := []rows.Value{
		obj(s("id"), rows.Int(1)),
		obj(s("id"), rows.Int(-1)),
		obj(s("id"), rows.Int(100)),
		obj(s("id"), rows.Int(99), s("amount"), dec("4.99")),
		obj(s("id"), rows.Int(1), s("amount"), dec("5.01")),
		obj(s("id"), rows.Int(1), s("amount"), dec("-5.000")),
		obj(s("id"), rows.Int(1), s("amount"), rows.Float(math.NaN())),
		obj(s("id"), rows.Int(1), s("amount"), rows.Float(-5.5)),
		obj(s("id"), dec("1.0")),
		obj(s("id"), dec("1.5")),
		obj(s("id"), rows.Float(2)),
		obj(s("id"), rows.Int(1), s("name"), s("ab")),
		obj(s("id"), rows.Int(1), s("name"), s("héé")),
		obj(s("id"), rows.Int(1), s("name"), s("abcd")),
		obj(s("id"), rows.Int(1), s("name"), rows.Null),
		obj(s("id"), rows.Int(1), s("name"), rows.Bytes([]byte("ab"))),
		obj(s("id"), rows.Int(1), s("name"), rows.Date(1)),
		obj(s("id"), rows.Int(1), s("tags"), rows.List([]rows.Value{s("a")})),
		obj(s("id"), rows.Int(1), s("tags"), rows.List([]rows.Value{})),
		obj(s("id"), rows.Int(1), s("tags"), rows.List([]rows.Value{s("a"), rows.Int(1)})),
		obj(s("id"), rows.Int(1), s("extra"), rows.Int(1)),
		obj(s("id"), rows.Int(1), s("any"), rows.List([]rows.Value{rows.Null})),
		obj(s("id"), rows.Int(1), s("flag"), s("true")),
		obj(s("id"), rows.Int(1), s("obj"), obj(s("x"), rows.Int(1))),
		obj(s("id"), rows.Int(1), s("obj"), obj(s("x"), s("1"))),
		obj(s("amount"), rows.Int(1)),
		rows.List([]rows.Value{rows.Int(1), dec("0.001")}),
		rows.List([]rows.Value{rows.Int(0)}),
		rows.List([]rows.Value{dec("-0.0")}),
		s("x"), rows.Int(1), rows.Null, rows.TimestampTZ(1, 0), rows.Float(math.Inf(1)),
	}
	fastSaidValid := 0
	for _, text := range schemas {
		full, err := CompileJSONSchema(text, nil)
		if err != nil {
			t.Fatal(err)
		}
		fast := fastFor(text)
		if fast == nil {
			t.Fatalf("%s has no fast check", text)
		}
		for _, v := range values {
			fullOK := full.Validate(jsonInstance(v)) == nil
			if fast.valid(v) {
				fastSaidValid++
				if !fullOK {
					t.Errorf("schema %s: the fast check accepts %s, the validator refuses it", text, v)
				}
			}
		}
	}
	if fastSaidValid < 10 {
		t.Fatalf("the fast check accepted only %d values", fastSaidValid)
	}
	// Schemas beyond the simple kind have none.
	for _, text := range []string{`{"pattern": "a"}`, `{"enum": [1]}`, `{"$ref": "#/x"}`, `{"minimum": 0.5}`, `{"format": "date-time"}`, `{"type": "objekt"}`} {
		if fastFor(text) != nil {
			t.Errorf("%s got a fast check", text)
		}
	}
	// Rows: columns are members; a missing required column, an extra one.
	full, _ := CompileJSONSchema(schemas[0], nil)
	fast := fastFor(schemas[0])
	for _, c := range []struct {
		names []string
		vals  []rows.Value
	}{
		{[]string{"id", "name"}, []rows.Value{rows.Int(3), s("abc")}},
		{[]string{"name"}, []rows.Value{s("abc")}},
		{[]string{"id", "nope"}, []rows.Value{rows.Int(3), rows.Int(1)}},
		{[]string{"id"}, []rows.Value{rows.Int(300)}},
	} {
		sc := &rows.Schema{}
		obj := map[string]any{}
		for i, n := range c.names {
			sc.Fields = append(sc.Fields, rows.Field{Name: n})
			obj[n] = jsonInstance(c.vals[i])
		}
		if fast.validRow(sc, &rows.Row{Values: c.vals}) && full.Validate(obj) != nil {
			t.Errorf("row %v %v: the fast check accepts what the validator refuses", c.names, c.vals)
		}
	}
}
