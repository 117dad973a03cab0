package rows

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ToAny converts a value to plain Go data for templates and outputs:
// nil, bool, int64, float64, string, []byte, json.Number (decimals, exact),
// time.Time, []any, and *OrderedMap for maps.
func ToAny(v Value) any {
	switch v.kind {
	case KindNull:
		return nil
	case KindBool:
		return v.AsBool()
	case KindInt:
		return v.n
	case KindFloat:
		return v.AsFloat()
	case KindDecimal:
		return json.Number(v.DecimalString())
	case KindString:
		return string(v.b)
	case KindBytes:
		return append([]byte{}, v.b...)
	case KindDate:
		return v.String()
	case KindTime:
		return v.String()
	case KindTimestamp:
		return v.String()
	case KindTimestampTZ:
		return v.Time()
	case KindList:
		out := make([]any, len(v.l))
		for i, x := range v.l {
			out[i] = ToAny(x)
		}
		return out
	case KindMap:
		m := NewOrderedMap(v.Len())
		for i := 0; i < v.Len(); i++ {
			k, x := v.Entry(i)
			m.Set(k, ToAny(x))
		}
		return m
	}
	return nil
}

// RowToMap returns a row as an ordered map keyed by field name.
func RowToMap(s *Schema, r *Row) *OrderedMap {
	m := NewOrderedMap(len(s.Fields))
	for i, f := range s.Fields {
		if i < len(r.Values) {
			m.Set(f.Name, ToAny(r.Values[i]))
		}
	}
	return m
}

// FromAny converts plain Go data (as decoded from JSON or YAML, or built by
// code) to a value. Strings stay strings: interpreting them as dates or
// numbers is the job of the reader that knows the format.
func FromAny(x any) (Value, error) {
	switch t := x.(type) {
	case nil:
		return Null, nil
	case Value:
		return t, nil
	case bool:
		return Bool(t), nil
	case int:
		return Int(int64(t)), nil
	case int8:
		return Int(int64(t)), nil
	case int16:
		return Int(int64(t)), nil
	case int32:
		return Int(int64(t)), nil
	case int64:
		return Int(t), nil
	case uint8:
		return Int(int64(t)), nil
	case uint16:
		return Int(int64(t)), nil
	case uint32:
		return Int(int64(t)), nil
	case uint64:
		if t > math.MaxInt64 {
			return DecimalBig(new(big.Int).SetUint64(t), 0), nil
		}
		return Int(int64(t)), nil
	case uint:
		return FromAny(uint64(t))
	case float32:
		return Float(float64(t)), nil
	case float64:
		return Float(t), nil
	case json.Number:
		return NumberFromString(string(t))
	case string:
		return String(t), nil
	case []byte:
		return Bytes(t), nil
	case time.Time:
		return TimestampTZOf(t), nil
	case *big.Int:
		return DecimalBig(t, 0), nil
	case *big.Rat:
		if d, ok := ratToDecimal(t); ok {
			return d, nil
		}
		f, _ := t.Float64()
		return Float(f), nil
	case []any:
		items := make([]Value, len(t))
		for i, e := range t {
			v, err := FromAny(e)
			if err != nil {
				return Null, fmt.Errorf("[%d]: %w", i, err)
			}
			items[i] = v
		}
		return List(items), nil
	case *OrderedMap:
		kv := make([]Value, 0, 2*t.Len())
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			v, err := FromAny(e)
			if err != nil {
				return Null, fmt.Errorf("%s: %w", k, err)
			}
			kv = append(kv, String(k), v)
		}
		return MapOf(kv), nil
	case map[string]any:
		m := NewOrderedMap(len(t))
		for _, k := range sortedKeys(t) {
			m.Set(k, t[k])
		}
		return FromAny(m)
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]Value, rv.Len())
		for i := range items {
			v, err := FromAny(rv.Index(i).Interface())
			if err != nil {
				return Null, err
			}
			items[i] = v
		}
		return List(items), nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for _, k := range rv.MapKeys() {
				m[k.String()] = rv.MapIndex(k).Interface()
			}
			return FromAny(m)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return Null, nil
		}
		return FromAny(rv.Elem().Interface())
	}
	return Null, fmt.Errorf("unsupported value type %T", x)
}

// NumberFromString parses a JSON number: integers that fit int64 become int,
// other integers and fractions become exact decimals, exponents become
// floats unless they are exact decimals.
func NumberFromString(s string) (Value, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Int(n), nil
	}
	d, err := ParseDecimal(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return Null, fmt.Errorf("invalid number %q", s)
		}
		return Float(f), nil
	}
	if d.Scale() < 0 {
		return Float(0), nil
	}
	return d, nil
}

// ratToDecimal returns r as an exact decimal when its expansion is finite
// (the reduced denominator has no prime factor but 2 and 5).
func ratToDecimal(r *big.Rat) (Value, bool) {
	den := new(big.Int).Set(r.Denom())
	twos, fives := 0, 0
	two, five, zero := big.NewInt(2), big.NewInt(5), new(big.Int)
	m := new(big.Int)
	for new(big.Int).Set(den).Cmp(big.NewInt(1)) != 0 {
		if q, rem := new(big.Int).QuoRem(den, two, m); rem.Cmp(zero) == 0 {
			den, twos = q, twos+1
		} else if q, rem := new(big.Int).QuoRem(den, five, m); rem.Cmp(zero) == 0 {
			den, fives = q, fives+1
		} else {
			return Null, false
		}
	}
	scale := max(twos, fives)
	num := new(big.Int).Mul(r.Num(), pow10(int64(scale)))
	num.Quo(num, r.Denom())
	return DecimalBig(num, int32(scale)), true
}

// AppendJSON appends v as JSON. Decimals are written as exact JSON numbers,
// temporal values as ISO-8601 strings, bytes as base64 (like Go's
// encoding/json), non-finite floats as the strings "NaN", "Infinity",
// "-Infinity" (JSON has no literal for them).
func AppendJSON(dst []byte, v Value) ([]byte, error) {
	switch v.kind {
	case KindNull:
		return append(dst, "null"...), nil
	case KindBool:
		return strconv.AppendBool(dst, v.AsBool()), nil
	case KindInt:
		return strconv.AppendInt(dst, v.n, 10), nil
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return AppendJSONString(dst, FormatFloat(f)), nil
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
	case KindDecimal:
		return append(dst, v.DecimalString()...), nil
	case KindString:
		return AppendJSONString(dst, v.AsString()), nil
	case KindBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.b)
		return append(dst, '"'), nil
	case KindDate, KindTime, KindTimestamp, KindTimestampTZ:
		return AppendJSONString(dst, v.String()), nil
	case KindList:
		dst = append(dst, '[')
		for i, x := range v.l {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case KindMap:
		dst = append(dst, '{')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, x := v.Entry(i)
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = AppendJSON(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("cannot encode kind %s as JSON", v.kind)
}

const hexDigits = "0123456789abcdef"

// plainASCII8 reports whether the 8 bytes of x are all ASCII, at least
// 0x20, and neither '"' nor '\\' (word-at-a-time tests: a byte below n
// sets its high bit in (x - n·0x01…) &^ x; a byte equal to b is a zero byte
// of x ^ b·0x01…). A false answer only sends the bytes to the byte loop.
func plainASCII8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ ('"' * lo)
	b := x ^ ('\\' * lo)
	return (x|((x-0x20*lo)&^x)|((q-lo)&^q)|((b-lo)&^b))&hi == 0
}

// AppendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	// The bytes of s, read eight at a time below (never written).
	raw := unsafe.Slice(unsafe.StringData(s), len(s))
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain ASCII bytes at a time (nothing to escape, no
		// multi-byte rune): most text is long runs of them.
		for i+8 <= len(s) && plainASCII8(binary.LittleEndian.Uint64(raw[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
