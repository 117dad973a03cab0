package avro

import (
	"fmt"
	"slices"
	"sync"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/internal/rows"
)

// node encodes and decodes values of one schema type.
type node interface {
	// enc appends the encoding of v (already preprocessed by e.value); on
	// error the caller truncates dst.
	enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error)
	// dec decodes one value; errors are recorded in d.
	dec(d *Decoder) rows.Value
	// match scores how well a value kind fits, to choose a union branch:
	// 2 is the natural kind, 1 a kind that may convert, 0 none.
	match(k rows.Kind) int
	// kind is the row kind the node decodes to (KindAny when it varies).
	kind() rows.Kind
	// typeName is the schema type for messages.
	typeName() string
}

// score is the match of a node whose natural kind is natural and that
// takes the kinds of convertible by conversion.
func score(k, natural rows.Kind, convertible ...rows.Kind) int {
	switch {
	case k == natural:
		return 2
	case slices.Contains(convertible, k):
		return 1
	}
	return 0
}

type compiler struct {
	// records by full name: recursive schemas refer to a record being
	// compiled.
	records  map[string]*recordNode
	defaults []pendingDefault
}

type pendingDefault struct {
	rec   *recordNode
	field int
	value any
}

// parseMu guards hamba's package-wide SkipNameValidation switch: lenient
// and strict parses must not interleave. Parsing happens once per schema,
// so holding a lock is cheap.
var parseMu sync.Mutex

// Names are checked by Avro's rule ([A-Za-z_][A-Za-z0-9_]*) when writing.
// Reading is lenient, as Java and fastavro are: files written by Java's
// reflect API name records "TestReflectJob$.Numbers", Kestra users write
// enum symbols such as "ž" and aliases such as "nbJH_DTP-Helpdesk".
func parseHamba(js string, lenient bool) (havro.Schema, error) {
	parseMu.Lock()
	defer parseMu.Unlock()
	havro.SkipNameValidation = lenient
	defer func() { havro.SkipNameValidation = false }()
	// A private cache: named types of one schema must not collide with
	// another task's schema that reuses a name with another definition.
	return havro.ParseWithCache(js, "", &havro.SchemaCache{})
}

func (c *compiler) compile(s havro.Schema) (node, error) {
	n, err := c.node(s)
	if err != nil {
		return nil, err
	}
	// Defaults are encoded once the whole tree exists: a default of a
	// recursive record type needs the record's fields.
	var e Encoder
	for _, p := range c.defaults {
		f := &p.rec.fields[p.field]
		v, err := defaultValue(f.node, p.value)
		if err != nil {
			return nil, fmt.Errorf("avro schema: record %s, field %q: default: %w", p.rec.name, f.name, err)
		}
		b, err := f.node.enc(&e, nil, v)
		if err != nil {
			return nil, fmt.Errorf("avro schema: record %s, field %q: default %v does not fit the field: %w", p.rec.name, f.name, p.value, err)
		}
		f.def = b
		if f.def == nil {
			f.def = []byte{}
		}
	}
	return n, nil
}

func (c *compiler) node(s havro.Schema) (node, error) {
	switch t := s.(type) {
	case *havro.NullSchema:
		return nullNode{}, nil
	case *havro.PrimitiveSchema:
		return primitive(t)
	case *havro.RefSchema:
		return c.node(t.Schema())
	case *havro.RecordSchema:
		if r, ok := c.records[t.FullName()]; ok {
			return r, nil
		}
		r := &recordNode{name: t.FullName(), fields: make([]recordField, len(t.Fields()))}
		c.records[t.FullName()] = r
		for i, f := range t.Fields() {
			fn, err := c.node(f.Type())
			if err != nil {
				return nil, fmt.Errorf("record %s, field %q: %w", t.FullName(), f.Name(), err)
			}
			r.fields[i] = recordField{name: f.Name(), aliases: f.Aliases(), node: fn}
			if u, ok := fn.(*unionNode); ok && u.null >= 0 {
				r.fields[i].nullable = true
				r.fields[i].nullIdx = u.null
			}
			if _, ok := fn.(nullNode); ok {
				r.fields[i].nullable = true
				r.fields[i].nullIdx = -1
			}
			if f.HasDefault() {
				c.defaults = append(c.defaults, pendingDefault{rec: r, field: i, value: f.Default()})
			}
		}
		return r, nil
	case *havro.EnumSchema:
		idx := make(map[string]int, len(t.Symbols()))
		for i, s := range t.Symbols() {
			idx[s] = i
		}
		return &enumNode{name: t.FullName(), symbols: t.Symbols(), index: idx}, nil
	case *havro.FixedSchema:
		if l := t.Logical(); l != nil {
			switch l.Type() {
			case havro.Decimal:
				d := l.(*havro.DecimalLogicalSchema)
				return &decimalNode{precision: d.Precision(), scale: int32(d.Scale()), fixed: t.Size()}, nil
			case havro.UUID:
				if t.Size() == 16 {
					return uuidFixedNode{}, nil
				}
			}
		}
		return &fixedNode{name: t.FullName(), size: t.Size()}, nil
	case *havro.ArraySchema:
		items, err := c.node(t.Items())
		if err != nil {
			return nil, err
		}
		return &arrayNode{items: items}, nil
	case *havro.MapSchema:
		vals, err := c.node(t.Values())
		if err != nil {
			return nil, err
		}
		return &mapNode{values: vals}, nil
	case *havro.UnionSchema:
		u := &unionNode{null: -1}
		for i, b := range t.Types() {
			n, err := c.node(b)
			if err != nil {
				return nil, err
			}
			if _, ok := n.(nullNode); ok && u.null < 0 {
				u.null = i
			}
			u.branches = append(u.branches, n)
			if n.kind() == rows.KindString {
				u.takesString = true
			}
		}
		return u, nil
	}
	return nil, fmt.Errorf("avro schema: unsupported schema type %s", s.Type())
}

// primitive compiles a primitive type and its logical type; a logical type
// on the wrong underlying type is ignored, as the specification says.
func primitive(t *havro.PrimitiveSchema) (node, error) {
	var lt havro.LogicalType
	var dec *havro.DecimalLogicalSchema
	if l := t.Logical(); l != nil {
		lt = l.Type()
		dec, _ = l.(*havro.DecimalLogicalSchema)
	}
	switch t.Type() {
	case havro.Boolean:
		return boolNode{}, nil
	case havro.Int:
		switch lt {
		case havro.Date:
			return dateNode{}, nil
		case havro.TimeMillis:
			return timeNode{millis: true}, nil
		}
		return intNode{bits: 32}, nil
	case havro.Long:
		switch lt {
		case havro.TimeMicros:
			return timeNode{}, nil
		case havro.TimestampMillis:
			return timestampNode{millis: true}, nil
		case havro.TimestampMicros:
			return timestampNode{}, nil
		case havro.LocalTimestampMillis:
			return timestampNode{millis: true, local: true}, nil
		case havro.LocalTimestampMicros:
			return timestampNode{local: true}, nil
		}
		return intNode{bits: 64}, nil
	case havro.Float:
		return floatNode{bits: 32}, nil
	case havro.Double:
		return floatNode{bits: 64}, nil
	case havro.Bytes:
		if dec != nil {
			return &decimalNode{precision: dec.Precision(), scale: int32(dec.Scale())}, nil
		}
		return bytesNode{}, nil
	case havro.String:
		if lt == havro.UUID {
			return uuidNode{}, nil
		}
		return stringNode{}, nil
	case havro.Null:
		return nullNode{}, nil
	}
	return nil, fmt.Errorf("avro schema: unsupported primitive type %s", t.Type())
}

// defaultValue converts a schema default (decoded JSON) to a value for n.
// Avro writes defaults of bytes-like types as strings whose code points
// 0-255 are the bytes.
func defaultValue(n node, def any) (rows.Value, error) {
	if u, ok := n.(*unionNode); ok && len(u.branches) > 0 {
		// A union's default belongs to its first branch.
		n = u.branches[0]
	}
	if s, ok := def.(string); ok {
		switch n.(type) {
		case bytesNode, *fixedNode, *decimalNode:
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r > 255 {
					return rows.Null, fmt.Errorf("bytes default has code point U+%04X above U+00FF", r)
				}
				b = append(b, byte(r))
			}
			if d, ok := n.(*decimalNode); ok {
				return rows.DecimalRaw(trimTwos(b), d.scale), nil
			}
			return rows.Bytes(b), nil
		}
	}
	return rows.FromAny(def)
}
