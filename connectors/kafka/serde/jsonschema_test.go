package serde

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/internal/rows"
)

const orderJSONSchema = `{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Order", "type": "object",
 "properties": {"id": {"type": "integer"}, "amount": {"type": "number", "multipleOf": 0.01},
  "customer": {"$ref": "customer.json"}, "tags": {"type": "array", "items": {"type": "string"}}},
 "required": ["id", "amount"], "additionalProperties": false}`

const customerJSONSchema = `{"type": "object", "properties": {"name": {"type": "string", "minLength": 1}}, "required": ["name"]}`

func order(id int64, amount rows.Value, customer string, tags ...string) rows.Value {
	var ts []rows.Value
	for _, t := range tags {
		ts = append(ts, rows.String(t))
	}
	return rows.MapOf([]rows.Value{rows.String("id"), rows.Int(id), rows.String("amount"), amount,
		rows.String("customer"), rows.MapOf([]rows.Value{rows.String("name"), rows.String(customer)}), rows.String("tags"), rows.List(ts)})
}

// Confluent's KafkaJsonSchemaSerializer layout: magic byte 0, the 4-byte
// big-endian schema ID, the JSON text; schema references resolve through
// the registry; each record is validated, a failure naming the JSON
// pointer.
func TestJSONSchemaSerializer(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	srv.Register("customer-value", "JSON", customerJSONSchema)
	props, _ := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	refs := []registry.Reference{{Name: "customer.json", Subject: "customer-value", Version: 1}}
	s, err := New(Config{Type: JSONSchema, Schema: orderJSONSchema, References: refs, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	out, null, err := s.Append(ctx, nil, "orders", order(7, decimal(t, "12.50"), "Ann", "new"))
	if err != nil || null {
		t.Fatal(err)
	}
	id := binary.BigEndian.Uint32(out[1:5])
	if out[0] != 0 || id == 0 {
		t.Fatalf("header %x", out[:5])
	}
	if got := string(out[5:]); got != `{"id":7,"amount":12.50,"customer":{"name":"Ann"},"tags":["new"]}` {
		t.Fatalf("JSON %s", got)
	}
	if text, _ := srv.Schema(int(id)); !strings.Contains(text, `"title":"Order"`) {
		t.Fatalf("registered %s", text)
	}
	if _, null, _ := s.Append(ctx, nil, "orders", rows.Null); !null {
		t.Fatal("null is not a Kafka null")
	}

	bad := []struct {
		v    rows.Value
		want string
	}{
		{order(1, rows.String("12"), "Ann"), "at /amount: got string, want number"},
		{order(1, decimal(t, "1.005"), "Ann"), "at /amount: multipleOf: got 1.005, want 0.01"},
		{order(1, rows.Int(1), ""), "at /customer/name: minLength: got 0, want 1"},
		{order(1, rows.Int(1), "Ann", "a", "b", "c").Clone(), ""},
		{rows.MapOf([]rows.Value{rows.String("id"), rows.Int(1)}), `at "" (the whole value): missing property 'amount'`},
		{rows.MapOf([]rows.Value{rows.String("id"), rows.Int(1), rows.String("amount"), rows.Int(1), rows.String("a/b~"), rows.Int(1)}), "additional properties 'a/b~' not allowed"},
	}
	for _, c := range bad {
		_, _, err := s.Append(ctx, nil, "orders", c.v)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.v, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.v, err, c.want)
		}
	}

	// A whole row is validated as an object.
	sc := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "amount"}}}
	out, _, err = s.AppendRow(ctx, nil, "orders", sc, &rows.Row{Values: []rows.Value{rows.Int(3), decimal(t, "0.10")}})
	if err != nil || string(out[5:]) != `{"id":3,"amount":0.10}` {
		t.Fatalf("row: %s %v", out, err)
	}
	if _, _, err := s.AppendRow(ctx, nil, "orders", sc, &rows.Row{Values: []rows.Value{rows.String("x"), rows.Int(1)}}); err == nil || !strings.Contains(err.Error(), "at /id") {
		t.Fatalf("bad row: %v", err)
	}

	// The deserializer reads the JSON back exactly.
	d, err := NewDeserializer(JSONSchema, props.Client)
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.Value(ctx, "orders", out)
	if err != nil || !back.Equal(rows.MapOf([]rows.Value{rows.String("id"), rows.Int(3), rows.String("amount"), decimal(t, "0.10")})) {
		t.Fatalf("back %s %v", back, err)
	}
	if _, err := d.Value(ctx, "orders", []byte(`{"id":1}`)); err == nil || !strings.Contains(err.Error(), "magic byte") {
		t.Fatalf("plain JSON: %v", err)
	}
}

func TestJSONSchemaStrategiesAndModes(t *testing.T) {
	srv := registrytest.New()
	defer srv.Close()
	v := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(1), rows.String("amount"), rows.Int(2)})
	schema := `{"title": "Order", "type": "object", "properties": {"id": {"type": "integer"}}}`

	props, _ := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"})
	s, _ := New(Config{Type: JSONSchema, Schema: schema, Registry: props.For(false)})
	if _, _, err := s.Append(ctx, nil, "t", v); err != nil {
		t.Fatal(err)
	}
	if subs := srv.Subjects(); len(subs) != 1 || subs[0] != "t-Order" {
		t.Fatalf("subjects %v", subs)
	}
	// Without a title the record strategies have no name.
	s, _ = New(Config{Type: JSONSchema, Schema: `{"type": "object"}`, Registry: props.For(false)})
	if _, _, err := s.Append(ctx, nil, "t", v); err == nil || !strings.Contains(err.Error(), "TopicRecordNameStrategy") {
		t.Fatalf("untitled: %v", err)
	}

	// use.latest.version without a local schema validates with the latest.
	id := srv.Register("u-value", "JSON", `{"type": "object", "required": ["zz"]}`)
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL, "use.latest.version": "true"})
	s, err := New(Config{Type: JSONSchema, Registry: props.For(false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, nil, "u", v); err == nil || !strings.Contains(err.Error(), "missing property 'zz'") || !strings.Contains(err.Error(), "id "+strconv.Itoa(id)) {
		t.Fatalf("latest: %v", err)
	}
	// A latest schema of another type is refused.
	srv.Register("a-value", "AVRO", `"string"`)
	if _, _, err := s.Append(ctx, nil, "a", v); err == nil || !strings.Contains(err.Error(), "is AVRO, not JSON") {
		t.Fatalf("latest AVRO: %v", err)
	}
	for _, bad := range []Config{
		{Type: JSONSchema, Schema: schema},
		{Type: JSONSchema, Registry: RegistryConfig{Client: props.Client}},
		{Type: JSONSchema, Schema: "{not json", Registry: RegistryConfig{Client: props.Client}},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	// An invalid schema and a $ref to an unknown schema fail clearly.
	props, _ = ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	for text, want := range map[string]string{
		`{"type": "objekt"}`:         "invalid JSON schema",
		`{"$ref": "elsewhere.json"}`: "elsewhere.json is not a schema reference",
	} {
		s, _ := New(Config{Type: JSONSchema, Schema: text, Registry: props.For(false)})
		if _, _, err := s.Append(ctx, nil, "x", v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
}

func FuzzJSONSchemaDeserializer(f *testing.F) {
	srv := registrytest.New()
	defer srv.Close()
	id := srv.Register("f-value", "JSON", `{"type": "object"}`)
	f.Add(append([]byte{0, 0, 0, 0, byte(id)}, `{"a":[1,2.5,"x",null,{"b":true}]}`...))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	props, _ := ParseSerdeProperties(map[string]string{"schema.registry.url": srv.URL})
	d, _ := NewDeserializer(JSONSchema, props.Client)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 5 {
			// Only the registered schema: unknown IDs would be a registry
			// round trip per input.
			b[1], b[2], b[3], b[4] = 0, 0, 0, byte(id)
		}
		v, err := d.Value(ctx, "f", b)
		if err == nil && len(b) >= 5 && !strings.Contains(string(b[5:]), "null") && v.IsNull() {
			t.Fatalf("%q decoded to null", b)
		}
	})
}
