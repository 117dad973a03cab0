package serde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/internal/avro"
	"github.com/sluicehq/sluice/internal/rows"
)

// RegistryConfig is how AVRO finds and registers schemas
// (serdeProperties).
type RegistryConfig struct {
	// Client is nil when no schema.registry.url was given.
	Client   *registry.Client
	Strategy registry.Strategy
	// AutoRegister registers the schema under its subject
	// (auto.register.schemas, default true); otherwise it must be there.
	AutoRegister bool
	// UseLatest writes with the latest schema registered under the subject
	// (use.latest.version), which may then be omitted from the task.
	UseLatest bool
}

// MagicByte starts every Confluent wire-format message.
const MagicByte = 0

// avroSer writes Confluent's wire format: magic byte, schema ID, Avro.
type avroSer struct {
	binder subjectBinder
	local  *avro.Schema // the task's schema, nil with use.latest.version alone
	// enc converts values as every sluice writer does (rows.Converter);
	// a map key that is no field of its record is an error.
	enc avro.Encoder
	// bound caches the codec per topic: the subject depends on the topic,
	// and a record may name its own topic.
	bound map[string]*boundSchema
	byID  map[int]*avro.Schema
}

type boundSchema struct {
	header [5]byte
	codec  *avro.Schema
	// rowEnc binds the codec to the row schema last seen.
	rowSchema *rows.Schema
	rowEnc    *avro.RowEncoder
}

func newAvroSer(cfg Config) (*avroSer, error) {
	s := &avroSer{binder: subjectBinder{cfg: cfg, typ: "AVRO"}, bound: map[string]*boundSchema{}, byID: map[int]*avro.Schema{}, enc: avro.Encoder{Strict: true}}
	part := s.binder.part()
	if cfg.Registry.Client == nil {
		return nil, fmt.Errorf("AVRO %s serializer: needs a schema registry: set serdeProperties schema.registry.url", part)
	}
	if cfg.AvroSchema != "" {
		c, err := avro.Parse(cfg.AvroSchema)
		if err != nil {
			return nil, fmt.Errorf("%sAvroSchema: %w", part, err)
		}
		s.local = c
		s.binder.name, s.binder.text = c.FullName(), c.Text()
	} else if !cfg.Registry.UseLatest {
		return nil, fmt.Errorf("AVRO %s serializer: set %sAvroSchema, or serdeProperties use.latest.version: \"true\" to write with the schema registered under the subject", part, part)
	}
	return s, nil
}

func (s *avroSer) resolve(ctx context.Context, topic string) (*boundSchema, error) {
	if b, ok := s.bound[topic]; ok {
		return b, nil
	}
	id, err := s.binder.bind(ctx, topic)
	if err != nil {
		return nil, err
	}
	codec := s.local
	if s.binder.cfg.Registry.UseLatest {
		if codec = s.byID[id.id]; codec == nil {
			// The registry accepted it: read its names leniently.
			if codec, err = avro.ParseLenient(id.schema.Text); err != nil {
				return nil, fmt.Errorf("schema id %d: %w", id.id, err)
			}
			s.byID[id.id] = codec
		}
	}
	b := &boundSchema{codec: codec, header: id.header}
	s.bound[topic] = b
	return b, nil
}

func (s *avroSer) Append(ctx context.Context, dst []byte, topic string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	b, err := s.resolve(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	n := len(dst)
	out, err := s.enc.Append(b.codec, append(dst, b.header[:]...), v)
	if err != nil {
		return dst[:n], false, err
	}
	return out, false, nil
}

func (s *avroSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	b, err := s.resolve(ctx, topic)
	if err != nil {
		return dst, false, err
	}
	if b.rowSchema != sc {
		if b.rowEnc, err = b.codec.BindRow(sc, avro.BindOptions{Strict: true}); err != nil {
			return dst, false, err
		}
		b.rowSchema = sc
	}
	n := len(dst)
	out, err := b.rowEnc.Append(append(dst, b.header[:]...), r)
	if err != nil {
		return dst[:n], false, err
	}
	return out, false, nil
}

// avroDeser reads Confluent's wire format, fetching each schema ID once.
type avroDeser struct {
	reg    *registry.Client
	codecs map[uint32]*avro.Schema
}

// ErrNotWireFormat is returned for AVRO bytes without Confluent's header.
var ErrNotWireFormat = errors.New("not in Confluent wire format")

func (d *avroDeser) Value(ctx context.Context, _ string, b []byte) (rows.Value, error) {
	if b == nil {
		return rows.Null, nil
	}
	if len(b) < 5 || b[0] != MagicByte {
		first := -1
		if len(b) > 0 {
			first = int(b[0])
		}
		return rows.Null, fmt.Errorf("AVRO deserializer: %w (%d bytes, first byte %d, want magic byte 0 and a 4-byte schema ID)", ErrNotWireFormat, len(b), first)
	}
	id := binary.BigEndian.Uint32(b[1:5])
	c := d.codecs[id]
	if c == nil {
		s, err := d.reg.ByID(ctx, int(id))
		if err != nil {
			return rows.Null, err
		}
		if s.Type != "AVRO" {
			return rows.Null, fmt.Errorf("AVRO deserializer: schema id %d is %s", id, s.Type)
		}
		if c, err = avro.ParseLenient(s.Text); err != nil {
			return rows.Null, fmt.Errorf("schema id %d: %w", id, err)
		}
		d.codecs[id] = c
	}
	v, err := c.Decode(b[5:])
	if err != nil {
		return rows.Null, fmt.Errorf("AVRO deserializer (schema id %d): %w", id, err)
	}
	return v, nil
}
