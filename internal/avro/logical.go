package avro

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/sluicehq/sluice/internal/rows"
)

// decimalNode is the decimal logical type on bytes (fixed == 0) or on a
// fixed of that size: the unscaled value as two's-complement big-endian.
type decimalNode struct {
	precision int
	scale     int32
	fixed     int
}

func (n *decimalNode) typeName() string {
	if n.fixed > 0 {
		return fmt.Sprintf("decimal(%d,%d) fixed(%d)", n.precision, n.scale, n.fixed)
	}
	return fmt.Sprintf("decimal(%d,%d)", n.precision, n.scale)
}
func (*decimalNode) kind() rows.Kind { return rows.KindDecimal }

func (n *decimalNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	// Fast path: an int64 unscaled value at a scale no larger than the
	// field's, scaled up in 128 bits without big.Int.
	if v.Kind() == rows.KindDecimal && !v.IsBigDecimal() && v.Scale() <= n.scale && n.scale-v.Scale() < 20 {
		if b, i, ok := scale128(v.Raw(), int(n.scale-v.Scale()), n.precision); ok {
			return n.appendUnscaled(dst, b[i:], v.Raw() < 0)
		}
	}
	if v.IsNull() {
		return dst, errNull(n)
	}
	d, err := e.Conv.Decimal(v, n.precision, int(n.scale))
	if err != nil {
		return dst, err
	}
	if !d.IsBigDecimal() {
		b, i, _ := scale128(d.Raw(), 0, 0)
		return n.appendUnscaled(dst, b[i:], d.Raw() < 0)
	}
	b := d.DecimalBytes()
	return n.appendUnscaled(dst, b, b[0]&0x80 != 0)
}

// appendUnscaled writes two's-complement bytes: length-prefixed for bytes,
// sign-extended to the size for fixed.
func (n *decimalNode) appendUnscaled(dst []byte, b []byte, neg bool) ([]byte, error) {
	if n.fixed == 0 {
		return appendBytes(dst, b), nil
	}
	if len(b) > n.fixed {
		return dst, fmt.Errorf("decimal needs %d bytes, more than the %s field holds", len(b), n.typeName())
	}
	pad := byte(0)
	if neg {
		pad = 0xff
	}
	for i := len(b); i < n.fixed; i++ {
		dst = append(dst, pad)
	}
	return append(dst, b...), nil
}

func (n *decimalNode) dec(d *Decoder) rows.Value {
	var p []byte
	if n.fixed == 0 {
		p = d.bytes(d.long())
	} else {
		p = d.bytes(int64(n.fixed))
	}
	if d.err != nil {
		return rows.Null
	}
	if len(p) == 0 {
		return rows.Decimal(0, n.scale)
	}
	return rows.DecimalRaw(trimTwos(p), n.scale)
}

func (n *decimalNode) match(k rows.Kind) int {
	return score(k, rows.KindDecimal, rows.KindInt, rows.KindString, rows.KindFloat)
}

// trimTwos drops redundant sign-extension bytes of a two's-complement
// number (fixed-size decimals are padded).
func trimTwos(b []byte) []byte {
	for len(b) > 1 && ((b[0] == 0 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		b = b[1:]
	}
	return b
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

// scale128 returns u × 10^k as 16 two's-complement bytes, minimal from
// index start, when the result has at most precision digits (precision 0:
// any up to 38). The array is returned by value so that it stays on the
// caller's stack.
func scale128(u int64, k, precision int) (b [16]byte, start int, ok bool) {
	neg := u < 0
	mag := uint64(u)
	if neg {
		mag = uint64(-u) // MinInt64 wraps to 1<<63, its magnitude
	}
	hi, lo := bits.Mul64(mag, pow10u[k])
	d := 1
	for d < 39 && !less128(hi, lo, pow10x128[d]) {
		d++
	}
	if d >= 39 || (precision > 0 && d > precision) {
		return b, 0, false
	}
	if neg { // two's complement of the 128-bit magnitude
		lo, hi = ^lo+1, ^hi
		if lo == 0 {
			hi++
		}
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	for start < 15 && ((b[start] == 0 && b[start+1]&0x80 == 0) || (b[start] == 0xff && b[start+1]&0x80 != 0)) {
		start++
	}
	return b, start, true
}

// dateNode is the date logical type: days since 1970-01-01 as an int.
type dateNode struct{}

func (dateNode) typeName() string { return "date" }
func (dateNode) kind() rows.Kind  { return rows.KindDate }
func (n dateNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	var days int64
	if v.Kind() == rows.KindInt {
		days = v.AsInt() // already the field's representation
	} else {
		var err error
		if days, err = e.Conv.Date(v); err != nil {
			return dst, err
		}
	}
	if days < math.MinInt32 || days > math.MaxInt32 {
		return dst, fmt.Errorf("date %d days from 1970 is out of range", days)
	}
	return appendLong(dst, days), nil
}
func (dateNode) dec(d *Decoder) rows.Value { return rows.Date(d.long()) }
func (dateNode) match(k rows.Kind) int {
	return score(k, rows.KindDate, rows.KindTimestamp, rows.KindTimestampTZ, rows.KindInt, rows.KindString)
}

// timeNode is time-millis (an int) or time-micros (a long) since midnight.
type timeNode struct{ millis bool }

func (n timeNode) typeName() string {
	if n.millis {
		return "time-millis"
	}
	return "time-micros"
}
func (timeNode) kind() rows.Kind { return rows.KindTime }
func (n timeNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	if v.Kind() == rows.KindInt {
		// Already in the field's unit.
		return appendLong(dst, v.AsInt()), nil
	}
	us, err := e.Conv.Time(v)
	if err != nil {
		return dst, err
	}
	if us < 0 || us >= rows.MicrosPerDay {
		return dst, fmt.Errorf("time of day %d µs is out of range", us)
	}
	if n.millis {
		if us%1000 != 0 {
			return dst, fmt.Errorf("%s has microseconds: a time-millis field would drop them (use time-micros)", rows.TimeOfDay(us))
		}
		return appendLong(dst, us/1000), nil
	}
	return appendLong(dst, us), nil
}
func (n timeNode) dec(d *Decoder) rows.Value {
	t := d.long()
	if n.millis {
		t *= 1000
	}
	return rows.TimeOfDay(t)
}
func (timeNode) match(k rows.Kind) int {
	return score(k, rows.KindTime, rows.KindInt, rows.KindString)
}

// timestampNode is timestamp-millis/micros (an instant) or
// local-timestamp-millis/micros (a wall-clock reading), as a long.
type timestampNode struct {
	millis bool
	local  bool
}

func (n timestampNode) typeName() string {
	s := "timestamp-micros"
	if n.millis {
		s = "timestamp-millis"
	}
	if n.local {
		s = "local-" + s
	}
	return s
}

func (n timestampNode) kind() rows.Kind {
	if n.local {
		return rows.KindTimestamp
	}
	return rows.KindTimestampTZ
}

func (n timestampNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	var us int64
	switch {
	case v.Kind() == rows.KindTimestampTZ && !n.local:
		us = v.Raw()
	case v.Kind() == rows.KindTimestamp && n.local:
		us = v.Raw()
	case v.IsNull():
		return dst, errNull(n)
	default:
		unit := rows.EpochMicros
		if n.millis {
			unit = rows.EpochMillis
		}
		var err error
		if n.local {
			us, err = e.Conv.Local(v, unit)
		} else {
			us, _, err = e.Conv.Instant(v, unit)
		}
		if err != nil {
			return dst, err
		}
	}
	if n.millis {
		if us%1000 != 0 {
			return dst, fmt.Errorf("%s has microseconds: a %s field would drop them", v, n.typeName())
		}
		return appendLong(dst, us/1000), nil
	}
	return appendLong(dst, us), nil
}

func (n timestampNode) dec(d *Decoder) rows.Value {
	t := d.long()
	if n.millis {
		if t > math.MaxInt64/1000 || t < math.MinInt64/1000 {
			d.fail("%s %d out of range", n.typeName(), t)
			return rows.Null
		}
		t *= 1000
	}
	if n.local {
		return rows.Timestamp(t)
	}
	return rows.TimestampTZ(t, 0)
}

func (n timestampNode) match(k rows.Kind) int {
	natural, other := rows.KindTimestampTZ, rows.KindTimestamp
	if n.local {
		natural, other = other, natural
	}
	return score(k, natural, other, rows.KindDate, rows.KindInt, rows.KindString)
}

// uuidNode is the uuid logical type on a string: its 36-character form.
type uuidNode struct{}

func (uuidNode) typeName() string { return "uuid" }
func (uuidNode) kind() rows.Kind  { return rows.KindString }
func (n uuidNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	u, err := uuidOf(n, v)
	if err != nil {
		return dst, err
	}
	return AppendUUID(appendLong(dst, 36), u), nil
}
func (uuidNode) dec(d *Decoder) rows.Value { return stringNode{}.dec(d) }
func (uuidNode) match(k rows.Kind) int     { return score(k, rows.KindString, rows.KindBytes) }

func uuidOf(n node, v rows.Value) ([16]byte, error) {
	var u [16]byte
	switch v.Kind() {
	case rows.KindString:
		return ParseUUID(v.AsString())
	case rows.KindBytes:
		if len(v.AsBytes()) != 16 {
			return u, fmt.Errorf("%d bytes are not a UUID (16 needed)", len(v.AsBytes()))
		}
		copy(u[:], v.AsBytes())
		return u, nil
	case rows.KindNull:
		return u, errNull(n)
	}
	return u, errKind(n, v)
}

// uuidFixedNode is Avro 1.12's uuid on fixed(16): the 16 bytes.
type uuidFixedNode struct{}

func (uuidFixedNode) typeName() string { return "uuid fixed(16)" }
func (uuidFixedNode) kind() rows.Kind  { return rows.KindString }
func (n uuidFixedNode) enc(e *Encoder, dst []byte, v rows.Value) ([]byte, error) {
	u, err := uuidOf(n, v)
	if err != nil {
		return dst, err
	}
	return append(dst, u[:]...), nil
}
func (uuidFixedNode) dec(d *Decoder) rows.Value {
	b := d.bytes(16)
	if d.err != nil {
		return rows.Null
	}
	var u [16]byte
	copy(u[:], b)
	return rows.String(string(AppendUUID(nil, u)))
}
func (uuidFixedNode) match(k rows.Kind) int { return uuidNode{}.match(k) }

// ParseUUID parses the 36-character form (8-4-4-4-12 hex digits, any case).
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not a UUID (8-4-4-4-12 hex digits)", s)
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, fmt.Errorf("%q is not a UUID (8-4-4-4-12 hex digits)", s)
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

// AppendUUID appends the lower-case 36-character form, as Java's
// UUID.toString writes it.
func AppendUUID(dst []byte, u [16]byte) []byte {
	const hexd = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[c>>4], hexd[c&0xf])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
