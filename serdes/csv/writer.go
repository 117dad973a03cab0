package csv

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
	"github.com/sluicehq/sluice/serdes/javatime"
)

// WriteOptions configures a writer; start from DefaultWriteOptions.
type WriteOptions struct {
	Header        bool
	Separator     byte
	Quote         byte // 0: never quote
	LineDelimiter string
	Charset       string
	// AlwaysQuote quotes every non-null field, not only those that need it.
	AlwaysQuote bool
	// DateFormat, TimeFormat and DateTimeFormat are Java patterns; empty
	// means ISO-8601 with as many fractional digits as the value has.
	DateFormat, TimeFormat, DateTimeFormat string
	// TimeZone is the zone instants are written in (each value's own
	// offset when nil); zone-less timestamps are read as being in it when
	// the pattern prints a zone.
	TimeZone *time.Location
}

// DefaultWriteOptions are Kestra's defaults: header, comma, double quote,
// LF, UTF-8, quote only when needed.
func DefaultWriteOptions() WriteOptions {
	return WriteOptions{Header: true, Separator: ',', Quote: '"', LineDelimiter: "\n"}
}

// Encoder writes rows as CSV; it implements rows.Writer (Close flushes, it
// does not close the underlying writer).
type Encoder struct {
	enc    io.WriteCloser
	opts   WriteOptions
	schema *rows.Schema
	date   *javatime.Pattern
	tod    *javatime.Pattern
	dt     *javatime.Pattern
	buf    []byte
	tmp    []byte
	rows   int64
	err    error
	conv   rows.Converter
}

// NewWriter returns an encoder writing to w; the header (when enabled) is
// written first.
func NewWriter(w io.Writer, schema *rows.Schema, opts WriteOptions) (*Encoder, error) {
	if opts.Separator == 0 {
		opts.Separator = ','
	}
	if opts.LineDelimiter == "" {
		opts.LineDelimiter = "\n"
	}
	enc, err := charset.NewWriter(w, opts.Charset)
	if err != nil {
		return nil, err
	}
	e := &Encoder{enc: enc, opts: opts, schema: schema, buf: make([]byte, 0, 64<<10+4096)}
	for _, p := range []struct {
		src string
		dst **javatime.Pattern
		nm  string
	}{{opts.DateFormat, &e.date, "dateFormat"}, {opts.TimeFormat, &e.tod, "timeFormat"}, {opts.DateTimeFormat, &e.dt, "dateTimeFormat"}} {
		if p.src != "" {
			if *p.dst, err = javatime.Compile(p.src); err != nil {
				return nil, fmt.Errorf("%s: %w", p.nm, err)
			}
		}
	}
	if opts.Header {
		for i, f := range schema.Fields {
			if i > 0 {
				e.buf = append(e.buf, opts.Separator)
			}
			e.buf = e.appendText(e.buf, []byte(f.Name))
		}
		e.buf = append(e.buf, opts.LineDelimiter...)
	}
	return e, nil
}

// Rows returns the number of rows written.
func (e *Encoder) Rows() int64 { return e.rows }

// Write appends one row.
func (e *Encoder) Write(row *rows.Row) error {
	if e.err != nil {
		return e.err
	}
	for i := range e.schema.Fields {
		if i > 0 {
			e.buf = append(e.buf, e.opts.Separator)
		}
		if i >= len(row.Values) {
			continue
		}
		v := row.Values[i]
		if v.IsNull() {
			continue
		}
		var err error
		e.tmp, err = e.format(e.tmp[:0], v)
		if err != nil {
			return &rows.RowError{Row: e.rows + 1, Column: e.schema.Fields[i].Name, Value: v.String(), Err: err}
		}
		e.buf = e.appendText(e.buf, e.tmp)
	}
	e.buf = append(e.buf, e.opts.LineDelimiter...)
	e.rows++
	if len(e.buf) >= 64<<10 {
		return e.flush()
	}
	return nil
}

// format renders a non-null value as text.
func (e *Encoder) format(dst []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindString:
		return append(dst, v.AsBytes()...), nil
	case rows.KindInt, rows.KindDecimal, rows.KindFloat, rows.KindBool, rows.KindList, rows.KindMap:
		// The text every writer gives a value (rows.Converter).
		return e.conv.AppendText(dst, v)
	case rows.KindBytes:
		return base64.StdEncoding.AppendEncode(dst, v.AsBytes()), nil
	case rows.KindDate:
		if e.date != nil {
			return e.date.FormatTime(dst, v.Time(), false)
		}
	case rows.KindTime:
		if e.tod != nil {
			return e.tod.FormatTime(dst, v.Time(), false)
		}
	case rows.KindTimestamp:
		if e.dt != nil {
			if e.opts.TimeZone != nil {
				t := v.Time()
				lt := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), e.opts.TimeZone)
				return e.dt.FormatTime(dst, lt, true)
			}
			return e.dt.FormatTime(dst, v.Time(), false)
		}
	case rows.KindTimestampTZ:
		if e.dt != nil {
			t := v.Time()
			if e.opts.TimeZone != nil {
				t = t.In(e.opts.TimeZone)
			}
			return e.dt.FormatTime(dst, t, true)
		}
		return rows.AppendTimestampTZ(dst, v, e.opts.TimeZone), nil
	}
	return rows.AppendISO(dst, v, e.opts.TimeZone), nil
}

// appendText appends a field, quoted when it contains the separator, the
// quote, a line break, or always with AlwaysQuote.
func (e *Encoder) appendText(dst, f []byte) []byte {
	q := e.opts.Quote
	if q == 0 {
		return append(dst, f...)
	}
	need := e.opts.AlwaysQuote
	if !need {
		for _, c := range f {
			if c == e.opts.Separator || c == q || c == '\n' || c == '\r' {
				need = true
				break
			}
		}
	}
	if !need {
		return append(dst, f...)
	}
	dst = append(dst, q)
	for {
		k := bytes.IndexByte(f, q)
		if k < 0 {
			break
		}
		dst = append(dst, f[:k+1]...)
		dst = append(dst, q)
		f = f[k+1:]
	}
	dst = append(dst, f...)
	return append(dst, q)
}

func (e *Encoder) flush() error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := e.enc.Write(e.buf)
	e.buf = e.buf[:0]
	if err != nil {
		e.err = err
	}
	return err
}

// Close writes what is buffered.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if err := e.flush(); err != nil {
		return err
	}
	e.err = rows.ErrClosed
	return e.enc.Close()
}

// Abort stops the encoder without writing what is buffered.
func (e *Encoder) Abort() error {
	if e.err == nil {
		e.err = rows.ErrClosed
	}
	e.buf = e.buf[:0]
	return nil
}

var _ rows.Writer = (*Encoder)(nil)
