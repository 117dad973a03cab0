package main

// The kafka-produce scenario: sluice's Produce task against a bare client
// loop, on the same records and the same broker.
//
//	go run ./bench kafka-produce [-records 1000000] [-size 1024] [-skip-sarama]
//
// Brokers: an in-process kfake cluster that acknowledges produce requests
// without storing the records (so broker storage does not compete for the
// two cores), and, when SLUICE_TEST_KAFKA is set (host:port), the real
// broker there. For each broker it prints one JSON line per client:
//
//	franz-go-bare   kgo.Client.Produce in a loop over pre-built keys/values
//	sarama-bare     sarama.AsyncProducer in a loop over the same records
//	sluice STRING   the Produce task reading a row file (key, value columns)
//	sluice AVRO     the Produce task writing Confluent Avro with the in-process
//	                registry, rows of 5 typed fields of about -size bytes
//	sluice JSON     the same rows as JSON objects (no registry)
//	sluice JSON_SCHEMA  the same rows as Confluent JSON Schema, each record
//	                validated against the schema
//	sluice PROTOBUF the same rows as Confluent Protobuf (.proto compiled in
//	                process; the timestamp a google.protobuf.Timestamp)
//
// ratio is bare franz-go msgs/s over sluice STRING msgs/s (goal ≤ 1.2);
// avro_vs_string (and vs_string on the JSON_SCHEMA and PROTOBUF lines) is
// sluice STRING msgs/s over that serializer's msgs/s (goal ≤ 1.5).
// The *_cpu figures compare CPU seconds (user+system, kfake included when in
// process), which stay meaningful when other work shares the cores.
// All producers are idempotent with acks=all, as Produce is by default.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/kafka"
	"github.com/sluicehq/sluice/connectors/kafka/registry/registrytest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

func init() { scenarios["kafka-produce"] = runKafkaProduce }

func runKafkaProduce(args []string) error {
	fs := flag.NewFlagSet("kafka-produce", flag.ContinueOnError)
	n := fs.Int("records", 1_000_000, "records per run")
	size := fs.Int("size", 1024, "value bytes per record")
	skipSarama := fs.Bool("skip-sarama", false, "do not run the sarama baseline")
	dir := fs.String("dir", os.TempDir(), "folder for the row files")
	linger := fs.Int("linger-ms", -1, "linger.ms for every client (-1: each client's default; sluice then uses Java's 5 ms)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp(*dir, "sluice-bench-kafka-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	store, err := storage.NewLocal(work)
	if err != nil {
		return err
	}
	ctx := context.Background()

	fmt.Fprintf(os.Stderr, "bench: kafka-produce: writing %d records of %d bytes\n", *n, *size)
	stringURI, err := writeRows(ctx, store, "string", *n, func(i int, r *rows.Row, buf []byte) {
		k := key(buf, i)
		r.Values[0] = rows.StringBytes(k)
		r.Values[1] = rows.StringBytes(payload(buf[len(k):len(k)], i, *size))
	}, []string{"key", "value"})
	if err != nil {
		return err
	}
	avroPad := max(*size-40, 1)
	avroURI, err := writeRows(ctx, store, "avro", *n, func(i int, r *rows.Row, buf []byte) {
		r.Values[0] = rows.Int(int64(i))
		r.Values[1] = rows.String("customer-name")
		r.Values[2] = rows.Decimal(int64(i)*100+99, 2)
		r.Values[3] = rows.TimestampTZ(1_700_000_000_000_000+int64(i), 0)
		r.Values[4] = rows.StringBytes(payload(buf, i, avroPad))
	}, []string{"id", "customer", "amount", "created", "payload"})
	if err != nil {
		return err
	}

	type target struct{ name, addr string }
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3), kfake.BlackholeProduce())
	if err != nil {
		return err
	}
	defer fake.Close()
	targets := []target{{"kfake", fake.ListenAddrs()[0]}}
	if addr := os.Getenv("SLUICE_TEST_KAFKA"); addr != "" {
		targets = append(targets, target{"kafka", addr})
	}
	reg := registrytest.New()
	defer reg.Close()

	for _, t := range targets {
		run := time.Now().UnixNano()
		topic := func(s string) string { return fmt.Sprintf("bench-%s-%d", s, run) }
		base := map[string]any{"scenario": "kafka-produce", "broker": t.name, "records": *n, "size": *size}
		if err := createTopics(ctx, t.addr, topic("bare"), topic("sarama"), topic("string"), topic("avro"), topic("json"), topic("jsonschema"), topic("protobuf")); err != nil {
			return err
		}
		line := func(extra map[string]any) map[string]any {
			out := map[string]any{}
			for k, v := range base {
				out[k] = v
			}
			for k, v := range extra {
				out[k] = v
			}
			return out
		}

		props := map[string]any{"bootstrap.servers": t.addr}
		if *linger >= 0 {
			props["linger.ms"] = strconv.Itoa(*linger)
			base["linger_ms"] = *linger
		}
		bare, err := measure(func() (int64, error) { return bareFranz(ctx, t.addr, topic("bare"), *n, *size, *linger) })
		if err != nil {
			return fmt.Errorf("%s franz-go: %w", t.name, err)
		}
		emit(line(map[string]any{"client": "franz-go-bare", "serializer": "STRING", "seconds": bare.secs, "cpu_seconds": bare.cpu, "msgs_per_s": bare.rate, "peak_rss_mb": bare.rss}))

		if !*skipSarama {
			sar, err := measure(func() (int64, error) { return bareSarama(t.addr, topic("sarama"), *n, *size, *linger) })
			if err != nil {
				// A baseline that fails is reported, not fatal: sluice's
				// own lines still matter.
				emit(line(map[string]any{"client": "sarama-bare", "serializer": "STRING", "error": err.Error()}))
			} else {
				emit(line(map[string]any{"client": "sarama-bare", "serializer": "STRING", "seconds": sar.secs, "cpu_seconds": sar.cpu, "msgs_per_s": sar.rate, "peak_rss_mb": sar.rss, "franz_vs_sarama": round(bare.rate/sar.rate, 2), "franz_vs_sarama_cpu": round(sar.cpu/bare.cpu, 2)}))
			}
		}

		str, err := measure(func() (int64, error) {
			return produceTask(ctx, store, &kafka.Produce{
				Properties: props, Topic: topic("string"), From: stringURI,
				KeySerializer: "STRING", ValueSerializer: "STRING",
			})
		})
		if err != nil {
			return fmt.Errorf("%s sluice STRING: %w", t.name, err)
		}
		emit(line(map[string]any{"client": "sluice", "serializer": "STRING", "seconds": str.secs, "cpu_seconds": str.cpu, "msgs_per_s": str.rate, "peak_rss_mb": str.rss, "ratio": round(bare.rate/str.rate, 2), "cpu_ratio": round(str.cpu/bare.cpu, 2)}))

		av, err := measure(func() (int64, error) {
			return produceTask(ctx, store, &kafka.Produce{
				Properties: props, Topic: topic("avro"), From: avroURI,
				SerdeProperties: map[string]any{"schema.registry.url": reg.URL},
				ValueSerializer: "AVRO", ValueAvroSchema: benchAvroSchema,
			})
		})
		if err != nil {
			return fmt.Errorf("%s sluice AVRO: %w", t.name, err)
		}
		emit(line(map[string]any{"client": "sluice", "serializer": "AVRO", "registry": "in-process", "seconds": av.secs, "cpu_seconds": av.cpu, "msgs_per_s": av.rate, "peak_rss_mb": av.rss, "avro_vs_string": round(str.rate/av.rate, 2), "avro_vs_string_cpu": round(av.cpu/str.cpu, 2)}))

		// JSON (no registry, no validation) separates the cost of JSON text
		// from the cost of the schema check.
		for _, s := range []struct{ ser, topic string }{{"JSON", "json"}, {"JSON_SCHEMA", "jsonschema"}, {"PROTOBUF", "protobuf"}} {
			m, err := measure(func() (int64, error) {
				return produceTask(ctx, store, &kafka.Produce{
					Properties: props, Topic: topic(s.topic), From: avroURI,
					SerdeProperties: map[string]any{"schema.registry.url": reg.URL},
					ValueSerializer: s.ser, ValueJSONSchema: benchJSONSchema, ValueProtobufSchema: benchProto,
				})
			})
			if err != nil {
				return fmt.Errorf("%s sluice %s: %w", t.name, s.ser, err)
			}
			emit(line(map[string]any{"client": "sluice", "serializer": s.ser, "registry": "in-process", "seconds": m.secs, "cpu_seconds": m.cpu, "msgs_per_s": m.rate, "peak_rss_mb": m.rss, "vs_string": round(str.rate/m.rate, 2), "vs_string_cpu": round(m.cpu/str.cpu, 2)}))
		}
	}
	return nil
}

const benchAvroSchema = `{"type":"record","name":"BenchOrder","namespace":"sluice.bench","fields":[
 {"name":"id","type":"long"},
 {"name":"customer","type":"string"},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":18,"scale":2}},
 {"name":"created","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"payload","type":"string"}]}`

const benchJSONSchema = `{"title":"BenchOrder","type":"object","additionalProperties":false,
 "required":["id","customer","amount","created","payload"],
 "properties":{"id":{"type":"integer"},"customer":{"type":"string","minLength":1},"amount":{"type":"number","minimum":0},
  "created":{"type":"string"},"payload":{"type":"string"}}}`

const benchProto = `syntax = "proto3";
package sluice.bench;
import "google/protobuf/timestamp.proto";
message BenchOrder { int64 id = 1; string customer = 2; string amount = 3; google.protobuf.Timestamp created = 4; string payload = 5; }
`

type measured struct {
	secs, cpu, rate, rss float64
}

func measure(fn func() (int64, error)) (measured, error) {
	resetPeakRSS()
	cpu0 := cpuTime()
	t0 := time.Now()
	n, err := fn()
	el := time.Since(t0).Seconds()
	if err != nil {
		return measured{}, err
	}
	return measured{secs: round(el, 3), cpu: round((cpuTime() - cpu0).Seconds(), 2), rate: round(float64(n)/el, 0), rss: peakRSSMB()}, nil
}

var pattern = func() []byte {
	b := make([]byte, 26*64)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

// payload fills buf with size printable bytes that differ per record (a
// copy, so that generating records costs the baseline and sluice little).
func payload(buf []byte, i, size int) []byte {
	buf = buf[:0]
	for len(buf) < size {
		off := (i + len(buf)) % 26
		buf = append(buf, pattern[off:off+min(size-len(buf), len(pattern)-26)]...)
	}
	return buf
}

func key(buf []byte, i int) []byte {
	buf = append(buf[:0], 'k')
	return strconv.AppendInt(buf, int64(i), 10)
}

// createTopics makes sure the topics exist before any client is timed.
func createTopics(ctx context.Context, addr string, topics ...string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, t := range topics {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: t, Value: []byte("warm-up")}).FirstErr(); err != nil {
			return fmt.Errorf("creating topic %s: %w", t, err)
		}
	}
	return nil
}

func writeRows(ctx context.Context, store storage.Store, name string, n int, fill func(int, *rows.Row, []byte), cols []string) (string, error) {
	rc := benchRC(store, "gen-"+name)
	schema := &rows.Schema{}
	for _, c := range cols {
		schema.Fields = append(schema.Fields, rows.Field{Name: c, Kind: rows.KindAny})
	}
	w, err := rc.CreateRows(ctx, name, schema)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	row := rows.Row{Values: make([]rows.Value, len(cols))}
	buf := make([]byte, 0, 64<<10)
	for i := 0; i < n; i++ {
		fill(i, &row, buf)
		if err := w.Write(&row); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return w.URI().String(), nil
}

func benchRC(store storage.Store, task string) *plugin.RunContext {
	return plugin.NewRunContext(plugin.RunConfig{
		Namespace: "bench", FlowID: "kafka", ExecutionID: "run", TaskID: task, TaskRunID: "1",
		Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func produceTask(ctx context.Context, store storage.Store, p *kafka.Produce) (int64, error) {
	rc := benchRC(store, "produce")
	defer rc.Cleanup()
	out, err := p.Run(ctx, rc)
	if err != nil {
		return 0, err
	}
	return out["messagesCount"].(int64), nil
}

// bareFranz is the baseline: the same records, built in memory, produced
// by a kgo client with its defaults (idempotent, acks=all) and no sluice
// code in the loop.
func bareFranz(ctx context.Context, addr, topic string, n, size, linger int) (int64, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation()}
	if linger >= 0 {
		opts = append(opts, kgo.ProducerLinger(time.Duration(linger)*time.Millisecond))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var acked, failed int64
	var mu sync.Mutex
	var first error
	done := func(_ *kgo.Record, err error) {
		mu.Lock()
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		} else {
			acked++
		}
		mu.Unlock()
	}
	buf := make([]byte, 0, 64<<10)
	kbuf := make([]byte, 0, 32)
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Key: append([]byte(nil), key(kbuf, i)...), Value: append([]byte(nil), payload(buf, i, size)...)}
		cl.Produce(ctx, r, done)
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, err
	}
	return acked, first
}

// bareSarama produces the same records with sarama's AsyncProducer,
// idempotent with acks=all like the others.
func bareSarama(addr, topic string, n, size, linger int) (int64, error) {
	cfg := sarama.NewConfig()
	if linger > 0 {
		cfg.Producer.Flush.Frequency = time.Duration(linger) * time.Millisecond
	}
	cfg.Version = sarama.V3_6_0_0
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Max = 5
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	p, err := sarama.NewAsyncProducer(strings.Split(addr, ","), cfg)
	if err != nil {
		return 0, err
	}
	var acked int64
	var first error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range p.Successes() {
			acked++
		}
	}()
	go func() {
		defer wg.Done()
		for e := range p.Errors() {
			if first == nil {
				first = e.Err
			}
		}
	}()
	buf := make([]byte, 0, 64<<10)
	kbuf := make([]byte, 0, 32)
	for i := 0; i < n; i++ {
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(append([]byte(nil), key(kbuf, i)...)), Value: sarama.ByteEncoder(append([]byte(nil), payload(buf, i, size)...))}
	}
	p.AsyncClose()
	wg.Wait()
	return acked, first
}
