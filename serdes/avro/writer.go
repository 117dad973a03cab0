package avro

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2/ocf"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/serdes/internal/textval"
	"github.com/sluicehq/sluice/serdes/javatime"
)

// Kestra's AvroWriter defaults.
var (
	DefaultTrueValues  = []string{"t", "true", "enabled", "1", "on", "yes"}
	DefaultFalseValues = []string{"f", "false", "disabled", "0", "off", "no", ""}
	DefaultNullValues  = []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "1.#IND", "1.#QNAN", "NA", "n/a", "nan", "null"}
)

// Kestra's default patterns.
const (
	DefaultDateFormat     = "yyyy-MM-dd[XXX]"
	DefaultTimeFormat     = "HH:mm[:ss][.SSSSSS][XXX]"
	DefaultDateTimeFormat = "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]"
)

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
	// Text read as true, false, null (nil: Kestra's defaults).
	TrueValues, FalseValues, NullValues []string
	// Java patterns used to convert text into dates, times and timestamps
	// (empty: Kestra's defaults, ISO-8601 with optional parts).
	DateFormat, TimeFormat, DateTimeFormat string
	// TimeZone is where zone-less text and timestamps become instants and
	// instants become local timestamps (UTC when nil).
	TimeZone *time.Location
	// Codec: null (default), deflate, snappy or zstandard.
	Codec string
}

// Encoder writes rows as an Avro Object Container File. It implements
// rows.Writer; Close flushes the last block but does not close the
// underlying writer.
type Encoder struct {
	ocf     *ocf.Encoder
	root    *node
	schema  *rows.Schema
	mapping []int // per record field: column index, -1 for none
	opts    WriteOptions
	trues   map[string]bool
	falses  map[string]bool
	nulls   map[string]bool
	date    *javatime.Pattern
	tod     *javatime.Pattern
	dt      *javatime.Pattern
	loc     *time.Location
	buf     []byte
	tmp     []byte
	rows    int64
	closed  bool
	js      string
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
	parsed, root, err := parseSchema(js)
	if err != nil {
		return nil, err
	}
	if root.t != tRecord {
		return nil, fmt.Errorf("avro schema: the top-level type must be a record, not %s", root)
	}
	e := &Encoder{root: root, schema: schema, opts: opts, js: js, loc: opts.TimeZone}
	if e.loc == nil {
		e.loc = time.UTC
	}
	e.trues = set(opts.TrueValues, DefaultTrueValues)
	e.falses = set(opts.FalseValues, DefaultFalseValues)
	e.nulls = set(opts.NullValues, DefaultNullValues)
	for _, p := range []struct {
		src, def string
		dst      **javatime.Pattern
		nm       string
	}{{opts.DateFormat, DefaultDateFormat, &e.date, "dateFormat"}, {opts.TimeFormat, DefaultTimeFormat, &e.tod, "timeFormat"}, {opts.DateTimeFormat, DefaultDateTimeFormat, &e.dt, "datetimeFormat"}} {
		src := p.src
		if src == "" {
			src = p.def
		}
		if *p.dst, err = javatime.Compile(src); err != nil {
			return nil, fmt.Errorf("%s: %w", p.nm, err)
		}
	}
	// Map record fields to columns.
	used := make([]bool, len(schema.Fields))
	for i, f := range root.fields {
		idx := -1
		if inferred {
			idx = i
		} else {
			idx = schema.Index(f.name)
			for _, a := range f.aliases {
				if idx >= 0 {
					break
				}
				idx = schema.Index(a)
			}
		}
		if idx < 0 && !f.hasDefault && !accepts(f.node, rows.KindNull) {
			return nil, fmt.Errorf("avro schema field %q (%s) has no column of that name, no default and is not nullable (columns: %s)", f.name, f.node, strings.Join(schema.Names(), ", "))
		}
		if idx >= 0 {
			used[idx] = true
		}
		e.mapping = append(e.mapping, idx)
	}
	if opts.StrictSchema {
		var extra []string
		for i, u := range used {
			if !u {
				extra = append(extra, schema.Fields[i].Name)
			}
		}
		if len(extra) > 0 {
			return nil, fmt.Errorf("strictSchema: columns %s are not in the avro schema", strings.Join(extra, ", "))
		}
	}
	codec := ocf.Null
	switch strings.ToLower(opts.Codec) {
	case "", "null":
	case "deflate":
		codec = ocf.Deflate
	case "snappy":
		codec = ocf.Snappy
	case "zstandard", "zstd":
		codec = ocf.ZStandard
	default:
		return nil, fmt.Errorf("unknown avro codec %q (null, deflate, snappy, zstandard)", opts.Codec)
	}
	enc, err := ocf.NewEncoderWithSchema(parsed, w, ocf.WithCodec(codec), ocf.WithBlockLength(0),
		ocf.WithBlockSize(256<<10), ocf.WithSchemaMarshaler(ocf.FullSchemaMarshaler))
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	e.ocf = enc
	return e, nil
}

// SchemaJSON returns the Avro schema written in the file header.
func (e *Encoder) SchemaJSON() string { return e.js }

// Rows returns the number of rows written.
func (e *Encoder) Rows() int64 { return e.rows }

func set(vals, def []string) map[string]bool {
	if vals == nil {
		vals = def
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// accepts reports whether n can hold a value of kind k without conversion.
func accepts(n *node, k rows.Kind) bool {
	if n.t == tUnion {
		for _, b := range n.branches {
			if accepts(b, k) {
				return true
			}
		}
		return false
	}
	if k == rows.KindNull {
		return n.t == tNull
	}
	return kindOf(n) == k
}

// Write appends one row.
func (e *Encoder) Write(row *rows.Row) error {
	if e.closed {
		return rows.ErrClosed
	}
	e.buf = e.buf[:0]
	for i, f := range e.root.fields {
		var v rows.Value
		idx := e.mapping[i]
		if idx >= 0 && idx < len(row.Values) {
			v = row.Values[idx]
		} else if idx < 0 && f.hasDefault {
			v = f.def
		}
		var err error
		if e.buf, err = e.encode(e.buf, f.node, v); err != nil {
			var fe *fieldError
			col := f.name
			if errors.As(err, &fe) {
				col += fe.path
				err = fe.err
			}
			val := ""
			if !v.IsNull() {
				val = v.String()
			}
			return &rows.RowError{Row: e.rows + 1, Column: col, Value: val, Err: err}
		}
	}
	if _, err := e.ocf.Write(e.buf); err != nil {
		return fmt.Errorf("avro: write: %w", err)
	}
	e.rows++
	return nil
}

// Close writes the last block.
func (e *Encoder) Close() error {
	if e.closed {
		return rows.ErrClosed
	}
	e.closed = true
	return e.ocf.Close()
}

// Abort stops the encoder; what was written so far is the caller's to
// discard.
func (e *Encoder) Abort() error {
	e.closed = true
	return nil
}

var _ rows.Writer = (*Encoder)(nil)

// fieldError carries the path inside a nested value (".a[2].b").
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + ": " + e.err.Error() }

func nested(path string, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return &fieldError{path: path + fe.path, err: fe.err}
	}
	return &fieldError{path: path, err: err}
}

func appendLong(b []byte, n int64) []byte {
	return binary.AppendUvarint(b, uint64(n<<1)^uint64(n>>63))
}

func appendBytes(b, p []byte) []byte {
	b = appendLong(b, int64(len(p)))
	return append(b, p...)
}

func (e *Encoder) cannot(v rows.Value, n *node) error {
	return fmt.Errorf("cannot write a %s value as %s", v.Kind(), n)
}

// preprocess applies the null/true/false text lists, as Kestra does:
// null texts become null where the schema accepts null, and true/false
// texts become booleans where it accepts a boolean; where it also accepts
// a string, only with InferAllFields (so that "NA" stays a string in a
// nullable string column unless asked).
func (e *Encoder) preprocess(n *node, v rows.Value) rows.Value {
	if v.Kind() != rows.KindString || (n.takesString && !e.opts.InferAllFields) {
		return v
	}
	if !n.takesNull && !n.takesBool {
		return v
	}
	s := v.AsString()
	if n.takesNull && e.nulls[s] {
		return rows.Null
	}
	if n.takesBool {
		if e.trues[s] {
			return rows.Bool(true)
		}
		if e.falses[s] {
			return rows.Bool(false)
		}
	}
	return v
}

func (e *Encoder) encode(dst []byte, n *node, v rows.Value) ([]byte, error) {
	v = e.preprocess(n, v)
	if n.t == tUnion {
		return e.encodeUnion(dst, n, v)
	}
	if v.IsNull() {
		if n.t == tNull {
			return dst, nil
		}
		return dst, fmt.Errorf("null value for the non-nullable type %s", n)
	}
	switch n.logical {
	case lDecimal:
		return e.encodeDecimal(dst, n, v)
	case lUUID:
		return e.encodeUUID(dst, n, v)
	case lDate:
		d, err := e.toDate(v)
		if err != nil {
			return dst, err
		}
		if d < math.MinInt32 || d > math.MaxInt32 {
			return dst, fmt.Errorf("date out of range for Avro int")
		}
		return appendLong(dst, d), nil
	case lTimeMillis, lTimeMicros:
		us, err := e.toTime(v)
		if err != nil {
			return dst, err
		}
		if n.logical == lTimeMillis {
			if us%1000 != 0 {
				return dst, fmt.Errorf("time %s has microseconds but the schema's time-millis keeps milliseconds", textval.AppendTime(nil, us))
			}
			return appendLong(dst, us/1000), nil
		}
		return appendLong(dst, us), nil
	case lTsMillis, lTsMicros:
		us, err := e.toInstant(v, n.logical == lTsMillis)
		if err != nil {
			return dst, err
		}
		return e.appendMicros(dst, us, n.logical == lTsMillis)
	case lLocalTsMillis, lLocalTsMicros:
		us, err := e.toLocal(v, n.logical == lLocalTsMillis)
		if err != nil {
			return dst, err
		}
		return e.appendMicros(dst, us, n.logical == lLocalTsMillis)
	}
	switch n.t {
	case tNull:
		return dst, fmt.Errorf("a %s value where the schema allows only null", v.Kind())
	case tBool:
		switch v.Kind() {
		case rows.KindBool:
			if v.AsBool() {
				return append(dst, 1), nil
			}
			return append(dst, 0), nil
		case rows.KindInt:
			if v.AsInt() == 0 || v.AsInt() == 1 {
				return append(dst, byte(v.AsInt())), nil
			}
		}
		return dst, e.cannot(v, n)
	case tInt, tLong:
		x, err := toInt(v)
		if err != nil {
			return dst, err
		}
		if n.t == tInt && (x < math.MinInt32 || x > math.MaxInt32) {
			return dst, fmt.Errorf("%d does not fit an Avro int (32 bits)", x)
		}
		return appendLong(dst, x), nil
	case tFloat, tDouble:
		f, err := toFloat(v)
		if err != nil {
			return dst, err
		}
		if n.t == tFloat {
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(f))), nil
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), nil
	case tString:
		return appendBytes(dst, e.text(v)), nil
	case tBytes:
		switch v.Kind() {
		case rows.KindBytes, rows.KindString:
			return appendBytes(dst, v.AsBytes()), nil
		}
		return dst, e.cannot(v, n)
	case tFixed:
		switch v.Kind() {
		case rows.KindBytes, rows.KindString:
			if len(v.AsBytes()) != n.size {
				return dst, fmt.Errorf("%d bytes for fixed(%d)", len(v.AsBytes()), n.size)
			}
			return append(dst, v.AsBytes()...), nil
		}
		return dst, e.cannot(v, n)
	case tEnum:
		if v.Kind() != rows.KindString {
			return dst, e.cannot(v, n)
		}
		i, ok := n.symIndex[v.AsString()]
		if !ok {
			return dst, fmt.Errorf("%q is not a symbol of enum %s (%s)", v.AsString(), n.name, strings.Join(n.symbols, ", "))
		}
		return appendLong(dst, int64(i)), nil
	case tArray:
		if v.Kind() != rows.KindList {
			return dst, e.cannot(v, n)
		}
		items := v.Items()
		if len(items) > 0 {
			dst = appendLong(dst, int64(len(items)))
			for i, x := range items {
				var err error
				if dst, err = e.encode(dst, n.items, x); err != nil {
					return dst, nested("["+strconv.Itoa(i)+"]", err)
				}
			}
		}
		return append(dst, 0), nil
	case tMap:
		if v.Kind() != rows.KindMap {
			return dst, e.cannot(v, n)
		}
		if v.Len() > 0 {
			dst = appendLong(dst, int64(v.Len()))
			for i := 0; i < v.Len(); i++ {
				k, x := v.Entry(i)
				dst = appendBytes(dst, []byte(k))
				var err error
				if dst, err = e.encode(dst, n.values, x); err != nil {
					return dst, nested("."+k, err)
				}
			}
		}
		return append(dst, 0), nil
	case tRecord:
		if v.Kind() != rows.KindMap {
			return dst, e.cannot(v, n)
		}
		for _, f := range n.fields {
			x, ok := v.Get(f.name)
			for _, a := range f.aliases {
				if ok {
					break
				}
				x, ok = v.Get(a)
			}
			if !ok && f.hasDefault {
				x = f.def
			}
			var err error
			if dst, err = e.encode(dst, f.node, x); err != nil {
				return dst, nested("."+f.name, err)
			}
		}
		if e.opts.StrictSchema {
			for i := 0; i < v.Len(); i++ {
				k, _ := v.Entry(i)
				found := false
				for _, f := range n.fields {
					if f.name == k {
						found = true
						break
					}
				}
				if !found {
					return dst, fmt.Errorf("strictSchema: key %q is not in record %s", k, n.name)
				}
			}
		}
		return dst, nil
	}
	return dst, e.cannot(v, n)
}

func (e *Encoder) encodeUnion(dst []byte, n *node, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		if n.nullIndex < 0 {
			return dst, fmt.Errorf("null value for a union without null (%d branches)", len(n.branches))
		}
		return appendLong(dst, int64(n.nullIndex)), nil
	}
	// A branch of the value's own kind first, then any that converts.
	k := v.Kind()
	for i, b := range n.branches {
		if b.t != tNull && b.t != tUnion && kindOf(b) == k {
			out, err := e.encode(appendLong(dst, int64(i)), b, v)
			if err == nil {
				return out, nil
			}
			if len(n.branches) <= 2 {
				return dst, err // the only candidate: report its error
			}
		}
	}
	var first error
	for i, b := range n.branches {
		if b.t == tNull {
			continue
		}
		out, err := e.encode(appendLong(dst, int64(i)), b, v)
		if err == nil {
			return out, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = e.cannot(v, n)
	}
	return dst, first
}

func (e *Encoder) appendMicros(dst []byte, us int64, millis bool) ([]byte, error) {
	if millis {
		if us%1000 != 0 {
			return dst, fmt.Errorf("value has microseconds but the schema's type keeps milliseconds")
		}
		return appendLong(dst, us/1000), nil
	}
	return appendLong(dst, us), nil
}

// text renders any value as text for string fields: strings as they are,
// decimals exactly, temporal values ISO-8601, bytes base64, lists and maps
// as JSON.
func (e *Encoder) text(v rows.Value) []byte {
	switch v.Kind() {
	case rows.KindString, rows.KindBytes:
		if v.Kind() == rows.KindBytes {
			return base64.StdEncoding.AppendEncode(e.tmp[:0], v.AsBytes())
		}
		return v.AsBytes()
	case rows.KindDecimal:
		e.tmp = textval.AppendDecimal(e.tmp[:0], v)
	case rows.KindDate, rows.KindTime, rows.KindTimestamp, rows.KindTimestampTZ:
		e.tmp = textval.AppendISO(e.tmp[:0], v, nil)
	case rows.KindList, rows.KindMap:
		e.tmp, _ = rows.AppendJSON(e.tmp[:0], v)
	default:
		e.tmp = append(e.tmp[:0], v.String()...)
	}
	return e.tmp
}

func toInt(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindInt:
		return v.AsInt(), nil
	case rows.KindBool:
		if v.AsBool() {
			return 1, nil
		}
		return 0, nil
	case rows.KindDecimal:
		r := v.Rat()
		if r.IsInt() && r.Num().IsInt64() {
			return r.Num().Int64(), nil
		}
		return 0, fmt.Errorf("%s is not a whole number that fits 64 bits", v.DecimalString())
	case rows.KindFloat:
		f := v.AsFloat()
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
		return 0, fmt.Errorf("%s is not a whole number", rows.FormatFloat(f))
	case rows.KindString:
		n, err := strconv.ParseInt(strings.TrimSpace(v.AsString()), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", v.AsString())
		}
		return n, nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to an integer", v.Kind())
}

func toFloat(v rows.Value) (float64, error) {
	switch v.Kind() {
	case rows.KindFloat:
		return v.AsFloat(), nil
	case rows.KindInt:
		return float64(v.AsInt()), nil
	case rows.KindDecimal:
		return strconv.ParseFloat(v.DecimalString(), 64)
	case rows.KindString:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.AsString()), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v.AsString())
		}
		return f, nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to a floating-point number", v.Kind())
}

var pow10 = func() (t [19]int64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// encodeDecimal writes v at the schema's scale, refusing to drop digits
// and checking precision.
func (e *Encoder) encodeDecimal(dst []byte, n *node, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindDecimal:
	case rows.KindInt:
		v = rows.Decimal(v.AsInt(), 0)
	case rows.KindString:
		d, ok := textval.ParseDecimal(strings.TrimSpace(v.AsString()))
		if !ok {
			return dst, fmt.Errorf("%q is not a decimal number", v.AsString())
		}
		v = d
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, fmt.Errorf("%s cannot be a decimal", rows.FormatFloat(f))
		}
		d, _ := rows.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
		v = d
	default:
		return dst, e.cannot(v, n)
	}
	scale := int(v.Scale())
	// Fast path: int64 unscaled, no precision trouble.
	if !v.IsBigDecimal() && scale <= n.scale && n.scale-scale < len(pow10) {
		u := v.Raw()
		m := pow10[n.scale-scale]
		if u == 0 || (u > 0 && u <= math.MaxInt64/m) || (u < 0 && u >= math.MinInt64/m) {
			u *= m
			if digits64(u) > n.precision {
				return dst, fmt.Errorf("%s has more digits than the schema's decimal(%d,%d) holds", v.DecimalString(), n.precision, n.scale)
			}
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(u))
			k := 0 // minimal two's complement
			for k < 7 && ((b[k] == 0 && b[k+1]&0x80 == 0) || (b[k] == 0xff && b[k+1]&0x80 != 0)) {
				k++
			}
			return e.appendUnscaled(dst, n, b[k:], u < 0)
		}
	}
	// 128-bit path: int64 unscaled scaled up by at most 10^19 (the common
	// case of a double-like decimal under a wide scale), no big.Int.
	if !v.IsBigDecimal() && scale <= n.scale && n.scale-scale < 20 {
		if b, ok := scale128(v.Raw(), n.scale-scale, n.precision); ok {
			return e.appendUnscaled(dst, n, b, v.Raw() < 0)
		} else if b == nil && n.precision < 39 {
			return dst, fmt.Errorf("%s has more digits than the schema's decimal(%d,%d) holds", v.DecimalString(), n.precision, n.scale)
		}
	}
	u := v.Unscaled()
	if scale < n.scale {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.scale-scale)), nil))
	} else if scale > n.scale {
		q, r := new(big.Int).QuoRem(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-n.scale)), nil), new(big.Int))
		if r.Sign() != 0 {
			return dst, fmt.Errorf("%s has scale %d, more than the schema's decimal(%d,%d): it would be truncated", v.DecimalString(), scale, n.precision, n.scale)
		}
		u = q
	}
	if len(new(big.Int).Abs(u).String()) > n.precision && u.Sign() != 0 {
		return dst, fmt.Errorf("%s has more digits than the schema's decimal(%d,%d) holds", v.DecimalString(), n.precision, n.scale)
	}
	return e.appendUnscaled(dst, n, rows.DecimalBig(u, 0).DecimalBytes(), u.Sign() < 0)
}

// scale128 returns the minimal two's-complement bytes of u × 10^k when the
// result has at most precision digits (ok); nil, false when it has more
// (only meaningful for precision < 39); non-nil, false never.
func scale128(u int64, k, precision int) ([]byte, bool) {
	neg := u < 0
	mag := uint64(u)
	if neg {
		mag = uint64(-u) // MinInt64 wraps to 1<<63, its magnitude
	}
	hi, lo := bits.Mul64(mag, uint64(pow10u[k]))
	// digits: smallest d with value < 10^d
	d := 1
	for d < 39 && !less128(hi, lo, pow10x128[d]) {
		d++
	}
	if d > precision {
		return nil, false
	}
	if neg { // two's complement of the 128-bit magnitude
		lo, hi = ^lo+1, ^hi
		if lo == 0 {
			hi++
		}
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	i := 0
	for i < 15 && ((b[i] == 0 && b[i+1]&0x80 == 0) || (b[i] == 0xff && b[i+1]&0x80 != 0)) {
		i++
	}
	return b[i:], true
}

var pow10u = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// pow10x128[d] is 10^d as (hi, lo), d in 0..38.
var pow10x128 = func() (t [39][2]uint64) {
	hi, lo := uint64(0), uint64(1)
	for d := 0; d < 39; d++ {
		t[d] = [2]uint64{hi, lo}
		h1, l1 := bits.Mul64(lo, 10)
		hi = hi*10 + h1
		lo = l1
	}
	return t
}()

func less128(hi, lo uint64, p [2]uint64) bool {
	return hi < p[0] || (hi == p[0] && lo < p[1])
}

func digits64(u int64) int {
	if u < 0 {
		if u == math.MinInt64 {
			return 19
		}
		u = -u
	}
	d := 1
	for u >= 10 {
		u /= 10
		d++
	}
	return d
}

// appendUnscaled writes two's-complement bytes: length-prefixed for bytes,
// sign-extended to the size for fixed.
func (e *Encoder) appendUnscaled(dst []byte, n *node, b []byte, neg bool) ([]byte, error) {
	if n.t == tBytes {
		return appendBytes(dst, b), nil
	}
	if len(b) > n.size {
		return dst, fmt.Errorf("decimal needs %d bytes, more than fixed(%d)", len(b), n.size)
	}
	pad := byte(0)
	if neg {
		pad = 0xff
	}
	for i := len(b); i < n.size; i++ {
		dst = append(dst, pad)
	}
	return append(dst, b...), nil
}

func (e *Encoder) encodeUUID(dst []byte, n *node, v rows.Value) ([]byte, error) {
	var raw [16]byte
	switch v.Kind() {
	case rows.KindString:
		s := v.AsString()
		h := strings.ReplaceAll(s, "-", "")
		if len(s) != 36 || len(h) != 32 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return dst, fmt.Errorf("%q is not a UUID", s)
		}
		for i := 0; i < 16; i++ {
			x, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
			if err != nil {
				return dst, fmt.Errorf("%q is not a UUID", s)
			}
			raw[i] = byte(x)
		}
	case rows.KindBytes:
		if len(v.AsBytes()) != 16 {
			return dst, fmt.Errorf("%d bytes is not a UUID", len(v.AsBytes()))
		}
		copy(raw[:], v.AsBytes())
	default:
		return dst, e.cannot(v, n)
	}
	if n.t == tFixed {
		return append(dst, raw[:]...), nil
	}
	s := fmt.Sprintf("%x-%x-%x-%x-%x", raw[0:4], raw[4:6], raw[6:8], raw[8:10], raw[10:16])
	return appendBytes(dst, []byte(s)), nil
}

func microsOfDay(t time.Time) int64 {
	return int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e6 + int64(t.Nanosecond()/1000)
}

func (e *Encoder) toDate(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindDate:
		return v.Raw(), nil
	case rows.KindTimestamp:
		d := v.Raw() / 86400e6
		if v.Raw() < 0 && v.Raw()%86400e6 != 0 {
			d--
		}
		return d, nil
	case rows.KindTimestampTZ:
		t := time.UnixMicro(v.Raw()).In(e.loc)
		return rows.DateOf(t).Raw(), nil
	case rows.KindString:
		if d, ok := textval.ParseISODate(v.AsString()); ok {
			return d, nil
		}
		f, err := e.date.Parse(v.AsString())
		if err != nil {
			return 0, err
		}
		t, _ := f.Time(e.loc)
		return rows.DateOf(t).Raw(), nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to a date", v.Kind())
}

func (e *Encoder) toTime(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindTime:
		return v.Raw(), nil
	case rows.KindString:
		f, err := e.tod.Parse(v.AsString())
		if err != nil {
			return 0, err
		}
		t, _ := f.Time(e.loc)
		return microsOfDay(t), nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to a time", v.Kind())
}

// wallIn places a wall-clock reading (µs since 1970-01-01T00:00) in loc.
func wallIn(wall int64, loc *time.Location) time.Time {
	t := time.UnixMicro(wall).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

func (e *Encoder) parseDateTime(s string) (time.Time, bool, error) {
	if wall, off, hasOff, ok := textval.ParseISODateTime(s); ok {
		if hasOff {
			return time.UnixMicro(wall - int64(off)*1e6).In(time.FixedZone("", int(off))), true, nil
		}
		return wallIn(wall, e.loc), false, nil
	}
	f, err := e.dt.Parse(s)
	if err != nil {
		return time.Time{}, false, err
	}
	t, zoned := f.Time(e.loc)
	return t, zoned, nil
}

func (e *Encoder) toInstant(v rows.Value, millis bool) (int64, error) {
	switch v.Kind() {
	case rows.KindTimestampTZ:
		return v.Raw(), nil
	case rows.KindTimestamp:
		return wallIn(v.Raw(), e.loc).UnixMicro(), nil
	case rows.KindDate:
		return wallIn(v.Raw()*86400e6, e.loc).UnixMicro(), nil
	case rows.KindInt: // epoch value in the schema's unit, as Kestra reads longs
		if millis {
			return v.AsInt() * 1000, nil
		}
		return v.AsInt(), nil
	case rows.KindString:
		t, _, err := e.parseDateTime(v.AsString())
		if err != nil {
			return 0, err
		}
		return t.UnixMicro(), nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to a timestamp", v.Kind())
}

func (e *Encoder) toLocal(v rows.Value, millis bool) (int64, error) {
	switch v.Kind() {
	case rows.KindTimestamp:
		return v.Raw(), nil
	case rows.KindTimestampTZ:
		t := time.UnixMicro(v.Raw())
		if e.opts.TimeZone != nil {
			t = t.In(e.opts.TimeZone)
		} else {
			t = t.In(time.FixedZone("", int(v.Aux())))
		}
		return rows.TimestampOf(t).Raw(), nil
	case rows.KindDate:
		return v.Raw() * 86400e6, nil
	case rows.KindInt:
		if millis {
			return v.AsInt() * 1000, nil
		}
		return v.AsInt(), nil
	case rows.KindString:
		t, zoned, err := e.parseDateTime(v.AsString())
		if err != nil {
			return 0, err
		}
		if zoned && e.opts.TimeZone != nil {
			t = t.In(e.opts.TimeZone)
		}
		return rows.TimestampOf(t).Raw(), nil
	}
	return 0, fmt.Errorf("cannot convert a %s value to a local timestamp", v.Kind())
}
