package serde

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
)

// subjectBinder finds, per topic, the registered schema a JSON_SCHEMA or
// PROTOBUF serializer writes with: the task's schema registered (or looked
// up) under the subject the strategy names, or the subject's latest
// version with use.latest.version. The registry is asked once per topic.
type subjectBinder struct {
	cfg   Config
	typ   string // registry schema type: "JSON", "PROTOBUF"
	name  string // record name for the record strategies ("" if none)
	text  string // the task's schema, "" with use.latest.version alone
	bound map[string]boundID
}

// boundID is a schema ID with its wire-format header (magic byte, ID).
type boundID struct {
	id     int
	header [5]byte
	schema registry.Schema
}

func (b *subjectBinder) part() string {
	if b.cfg.IsKey {
		return "key"
	}
	return "value"
}

func (b *subjectBinder) bind(ctx context.Context, topic string) (boundID, error) {
	if x, ok := b.bound[topic]; ok {
		return x, nil
	}
	rc := b.cfg.Registry
	subject, err := rc.Strategy.Subject(topic, b.cfg.IsKey, b.name)
	if err != nil {
		return boundID{}, err
	}
	out := boundID{schema: registry.Schema{Type: b.typ, Text: b.text, References: b.cfg.References}}
	switch {
	case rc.UseLatest:
		latest, err := rc.Client.Latest(ctx, subject)
		if err != nil {
			return boundID{}, err
		}
		if latest.Type != b.typ {
			return boundID{}, fmt.Errorf("the latest schema of subject %s is %s, not %s", subject, latest.Type, b.typ)
		}
		out.id, out.schema = latest.ID, latest.Schema
	case rc.AutoRegister:
		if out.id, err = rc.Client.Register(ctx, subject, b.typ, b.text, b.cfg.References...); err != nil {
			return boundID{}, err
		}
	default:
		if out.id, err = rc.Client.Lookup(ctx, subject, b.typ, b.text, b.cfg.References...); err != nil {
			return boundID{}, err
		}
	}
	out.header[0] = MagicByte
	binary.BigEndian.PutUint32(out.header[1:], uint32(out.id))
	if b.bound == nil {
		b.bound = map[string]boundID{}
	}
	b.bound[topic] = out
	return out, nil
}

// wireID splits Confluent's wire-format header off b.
func wireID(typ Type, b []byte) (uint32, []byte, error) {
	if len(b) < 5 || b[0] != MagicByte {
		first := -1
		if len(b) > 0 {
			first = int(b[0])
		}
		return 0, nil, fmt.Errorf("%s deserializer: %w (%d bytes, first byte %d, want magic byte 0 and a 4-byte schema ID)", typ, ErrNotWireFormat, len(b), first)
	}
	return binary.BigEndian.Uint32(b[1:5]), b[5:], nil
}
