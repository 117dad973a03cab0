package ion

import (
	"bufio"
	"encoding/base64"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/rows"
)

// Encoder writes rows as Ion text, one struct per line, as Kestra does:
//
//	{id:1,name:"a",amount:12.50,created:2021-01-02T03:04:05.123456Z}
//
// Decimals are Ion decimals (12.50, 5., 5d2), floats Ion floats (1.5e0,
// nan, +inf), dates day-precision timestamps (2021-01-02), zone-less
// timestamps use the unknown offset -00:00, times of day are strings,
// bytes are blobs, lists lists and maps structs. Nulls are written as null
// fields, so every row has every column. It implements rows.Writer.
type Encoder struct {
	w      *bufio.Writer
	names  [][]byte // "name:" pre-encoded
	buf    []byte
	rows   int64
	closed bool
	err    error
}

// NewWriter returns an encoder writing to w; Close flushes but does not
// close w.
func NewWriter(w io.Writer, schema *rows.Schema) (*Encoder, error) {
	if err := schema.Validate(); err != nil {
		return nil, err
	}
	e := &Encoder{w: bufio.NewWriterSize(w, 64<<10)}
	for _, f := range schema.Fields {
		e.names = append(e.names, append(appendSymbol(nil, f.Name), ':'))
	}
	return e, nil
}

// Rows returns the number of rows written.
func (e *Encoder) Rows() int64 { return e.rows }

// Write appends one row as a line.
func (e *Encoder) Write(row *rows.Row) error {
	if e.closed {
		return rows.ErrClosed
	}
	if e.err != nil {
		return e.err
	}
	b := append(e.buf[:0], '{')
	for i, n := range e.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
		var v rows.Value
		if i < len(row.Values) {
			v = row.Values[i]
		}
		b = appendValue(b, v)
	}
	b = append(b, '}', '\n')
	e.buf = b
	if _, err := e.w.Write(b); err != nil {
		e.err = err
		return err
	}
	e.rows++
	return nil
}

// Close flushes.
func (e *Encoder) Close() error {
	if e.closed {
		return rows.ErrClosed
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// Abort stops the encoder without flushing.
func (e *Encoder) Abort() error {
	e.closed = true
	return nil
}

var _ rows.Writer = (*Encoder)(nil)

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// appendSymbol writes a symbol bare when it is an identifier that is not
// a keyword, quoted otherwise.
func appendSymbol(b []byte, s string) []byte {
	bare := s != "" && isIdentStart(s[0])
	for i := 1; bare && i < len(s); i++ {
		c := s[i]
		bare = isIdentStart(c) || (c >= '0' && c <= '9')
	}
	switch s {
	case "null", "true", "false", "nan":
		bare = false
	}
	if len(s) > 1 && s[0] == '$' && allDigits(s[1:]) {
		bare = false // $12 is a symbol ID
	}
	if bare {
		return append(b, s...)
	}
	return appendQuoted(b, s, '\'')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendQuoted writes s between quote characters with Ion escapes;
// invalid UTF-8 becomes U+FFFD.
func appendQuoted(b []byte, s string, q byte) []byte {
	b = append(b, q)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == q || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, q)
}

func appendValue(b []byte, v rows.Value) []byte {
	switch v.Kind() {
	case rows.KindNull:
		return append(b, "null"...)
	case rows.KindBool:
		return strconv.AppendBool(b, v.AsBool())
	case rows.KindInt:
		return strconv.AppendInt(b, v.AsInt(), 10)
	case rows.KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return append(b, "nan"...)
		case math.IsInf(f, 1):
			return append(b, "+inf"...)
		case math.IsInf(f, -1):
			return append(b, "-inf"...)
		}
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	case rows.KindDecimal:
		if v.Scale() < 0 {
			// coefficient × 10^-scale: 5d2 is 500 with its precision
			u := v.Unscaled().String()
			b = append(b, u...)
			b = append(b, 'd')
			return strconv.AppendInt(b, int64(-v.Scale()), 10)
		}
		b = rows.AppendDecimal(b, v)
		if v.Scale() == 0 {
			b = append(b, '.') // 5. is a decimal, 5 an int
		}
		return b
	case rows.KindString:
		return appendQuoted(b, v.AsString(), '"')
	case rows.KindBytes:
		b = append(b, '{', '{')
		b = base64.StdEncoding.AppendEncode(b, v.AsBytes())
		return append(b, '}', '}')
	case rows.KindDate:
		return rows.AppendDate(b, v.Raw())
	case rows.KindTime:
		b = append(b, '"')
		b = rows.AppendTime(b, v.Raw())
		return append(b, '"')
	case rows.KindTimestamp:
		b = rows.AppendTimestamp(b, v.Raw())
		return append(b, "-00:00"...) // Ion's unknown offset: a local time
	case rows.KindTimestampTZ:
		return rows.AppendTimestampTZ(b, v, nil)
	case rows.KindList:
		b = append(b, '[')
		for i, x := range v.Items() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, x)
		}
		return append(b, ']')
	case rows.KindMap:
		b = append(b, '{')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			k, x := v.Entry(i)
			b = appendSymbol(b, k)
			b = append(b, ':')
			b = appendValue(b, x)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}
