package json

import (
	"io"
	"math"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
)

// WriteOptions configures a writer. The zero value writes UTF-8 JSON lines.
type WriteOptions struct {
	// Array writes one JSON array instead of one object per line.
	Array bool
	// Charset of the output; empty means UTF-8.
	Charset string
	// TimeZone, when set, is the zone instants (timestamps with a zone)
	// are written in; otherwise each keeps the offset it was read with.
	TimeZone *time.Location
}

// Encoder writes rows as JSON objects keyed by field name, in schema order.
// Decimals are exact JSON numbers, dates and times ISO-8601 strings, bytes
// base64, non-finite floats the strings "NaN", "Infinity", "-Infinity".
type Encoder struct {
	enc   io.WriteCloser
	keys  [][]byte // `"name":` pre-encoded, with the separator before it
	buf   []byte
	opts  WriteOptions
	rows  int64
	bytes int64
	err   error
}

const flushAt = 64 << 10

// NewWriter returns an encoder writing to w; Close finishes the document
// but does not close w.
func NewWriter(w io.Writer, schema *rows.Schema, opts WriteOptions) (*Encoder, error) {
	if err := schema.Validate(); err != nil {
		return nil, err
	}
	enc, err := charset.NewWriter(w, opts.Charset)
	if err != nil {
		return nil, err
	}
	e := &Encoder{enc: enc, opts: opts, buf: make([]byte, 0, flushAt+4096)}
	for i, f := range schema.Fields {
		var k []byte
		if i == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ',')
		}
		k = rows.AppendJSONString(k, f.Name)
		k = append(k, ':')
		e.keys = append(e.keys, k)
	}
	if opts.Array {
		e.buf = append(e.buf, '[')
	}
	return e, nil
}

// Rows returns the number of rows written.
func (e *Encoder) Rows() int64 { return e.rows }

// Bytes returns the number of bytes handed to the output so far (UTF-8,
// before charset encoding).
func (e *Encoder) Bytes() int64 { return e.bytes + int64(len(e.buf)) }

// Write appends one row.
func (e *Encoder) Write(row *rows.Row) error {
	if e.err != nil {
		return e.err
	}
	if e.opts.Array && e.rows > 0 {
		e.buf = append(e.buf, ',')
	}
	if e.opts.Array {
		e.buf = append(e.buf, '\n')
	}
	if len(e.keys) == 0 {
		e.buf = append(e.buf, '{')
	}
	for i, k := range e.keys {
		e.buf = append(e.buf, k...)
		var v rows.Value
		if i < len(row.Values) {
			v = row.Values[i]
		}
		e.buf = e.appendValue(e.buf, v)
	}
	e.buf = append(e.buf, '}')
	if !e.opts.Array {
		e.buf = append(e.buf, '\n')
	}
	e.rows++
	if len(e.buf) >= flushAt {
		return e.flush()
	}
	return nil
}

func (e *Encoder) flush() error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := e.enc.Write(e.buf)
	e.bytes += int64(len(e.buf))
	e.buf = e.buf[:0]
	if err != nil {
		e.err = err
	}
	return err
}

// Close writes what is buffered (and the closing bracket of an array).
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.opts.Array {
		if e.rows > 0 {
			e.buf = append(e.buf, '\n')
		}
		e.buf = append(e.buf, ']', '\n')
	}
	if err := e.flush(); err != nil {
		return err
	}
	e.err = rows.ErrClosed
	return e.enc.Close()
}

func (e *Encoder) appendValue(dst []byte, v rows.Value) []byte {
	switch v.Kind() {
	case rows.KindNull:
		return append(dst, "null"...)
	case rows.KindInt:
		return strconv.AppendInt(dst, v.AsInt(), 10)
	case rows.KindDecimal:
		return rows.AppendDecimal(dst, v)
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rows.AppendJSONString(dst, rows.FormatFloat(f))
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case rows.KindString:
		return rows.AppendJSONString(dst, v.AsString())
	case rows.KindDate, rows.KindTime, rows.KindTimestamp, rows.KindTimestampTZ:
		dst = append(dst, '"')
		dst = rows.AppendISO(dst, v, e.opts.TimeZone)
		return append(dst, '"')
	case rows.KindList:
		dst = append(dst, '[')
		for i, x := range v.Items() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = e.appendValue(dst, x)
		}
		return append(dst, ']')
	case rows.KindMap:
		dst = append(dst, '{')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, x := v.Entry(i)
			dst = rows.AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = e.appendValue(dst, x)
		}
		return append(dst, '}')
	}
	out, err := rows.AppendJSON(dst, v)
	if err != nil {
		return rows.AppendJSONString(dst, v.String())
	}
	return out
}

// Abort stops the encoder without writing what is buffered; discarding
// the destination is the caller's job. No-op after Close.
func (e *Encoder) Abort() error {
	if e.err == nil {
		e.err = rows.ErrClosed
	}
	e.buf = e.buf[:0]
	return nil
}

var _ rows.Writer = (*Encoder)(nil)
