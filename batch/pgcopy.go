package batch

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// pgCopySink streams rows with COPY ... FROM STDIN. The binary format is
// used when sluice can encode every column's type (most of them); it saves
// the server from parsing numbers and timestamps. Other types (arrays,
// intervals, enums, ...) switch the whole COPY to the text format, which
// the server parses for any type.
type pgCopySink struct {
	cols   []column
	binary bool
	enc    []pgBinEncoder
}

type pgBinEncoder func(b []byte, v rows.Value) ([]byte, error)

func newPGCopySink(cols []column) *pgCopySink {
	s := &pgCopySink{cols: cols, binary: true}
	for _, c := range cols {
		e := pgBinaryEncoder(c.Type.Name)
		if e == nil {
			s.binary, s.enc = false, nil
			break
		}
		s.enc = append(s.enc, e)
	}
	return s
}

func (s *pgCopySink) name() string {
	if s.binary {
		return "copy binary"
	}
	return "copy text"
}

func (s *pgCopySink) write(ctx context.Context, sess *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	d := sess.d
	q := "COPY " + d.QuoteTable(into) + " (" + quoteAll(d, columnNames(s.cols)) + ") FROM STDIN"
	if s.binary {
		q += " WITH (FORMAT binary)"
	}
	r := &copyReader{u: u, sink: s}
	var n int64
	err := sess.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs the pgx driver, got %T", dc)
		}
		tag, err := c.Conn().PgConn().CopyFrom(ctx, r, q)
		n = tag.RowsAffected()
		return err
	})
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return n, r.err
	}
	if err != nil {
		return n, fmt.Errorf("COPY into %s%s: %w", into, copyRow(err, r.first), err)
	}
	return n, nil
}

var copyLine = regexp.MustCompile(`COPY [^,]+, line (\d+)`)

// copyRow turns the "COPY t, line N" context of a server error into the
// input row number (line 1 is the unit's first row).
func copyRow(err error, first int64) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || first == 0 {
		return ""
	}
	m := copyLine.FindStringSubmatch(pe.Where)
	if m == nil {
		return ""
	}
	line, _ := strconv.ParseInt(m[1], 10, 64)
	return fmt.Sprintf(", input row %d", first+line-1)
}

func quoteAll(d dialect.Dialect, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = d.QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// copyReader encodes chunks on demand as pgconn reads the COPY stream.
type copyReader struct {
	u       *unit
	sink    *pgCopySink
	first   int64 // input row number of the first row sent
	buf     []byte
	off     int
	started bool
	ended   bool
	err     error
}

var pgCopySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (r *copyReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		r.buf, r.off = r.buf[:0], 0
		if !r.started && r.sink.binary {
			r.buf = append(r.buf, pgCopySignature...)
		}
		r.started = true
		c := r.u.next()
		if c == nil {
			if err := r.u.failed(); err != nil {
				// Abort the COPY: pgconn sends CopyFail with this message.
				r.err = err
				return 0, err
			}
			if r.sink.binary && !r.ended {
				r.buf = append(r.buf, 0xff, 0xff)
			}
			r.ended = true
			r.err = io.EOF
			continue
		}
		if r.first == 0 {
			r.first = c.first
		}
		var err error
		if r.sink.binary {
			r.buf, err = r.sink.encodeBinary(r.buf, c)
		} else {
			r.buf = r.sink.encodeText(r.buf, c)
		}
		if err != nil {
			r.err = err
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

func (s *pgCopySink) encodeBinary(b []byte, c *chunk) ([]byte, error) {
	ncols := len(s.cols)
	for i := 0; i < c.n; i++ {
		b = binary.BigEndian.AppendUint16(b, uint16(ncols))
		for j, v := range c.row(i) {
			if v.IsNull() {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			lenAt := len(b)
			b = append(b, 0, 0, 0, 0)
			var err error
			b, err = s.enc[j](b, v)
			if err != nil {
				return b, &rows.RowError{Row: c.first + int64(i), Column: s.cols[j].Name, Value: v.String(), Err: err}
			}
			binary.BigEndian.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
		}
	}
	return b, nil
}

// pgEpochMicros is 2000-01-01T00:00:00 in µs since 1970, PostgreSQL's epoch.
const pgEpochMicros = 946684800 * 1e6
const pgEpochDays = 10957

func pgBinaryEncoder(typeName string) pgBinEncoder {
	switch typeName {
	case "BOOL", "BOOLEAN":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindBool {
				return b, kindErr(v, "boolean")
			}
			if v.AsBool() {
				return append(b, 1), nil
			}
			return append(b, 0), nil
		}
	case "INT2", "SMALLINT":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindInt {
				return b, kindErr(v, "smallint")
			}
			return binary.BigEndian.AppendUint16(b, uint16(v.AsInt())), nil
		}
	case "INT4", "INTEGER", "INT":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindInt {
				return b, kindErr(v, "integer")
			}
			return binary.BigEndian.AppendUint32(b, uint32(v.AsInt())), nil
		}
	case "INT8", "BIGINT":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindInt {
				return b, kindErr(v, "bigint")
			}
			return binary.BigEndian.AppendUint64(b, uint64(v.AsInt())), nil
		}
	case "FLOAT4", "REAL":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindFloat {
				return b, kindErr(v, "real")
			}
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v.AsFloat()))), nil
		}
	case "FLOAT8", "DOUBLE PRECISION":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindFloat {
				return b, kindErr(v, "double precision")
			}
			return binary.BigEndian.AppendUint64(b, math.Float64bits(v.AsFloat())), nil
		}
	case "NUMERIC", "DECIMAL":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindDecimal {
				return b, kindErr(v, "numeric")
			}
			return appendPGNumeric(b, v), nil
		}
	case "TEXT", "VARCHAR", "BPCHAR", "NAME", "CHAR", "JSON", "XML", "CITEXT":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindString {
				return b, kindErr(v, "text")
			}
			return append(b, v.AsBytes()...), nil
		}
	case "JSONB":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindString {
				return b, kindErr(v, "jsonb")
			}
			return append(append(b, 1), v.AsBytes()...), nil
		}
	case "UUID":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindString {
				return b, kindErr(v, "uuid")
			}
			u, err := parseUUID(v.AsString())
			if err != nil {
				return b, err
			}
			return append(b, u[:]...), nil
		}
	case "BYTEA":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindBytes {
				return b, kindErr(v, "bytea")
			}
			return append(b, v.AsBytes()...), nil
		}
	case "DATE":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindDate {
				return b, kindErr(v, "date")
			}
			d := v.Raw() - pgEpochDays
			if d < math.MinInt32 || d > math.MaxInt32 {
				return b, fmt.Errorf("date %s is out of PostgreSQL's range", v)
			}
			return binary.BigEndian.AppendUint32(b, uint32(int32(d))), nil
		}
	case "TIMESTAMP":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindTimestamp {
				return b, kindErr(v, "timestamp")
			}
			return binary.BigEndian.AppendUint64(b, uint64(v.Raw()-pgEpochMicros)), nil
		}
	case "TIMESTAMPTZ":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindTimestampTZ {
				return b, kindErr(v, "timestamptz")
			}
			return binary.BigEndian.AppendUint64(b, uint64(v.Raw()-pgEpochMicros)), nil
		}
	case "TIME":
		return func(b []byte, v rows.Value) ([]byte, error) {
			if v.Kind() != rows.KindTime {
				return b, kindErr(v, "time")
			}
			return binary.BigEndian.AppendUint64(b, uint64(v.Raw())), nil
		}
	}
	return nil
}

func kindErr(v rows.Value, pgType string) error {
	return fmt.Errorf("a %s value cannot be written to a %s column", v.Kind(), pgType)
}

func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(strings.Trim(s, "{}"), "-", "")
	if len(h) != 32 {
		return u, fmt.Errorf("%q is not a UUID", s)
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("%q is not a UUID", s)
	}
	return u, nil
}

// appendPGNumeric encodes an exact decimal in PostgreSQL's binary numeric
// format: base-10000 digits with a weight, a sign and a display scale.
func appendPGNumeric(b []byte, v rows.Value) []byte {
	var tmp [48]byte
	var digits []byte
	scale := int(v.Scale())
	neg := false
	if v.IsBigDecimal() || scale < 0 {
		s := v.DecimalString()
		if s[0] == '-' {
			neg, s = true, s[1:]
		}
		intPart, frac, _ := strings.Cut(s, ".")
		digits = []byte(intPart + frac)
		scale = len(frac)
	} else {
		n := v.Raw()
		neg = n < 0
		digits = strconv.AppendUint(tmp[:0], absU(n), 10)
	}
	// Split into integer and fraction digits, padded to groups of four.
	intLen := len(digits) - scale
	var intDigits, fracDigits []byte
	if intLen > 0 {
		intDigits, fracDigits = digits[:intLen], digits[intLen:]
	} else {
		fracDigits = append(make([]byte, 0, scale), []byte(strings.Repeat("0", -intLen))...)
		fracDigits = append(fracDigits, digits...)
	}
	var groups []uint16
	lead := (4 - len(intDigits)%4) % 4
	acc, k := 0, lead
	for _, c := range intDigits {
		acc = acc*10 + int(c-'0')
		k++
		if k == 4 {
			groups = append(groups, uint16(acc))
			acc, k = 0, 0
		}
	}
	intGroups := len(groups)
	acc, k = 0, 0
	for _, c := range fracDigits {
		acc = acc*10 + int(c-'0')
		k++
		if k == 4 {
			groups = append(groups, uint16(acc))
			acc, k = 0, 0
		}
	}
	if k > 0 {
		for ; k < 4; k++ {
			acc *= 10
		}
		groups = append(groups, uint16(acc))
	}
	weight := intGroups - 1
	// Strip leading and trailing zero groups.
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := uint16(0)
	if neg && len(groups) > 0 {
		sign = 0x4000
	}
	if len(groups) == 0 {
		weight = 0
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(groups)))
	b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, uint16(scale))
	for _, g := range groups {
		b = binary.BigEndian.AppendUint16(b, g)
	}
	return b
}

// encodeText writes rows in COPY's text format.
func (s *pgCopySink) encodeText(b []byte, c *chunk) []byte {
	for i := 0; i < c.n; i++ {
		for j, v := range c.row(i) {
			if j > 0 {
				b = append(b, '\t')
			}
			b = appendPGText(b, v)
		}
		b = append(b, '\n')
	}
	return b
}

func appendPGText(b []byte, v rows.Value) []byte {
	switch v.Kind() {
	case rows.KindNull:
		return append(b, '\\', 'N')
	case rows.KindBool:
		if v.AsBool() {
			return append(b, 't')
		}
		return append(b, 'f')
	case rows.KindInt:
		return strconv.AppendInt(b, v.AsInt(), 10)
	case rows.KindFloat:
		return append(b, rows.FormatFloat(v.AsFloat())...)
	case rows.KindDecimal:
		return appendDecimal(b, v)
	case rows.KindString:
		return appendTextEscaped(b, v.AsBytes(), false)
	case rows.KindBytes:
		b = append(b, '\\', '\\', 'x')
		return hex.AppendEncode(b, v.AsBytes())
	case rows.KindDate:
		return appendDate(b, v.Raw())
	case rows.KindTimestamp:
		return appendWall(b, v.Raw(), ' ')
	case rows.KindTimestampTZ:
		b = appendWall(b, v.Raw()+int64(v.Aux())*1e6, ' ')
		return appendOffset(b, v.Aux())
	case rows.KindTime:
		return appendClock(b, v.Raw())
	}
	j, _ := rows.AppendJSON(nil, v)
	return appendTextEscaped(b, j, false)
}
