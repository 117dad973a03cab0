package batch

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// Convert turns v into a value of the target column type t: ISO-8601
// strings into dates and timestamps, numbers and numeric strings into
// decimals, booleans into BIT, and so on. Zone-less timestamps meet zoned
// ones in loc. The result may alias v's memory. A conversion that would
// change the value (a fraction into an integer column, a decimal with more
// fractional digits than the column keeps, a date with a time of day) is an
// error: the caller wraps it with the row number, column and value.
func Convert(v rows.Value, t *dialect.Type, loc *time.Location) (rows.Value, error) {
	k := v.Kind()
	if k == rows.KindNull || t.Kind == rows.KindAny {
		return v, nil
	}
	switch t.Kind {
	case rows.KindString:
		return toString(v, t)
	case rows.KindInt:
		return toInt(v, t)
	case rows.KindDecimal:
		return toDecimal(v, t)
	case rows.KindFloat:
		return toFloat(v, t)
	case rows.KindBool:
		return toBool(v)
	case rows.KindBytes:
		switch k {
		case rows.KindBytes:
			return v, nil
		case rows.KindString:
			return rows.Bytes(v.AsBytes()), nil
		}
	case rows.KindDate:
		return toDate(v, loc)
	case rows.KindTimestamp:
		return toTimestamp(v, loc)
	case rows.KindTimestampTZ:
		return toTimestampTZ(v, loc)
	case rows.KindTime:
		return toTime(v)
	case rows.KindList, rows.KindMap:
		if k == t.Kind {
			return v, nil
		}
	}
	return rows.Null, fmt.Errorf("cannot convert %s to %s", k, t)
}

func toString(v rows.Value, t *dialect.Type) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindString:
		return v, nil
	case rows.KindBytes:
		if !utf8.Valid(v.AsBytes()) {
			return rows.Null, fmt.Errorf("binary value is not UTF-8 text; cannot store it in %s", t)
		}
		return rows.StringBytes(v.AsBytes()), nil
	case rows.KindList, rows.KindMap:
		b, err := rows.AppendJSON(nil, v)
		if err != nil {
			return rows.Null, err
		}
		return rows.StringBytes(b), nil
	case rows.KindBool:
		if t.JSON {
			return rows.String(strconv.FormatBool(v.AsBool())), nil
		}
	}
	return rows.String(v.String()), nil
}

func intRange(t *dialect.Type) (lo, hi int64) {
	bits := t.Bits
	if bits <= 0 || bits > 64 {
		bits = 64
	}
	if t.Unsigned {
		if bits >= 63 {
			return 0, math.MaxInt64
		}
		return 0, 1<<bits - 1
	}
	if bits == 64 {
		return math.MinInt64, math.MaxInt64
	}
	return -(1 << (bits - 1)), 1<<(bits-1) - 1
}

func checkRange(n int64, t *dialect.Type) (rows.Value, error) {
	lo, hi := intRange(t)
	if n < lo || n > hi {
		return rows.Null, fmt.Errorf("%d is out of range for %s (%d to %d)", n, t, lo, hi)
	}
	return rows.Int(n), nil
}

func toInt(v rows.Value, t *dialect.Type) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindInt:
		return checkRange(v.AsInt(), t)
	case rows.KindBool:
		if v.AsBool() {
			return rows.Int(1), nil
		}
		return rows.Int(0), nil
	case rows.KindFloat:
		f := v.AsFloat()
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) || f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
			return rows.Null, fmt.Errorf("%s is not an integer", rows.FormatFloat(f))
		}
		return checkRange(int64(f), t)
	case rows.KindDecimal:
		n, err := decimalToInt(v)
		if err != nil {
			return rows.Null, err
		}
		return checkRange(n, t)
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return checkRange(n, t)
		}
		d, err := rows.ParseDecimal(s)
		if err != nil {
			return rows.Null, fmt.Errorf("%q is not a number", s)
		}
		n, err := decimalToInt(d)
		if err != nil {
			return rows.Null, err
		}
		return checkRange(n, t)
	}
	return rows.Null, fmt.Errorf("cannot convert %s to %s", v.Kind(), t)
}

func decimalToInt(v rows.Value) (int64, error) {
	if !v.IsBigDecimal() {
		n, s := v.Raw(), v.Scale()
		for ; s > 0; s-- {
			if n%10 != 0 {
				return 0, fmt.Errorf("%s is not an integer", v.DecimalString())
			}
			n /= 10
		}
		for ; s < 0; s++ {
			if n > math.MaxInt64/10 || n < math.MinInt64/10 {
				return 0, fmt.Errorf("%s is out of range for a 64-bit integer", v.DecimalString())
			}
			n *= 10
		}
		return n, nil
	}
	r := v.Rat()
	if !r.IsInt() {
		return 0, fmt.Errorf("%s is not an integer", v.DecimalString())
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%s is out of range for a 64-bit integer", v.DecimalString())
	}
	return r.Num().Int64(), nil
}

func toFloat(v rows.Value, t *dialect.Type) (rows.Value, error) {
	var f float64
	switch v.Kind() {
	case rows.KindFloat:
		f = v.AsFloat()
	case rows.KindInt:
		f = float64(v.AsInt())
	case rows.KindDecimal:
		var err error
		if f, err = strconv.ParseFloat(v.DecimalString(), 64); err != nil {
			return rows.Null, fmt.Errorf("%s is out of range for %s", v.DecimalString(), t)
		}
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		switch s {
		case "NaN":
			f = math.NaN()
		case "Infinity", "+Infinity", "inf", "+inf":
			f = math.Inf(1)
		case "-Infinity", "-inf":
			f = math.Inf(-1)
		default:
			var err error
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				return rows.Null, fmt.Errorf("%q is not a number", s)
			}
		}
	default:
		return rows.Null, fmt.Errorf("cannot convert %s to %s", v.Kind(), t)
	}
	if t.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
		return rows.Null, fmt.Errorf("%s is out of range for %s", rows.FormatFloat(f), t)
	}
	return rows.Float(f), nil
}

func toBool(v rows.Value) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindBool:
		return v, nil
	case rows.KindInt:
		switch v.AsInt() {
		case 0:
			return rows.Bool(false), nil
		case 1:
			return rows.Bool(true), nil
		}
		return rows.Null, fmt.Errorf("%d is not a boolean (0 or 1)", v.AsInt())
	case rows.KindDecimal:
		if n, err := decimalToInt(v); err == nil && (n == 0 || n == 1) {
			return rows.Bool(n == 1), nil
		}
		return rows.Null, fmt.Errorf("%s is not a boolean (0 or 1)", v.DecimalString())
	case rows.KindFloat:
		switch v.AsFloat() {
		case 0:
			return rows.Bool(false), nil
		case 1:
			return rows.Bool(true), nil
		}
	case rows.KindString:
		switch strings.ToLower(strings.TrimSpace(v.AsString())) {
		case "true", "t", "1", "yes", "y", "on":
			return rows.Bool(true), nil
		case "false", "f", "0", "no", "n", "off":
			return rows.Bool(false), nil
		}
		return rows.Null, fmt.Errorf("%q is not a boolean", v.AsString())
	}
	return rows.Null, fmt.Errorf("cannot convert %s to a boolean", v.Kind())
}

func toDate(v rows.Value, loc *time.Location) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindDate:
		return v, nil
	case rows.KindTimestamp:
		return dateOfWall(v.Raw())
	case rows.KindTimestampTZ:
		wall, _ := localMicros(v.Raw(), loc)
		return dateOfWall(wall)
	case rows.KindString:
		tm, ok := ParseTemporal([]byte(strings.TrimSpace(v.AsString())))
		if !ok || !tm.HasDate {
			return rows.Null, fmt.Errorf("%q is not an ISO-8601 date (YYYY-MM-DD)", v.AsString())
		}
		if tm.HasZone {
			inst := tm.Days*microsPerDay + tm.Micros - int64(tm.Offset)*1e6
			wall, _ := localMicros(inst, loc)
			return dateOfWall(wall)
		}
		if tm.Micros != 0 {
			return rows.Null, fmt.Errorf("%q has a time of day; a DATE column would lose it", v.AsString())
		}
		return rows.Date(tm.Days), nil
	}
	return rows.Null, fmt.Errorf("cannot convert %s to a date", v.Kind())
}

func dateOfWall(wall int64) (rows.Value, error) {
	days := floorDiv(wall, microsPerDay)
	if wall != days*microsPerDay {
		return rows.Null, fmt.Errorf("%s has a time of day; a DATE column would lose it", rows.Timestamp(wall))
	}
	return rows.Date(days), nil
}

func toTimestamp(v rows.Value, loc *time.Location) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindTimestamp:
		return v, nil
	case rows.KindDate:
		return rows.Timestamp(v.Raw() * microsPerDay), nil
	case rows.KindTimestampTZ:
		wall, _ := localMicros(v.Raw(), loc)
		return rows.Timestamp(wall), nil
	case rows.KindString:
		tm, ok := ParseTemporal([]byte(strings.TrimSpace(v.AsString())))
		if !ok || !tm.HasDate {
			return rows.Null, fmt.Errorf("%q is not an ISO-8601 date-time", v.AsString())
		}
		wall := tm.Days*microsPerDay + tm.Micros
		if tm.HasZone {
			wall, _ = localMicros(wall-int64(tm.Offset)*1e6, loc)
		}
		return rows.Timestamp(wall), nil
	}
	return rows.Null, fmt.Errorf("cannot convert %s to a timestamp", v.Kind())
}

func toTimestampTZ(v rows.Value, loc *time.Location) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindTimestampTZ:
		return v, nil
	case rows.KindTimestamp:
		inst, off := instantOf(v.Raw(), loc)
		return rows.TimestampTZ(inst, off), nil
	case rows.KindDate:
		inst, off := instantOf(v.Raw()*microsPerDay, loc)
		return rows.TimestampTZ(inst, off), nil
	case rows.KindString:
		tm, ok := ParseTemporal([]byte(strings.TrimSpace(v.AsString())))
		if !ok || !tm.HasDate {
			return rows.Null, fmt.Errorf("%q is not an ISO-8601 date-time", v.AsString())
		}
		wall := tm.Days*microsPerDay + tm.Micros
		if tm.HasZone {
			return rows.TimestampTZ(wall-int64(tm.Offset)*1e6, tm.Offset), nil
		}
		inst, off := instantOf(wall, loc)
		return rows.TimestampTZ(inst, off), nil
	}
	return rows.Null, fmt.Errorf("cannot convert %s to a timestamp with time zone", v.Kind())
}

func toTime(v rows.Value) (rows.Value, error) {
	switch v.Kind() {
	case rows.KindTime:
		return v, nil
	case rows.KindString:
		tm, ok := ParseTemporal([]byte(strings.TrimSpace(v.AsString())))
		if !ok || tm.HasDate || !tm.HasTime {
			return rows.Null, fmt.Errorf("%q is not an ISO-8601 time (HH:MM:SS)", v.AsString())
		}
		return rows.TimeOfDay(tm.Micros), nil
	}
	return rows.Null, fmt.Errorf("cannot convert %s to a time of day", v.Kind())
}

// toDecimal converts to DECIMAL(p,s): exact values must fit without losing
// a digit; floats, approximate by nature, are rounded half-even to s.
func toDecimal(v rows.Value, t *dialect.Type) (rows.Value, error) {
	var d rows.Value
	switch v.Kind() {
	case rows.KindDecimal:
		d = v
	case rows.KindInt:
		d = rows.Decimal(v.AsInt(), 0)
	case rows.KindBool:
		if v.AsBool() {
			d = rows.Decimal(1, 0)
		} else {
			d = rows.Decimal(0, 0)
		}
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return rows.Null, fmt.Errorf("%s cannot be stored in %s", rows.FormatFloat(f), t)
		}
		if t.Scale >= 0 {
			// Round the float itself, not its shortest decimal form, so
			// 2.675 (really 2.67499...) rounds as the float says.
			s := strconv.FormatFloat(f, 'f', t.Scale, 64)
			pd, err := rows.ParseDecimal(s)
			if err != nil {
				return rows.Null, err
			}
			d = pd
		} else {
			pd, err := rows.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
			if err != nil {
				return rows.Null, err
			}
			d = pd
		}
	case rows.KindString:
		s := strings.TrimSpace(v.AsString())
		pd, err := rows.ParseDecimal(s)
		if err != nil {
			return rows.Null, fmt.Errorf("%q is not a decimal number", s)
		}
		d = pd
	default:
		return rows.Null, fmt.Errorf("cannot convert %s to %s", v.Kind(), t)
	}
	return fitDecimal(d, t)
}

var bigTen = big.NewInt(10)

// fitDecimal rescales d to t's scale and checks its precision.
func fitDecimal(d rows.Value, t *dialect.Type) (rows.Value, error) {
	if t.Scale < 0 {
		if t.Precision > 0 && digitCount(d) > t.Precision {
			return rows.Null, fmt.Errorf("%s has more than %d digits", d.DecimalString(), t.Precision)
		}
		return d, nil
	}
	target := int32(t.Scale)
	s := d.Scale()
	if s == target && !d.IsBigDecimal() {
		if t.Precision > 0 && digits64(d.Raw()) > t.Precision {
			return rows.Null, errPrecision(d, t)
		}
		return d, nil
	}
	if !d.IsBigDecimal() {
		n := d.Raw()
		ok := true
		for ; s < target; s++ {
			if n > math.MaxInt64/10 || n < math.MinInt64/10 {
				ok = false
				break
			}
			n *= 10
		}
		if ok {
			for ; s > target; s-- {
				if n%10 != 0 {
					return rows.Null, fmt.Errorf("%s has more than %d fractional digits; %s would round it", d.DecimalString(), t.Scale, t)
				}
				n /= 10
			}
			if t.Precision > 0 && digits64(n) > t.Precision {
				return rows.Null, errPrecision(d, t)
			}
			return rows.Decimal(n, target), nil
		}
	}
	u := d.Unscaled()
	s = d.Scale()
	if s < target {
		u.Mul(u, new(big.Int).Exp(bigTen, big.NewInt(int64(target-s)), nil))
	} else if s > target {
		q, r := new(big.Int).QuoRem(u, new(big.Int).Exp(bigTen, big.NewInt(int64(s-target)), nil), new(big.Int))
		if r.Sign() != 0 {
			return rows.Null, fmt.Errorf("%s has more than %d fractional digits; %s would round it", d.DecimalString(), t.Scale, t)
		}
		u = q
	}
	out := rows.DecimalBig(u, target)
	if t.Precision > 0 && len(new(big.Int).Abs(u).String()) > t.Precision && u.Sign() != 0 {
		return rows.Null, errPrecision(d, t)
	}
	return out, nil
}

func errPrecision(d rows.Value, t *dialect.Type) error {
	return fmt.Errorf("%s is out of range for %s (at most %d digits before the point)", d.DecimalString(), t, t.Precision-max(t.Scale, 0))
}

func digits64(n int64) int {
	if n == 0 {
		return 0
	}
	if n == math.MinInt64 {
		return 19
	}
	if n < 0 {
		n = -n
	}
	k := 0
	for n > 0 {
		n /= 10
		k++
	}
	return k
}

func digitCount(d rows.Value) int {
	if !d.IsBigDecimal() {
		return digits64(d.Raw())
	}
	return len(new(big.Int).Abs(d.Unscaled()).String())
}
