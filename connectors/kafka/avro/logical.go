package avro

import (
	"fmt"
	"math"

	"github.com/sluicehq/sluice/connectors/kafka/internal/conv"
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

func (n *decimalNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	d, err := conv.ToDecimal(v)
	if err != nil {
		return dst, fmt.Errorf("%s field: %w", n.typeName(), err)
	}
	u, err := conv.Rescale(d, n.scale)
	if err != nil {
		return dst, err
	}
	if n.precision > 0 && conv.Digits(u) > n.precision {
		return dst, fmt.Errorf("%s needs %d digits at scale %d, more than the precision %d of the field", d.DecimalString(), conv.Digits(u), n.scale, n.precision)
	}
	if n.fixed == 0 {
		var buf [24]byte
		b := conv.AppendTwos(buf[:0], u)
		return append(appendLong(dst, int64(len(b))), b...), nil
	}
	var buf [24]byte
	b := conv.AppendTwos(buf[:0], u)
	if len(b) > n.fixed {
		return dst, fmt.Errorf("%s needs %d bytes, more than the %s field holds", d.DecimalString(), len(b), n.typeName())
	}
	pad := byte(0)
	if u.Sign() < 0 {
		pad = 0xff
	}
	for i := len(b); i < n.fixed; i++ {
		dst = append(dst, pad)
	}
	return append(dst, b...), nil
}

func (n *decimalNode) dec(b []byte) (rows.Value, []byte, error) {
	var p []byte
	if n.fixed == 0 {
		var err error
		if p, b, err = readBytes(b); err != nil {
			return rows.Null, nil, err
		}
	} else {
		if len(b) < n.fixed {
			return rows.Null, nil, errShort
		}
		p, b = b[:n.fixed:n.fixed], b[n.fixed:]
	}
	return rows.DecimalRaw(conv.TrimTwos(p), n.scale), b, nil
}

func (n *decimalNode) match(k rows.Kind) int {
	switch k {
	case rows.KindDecimal:
		return 2
	case rows.KindInt, rows.KindString, rows.KindFloat:
		return 1
	}
	return 0
}

// dateNode is the date logical type: days since 1970-01-01 as an int.
type dateNode struct{}

func (dateNode) typeName() string { return "date" }
func (n dateNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	var days int64
	var err error
	switch v.Kind() {
	case rows.KindNull:
		return dst, errNull(n)
	case rows.KindInt:
		days = v.AsInt()
	default:
		if days, err = conv.DateDays(v); err != nil {
			return dst, err
		}
	}
	if days < math.MinInt32 || days > math.MaxInt32 {
		return dst, fmt.Errorf("date %d days from 1970 is out of range", days)
	}
	return appendLong(dst, days), nil
}
func (dateNode) dec(b []byte) (rows.Value, []byte, error) {
	d, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	return rows.Date(d), rest, nil
}
func (dateNode) match(k rows.Kind) int {
	switch k {
	case rows.KindDate:
		return 2
	case rows.KindTimestamp, rows.KindTimestampTZ, rows.KindInt, rows.KindString:
		return 1
	}
	return 0
}

// timeNode is time-millis (an int) or time-micros (a long) since midnight.
type timeNode struct{ millis bool }

func (n timeNode) typeName() string {
	if n.millis {
		return "time-millis"
	}
	return "time-micros"
}
func (n timeNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	if v.Kind() == rows.KindInt {
		// Already in the field's unit.
		return appendLong(dst, v.AsInt()), nil
	}
	us, err := conv.TimeMicros(v)
	if err != nil {
		return dst, err
	}
	if us < 0 || us >= 86400*1e6 {
		return dst, fmt.Errorf("time of day %d µs is out of range", us)
	}
	if n.millis {
		if us%1000 != 0 {
			return dst, fmt.Errorf("%s has microseconds: a time-millis field would drop them (use time-micros)", v)
		}
		return appendLong(dst, us/1000), nil
	}
	return appendLong(dst, us), nil
}
func (n timeNode) dec(b []byte) (rows.Value, []byte, error) {
	t, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	if n.millis {
		t *= 1000
	}
	return rows.TimeOfDay(t), rest, nil
}
func (timeNode) match(k rows.Kind) int {
	switch k {
	case rows.KindTime:
		return 2
	case rows.KindInt, rows.KindString:
		return 1
	}
	return 0
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

func (n timestampNode) enc(dst []byte, v rows.Value) ([]byte, error) {
	if v.IsNull() {
		return dst, errNull(n)
	}
	if v.Kind() == rows.KindInt {
		// Already in the field's unit.
		return appendLong(dst, v.AsInt()), nil
	}
	var us int64
	var err error
	if n.local {
		us, err = conv.LocalMicros(v)
	} else {
		us, err = conv.InstantMicros(v)
	}
	if err != nil {
		return dst, err
	}
	if n.millis {
		if us%1000 != 0 {
			return dst, fmt.Errorf("%s has microseconds: a %s field would drop them (use %s-micros)", v, n.typeName(), map[bool]string{true: "local-timestamp", false: "timestamp"}[n.local])
		}
		return appendLong(dst, us/1000), nil
	}
	return appendLong(dst, us), nil
}

func (n timestampNode) dec(b []byte) (rows.Value, []byte, error) {
	t, rest, err := readLong(b)
	if err != nil {
		return rows.Null, nil, err
	}
	if n.millis {
		if t > math.MaxInt64/1000 || t < math.MinInt64/1000 {
			return rows.Null, nil, fmt.Errorf("avro: %s %d out of range", n.typeName(), t)
		}
		t *= 1000
	}
	if n.local {
		return rows.Timestamp(t), rest, nil
	}
	return rows.TimestampTZ(t, 0), rest, nil
}

func (n timestampNode) match(k rows.Kind) int {
	switch k {
	case rows.KindTimestampTZ:
		if n.local {
			return 1
		}
		return 2
	case rows.KindTimestamp:
		if n.local {
			return 2
		}
		return 1
	case rows.KindDate, rows.KindInt, rows.KindString:
		return 1
	}
	return 0
}
