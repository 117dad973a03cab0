// Package csv reads CSV files into sluice rows and writes rows as CSV, with
// Kestra's CsvReader/CsvWriter options (separator, text delimiter,
// charset, header, ...). Values are strings unless columns are typed
// (Columns) or types are inferred from the data (InferTypes).
//
// The tasks serdes.csv.Reader and serdes.csv.Writer are thin wrappers over
// NewReader and NewWriter.
package csv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/charset"
	"github.com/sluicehq/sluice/serdes/internal/textval"
	"github.com/sluicehq/sluice/serdes/javatime"
)

// DefaultSample is the number of records read to infer types when the
// input cannot be read twice.
const DefaultSample = 10000

// Column declares a column's name and type.
type Column struct {
	// Name of the column. With a header, columns are matched by name and
	// the ones not listed stay strings; without, they name the fields in
	// order.
	Name string `yaml:"name" required:"true" doc:"Column name (matched against the header when there is one)."`
	// Type: string, int, decimal, float, bool, date, time, timestamp
	// (no zone), timestamptz (with zone).
	Type string `yaml:"type" default:"string" enum:"string,int,decimal,float,bool,date,time,timestamp,timestamptz" doc:"Type the text is converted to."`
	// Format is a Java date pattern for date/time types (default ISO-8601).
	Format string `yaml:"format" doc:"Java date pattern (yyyy-MM-dd, dd/MM/yyyy HH:mm, ...) for date/time types; ISO-8601 when empty."`
}

// ReadOptions configures a reader; start from DefaultReadOptions.
type ReadOptions struct {
	Header bool
	// Separator and Quote are single ASCII characters; Quote 0 disables
	// quoting.
	Separator byte
	Quote     byte
	Charset   string
	// SkipRows records are skipped at the start of the file, before the
	// header.
	SkipRows int
	// SkipEmptyRows ignores blank lines.
	SkipEmptyRows bool
	// ErrorOnDifferentFieldCount makes a record whose field count differs
	// from the header's (or the first record's) malformed; when false,
	// short records are padded with nulls and extra fields dropped.
	ErrorOnDifferentFieldCount bool
	// NullValues are texts read as null (e.g. "", "NULL", "\\N").
	NullValues []string
	// SkipMalformed skips malformed records (counted by Skipped) instead
	// of failing.
	SkipMalformed bool
	// Columns types some or all columns.
	Columns []Column
	// InferTypes chooses each untyped column's type from the data: int,
	// decimal, bool, date, time, timestamp, timestamptz, else string.
	InferTypes bool
	// Sample bounds type inference on inputs that are not io.ReadSeekers
	// (0: DefaultSample); seekable inputs are scanned whole.
	Sample int
	// TimeZone interprets zone-less text in timestamptz columns (UTC when
	// nil).
	TimeZone *time.Location
	// Name is the file name or URI used in error messages.
	Name string
	// ReplaceInvalidUTF8 replaces bytes that are not UTF-8 with U+FFFD
	// (as the JSON reader does) when Charset is UTF-8; by default such a
	// record is malformed, located at file:line:col, so that bytes of
	// another charset never reach a target as if they were text.
	ReplaceInvalidUTF8 bool
}

// DefaultReadOptions are Kestra's defaults: header, comma, double quote,
// UTF-8, field counts checked.
func DefaultReadOptions() ReadOptions {
	return ReadOptions{Header: true, Separator: ',', Quote: '"', SkipEmptyRows: true, ErrorOnDifferentFieldCount: true}
}

// MalformedError locates a bad record.
type MalformedError struct {
	File   string
	Line   int
	Column int    // byte column, 0 when the problem is the whole record
	Field  string // column name, when one field is at fault
	Msg    string
}

func (e *MalformedError) Error() string {
	f := e.File
	if f == "" {
		f = "<input>"
	}
	loc := fmt.Sprintf("%s:%d", f, e.Line)
	if e.Column > 0 {
		loc += ":" + strconv.Itoa(e.Column)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: column %q: %s", loc, e.Field, e.Msg)
	}
	return loc + ": " + e.Msg
}

type colConv struct {
	kind rows.Kind
	pat  *javatime.Pattern
}

// Decoder reads rows from CSV; it implements rows.Reader.
type Decoder struct {
	sc      *scanner
	opts    ReadOptions
	schema  *rows.Schema
	conv    []colConv
	nulls   map[string]bool
	counter *countingReader
	// checkUTF8 is set when the input is read as UTF-8 without
	// conversion: the bytes are then checked (converted input is UTF-8
	// by construction).
	checkUTF8 bool
	records   int64
	skipped   int64
	sampled   int64
	err       error
	// pending is a record already scanned (the first data record when
	// there is no header) to return before reading on.
	pending bool
}

// NewReader returns a reader over r. The header (or first record) is read
// here; with InferTypes the input is scanned first (whole when r is an
// io.ReadSeeker, else the first opts.Sample records, held in memory).
func NewReader(r io.Reader, opts ReadOptions) (*Decoder, error) {
	if opts.Separator == 0 {
		opts.Separator = ','
	}
	var types []rows.Field
	var sampled int64
	if opts.InferTypes {
		if rs, ok := r.(io.ReadSeeker); ok {
			pos, err := rs.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			if types, _, err = InferTypes(rs, opts, 0); err != nil {
				return nil, err
			}
			if _, err := rs.Seek(pos, io.SeekStart); err != nil {
				return nil, fmt.Errorf("%s: rewind after type scan: %w", opts.Name, err)
			}
		} else {
			n := opts.Sample
			if n <= 0 {
				n = DefaultSample
			}
			var held bytes.Buffer
			var complete bool
			var err error
			if types, complete, err = InferTypes(io.TeeReader(r, &held), opts, int64(n)); err != nil {
				return nil, err
			}
			if !complete {
				sampled = int64(n)
			}
			r = io.MultiReader(&held, r)
		}
	}
	return newDecoder(r, opts, types, sampled)
}

// NewReaderTyped is NewReader with column types already inferred (by
// InferTypes over an earlier read of the same input).
func NewReaderTyped(r io.Reader, opts ReadOptions, types []rows.Field) (*Decoder, error) {
	if opts.Separator == 0 {
		opts.Separator = ','
	}
	return newDecoder(r, opts, types, 0)
}

func newDecoder(r io.Reader, opts ReadOptions, inferred []rows.Field, sampled int64) (*Decoder, error) {
	cr := &countingReader{r: r}
	in, err := charset.NewReader(cr, opts.Charset)
	if err != nil {
		return nil, err
	}
	d := &Decoder{sc: newScanner(in, opts.Separator, opts.Quote), opts: opts, counter: cr, sampled: sampled}
	if e, _ := charset.Lookup(opts.Charset); e == nil {
		d.checkUTF8 = true
	}
	if len(opts.NullValues) > 0 {
		d.nulls = map[string]bool{}
		for _, n := range opts.NullValues {
			d.nulls[n] = true
		}
	}
	names, err := d.head()
	if err != nil {
		return nil, err
	}
	if d.schema, d.conv, err = buildSchema(names, opts, inferred); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	return d, nil
}

// head skips rows and reads the header, or peeks the first record to
// count the columns.
func (d *Decoder) head() ([]string, error) {
	for i := 0; i < d.opts.SkipRows; i++ {
		if err := d.sc.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, d.readErr(err)
		}
	}
	for {
		if err := d.sc.next(); err != nil {
			if errors.Is(err, io.EOF) {
				break // empty input: no columns unless declared
			}
			return nil, d.readErr(err)
		}
		if d.opts.SkipEmptyRows && d.sc.empty() {
			continue
		}
		if d.opts.Header {
			if d.sc.malformed != "" {
				line, col := d.sc.locate(d.sc.malCol)
				return nil, &MalformedError{File: d.opts.Name, Line: line, Column: col, Msg: "header: " + d.sc.malformed}
			}
			if err := d.invalidUTF8(); err != nil {
				err.Msg = "header: " + err.Msg
				return nil, err
			}
			names := make([]string, len(d.sc.fields))
			for i, f := range d.sc.fields {
				names[i] = d.text(f)
			}
			return names, nil
		}
		d.pending = true
		names := make([]string, len(d.sc.fields))
		for i := range names {
			names[i] = "column" + strconv.Itoa(i+1)
		}
		return names, nil
	}
	if len(d.opts.Columns) > 0 {
		names := make([]string, len(d.opts.Columns))
		for i, c := range d.opts.Columns {
			names[i] = c.Name
		}
		return names, nil
	}
	return nil, nil
}

func parseKind(t string) (rows.Kind, error) {
	switch strings.ToLower(t) {
	case "", "string":
		return rows.KindString, nil
	case "int", "integer", "long":
		return rows.KindInt, nil
	case "decimal", "number":
		return rows.KindDecimal, nil
	case "float", "double":
		return rows.KindFloat, nil
	case "bool", "boolean":
		return rows.KindBool, nil
	case "date":
		return rows.KindDate, nil
	case "time":
		return rows.KindTime, nil
	case "timestamp", "datetime":
		return rows.KindTimestamp, nil
	case "timestamptz":
		return rows.KindTimestampTZ, nil
	}
	return 0, fmt.Errorf("unknown column type %q (string, int, decimal, float, bool, date, time, timestamp, timestamptz)", t)
}

// buildSchema names the columns (header names made unique, empty ones
// named columnN) and types them from Columns and inference.
func buildSchema(names []string, opts ReadOptions, inferred []rows.Field) (*rows.Schema, []colConv, error) {
	if !opts.Header && len(opts.Columns) > 0 {
		for i, c := range opts.Columns {
			if i < len(names) {
				names[i] = c.Name
			} else {
				names = append(names, c.Name)
			}
		}
	}
	seen := map[string]int{}
	s := &rows.Schema{Fields: make([]rows.Field, len(names))}
	conv := make([]colConv, len(names))
	for i, n := range names {
		if n == "" {
			n = "column" + strconv.Itoa(i+1)
		}
		if k := seen[n]; k > 0 {
			seen[n] = k + 1
			n = n + "_" + strconv.Itoa(k+1)
		}
		seen[n]++
		s.Fields[i] = rows.Field{Name: n, Kind: rows.KindString, Nullable: true}
		if i < len(inferred) {
			s.Fields[i].Kind, s.Fields[i].Precision, s.Fields[i].Scale = inferred[i].Kind, inferred[i].Precision, inferred[i].Scale
		}
		conv[i].kind = s.Fields[i].Kind
	}
	for ci, c := range opts.Columns {
		i := ci
		if opts.Header {
			if i = s.Index(c.Name); i < 0 {
				return nil, nil, fmt.Errorf("column %q is not in the header (%s)", c.Name, strings.Join(s.Names(), ", "))
			}
		}
		k, err := parseKind(c.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		s.Fields[i].Kind = k
		conv[i] = colConv{kind: k}
		if c.Format != "" {
			if conv[i].pat, err = javatime.Compile(c.Format); err != nil {
				return nil, nil, fmt.Errorf("column %q: %w", c.Name, err)
			}
		}
	}
	return s, conv, nil
}

// Schema returns the columns.
func (d *Decoder) Schema() *rows.Schema { return d.schema }

// Err returns the error that stopped Next.
func (d *Decoder) Err() error { return d.err }

// Close releases nothing: the caller owns the underlying reader.
func (d *Decoder) Close() error { return nil }

// Skipped returns the number of malformed records skipped.
func (d *Decoder) Skipped() int64 { return d.skipped }

// BytesRead returns the input bytes consumed so far, for progress.
func (d *Decoder) BytesRead() int64 { return d.counter.n }

// Line returns the line where the last record started.
func (d *Decoder) Line() int { return d.sc.recLine }

func (d *Decoder) readErr(err error) error {
	return fmt.Errorf("%s: read: %w", d.opts.Name, err)
}

// Next reads the next record into row.
func (d *Decoder) Next(row *rows.Row) bool {
	for d.err == nil {
		if d.pending {
			d.pending = false
		} else if err := d.sc.next(); err != nil {
			if !errors.Is(err, io.EOF) {
				d.err = d.readErr(err)
			}
			return false
		}
		if d.opts.SkipEmptyRows && d.sc.empty() {
			continue
		}
		err := d.convert(row)
		if err == nil {
			d.records++
			return true
		}
		if d.opts.SkipMalformed {
			d.skipped++
			continue
		}
		d.err = err
	}
	return false
}

func (d *Decoder) malformed(col int, field, format string, args ...any) error {
	line, c := d.sc.recLine, 0
	if col >= 0 {
		line, c = d.sc.locate(col)
	}
	return &MalformedError{File: d.opts.Name, Line: line, Column: c, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// invalidUTF8 locates the first byte of the last record that is not
// UTF-8, when the input is checked and invalid bytes are not replaced.
// The whole record is checked at once: separators, quotes and line breaks
// are ASCII, so the first invalid byte of the record is that of a field.
func (d *Decoder) invalidUTF8() *MalformedError {
	rec := d.sc.rec
	if !d.checkUTF8 || d.opts.ReplaceInvalidUTF8 || utf8.Valid(rec) {
		return nil
	}
	off := 0
	for off < len(rec) {
		r, size := utf8.DecodeRune(rec[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	line, col := d.sc.locate(off)
	return &MalformedError{File: d.opts.Name, Line: line, Column: col,
		Msg: fmt.Sprintf("byte 0x%02X is not UTF-8: set charset to the file's encoding (ISO-8859-1, windows-1252, ...), or onInvalidUtf8: replace to read it as U+FFFD", rec[off])}
}

// text is a field as a string, invalid UTF-8 replaced when asked.
func (d *Decoder) text(f []byte) string {
	if d.checkUTF8 && d.opts.ReplaceInvalidUTF8 && !utf8.Valid(f) {
		return strings.ToValidUTF8(string(f), "\uFFFD")
	}
	return string(f)
}

func (d *Decoder) convert(row *rows.Row) error {
	sc := d.sc
	if sc.malformed != "" {
		return d.malformed(sc.malCol, "", "%s", sc.malformed)
	}
	if err := d.invalidUTF8(); err != nil {
		return err
	}
	n := len(d.schema.Fields)
	if len(sc.fields) != n && d.opts.ErrorOnDifferentFieldCount {
		return d.malformed(-1, "", "%d fields, expected %d (set errorOnDifferentFieldCount: false to pad or cut records)", len(sc.fields), n)
	}
	row.Reset(n)
	for i := 0; i < n && i < len(sc.fields); i++ {
		f := sc.fields[i]
		if d.nulls != nil && d.nulls[string(f)] {
			continue
		}
		c := d.conv[i]
		if c.kind == rows.KindString {
			if d.checkUTF8 && d.opts.ReplaceInvalidUTF8 && !utf8.Valid(f) {
				row.Values[i] = rows.String(d.text(f))
				continue
			}
			row.Values[i] = rows.StringBytes(f)
			continue
		}
		if len(f) == 0 {
			continue // an empty typed value is null
		}
		v, err := parseTyped(c.kind, c.pat, string(f), d.opts.TimeZone)
		if err != nil {
			msg := err.Error()
			if d.sampled > 0 {
				msg += fmt.Sprintf(" (the type was inferred from the first %d records; declare columns or read a seekable file)", d.sampled)
			}
			return d.malformed(-1, d.schema.Fields[i].Name, "%s", msg)
		}
		row.Values[i] = v
	}
	return nil
}

// parseTyped converts text to a value of kind k. Without a pattern, dates
// and times are ISO-8601.
func parseTyped(k rows.Kind, pat *javatime.Pattern, s string, loc *time.Location) (rows.Value, error) {
	bad := func() (rows.Value, error) { return rows.Null, fmt.Errorf("%q is not a valid %s", s, k) }
	switch k {
	case rows.KindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad()
		}
		return rows.Int(n), nil
	case rows.KindDecimal:
		v, ok := textval.ParseDecimal(s)
		if !ok {
			return bad()
		}
		return v, nil
	case rows.KindFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad()
		}
		return rows.Float(f), nil
	case rows.KindBool:
		b, ok := textval.ParseBool(s)
		if !ok {
			return bad()
		}
		return rows.Bool(b), nil
	}
	if pat != nil {
		fl, err := pat.Parse(s)
		if err != nil {
			return rows.Null, err
		}
		t, _ := fl.Time(loc)
		switch k {
		case rows.KindDate:
			return rows.DateOf(t), nil
		case rows.KindTime:
			return rows.TimeOfDay(int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e6 + int64(t.Nanosecond()/1000)), nil
		case rows.KindTimestamp:
			return rows.TimestampOf(t), nil
		default:
			return rows.TimestampTZOf(t), nil
		}
	}
	switch k {
	case rows.KindDate:
		if days, ok := textval.ParseISODate(s); ok {
			return rows.Date(days), nil
		}
	case rows.KindTime:
		if us, ok := textval.ParseISOTime(s); ok {
			return rows.TimeOfDay(us), nil
		}
	case rows.KindTimestamp:
		if wall, _, hasOff, ok := textval.ParseISODateTime(s); ok && !hasOff {
			return rows.Timestamp(wall), nil
		}
	case rows.KindTimestampTZ:
		if wall, off, hasOff, ok := textval.ParseISODateTime(s); ok {
			if !hasOff {
				return zoneLess(wall, loc), nil
			}
			return rows.TimestampTZ(wall-int64(off)*1e6, off), nil
		}
	}
	return bad()
}

// zoneLess places a wall-clock reading in loc (UTC when nil).
func zoneLess(wall int64, loc *time.Location) rows.Value {
	if loc == nil {
		return rows.TimestampTZ(wall, 0)
	}
	t := time.UnixMicro(wall).UTC()
	lt := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	return rows.TimestampTZOf(lt)
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
