package kafka

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicehq/sluice/connectors/kafka/kclient"
	"github.com/sluicehq/sluice/connectors/kafka/serde"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// Consume reads records from Kafka into a row file.
type Consume struct {
	Properties        map[string]any  `yaml:"properties" required:"true" doc:"Kafka client properties with Java names: bootstrap.servers (required), auto.offset.reset (default earliest), isolation.level, fetch.*, session.timeout.ms, partition.assignment.strategy, security.protocol, sasl.*, ssl.*. Unknown names are logged as warnings."`
	SerdeProperties   map[string]any  `yaml:"serdeProperties" doc:"Confluent deserializer settings: schema.registry.url, basic.auth.user.info, schema.registry.ssl.*."`
	Topic             any             `yaml:"topic" doc:"Topic name or list of names to read."`
	TopicPattern      string          `yaml:"topicPattern" doc:"Regular expression of the topics to read (instead of topic)."`
	Partitions        []int           `yaml:"partitions" doc:"Partitions to read when there is no groupId (default: all)."`
	GroupID           string          `yaml:"groupId" doc:"Consumer group: offsets are committed after the row file is stored, and the next run continues from them."`
	KeyDeserializer   string          `yaml:"keyDeserializer" default:"STRING" enum:"STRING,INTEGER,LONG,SHORT,FLOAT,DOUBLE,BYTE_ARRAY,BYTE_BUFFER,BYTES,UUID,VOID,JSON,AVRO,JSON_SCHEMA,PROTOBUF" doc:"Deserializer of keys."`
	ValueDeserializer string          `yaml:"valueDeserializer" default:"STRING" enum:"STRING,INTEGER,LONG,SHORT,FLOAT,DOUBLE,BYTE_ARRAY,BYTE_BUFFER,BYTES,UUID,VOID,JSON,AVRO,JSON_SCHEMA,PROTOBUF" doc:"Deserializer of values."`
	Since             string          `yaml:"since" doc:"Where to start when the group has no committed offset (or always without a group): earliest, latest, an ISO-8601 timestamp, or (without a group) an offset number."`
	MaxRecords        int             `yaml:"maxRecords" doc:"Stop after this many records (0: no limit)."`
	MaxDuration       plugin.Duration `yaml:"maxDuration" doc:"Stop after this long (0: no limit)."`
	PollDuration      plugin.Duration `yaml:"pollDuration" default:"PT2S" doc:"Stop when a poll waits this long without a record (until: POLL)."`
	Until             string          `yaml:"until" default:"POLL" enum:"POLL,END" doc:"When to stop besides maxRecords and maxDuration: POLL, after a poll of pollDuration brings nothing; END, at the end offsets the partitions had when the task started (the last stable offset with isolation.level read_committed), whatever the timing."`
}

func init() {
	plugin.Register(plugin.Info{
		ID:      "kafka.Consume",
		Aliases: []string{"io.kestra.plugin.kafka.Consume"},
		Title:   "Read records from Kafka topics into a row file.",
		Doc: `Polls one or more topics and writes each record (key, value, topic, partition, offset,
timestamp, headers) to a row file, until a poll of pollDuration brings nothing (until: POLL, the
default), maxRecords records were read, or maxDuration passed. With until: END the task reads up
to the end offsets the partitions had when it started, then stops: a batch copy of a topic that
does not depend on timing. Records of transactions are read once committed
(isolation.level read_committed is the default; aborted records are never stored).

With a groupId, offsets are committed only after the row file is stored: a run that is killed
before that stores nothing and commits nothing, so the next run reads the same records again;
no record is lost and none is stored twice by a killed run. (A run killed after the file is
stored but before the commit is the one case where the next run stores records again:
at-least-once.)`,
		New: func() any { return &Consume{} },
		Outputs: []plugin.Output{
			{Name: "uri", Doc: "Row file of the records: key, value, topic, partition, offset, timestamp, headers."},
			{Name: "messagesCount", Doc: "Records read and stored."},
		},
		Examples: []plugin.Example{{
			Title: "Read new Avro records of a topic for a consumer group",
			YAML: `id: consume
type: io.kestra.plugin.kafka.Consume
topic: orders
groupId: sluice-orders
properties:
  bootstrap.servers: localhost:9092
serdeProperties:
  schema.registry.url: http://localhost:8081
valueDeserializer: AVRO
maxRecords: 100000`,
		}},
	})
}

// Validate checks property combinations.
func (c *Consume) Validate() error {
	hasTopic := c.Topic != nil && c.Topic != ""
	if hasTopic == (c.TopicPattern != "") {
		return errors.New("set exactly one of topic and topicPattern")
	}
	if len(c.Partitions) > 0 && c.GroupID != "" {
		return errors.New("partitions are assigned by the group when groupId is set: remove partitions or groupId")
	}
	if len(c.Partitions) > 0 && c.TopicPattern != "" {
		return errors.New("partitions need topic, not topicPattern")
	}
	if c.MaxRecords < 0 {
		return errors.New("maxRecords must not be negative")
	}
	switch u := strings.ToUpper(strings.TrimSpace(c.Until)); u {
	case "", UntilPoll, UntilEnd:
	default:
		if !strings.Contains(u, "{{") {
			return fmt.Errorf("until: %q is not POLL or END", c.Until)
		}
	}
	return nil
}

func (c *Consume) topics() ([]string, error) {
	switch t := c.Topic.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{t}, nil
	case []any:
		var out []string
		for _, x := range t {
			s, ok := x.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("topic: %v is not a topic name", x)
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return t, nil
	}
	return nil, fmt.Errorf("topic: a %T is neither a name nor a list of names", c.Topic)
}

// ConsumeSchema is the schema of Consume's row file.
var ConsumeSchema = &rows.Schema{Fields: []rows.Field{
	{Name: "key", Kind: rows.KindAny, Nullable: true},
	{Name: "value", Kind: rows.KindAny, Nullable: true},
	{Name: "topic", Kind: rows.KindString},
	{Name: "partition", Kind: rows.KindInt},
	{Name: "offset", Kind: rows.KindInt},
	{Name: "timestamp", Kind: rows.KindTimestampTZ},
	{Name: "headers", Kind: rows.KindMap, Elem: rows.KindAny},
}}

// afterWrite is a test hook called after each stored record.
var afterWrite func(n int64)

// Stop conditions of until.
const (
	// UntilPoll stops when a poll of pollDuration brings nothing.
	UntilPoll = "POLL"
	// UntilEnd stops at the end offsets the partitions had when the task
	// started.
	UntilEnd = "END"
)

// Batch is what one consume stored: the row file and its record count.
type Batch struct {
	URI   string
	Count int64
}

// Run consumes and stores records, then commits the group's offsets.
func (c *Consume) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	b, err := c.ReadBatch(ctx, rc)
	if err != nil {
		return nil, rc.MaskError(err)
	}
	return plugin.Outputs{"uri": b.URI, "messagesCount": b.Count}, nil
}

// ReadBatch is Consume's core, shared with the Kafka trigger: it reads
// records until the stop condition (until, maxRecords, maxDuration), stores
// them as one row file, and only then commits the group's offsets.
func (c *Consume) ReadBatch(ctx context.Context, rc *plugin.RunContext) (Batch, error) {
	return c.readBatch(ctx, rc, nil)
}

// readBatch is ReadBatch; stored, when set, is called with the stored
// batch before the offsets are committed, and an error from it leaves them
// uncommitted (the Kafka trigger commits only once its execution is
// stored).
func (c *Consume) readBatch(ctx context.Context, rc *plugin.RunContext, stored func(Batch) error) (Batch, error) {
	if err := c.Validate(); err != nil {
		return Batch{}, err
	}
	settings, err := clientSettings(rc, c.Properties, kclient.Consumer)
	if err != nil {
		return Batch{}, err
	}
	sp, err := serdeSettings(rc, c.SerdeProperties)
	if err != nil {
		return Batch{}, err
	}
	keyType, err := serde.ParseType(orDefault(c.KeyDeserializer, "STRING"))
	if err != nil {
		return Batch{}, fmt.Errorf("keyDeserializer: %w", err)
	}
	valType, err := serde.ParseType(orDefault(c.ValueDeserializer, "STRING"))
	if err != nil {
		return Batch{}, fmt.Errorf("valueDeserializer: %w", err)
	}
	keyDe, err := serde.NewDeserializer(keyType, sp.Client)
	if err != nil {
		return Batch{}, err
	}
	valDe, err := serde.NewDeserializer(valType, sp.Client)
	if err != nil {
		return Batch{}, err
	}
	topics, err := c.topics()
	if err != nil {
		return Batch{}, err
	}
	start, err := c.startOffset(settings.AutoOffsetReset)
	if err != nil {
		return Batch{}, err
	}
	var pattern *regexp.Regexp
	errLog := &lastErrorLogger{rc: rc}
	// Control records (transaction markers) are kept so that the offsets
	// reached, and committed, include them; they are never stored.
	opts := append([]kgo.Opt{kgo.WithLogger(errLog), kgo.KeepControlRecords()}, settings.Opts...)
	opts = append(opts, kgo.ConsumeResetOffset(start.offset))
	switch {
	case c.TopicPattern != "":
		if pattern, err = regexp.Compile(c.TopicPattern); err != nil {
			return Batch{}, fmt.Errorf("topicPattern: %w", err)
		}
		opts = append(opts, kgo.ConsumeTopics(c.TopicPattern), kgo.ConsumeRegex())
	case len(c.Partitions) > 0:
		m := map[string]map[int32]kgo.Offset{}
		for _, t := range topics {
			m[t] = map[int32]kgo.Offset{}
			for _, p := range c.Partitions {
				m[t][int32(p)] = start.offset
			}
		}
		opts = append(opts, kgo.ConsumePartitions(m))
	default:
		if start.at >= 0 && c.GroupID == "" {
			return Batch{}, errors.New("since: an offset number needs explicit partitions")
		}
		opts = append(opts, kgo.ConsumeTopics(topics...))
	}
	if c.GroupID != "" {
		opts = append(opts, kgo.ConsumerGroup(c.GroupID), kgo.DisableAutoCommit())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return Batch{}, fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	if err := ping(ctx, cl, max(c.PollDuration.D(), 10*time.Second), errLog); err != nil {
		return Batch{}, err
	}
	untilEnd := strings.EqualFold(strings.TrimSpace(c.Until), UntilEnd)
	var ends *endOffsets
	if untilEnd {
		// Taken before the first poll: records produced after this moment
		// are left for the next run.
		if ends, err = c.endOffsets(ctx, cl, settings.ReadCommitted, topics, pattern, start); err != nil {
			return Batch{}, err
		}
		rc.Logger().Debug("consuming up to the end offsets taken at the start", "partitions", ends.String())
	}

	w, err := rc.CreateRows(ctx, "messages", ConsumeSchema)
	if err != nil {
		return Batch{}, err
	}
	defer w.Abort()
	counter := rc.Progress("records")
	defer counter.Done()

	poll := c.PollDuration.D()
	if poll <= 0 {
		poll = 2 * time.Second
	}
	var deadline time.Time
	if c.MaxDuration > 0 {
		deadline = time.Now().Add(c.MaxDuration.D())
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	var n int64
	row := rows.Row{Values: make([]rows.Value, len(ConsumeSchema.Fields))}
	killed := func(err error) error {
		return fmt.Errorf("stopped after %d records (nothing stored, no offset committed): %w", n, err)
	}
	for !(untilEnd && ends.reached()) {
		limit := -1
		if c.MaxRecords > 0 {
			limit = c.MaxRecords - int(n)
		}
		var pctx context.Context
		var cancel context.CancelFunc
		switch {
		case untilEnd && deadline.IsZero():
			// No quiet period: the end offsets say when to stop.
			pctx, cancel = context.WithCancel(ctx)
		case untilEnd:
			pctx, cancel = context.WithDeadline(ctx, deadline)
		default:
			wait := poll
			if !deadline.IsZero() {
				wait = min(wait, time.Until(deadline))
			}
			pctx, cancel = context.WithTimeout(ctx, wait)
		}
		if pctx.Err() != nil {
			cancel()
			break
		}
		fs := cl.PollRecords(pctx, limit)
		cancel()
		if err := ctx.Err(); err != nil {
			return Batch{}, killed(err)
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				continue
			}
			return Batch{}, fmt.Errorf("fetching %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
		}
		if fs.NumRecords() == 0 && !untilEnd {
			break
		}
		var werr error
		fs.EachRecord(func(r *kgo.Record) {
			if werr != nil {
				return
			}
			if offsets[r.Topic] == nil {
				offsets[r.Topic] = map[int32]kgo.EpochOffset{}
			}
			offsets[r.Topic][r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
			if ends != nil {
				ends.advance(r.Topic, r.Partition, r.Offset+1)
			}
			if r.Attrs.IsControl() {
				return
			}
			if werr = c.fill(ctx, &row, r, keyDe, valDe); werr != nil {
				return
			}
			if werr = w.Write(&row); werr != nil {
				return
			}
			n++
			counter.Add(1, int64(len(r.Value)))
			if afterWrite != nil {
				afterWrite(n)
			}
		})
		if werr != nil {
			return Batch{}, werr
		}
		if err := ctx.Err(); err != nil {
			return Batch{}, killed(err)
		}
		if c.MaxRecords > 0 && n >= int64(c.MaxRecords) {
			break
		}
	}
	// Store first, then commit: a crash in between re-reads records, it
	// never loses them.
	if err := w.Close(); err != nil {
		return Batch{}, fmt.Errorf("storing the records: %w", err)
	}
	uri := w.URI().String()
	if stored != nil {
		if err := stored(Batch{URI: uri, Count: n}); err != nil {
			return Batch{}, fmt.Errorf("%d records stored at %s, offsets not committed: %w", n, uri, err)
		}
	}
	if c.GroupID != "" && len(offsets) > 0 {
		if err := commit(ctx, cl, offsets); err != nil {
			return Batch{}, fmt.Errorf("%d records were stored at %s but the group's offsets were not committed (the next run will read them again): %w", n, uri, err)
		}
	}
	rc.Logger().Info("records consumed", "messagesCount", n)
	return Batch{URI: uri, Count: n}, nil
}

// startPos is where a partition without a committed offset starts.
type startPos struct {
	offset kgo.Offset
	// latest, or at >= 0 (an offset number), or afterMilli >= 0 (a
	// timestamp); otherwise the earliest offset.
	latest     bool
	at         int64
	afterMilli int64
}

func (c *Consume) startOffset(reset string) (startPos, error) {
	s := strings.TrimSpace(c.Since)
	if s == "" {
		s = reset
	}
	pos := startPos{offset: kgo.NewOffset().AtStart(), at: -1, afterMilli: -1}
	switch strings.ToLower(s) {
	case "", "earliest":
		return pos, nil
	case "latest":
		pos.offset, pos.latest = kgo.NewOffset().AtEnd(), true
		return pos, nil
	case "none":
		return pos, errors.New("auto.offset.reset=none is not supported: use since")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return pos, fmt.Errorf("since: offset %d is negative", n)
		}
		pos.offset, pos.at = kgo.NewOffset().At(n), n
		return pos, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			pos.offset, pos.afterMilli = kgo.NewOffset().AfterMilli(t.UnixMilli()), t.UnixMilli()
			return pos, nil
		}
	}
	return pos, fmt.Errorf("since: %q is not earliest, latest, an ISO-8601 timestamp or an offset", c.Since)
}

func (c *Consume) fill(ctx context.Context, row *rows.Row, r *kgo.Record, keyDe, valDe serde.Deserializer) error {
	key, err := keyDe.Value(ctx, r.Topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s[%d] offset %d: key: %w", r.Topic, r.Partition, r.Offset, err)
	}
	val, err := valDe.Value(ctx, r.Topic, r.Value)
	if err != nil {
		return fmt.Errorf("%s[%d] offset %d: value: %w", r.Topic, r.Partition, r.Offset, err)
	}
	hs := make([]rows.Value, 0, 2*len(r.Headers))
	for _, h := range r.Headers {
		var v rows.Value
		switch {
		case h.Value == nil:
		case utf8.Valid(h.Value):
			v = rows.StringBytes(h.Value)
		default:
			v = rows.Bytes(h.Value)
		}
		hs = append(hs, rows.String(h.Key), v)
	}
	row.Values[0] = key
	row.Values[1] = val
	row.Values[2] = rows.String(r.Topic)
	row.Values[3] = rows.Int(int64(r.Partition))
	row.Values[4] = rows.Int(r.Offset)
	row.Values[5] = rows.TimestampTZ(r.Timestamp.UnixMicro(), 0)
	row.Values[6] = rows.MapOf(hs)
	return nil
}

// commit commits offsets synchronously and reports any partition's error.
func commit(ctx context.Context, cl *kgo.Client, offsets map[string]map[int32]kgo.EpochOffset) error {
	var cerr error
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if e := kerr.ErrorForCode(p.ErrorCode); e != nil && cerr == nil {
					cerr = fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, e)
				}
			}
		}
	})
	return cerr
}
