package kafka

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

// produceN writes n records key-i / value-i (JSON objects) to topic.
func produceN(t *testing.T, addr, topic string, from, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var rs []*kgo.Record
	for i := from; i < from+n; i++ {
		rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%05d", i)), Value: []byte(fmt.Sprintf(`{"i":%d}`, i)),
			Headers: []kgo.RecordHeader{{Key: "src", Value: []byte("test")}}})
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func storedKeys(t *testing.T, env *plugintest.Env, out plugin.Outputs) []string {
	t.Helper()
	_, rs := env.ReadRows(out["uri"].(string))
	if int64(len(rs)) != out["messagesCount"].(int64) {
		t.Fatalf("%d rows stored, messagesCount %v", len(rs), out["messagesCount"])
	}
	var keys []string
	for _, r := range rs {
		keys = append(keys, r.Values[0].AsString())
	}
	return keys
}

func TestConsumeJSON(t *testing.T) {
	_, addr := fakeCluster(t)
	produceN(t, addr, "events", 0, 30)
	env := plugintest.New(t)
	out, err := env.Run(&Consume{Properties: props(addr), Topic: "events", ValueDeserializer: "JSON", PollDuration: plugin.Duration(300e6)}, "consume")
	if err != nil {
		t.Fatal(err)
	}
	if out["messagesCount"] != int64(30) {
		t.Fatalf("messagesCount %v", out["messagesCount"])
	}
	schema, rs := env.ReadRows(out["uri"].(string))
	if strings.Join(schema.Names(), ",") != "key,value,topic,partition,offset,timestamp,headers" {
		t.Fatalf("schema %s", schema)
	}
	for _, r := range rs {
		var i int
		fmt.Sscanf(r.Values[0].AsString(), "k%05d", &i)
		if want := rows.MapOf([]rows.Value{rows.String("i"), rows.Int(int64(i))}); !r.Values[1].Equal(want) {
			t.Fatalf("value %s, want %s", r.Values[1], want)
		}
		if r.Values[2].AsString() != "events" || r.Values[5].Kind() != rows.KindTimestampTZ {
			t.Fatalf("row %v", r.Values)
		}
		if h, _ := r.Values[6].Get("src"); h.AsString() != "test" {
			t.Fatalf("headers %s", r.Values[6])
		}
	}
}

// A consume killed mid-run stores nothing and commits nothing; the next run
// of the group stores every record exactly once, across all runs. until:
// END makes every run read exactly what the topic held when it started, so
// nothing here depends on timing.
func TestConsumeKilledAndRestartedNeitherLosesNorDuplicates(t *testing.T) {
	_, addr := fakeCluster(t)
	produceN(t, addr, "orders", 0, 600)
	env := plugintest.New(t)
	task := func() *Consume {
		return &Consume{Properties: props(addr), Topic: "orders", GroupID: "g1", Until: UntilEnd}
	}
	var stored []string

	// Run 1 ends normally after 200 records.
	first := task()
	first.MaxRecords = 200
	out, err := env.Run(first, "consume")
	if err != nil {
		t.Fatal(err)
	}
	stored = append(stored, storedKeys(t, env, out)...)

	// Run 2 is killed after storing 150 records in its (unpublished) file.
	ctx, cancel := context.WithCancel(context.Background())
	afterWrite = func(n int64) {
		if n == 150 {
			cancel()
		}
	}
	rc := env.RunContext("consume")
	_, err = task().Run(ctx, rc)
	afterWrite = nil
	rc.Cleanup()
	if err == nil || !strings.Contains(err.Error(), "nothing stored, no offset committed") {
		t.Fatalf("killed run: %v", err)
	}

	// More records arrive; run 3 reads the 400 left and the 100 new ones.
	produceN(t, addr, "orders", 600, 100)
	out, err = env.Run(task(), "consume")
	if err != nil {
		t.Fatal(err)
	}
	if out["messagesCount"] != int64(500) {
		t.Fatalf("run 3 stored %v records, want 500", out["messagesCount"])
	}
	stored = append(stored, storedKeys(t, env, out)...)

	sort.Strings(stored)
	if len(stored) != 700 {
		t.Fatalf("%d records stored over the runs, want 700", len(stored))
	}
	for i, k := range stored {
		if k != fmt.Sprintf("k%05d", i) {
			t.Fatalf("stored[%d] = %s: a record was lost or duplicated", i, k)
		}
	}

	// Nothing new: the group is at the end.
	out, err = env.Run(task(), "consume")
	if err != nil || out["messagesCount"] != int64(0) {
		t.Fatalf("rerun: %v %v", out, err)
	}
}

func TestConsumePartitionsSince(t *testing.T) {
	_, addr := fakeCluster(t)
	cl, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := 0; i < 10; i++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "p", Partition: int32(i % 2), Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	env := plugintest.New(t)
	out, err := env.Run(&Consume{Properties: props(addr), Topic: []any{"p"}, Partitions: []int{1}, Since: "2", PollDuration: plugin.Duration(300e6)}, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(out["uri"].(string))
	var vals []string
	for _, r := range rs {
		if r.Values[3].AsInt() != 1 {
			t.Fatalf("partition %d", r.Values[3].AsInt())
		}
		vals = append(vals, r.Values[1].AsString())
	}
	// Partition 1 holds 1,3,5,7,9 at offsets 0-4; from offset 2: 5,7,9.
	if strings.Join(vals, ",") != "5,7,9" {
		t.Fatalf("values %v", vals)
	}
	for _, bad := range []*Consume{
		{Properties: props(addr)},
		{Properties: props(addr), Topic: "a", TopicPattern: "b"},
		{Properties: props(addr), Topic: "a", GroupID: "g", Partitions: []int{0}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestProduceConsumeAvroRoundTrip(t *testing.T) {
	_, addr := fakeCluster(t)
	reg := registrytest.New()
	defer reg.Close()
	env := plugintest.New(t)
	d, _ := rows.ParseDecimal("1234.56")
	from := []any{map[string]any{"key": int64(42), "value": map[string]any{"id": int64(42), "customer": "ann", "amount": d, "created": rows.TimestampTZ(1_700_000_000_000_001, 0)}}}
	sp := map[string]any{"schema.registry.url": reg.URL}
	if _, err := env.Run(&Produce{Properties: props(addr), SerdeProperties: sp, Topic: "o", From: from, KeySerializer: "LONG", ValueSerializer: "AVRO", ValueAvroSchema: orderAvro}, "p"); err != nil {
		t.Fatal(err)
	}
	out, err := env.Run(&Consume{Properties: props(addr), SerdeProperties: sp, Topic: "o", KeyDeserializer: "LONG", ValueDeserializer: "AVRO", PollDuration: plugin.Duration(300e6)}, "c")
	if err != nil {
		t.Fatal(err)
	}
	_, rs := env.ReadRows(out["uri"].(string))
	if len(rs) != 1 || rs[0].Values[0].AsInt() != 42 {
		t.Fatalf("rows %v", rs)
	}
	want := rows.MapOf([]rows.Value{rows.String("id"), rows.Int(42), rows.String("customer"), rows.String("ann"), rows.String("amount"), d, rows.String("created"), rows.TimestampTZ(1_700_000_000_000_001, 0)})
	if !rs[0].Values[1].Equal(want) {
		t.Fatalf("value %s want %s", rs[0].Values[1], want)
	}
}

// until: END reads what the partitions held when the task started, and not
// what arrives while it runs.
func TestConsumeUntilEndIgnoresLaterRecords(t *testing.T) {
	_, addr := fakeCluster(t)
	produceN(t, addr, "end", 0, 90)
	env := plugintest.New(t)
	afterWrite = func(n int64) {
		if n == 1 {
			produceN(t, addr, "end", 90, 30)
		}
	}
	defer func() { afterWrite = nil }()
	// pollDuration is far shorter than a loaded machine may need to join
	// a group and fetch: END ignores it.
	out, err := env.Run(&Consume{Properties: props(addr), Topic: "end", GroupID: "gend", Until: "end", PollDuration: plugin.Duration(1)}, "c")
	if err != nil {
		t.Fatal(err)
	}
	if keys := storedKeys(t, env, out); len(keys) != 90 {
		t.Fatalf("%d records stored, want the 90 there at the start", len(keys))
	}
	afterWrite = nil
	// The next run reads the 30 that came later; then there is nothing.
	for _, want := range []int64{30, 0} {
		out, err = env.Run(&Consume{Properties: props(addr), Topic: "end", GroupID: "gend", Until: UntilEnd}, "c")
		if err != nil || out["messagesCount"] != want {
			t.Fatalf("next run: %v %v, want %d", out, err, want)
		}
	}
	// Without a group, from a partition and an offset; a missing topic has
	// nothing to read.
	out, err = env.Run(&Consume{Properties: props(addr), Topic: []any{"end", "nosuchtopic"}, Partitions: []int{0, 1, 2}, Since: "1000", Until: UntilEnd}, "c")
	if err != nil || out["messagesCount"] != int64(0) {
		t.Fatalf("since beyond the end: %v %v", out, err)
	}
	out, err = env.Run(&Consume{Properties: props(addr), TopicPattern: "^en.$", Until: UntilEnd}, "c")
	if err != nil || out["messagesCount"] != int64(120) {
		t.Fatalf("topicPattern: %v %v", out, err)
	}
	if err := (&Consume{Properties: props(addr), Topic: "x", Until: "forever"}).Validate(); err == nil {
		t.Fatal("until: forever validated")
	}
}
