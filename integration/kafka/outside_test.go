package kafka_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/sluicehq/sluice/connectors/kafka"
	"github.com/sluicehq/sluice/connectors/kafka/protobuf"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/rows"
)

// The outside-client round trips: records that sluice's Produce writes are
// read by Confluent's Python client (confluent-kafka's AvroDeserializer,
// JSONDeserializer, ProtobufDeserializer) and by kcat, and records that
// confluent-kafka's serializers write are read by sluice's Consume, against
// the real broker and registry of integration/services/up.

const outsideAvro = `{"type": "record", "name": "Order", "namespace": "sluice.it", "fields": [
 {"name": "id", "type": "long"},
 {"name": "customer", "type": "string"},
 {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
 {"name": "created", "type": {"type": "long", "logicalType": "timestamp-micros"}},
 {"name": "blob", "type": "bytes"},
 {"name": "tags", "type": {"type": "array", "items": "string"}},
 {"name": "note", "type": ["null", "string"], "default": null}]}`

// Tagged JSON (see testdata/outside_client.py), as Python prints it.
var outsideAvroRecords = []string{
	`{"key": "k1", "value": {"amount": {"$decimal": "12.50"}, "blob": {"$bytes": "AP8="}, "created": {"$timestamp": "2024-01-02T03:04:05.123456+00:00"}, "customer": "Ann", "id": 9007199254740993, "note": null, "tags": ["new", "vip"]}}`,
	`{"key": "k2", "value": {"amount": {"$decimal": "-0.05"}, "blob": {"$bytes": ""}, "created": {"$timestamp": "1969-12-31T23:59:59.999999+00:00"}, "customer": "Bob \"b\"", "id": -1, "note": "h\u00e9llo", "tags": []}}`,
}

const outsideJSONSchema = `{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Event", "type": "object",
 "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "price": {"type": "number"},
  "tags": {"type": "array", "items": {"type": "string"}}, "attrs": {"type": "object"}, "ok": {"type": "boolean"}, "gone": {"type": "null"}},
 "required": ["id", "name"]}`

var outsideJSONRecords = []string{
	`{"key": "j1", "value": {"attrs": {"a": 1, "b": [true, null]}, "gone": null, "id": 9007199254740993, "name": "caf\u00e9", "ok": true, "price": 12.5, "tags": ["x"]}}`,
	`{"key": "j2", "value": {"id": -3, "name": "", "price": 0.001, "tags": []}}`,
}

const outsideProto = `syntax = "proto3";
package sluice.it;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Event {
  int64 id = 1;
  string name = 2;
  bytes blob = 3;
  google.protobuf.Timestamp at = 4;
  map<string, int32> counts = 5;
  repeated string tags = 6;
  google.protobuf.StringValue note = 7;
  oneof choice { string text = 8; int64 number = 9; }
  Kind kind = 10;
  double ratio = 11;
  enum Kind { A = 0; B = 1; }
}
`

// Protobuf's JSON mapping, as MessageToDict prints it (defaults omitted).
var outsideProtoRecords = []string{
	`{"key": "p1", "value": {"at": "2024-01-02T03:04:05.123456Z", "blob": "AP8=", "counts": {"a": 1, "b": -2}, "id": "9007199254740993", "kind": "B", "name": "Ann", "note": "", "number": "7", "ratio": 0.25, "tags": ["x", "y"]}}`,
	`{"key": "p2", "value": {"id": "-1", "text": "t"}}`,
}

// sluiceValue turns tagged JSON into the sluice value Produce is given and
// Consume must return.
func sluiceValue(t *testing.T, x any) rows.Value {
	t.Helper()
	switch v := x.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, y := range v {
				switch k {
				case "$decimal":
					d, err := rows.ParseDecimal(y.(string))
					if err != nil {
						t.Fatal(err)
					}
					return d
				case "$timestamp":
					ts, err := time.Parse(time.RFC3339Nano, y.(string))
					if err != nil {
						t.Fatal(err)
					}
					return rows.TimestampTZ(ts.UnixMicro(), 0)
				case "$bytes":
					b, _ := base64.StdEncoding.DecodeString(y.(string))
					return rows.Bytes(b)
				}
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []rows.Value
		for _, k := range keys {
			kv = append(kv, rows.String(k), sluiceValue(t, v[k]))
		}
		return rows.MapOf(kv)
	case []any:
		out := []rows.Value{}
		for _, y := range v {
			out = append(out, sluiceValue(t, y))
		}
		return rows.List(out)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return rows.Int(n)
		}
		d, err := rows.ParseDecimal(v.String())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	out, err := rows.FromAny(x)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type record struct {
	Key   string
	Value any
}

func parseRecords(t *testing.T, lines []string) []record {
	t.Helper()
	var out []record
	for _, l := range lines {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		var r record
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, r)
	}
	return out
}

// sorted orders a map's keys, recursively, so that values compare whatever
// order a client kept.
func sorted(v rows.Value) rows.Value {
	switch v.Kind() {
	case rows.KindMap:
		type kv struct {
			k string
			v rows.Value
		}
		var es []kv
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			es = append(es, kv{k, sorted(x)})
		}
		sort.Slice(es, func(i, j int) bool { return es[i].k < es[j].k })
		var flat []rows.Value
		for _, e := range es {
			flat = append(flat, rows.String(e.k), e.v)
		}
		return rows.MapOf(flat)
	case rows.KindList:
		var out []rows.Value
		for _, x := range v.Items() {
			out = append(out, sorted(x))
		}
		return rows.List(out)
	}
	return v
}

type outside struct {
	python, script, broker, registry string
}

func newOutside(t *testing.T) outside {
	return outside{python: testenv.KafkaPython(t), script: filepath.Join("testdata", "outside_client.py"),
		broker: testenv.Kafka(t), registry: testenv.SchemaRegistry(t)}
}

func (o outside) run(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.python, append([]string{o.script, args[0], "--bootstrap", o.broker, "--registry", o.registry}, args[1:]...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("outside client %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// protoDescriptorSet writes the schema as a FileDescriptorSet for Python.
func protoDescriptorSet(t *testing.T) string {
	fd, err := protobuf.Compile(context.Background(), outsideProto, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{protodesc.ToFileDescriptorProto(fd)}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "event.desc")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOutsideClientRoundTrips(t *testing.T) {
	o := newOutside(t)
	kcat := testenv.Kcat(t)
	desc := protoDescriptorSet(t)
	cases := []struct {
		format string
		lines  []string
		task   func(p *kafka.Produce)
		pyArgs []string
		// sluiceWant is what Consume returns for a record Python wrote
		// from the same line; nil: the line's own value.
		sluiceWant func(t *testing.T, r record) rows.Value
	}{
		{format: "AVRO", lines: outsideAvroRecords, task: func(p *kafka.Produce) { p.ValueAvroSchema = outsideAvro }},
		{format: "JSON_SCHEMA", lines: outsideJSONRecords, task: func(p *kafka.Produce) { p.ValueJSONSchema = outsideJSONSchema }},
		{format: "PROTOBUF", lines: outsideProtoRecords, task: func(p *kafka.Produce) { p.ValueProtobufSchema = outsideProto },
			pyArgs: []string{"--descriptor", desc, "--message", "sluice.it.Event"}, sluiceWant: protoWant},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			recs := parseRecords(t, c.lines)
			schemaFile := filepath.Join(t.TempDir(), "schema")
			schema := map[string]string{"AVRO": outsideAvro, "JSON_SCHEMA": outsideJSONSchema}[c.format]
			if err := os.WriteFile(schemaFile, []byte(schema), 0o644); err != nil {
				t.Fatal(err)
			}
			env := plugintest.New(t)
			sp := map[string]any{"schema.registry.url": o.registry}
			props := map[string]any{"bootstrap.servers": o.broker}

			// sluice → Python and kcat.
			topic := uniqueTopic("out-" + strings.ToLower(c.format))
			var from []any
			for _, r := range recs {
				var v rows.Value
				if c.format == "PROTOBUF" {
					v = protoInput(t, r)
				} else {
					v = sluiceValue(t, r.Value)
				}
				from = append(from, map[string]any{"key": r.Key, "value": v})
			}
			p := &kafka.Produce{Properties: props, SerdeProperties: sp, Topic: topic, From: from, ValueSerializer: c.format}
			c.task(p)
			if out, err := env.Run(p, "produce"); err != nil || out["messagesCount"] != int64(len(recs)) {
				t.Fatalf("produce: %v %v", out, err)
			}
			got := o.run(t, append([]string{"consume", "--topic", topic, "--format", c.format, "--count", fmt.Sprint(len(recs))}, c.pyArgs...)...)
			gotLines := strings.Split(strings.TrimSpace(string(got)), "\n")
			sort.Strings(gotLines)
			for i, r := range parseRecords(t, gotLines) {
				if !reflect.DeepEqual(r, recs[i]) {
					t.Errorf("Python read\n  %s\nsluice wrote\n  %s", gotLines[i], c.lines[i])
				}
			}
			for _, m := range kcatRead(t, kcat, o.broker, topic, len(recs)) {
				if len(m.value) < 6 || m.value[0] != 0 || binary.BigEndian.Uint32(m.value[1:5]) == 0 {
					t.Fatalf("kcat: not Confluent's wire format: %x", m.value)
				}
				if c.format == "JSON_SCHEMA" && !json.Valid(m.value[5:]) {
					t.Fatalf("kcat: JSON_SCHEMA payload %q", m.value[5:])
				}
			}

			// Python → sluice.
			topic = uniqueTopic("in-" + strings.ToLower(c.format))
			input := filepath.Join(t.TempDir(), "in.jsonl")
			if err := os.WriteFile(input, []byte(strings.Join(c.lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			o.run(t, append([]string{"produce", "--topic", topic, "--format", c.format, "--input", input, "--schema", schemaFile}, c.pyArgs...)...)
			out, err := env.Run(&kafka.Consume{Properties: props, SerdeProperties: sp, Topic: topic, ValueDeserializer: c.format, Until: kafka.UntilEnd}, "consume")
			if err != nil {
				t.Fatal(err)
			}
			_, rs := env.ReadRows(out["uri"].(string))
			if len(rs) != len(recs) {
				t.Fatalf("sluice read %d records, Python wrote %d", len(rs), len(recs))
			}
			byKey := map[string]rows.Value{}
			for _, r := range rs {
				byKey[r.Values[0].AsString()] = r.Values[1]
			}
			for _, r := range recs {
				want := sluiceValue(t, r.Value)
				if c.sluiceWant != nil {
					want = c.sluiceWant(t, r)
				}
				if got := byKey[r.Key]; !sorted(got).Equal(sorted(want)) {
					t.Errorf("sluice read %s\n  %s\nPython wrote\n  %s", r.Key, sorted(got), sorted(want))
				}
			}
		})
	}
}

// protoInput is a Protobuf JSON-mapping record as sluice values: int64 text
// as integers, bytes from base64, the Timestamp as a timestamp.
func protoInput(t *testing.T, r record) rows.Value {
	m := r.Value.(map[string]any)
	var kv []rows.Value
	for _, k := range []string{"id", "name", "blob", "at", "counts", "tags", "note", "text", "number", "kind", "ratio"} {
		x, ok := m[k]
		if !ok {
			continue
		}
		var v rows.Value
		switch k {
		case "id", "number":
			var n int64
			fmt.Sscan(x.(string), &n)
			v = rows.Int(n)
		case "ratio":
			f, _ := x.(json.Number).Float64()
			v = rows.Float(f)
		case "blob":
			b, _ := base64.StdEncoding.DecodeString(x.(string))
			v = rows.Bytes(b)
		case "at":
			ts, _ := time.Parse(time.RFC3339Nano, x.(string))
			v = rows.TimestampTZ(ts.UnixMicro(), 0)
		default:
			v = sluiceValue(t, x)
		}
		kv = append(kv, rows.String(k), v)
	}
	return rows.MapOf(kv)
}

// protoWant is what Consume returns for a record: every field, defaults
// for absent ones without presence, null for absent ones with it.
func protoWant(t *testing.T, r record) rows.Value {
	in := protoInput(t, r)
	full := []rows.Value{}
	defaults := map[string]rows.Value{"id": rows.Int(0), "name": rows.String(""), "blob": rows.Bytes([]byte{}), "at": rows.Null,
		"counts": rows.MapOf(nil), "tags": rows.List([]rows.Value{}), "note": rows.Null, "text": rows.Null, "number": rows.Null,
		"kind": rows.String("A"), "ratio": rows.Float(0)}
	for _, k := range []string{"id", "name", "blob", "at", "counts", "tags", "note", "text", "number", "kind", "ratio"} {
		v, ok := in.Get(k)
		if !ok {
			v = defaults[k]
		}
		full = append(full, rows.String(k), v)
	}
	return rows.MapOf(full)
}
