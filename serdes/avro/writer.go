package avro

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/avro"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/javatime"
)

// Kestra's AvroWriter defaults (the lists are rows.Converter's).
var (
	DefaultTrueValues  = rows.DefaultTrueValues
	DefaultFalseValues = rows.DefaultFalseValues
	DefaultNullValues  = rows.DefaultNullValues
)

// Kestra's default patterns.
const (
	DefaultDateFormat     = "yyyy-MM-dd[XXX]"
	DefaultTimeFormat     = "HH:mm[:ss][.SSSSSS][XXX]"
	DefaultDateTimeFormat = "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]"
)

// blockSize is the uncompressed size at which a block is written.
const blockSize = 256 << 10

// WriteOptions configures a writer; the zero value infers the schema from
// the rows and uses Kestra's defaults for the conversion lists and patterns.
type WriteOptions struct {
	// Schema is the Avro schema JSON (a record). Empty: InferSchema.
	// Fields are matched to columns by name, then by aliases; a field
	// with no column takes its default, or null.
	Schema string
	// StrictSchema makes a column that no schema field takes an error.
	StrictSchema bool
	// InferAllFields applies NullValues to every field, not only nullable
	// ones, and TrueValues/FalseValues wherever a boolean is accepted.
	InferAllFields bool
	// Text read as true, false, null (nil: Kestra's defaults), ignoring case.
	TrueValues, FalseValues, NullValues []string
	// DecimalSeparator is the character numeric text uses for the point
	// (0: a point).
	DecimalSeparator byte
	// Java patterns used to convert text into dates, times and timestamps
	// (empty: Kestra's defaults, ISO-8601 with optional parts).
	DateFormat, TimeFormat, DateTimeFormat string
	// TimeZone is where zone-less text and timestamps become instants and
	// instants become local timestamps (UTC when nil).
	TimeZone *time.Location
	// Codec: null (default), deflate, snappy, zstandard, bzip2 or xz.
	Codec string
}

// Encoder writes rows as an Avro Object Container File. It implements
// rows.Writer; Close flushes the last block but does not close the
// underlying writer.
type Encoder struct {
	w      io.Writer
	enc    *avro.RowEncoder
	codec  *blockCodec
	sync   [16]byte
	block  []byte // records of the current block
	count  int64  // records in block
	out    []byte
	rows   int64
	closed bool
	js     string
	err    error
}

// Formats reads text in Java patterns for rows.Converter.
type Formats struct {
	Date, Time, DateTime *javatime.Pattern
	// Location places zone-less text (UTC when nil).
	Location *time.Location
}

func (f *Formats) loc() *time.Location {
	if f.Location == nil {
		return time.UTC
	}
	return f.Location
}

// ParseDate implements rows.TextFormats.
func (f *Formats) ParseDate(s string) (int64, error) {
	x, err := f.Date.Parse(s)
	if err != nil {
		return 0, err
	}
	t, _ := x.Time(f.loc())
	return rows.DateOf(t).Raw(), nil
}

// ParseTime implements rows.TextFormats.
func (f *Formats) ParseTime(s string) (int64, error) {
	x, err := f.Time.Parse(s)
	if err != nil {
		return 0, err
	}
	t, _ := x.Time(f.loc())
	return int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e6 + int64(t.Nanosecond()/1000), nil
}

// ParseDateTime implements rows.TextFormats.
func (f *Formats) ParseDateTime(s string) (int64, int32, bool, error) {
	x, err := f.DateTime.Parse(s)
	if err != nil {
		return 0, 0, false, err
	}
	t, zoned := x.Time(f.loc())
	_, off := t.Zone()
	return rows.TimestampOf(t).Raw(), int32(off), zoned, nil
}

// CompileFormats compiles Kestra's dateFormat, timeFormat and
// datetimeFormat (empty: Kestra's defaults).
func CompileFormats(date, tod, dt string, loc *time.Location) (*Formats, error) {
	f := &Formats{Location: loc}
	for _, p := range []struct {
		src, def, name string
		dst            **javatime.Pattern
	}{{date, DefaultDateFormat, "dateFormat", &f.Date}, {tod, DefaultTimeFormat, "timeFormat", &f.Time}, {dt, DefaultDateTimeFormat, "datetimeFormat", &f.DateTime}} {
		src := p.src
		if src == "" {
			src = p.def
		}
		var err error
		if *p.dst, err = javatime.Compile(src); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return f, nil
}

// NewWriter starts an Avro container file on w for rows of schema.
func NewWriter(w io.Writer, schema *rows.Schema, opts WriteOptions) (*Encoder, error) {
	js := opts.Schema
	inferred := js == ""
	if inferred {
		var err error
		if js, err = InferSchema(schema, "Row"); err != nil {
			return nil, err
		}
	}
	s, err := avro.Parse(js)
	if err != nil {
		return nil, err
	}
	if !s.IsRecord() {
		return nil, fmt.Errorf("avro schema: the top-level type must be a record, not %s", s.RecordName())
	}
	re, err := s.BindRow(schema, avro.BindOptions{ByPosition: inferred || positional(schema), Strict: opts.StrictSchema})
	if err != nil {
		if opts.StrictSchema && strings.Contains(err.Error(), "are not fields") {
			return nil, fmt.Errorf("strictSchema: %w", err)
		}
		return nil, err
	}
	formats, err := CompileFormats(opts.DateFormat, opts.TimeFormat, opts.DateTimeFormat, opts.TimeZone)
	if err != nil {
		return nil, err
	}
	re.Conv = rows.Converter{
		TrueValues: opts.TrueValues, FalseValues: opts.FalseValues, NullValues: opts.NullValues,
		DecimalSeparator: opts.DecimalSeparator, Formats: formats, Location: opts.TimeZone,
	}
	re.InferAllFields = opts.InferAllFields
	re.Strict = opts.StrictSchema
	codec, err := normalizeCodec(opts.Codec)
	if err != nil {
		return nil, err
	}
	bc, err := newBlockCodec(codec)
	if err != nil {
		return nil, err
	}
	e := &Encoder{w: w, enc: re, codec: bc, js: js}
	if e.out, e.sync, err = appendHeader(nil, js, codec); err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	return e, nil
}

// positional reports rows whose columns have no names of their own
// (column1, column2, ...: CSV without a header, Kestra's Ion list rows);
// like Kestra's AvroWriter, they fill the schema's fields in order.
func positional(s *rows.Schema) bool {
	for i, f := range s.Fields {
		if f.Name != "column"+strconv.Itoa(i+1) {
			return false
		}
	}
	return len(s.Fields) > 0
}

// SchemaJSON returns the Avro schema written in the file header.
func (e *Encoder) SchemaJSON() string { return e.js }

// Rows returns the number of rows written.
func (e *Encoder) Rows() int64 { return e.rows }

// Write appends one row.
func (e *Encoder) Write(row *rows.Row) error {
	if e.closed {
		return rows.ErrClosed
	}
	if e.err != nil {
		return e.err
	}
	var err error
	n := len(e.block)
	if e.block, err = e.enc.Append(e.block, row); err != nil {
		e.block = e.block[:n]
		col, val := "", ""
		var fe *avro.FieldError
		if errors.As(err, &fe) {
			col, err = fe.Path, fe.Err
			name := col
			if i := strings.IndexAny(col, ".["); i >= 0 {
				name = col[:i]
			}
			if fi := e.fieldIndex(name); fi >= 0 && fi < len(row.Values) && !row.Values[fi].IsNull() {
				val = row.Values[fi].String()
			}
		}
		return &rows.RowError{Row: e.rows + 1, Column: col, Value: val, Err: err}
	}
	e.count++
	e.rows++
	if len(e.block) >= blockSize {
		return e.flush()
	}
	return nil
}

// fieldIndex returns the row column that the named field reads.
func (e *Encoder) fieldIndex(name string) int {
	for i, f := range e.enc.Fields() {
		if f == name {
			return e.enc.Column(i)
		}
	}
	return -1
}

// flush writes the current block.
func (e *Encoder) flush() error {
	if e.count > 0 {
		e.out = appendLong(e.out, e.count)
		// The size goes before the data: compress into a scratch area
		// behind out, then move it.
		mark := len(e.out)
		var err error
		if e.out, err = e.codec.encode(e.out, e.block); err != nil {
			e.err = fmt.Errorf("avro: %s: %w", e.codec.name, err)
			return e.err
		}
		size := len(e.out) - mark
		var sz [10]byte
		lb := appendLong(sz[:0], int64(size))
		e.out = append(e.out, lb...) // grow by the length's bytes
		copy(e.out[mark+len(lb):], e.out[mark:mark+size])
		copy(e.out[mark:], lb)
		e.out = append(e.out, e.sync[:]...)
		e.block, e.count = e.block[:0], 0
	}
	if len(e.out) > 0 {
		if _, err := e.w.Write(e.out); err != nil {
			e.err = fmt.Errorf("avro: write: %w", err)
			return e.err
		}
		e.out = e.out[:0]
	}
	return nil
}

// Close writes the last block.
func (e *Encoder) Close() error {
	if e.closed {
		return rows.ErrClosed
	}
	e.closed = true
	defer e.codec.close()
	if e.err != nil {
		return e.err
	}
	return e.flush()
}

// Abort stops the encoder; what was written so far is the caller's to
// discard.
func (e *Encoder) Abort() error {
	if !e.closed {
		e.closed = true
		e.codec.close()
	}
	return nil
}

var _ rows.Writer = (*Encoder)(nil)
