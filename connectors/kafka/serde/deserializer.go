package serde

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicehq/sluice/connectors/kafka/protobuf"
	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/internal/avro"
	"github.com/sluicehq/sluice/internal/rows"
)

// NewDeserializer returns a deserializer of typ; AVRO needs reg.
func NewDeserializer(typ Type, reg *registry.Client) (Deserializer, error) {
	switch typ {
	case Avro:
		if reg == nil {
			return nil, fmt.Errorf("AVRO deserializer: needs a schema registry: set serdeProperties schema.registry.url")
		}
		return &avroDeser{reg: reg, codecs: map[uint32]*avro.Schema{}}, nil
	case JSONSchema:
		if reg == nil {
			return nil, fmt.Errorf("JSON_SCHEMA deserializer: needs a schema registry: set serdeProperties schema.registry.url")
		}
		return &jsonSchemaDeser{reg: reg, seen: map[uint32]bool{}}, nil
	case Protobuf:
		if reg == nil {
			return nil, fmt.Errorf("PROTOBUF deserializer: needs a schema registry: set serdeProperties schema.registry.url")
		}
		return &protobufDeser{reg: reg, files: map[uint32]protoreflect.FileDescriptor{}, codecs: map[string]*protobuf.Codec{}}, nil
	case String, Integer, Long, Short, Float, Double, ByteArray, ByteBuffer, Bytes, UUID, Void, JSON:
		return simpleDeser(typ), nil
	}
	return nil, fmt.Errorf("unknown deserializer %q", typ)
}

type simpleDeser Type

func (d simpleDeser) Value(_ context.Context, _ string, b []byte) (rows.Value, error) {
	if b == nil {
		return rows.Null, nil
	}
	typ := Type(d)
	size := func(n int) error {
		if len(b) != n {
			return fmt.Errorf("%s deserializer: %d bytes, a %s is %d", typ, len(b), typ, n)
		}
		return nil
	}
	switch typ {
	case String:
		return rows.StringBytes(b), nil
	case Short:
		if err := size(2); err != nil {
			return rows.Null, err
		}
		return rows.Int(int64(int16(binary.BigEndian.Uint16(b)))), nil
	case Integer:
		if err := size(4); err != nil {
			return rows.Null, err
		}
		return rows.Int(int64(int32(binary.BigEndian.Uint32(b)))), nil
	case Long:
		if err := size(8); err != nil {
			return rows.Null, err
		}
		return rows.Int(int64(binary.BigEndian.Uint64(b))), nil
	case Float:
		if err := size(4); err != nil {
			return rows.Null, err
		}
		return rows.Float(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
	case Double:
		if err := size(8); err != nil {
			return rows.Null, err
		}
		return rows.Float(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	case ByteArray, ByteBuffer, Bytes:
		return rows.Bytes(b), nil
	case UUID:
		if _, err := avro.ParseUUID(string(b)); err != nil {
			return rows.Null, fmt.Errorf("UUID deserializer: %w", err)
		}
		return rows.StringBytes(b), nil
	case Void:
		return rows.Null, fmt.Errorf("VOID deserializer: the record has %d bytes, a VOID value has none", len(b))
	case JSON:
		dec := json.NewDecoder(bytes.NewReader(b))
		x, err := rows.DecodeJSONOrdered(dec)
		if err != nil {
			return rows.Null, fmt.Errorf("JSON deserializer: %w", err)
		}
		if dec.More() {
			return rows.Null, fmt.Errorf("JSON deserializer: more than one JSON value")
		}
		return rows.FromAny(x)
	}
	return rows.Null, fmt.Errorf("unknown deserializer %q", typ)
}
