// Package avro encodes sluice's typed values (internal/rows) as Avro binary
// for one schema, and decodes them back, exactly.
//
// The schema is parsed by github.com/hamba/avro; the encoder and decoder are
// sluice's own, compiled once per schema into a tree of nodes, because the
// libraries' reflection- and map-based paths lose what sluice must keep: they
// truncate a decimal whose scale exceeds the schema's, and they cost an
// allocation per field. Here a value that does not fit its field (a scale too
// large, a number out of range, a timestamp with more precision than the
// field, an unknown enum symbol) is an error naming the field.
package avro

import (
	"errors"
	"fmt"
	"strings"

	havro "github.com/hamba/avro/v2"

	"github.com/sluicehq/sluice/internal/rows"
)

// Codec encodes and decodes values of one Avro schema.
type Codec struct {
	schema havro.Schema
	text   string
	root   node
}

// Parse compiles a schema written as JSON.
func Parse(schemaJSON string) (*Codec, error) {
	// A private cache: named types of one schema must not collide with
	// another task's schema that reuses a name with another definition.
	s, err := havro.ParseWithCache(schemaJSON, "", &havro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("avro schema: %w", err)
	}
	c := &compiler{records: map[string]*recordNode{}}
	root, err := c.compile(s)
	if err != nil {
		return nil, err
	}
	return &Codec{schema: s, text: schemaJSON, root: root}, nil
}

// Schema is the parsed schema.
func (c *Codec) Schema() havro.Schema { return c.schema }

// Text is the schema as it was given.
func (c *Codec) Text() string { return c.text }

// Canonical is the schema's Parsing Canonical Form.
func (c *Codec) Canonical() string { return c.schema.String() }

// FullName is the full name of a named top-level schema (record, enum,
// fixed), "" otherwise. RecordNameStrategy subjects use it.
func (c *Codec) FullName() string {
	if n, ok := c.schema.(havro.NamedSchema); ok {
		return n.FullName()
	}
	return ""
}

// Append appends the Avro binary encoding of v to dst. On error dst is
// returned unchanged (truncated to its original length).
func (c *Codec) Append(dst []byte, v rows.Value) ([]byte, error) {
	n := len(dst)
	out, err := c.root.enc(dst, v)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// Decode decodes one value that must span all of b. Strings and bytes in the
// result alias b.
func (c *Codec) Decode(b []byte) (rows.Value, error) {
	v, rest, err := c.root.dec(b)
	if err != nil {
		return rows.Null, err
	}
	if len(rest) != 0 {
		return rows.Null, fmt.Errorf("avro: %d bytes left after the value", len(rest))
	}
	return v, nil
}

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

// RowEncoder encodes rows of a row file as the top-level record of a
// schema, matching columns to fields by name once instead of per row.
type RowEncoder struct {
	rec *recordNode
	// col[i] is the row column of field i, or -1 (default or null used).
	col []int
}

// BindRow prepares encoding rows of schema s. The top-level Avro schema must
// be a record. A column that is not a field of the record, and a field that
// is neither a column nor has a default nor accepts null, are errors here,
// before any row is sent.
func (c *Codec) BindRow(s *rows.Schema) (*RowEncoder, error) {
	rec, ok := c.root.(*recordNode)
	if !ok {
		return nil, fmt.Errorf("avro: the schema is %s, not a record: rows can only be encoded as records", c.schema.Type())
	}
	e := &RowEncoder{rec: rec, col: make([]int, len(rec.fields))}
	for i, f := range rec.fields {
		e.col[i] = s.Index(f.name)
		if e.col[i] < 0 && f.def == nil && !f.nullable {
			return nil, fmt.Errorf("avro: record %s: field %q is not a column of the rows (%s), has no default and does not accept null",
				rec.name, f.name, strings.Join(s.Names(), ", "))
		}
	}
	for _, name := range s.Names() {
		if rec.index(name, 0) < 0 {
			return nil, fmt.Errorf("avro: column %q is not a field of record %s (fields: %s)", name, rec.name, strings.Join(rec.names(), ", "))
		}
	}
	return e, nil
}

// Append appends the encoding of row r.
func (e *RowEncoder) Append(dst []byte, r *rows.Row) ([]byte, error) {
	n := len(dst)
	var err error
	for i := range e.rec.fields {
		f := &e.rec.fields[i]
		if c := e.col[i]; c >= 0 && c < len(r.Values) {
			dst, err = f.node.enc(dst, r.Values[c])
		} else {
			dst, err = f.encMissing(dst)
		}
		if err != nil {
			return dst[:n], inField(f.name, err)
		}
	}
	return dst, nil
}
