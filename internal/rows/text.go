package rows

import (
	"strconv"
	"time"
)

// Allocation-free text forms of values (writers call them per value).

// AppendDecimal appends a decimal exactly with its scale ("12.340").
func AppendDecimal(dst []byte, v Value) []byte {
	if v.IsBigDecimal() || v.Raw() == -1<<63 || v.Scale() < 0 {
		return append(dst, v.DecimalString()...)
	}
	n := v.Raw()
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	scale := int(v.Scale())
	var buf [24]byte
	digits := strconv.AppendInt(buf[:0], n, 10)
	if scale == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}

func pad2(dst []byte, n int64) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// AppendDate appends days since 1970-01-01 as YYYY-MM-DD.
func AppendDate(dst []byte, days int64) []byte {
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		return append(dst, Date(days).String()...)
	}
	dst = pad2(dst, y/100)
	dst = pad2(dst, y%100)
	dst = append(dst, '-')
	dst = pad2(dst, int64(m))
	dst = append(dst, '-')
	return pad2(dst, int64(d))
}

// AppendTime appends µs since midnight as HH:MM:SS with the fraction
// trimmed of trailing zeros (none when whole).
func AppendTime(dst []byte, micros int64) []byte {
	s := micros / 1e6
	dst = pad2(dst, s/3600)
	dst = append(dst, ':')
	dst = pad2(dst, s/60%60)
	dst = append(dst, ':')
	dst = pad2(dst, s%60)
	if f := micros % 1e6; f != 0 {
		var buf [6]byte
		for i := 5; i >= 0; i-- {
			buf[i] = byte('0' + f%10)
			f /= 10
		}
		n := 6
		for n > 0 && buf[n-1] == '0' {
			n--
		}
		dst = append(dst, '.')
		dst = append(dst, buf[:n]...)
	}
	return dst
}

func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// AppendTimestamp appends µs since 1970-01-01T00:00 as a local date-time.
func AppendTimestamp(dst []byte, micros int64) []byte {
	days, rest := floorDivMod(micros, 86400e6)
	dst = AppendDate(dst, days)
	dst = append(dst, 'T')
	return AppendTime(dst, rest)
}

// AppendOffset appends Z or ±HH:MM[:SS].
func AppendOffset(dst []byte, off int32) []byte {
	if off == 0 {
		return append(dst, 'Z')
	}
	o := int64(off)
	if o < 0 {
		dst = append(dst, '-')
		o = -o
	} else {
		dst = append(dst, '+')
	}
	dst = pad2(dst, o/3600)
	dst = append(dst, ':')
	dst = pad2(dst, o/60%60)
	if o%60 != 0 {
		dst = append(dst, ':')
		dst = pad2(dst, o%60)
	}
	return dst
}

// AppendTimestampTZ appends an instant in its own offset, or in loc when
// loc is not nil: 2021-01-02T03:04:05.123456+01:00.
func AppendTimestampTZ(dst []byte, v Value, loc *time.Location) []byte {
	off := v.Aux()
	if loc != nil {
		_, o := time.UnixMicro(v.Raw()).In(loc).Zone()
		off = int32(o)
	}
	dst = AppendTimestamp(dst, v.Raw()+int64(off)*1e6)
	return AppendOffset(dst, off)
}

// AppendISO appends a temporal value as ISO-8601; other kinds unchanged.
func AppendISO(dst []byte, v Value, loc *time.Location) []byte {
	switch v.Kind() {
	case KindDate:
		return AppendDate(dst, v.Raw())
	case KindTime:
		return AppendTime(dst, v.Raw())
	case KindTimestamp:
		return AppendTimestamp(dst, v.Raw())
	case KindTimestampTZ:
		return AppendTimestampTZ(dst, v, loc)
	}
	return dst
}

// AppendFloat appends f in its shortest form, NaN and ±Infinity by name
// (FormatFloat without the string).
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case f != f:
		return append(dst, "NaN"...)
	case f > 1.7976931348623157e308:
		return append(dst, "Infinity"...)
	case f < -1.7976931348623157e308:
		return append(dst, "-Infinity"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}
