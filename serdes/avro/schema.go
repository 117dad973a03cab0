// Package avro writes sluice rows as Avro Object Container Files and reads
// them back, with logical types mapped exactly: decimals keep their digits
// and scale (a value whose scale exceeds the schema's is an error, never a
// silent truncation), timestamps keep microseconds, nulls stay nulls.
//
// Container framing and schema parsing use github.com/hamba/avro/v2; the
// record bodies are encoded and decoded here, straight between rows.Value
// and Avro binary, which is both exact and several times faster than going
// through map[string]any with *big.Rat and time.Time (docs/serdes.md has
// the measurements).
//
// The tasks serdes.avro.Writer and serdes.avro.Reader (Kestra's AvroWriter
// and AvroReader) are thin wrappers over NewWriter and NewReader.
package avro

import (
	"fmt"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/internal/rows"
)

type avroType uint8

const (
	tNull avroType = iota
	tBool
	tInt
	tLong
	tFloat
	tDouble
	tBytes
	tString
	tRecord
	tEnum
	tArray
	tMap
	tUnion
	tFixed
)

var typeNames = [...]string{"null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum", "array", "map", "union", "fixed"}

type logical uint8

const (
	lNone logical = iota
	lDecimal
	lUUID
	lDate
	lTimeMillis
	lTimeMicros
	lTsMillis
	lTsMicros
	lLocalTsMillis
	lLocalTsMicros
)

var logicalNames = map[havro.LogicalType]logical{
	havro.Decimal: lDecimal, havro.UUID: lUUID, havro.Date: lDate,
	havro.TimeMillis: lTimeMillis, havro.TimeMicros: lTimeMicros,
	havro.TimestampMillis: lTsMillis, havro.TimestampMicros: lTsMicros,
	havro.LocalTimestampMillis: lLocalTsMillis, havro.LocalTimestampMicros: lLocalTsMicros,
}

// node is a compiled schema: what the encoder and decoder walk.
type node struct {
	t         avroType
	logical   logical
	precision int
	scale     int
	size      int // fixed
	name      string
	symbols   []string
	symIndex  map[string]int
	fields    []*field
	items     *node // array
	values    *node // map
	branches  []*node
	nullIndex int // union: branch index of null, -1 if none
	// what the node accepts without conversion (set by finish)
	takesNull, takesString, takesBool bool
}

// finish sets the accept flags; union branches are finished first.
func (n *node) finish() *node {
	if n.t == tUnion {
		for _, b := range n.branches {
			n.takesNull = n.takesNull || b.takesNull
			n.takesString = n.takesString || b.takesString
			n.takesBool = n.takesBool || b.takesBool
		}
		return n
	}
	k := kindOf(n)
	n.takesNull, n.takesString, n.takesBool = n.t == tNull, k == rows.KindString, k == rows.KindBool
	return n
}

type field struct {
	name       string
	aliases    []string
	node       *node
	hasDefault bool
	def        rows.Value
}

func (n *node) String() string {
	s := typeNames[n.t]
	for k, v := range logicalNames {
		if v == n.logical && n.logical != lNone {
			s += "(" + string(k) + ")"
		}
	}
	if n.name != "" {
		s += " " + n.name
	}
	return s
}

// compile turns a parsed hamba schema into nodes (named types shared, so
// recursive schemas work).
func compile(s havro.Schema, named map[string]*node) (*node, error) {
	switch x := s.(type) {
	case *havro.RefSchema:
		full := x.Schema().FullName()
		if n, ok := named[full]; ok {
			return n, nil
		}
		return compile(x.Schema(), named)
	case *havro.NullSchema:
		return (&node{t: tNull}).finish(), nil
	case *havro.PrimitiveSchema:
		n := &node{}
		switch x.Type() {
		case havro.Boolean:
			n.t = tBool
		case havro.Int:
			n.t = tInt
		case havro.Long:
			n.t = tLong
		case havro.Float:
			n.t = tFloat
		case havro.Double:
			n.t = tDouble
		case havro.Bytes:
			n.t = tBytes
		case havro.String:
			n.t = tString
		case havro.Null:
			n.t = tNull
		default:
			return nil, fmt.Errorf("unsupported primitive type %s", x.Type())
		}
		setLogical(n, x.Logical())
		return n.finish(), nil
	case *havro.FixedSchema:
		n := &node{t: tFixed, size: x.Size(), name: x.FullName()}
		named[n.name] = n
		setLogical(n, x.Logical())
		return n.finish(), nil
	case *havro.EnumSchema:
		n := &node{t: tEnum, name: x.FullName(), symbols: x.Symbols(), symIndex: map[string]int{}}
		for i, s := range n.symbols {
			n.symIndex[s] = i
		}
		named[n.name] = n
		return n.finish(), nil
	case *havro.ArraySchema:
		items, err := compile(x.Items(), named)
		if err != nil {
			return nil, err
		}
		return (&node{t: tArray, items: items}).finish(), nil
	case *havro.MapSchema:
		values, err := compile(x.Values(), named)
		if err != nil {
			return nil, err
		}
		return (&node{t: tMap, values: values}).finish(), nil
	case *havro.UnionSchema:
		n := &node{t: tUnion, nullIndex: -1}
		for i, b := range x.Types() {
			bn, err := compile(b, named)
			if err != nil {
				return nil, err
			}
			if bn.t == tNull && n.nullIndex < 0 {
				n.nullIndex = i
			}
			n.branches = append(n.branches, bn)
		}
		return n.finish(), nil
	case *havro.RecordSchema:
		n := (&node{t: tRecord, name: x.FullName()}).finish()
		named[n.name] = n
		for _, f := range x.Fields() {
			fn, err := compile(f.Type(), named)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name(), err)
			}
			fl := &field{name: f.Name(), aliases: f.Aliases(), node: fn, hasDefault: f.HasDefault()}
			if fl.hasDefault {
				def, err := rows.FromAny(f.Default())
				if err != nil {
					return nil, fmt.Errorf("field %s: default: %w", f.Name(), err)
				}
				fl.def = def.Clone()
			}
			n.fields = append(n.fields, fl)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported schema %s", s.Type())
}

func setLogical(n *node, ls havro.LogicalSchema) {
	if ls == nil {
		return
	}
	l, ok := logicalNames[ls.Type()]
	if !ok {
		return // unknown logical types are read as their underlying type
	}
	// A logical type on the wrong underlying type is ignored, as the spec says.
	switch l {
	case lDecimal:
		if n.t != tBytes && n.t != tFixed {
			return
		}
		if d, ok := ls.(*havro.DecimalLogicalSchema); ok {
			n.precision, n.scale = d.Precision(), d.Scale()
		}
	case lUUID:
		if n.t != tString && !(n.t == tFixed && n.size == 16) {
			return
		}
	case lDate, lTimeMillis:
		if n.t != tInt {
			return
		}
	default:
		if n.t != tLong {
			return
		}
	}
	n.logical = l
}

// parseSchema parses and compiles Avro schema JSON.
func parseSchema(js string) (havro.Schema, *node, error) {
	s, err := havro.ParseWithCache(js, "", &havro.SchemaCache{})
	if err != nil {
		return nil, nil, fmt.Errorf("avro schema: %w", err)
	}
	n, err := compile(s, map[string]*node{})
	if err != nil {
		return nil, nil, fmt.Errorf("avro schema: %w", err)
	}
	return s, n, nil
}

// rowField maps a compiled node to a row field (kind hint, nullability,
// precision and scale).
func rowField(name string, n *node) rows.Field {
	f := rows.Field{Name: name, Kind: kindOf(n)}
	if n.t == tUnion {
		f.Nullable = n.nullIndex >= 0
		if nn := nonNull(n); nn != nil {
			n = nn
		}
	}
	if n.t == tNull {
		f.Nullable = true
	}
	if n.logical == lDecimal {
		f.Precision, f.Scale = n.precision, n.scale
	}
	switch n.t {
	case tArray:
		f.Elem = kindOf(n.items)
	case tMap:
		f.Elem = kindOf(n.values)
	case tRecord:
		f.Elem = rows.KindAny
	}
	f.SourceType = n.String()
	return f
}

// nonNull returns the single non-null branch of a union, or nil.
func nonNull(n *node) *node {
	var out *node
	for i, b := range n.branches {
		if i == n.nullIndex {
			continue
		}
		if out != nil {
			return nil
		}
		out = b
	}
	return out
}

func kindOf(n *node) rows.Kind {
	switch n.logical {
	case lDecimal:
		return rows.KindDecimal
	case lUUID:
		return rows.KindString
	case lDate:
		return rows.KindDate
	case lTimeMillis, lTimeMicros:
		return rows.KindTime
	case lTsMillis, lTsMicros:
		return rows.KindTimestampTZ
	case lLocalTsMillis, lLocalTsMicros:
		return rows.KindTimestamp
	}
	switch n.t {
	case tNull:
		return rows.KindAny
	case tBool:
		return rows.KindBool
	case tInt, tLong:
		return rows.KindInt
	case tFloat, tDouble:
		return rows.KindFloat
	case tBytes, tFixed:
		return rows.KindBytes
	case tString, tEnum:
		return rows.KindString
	case tRecord, tMap:
		return rows.KindMap
	case tArray:
		return rows.KindList
	case tUnion:
		if nn := nonNull(n); nn != nil {
			return kindOf(nn)
		}
	}
	return rows.KindAny
}
