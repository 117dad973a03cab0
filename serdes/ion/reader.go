// Package ion reads and writes Kestra's internal storage files: Amazon Ion
// text, one value per line, each a struct (a row). Kestra flows pass .ion
// files between tasks; these converters let sluice read what Kestra wrote
// and write files Kestra reads, keeping decimals and timestamps exact.
//
// Reading uses github.com/amazon-ion/ion-go; writing emits Ion text
// directly (the subset rows need), and tests read it back with ion-go.
package ion

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/amazon-ion/ion-go/ion"

	"github.com/sluicehq/sluice/internal/rows"
)

// maxFields bounds distinct top-level field names (see json.InferSchema).
const maxFields = 10000

// ReadOptions configures a reader.
type ReadOptions struct {
	// Schema, when set, is used as is (no inference pass); a field not in
	// it is an error.
	Schema *rows.Schema
	// Name is the file name or URI used in error messages.
	Name string
}

// Decoder reads top-level Ion structs as rows; it implements rows.Reader.
type Decoder struct {
	r       ion.Reader
	name    string
	schema  *rows.Schema
	index   map[string]int
	records int64
	err     error
}

// NewReader returns a reader over r. Without opts.Schema, r must be an
// io.ReadSeeker: it is scanned once for the union of top-level field names
// (first-seen order) and rewound.
func NewReader(r io.Reader, opts ReadOptions) (*Decoder, error) {
	schema := opts.Schema
	if schema == nil {
		rs, ok := r.(io.ReadSeeker)
		if !ok {
			return nil, fmt.Errorf("%s: ion: a schema or a seekable input is needed (the columns are the union of all records' fields)", opts.Name)
		}
		pos, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		if schema, err = InferSchema(rs, opts.Name); err != nil {
			return nil, err
		}
		if _, err := rs.Seek(pos, io.SeekStart); err != nil {
			return nil, err
		}
	}
	if err := schema.Validate(); err != nil {
		return nil, err
	}
	d := &Decoder{r: ion.NewReader(r), name: opts.Name, schema: schema, index: map[string]int{}}
	for i, f := range schema.Fields {
		d.index[f.Name] = i
	}
	return d, nil
}

// InferSchema scans every top-level struct and returns the union of their
// field names in first-seen order, with a kind per field when all its
// non-null values agree (ints and decimals together give decimal), else
// KindAny; fields missing from a record or null are nullable.
func InferSchema(r io.Reader, name string) (*rows.Schema, error) {
	ir := ion.NewReader(r)
	type stat struct {
		kind  rows.Kind
		mixed bool
		seen  int64
		null  bool
		scale int
		digs  int
	}
	var (
		stats   []*stat
		s       = &rows.Schema{}
		index   = map[string]int{}
		records int64
		lists   bool
	)
	for ir.Next() {
		records++
		list := ir.Type() == ion.ListType && !ir.IsNull()
		if (ir.Type() != ion.StructType && !list) || ir.IsNull() {
			return nil, fmt.Errorf("%s: value %d: expected a struct or a list (a row), found %s", name, records, ir.Type())
		}
		if records == 1 {
			lists = list
		} else if list != lists {
			return nil, fmt.Errorf("%s: value %d: a %s among rows that are %ss", name, records, ir.Type(), map[bool]string{true: "list", false: "struct"}[lists])
		}
		if err := ir.StepIn(); err != nil {
			return nil, fmt.Errorf("%s: value %d: %w", name, records, err)
		}
		for pos := 0; ir.Next(); pos++ {
			var key string
			if list {
				// Kestra's CsvReader without a header writes a list
				// per row: columns by position, named as CSV names them.
				key = "column" + strconv.Itoa(pos+1)
			} else {
				fn, err := ir.FieldName()
				if err != nil || fn == nil || fn.Text == nil {
					return nil, fmt.Errorf("%s: value %d: field without a name: %v", name, records, err)
				}
				key = *fn.Text
			}
			i, ok := index[key]
			if !ok {
				if len(stats) >= maxFields {
					return nil, fmt.Errorf("%s: more than %d distinct fields", name, maxFields)
				}
				i = len(stats)
				index[key] = i
				stats = append(stats, &stat{})
				s.Fields = append(s.Fields, rows.Field{Name: key})
			}
			st := stats[i]
			if ir.IsNull() {
				st.null = true
				continue
			}
			k := kindOfType(ir)
			if k == rows.KindDecimal {
				if d, err := ir.DecimalValue(); err == nil && d != nil {
					coef, exp := d.CoEx()
					sc := int(-exp)
					st.scale = max(st.scale, sc)
					st.digs = max(st.digs, len(new(big.Int).Abs(coef).String())-sc)
				}
			}
			st.seen++
			switch {
			case st.kind == rows.KindNull || st.kind == k:
				st.kind = k
			case (st.kind == rows.KindInt && k == rows.KindDecimal) || (st.kind == rows.KindDecimal && k == rows.KindInt):
				st.kind = rows.KindDecimal
			default:
				st.mixed = true
			}
		}
		if err := ir.StepOut(); err != nil {
			return nil, fmt.Errorf("%s: value %d: %w", name, records, err)
		}
	}
	if err := ir.Err(); err != nil {
		return nil, fmt.Errorf("%s: value %d: %w", name, records+1, err)
	}
	for i, st := range stats {
		f := &s.Fields[i]
		f.Kind, f.Nullable = st.kind, st.null || st.seen < records
		if st.mixed || st.kind == rows.KindNull {
			f.Kind, f.Nullable = rows.KindAny, true
		}
		if f.Kind == rows.KindDecimal {
			f.Scale, f.Precision = st.scale, max(1, max(st.digs, 0)+st.scale)
		}
		if f.Kind == rows.KindList || f.Kind == rows.KindMap {
			f.Elem = rows.KindAny
		}
	}
	return s, nil
}

// kindOfType is the row kind a non-null Ion value reads as.
func kindOfType(r ion.Reader) rows.Kind {
	switch r.Type() {
	case ion.BoolType:
		return rows.KindBool
	case ion.IntType:
		if sz, err := r.IntSize(); err == nil && sz == ion.BigInt {
			return rows.KindDecimal
		}
		return rows.KindInt
	case ion.FloatType:
		return rows.KindFloat
	case ion.DecimalType:
		return rows.KindDecimal
	case ion.TimestampType:
		ts, err := r.TimestampValue()
		if err != nil || ts == nil {
			return rows.KindAny
		}
		return timestampKind(ts)
	case ion.StringType, ion.SymbolType:
		return rows.KindString
	case ion.BlobType, ion.ClobType:
		return rows.KindBytes
	case ion.ListType, ion.SexpType:
		return rows.KindList
	case ion.StructType:
		return rows.KindMap
	}
	return rows.KindAny
}

func timestampKind(ts *ion.Timestamp) rows.Kind {
	switch {
	case ts.GetPrecision() <= ion.TimestampPrecisionDay:
		return rows.KindDate
	case ts.GetTimezoneKind() == ion.TimezoneUnspecified:
		return rows.KindTimestamp
	}
	return rows.KindTimestampTZ
}

// Schema returns the columns.
func (d *Decoder) Schema() *rows.Schema { return d.schema }

// Err returns the error that stopped Next.
func (d *Decoder) Err() error { return d.err }

// Close releases nothing: the caller owns the underlying reader.
func (d *Decoder) Close() error { return nil }

// Next reads the next struct into row.
func (d *Decoder) Next(row *rows.Row) bool {
	if d.err != nil || !d.r.Next() {
		if d.err == nil && d.r.Err() != nil {
			d.err = fmt.Errorf("%s: value %d: %w", d.name, d.records+1, d.r.Err())
		}
		return false
	}
	n := d.records + 1
	list := d.r.Type() == ion.ListType
	if (d.r.Type() != ion.StructType && !list) || d.r.IsNull() {
		d.err = fmt.Errorf("%s: value %d: expected a struct or a list (a row), found %s", d.name, n, d.r.Type())
		return false
	}
	row.Reset(len(d.schema.Fields))
	if err := d.r.StepIn(); err != nil {
		d.err = fmt.Errorf("%s: value %d: %w", d.name, n, err)
		return false
	}
	for pos := 0; d.r.Next(); pos++ {
		i := pos
		if list {
			if i >= len(d.schema.Fields) {
				d.err = fmt.Errorf("%s: value %d: %d items, the schema has %d columns", d.name, n, pos+1, len(d.schema.Fields))
				return false
			}
		} else {
			fn, err := d.r.FieldName()
			if err != nil || fn == nil || fn.Text == nil {
				d.err = fmt.Errorf("%s: value %d: field without a name: %v", d.name, n, err)
				return false
			}
			var ok bool
			if i, ok = d.index[*fn.Text]; !ok {
				d.err = fmt.Errorf("%s: value %d: field %q is not in the schema", d.name, n, *fn.Text)
				return false
			}
		}
		v, err := ReadValue(d.r)
		if err != nil {
			d.err = fmt.Errorf("%s: value %d, field %q: %w", d.name, n, d.schema.Fields[i].Name, err)
			return false
		}
		if d.schema.Fields[i].Kind == rows.KindDecimal && v.Kind() == rows.KindInt {
			v = rows.Decimal(v.AsInt(), 0)
		}
		row.Values[i] = v
	}
	if err := d.r.StepOut(); err != nil {
		d.err = fmt.Errorf("%s: value %d: %w", d.name, n, err)
		return false
	}
	if err := d.r.Err(); err != nil {
		d.err = fmt.Errorf("%s: value %d: %w", d.name, n, err)
		return false
	}
	d.records++
	return true
}

// ReadValue reads the current value of r as a row value (allocating:
// ion-go hands out fresh values anyway). It is the one Ion → rows mapping:
// big ints and positive exponents become exact decimals, date-precision
// timestamps dates, structs maps.
func ReadValue(r ion.Reader) (rows.Value, error) {
	if r.IsNull() {
		return rows.Null, nil
	}
	switch r.Type() {
	case ion.BoolType:
		b, err := r.BoolValue()
		if err != nil {
			return rows.Null, err
		}
		return rows.Bool(*b), nil
	case ion.IntType:
		sz, err := r.IntSize()
		if err != nil {
			return rows.Null, err
		}
		if sz == ion.BigInt {
			bi, err := r.BigIntValue()
			if err != nil {
				return rows.Null, err
			}
			return rows.DecimalBig(bi, 0), nil
		}
		i, err := r.Int64Value()
		if err != nil {
			return rows.Null, err
		}
		return rows.Int(*i), nil
	case ion.FloatType:
		f, err := r.FloatValue()
		if err != nil {
			return rows.Null, err
		}
		return rows.Float(*f), nil
	case ion.DecimalType:
		dv, err := r.DecimalValue()
		if err != nil {
			return rows.Null, err
		}
		coef, exp := dv.CoEx()
		if exp > 0 {
			coef = new(big.Int).Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
			exp = 0
		}
		return rows.DecimalBig(coef, -exp), nil
	case ion.TimestampType:
		ts, err := r.TimestampValue()
		if err != nil {
			return rows.Null, err
		}
		return timestampValue(ts), nil
	case ion.StringType:
		s, err := r.StringValue()
		if err != nil {
			return rows.Null, err
		}
		return rows.String(*s), nil
	case ion.SymbolType:
		st, err := r.SymbolValue()
		if err != nil {
			return rows.Null, err
		}
		if st.Text == nil {
			return rows.String(fmt.Sprintf("$%d", st.LocalSID)), nil
		}
		return rows.String(*st.Text), nil
	case ion.BlobType, ion.ClobType:
		b, err := r.ByteValue()
		if err != nil {
			return rows.Null, err
		}
		return rows.Bytes(b), nil
	case ion.ListType, ion.SexpType, ion.StructType:
		isStruct := r.Type() == ion.StructType
		if err := r.StepIn(); err != nil {
			return rows.Null, err
		}
		var items []rows.Value
		for r.Next() {
			if isStruct {
				fn, err := r.FieldName()
				if err != nil || fn == nil || fn.Text == nil {
					return rows.Null, fmt.Errorf("field without a name: %v", err)
				}
				items = append(items, rows.String(*fn.Text))
			}
			v, err := ReadValue(r)
			if err != nil {
				return rows.Null, err
			}
			items = append(items, v)
		}
		if err := r.StepOut(); err != nil {
			return rows.Null, err
		}
		if isStruct {
			return rows.MapOf(items), nil
		}
		return rows.List(items), nil
	}
	return rows.Null, errors.New("unsupported Ion type " + r.Type().String())
}

// timestampValue maps Ion timestamps: date precision → date; no offset
// (-00:00) → zone-less timestamp; otherwise an instant with its offset.
// Fractions beyond microseconds are truncated.
func timestampValue(ts *ion.Timestamp) rows.Value {
	t := ts.GetDateTime()
	switch timestampKind(ts) {
	case rows.KindDate:
		return rows.DateOf(t)
	case rows.KindTimestamp:
		return rows.TimestampOf(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC))
	}
	return rows.TimestampTZOf(t)
}
