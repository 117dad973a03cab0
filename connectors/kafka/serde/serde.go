// Package serde turns sluice values into Kafka record bytes and back, with
// the byte layouts of Kafka's Java serializers (org.apache.kafka.common.
// serialization.*) and Confluent's (KafkaAvroSerializer, KafkaJsonSerializer),
// so that any Java, Go or Python consumer reads what sluice produces.
//
//	STRING      UTF-8 bytes
//	INTEGER     4 bytes, big-endian two's complement
//	LONG        8 bytes, big-endian
//	SHORT       2 bytes, big-endian
//	FLOAT       4 bytes, IEEE 754 binary32 big-endian (Float.floatToRawIntBits)
//	DOUBLE      8 bytes, IEEE 754 binary64 big-endian (Double.doubleToLongBits: one NaN)
//	BYTE_ARRAY, BYTE_BUFFER, BYTES   the bytes as they are
//	UUID        the 36-character lower-case text form, UTF-8
//	VOID        no bytes (a null record value); only null is accepted
//	JSON        JSON text (Jackson's layout: objects, arrays, numbers, strings)
//	AVRO        Confluent wire format: byte 0, 4-byte big-endian schema ID, Avro binary
//
// A null value is a Kafka null (no bytes) for every type, as in Java.
package serde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sluicehq/sluice/connectors/kafka/registry"
	"github.com/sluicehq/sluice/internal/avro"
	"github.com/sluicehq/sluice/internal/rows"
)

// Type is a serializer (or deserializer) name, as Kestra spells it.
type Type string

// The types.
const (
	String     Type = "STRING"
	Integer    Type = "INTEGER"
	Long       Type = "LONG"
	Short      Type = "SHORT"
	Float      Type = "FLOAT"
	Double     Type = "DOUBLE"
	ByteArray  Type = "BYTE_ARRAY"
	ByteBuffer Type = "BYTE_BUFFER"
	Bytes      Type = "BYTES"
	UUID       Type = "UUID"
	Void       Type = "VOID"
	JSON       Type = "JSON"
	Avro       Type = "AVRO"
	JSONSchema Type = "JSON_SCHEMA"
	Protobuf   Type = "PROTOBUF"
)

// Types lists every type, for docs and enums.
var Types = []Type{String, Integer, Long, Short, Float, Double, ByteArray, ByteBuffer, Bytes, UUID, Void, JSON, Avro, JSONSchema, Protobuf}

// Enum is the comma-separated list for `enum` struct tags.
const Enum = "STRING,INTEGER,LONG,SHORT,FLOAT,DOUBLE,BYTE_ARRAY,BYTE_BUFFER,BYTES,UUID,VOID,JSON,AVRO,JSON_SCHEMA,PROTOBUF"

// ParseType accepts a type name in any case.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToUpper(strings.TrimSpace(s)))
	for _, k := range Types {
		if k == t {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown serde type %q (one of %s)", s, strings.ReplaceAll(Enum, ",", ", "))
}

// Serializer turns one value into record bytes.
type Serializer interface {
	// Append appends the serialized v to dst. null is true when the record
	// must carry a Kafka null (v is null); then nothing was appended.
	Append(ctx context.Context, dst []byte, topic string, v rows.Value) (out []byte, null bool, err error)
	// AppendRow serializes a whole row as the value (rows that have no
	// `value` column). Row-shaped types (JSON, AVRO, STRING as JSON text)
	// write the row as an object/record; scalar types need a row of exactly
	// one column.
	AppendRow(ctx context.Context, dst []byte, topic string, s *rows.Schema, r *rows.Row) (out []byte, null bool, err error)
}

// Deserializer turns record bytes back into a value.
type Deserializer interface {
	// Value decodes b (nil for a Kafka null). Strings and bytes in the
	// result may alias b.
	Value(ctx context.Context, topic string, b []byte) (rows.Value, error)
}

// Config configures a serializer or deserializer.
type Config struct {
	Type  Type
	IsKey bool
	// Avro: the schema (keyAvroSchema / valueAvroSchema) and the registry.
	AvroSchema string
	Registry   RegistryConfig
	// JSON_SCHEMA and PROTOBUF: the schema text (a JSON schema; .proto
	// text or a base64 FileDescriptorProto), the schemas it references,
	// and for PROTOBUF the message (default: the file's first).
	Schema     string
	References []registry.Reference
	Message    string
}

// New returns a serializer for cfg.
func New(cfg Config) (Serializer, error) {
	switch cfg.Type {
	case String:
		return stringSer{}, nil
	case Integer:
		return intSer{bits: 32}, nil
	case Long:
		return intSer{bits: 64}, nil
	case Short:
		return intSer{bits: 16}, nil
	case Float:
		return floatSer{bits: 32}, nil
	case Double:
		return floatSer{bits: 64}, nil
	case ByteArray, ByteBuffer, Bytes:
		return bytesSer{}, nil
	case UUID:
		return uuidSer{}, nil
	case Void:
		return voidSer{}, nil
	case JSON:
		return jsonSer{}, nil
	case Avro:
		return newAvroSer(cfg)
	case JSONSchema:
		return newJSONSchemaSer(cfg)
	case Protobuf:
		return newProtobufSer(cfg)
	}
	return nil, fmt.Errorf("unknown serializer %q", cfg.Type)
}

func rowValue(typ Type, s *rows.Schema, r *rows.Row) (rows.Value, error) {
	if len(r.Values) != 1 {
		return rows.Null, fmt.Errorf("%s serializes one value, but the row has %d columns (%s): give the rows a `value` column, or use JSON or AVRO", typ, len(r.Values), strings.Join(s.Names(), ", "))
	}
	return r.Values[0], nil
}

// ---- STRING

type stringSer struct{}

func (stringSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	switch v.Kind() {
	case rows.KindNull:
		return dst, true, nil
	case rows.KindString, rows.KindBytes:
		return append(dst, v.AsBytes()...), false, nil
	case rows.KindList, rows.KindMap:
		out, err := rows.AppendJSON(dst, v)
		return out, false, err
	}
	// Other scalars have one exact text form (decimals keep their digits,
	// temporal values are ISO-8601).
	return append(dst, v.String()...), false, nil
}

func (s stringSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	if len(r.Values) == 1 {
		return s.Append(ctx, dst, topic, r.Values[0])
	}
	return appendRowJSON(dst, sc, r)
}

// conv converts values as every sluice writer does.
var conv rows.Converter

// ---- INTEGER, LONG, SHORT

type intSer struct{ bits int }

func (s intSer) name() Type {
	switch s.bits {
	case 16:
		return Short
	case 32:
		return Integer
	}
	return Long
}

func (s intSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	n, err := conv.Int(v)
	if err != nil {
		return dst, false, fmt.Errorf("%s serializer: %w", s.name(), err)
	}
	switch s.bits {
	case 16:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return dst, false, fmt.Errorf("SHORT serializer: %d is out of the range of a 16-bit integer", n)
		}
		return binary.BigEndian.AppendUint16(dst, uint16(n)), false, nil
	case 32:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return dst, false, fmt.Errorf("INTEGER serializer: %d is out of the range of a 32-bit integer (use LONG)", n)
		}
		return binary.BigEndian.AppendUint32(dst, uint32(n)), false, nil
	}
	return binary.BigEndian.AppendUint64(dst, uint64(n)), false, nil
}

func (s intSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	v, err := rowValue(s.name(), sc, r)
	if err != nil {
		return dst, false, err
	}
	return s.Append(ctx, dst, topic, v)
}

// ---- FLOAT, DOUBLE

type floatSer struct{ bits int }

func (s floatSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	f, err := conv.Float(v, s.bits)
	if s.bits == 32 {
		if err != nil {
			return dst, false, fmt.Errorf("FLOAT serializer: %w", err)
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) && !math.IsInf(f, 0) {
			return dst, false, fmt.Errorf("FLOAT serializer: %v is out of the range of a 32-bit float (use DOUBLE)", f)
		}
		// Java writes Float.floatToRawIntBits: the bits as they are.
		return binary.BigEndian.AppendUint32(dst, math.Float32bits(f32)), false, nil
	}
	if err != nil {
		return dst, false, fmt.Errorf("DOUBLE serializer: %w", err)
	}
	bits := math.Float64bits(f)
	if math.IsNaN(f) {
		// Java writes Double.doubleToLongBits, which folds every NaN into
		// one canonical NaN.
		bits = 0x7ff8000000000000
	}
	return binary.BigEndian.AppendUint64(dst, bits), false, nil
}

func (s floatSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	name := Double
	if s.bits == 32 {
		name = Float
	}
	v, err := rowValue(name, sc, r)
	if err != nil {
		return dst, false, err
	}
	return s.Append(ctx, dst, topic, v)
}

// ---- BYTE_ARRAY, BYTE_BUFFER, BYTES

type bytesSer struct{}

func (bytesSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	switch v.Kind() {
	case rows.KindNull:
		return dst, true, nil
	case rows.KindBytes, rows.KindString:
		return append(dst, v.AsBytes()...), false, nil
	}
	return dst, false, fmt.Errorf("bytes serializer: a %s value is not bytes (use STRING, JSON or a number serializer)", v.Kind())
}

func (s bytesSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	v, err := rowValue(Bytes, sc, r)
	if err != nil {
		return dst, false, err
	}
	return s.Append(ctx, dst, topic, v)
}

// ---- UUID

type uuidSer struct{}

func (uuidSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	switch v.Kind() {
	case rows.KindNull:
		return dst, true, nil
	case rows.KindString:
		u, err := avro.ParseUUID(strings.TrimSpace(v.AsString()))
		if err != nil {
			return dst, false, fmt.Errorf("UUID serializer: %w", err)
		}
		return avro.AppendUUID(dst, u), false, nil
	case rows.KindBytes:
		if len(v.AsBytes()) == 16 {
			var u [16]byte
			copy(u[:], v.AsBytes())
			return avro.AppendUUID(dst, u), false, nil
		}
	}
	return dst, false, fmt.Errorf("UUID serializer: a %s value is not a UUID", v.Kind())
}

func (s uuidSer) AppendRow(ctx context.Context, dst []byte, topic string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	v, err := rowValue(UUID, sc, r)
	if err != nil {
		return dst, false, err
	}
	return s.Append(ctx, dst, topic, v)
}

// ---- VOID

type voidSer struct{}

var errVoid = errors.New("VOID serializer: only null can be written (the record carries no bytes); remove the field or pick another serializer")

func (voidSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	if !v.IsNull() {
		return dst, false, errVoid
	}
	return dst, true, nil
}

func (voidSer) AppendRow(context.Context, []byte, string, *rows.Schema, *rows.Row) ([]byte, bool, error) {
	return nil, false, errVoid
}

// ---- JSON

type jsonSer struct{}

func (jsonSer) Append(_ context.Context, dst []byte, _ string, v rows.Value) ([]byte, bool, error) {
	if v.IsNull() {
		return dst, true, nil
	}
	out, err := rows.AppendJSON(dst, v)
	return out, false, err
}

func (jsonSer) AppendRow(_ context.Context, dst []byte, _ string, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	return appendRowJSON(dst, sc, r)
}

func appendRowJSON(dst []byte, sc *rows.Schema, r *rows.Row) ([]byte, bool, error) {
	dst = append(dst, '{')
	for i, f := range sc.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rows.AppendJSONString(dst, f.Name)
		dst = append(dst, ':')
		var v rows.Value
		if i < len(r.Values) {
			v = r.Values[i]
		}
		var err error
		if dst, err = rows.AppendJSON(dst, v); err != nil {
			return dst, false, fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	return append(dst, '}'), false, nil
}

func msDuration(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
