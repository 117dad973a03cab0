// Package kafka holds sluice's Kafka tasks: Produce (Kestra's
// io.kestra.plugin.kafka.Produce) and Consume. Serializers live in
// kafka/serde, the Avro codec in internal/avro, the schema-registry client in
// kafka/registry, the mapping of Java client properties in kafka/kclient.
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicehq/sluice/connectors/kafka/kclient"
	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/connectors/kafka/serde"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/progress"
)

// Produce sends records to Kafka.
type Produce struct {
	Properties            map[string]any    `yaml:"properties" required:"true" doc:"Kafka client properties with Java names: bootstrap.servers (required), acks, compression.type, linger.ms, batch.size, enable.idempotence (default true), delivery.timeout.ms (default 120000), security.protocol, sasl.mechanism, sasl.jaas.config, ssl.* (PEM or PKCS#12). Unknown names are logged as warnings."`
	SerdeProperties       map[string]any    `yaml:"serdeProperties" doc:"Confluent serializer settings: schema.registry.url, basic.auth.user.info, auto.register.schemas (default true), use.latest.version, key.subject.name.strategy / value.subject.name.strategy (TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy), schema.registry.ssl.*."`
	Topic                 string            `yaml:"topic" doc:"Topic to send to; a record's own topic field overrides it."`
	From                  any               `yaml:"from" required:"true" doc:"The records: a storage URI of a row file, a list of records, or one record. A record has key, value, topic, partition, timestamp (epoch ms or ISO-8601) and headers. Rows without a value column are sent whole as the value, without a key."`
	KeySerializer         string            `yaml:"keySerializer" default:"STRING" enum:"STRING,INTEGER,LONG,SHORT,FLOAT,DOUBLE,BYTE_ARRAY,BYTE_BUFFER,BYTES,UUID,VOID,JSON,AVRO,JSON_SCHEMA,PROTOBUF" doc:"Serializer of keys."`
	ValueSerializer       string            `yaml:"valueSerializer" default:"STRING" enum:"STRING,INTEGER,LONG,SHORT,FLOAT,DOUBLE,BYTE_ARRAY,BYTE_BUFFER,BYTES,UUID,VOID,JSON,AVRO,JSON_SCHEMA,PROTOBUF" doc:"Serializer of values."`
	KeyAvroSchema         string            `yaml:"keyAvroSchema" doc:"Avro schema (JSON) of keys when keySerializer is AVRO."`
	ValueAvroSchema       string            `yaml:"valueAvroSchema" doc:"Avro schema (JSON) of values when valueSerializer is AVRO."`
	KeyJSONSchema         string            `yaml:"keyJsonSchema" doc:"JSON Schema of keys when keySerializer is JSON_SCHEMA; every key is validated against it."`
	ValueJSONSchema       string            `yaml:"valueJsonSchema" doc:"JSON Schema of values when valueSerializer is JSON_SCHEMA; every value is validated against it (a failure names the record and the JSON pointer)."`
	KeyProtobufSchema     string            `yaml:"keyProtobufSchema" doc:"Protobuf schema of keys when keySerializer is PROTOBUF: .proto text, or a base64-encoded FileDescriptorProto."`
	ValueProtobufSchema   string            `yaml:"valueProtobufSchema" doc:"Protobuf schema of values when valueSerializer is PROTOBUF: .proto text, or a base64-encoded FileDescriptorProto."`
	KeyProtobufMessage    string            `yaml:"keyProtobufMessage" doc:"Message of keyProtobufSchema that keys are (full or simple name; default the file's first message, as Confluent's)."`
	ValueProtobufMessage  string            `yaml:"valueProtobufMessage" doc:"Message of valueProtobufSchema that values are (full or simple name; default the file's first message, as Confluent's)."`
	KeySchemaReferences   []SchemaReference `yaml:"keySchemaReferences" doc:"Registered schemas the key schema refers to (JSON Schema $ref, Protobuf import), as Confluent's references."`
	ValueSchemaReferences []SchemaReference `yaml:"valueSchemaReferences" doc:"Registered schemas the value schema refers to (JSON Schema $ref, Protobuf import), as Confluent's references."`
	Transaction           bool              `yaml:"transaction" doc:"Produce all records in one Kafka transaction, committed at the end and aborted on any failure: a consumer with isolation.level read_committed sees all of them or none. Implied by properties transactional.id; without it the transactional id is sluice-<namespace>.<flow>.<task>-<task run id>."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:      "kafka.Produce",
		Aliases: []string{"io.kestra.plugin.kafka.Produce"},
		Title:   "Send records to a Kafka topic.",
		Doc: `Sends the records of a row file (or a list or map written in the flow) to Kafka with an
idempotent producer, serializing keys and values with Kafka's Java byte layouts or Confluent's
wire formats (AVRO, JSON_SCHEMA, PROTOBUF) and schema registry.

messagesCount counts records the brokers acknowledged, nothing else. If a record cannot be
serialized or a broker refuses it, the task fails with the record's number and the error, after
waiting for the records already sent; the log says how many were acknowledged. A stopped broker
fails the task after delivery.timeout.ms (default 2 minutes, as in Java).`,
		New:     func() any { return &Produce{} },
		Outputs: []plugin.Output{{Name: "messagesCount", Doc: "Records acknowledged by the brokers."}},
		Examples: []plugin.Example{{
			Title: "Send the rows of a query as Avro, registering the schema",
			YAML: `id: to_kafka
type: io.kestra.plugin.kafka.Produce
from: "{{ outputs.query.uri }}"
topic: orders
properties:
  bootstrap.servers: localhost:9092
serdeProperties:
  schema.registry.url: http://localhost:8081
valueSerializer: AVRO
valueAvroSchema: |
  {"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}`,
		}},
	})
}

// Validate checks property combinations before the flow runs.
func (p *Produce) Validate() error {
	for _, s := range []struct{ name, typ, schema string }{{"key", p.KeySerializer, p.KeyAvroSchema}, {"value", p.ValueSerializer, p.ValueAvroSchema}} {
		if strings.Contains(s.typ, "{{") || s.typ == "" {
			continue
		}
		if _, err := serde.ParseType(s.typ); err != nil {
			return fmt.Errorf("%sSerializer: %w", s.name, err)
		}
	}
	return nil
}

// SchemaReference names a registered schema that a JSON Schema or Protobuf
// schema refers to (Confluent's schema references).
type SchemaReference struct {
	Name    string `yaml:"name" required:"true" doc:"How the schema refers to it: the $ref URL (customer.json) or the import path (customer.proto)."`
	Subject string `yaml:"subject" required:"true" doc:"Subject it is registered under."`
	Version int    `yaml:"version" doc:"Version of the subject (0 or -1: the latest)."`
}

func references(refs []SchemaReference) []registry.Reference {
	var out []registry.Reference
	for _, r := range refs {
		v := r.Version
		if v == 0 {
			v = -1
		}
		out = append(out, registry.Reference{Name: r.Name, Subject: r.Subject, Version: v})
	}
	return out
}

func schemaFor(t serde.Type, jsonSchema, protobufSchema string) string {
	switch t {
	case serde.JSONSchema:
		return jsonSchema
	case serde.Protobuf:
		return protobufSchema
	}
	return ""
}

// Stringify turns YAML property values (numbers, booleans) into the strings
// Java properties hold.
func Stringify(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = x
		case int64:
			out[k] = strconv.FormatInt(x, 10)
		case int:
			out[k] = strconv.Itoa(x)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// clientSettings parses properties, registers secrets and logs what is
// ignored or unknown.
func clientSettings(rc *plugin.RunContext, props map[string]any, role kclient.Role) (*kclient.Settings, error) {
	sp := Stringify(props)
	if j := sp["sasl.jaas.config"]; j != "" {
		if _, o, err := kclient.ParseJAAS(j); err == nil && o["password"] != "" {
			rc.Secret(o["password"])
		}
	}
	s, err := kclient.Parse(sp, role)
	if err != nil {
		return nil, err
	}
	for _, sec := range s.Secrets {
		rc.Secret(sec)
	}
	keys := make([]string, 0, len(s.Ignored))
	for k := range s.Ignored {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rc.Logger().Warn("Kafka property has no effect in sluice", "property", k, "why", s.Ignored[k])
	}
	for _, k := range s.Unknown {
		rc.Logger().Warn("unknown Kafka property ignored", "property", k)
	}
	return s, nil
}

func serdeSettings(rc *plugin.RunContext, props map[string]any) (*serde.SerdeProperties, error) {
	sp := Stringify(props)
	for _, k := range []string{"basic.auth.user.info", "schema.registry.basic.auth.user.info", "bearer.auth.token"} {
		if v := sp[k]; v != "" {
			rc.Secret(v)
			if _, pw, ok := strings.Cut(v, ":"); ok {
				rc.Secret(pw)
			}
		}
	}
	s, err := serde.ParseSerdeProperties(sp)
	if err != nil {
		return nil, err
	}
	for _, sec := range s.Secrets {
		rc.Secret(sec)
	}
	for _, k := range s.Unknown {
		rc.Logger().Warn("unknown serdeProperties key ignored", "property", k)
	}
	return s, nil
}

// item is a record with its position in `from`; the promise finds the
// position from the record pointer (rec is the first field).
type item struct {
	rec kgo.Record
	idx int64
}

const slab = 4096

// Run produces every record.
func (p *Produce) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	n, err := p.run(ctx, rc)
	if err != nil {
		return nil, rc.MaskError(err)
	}
	return plugin.Outputs{"messagesCount": n}, nil
}

func (p *Produce) run(ctx context.Context, rc *plugin.RunContext) (int64, error) {
	settings, err := clientSettings(rc, p.Properties, kclient.Producer)
	if err != nil {
		return 0, err
	}
	sp, err := serdeSettings(rc, p.SerdeProperties)
	if err != nil {
		return 0, err
	}
	keyType, err := serde.ParseType(orDefault(p.KeySerializer, "STRING"))
	if err != nil {
		return 0, fmt.Errorf("keySerializer: %w", err)
	}
	valType, err := serde.ParseType(orDefault(p.ValueSerializer, "STRING"))
	if err != nil {
		return 0, fmt.Errorf("valueSerializer: %w", err)
	}
	keySer, err := serde.New(serde.Config{Type: keyType, IsKey: true, AvroSchema: p.KeyAvroSchema, Registry: sp.For(true),
		Schema: schemaFor(keyType, p.KeyJSONSchema, p.KeyProtobufSchema), Message: p.KeyProtobufMessage, References: references(p.KeySchemaReferences)})
	if err != nil {
		return 0, err
	}
	valSer, err := serde.New(serde.Config{Type: valType, AvroSchema: p.ValueAvroSchema, Registry: sp.For(false),
		Schema: schemaFor(valType, p.ValueJSONSchema, p.ValueProtobufSchema), Message: p.ValueProtobufMessage, References: references(p.ValueSchemaReferences)})
	if err != nil {
		return 0, err
	}
	src, err := openSource(ctx, rc, p.From)
	if err != nil {
		return 0, err
	}
	defer src.close()

	errLog := &lastErrorLogger{rc: rc}
	opts := append([]kgo.Opt{kgo.WithLogger(errLog)}, settings.Opts...)
	txnID := settings.TransactionalID
	if p.Transaction && txnID == "" {
		txnID = defaultTransactionalID(rc)
	}
	switch {
	case txnID != "":
		opts = append(opts, kgo.TransactionalID(txnID))
		if settings.TransactionTimeout > 0 {
			opts = append(opts, kgo.TransactionTimeout(settings.TransactionTimeout))
		}
	case settings.Idempotent:
		// A task must end within bounded time even when a broker dies
		// with records in flight: let the delivery timeout and
		// cancellation fail them. Failed records are never counted as
		// produced. (A transaction cannot cancel records: it is aborted.)
		opts = append(opts, kgo.AllowIdempotentProduceCancellation())
	}
	if src.explicitPartitions() {
		opts = append(opts, kgo.RecordPartitioner(explicitPartitioner{kgo.StickyKeyPartitioner(nil)}))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, fmt.Errorf("kafka client: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			cl.Close()
		}
	}()

	// Like Kestra's connection check: a broker that is down or refuses the
	// credentials is reported as such, before any record is read.
	if err := ping(ctx, cl, settings.DeliveryTimeout, errLog); err != nil {
		return 0, err
	}

	if txnID != "" {
		if err := cl.BeginTransaction(); err != nil {
			return 0, fmt.Errorf("beginning transaction %s: %w", txnID, err)
		}
	}
	pr := &producer{cl: cl, progress: rc.Progress("records"), maxRecord: settings.MaxRequestSize}
	defer pr.progress.Done()
	// Records fail when the brokers acknowledge nothing for
	// delivery.timeout.ms while some are waiting: the watchdog cancels the
	// context records are produced with.
	pctx, cancelProduce := context.WithCancelCause(ctx)
	defer cancelProduce(nil)
	stopWatch := pr.watch(settings.DeliveryTimeout, cancelProduce)
	sendErr := pr.send(pctx, src, p.Topic, keySer, valSer)

	// Wait for what was sent, within the delivery timeout: records that
	// are not acknowledged by then fail and are not counted.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settings.DeliveryTimeout+5*time.Second)
	defer cancel()
	if ctx.Err() != nil {
		fctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
	}
	flushErr := cl.Flush(fctx)
	stopWatch()
	if txnID != "" {
		failure := pr.firstError()
		if failure == nil {
			failure = sendErr
		}
		if failure == nil && flushErr != nil {
			failure = fmt.Errorf("waiting for acknowledgements: %w (%d of %d records written)", flushErr, pr.acked.Load(), pr.sent)
		}
		return p.endTransaction(ctx, rc, cl, pr, txnID, failure)
	}
	if flushErr != nil {
		// Closing fails whatever is still buffered, so the count below
		// is final.
		cl.Close()
		closed = true
	}
	acked := pr.acked.Load()
	if ferr := pr.firstError(); ferr != nil {
		rc.Logger().Error("produce failed", "acknowledged", acked)
		return acked, fmt.Errorf("%w (%d records acknowledged before the failure)", ferr, acked)
	}
	if sendErr != nil {
		rc.Logger().Error("produce failed", "acknowledged", acked)
		return acked, fmt.Errorf("%w (%d records acknowledged before the failure)", sendErr, acked)
	}
	if flushErr != nil {
		return acked, fmt.Errorf("waiting for acknowledgements: %w (%d of %d records acknowledged)", flushErr, acked, pr.sent)
	}
	rc.Logger().Info("records produced", "messagesCount", acked)
	return acked, nil
}

// endTransaction commits the transaction when nothing failed and aborts it
// otherwise; messagesCount is then 0, since a read_committed consumer sees
// none of the records.
func (p *Produce) endTransaction(ctx context.Context, rc *plugin.RunContext, cl *kgo.Client, pr *producer, txnID string, failure error) (int64, error) {
	abort := func(cause error) (int64, error) {
		written := pr.acked.Load()
		// A killed task, or one whose brokers are gone, still tries to
		// abort, within a bound; the broker aborts by itself after
		// transaction.timeout.ms otherwise.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		aerr := cl.AbortBufferedRecords(actx)
		if aerr == nil {
			aerr = cl.EndTransaction(actx, kgo.TryAbort)
		}
		rc.Logger().Error("produce failed: transaction aborted", "transactionalId", txnID, "recordsWritten", written)
		if aerr != nil {
			return 0, fmt.Errorf("%w; aborting transaction %s failed too (%v): the broker aborts it after transaction.timeout.ms, and read_committed consumers never see its records", cause, txnID, aerr)
		}
		return 0, fmt.Errorf("%w; transaction %s was aborted: none of its %d written records is visible to read_committed consumers", cause, txnID, written)
	}
	if failure != nil {
		return abort(failure)
	}
	if err := ctx.Err(); err != nil {
		return abort(fmt.Errorf("stopped before the commit: %w", err))
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return abort(fmt.Errorf("committing transaction %s: %w", txnID, err))
	}
	acked := pr.acked.Load()
	rc.Logger().Info("records produced in one transaction", "messagesCount", acked, "transactionalId", txnID)
	return acked, nil
}

// defaultTransactionalID names a transaction after the task run, so that
// two executions of one flow do not fence each other.
func defaultTransactionalID(rc *plugin.RunContext) string {
	id := rc.TaskRunID()
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return fmt.Sprintf("sluice-%s.%s.%s-%s", rc.Namespace(), rc.FlowID(), rc.TaskID(), id)
}

// ping checks that a broker answers (and accepts the credentials) within
// timeout.
func ping(ctx context.Context, cl *kgo.Client, timeout time.Duration, log *lastErrorLogger) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		err := cl.Ping(pctx)
		if err == nil {
			log.connected.Store(true)
			return nil
		}
		last = err
		if pctx.Err() != nil || isAuthError(err) {
			break
		}
		select {
		case <-pctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if e := log.last(); e != nil && errors.Is(last, context.DeadlineExceeded) {
		last = e
	}
	return fmt.Errorf("no Kafka broker answered within %s (delivery.timeout.ms) at %s: %w", timeout, strings.Join(seedsOf(cl), ","), last)
}

// lastErrorLogger keeps the last error kgo logs (a refused connection, a
// failed SASL handshake) so that a timeout can say what went wrong, and
// passes kgo's warnings to the task log at debug level.
//
// Until the first successful ping it listens at debug level, where kgo
// reports why a connection failed; then at warning level only, which costs
// nothing per record.
type lastErrorLogger struct {
	rc        *plugin.RunContext
	connected atomic.Bool
	mu        sync.Mutex
	err       error
}

func (l *lastErrorLogger) Level() kgo.LogLevel {
	if l.connected.Load() {
		return kgo.LogLevelWarn
	}
	return kgo.LogLevelDebug
}

func (l *lastErrorLogger) Log(level kgo.LogLevel, msg string, kv ...any) {
	if level == kgo.LogLevelDebug && !strings.Contains(msg, "failed") {
		return
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if e, ok := kv[i+1].(error); ok {
			l.mu.Lock()
			l.err = e
			l.mu.Unlock()
		}
	}
	l.rc.Logger().Debug("kafka client: "+msg, kv...)
}

func (l *lastErrorLogger) last() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// isAuthError reports failures that retrying does not cure: refused
// credentials, and a broker certificate that is not trusted.
func isAuthError(err error) bool {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SASL") || strings.Contains(s, "authentication") || strings.Contains(s, "Authentication") ||
		strings.Contains(s, "x509: certificate")
}

func seedsOf(cl *kgo.Client) []string {
	if v, ok := cl.OptValue(kgo.SeedBrokers).([]string); ok {
		return v
	}
	return nil
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}

// producer sends records asynchronously and collects acknowledgements.
type producer struct {
	cl       *kgo.Client
	progress *progress.Counter
	// maxRecord is max.request.size: the only bound on one record.
	maxRecord int64
	sent      int64
	acked     atomic.Int64
	failed    atomic.Bool
	// done counts finished records (acknowledged or failed); queued
	// counts records handed to the client.
	done, queued atomic.Int64
	lastAck      atomic.Int64 // unix ns

	mu       sync.Mutex
	errIdx   int64
	errTopic string
	err      error
}

// watch enforces the delivery timeout; the returned func stops it.
func (pr *producer) watch(timeout time.Duration, cancel context.CancelCauseFunc) func() {
	pr.lastAck.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	var once sync.Once
	go func() {
		tick := time.NewTicker(min(timeout/10+time.Millisecond, time.Second))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				if pr.queued.Load() == pr.done.Load() {
					// Nothing is waiting: the clock restarts.
					pr.lastAck.Store(now.UnixNano())
					continue
				}
				if now.UnixNano()-pr.lastAck.Load() > int64(timeout) {
					cancel(fmt.Errorf("no acknowledgement from the brokers for %s (delivery.timeout.ms): are they up and reachable?", timeout))
					return
				}
			}
		}
	}()
	return func() { once.Do(func() { close(stop) }) }
}

func (pr *producer) promise(r *kgo.Record, err error) {
	defer pr.done.Add(1)
	if err == nil {
		pr.acked.Add(1)
		pr.lastAck.Store(time.Now().UnixNano())
		pr.progress.Add(1, int64(len(r.Value)))
		return
	}
	if errors.Is(err, context.Canceled) && r.Context != nil {
		if c := context.Cause(r.Context); c != nil {
			err = c
		}
	}
	it := (*item)(unsafe.Pointer(r))
	pr.failed.Store(true)
	pr.mu.Lock()
	if pr.err == nil || it.idx < pr.errIdx {
		pr.errIdx, pr.err, pr.errTopic = it.idx, err, r.Topic
	}
	pr.mu.Unlock()
}

func (pr *producer) firstError() error {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.err == nil {
		return nil
	}
	return &RecordError{Index: pr.errIdx, Topic: pr.errTopic, Err: pr.err}
}

// RecordError names the record a failure belongs to.
type RecordError struct {
	Index int64
	Topic string
	Part  string // "key", "value", ""
	Err   error
}

func (e *RecordError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "record %d", e.Index)
	if e.Topic != "" {
		fmt.Fprintf(&b, " (topic %s)", e.Topic)
	}
	if e.Part != "" {
		b.WriteString(" ")
		b.WriteString(e.Part)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RecordError) Unwrap() error { return e.Err }

func (pr *producer) send(ctx context.Context, src source, defTopic string, keySer, valSer serde.Serializer) error {
	var (
		in    input
		items []item
		arena []byte
	)
	for src.next(&in) {
		if pr.failed.Load() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped at record %d: %w", in.index, context.Cause(ctx))
		}
		topic := in.topic
		if topic == "" {
			topic = defTopic
		}
		if topic == "" {
			return &RecordError{Index: in.index, Err: errors.New("no topic: set the task's topic, or a topic field in the record")}
		}
		if len(items) == 0 {
			items = make([]item, slab)
		}
		it := &items[0]
		items = items[1:]
		it.idx = in.index
		r := &it.rec
		r.Topic, r.Partition, r.Timestamp, r.Headers = topic, in.partition, in.timestamp, in.headers

		if cap(arena)-len(arena) < 4096 {
			arena = make([]byte, 0, 1<<20)
		}
		start := len(arena)
		var null bool
		var err error
		if !in.whole {
			arena, null, err = keySer.Append(ctx, arena, topic, in.key)
			if err != nil {
				return &RecordError{Index: in.index, Topic: topic, Part: "key", Err: err}
			}
			if !null {
				r.Key = arena[start:len(arena):len(arena)]
			}
			start = len(arena)
			arena, null, err = valSer.Append(ctx, arena, topic, in.value)
		} else {
			arena, null, err = valSer.AppendRow(ctx, arena, topic, in.schema, in.row)
		}
		if err != nil {
			return &RecordError{Index: in.index, Topic: topic, Part: "value", Err: err}
		}
		if !null {
			r.Value = arena[start:len(arena):len(arena)]
		}
		if sz := recordSize(r); pr.maxRecord > 0 && sz > pr.maxRecord {
			return &RecordError{Index: in.index, Topic: topic, Err: fmt.Errorf("the record is %d bytes when serialized, larger than max.request.size (%d): raise max.request.size (and the topic's max.message.bytes), or make the record smaller", sz, pr.maxRecord)}
		}
		pr.sent++
		pr.queued.Add(1)
		pr.cl.Produce(ctx, r, pr.promise)
	}
	if err := src.err(); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	return nil
}

// recordSize is Java's upper bound of a record's size in a request
// (KafkaProducer.ensureValidRecordSize): a batch header, the largest record
// overhead, key, value and headers with their varint lengths.
func recordSize(r *kgo.Record) int64 {
	const batchHeader, recordOverhead, varint = 61, 21, 5
	n := int64(batchHeader + recordOverhead + len(r.Key) + len(r.Value))
	for _, h := range r.Headers {
		n += int64(2*varint + len(h.Key) + len(h.Value))
	}
	return n
}

// explicitPartitioner sends records that name a partition there and lets
// the default partitioner (murmur2 of the key, as Java's; sticky for
// records without a key) place the others.
type explicitPartitioner struct{ inner kgo.Partitioner }

func (p explicitPartitioner) ForTopic(t string) kgo.TopicPartitioner {
	return &explicitTopicPartitioner{inner: p.inner.ForTopic(t)}
}

type explicitTopicPartitioner struct{ inner kgo.TopicPartitioner }

func (t *explicitTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || t.inner.RequiresConsistency(r)
}

func (t *explicitTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		return int(r.Partition)
	}
	return t.inner.Partition(r, n)
}

func (t *explicitTopicPartitioner) OnNewBatch() {
	if nb, ok := t.inner.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}
