// Package kafka_test runs sluice's Kafka tasks against a real broker and
// schema registry (integration/services/up starts them; see testenv), and
// the JSON file → Avro flow also in process (kfake and the test registry),
// so that the done-when check runs on every machine.
package kafka_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/kafka"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/integration/testenv"
	_ "github.com/sluicehq/sluice/serdes/json"
)

// message is one record as a consumer sees it on the wire.
type message struct {
	key, value []byte // nil for a Kafka null
}

// kcatRead reads every message of topic with kcat, keys and values as raw
// bytes: the format prints the key length as text, the key, then the value
// length as a 4-byte big-endian integer and the value.
func kcatRead(t *testing.T, kcat, broker, topic string, want int) []message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []message
	for len(out) < want && ctx.Err() == nil {
		cmd := exec.CommandContext(ctx, kcat, "-b", broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", `%K\n%k%R%s`)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("kcat: %v: %s", err, stderr.String())
		}
		out = parseKcat(t, raw)
		if len(out) < want {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if len(out) != want {
		t.Fatalf("kcat read %d messages from %s, want %d", len(out), topic, want)
	}
	return out
}

func parseKcat(t *testing.T, raw []byte) []message {
	var out []message
	r := bufio.NewReader(bytes.NewReader(raw))
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return out
		}
		if err != nil {
			t.Fatalf("kcat output: %v", err)
		}
		klen, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("kcat key length %q", line)
		}
		var m message
		if klen >= 0 {
			m.key = make([]byte, klen)
			if _, err := io.ReadFull(r, m.key); err != nil {
				t.Fatal(err)
			}
		}
		var vlen int32
		if err := binary.Read(r, binary.BigEndian, &vlen); err != nil {
			t.Fatal(err)
		}
		if vlen >= 0 {
			m.value = make([]byte, vlen)
			if _, err := io.ReadFull(r, m.value); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, m)
	}
}

func uniqueTopic(name string) string {
	return fmt.Sprintf("sluice-it-%s-%d", name, time.Now().UnixNano())
}

// Every serializer's bytes, read back by kcat from the real broker, are the
// layouts of Kafka's Java serializers.
func TestSerializersOnTheWire(t *testing.T) {
	broker := testenv.Kafka(t)
	kcat := testenv.Kcat(t)
	env := plugintest.New(t)
	cases := []struct {
		ser   string
		value any
		hex   string
	}{
		{"STRING", "héllo", hex.EncodeToString([]byte("héllo"))},
		{"INTEGER", int64(-2), "fffffffe"},
		{"LONG", int64(0x0102030405060708), "0102030405060708"},
		{"SHORT", int64(258), "0102"},
		{"FLOAT", 1.5, "3fc00000"},
		{"DOUBLE", -2.0, "c000000000000000"},
		{"BYTE_ARRAY", []byte{0, 0xff}, "00ff"},
		{"BYTE_BUFFER", []byte{1, 2}, "0102"},
		{"BYTES", []byte{3}, "03"},
		{"UUID", "123E4567-E89B-12D3-A456-426614174000", hex.EncodeToString([]byte("123e4567-e89b-12d3-a456-426614174000"))},
		{"JSON", map[string]any{"a": int64(1)}, hex.EncodeToString([]byte(`{"a":1}`))},
		{"VOID", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.ser, func(t *testing.T) {
			topic := uniqueTopic(strings.ToLower(c.ser))
			out, err := env.Run(&kafka.Produce{
				Properties: map[string]any{"bootstrap.servers": broker}, Topic: topic,
				From:          map[string]any{"key": "k1", "value": c.value},
				KeySerializer: "STRING", ValueSerializer: c.ser,
			}, "produce")
			if err != nil || out["messagesCount"] != int64(1) {
				t.Fatalf("%v %v", out, err)
			}
			ms := kcatRead(t, kcat, broker, topic, 1)
			if string(ms[0].key) != "k1" {
				t.Fatalf("key %q", ms[0].key)
			}
			if c.ser == "VOID" {
				if ms[0].value != nil {
					t.Fatalf("VOID wrote %x", ms[0].value)
				}
				return
			}
			if hex.EncodeToString(ms[0].value) != c.hex {
				t.Fatalf("value %x, want %s", ms[0].value, c.hex)
			}
		})
	}
}

const ordersJSON = `{"id": 1, "customer": "Ann", "amount": 12.50, "created": "2024-01-02T03:04:05.123456Z", "day": "2024-01-02", "tags": ["new", "vip"], "note": null}
{"id": 2, "customer": "Bob \"the builder\"", "amount": -0.05, "created": "1969-12-31T23:59:59.999999Z", "day": "1969-12-31", "tags": [], "note": "héllo"}
{"id": 9007199254740993, "customer": "", "amount": 99999999.99, "created": "2038-01-19T03:14:08Z", "day": "2038-01-19", "tags": ["x"], "note": null}
`

const ordersAvro = `{"type": "record", "name": "Order", "namespace": "sluice.it", "fields": [
  {"name": "id", "type": "long"},
  {"name": "customer", "type": "string"},
  {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
  {"name": "created", "type": {"type": "long", "logicalType": "timestamp-micros"}},
  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
  {"name": "tags", "type": {"type": "array", "items": "string"}},
  {"name": "note", "type": ["null", "string"], "default": null}
] }`

// flowYAML is a whole flow: read a JSON-lines file, produce it as Avro.
func flowYAML(file, broker, registry, topic string) string {
	var schema strings.Builder
	for _, l := range strings.Split(ordersAvro, "\n") {
		schema.WriteString("      " + l + "\n")
	}
	return fmt.Sprintf(`id: json_to_kafka_avro
namespace: sluice.it
tasks:
  - id: read
    type: io.kestra.plugin.serdes.json.JsonReader
    from: %s
  - id: produce
    type: io.kestra.plugin.kafka.Produce
    from: "{{ outputs.read.uri }}"
    topic: %s
    properties:
      bootstrap.servers: %q
      acks: all
      compression.type: lz4
    serdeProperties:
      schema.registry.url: %q
    keySerializer: STRING
    valueSerializer: AVRO
    valueAvroSchema: |
%s`, file, topic, broker, registry, schema.String())
}

// checkOrders decodes values with Confluent's deserializer logic — magic
// byte 0, a 4-byte big-endian schema ID, the schema fetched from the
// registry by that ID, Avro binary — using hamba/avro, not sluice's codec,
// and compares them with the JSON source, exactly.
func checkOrders(t *testing.T, values [][]byte, schemaByID func(int) string) {
	t.Helper()
	if len(values) != 3 {
		t.Fatalf("%d messages, want 3", len(values))
	}
	byID := map[int64]map[string]any{}
	for _, v := range values {
		if len(v) < 5 || v[0] != 0 {
			t.Fatalf("not Confluent wire format: %x", v)
		}
		id := int(binary.BigEndian.Uint32(v[1:5]))
		schema, err := havro.ParseWithCache(schemaByID(id), "", &havro.SchemaCache{})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := havro.Unmarshal(schema, v[5:], &m); err != nil {
			t.Fatal(err)
		}
		byID[m["id"].(int64)] = m
	}
	dec := json.NewDecoder(strings.NewReader(ordersJSON))
	dec.UseNumber()
	for dec.More() {
		var src map[string]any
		if err := dec.Decode(&src); err != nil {
			t.Fatal(err)
		}
		id, _ := src["id"].(json.Number).Int64()
		got := byID[id]
		if got == nil {
			t.Fatalf("order %d missing", id)
		}
		if got["customer"] != src["customer"] {
			t.Errorf("order %d customer %q want %q", id, got["customer"], src["customer"])
		}
		want := string(src["amount"].(json.Number))
		if a := got["amount"].(*big.Rat).FloatString(2); a != want {
			t.Errorf("order %d amount %s want %s", id, a, want)
		}
		ts, _ := time.Parse(time.RFC3339Nano, src["created"].(string))
		if c := got["created"].(time.Time); !c.Equal(ts) {
			t.Errorf("order %d created %s want %s", id, c.Format(time.RFC3339Nano), src["created"])
		}
		if d := got["day"].(time.Time).Format("2006-01-02"); d != src["day"] {
			t.Errorf("order %d day %s want %s", id, d, src["day"])
		}
		if fmt.Sprint(got["tags"]) != fmt.Sprint(src["tags"]) {
			t.Errorf("order %d tags %v want %v", id, got["tags"], src["tags"])
		}
		if fmt.Sprint(got["note"]) != fmt.Sprint(src["note"]) && !(got["note"] == nil && src["note"] == nil) {
			t.Errorf("order %d note %v want %v", id, got["note"], src["note"])
		}
	}
}

func writeOrders(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "orders.jsonl")
	if err := os.WriteFile(p, []byte(ordersJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runFlow(t *testing.T, broker, registry, topic string) {
	t.Helper()
	env := flowtest.New(t)
	ex := env.Run(flowYAML(writeOrders(t), broker, registry, topic), nil)
	env.RequireState(ex, state.Success)
	if n := env.Output(ex, "produce", "messagesCount"); fmt.Sprint(n) != "3" {
		t.Fatalf("messagesCount %v", n)
	}
}

// Done-when check, on the real broker and registry, read back with kcat.
func TestJSONFileToAvroFlowRealBrokerAndRegistry(t *testing.T) {
	broker := testenv.Kafka(t)
	registry := testenv.SchemaRegistry(t)
	kcat := testenv.Kcat(t)
	topic := uniqueTopic("avro")
	runFlow(t, broker, registry, topic)
	var values [][]byte
	for _, m := range kcatRead(t, kcat, broker, topic, 3) {
		values = append(values, m.value)
	}
	checkOrders(t, values, func(id int) string { return realSchema(t, registry, id) })
}

func realSchema(t *testing.T, registry string, id int) string {
	resp, err := http.Get(fmt.Sprintf("%s/schemas/ids/%d", strings.TrimRight(registry, "/"), id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Schema == "" {
		t.Fatalf("schema %d: HTTP %d %v", id, resp.StatusCode, err)
	}
	return body.Schema
}

// The same flow in process (kfake, the test registry): it runs everywhere.
func TestJSONFileToAvroFlowInProcess(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := registrytest.New()
	defer reg.Close()
	broker := c.ListenAddrs()[0]
	runFlow(t, broker, reg.URL, "orders")
	values := consumeValues(t, broker, "orders", 3)
	checkOrders(t, values, func(id int) string {
		s, ok := reg.Schema(id)
		if !ok {
			t.Fatalf("schema id %d unknown", id)
		}
		return s
	})
}

func consumeValues(t *testing.T, broker, topic string, n int) [][]byte {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out [][]byte
	for len(out) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r.Value) })
	}
	return out
}

// Produce, then Consume with a group on the real broker: a killed run
// stores nothing, the next stores everything once; AVRO decodes through the
// real registry.
func TestConsumeRealBroker(t *testing.T) {
	broker := testenv.Kafka(t)
	registry := testenv.SchemaRegistry(t)
	env := plugintest.New(t)
	topic := uniqueTopic("consume")
	var from []any
	for i := 0; i < 500; i++ {
		from = append(from, map[string]any{"key": fmt.Sprintf("k%04d", i), "value": map[string]any{"id": int64(i), "customer": "c", "amount": "1.00",
			"created": "2024-01-01T00:00:00Z", "day": "2024-01-01", "tags": []any{}, "note": nil}})
	}
	sp := map[string]any{"schema.registry.url": registry}
	props := map[string]any{"bootstrap.servers": broker}
	if out, err := env.Run(&kafka.Produce{Properties: props, SerdeProperties: sp, Topic: topic, From: from, ValueSerializer: "AVRO", ValueAvroSchema: ordersAvro}, "p"); err != nil || out["messagesCount"] != int64(500) {
		t.Fatalf("%v %v", out, err)
	}
	group := "sluice-it-" + topic
	task := &kafka.Consume{Properties: props, SerdeProperties: sp, Topic: topic, GroupID: group, ValueDeserializer: "AVRO", PollDuration: plugin.Duration(3 * time.Second)}

	// A run killed while reading stores nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	rc := env.RunContext("c")
	out, err := task.Run(ctx, rc)
	cancel()
	rc.Cleanup()
	seen := map[string]int{}
	if err == nil {
		// The run may have finished before the deadline: then it stored
		// and committed everything, and the next run finds nothing.
		_, rs := env.ReadRows(out["uri"].(string))
		for _, r := range rs {
			seen[r.Values[0].AsString()]++
		}
	}
	out, err = env.Run(task, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(out["uri"].(string))
	for _, r := range rs {
		seen[r.Values[0].AsString()]++
		if v, _ := r.Values[1].Get("amount"); v.DecimalString() != "1.00" {
			t.Fatalf("amount %s", v)
		}
	}
	if len(seen) != 500 {
		t.Fatalf("%d distinct records stored, want 500", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("%s stored %d times", k, n)
		}
	}
}
