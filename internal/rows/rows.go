package rows

import (
	"errors"
	"fmt"
	"strings"
)

// Field describes one column. Kind is a hint of what the values are
// (KindAny when they vary); values are self-describing, so a reader never
// depends on the hint to decode.
type Field struct {
	Name      string `json:"name"`
	Kind      Kind   `json:"kind"`
	Nullable  bool   `json:"nullable,omitempty"`
	Precision int    `json:"precision,omitempty"` // decimals: total digits; timestamps: fractional digits
	Scale     int    `json:"scale,omitempty"`     // decimals
	// SourceType is the source's own type name (e.g. "DATETIME(6)",
	// "varchar(40)"), kept so a loader can recreate a similar column.
	SourceType string `json:"sourceType,omitempty"`
	// Elem is the element kind of lists, the value kind of maps.
	Elem Kind `json:"elem,omitempty"`
}

// Schema is the ordered list of fields of a row file.
type Schema struct {
	Fields []Field `json:"fields"`
}

// Names returns the field names in order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// Index returns the position of the named field, or -1.
func (s *Schema) Index(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Validate reports empty or duplicate field names.
func (s *Schema) Validate() error {
	seen := make(map[string]bool, len(s.Fields))
	for i, f := range s.Fields {
		if f.Name == "" {
			return fmt.Errorf("schema: field %d has no name", i+1)
		}
		if seen[f.Name] {
			return fmt.Errorf("schema: duplicate field %q", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

func (s *Schema) String() string {
	var b strings.Builder
	for i, f := range s.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteByte(' ')
		b.WriteString(f.Kind.String())
	}
	return b.String()
}

// Row is one record: values in schema order. Readers refill the same Row on
// every Next; Values and anything they point to are valid until then.
type Row struct {
	Values []Value
}

// Reset sizes the row for n values, reusing its memory.
func (r *Row) Reset(n int) {
	if cap(r.Values) < n {
		r.Values = make([]Value, n)
	}
	r.Values = r.Values[:n]
	clear(r.Values)
}

// Clone returns a deep copy of the row.
func (r *Row) Clone() Row {
	out := Row{Values: make([]Value, len(r.Values))}
	for i, v := range r.Values {
		out.Values[i] = v.Clone()
	}
	return out
}

// Reader streams rows.
//
//	for r.Next(&row) { ... }
//	if err := r.Err(); err != nil { ... }
type Reader interface {
	// Schema is known before the first row.
	Schema() *Schema
	// Next fills row with the next record; false at the end or on error.
	Next(row *Row) bool
	// Err returns the error that stopped Next, nil at a clean end.
	Err() error
	Close() error
}

// Writer streams rows into a destination that becomes visible only on Close.
//
//	w, _ := ...
//	defer w.Abort()           // discards unless Close succeeded
//	for ... { w.Write(&row) }
//	return w.Close()          // publishes atomically
type Writer interface {
	Write(row *Row) error
	// Close flushes and publishes; after an error nothing is published.
	Close() error
	// Abort discards everything written; it is a no-op after Close.
	Abort() error
}

// ErrClosed is returned by writes after Close or Abort.
var ErrClosed = errors.New("rows: writer closed")

// SliceReader serves rows held in memory (tests, small outputs).
type SliceReader struct {
	schema *Schema
	rows   []Row
	i      int
}

// NewSliceReader returns a Reader over rows.
func NewSliceReader(schema *Schema, rows []Row) *SliceReader {
	return &SliceReader{schema: schema, rows: rows}
}

func (s *SliceReader) Schema() *Schema { return s.schema }
func (s *SliceReader) Err() error      { return nil }
func (s *SliceReader) Close() error    { return nil }
func (s *SliceReader) Next(row *Row) bool {
	if s.i >= len(s.rows) {
		return false
	}
	row.Reset(len(s.rows[s.i].Values))
	copy(row.Values, s.rows[s.i].Values)
	s.i++
	return true
}

// Copy streams every row of r into w and returns the count. It does not
// close either side.
func Copy(w Writer, r Reader) (int64, error) {
	var row Row
	var n int64
	for r.Next(&row) {
		if err := w.Write(&row); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	return n, r.Err()
}

// RowError locates a problem in a row stream: 1-based row, optional column.
type RowError struct {
	Row    int64
	Column string
	Value  string
	Err    error
}

// Permanent reports that a row's problem (a value that does not convert,
// a row of the wrong shape) does not go away when the task runs again: the
// executor does not retry it (plugin.IsPermanent).
func (e *RowError) Permanent() bool { return true }

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	if e.Value != "" {
		v := e.Value
		if len(v) > 80 {
			v = v[:77] + "..."
		}
		fmt.Fprintf(&b, ", value %q", v)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }
