package kafka

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

const itemJSONSchema = `{"title": "Item", "type": "object", "properties": {"id": {"type": "integer"}, "price": {"$ref": "money.json"}}, "required": ["id"]}`

func TestProduceConsumeJSONSchema(t *testing.T) {
	_, addr := fakeCluster(t)
	reg := registrytest.New()
	defer reg.Close()
	reg.Register("money-value", "JSON", `{"type": "number", "minimum": 0}`)
	env := plugintest.New(t)
	sp := map[string]any{"schema.registry.url": reg.URL}
	d, _ := rows.ParseDecimal("9.99")
	refs := []SchemaReference{{Name: "money.json", Subject: "money-value", Version: 1}}
	from := []any{
		map[string]any{"key": "a", "value": map[string]any{"id": int64(1), "price": d}},
		map[string]any{"key": "b", "value": map[string]any{"id": int64(2)}},
	}
	out, err := env.Run(&Produce{Properties: props(addr), SerdeProperties: sp, Topic: "items", From: from, ValueSerializer: "JSON_SCHEMA", ValueJSONSchema: itemJSONSchema, ValueSchemaReferences: refs}, "p")
	if err != nil || out["messagesCount"] != int64(2) {
		t.Fatalf("%v %v", out, err)
	}
	// The third record breaks the referenced schema: the task names it and
	// the JSON pointer.
	bad := append(from, map[string]any{"key": "c", "value": map[string]any{"id": int64(3), "price": int64(-1)}})
	_, err = env.Run(&Produce{Properties: props(addr), SerdeProperties: sp, Topic: "items", From: bad, ValueSerializer: "JSON_SCHEMA", ValueJSONSchema: itemJSONSchema, ValueSchemaReferences: refs}, "p")
	if err == nil || !strings.Contains(err.Error(), "record 3 (topic items) value") || !strings.Contains(err.Error(), "at /price: minimum: got -1, want 0") {
		t.Fatalf("invalid record: %v", err)
	}
	c, err := env.Run(&Consume{Properties: props(addr), SerdeProperties: sp, Topic: "items", ValueDeserializer: "JSON_SCHEMA", Until: UntilEnd}, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(c["uri"].(string))
	got := map[string]rows.Value{}
	for _, r := range rs {
		got[r.Values[0].AsString()] = r.Values[1]
	}
	if len(rs) < 2 || !got["a"].Equal(rows.MapOf([]rows.Value{rows.String("id"), rows.Int(1), rows.String("price"), d})) || !got["b"].Equal(rows.MapOf([]rows.Value{rows.String("id"), rows.Int(2)})) {
		t.Fatalf("consumed %v", got)
	}
}

const eventProto = `syntax = "proto3";
package ev;
import "google/protobuf/wrappers.proto";
message Event { int64 id = 1; bytes blob = 2; map<string, string> attrs = 3; repeated int64 nums = 4; google.protobuf.StringValue note = 5; }
`

// Whole rows produced as PROTOBUF come back from Consume exactly.
func TestProduceConsumeProtobufRows(t *testing.T) {
	_, addr := fakeCluster(t)
	reg := registrytest.New()
	defer reg.Close()
	env := plugintest.New(t)
	sp := map[string]any{"schema.registry.url": reg.URL}
	sc := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "blob"}, {Name: "attrs"}, {Name: "nums"}, {Name: "note"}}}
	in := []rows.Row{
		{Values: []rows.Value{rows.Int(-1 << 62), rows.Bytes([]byte{0, 1, 0xfe}), rows.MapOf([]rows.Value{rows.String("k"), rows.String("v")}), rows.List([]rows.Value{rows.Int(1), rows.Int(-2)}), rows.String("")}},
		{Values: []rows.Value{rows.Int(0), rows.Bytes([]byte{}), rows.MapOf(nil), rows.List([]rows.Value{}), rows.Null}},
	}
	uri := env.WriteRows("events", sc, in)
	if out, err := env.Run(&Produce{Properties: props(addr), SerdeProperties: sp, Topic: "ev", From: uri, ValueSerializer: "PROTOBUF", ValueProtobufSchema: eventProto}, "p"); err != nil || out["messagesCount"] != int64(2) {
		t.Fatalf("%v %v", out, err)
	}
	c, err := env.Run(&Consume{Properties: props(addr), SerdeProperties: sp, Topic: "ev", ValueDeserializer: "PROTOBUF", Until: UntilEnd}, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(c["uri"].(string))
	if len(rs) != 2 {
		t.Fatalf("%d records", len(rs))
	}
	for _, r := range rs {
		id, _ := r.Values[1].Get("id")
		want := in[0]
		if id.AsInt() == 0 {
			want = in[1]
		}
		if got := r.Values[1]; !got.Equal(rows.MapOf([]rows.Value{rows.String("id"), want.Values[0], rows.String("blob"), want.Values[1], rows.String("attrs"), want.Values[2], rows.String("nums"), want.Values[3], rows.String("note"), want.Values[4]})) {
			t.Errorf("consumed %s, produced %v", got, want.Values)
		}
	}
}
