package kafka

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

func props(addr string, kv ...string) map[string]any {
	m := map[string]any{"bootstrap.servers": addr}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestProduceRecordsFromRowFile(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "key"}, {Name: "value"}, {Name: "partition"}, {Name: "timestamp"}, {Name: "headers"}, {Name: "extra"}}}
	var rs []rows.Row
	for i := 0; i < 50; i++ {
		rs = append(rs, rows.Row{Values: []rows.Value{
			rows.String(fmt.Sprintf("k%02d", i)),
			rows.Int(int64(i) * 1000),
			rows.Int(int64(i % 3)),
			rows.Int(1_700_000_000_000 + int64(i)),
			rows.MapOf([]rows.Value{rows.String("h"), rows.String(fmt.Sprint(i)), rows.String("raw"), rows.Bytes([]byte{0xff})}),
			rows.String("ignored"),
		}})
	}
	uri := env.WriteRows("in", schema, rs)
	out, err := env.Run(&Produce{Properties: props(addr), Topic: "orders", From: uri, KeySerializer: "STRING", ValueSerializer: "LONG"}, "produce")
	if err != nil {
		t.Fatal(err)
	}
	if out["messagesCount"] != int64(50) {
		t.Fatalf("messagesCount %v", out["messagesCount"])
	}
	got := byKey(readTopic(t, addr, "orders", 50))
	for i := 0; i < 50; i++ {
		r := got[fmt.Sprintf("k%02d", i)]
		if r == nil {
			t.Fatalf("record %d missing", i)
		}
		if int64(binary.BigEndian.Uint64(r.Value)) != int64(i)*1000 || len(r.Value) != 8 {
			t.Fatalf("record %d value %x", i, r.Value)
		}
		if r.Partition != int32(i%3) {
			t.Fatalf("record %d went to partition %d", i, r.Partition)
		}
		if r.Timestamp.UnixMilli() != 1_700_000_000_000+int64(i) {
			t.Fatalf("record %d timestamp %v", i, r.Timestamp)
		}
		if len(r.Headers) != 2 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != fmt.Sprint(i) || r.Headers[1].Value[0] != 0xff {
			t.Fatalf("record %d headers %+v", i, r.Headers)
		}
	}
}

func TestProduceWholeRowsAsJSON(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	d, _ := rows.ParseDecimal("10.50")
	schema := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "amount"}, {Name: "day"}}}
	uri := env.WriteRows("in", schema, []rows.Row{{Values: []rows.Value{rows.Int(1), d, rows.Date(19000)}}})
	out, err := env.Run(&Produce{Properties: props(addr), Topic: "t", From: uri, ValueSerializer: "JSON"}, "produce")
	if err != nil || out["messagesCount"] != int64(1) {
		t.Fatalf("%v %v", out, err)
	}
	r := readTopic(t, addr, "t", 1)[0]
	if string(r.Value) != `{"id":1,"amount":10.50,"day":"2022-01-08"}` || r.Key != nil {
		t.Fatalf("value %s key %q", r.Value, r.Key)
	}
}

func TestProduceInlineListAndMap(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	from := []any{
		map[string]any{"key": "a", "value": map[string]any{"n": int64(1)}, "topic": "other", "headers": []any{map[string]any{"x": "1"}}},
		map[string]any{"key": "b", "value": "plain", "timestamp": "2024-01-02T03:04:05.006Z"},
		map[string]any{"key": "c"}, // Kestra's shape: no value is a null value (a tombstone)
	}
	out, err := env.Run(&Produce{Properties: props(addr), Topic: "main", From: from, ValueSerializer: "JSON"}, "p")
	if err != nil || out["messagesCount"] != int64(3) {
		t.Fatalf("%v %v", out, err)
	}
	other := readTopic(t, addr, "other", 1)[0]
	if string(other.Value) != `{"n":1}` || string(other.Headers[0].Value) != "1" {
		t.Fatalf("other: %s %+v", other.Value, other.Headers)
	}
	main := byKey(readTopic(t, addr, "main", 2))
	if string(main["b"].Value) != `"plain"` || main["b"].Timestamp.UnixMilli() != time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC).UnixMilli() {
		t.Fatalf("b: %s %v", main["b"].Value, main["b"].Timestamp)
	}
	if main["c"].Value != nil {
		t.Fatalf("c: %q", main["c"].Value)
	}

	out, err = env.Run(&Produce{Properties: props(addr), Topic: "main", From: map[string]any{"key": "solo", "value": "v"}}, "p")
	if err != nil || out["messagesCount"] != int64(1) {
		t.Fatalf("map: %v %v", out, err)
	}
	_, err = env.Run(&Produce{Properties: props(addr), Topic: "main", From: []any{map[string]any{"vaule": "typo"}}}, "p")
	if err == nil || !strings.Contains(err.Error(), `unknown record field "vaule"`) {
		t.Fatalf("typo: %v", err)
	}
}

const orderAvro = `{"type":"record","name":"Order","namespace":"com.acme","fields":[
  {"name":"id","type":"long"},
  {"name":"customer","type":["null","string"]},
  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},
  {"name":"created","type":{"type":"long","logicalType":"timestamp-micros"}}]}`

func TestProduceAvroWithRegistry(t *testing.T) {
	_, addr := fakeCluster(t)
	reg := registrytest.New()
	defer reg.Close()
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "id"}, {Name: "customer"}, {Name: "amount"}, {Name: "created"}}}
	var rs []rows.Row
	for i := 0; i < 200; i++ {
		d, _ := rows.ParseDecimal(fmt.Sprintf("%d.%02d", i, i%100))
		cust := rows.String(fmt.Sprintf("c%d", i))
		if i%7 == 0 {
			cust = rows.Null
		}
		rs = append(rs, rows.Row{Values: []rows.Value{rows.Int(int64(i)), cust, d, rows.TimestampTZ(1_700_000_000_000_000+int64(i), 0)}})
	}
	uri := env.WriteRows("orders", schema, rs)
	out, err := env.Run(&Produce{
		Properties: props(addr), Topic: "orders", From: uri,
		SerdeProperties: map[string]any{"schema.registry.url": reg.URL},
		ValueSerializer: "AVRO", ValueAvroSchema: orderAvro,
	}, "produce")
	if err != nil || out["messagesCount"] != int64(200) {
		t.Fatalf("%v %v", out, err)
	}
	if reg.Requests() != 1 {
		t.Fatalf("%d registry requests for 200 records", reg.Requests())
	}
	recs := readTopic(t, addr, "orders", 200)
	seen := map[int64]bool{}
	for _, r := range recs {
		// Confluent's deserializer: magic byte 0, schema ID, Avro binary.
		if r.Value[0] != 0 {
			t.Fatalf("magic byte %d", r.Value[0])
		}
		text, ok := reg.Schema(int(binary.BigEndian.Uint32(r.Value[1:5])))
		if !ok {
			t.Fatal("unknown schema id")
		}
		var m map[string]any
		if err := havro.Unmarshal(havro.MustParse(text), r.Value[5:], &m); err != nil {
			t.Fatal(err)
		}
		i := m["id"].(int64)
		seen[i] = true
		want := rs[i]
		if got := m["amount"].(interface{ FloatString(int) string }).FloatString(2); got != want.Values[2].DecimalString() {
			t.Fatalf("id %d amount %s want %s", i, got, want.Values[2].DecimalString())
		}
		if m["created"].(time.Time).UnixMicro() != want.Values[3].Raw() {
			t.Fatalf("id %d created %v", i, m["created"])
		}
		if want.Values[1].IsNull() != (m["customer"] == nil) {
			t.Fatalf("id %d customer %v", i, m["customer"])
		}
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct ids", len(seen))
	}
}

func TestProduceFailureNamesRecord(t *testing.T) {
	_, addr := fakeCluster(t)
	env := plugintest.New(t)
	schema := &rows.Schema{Fields: []rows.Field{{Name: "key"}, {Name: "value"}}}
	rs := []rows.Row{
		{Values: []rows.Value{rows.String("a"), rows.Int(1)}},
		{Values: []rows.Value{rows.String("b"), rows.Int(2)}},
		{Values: []rows.Value{rows.String("c"), rows.Int(1 << 40)}},
		{Values: []rows.Value{rows.String("d"), rows.Int(4)}},
	}
	uri := env.WriteRows("in", schema, rs)
	out, err := env.Run(&Produce{Properties: props(addr), Topic: "t", From: uri, ValueSerializer: "INTEGER"}, "produce")
	if err == nil {
		t.Fatalf("no error: %v", out)
	}
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 3 || re.Part != "value" {
		t.Fatalf("error does not name record 3's value: %v", err)
	}
	if !strings.Contains(err.Error(), "out of the range of a 32-bit integer") || !strings.Contains(err.Error(), "2 records acknowledged") {
		t.Fatalf("error: %v", err)
	}
	if out != nil {
		t.Fatalf("outputs on failure: %v", out)
	}
}

func TestProduceToStoppedBroker(t *testing.T) {
	c, addr := fakeCluster(t)
	c.Close()
	env := plugintest.New(t)
	out, err := env.Run(&Produce{
		Properties: props(addr, "delivery.timeout.ms", "1500", "socket.connection.setup.timeout.ms", "200"),
		Topic:      "t", From: []any{map[string]any{"value": "x"}, map[string]any{"value": "y"}},
	}, "produce")
	if err == nil {
		t.Fatalf("produced to a stopped broker: %v", out)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "no Kafka broker answered") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("error: %v", err)
	}
}

func TestProduceSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			_, addr := fakeCluster(t, kfakeSASL(mech, "admin", "adm1n-secret")...)
			env := plugintest.New(t)
			jaas := `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="adm1n-secret";`
			p := props(addr, "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", mech, "sasl.jaas.config", jaas)
			out, err := env.Run(&Produce{Properties: p, Topic: "t", From: map[string]any{"value": "x"}}, "produce")
			if err != nil || out["messagesCount"] != int64(1) {
				t.Fatalf("%v %v", out, err)
			}
			p["sasl.jaas.config"] = strings.Replace(jaas, "adm1n-secret", "wrong-pass", 1)
			p["delivery.timeout.ms"] = "1000"
			_, err = env.Run(&Produce{Properties: p, Topic: "t", From: map[string]any{"value": "x"}}, "produce")
			if err == nil {
				t.Fatal("wrong password accepted")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "wrong-pass") {
				t.Fatalf("password in error: %v", err)
			}
		})
	}
}
