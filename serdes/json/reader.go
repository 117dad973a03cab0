// Package json reads JSON (one value per line, or one top-level array) into
// sluice rows and writes rows as JSON, exactly: numbers never pass through
// float64 (integers become int64 when they fit, everything else an exact
// decimal keeping its written scale), object key order is kept, nested
// objects and arrays become map and list values.
//
// The tasks serdes.json.Reader and serdes.json.Writer (Kestra's JsonReader
// and JsonWriter) are thin wrappers over NewReader and NewWriter.
package json

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
)

// DefaultSample is the number of records InferSchema reads when the input
// cannot be read twice.
const DefaultSample = 10000

// ReadOptions configures a reader. The zero value reads UTF-8 JSON lines
// and infers the schema.
type ReadOptions struct {
	// Array reads one top-level JSON array of objects (a single top-level
	// object is one row) instead of one object per line.
	Array bool
	// Charset of the input (Java names: UTF-8, ISO-8859-1, windows-1252,
	// UTF-16...); empty means UTF-8.
	Charset string
	// Schema, when set, is used as is: fields in this order, and a key
	// that is not in it is an error.
	Schema *rows.Schema
	// Sample is the number of records read to infer the schema when the
	// input is not an io.ReadSeeker (0 means DefaultSample). The sampled
	// bytes are held in memory and replayed. Seekable inputs are scanned
	// whole instead, so their schema is never wrong.
	Sample int
	// Name is the file name or URI used in error messages.
	Name string
}

// Decoder reads rows from JSON. It implements rows.Reader.
type Decoder struct {
	src    *source
	p      parser
	schema *rows.Schema
	names  [][]byte
	index  map[string]int
	kinds  []rows.Kind
	// sampled is the number of records the schema was inferred from when
	// the input was only sampled (0: complete scan or given schema).
	sampled int64
	given   bool
	counter *countingReader
	records int64
	err     error
}

// NewReader returns a reader over r. Without opts.Schema, the schema is
// inferred first: over the whole input when r is an io.ReadSeeker (it is
// rewound to where it was), else over the first opts.Sample records.
func NewReader(r io.Reader, opts ReadOptions) (*Decoder, error) {
	schema := opts.Schema
	var sampled int64
	if schema == nil {
		if rs, ok := r.(io.ReadSeeker); ok {
			pos, err := rs.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", opts.Name, err)
			}
			if schema, _, err = InferSchema(rs, opts, 0); err != nil {
				return nil, err
			}
			if _, err := rs.Seek(pos, io.SeekStart); err != nil {
				return nil, fmt.Errorf("%s: rewind after schema scan: %w", opts.Name, err)
			}
		} else {
			n := opts.Sample
			if n <= 0 {
				n = DefaultSample
			}
			var held bytes.Buffer
			var err error
			var complete bool
			schema, complete, err = InferSchema(io.TeeReader(r, &held), opts, int64(n))
			if err != nil {
				return nil, err
			}
			if !complete {
				sampled = int64(n)
			}
			r = io.MultiReader(&held, r)
		}
	}
	return newDecoder(r, schema, opts, sampled)
}

func newDecoder(r io.Reader, schema *rows.Schema, opts ReadOptions, sampled int64) (*Decoder, error) {
	if err := schema.Validate(); err != nil {
		return nil, err
	}
	cr := &countingReader{r: r}
	in, err := charset.NewReader(cr, opts.Charset)
	if err != nil {
		return nil, err
	}
	d := &Decoder{
		src:     newSource(in, opts.Name, opts.Array),
		schema:  schema,
		index:   make(map[string]int, len(schema.Fields)),
		sampled: sampled,
		given:   opts.Schema != nil,
		counter: cr,
	}
	for i, f := range schema.Fields {
		d.names = append(d.names, []byte(f.Name))
		d.index[f.Name] = i
		d.kinds = append(d.kinds, f.Kind)
	}
	return d, nil
}

// Schema returns the schema, known before the first row.
func (d *Decoder) Schema() *rows.Schema { return d.schema }

// Err returns the error that stopped Next.
func (d *Decoder) Err() error { return d.err }

// Close releases nothing: the caller owns the underlying reader.
func (d *Decoder) Close() error { return nil }

// Records returns the number of rows returned so far.
func (d *Decoder) Records() int64 { return d.records }

// BytesRead returns the input bytes consumed so far (before charset
// decoding), for progress.
func (d *Decoder) BytesRead() int64 { return d.counter.n }

// Line returns the line where the last record started.
func (d *Decoder) Line() int { return d.src.recLine }

// Next reads the next record into row.
func (d *Decoder) Next(row *rows.Row) bool {
	if d.err != nil {
		return false
	}
	rec, err := d.src.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			d.err = err
		}
		return false
	}
	row.Reset(len(d.schema.Fields))
	if err := d.record(rec, row); err != nil {
		var pe *posError
		if errors.As(err, &pe) {
			line, col := d.src.locate(pe.off, rec)
			d.err = &SyntaxError{File: d.src.name, Line: line, Column: col, Msg: pe.msg}
		} else {
			d.err = err
		}
		return false
	}
	d.records++
	return true
}

func (d *Decoder) record(rec []byte, row *rows.Row) error {
	p := &d.p
	p.reset(rec)
	i := skipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return errAt(i, "expected a JSON object, found %s", describe(rec, i))
	}
	j := skipSpace(rec, i+1)
	hint := 0
	if j < len(rec) && rec[j] == '}' {
		j++
	} else {
		for {
			if j >= len(rec) || rec[j] != '"' {
				return errAt(j, "expected a quoted key in object")
			}
			keyAt := j
			key, k, err := p.parseString(j)
			if err != nil {
				return err
			}
			k = skipSpace(rec, k)
			if k >= len(rec) || rec[k] != ':' {
				return errAt(k, "expected ':' after key %q", key)
			}
			k = skipSpace(rec, k+1)
			valAt := k
			v, k2, err := p.parseValue(k)
			if err != nil {
				return err
			}
			// Keys usually come in schema order: try the next field first.
			idx := -1
			if hint < len(d.names) && bytes.Equal(d.names[hint], key) {
				idx = hint
			} else if x, ok := d.index[string(key)]; ok {
				idx = x
			}
			if idx < 0 {
				return d.unknownKey(keyAt, key)
			}
			hint = idx + 1
			if v, err = d.fit(idx, v, valAt); err != nil {
				return err
			}
			row.Values[idx] = v
			k2 = skipSpace(rec, k2)
			if k2 >= len(rec) {
				return errAt(i, "unterminated object")
			}
			if rec[k2] == '}' {
				j = k2 + 1
				break
			}
			if rec[k2] != ',' {
				return errAt(k2, "expected ',' or '}' in object, found %q", rune(rec[k2]))
			}
			j = skipSpace(rec, k2+1)
		}
	}
	if j = skipSpace(rec, j); j < len(rec) {
		return errAt(j, "unexpected data after the object: %s", describe(rec, j))
	}
	return nil
}

// fit checks a value against its field's kind: ints widen into decimal
// fields, anything else that disagrees with a sampled schema is an error.
func (d *Decoder) fit(idx int, v rows.Value, at int) (rows.Value, error) {
	k := d.kinds[idx]
	vk := v.Kind()
	if k == rows.KindAny || vk == k || vk == rows.KindNull {
		return v, nil
	}
	if k == rows.KindDecimal && vk == rows.KindInt {
		return rows.Decimal(v.AsInt(), 0), nil
	}
	if d.given {
		return v, nil // a given schema's kinds are hints: keep the value
	}
	return rows.Null, errAt(at, "field %q: a %s value, but the schema inferred from the first %d records says %s (raise the sample or read a seekable file)", d.schema.Fields[idx].Name, vk, d.sampled, k)
}

func (d *Decoder) unknownKey(at int, key []byte) error {
	switch {
	case d.given:
		return errAt(at, "key %q is not in the schema", key)
	case d.sampled > 0:
		return errAt(at, "key %q did not appear in the first %d records the schema was inferred from (raise the sample or read a seekable file)", key, d.sampled)
	default:
		return errAt(at, "key %q did not appear when the schema was scanned (did the file change?)", key)
	}
}

func describe(b []byte, i int) string {
	if i >= len(b) {
		return "end of input"
	}
	switch c := b[i]; {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return fmt.Sprintf("%q", rune(c))
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var _ rows.Reader = (*Decoder)(nil)
