package json

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/rows"
)

// maxDepth bounds nesting so a hostile file cannot blow the stack.
const maxDepth = 1000

// maxExponent bounds |exponent| of a number: 1e999999999 would otherwise
// expand to a billion digits. Larger exponents are errors, never floats.
const maxExponent = 10000

// posError is a syntax error at a byte offset of the record being parsed;
// the decoder turns the offset into line:column.
type posError struct {
	off int
	msg string
}

func (e *posError) Error() string { return e.msg }

func errAt(off int, format string, args ...any) error {
	return &posError{off: off, msg: fmt.Sprintf(format, args...)}
}

// special marks bytes that end the fast path of a string scan.
var special = func() (t [256]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// parser turns one record (a complete JSON text in a byte slice) into
// values. Strings without escapes alias the record; unescaped strings and
// container items live in arenas reset per record, so a steady stream of
// records allocates nothing.
type parser struct {
	data  []byte
	str   []byte       // unescaped strings; capacity >= len(data), never regrown mid-record
	arena rows.Arena   // items of finished containers
	stack []rows.Value // items of containers being built
	depth int
}

func (p *parser) reset(data []byte) {
	p.data = data
	if cap(p.str) < len(data) {
		p.str = make([]byte, 0, len(data)+len(data)/4)
	}
	p.str = p.str[:0]
	p.arena.Reset()
	p.stack = p.stack[:0]
	p.depth = 0
}

// alloc copies items into arena memory that stays valid until reset.
func (p *parser) alloc(items []rows.Value) []rows.Value { return p.arena.Copy(items) }

// parseString parses the string starting at data[i] == '"'. It returns the
// content (aliased or unescaped into the arena) and the offset after the
// closing quote.
func (p *parser) parseString(i int) ([]byte, int, error) {
	b := p.data
	start := i + 1
	j := start
	var hi byte
	for j < len(b) && !special[b[j]] {
		hi |= b[j]
		j++
	}
	if j < len(b) && b[j] == '"' && (hi < utf8.RuneSelf || utf8.Valid(b[start:j])) {
		return b[start:j:j], j + 1, nil
	}
	// Slow path: escapes, invalid UTF-8 (replaced by U+FFFD, as
	// encoding/json does, so that what is read can be written back), or
	// an error.
	out := len(p.str)
	j = start
	for {
		if j >= len(b) {
			return nil, j, errAt(i, "unterminated string")
		}
		c := b[j]
		switch {
		case c == '"':
			s := p.str[out:len(p.str):len(p.str)]
			return s, j + 1, nil
		case c < 0x20:
			return nil, j, errAt(j, "control character %#x in string (escape it as \\u%04x)", c, c)
		case c == '\\':
			if j+1 >= len(b) {
				return nil, j, errAt(i, "unterminated string")
			}
			e := b[j+1]
			j += 2
			switch e {
			case '"', '\\', '/':
				p.str = append(p.str, e)
			case 'b':
				p.str = append(p.str, '\b')
			case 'f':
				p.str = append(p.str, '\f')
			case 'n':
				p.str = append(p.str, '\n')
			case 'r':
				p.str = append(p.str, '\r')
			case 't':
				p.str = append(p.str, '\t')
			case 'u':
				r, ok := hex4(b, j)
				if !ok {
					return nil, j, errAt(j-2, "invalid \\u escape")
				}
				j += 4
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(b, j+2); ok && j+1 < len(b) && b[j] == '\\' && b[j+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							j += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				p.str = utf8.AppendRune(p.str, r)
			default:
				return nil, j, errAt(j-2, "invalid escape \\%c", e)
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				// One byte becomes three: the only case where the arena
				// could outgrow the record, so make room without moving
				// strings already handed out.
				if len(p.str)+3 > cap(p.str) {
					ns := make([]byte, 0, 2*cap(p.str)+len(b))
					ns = append(ns, p.str[out:]...)
					p.str, out = ns, 0
				}
				p.str = append(p.str, "\uFFFD"...)
			} else {
				p.str = append(p.str, b[j:j+size]...)
			}
			j += size
		default:
			k := j
			for k < len(b) && !special[b[k]] && b[k] < utf8.RuneSelf {
				k++
			}
			p.str = append(p.str, b[j:k]...)
			j = k
		}
	}
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// numInfo describes a number for schema inference.
type numInfo struct {
	decimal   bool // has a fraction or exponent, or does not fit int64
	intDigits int
	scale     int
}

// scanNumber validates the JSON number grammar at data[i] and returns its
// end and shape: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (end int, neg bool, intEnd, fracEnd int, err error) {
	j := i
	if j < len(b) && b[j] == '-' {
		neg = true
		j++
	}
	if j >= len(b) {
		return j, neg, 0, 0, errAt(i, "invalid number")
	}
	if b[j] == '0' {
		j++
		if j < len(b) && b[j] >= '0' && b[j] <= '9' {
			return j, neg, 0, 0, errAt(i, "invalid number: leading zero")
		}
	} else if b[j] >= '1' && b[j] <= '9' {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	} else {
		return j, neg, 0, 0, errAt(i, "invalid number")
	}
	intEnd = j
	if j < len(b) && b[j] == '.' {
		j++
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == k {
			return j, neg, 0, 0, errAt(i, "invalid number: no digit after the decimal point")
		}
	}
	fracEnd = j
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == k {
			return j, neg, 0, 0, errAt(i, "invalid number: no digit in the exponent")
		}
		if j-k > 6 {
			return j, neg, 0, 0, errAt(i, "number %s: exponent out of range", b[i:j])
		}
	}
	return j, neg, intEnd, fracEnd, nil
}

// parseNumber converts a number exactly: int64 when integral and in range,
// an exact decimal otherwise (keeping the written scale: 12.50 has scale 2).
func parseNumber(b []byte, i int) (rows.Value, int, error) {
	end, neg, intEnd, fracEnd, err := scanNumber(b, i)
	if err != nil {
		return rows.Null, end, err
	}
	digStart := i
	if neg {
		digStart++
	}
	nInt := intEnd - digStart
	if fracEnd == end { // no exponent
		nFrac := 0
		if fracEnd > intEnd {
			nFrac = fracEnd - intEnd - 1
		}
		if nInt+nFrac <= 18 {
			var n int64
			for _, c := range b[digStart:intEnd] {
				n = n*10 + int64(c-'0')
			}
			if nFrac > 0 {
				for _, c := range b[intEnd+1 : fracEnd] {
					n = n*10 + int64(c-'0')
				}
			}
			if neg {
				n = -n
			}
			if nFrac == 0 {
				return rows.Int(n), end, nil
			}
			return rows.Decimal(n, int32(nFrac)), end, nil
		}
		if nFrac == 0 {
			if n, err := strconv.ParseInt(string(b[i:end]), 10, 64); err == nil {
				return rows.Int(n), end, nil
			}
		}
	} else {
		e, _ := strconv.Atoi(string(b[fracEnd+1 : end]))
		if e > maxExponent || e < -maxExponent {
			return rows.Null, end, errAt(i, "number %s: exponent out of range (|e| > %d)", b[i:end], maxExponent)
		}
	}
	v, err := rows.ParseDecimal(string(b[i:end]))
	if err != nil {
		return rows.Null, end, errAt(i, "%v", err)
	}
	if v.Scale() == 0 && !v.IsBigDecimal() {
		return rows.Int(v.Raw()), end, nil
	}
	return v, end, nil
}

func (p *parser) literal(i int, lit string) (int, error) {
	if len(p.data)-i >= len(lit) && string(p.data[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return i, errAt(i, "invalid literal (expected %s)", lit)
}

// parseValue parses the value at data[i] (not whitespace).
func (p *parser) parseValue(i int) (rows.Value, int, error) {
	b := p.data
	if i >= len(b) {
		return rows.Null, i, errAt(i, "unexpected end of input, expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		s, j, err := p.parseString(i)
		return rows.StringBytes(s), j, err
	case c == '-' || (c >= '0' && c <= '9'):
		return parseNumber(b, i)
	case c == '{':
		return p.parseObject(i)
	case c == '[':
		return p.parseArray(i)
	case c == 't':
		j, err := p.literal(i, "true")
		return rows.Bool(true), j, err
	case c == 'f':
		j, err := p.literal(i, "false")
		return rows.Bool(false), j, err
	case c == 'n':
		j, err := p.literal(i, "null")
		return rows.Null, j, err
	default:
		return rows.Null, i, errAt(i, "unexpected character %q, expected a value", rune(c))
	}
}

func (p *parser) enter(i int) error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(i, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) parseArray(i int) (rows.Value, int, error) {
	if err := p.enter(i); err != nil {
		return rows.Null, i, err
	}
	v, j, err := p.parseArrayBody(i)
	p.depth--
	return v, j, err
}

func (p *parser) parseArrayBody(i int) (rows.Value, int, error) {
	b := p.data
	base := len(p.stack)
	j := skipSpace(b, i+1)
	if j < len(b) && b[j] == ']' {
		return rows.List(p.alloc(nil)), j + 1, nil
	}
	for {
		v, k, err := p.parseValue(j)
		if err != nil {
			return rows.Null, k, err
		}
		p.stack = append(p.stack, v)
		k = skipSpace(b, k)
		if k >= len(b) {
			return rows.Null, k, errAt(i, "unterminated array")
		}
		switch b[k] {
		case ',':
			j = skipSpace(b, k+1)
		case ']':
			items := p.alloc(p.stack[base:])
			p.stack = p.stack[:base]
			return rows.List(items), k + 1, nil
		default:
			return rows.Null, k, errAt(k, "expected ',' or ']' in array, found %q", rune(b[k]))
		}
	}
}

func (p *parser) parseObject(i int) (rows.Value, int, error) {
	if err := p.enter(i); err != nil {
		return rows.Null, i, err
	}
	v, j, err := p.parseObjectBody(i)
	p.depth--
	return v, j, err
}

func (p *parser) parseObjectBody(i int) (rows.Value, int, error) {
	b := p.data
	base := len(p.stack)
	j := skipSpace(b, i+1)
	if j < len(b) && b[j] == '}' {
		return rows.MapOf(p.alloc(nil)), j + 1, nil
	}
	for {
		if j >= len(b) || b[j] != '"' {
			return rows.Null, j, errAt(j, "expected a quoted key in object")
		}
		key, k, err := p.parseString(j)
		if err != nil {
			return rows.Null, k, err
		}
		k = skipSpace(b, k)
		if k >= len(b) || b[k] != ':' {
			return rows.Null, k, errAt(k, "expected ':' after key %q", key)
		}
		v, k2, err := p.parseValue(skipSpace(b, k+1))
		if err != nil {
			return rows.Null, k2, err
		}
		p.stack = append(p.stack, rows.StringBytes(key), v)
		k2 = skipSpace(b, k2)
		if k2 >= len(b) {
			return rows.Null, k2, errAt(i, "unterminated object")
		}
		switch b[k2] {
		case ',':
			j = skipSpace(b, k2+1)
		case '}':
			items := p.alloc(p.stack[base:])
			p.stack = p.stack[:base]
			return rows.MapOf(items), k2 + 1, nil
		default:
			return rows.Null, k2, errAt(k2, "expected ',' or '}' in object, found %q", rune(b[k2]))
		}
	}
}

// skipString returns the offset after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for j < len(b) {
		switch c := b[j]; {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			j += 2
		case c < 0x20:
			return j, errAt(j, "control character %#x in string", c)
		default:
			j++
		}
	}
	return j, errAt(i, "unterminated string")
}

// skipValue validates and skips the value at b[i] without building it
// (schema inference only needs top-level shapes).
func (p *parser) skipValue(i int) (int, error) {
	b := p.data
	if i >= len(b) {
		return i, errAt(i, "unexpected end of input, expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '-' || (c >= '0' && c <= '9'):
		end, _, _, _, err := scanNumber(b, i)
		return end, err
	case c == 't':
		return p.literal(i, "true")
	case c == 'f':
		return p.literal(i, "false")
	case c == 'n':
		return p.literal(i, "null")
	case c == '[' || c == '{':
		if err := p.enter(i); err != nil {
			return i, err
		}
		j, err := p.skipContainer(i, c)
		p.depth--
		return j, err
	default:
		return i, errAt(i, "unexpected character %q, expected a value", rune(c))
	}
}

func (p *parser) skipContainer(i int, c byte) (int, error) {
	b := p.data
	{
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		j := skipSpace(b, i+1)
		if j < len(b) && b[j] == closer {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return j, errAt(j, "expected a quoted key in object")
				}
				k, err := skipString(b, j)
				if err != nil {
					return k, err
				}
				k = skipSpace(b, k)
				if k >= len(b) || b[k] != ':' {
					return k, errAt(k, "expected ':' after key")
				}
				j = skipSpace(b, k+1)
			}
			k, err := p.skipValue(j)
			if err != nil {
				return k, err
			}
			k = skipSpace(b, k)
			if k >= len(b) {
				return k, errAt(i, "unterminated %s", map[byte]string{']': "array", '}': "object"}[closer])
			}
			if b[k] == closer {
				return k + 1, nil
			}
			if b[k] != ',' {
				return k, errAt(k, "expected ',' or %q, found %q", rune(closer), rune(b[k]))
			}
			j = skipSpace(b, k+1)
		}
	}
}

// numberShape classifies a number for inference.
func numberShape(b []byte, i int) (numInfo, int, error) {
	end, neg, intEnd, fracEnd, err := scanNumber(b, i)
	if err != nil {
		return numInfo{}, end, err
	}
	if fracEnd == end { // no exponent: read the shape off the digits
		start := i
		if neg {
			start++
		}
		d := intEnd - start
		if d == 1 && b[start] == '0' {
			d = 0
		}
		if fracEnd == intEnd {
			if d <= 18 {
				return numInfo{intDigits: d}, end, nil
			}
			if _, err := strconv.ParseInt(string(b[i:end]), 10, 64); err == nil {
				return numInfo{intDigits: d}, end, nil
			}
			return numInfo{decimal: true, intDigits: d}, end, nil
		}
		return numInfo{decimal: true, intDigits: d, scale: fracEnd - intEnd - 1}, end, nil
	}
	v, _, err := parseNumber(b, i)
	if err != nil {
		return numInfo{}, end, err
	}
	if v.Kind() == rows.KindInt {
		return numInfo{intDigits: len(strconv.FormatInt(v.AsInt(), 10))}, end, nil
	}
	s := v.DecimalString()
	if s[0] == '-' {
		s = s[1:]
	}
	intDigits, scale := len(s), 0
	for k := 0; k < len(s); k++ {
		if s[k] == '.' {
			intDigits, scale = k, len(s)-k-1
			break
		}
	}
	if intDigits == 1 && s[0] == '0' {
		intDigits = 0
	}
	return numInfo{decimal: true, intDigits: intDigits, scale: scale}, end, nil
}
