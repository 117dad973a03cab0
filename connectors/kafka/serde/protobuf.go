package serde

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicehq/sluice/connectors/kafka/protobuf"
	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/internal/rows"
)

// protobufSer writes Confluent's Protobuf wire format
// (KafkaProtobufSerializer): magic byte, schema ID, the message-index
// array, the message.
type protobufSer struct {
	binder   subjectBinder
	prepared bool
	local    *protoCodec // the task's schema, nil with use.latest.version alone
	byID     map[int]*protoCodec
}

// protoCodec is a message codec with its message-index array.
type protoCodec struct {
	codec   *protobuf.Codec
	indexes []byte
}

func newProtoCodec(md protoreflect.MessageDescriptor) *protoCodec {
	return &protoCodec{codec: protobuf.NewCodec(md), indexes: protobuf.AppendIndexes(nil, protobuf.Indexes(md))}
}

func newProtobufSer(cfg Config) (*protobufSer, error) {
	s := &protobufSer{binder: subjectBinder{cfg: cfg, typ: "PROTOBUF", text: cfg.Schema}, byID: map[int]*protoCodec{}}
	part := s.binder.part()
	if cfg.Registry.Client == nil {
		return nil, fmt.Errorf("PROTOBUF %s serializer: needs a schema registry: set serdeProperties schema.registry.url", part)
	}
	if strings.TrimSpace(cfg.Schema) == "" && !cfg.Registry.UseLatest {
		return nil, fmt.Errorf("PROTOBUF %s serializer: set %sProtobufSchema, or serdeProperties use.latest.version: \"true\" to write with the schema registered under the subject", part, part)
	}
	return s, nil
}

// compileRegistered compiles a schema with the schemas its references
// name, fetched from the registry.
func compileRegistered(ctx context.Context, reg *registry.Client, sch registry.Schema) (protoreflect.FileDescriptor, error) {
	refs, err := reg.Resolve(ctx, sch.References)
	if err != nil {
		return nil, err
	}
	imports := make(map[string]string, len(refs))
	for name, r := range refs {
		imports[name] = r.Text
	}
	return protobuf.Compile(ctx, sch.Text, imports)
}

// prepare compiles the task's schema once: the record strategies need the
// message's full name before the subject is known.
func (s *protobufSer) prepare(ctx context.Context) error {
	if s.prepared {
		return nil
	}
	cfg := s.binder.cfg
	if strings.TrimSpace(cfg.Schema) != "" {
		fd, err := compileRegistered(ctx, cfg.Registry.Client, registry.Schema{Text: cfg.Schema, References: cfg.References})
		if err != nil {
			return fmt.Errorf("%sProtobufSchema: %w", s.binder.part(), err)
		}
		md, err := protobuf.Message(fd, cfg.Message)
		if err != nil {
			return fmt.Errorf("%sProtobufMessage: %w", s.binder.part(), err)
		}
		s.local = newProtoCodec(md)
		s.binder.name = string(md.FullName())
	} else if cfg.Message != "" {
		s.binder.name = strings.TrimPrefix(cfg.Message, ".")
	}
	s.prepared = true
	return nil
}

func (s *protobufSer) codecFor(ctx context.Context, topic string) (boundID, *protoCodec, error) {
	if err := s.prepare(ctx); err != nil {
		return boundID{}, nil, err
	}
	b, err := s.binder.bind(ctx, topic)
	if err != nil {
		return b, nil, err
	}
	if !s.binder.cfg.Registry.UseLatest {
		return b, s.local, nil
	}
	if c := s.byID[b.id]; c != nil {
		return b, c, nil
	}
	fd, err := compileRegistered(ctx, s.binder.cfg.Registry.Client, b.schema)
	if err != nil {
		return b, nil, fmt.Errorf("the Protobuf schema id %d: %w", b.id, err)
	}
	md, err := protobuf.Message(fd, s.binder.cfg.Message)
	if err != nil {
		return b, nil, fmt.Errorf("the Protobuf schema id %d: %w", b.id, err)
	}
	c := newProtoCodec(md)
	s.byID[b.id] = c
	return b, c, nil
}

func (s *protobufSer) Append(ctx context.Context, dst []byte, topic string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	b, c, err := s.codecFor(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	n := len(dst)
	out, err := c.codec.Append(append(append(dst, b.header[:]...), c.indexes...), v)
	if err != nil {
		return dst[:n], false, fmt.Errorf("PROTOBUF serializer: %w", err)
	}
	return out, false, nil
}

func (s *protobufSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	b, c, err := s.codecFor(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	n := len(dst)
	out, err := c.codec.AppendRow(append(append(dst, b.header[:]...), c.indexes...), sc, r)
	if err != nil {
		return dst[:n], false, fmt.Errorf("PROTOBUF serializer: %w", err)
	}
	return out, false, nil
}

// protobufDeser reads Confluent's Protobuf wire format: the schema by ID
// from the registry, the message the index array names.
type protobufDeser struct {
	reg    *registry.Client
	files  map[uint32]protoreflect.FileDescriptor
	codecs map[string]*protobuf.Codec
}

func (d *protobufDeser) Value(ctx context.Context, _ string, b []byte) (rows.Value, error) {
	if b == nil {
		return rows.Null, nil
	}
	id, payload, err := wireID(Protobuf, b)
	if err != nil {
		return rows.Null, err
	}
	idx, msg, err := protobuf.ReadIndexes(payload)
	if err != nil {
		return rows.Null, fmt.Errorf("PROTOBUF deserializer (schema id %d): %w", id, err)
	}
	key := fmt.Sprint(id, idx)
	c := d.codecs[key]
	if c == nil {
		fd := d.files[id]
		if fd == nil {
			s, err := d.reg.ByID(ctx, int(id))
			if err != nil {
				return rows.Null, err
			}
			if s.Type != "PROTOBUF" {
				return rows.Null, fmt.Errorf("PROTOBUF deserializer: schema id %d is %s", id, s.Type)
			}
			if fd, err = compileRegistered(ctx, d.reg, s); err != nil {
				return rows.Null, fmt.Errorf("PROTOBUF deserializer: schema id %d: %w", id, err)
			}
			d.files[id] = fd
		}
		md, err := protobuf.ByIndexes(fd, idx)
		if err != nil {
			return rows.Null, fmt.Errorf("PROTOBUF deserializer (schema id %d): %w", id, err)
		}
		c = protobuf.NewCodec(md)
		d.codecs[key] = c
	}
	v, err := c.Decode(msg)
	if err != nil {
		return rows.Null, fmt.Errorf("PROTOBUF deserializer (schema id %d, %s): %w", id, c.Descriptor().FullName(), err)
	}
	return v, nil
}
