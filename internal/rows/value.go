// Package rows is sluice's typed row model: the values that pass between
// tasks, their schema, and the streaming Reader/Writer every task uses to read
// and write row files in internal storage.
//
// A Value is a small tagged union designed so that a reader can refill a Row
// without allocating: scalars live in the value itself and variable-length
// payloads (strings, bytes, big decimals) point into memory the reader owns
// until the next call to Next. Callers that keep a value past that point copy
// it with Clone.
package rows

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Kind is the type of one value.
type Kind uint8

// The value kinds. Their numeric values are part of the row-file format: never
// renumber them.
const (
	KindNull        Kind = 0
	KindBool        Kind = 1
	KindInt         Kind = 2  // int64
	KindFloat       Kind = 3  // float64, NaN and ±Inf included, bits preserved
	KindDecimal     Kind = 4  // exact: unscaled integer × 10^-scale
	KindString      Kind = 5  // UTF-8 by convention, not checked
	KindBytes       Kind = 6  // arbitrary bytes
	KindDate        Kind = 7  // days since 1970-01-01
	KindTime        Kind = 8  // microseconds since midnight
	KindTimestamp   Kind = 9  // wall-clock date and time without zone, µs since 1970-01-01T00:00:00
	KindTimestampTZ Kind = 10 // instant in µs since the Unix epoch plus the zone offset it was written in
	KindList        Kind = 11
	KindMap         Kind = 12 // ordered string keys
	// KindAny is used only in schemas: values of the field may have any kind.
	KindAny Kind = 255
)

var kindNames = [...]string{"null", "bool", "int", "float", "decimal", "string", "bytes", "date", "time", "timestamp", "timestamptz", "list", "map"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	if k == KindAny {
		return "any"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	if s == "any" {
		return KindAny, true
	}
	return 0, false
}

// Value is one typed value. The zero Value is null.
//
// Layout: n carries the scalar (bool, int64, float64 bits, date days, time µs,
// timestamp µs, small decimal unscaled value); aux carries the decimal scale
// or the zone offset in seconds; b carries string/bytes payloads and big
// decimals (two's-complement big-endian unscaled value); l carries list
// elements and map entries (key, value, key, value, ...).
type Value struct {
	kind Kind
	big  bool // decimal: unscaled value is in b, not n
	aux  int32
	n    int64
	b    []byte
	l    []Value
}

// Null is the null value.
var Null = Value{}

// Bool returns a boolean value.
func Bool(v bool) Value {
	var n int64
	if v {
		n = 1
	}
	return Value{kind: KindBool, n: n}
}

// Int returns an int64 value.
func Int(v int64) Value { return Value{kind: KindInt, n: v} }

// Float returns a float64 value; NaN payloads and signed zeros are preserved.
func Float(v float64) Value { return Value{kind: KindFloat, n: int64(math.Float64bits(v))} }

// String returns a string value. It does not copy s.
func String(s string) Value {
	return Value{kind: KindString, b: unsafe.Slice(unsafe.StringData(s), len(s))}
}

// StringBytes returns a string value that aliases b: the caller must not
// modify b while the value is in use.
func StringBytes(b []byte) Value { return Value{kind: KindString, b: b} }

// Bytes returns a bytes value that aliases b.
func Bytes(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{kind: KindBytes, b: b}
}

// Date returns a date value from days since 1970-01-01.
func Date(days int64) Value { return Value{kind: KindDate, n: days} }

// DateOf returns the calendar date of t (in t's location).
func DateOf(t time.Time) Value {
	y, m, d := t.Date()
	return Date(daysFromCivil(int64(y), int(m), d))
}

// TimeOfDay returns a time-of-day value from microseconds since midnight.
func TimeOfDay(micros int64) Value { return Value{kind: KindTime, n: micros} }

// Timestamp returns a zone-less timestamp from µs since 1970-01-01T00:00:00.
func Timestamp(micros int64) Value { return Value{kind: KindTimestamp, n: micros} }

// TimestampOf returns the wall-clock reading of t as a zone-less timestamp,
// truncated to microseconds.
func TimestampOf(t time.Time) Value {
	_, off := t.Zone()
	return Timestamp((t.Unix()+int64(off))*1e6 + int64(t.Nanosecond()/1000))
}

// TimestampTZ returns an instant (µs since the Unix epoch) written in the zone
// at offsetSeconds east of UTC.
func TimestampTZ(micros int64, offsetSeconds int32) Value {
	return Value{kind: KindTimestampTZ, n: micros, aux: offsetSeconds}
}

// TimestampTZOf returns t as an instant with its zone offset, truncated to µs.
func TimestampTZOf(t time.Time) Value {
	_, off := t.Zone()
	return TimestampTZ(t.Unix()*1e6+int64(t.Nanosecond()/1000), int32(off))
}

// List returns a list value that aliases items.
func List(items []Value) Value {
	if items == nil {
		items = []Value{}
	}
	return Value{kind: KindList, l: items}
}

// MapOf returns a map value from alternating keys and values; keys must be
// string values. Order is kept.
func MapOf(kv []Value) Value {
	if len(kv)%2 != 0 {
		panic("rows.MapOf: odd number of key/value items")
	}
	if kv == nil {
		kv = []Value{}
	}
	return Value{kind: KindMap, l: kv}
}

// Decimal returns an exact decimal unscaled × 10^-scale.
func Decimal(unscaled int64, scale int32) Value {
	return Value{kind: KindDecimal, n: unscaled, aux: scale}
}

// DecimalBig returns an exact decimal from a big unscaled value.
func DecimalBig(unscaled *big.Int, scale int32) Value {
	if unscaled.IsInt64() {
		return Decimal(unscaled.Int64(), scale)
	}
	return Value{kind: KindDecimal, big: true, aux: scale, b: bigToTwos(unscaled)}
}

// DecimalRaw returns a decimal whose unscaled value is the two's-complement
// big-endian integer in b (aliased). Row-file decoders use it.
func DecimalRaw(b []byte, scale int32) Value {
	if len(b) <= 8 {
		var n int64
		if len(b) > 0 && b[0]&0x80 != 0 {
			n = -1
		}
		for _, c := range b {
			n = n<<8 | int64(c)
		}
		return Decimal(n, scale)
	}
	return Value{kind: KindDecimal, big: true, aux: scale, b: b}
}

// ParseDecimal parses a decimal literal ("-12.340", "1e-3", "+7") exactly,
// keeping the scale as written.
func ParseDecimal(s string) (Value, error) {
	orig := s
	exp := int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return Null, fmt.Errorf("invalid decimal %q", orig)
		}
		exp = e
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	if intPart == "" && frac == "" {
		return Null, fmt.Errorf("invalid decimal %q", orig)
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Null, fmt.Errorf("invalid decimal %q", orig)
		}
	}
	scale := int64(len(frac)) - exp
	if scale < -MaxDecimalScale || scale > MaxDecimalScale {
		return Null, fmt.Errorf("decimal %q: exponent out of range (scale must stay within ±%d)", orig, MaxDecimalScale)
	}
	if scale < 0 {
		digits += strings.Repeat("0", int(-scale))
		scale = 0
	}
	if len(digits) <= 18 {
		n, _ := strconv.ParseInt(digits, 10, 64)
		if neg {
			n = -n
		}
		return Decimal(n, int32(scale)), nil
	}
	bi, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Null, fmt.Errorf("invalid decimal %q", orig)
	}
	if neg {
		bi.Neg(bi)
	}
	return DecimalBig(bi, int32(scale)), nil
}

// MaxDecimalScale bounds the scale ParseDecimal accepts: far beyond any
// database's decimals (38–65 digits) and small enough that formatting a
// value never builds a huge string.
const MaxDecimalScale = 1000

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// AsBool returns the boolean; false for other kinds.
func (v Value) AsBool() bool { return v.n != 0 }

// AsInt returns the int64 of an int value.
func (v Value) AsInt() int64 { return v.n }

// AsFloat returns the float64 of a float value.
func (v Value) AsFloat() float64 { return math.Float64frombits(uint64(v.n)) }

// Raw returns the scalar payload: int, bool (0/1), float bits, date days,
// time µs, timestamp µs, small decimal unscaled value.
func (v Value) Raw() int64 { return v.n }

// Aux returns the decimal scale or the timestamptz offset in seconds.
func (v Value) Aux() int32 { return v.aux }

// AsString returns the string of a string value (a copy-free view for
// strings, a conversion for bytes).
func (v Value) AsString() string {
	if len(v.b) == 0 {
		return ""
	}
	return unsafe.String(&v.b[0], len(v.b))
}

// AsBytes returns the payload of a string or bytes value, aliased.
func (v Value) AsBytes() []byte { return v.b }

// IsBigDecimal reports whether a decimal's unscaled value does not fit int64;
// then DecimalBytes holds it.
func (v Value) IsBigDecimal() bool { return v.big }

// DecimalBytes returns the unscaled value of a decimal as two's-complement
// big-endian bytes (minimal length).
func (v Value) DecimalBytes() []byte {
	if v.big {
		return v.b
	}
	return bigToTwos(big.NewInt(v.n))
}

// Scale returns a decimal's scale.
func (v Value) Scale() int32 { return v.aux }

// Unscaled returns a decimal's unscaled value.
func (v Value) Unscaled() *big.Int {
	if v.big {
		return twosToBig(v.b)
	}
	return big.NewInt(v.n)
}

// Rat returns a decimal (or int) as an exact rational.
func (v Value) Rat() *big.Rat {
	switch v.kind {
	case KindInt:
		return new(big.Rat).SetInt64(v.n)
	case KindDecimal:
		r := new(big.Rat).SetInt(v.Unscaled())
		if v.aux > 0 {
			r.Quo(r, new(big.Rat).SetInt(pow10(int64(v.aux))))
		} else if v.aux < 0 {
			r.Mul(r, new(big.Rat).SetInt(pow10(int64(-v.aux))))
		}
		return r
	}
	return nil
}

// DecimalString formats a decimal exactly with its scale ("12.340").
func (v Value) DecimalString() string {
	var digits string
	neg := false
	if v.big {
		bi := twosToBig(v.b)
		neg = bi.Sign() < 0
		digits = new(big.Int).Abs(bi).String()
	} else {
		neg = v.n < 0
		if v.n == math.MinInt64 {
			digits = "9223372036854775808"
		} else {
			n := v.n
			if neg {
				n = -n
			}
			digits = strconv.FormatInt(n, 10)
		}
	}
	scale := int(v.aux)
	if scale > MaxDecimalScale || scale < -MaxDecimalScale {
		// Scales this far out only come from crafted files: keep the
		// output exact but short.
		s := digits + "E" + strconv.Itoa(-scale)
		if neg {
			return "-" + s
		}
		return s
	}
	if scale < 0 {
		digits += strings.Repeat("0", -scale)
		scale = 0
	}
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// Time returns date, timestamp and timestamptz values as a time.Time: dates
// and zone-less timestamps in UTC, timestamptz in a fixed zone of its offset.
func (v Value) Time() time.Time {
	switch v.kind {
	case KindDate:
		y, m, d := civilFromDays(v.n)
		return time.Date(int(y), time.Month(m), d, 0, 0, 0, 0, time.UTC)
	case KindTimestamp:
		return time.UnixMicro(v.n).UTC()
	case KindTimestampTZ:
		t := time.UnixMicro(v.n)
		if v.aux == 0 {
			return t.UTC()
		}
		return t.In(time.FixedZone("", int(v.aux)))
	case KindTime:
		return time.UnixMicro(v.n).UTC()
	}
	return time.Time{}
}

// Len returns the number of list items or map entries.
func (v Value) Len() int {
	if v.kind == KindMap {
		return len(v.l) / 2
	}
	return len(v.l)
}

// Index returns list item i.
func (v Value) Index(i int) Value { return v.l[i] }

// Items returns the list items, aliased.
func (v Value) Items() []Value { return v.l }

// Entry returns map entry i.
func (v Value) Entry(i int) (key string, val Value) {
	return v.l[2*i].AsString(), v.l[2*i+1]
}

// Get returns the map value under key.
func (v Value) Get(key string) (Value, bool) {
	for i := 0; i+1 < len(v.l); i += 2 {
		if v.l[i].AsString() == key {
			return v.l[i+1], true
		}
	}
	return Null, false
}

// Clone returns a deep copy that owns all its memory.
func (v Value) Clone() Value {
	if v.b != nil {
		v.b = append([]byte{}, v.b...)
	}
	if v.l != nil {
		l := make([]Value, len(v.l))
		for i, x := range v.l {
			l[i] = x.Clone()
		}
		v.l = l
	}
	return v
}

// Equal reports whether two values are identical in kind and payload
// (floats compare by bits, so NaN equals the same NaN; decimals compare
// with their scale: 1.0 and 1.00 differ).
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind || v.aux != w.aux {
		return false
	}
	switch v.kind {
	case KindNull:
		return true
	case KindString, KindBytes:
		return string(v.b) == string(w.b)
	case KindDecimal:
		if !v.big && !w.big {
			return v.n == w.n
		}
		return v.Unscaled().Cmp(w.Unscaled()) == 0
	case KindList, KindMap:
		if len(v.l) != len(w.l) {
			return false
		}
		for i := range v.l {
			if !v.l[i].Equal(w.l[i]) {
				return false
			}
		}
		return true
	}
	return v.n == w.n
}

// String formats the value for people and for text formats: ISO-8601 for
// temporal kinds, exact digits for decimals, hex for bytes, JSON-like for
// lists and maps.
func (v Value) String() string {
	switch v.kind {
	case KindNull:
		return "null"
	case KindBool:
		return strconv.FormatBool(v.AsBool())
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	case KindFloat:
		return FormatFloat(v.AsFloat())
	case KindDecimal:
		return v.DecimalString()
	case KindString:
		return string(v.b)
	case KindBytes:
		return hex.EncodeToString(v.b)
	case KindDate:
		return v.Time().Format("2006-01-02")
	case KindTime:
		return v.Time().Format("15:04:05.999999")
	case KindTimestamp:
		return v.Time().Format("2006-01-02T15:04:05.999999")
	case KindTimestampTZ:
		return v.Time().Format("2006-01-02T15:04:05.999999Z07:00")
	case KindList, KindMap:
		b, _ := AppendJSON(nil, v)
		return string(b)
	}
	return "?"
}

// FormatFloat formats a float the way text outputs write it: shortest exact
// representation, NaN, Infinity, -Infinity.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func pow10(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil) }

// bigToTwos encodes x as minimal two's-complement big-endian bytes.
func bigToTwos(x *big.Int) []byte {
	if x.Sign() >= 0 {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -x - 1, inverted.
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func twosToBig(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return x
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01
// (Howard Hinnant's algorithm); it is exact for every int64-representable year
// range sluice cares about and avoids time.Time's allocation-free but slower
// normalisation.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := int64((153*mp+2)/5 + d - 1)
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// FloorDiv divides rounding toward negative infinity.
func FloorDiv(a, b int64) int64 { return floorDiv(a, b) }

// DaysFromCivil converts a calendar date to days since 1970-01-01.
func DaysFromCivil(year int64, month, day int) int64 { return daysFromCivil(year, month, day) }

// CivilFromDays converts days since 1970-01-01 to a calendar date.
func CivilFromDays(days int64) (year int64, month, day int) { return civilFromDays(days) }
