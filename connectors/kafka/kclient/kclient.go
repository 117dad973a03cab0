// Package kclient maps Kafka's Java-style client `properties`
// (bootstrap.servers, acks, compression.type, linger.ms, batch.size,
// enable.idempotence, security.protocol, sasl.*, ssl.*, ...) onto
// franz-go's kgo options. A property sluice does not use is reported back
// so the task can log a warning rather than ignore it silently.
package kclient

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicehq/sluice/connectors/kafka/internal/tlsconf"
)

// Role selects the properties that apply.
type Role int

const (
	Producer Role = iota
	Consumer
)

// Settings is the outcome of parsing properties.
type Settings struct {
	Opts []kgo.Opt
	// DeliveryTimeout bounds how long a produced record may wait for its
	// acknowledgement (delivery.timeout.ms, default 120 s as in Java).
	DeliveryTimeout time.Duration
	// Secrets must be masked (passwords in sasl.jaas.config, key
	// passwords).
	Secrets []string
	// Ignored are keys sluice accepts without effect, with the reason.
	Ignored map[string]string
	// Unknown are keys sluice does not know at all.
	Unknown []string
	// AutoOffsetReset is auto.offset.reset (consumers), "" when unset.
	AutoOffsetReset string
	// MaxRequestSize is max.request.size (producers): a record larger
	// than this is refused.
	MaxRequestSize int64
	// Idempotent is enable.idempotence (producers).
	Idempotent bool
	// TransactionalID is transactional.id (producers), "" without.
	TransactionalID string
	// TransactionTimeout is transaction.timeout.ms, 0 when unset.
	TransactionTimeout time.Duration
	// ReadCommitted is isolation.level=read_committed (consumers; the
	// default).
	ReadCommitted bool
}

// DefaultDeliveryTimeout is Java's delivery.timeout.ms default.
const DefaultDeliveryTimeout = 120 * time.Second

// Parse maps properties for role.
func Parse(props map[string]string, role Role) (*Settings, error) {
	s := &Settings{DeliveryTimeout: DefaultDeliveryTimeout, Ignored: map[string]string{}}
	p := parser{props: props, used: map[string]bool{}}

	servers := p.str("bootstrap.servers")
	if servers == "" {
		return nil, fmt.Errorf("properties: bootstrap.servers is required (host:port[,host:port])")
	}
	var seeds []string
	for _, h := range strings.Split(servers, ",") {
		if h = strings.TrimSpace(h); h != "" {
			seeds = append(seeds, h)
		}
	}
	s.Opts = append(s.Opts, kgo.SeedBrokers(seeds...))
	if v := p.str("client.id"); v != "" {
		s.Opts = append(s.Opts, kgo.ClientID(v))
	}
	if d, ok, err := p.ms("request.timeout.ms"); err != nil {
		return nil, err
	} else if ok {
		s.Opts = append(s.Opts, kgo.RequestTimeoutOverhead(d))
		if role == Producer {
			s.Opts = append(s.Opts, kgo.ProduceRequestTimeout(d))
		}
	}
	if d, ok, err := p.ms("metadata.max.age.ms"); err != nil {
		return nil, err
	} else if ok {
		s.Opts = append(s.Opts, kgo.MetadataMaxAge(d))
	}
	if d, ok, err := p.ms("connections.max.idle.ms"); err != nil {
		return nil, err
	} else if ok {
		s.Opts = append(s.Opts, kgo.ConnIdleTimeout(d))
	}
	if d, ok, err := p.ms("socket.connection.setup.timeout.ms"); err != nil {
		return nil, err
	} else if ok {
		s.Opts = append(s.Opts, kgo.DialTimeout(d))
	}
	// Java clients ask the broker to create missing topics (the broker's
	// auto.create.topics.enable decides).
	if auto, ok, err := p.bool("allow.auto.create.topics"); err != nil {
		return nil, err
	} else if !ok || auto {
		s.Opts = append(s.Opts, kgo.AllowAutoTopicCreation())
	}
	if err := security(&p, s); err != nil {
		return nil, err
	}
	var err error
	if role == Producer {
		err = producer(&p, s)
	} else {
		err = consumer(&p, s)
	}
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"key.serializer", "value.serializer", "key.deserializer", "value.deserializer"} {
		if _, ok := props[k]; ok {
			p.used[k] = true
			s.Ignored[k] = "use the task's keySerializer/valueSerializer (keyDeserializer/valueDeserializer) properties"
		}
	}
	for k := range props {
		if !p.used[k] {
			s.Unknown = append(s.Unknown, k)
		}
	}
	sort.Strings(s.Unknown)
	return s, nil
}

type parser struct {
	props map[string]string
	used  map[string]bool
}

func (p *parser) str(k string) string {
	v, ok := p.props[k]
	if ok {
		p.used[k] = true
	}
	return strings.TrimSpace(v)
}

func (p *parser) int(k string) (int64, bool, error) {
	v := p.str(k)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("properties %s: %q is not an integer", k, v)
	}
	return n, true, nil
}

func (p *parser) ms(k string) (time.Duration, bool, error) {
	n, ok, err := p.int(k)
	if err != nil || !ok {
		return 0, ok, err
	}
	if n < 0 {
		return 0, false, fmt.Errorf("properties %s: %d is negative", k, n)
	}
	return time.Duration(n) * time.Millisecond, true, nil
}

func (p *parser) bool(k string) (bool, bool, error) {
	v := p.str(k)
	if v == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, false, fmt.Errorf("properties %s: %q is not true or false", k, v)
	}
	return b, true, nil
}

func producer(p *parser, s *Settings) error {
	acks := strings.ToLower(p.str("acks"))
	idem, idemSet, err := p.bool("enable.idempotence")
	if err != nil {
		return err
	}
	if !idemSet {
		idem = true
	}
	switch acks {
	case "", "all", "-1":
		s.Opts = append(s.Opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1", "0":
		if idem && idemSet {
			return fmt.Errorf("properties: enable.idempotence=true needs acks=all (got acks=%s)", acks)
		}
		// Java turns idempotence off by itself when acks is not all.
		idem = false
		if acks == "1" {
			s.Opts = append(s.Opts, kgo.RequiredAcks(kgo.LeaderAck()))
		} else {
			s.Opts = append(s.Opts, kgo.RequiredAcks(kgo.NoAck()))
		}
	default:
		return fmt.Errorf("properties acks: %q is not all, -1, 1 or 0", acks)
	}
	s.Idempotent = idem
	if !idem {
		s.Opts = append(s.Opts, kgo.DisableIdempotentWrite())
	}
	switch c := strings.ToLower(p.str("compression.type")); c {
	case "", "none":
	case "gzip":
		s.Opts = append(s.Opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		s.Opts = append(s.Opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		s.Opts = append(s.Opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		s.Opts = append(s.Opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		return fmt.Errorf("properties compression.type: %q is not none, gzip, snappy, lz4 or zstd", c)
	}
	if d, ok, err := p.ms("linger.ms"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.ProducerLinger(d))
	}
	// Java fills batches up to batch.size but sends a larger record alone;
	// only max.request.size refuses a record. franz-go has one bound (a
	// record larger than a batch may be fails), so it is max.request.size
	// (Java's default 1 MiB), and batch.size only raises it: batches grow
	// by linger.ms instead.
	s.MaxRequestSize = 1 << 20
	if n, ok, err := p.int("max.request.size"); err != nil {
		return err
	} else if ok {
		s.MaxRequestSize = n
	}
	batch := s.MaxRequestSize
	if n, ok, err := p.int("batch.size"); err != nil {
		return err
	} else if ok && n > batch {
		batch = n
	}
	if batch > 1<<30 {
		return fmt.Errorf("properties batch.size/max.request.size: %d is too large", batch)
	}
	if batch > 0 {
		s.Opts = append(s.Opts, kgo.ProducerBatchMaxBytes(int32(batch)))
	}
	if n, ok, err := p.int("buffer.memory"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.MaxBufferedBytes(int(n)))
	}
	if d, ok, err := p.ms("delivery.timeout.ms"); err != nil {
		return err
	} else if ok {
		s.DeliveryTimeout = d
	}
	// Not kgo.RecordDeliveryTimeout: kgo measures it from the record's
	// timestamp, and records may carry old timestamps of their own. The
	// task enforces delivery.timeout.ms itself (see Produce).
	if n, ok, err := p.int("retries"); err != nil {
		return err
	} else if ok && n < 1<<31 {
		s.Opts = append(s.Opts, kgo.RecordRetries(int(n)))
	}
	if n, ok, err := p.int("max.in.flight.requests.per.connection"); err != nil {
		return err
	} else if ok {
		if idem && n > 5 {
			return fmt.Errorf("properties max.in.flight.requests.per.connection: at most 5 with enable.idempotence")
		}
		s.Opts = append(s.Opts, kgo.MaxProduceRequestsInflightPerBroker(int(n)))
	}
	if v := p.str("transactional.id"); v != "" {
		if !idem {
			return fmt.Errorf("properties transactional.id needs enable.idempotence=true and acks=all")
		}
		s.TransactionalID = v
	}
	if d, ok, err := p.ms("transaction.timeout.ms"); err != nil {
		return err
	} else if ok {
		s.TransactionTimeout = d
	}
	if _, ok := p.props["partitioner.class"]; ok {
		p.used["partitioner.class"] = true
		s.Ignored["partitioner.class"] = "records are partitioned by key hash (murmur2, as Java's default) or by their partition field"
	}
	return nil
}

func consumer(p *parser, s *Settings) error {
	if n, ok, err := p.int("fetch.max.bytes"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.FetchMaxBytes(int32(n)))
	}
	if n, ok, err := p.int("max.partition.fetch.bytes"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.FetchMaxPartitionBytes(int32(n)))
	}
	if n, ok, err := p.int("fetch.min.bytes"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.FetchMinBytes(int32(n)))
	}
	if d, ok, err := p.ms("fetch.max.wait.ms"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.FetchMaxWait(d))
	}
	// Unlike Java (read_uncommitted), sluice reads committed records by
	// default: a row file must not hold records of a transaction that is
	// later aborted.
	switch v := strings.ToLower(p.str("isolation.level")); v {
	case "read_uncommitted":
	case "", "read_committed":
		s.ReadCommitted = true
		s.Opts = append(s.Opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		return fmt.Errorf("properties isolation.level: %q is not read_committed or read_uncommitted", v)
	}
	switch v := strings.ToLower(p.str("auto.offset.reset")); v {
	case "", "earliest", "latest", "none":
		s.AutoOffsetReset = v
	default:
		return fmt.Errorf("properties auto.offset.reset: %q is not earliest, latest or none", v)
	}
	if d, ok, err := p.ms("session.timeout.ms"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.SessionTimeout(d))
	}
	if d, ok, err := p.ms("heartbeat.interval.ms"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.HeartbeatInterval(d))
	}
	if d, ok, err := p.ms("max.poll.interval.ms"); err != nil {
		return err
	} else if ok {
		s.Opts = append(s.Opts, kgo.RebalanceTimeout(d))
	}
	if v := p.str("partition.assignment.strategy"); v != "" {
		var bs []kgo.GroupBalancer
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
			switch strings.ToLower(name) {
			case "rangeassignor", "range":
				bs = append(bs, kgo.RangeBalancer())
			case "roundrobinassignor", "roundrobin":
				bs = append(bs, kgo.RoundRobinBalancer())
			case "stickyassignor", "sticky":
				bs = append(bs, kgo.StickyBalancer())
			case "cooperativestickyassignor", "cooperative-sticky":
				bs = append(bs, kgo.CooperativeStickyBalancer())
			default:
				return fmt.Errorf("properties partition.assignment.strategy: unknown assignor %q", name)
			}
		}
		s.Opts = append(s.Opts, kgo.Balancers(bs...))
	}
	for k, why := range map[string]string{
		"enable.auto.commit":      "sluice commits offsets itself, after the row file is stored",
		"auto.commit.interval.ms": "sluice commits offsets itself, after the row file is stored",
		"max.poll.records":        "use the task's maxRecords",
		"group.id":                "use the task's groupId",
	} {
		if _, ok := p.props[k]; ok {
			p.used[k] = true
			s.Ignored[k] = why
		}
	}
	return nil
}

var jaasPair = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))`)

// ParseJAAS reads the options of a sasl.jaas.config line:
// `org.apache.kafka.common.security.plain.PlainLoginModule required
// username="alice" password="secret";`.
func ParseJAAS(s string) (module string, opts map[string]string, err error) {
	s = strings.TrimSpace(s)
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return "", nil, fmt.Errorf("sasl.jaas.config: want `LoginModule required key=\"value\" ...;`")
	}
	module = fields[0]
	opts = map[string]string{}
	rest := strings.TrimSpace(strings.TrimPrefix(s, module))
	for _, flag := range []string{"required", "requisite", "sufficient", "optional"} {
		if strings.HasPrefix(rest, flag) {
			rest = rest[len(flag):]
			break
		}
	}
	for _, m := range jaasPair.FindAllStringSubmatch(rest, -1) {
		v := m[3]
		if m[2] != "" || m[3] == "" {
			v = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2])
		}
		opts[m[1]] = v
	}
	return module, opts, nil
}

func security(p *parser, s *Settings) error {
	proto := strings.ToUpper(p.str("security.protocol"))
	if proto == "" {
		proto = "PLAINTEXT"
	}
	useTLS := proto == "SSL" || proto == "SASL_SSL"
	useSASL := proto == "SASL_PLAINTEXT" || proto == "SASL_SSL"
	if !useTLS && !useSASL && proto != "PLAINTEXT" {
		return fmt.Errorf("properties security.protocol: %q is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", proto)
	}
	for _, k := range tlsconf.Keys {
		if _, ok := p.props[k]; ok {
			p.used[k] = true
		}
	}
	for _, k := range []string{"ssl.truststore.password", "ssl.keystore.password", "ssl.key.password", "ssl.keystore.key"} {
		if v := p.props[k]; v != "" {
			s.Secrets = append(s.Secrets, v)
		}
	}
	if useTLS {
		cfg, err := tlsconf.Build(p.props, "")
		if err != nil {
			return fmt.Errorf("properties: %w", err)
		}
		s.Opts = append(s.Opts, kgo.DialTLSConfig(cfg))
	} else if tlsconf.Uses(p.props, "") {
		s.Ignored["ssl.*"] = "security.protocol is " + proto + ": set SSL or SASL_SSL to use TLS"
	}
	mech := strings.ToUpper(p.str("sasl.mechanism"))
	jaas := p.str("sasl.jaas.config")
	if !useSASL {
		if mech != "" || jaas != "" {
			s.Ignored["sasl.*"] = "security.protocol is " + proto + ": set SASL_PLAINTEXT or SASL_SSL to authenticate"
		}
		return nil
	}
	if mech == "" {
		mech = "GSSAPI" // Java's default
	}
	if jaas == "" {
		return fmt.Errorf("properties: security.protocol %s needs sasl.jaas.config with username and password", proto)
	}
	_, opts, err := ParseJAAS(jaas)
	if err != nil {
		return fmt.Errorf("properties %w", err)
	}
	user, pass := opts["username"], opts["password"]
	if pass != "" {
		s.Secrets = append(s.Secrets, pass)
	}
	if user == "" || pass == "" {
		return fmt.Errorf("properties sasl.jaas.config: username and password are required for %s", mech)
	}
	var m sasl.Mechanism
	switch mech {
	case "PLAIN":
		m = plain.Auth{User: user, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	default:
		return fmt.Errorf("properties sasl.mechanism: %q is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", mech)
	}
	s.Opts = append(s.Opts, kgo.SASL(m))
	return nil
}
