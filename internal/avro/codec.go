// Package avro is sluice's one Avro datum codec: it compiles a schema once
// into a tree of nodes and encodes sluice's typed values (internal/rows)
// as Avro binary and decodes them back, exactly. serdes/avro adds the
// Object Container File around it, connectors/kafka the Confluent framing.
//
// The schema JSON is parsed by github.com/hamba/avro; encoding and
// decoding are sluice's own, because the libraries' reflection- and
// map-based paths lose what sluice must keep (they truncate a decimal
// whose scale exceeds the schema's) and cost an allocation per field.
// Values are converted to each field's type by rows.Converter, the
// conversion layer every writer shares, so a value is accepted or refused
// here exactly as by the JDBC, CSV and JSON writers: a value that does not
// fit its field without loss is an error naming the field.
package avro

import (
	"errors"
	"fmt"
	"strings"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/internal/rows"
)

// Schema is a compiled Avro schema.
type Schema struct {
	schema havro.Schema
	text   string
	root   node
}

// Parse compiles a schema written as JSON, checking names by the Avro
// specification's rule: the schemas sluice writes with.
func Parse(schemaJSON string) (*Schema, error) { return parse(schemaJSON, false) }

// ParseLenient compiles a schema read from a file or a registry: names,
// aliases and enum symbols are not checked (Java's reflect API and Kestra
// users write names the specification forbids, and Java and fastavro read
// them).
func ParseLenient(schemaJSON string) (*Schema, error) { return parse(schemaJSON, true) }

func parse(schemaJSON string, lenient bool) (*Schema, error) {
	s, err := parseHamba(schemaJSON, lenient)
	if err != nil {
		return nil, fmt.Errorf("avro schema: %w", err)
	}
	c := &compiler{records: map[string]*recordNode{}}
	root, err := c.compile(s)
	if err != nil {
		return nil, err
	}
	return &Schema{schema: s, text: schemaJSON, root: root}, nil
}

// Text is the schema as it was given.
func (s *Schema) Text() string { return s.text }

// Hamba is the parsed schema.
func (s *Schema) Hamba() havro.Schema { return s.schema }

// Canonical is the schema's Parsing Canonical Form.
func (s *Schema) Canonical() string { return s.schema.String() }

// FullName is the full name of a named top-level schema (record, enum,
// fixed), "" otherwise. RecordNameStrategy subjects use it.
func (s *Schema) FullName() string {
	if n, ok := s.schema.(havro.NamedSchema); ok {
		return n.FullName()
	}
	return ""
}

// IsRecord reports whether the top-level type is a record.
func (s *Schema) IsRecord() bool {
	_, ok := s.root.(*recordNode)
	return ok
}

// RecordName is the top-level record's full name, or the type's name.
func (s *Schema) RecordName() string { return s.root.typeName() }

// FieldError locates a value that does not fit the schema.
type FieldError struct {
	Path string // "customer.address[2].zip"
	Err  error
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("field %q: %v", e.Path, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// inField prefixes the path of err with seg ("name" or "[3]").
func inField(seg string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		p := fe.Path
		switch {
		case p == "":
			p = seg
		case strings.HasPrefix(p, "["):
			p = seg + p
		default:
			p = seg + "." + p
		}
		return &FieldError{Path: p, Err: fe.Err}
	}
	return &FieldError{Path: seg, Err: err}
}

// Encoder holds how values are converted to the schema's types. The zero
// Encoder converts with a zero rows.Converter (Kestra's default lists,
// ISO-8601, UTC).
type Encoder struct {
	// Conv converts values into the fields' types.
	Conv rows.Converter
	// InferAllFields applies the null and true/false texts to every field,
	// also where the field accepts a string (Kestra's inferAllFields);
	// otherwise a null text becomes null only in a nullable field that
	// does not take a string, and true/false texts only in boolean fields.
	InferAllFields bool
	// Strict makes a map key that is no field of its record an error.
	Strict bool
	tmp    []byte
}

// value applies the null and boolean texts, then encodes v as n.
func (e *Encoder) value(n node, dst []byte, v rows.Value) ([]byte, error) {
	if e.InferAllFields && v.Kind() == rows.KindString {
		s := v.AsString()
		if e.Conv.IsNullText(s) {
			v = rows.Null
		} else if b, ok := e.Conv.BoolText(s); ok {
			v = rows.Bool(b)
		}
	}
	return n.enc(e, dst, v)
}

// Append appends the Avro binary encoding of v as schema s. On error dst
// is returned unchanged (truncated to its original length).
func (e *Encoder) Append(s *Schema, dst []byte, v rows.Value) ([]byte, error) {
	n := len(dst)
	out, err := e.value(s.root, dst, v)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// RowEncoder encodes rows as the top-level record of a schema, matching
// columns to fields by name (then by the fields' aliases) once instead of
// per row.
type RowEncoder struct {
	Encoder
	rec *recordNode
	// col[i] is the row column of field i, or -1 (default or null used).
	col []int
}

// BindOptions says how rows meet a record schema.
type BindOptions struct {
	// ByPosition maps field i to column i (a schema inferred from the rows).
	ByPosition bool
	// Strict makes a column that no field takes an error.
	Strict bool
}

// BindRow prepares encoding rows of row schema rs as s, whose top-level
// type must be a record. A field that is no column (by name or alias) and
// has neither a default nor accepts null is an error here, before any row
// is written; so is, with opts.Strict, a column that no field takes.
func (s *Schema) BindRow(rs *rows.Schema, opts BindOptions) (*RowEncoder, error) {
	rec, ok := s.root.(*recordNode)
	if !ok {
		return nil, fmt.Errorf("avro: the schema is %s, not a record: rows can only be encoded as records", s.root.typeName())
	}
	e := &RowEncoder{rec: rec, col: make([]int, len(rec.fields))}
	used := make([]bool, len(rs.Fields))
	for i := range rec.fields {
		f := &rec.fields[i]
		idx := -1
		if opts.ByPosition {
			if i < len(rs.Fields) {
				idx = i
			}
		} else {
			idx = rs.Index(f.name)
			for _, a := range f.aliases {
				if idx >= 0 {
					break
				}
				idx = rs.Index(a)
			}
		}
		if idx < 0 && f.def == nil && !f.nullable {
			return nil, fmt.Errorf("avro: record %s: field %q (%s) is not a column of the rows (%s), has no default and does not accept null",
				rec.name, f.name, f.node.typeName(), strings.Join(rs.Names(), ", "))
		}
		if idx >= 0 {
			used[idx] = true
		}
		e.col[i] = idx
	}
	if opts.Strict {
		var extra []string
		for i, u := range used {
			if !u {
				extra = append(extra, rs.Fields[i].Name)
			}
		}
		if len(extra) > 0 {
			return nil, fmt.Errorf("avro: columns %s are not fields of record %s (fields: %s)", strings.Join(extra, ", "), rec.name, strings.Join(rec.names(), ", "))
		}
	}
	return e, nil
}

// Append appends the encoding of row r. An error is a *FieldError whose
// path starts with the field's name.
func (e *RowEncoder) Append(dst []byte, r *rows.Row) ([]byte, error) {
	n := len(dst)
	var err error
	for i := range e.rec.fields {
		f := &e.rec.fields[i]
		if c := e.col[i]; c >= 0 && c < len(r.Values) {
			dst, err = e.value(f.node, dst, r.Values[c])
		} else {
			dst, err = f.encMissing(dst)
		}
		if err != nil {
			return dst[:n], inField(f.name, err)
		}
	}
	return dst, nil
}

// Column returns the row column of field i, -1 when it has none.
func (e *RowEncoder) Column(i int) int { return e.col[i] }

// RowSchema describes the columns that decoding rows gives: the fields of
// the top-level record, or one column "value" for another type.
func (s *Schema) RowSchema() *rows.Schema {
	out := &rows.Schema{}
	if rec, ok := s.root.(*recordNode); ok {
		for _, f := range rec.fields {
			out.Fields = append(out.Fields, rowField(f.name, f.node))
		}
		return out
	}
	out.Fields = []rows.Field{rowField("value", s.root)}
	return out
}

// rowField maps a node to a row field (kind hint, nullability, precision
// and scale, the Avro type as SourceType).
func rowField(name string, n node) rows.Field {
	f := rows.Field{Name: name, Kind: n.kind(), SourceType: n.typeName()}
	if u, ok := n.(*unionNode); ok {
		f.Nullable = u.null >= 0
		if nn := u.nonNull(); nn != nil {
			n = nn
		}
	}
	switch t := n.(type) {
	case nullNode:
		f.Nullable = true
	case *decimalNode:
		f.Precision, f.Scale = t.precision, int(t.scale)
	case *arrayNode:
		f.Elem = t.items.kind()
	case *mapNode:
		f.Elem = t.values.kind()
	case *recordNode:
		f.Elem = rows.KindAny
	}
	return f
}

// Decoder decodes Avro binary. Strings and bytes in the values it returns
// alias the input; lists, maps and records use memory the decoder reuses
// on the next DecodeRow (Decode gives values of their own).
type Decoder struct {
	b     []byte
	i     int
	err   error
	ar    arena
	fresh bool // allocate lists and maps instead of using the arena
}

// Decode decodes one value of schema s that must span all of b. Strings
// and bytes in the result alias b.
func (s *Schema) Decode(b []byte) (rows.Value, error) {
	d := Decoder{b: b, fresh: true}
	v := s.root.dec(&d)
	if d.err != nil {
		return rows.Null, d.err
	}
	if d.i != len(b) {
		return rows.Null, fmt.Errorf("avro: %d bytes left after the value", len(b)-d.i)
	}
	return v, nil
}

// Reset makes the decoder read b from its start.
func (d *Decoder) Reset(b []byte) {
	d.b, d.i, d.err = b, 0, nil
}

// Remaining is the number of bytes not yet decoded.
func (d *Decoder) Remaining() int { return len(d.b) - d.i }

// DecodeRow decodes one value of s into row (the fields of a top-level
// record as columns, another type as one column). Values are valid until
// the next DecodeRow.
func (d *Decoder) DecodeRow(s *Schema, row *rows.Row) error {
	d.ar.reset()
	if rec, ok := s.root.(*recordNode); ok {
		// Every value is written below: size the row without clearing it.
		if n := len(rec.fields); cap(row.Values) < n {
			row.Values = make([]rows.Value, n)
		} else {
			row.Values = row.Values[:n]
		}
		vals := row.Values
		for i := range rec.fields {
			vals[i] = rec.fields[i].node.dec(d)
		}
	} else {
		row.Reset(1)
		row.Values[0] = s.root.dec(d)
	}
	return d.err
}

func (d *Decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("avro: "+format, args...)
	}
}

func (d *Decoder) long() int64 {
	if d.err != nil {
		return 0
	}
	var u uint64
	var s uint
	for k := 0; ; k++ {
		if d.i >= len(d.b) {
			d.fail("unexpected end of data")
			return 0
		}
		c := d.b[d.i]
		d.i++
		if k == 9 && c > 1 {
			d.fail("varint overflows a long")
			return 0
		}
		u |= uint64(c&0x7f) << s
		if c < 0x80 {
			break
		}
		s += 7
	}
	return int64(u>>1) ^ -int64(u&1)
}

func (d *Decoder) bytes(n int64) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(d.b)-d.i) {
		d.fail("length %d exceeds the %d bytes left", n, len(d.b)-d.i)
		return nil
	}
	out := d.b[d.i : d.i+int(n) : d.i+int(n)]
	d.i += int(n)
	return out
}

// maxZeroSizeItems bounds arrays whose items take no bytes (null, empty
// records): their count is not limited by the data left.
const maxZeroSizeItems = 1 << 16

// arena holds the items of the lists, maps and records of the row being
// decoded: a stack they are pushed on while their container is read, and
// the rows.Arena take copies them into, valid until reset (the next row).
type arena struct {
	rows.Arena
	stack []rows.Value
}

func (a *arena) reset() {
	a.Reset()
	a.stack = a.stack[:0]
}

func (a *arena) mark() int { return len(a.stack) }

func (a *arena) push(v ...rows.Value) { a.stack = append(a.stack, v...) }

func (d *Decoder) take(mark int) []rows.Value {
	a := &d.ar
	items := a.stack[mark:]
	defer func() { a.stack = a.stack[:mark] }()
	if d.fresh {
		return append([]rows.Value(nil), items...)
	}
	return a.Copy(items)
}

// Fields returns the names of the record's fields, in order.
func (e *RowEncoder) Fields() []string { return e.rec.names() }
