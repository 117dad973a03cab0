// Package conv converts sluice values to the numbers and instants Kafka
// serializers write, exactly or with an error: a conversion never rounds
// or truncates silently.
package conv

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// ToInt64 converts an integral value: ints, decimals and floats without a
// fractional part, and strings holding an integer.
func ToInt64(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindInt:
		return v.AsInt(), nil
	case rows.KindDecimal:
		u, err := Rescale(v, 0)
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer", v.DecimalString())
		}
		if !u.IsInt64() {
			return 0, fmt.Errorf("%s is out of the range of a 64-bit integer", v.DecimalString())
		}
		return u.Int64(), nil
	case rows.KindFloat:
		f := v.AsFloat()
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("%s is not an integer", rows.FormatFloat(f))
		}
		if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
			return 0, fmt.Errorf("%s is out of the range of a 64-bit integer", rows.FormatFloat(f))
		}
		return int64(f), nil
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		d, err := rows.ParseDecimal(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", v.AsString())
		}
		return ToInt64(d)
	case rows.KindNull:
		return 0, fmt.Errorf("null is not an integer")
	}
	return 0, fmt.Errorf("a %s value is not an integer", v.Kind())
}

// ToFloat64 converts a number (or a string holding one) to the nearest
// float64; NaN and infinities pass through.
func ToFloat64(v rows.Value) (float64, error) {
	switch v.Kind() {
	case rows.KindFloat:
		return v.AsFloat(), nil
	case rows.KindInt:
		return float64(v.AsInt()), nil
	case rows.KindDecimal:
		f, _ := strconv.ParseFloat(v.DecimalString(), 64)
		return f, nil
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v.AsString())
		}
		return f, nil
	case rows.KindNull:
		return 0, fmt.Errorf("null is not a number")
	}
	return 0, fmt.Errorf("a %s value is not a number", v.Kind())
}

// ToDecimal converts a number (or a string holding one) to an exact
// decimal. Floats use their shortest exact decimal text (0.1 → 0.1).
func ToDecimal(v rows.Value) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindDecimal:
		return v, nil
	case rows.KindInt:
		return rows.Decimal(v.AsInt(), 0), nil
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rows.Null, fmt.Errorf("%s is not a decimal", rows.FormatFloat(f))
		}
		return rows.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	case rows.KindString:
		d, err := rows.ParseDecimal(strings.TrimSpace(v.AsString()))
		if err != nil {
			return rows.Null, fmt.Errorf("%q is not a decimal", v.AsString())
		}
		return d, nil
	case rows.KindNull:
		return rows.Null, fmt.Errorf("null is not a decimal")
	}
	return rows.Null, fmt.Errorf("a %s value is not a decimal", v.Kind())
}

// Rescale returns the unscaled value of decimal d at scale. Raising the
// scale is exact; lowering it is allowed only when the dropped digits are
// zeros (1.230 at scale 2 is 123), otherwise it is an error: the value
// would be truncated.
func Rescale(d rows.Value, scale int32) (*big.Int, error) {
	s := d.Scale()
	if !d.IsBigDecimal() {
		n := d.Raw()
		switch {
		case s == scale:
			return big.NewInt(n), nil
		case s < scale && scale-s <= 18:
			if r, overflow := mulCheck(n, pow10[scale-s]); !overflow {
				return big.NewInt(r), nil
			}
		case s > scale && s-scale <= 18:
			p := pow10[s-scale]
			if n%p != 0 {
				return nil, fmt.Errorf("%s has %d digits after the point, more than the %d the field keeps (it would be truncated)", d.DecimalString(), s, scale)
			}
			return big.NewInt(n / p), nil
		}
	}
	u := d.Unscaled()
	if s < scale {
		return u.Mul(u, bigPow10(int64(scale-s))), nil
	}
	if s > scale {
		q, r := new(big.Int).QuoRem(u, bigPow10(int64(s-scale)), new(big.Int))
		if r.Sign() != 0 {
			return nil, fmt.Errorf("%s has %d digits after the point, more than the %d the field keeps (it would be truncated)", d.DecimalString(), s, scale)
		}
		return q, nil
	}
	return u, nil
}

// mulCheck returns n*p and whether it overflowed.
func mulCheck(n, p int64) (r int64, overflow bool) {
	if n == 0 {
		return 0, false
	}
	r = n * p
	if r/p != n || (n < 0) != (r < 0) {
		return 0, true
	}
	return r, false
}

func bigPow10(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil) }

// Digits is the number of decimal digits of |u| (0 has 1).
func Digits(u *big.Int) int {
	if u.IsInt64() {
		n := u.Int64()
		if n < 0 {
			if n == math.MinInt64 {
				return 19
			}
			n = -n
		}
		d := 1
		for d < len(pow10) && n >= pow10[d] {
			d++
		}
		return d
	}
	return len(new(big.Int).Abs(u).String())
}

// AppendTwos appends u as minimal two's-complement big-endian bytes (Java's
// BigInteger.toByteArray).
func AppendTwos(dst []byte, u *big.Int) []byte {
	if u.IsInt64() {
		n := u.Int64()
		k := 8
		for k > 1 {
			// Drop a leading byte when the next one's sign bit repeats it.
			top := byte(n >> (8 * (k - 1)))
			next := byte(n >> (8 * (k - 2)))
			if (top == 0 && next&0x80 == 0) || (top == 0xff && next&0x80 != 0) {
				k--
				continue
			}
			break
		}
		for i := k - 1; i >= 0; i-- {
			dst = append(dst, byte(n>>(8*i)))
		}
		return dst
	}
	if u.Sign() >= 0 {
		b := u.Bytes()
		if b[0]&0x80 != 0 {
			dst = append(dst, 0)
		}
		return append(dst, b...)
	}
	// -u - 1, inverted.
	m := new(big.Int).Neg(u)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		dst = append(dst, 0xff)
	}
	return append(dst, b...)
}

// TrimTwos drops redundant sign-extension bytes of a two's-complement
// number (fixed-size decimals are padded).
func TrimTwos(b []byte) []byte {
	for len(b) > 1 && ((b[0] == 0 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		b = b[1:]
	}
	return b
}

const (
	microsPerDay = 86400 * 1e6
)

// InstantMicros returns µs since the Unix epoch of a temporal value for a
// field holding an instant: timestamptz as is, zone-less timestamps and
// dates read as UTC, ints as µs already, strings parsed as ISO-8601.
func InstantMicros(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindTimestampTZ, rows.KindTimestamp:
		return v.Raw(), nil
	case rows.KindDate:
		return v.Raw() * microsPerDay, nil
	case rows.KindString:
		return parseTimestamp(v.AsString(), false)
	}
	return 0, fmt.Errorf("a %s value is not a timestamp", v.Kind())
}

// LocalMicros returns µs since 1970-01-01T00:00 of the wall-clock reading
// of a temporal value: zone-less timestamps as is, timestamptz in the zone
// it was written in.
func LocalMicros(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindTimestamp:
		return v.Raw(), nil
	case rows.KindTimestampTZ:
		return v.Raw() + int64(v.Aux())*1e6, nil
	case rows.KindDate:
		return v.Raw() * microsPerDay, nil
	case rows.KindString:
		return parseTimestamp(v.AsString(), true)
	}
	return 0, fmt.Errorf("a %s value is not a timestamp", v.Kind())
}

var localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// parseTimestamp reads RFC 3339 (with a zone) or a zone-less ISO date-time
// (read as UTC, or as wall clock when local).
func parseTimestamp(s string, local bool) (int64, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	var err error
	if t, err = time.Parse(time.RFC3339Nano, s); err == nil {
		if local {
			_, off := t.Zone()
			t = t.Add(time.Duration(off) * time.Second)
		}
	} else {
		ok := false
		for _, l := range localLayouts {
			if t, err = time.Parse(l, s); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return 0, fmt.Errorf("%q is not an ISO-8601 timestamp", s)
		}
	}
	if t.Nanosecond()%1000 != 0 {
		return 0, fmt.Errorf("%q has nanoseconds: sluice keeps microseconds", s)
	}
	return t.Unix()*1e6 + int64(t.Nanosecond()/1000), nil
}

// DateDays returns days since 1970-01-01 of a date (or a timestamp at
// midnight, or an ISO date string).
func DateDays(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindDate:
		return v.Raw(), nil
	case rows.KindTimestamp, rows.KindTimestampTZ:
		us, _ := LocalMicros(v)
		if us%microsPerDay != 0 {
			return 0, fmt.Errorf("%s has a time of day: a date field would drop it", v)
		}
		return us / microsPerDay, nil
	case rows.KindString:
		t, err := time.Parse("2006-01-02", strings.TrimSpace(v.AsString()))
		if err != nil {
			return 0, fmt.Errorf("%q is not an ISO-8601 date (YYYY-MM-DD)", v.AsString())
		}
		return rows.DaysFromCivil(int64(t.Year()), int(t.Month()), t.Day()), nil
	}
	return 0, fmt.Errorf("a %s value is not a date", v.Kind())
}

// TimeMicros returns µs since midnight of a time of day (or an ISO time
// string HH:MM[:SS[.ffffff]]).
func TimeMicros(v rows.Value) (int64, error) {
	switch v.Kind() {
	case rows.KindTime:
		return v.Raw(), nil
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		for _, l := range []string{"15:04:05.999999999", "15:04"} {
			if t, err := time.Parse(l, s); err == nil {
				if t.Nanosecond()%1000 != 0 {
					return 0, fmt.Errorf("%q has nanoseconds: sluice keeps microseconds", s)
				}
				return int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e6 + int64(t.Nanosecond()/1000), nil
			}
		}
		return 0, fmt.Errorf("%q is not an ISO-8601 time of day", s)
	}
	return 0, fmt.Errorf("a %s value is not a time of day", v.Kind())
}

// FloorDiv divides rounding toward negative infinity.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
