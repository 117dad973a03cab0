package batch

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// SQL's spellings of booleans in text, matched ignoring case (no null
// texts: a null is a null value).
var (
	sqlTrue  = []string{"true", "t", "1", "yes", "y", "on"}
	sqlFalse = []string{"false", "f", "0", "no", "n", "off"}
	noNulls  = []string{}
)

// Convert turns v into a value of the target column type t with
// rows.Converter, the conversion layer every sluice writer shares: ISO-8601
// strings into dates and timestamps, numbers and numeric strings into
// decimals, booleans into BIT, and so on. Zone-less timestamps meet zoned
// ones in loc. The result may alias v's memory. A conversion that would
// change the value (a fraction into an integer column, a decimal with more
// fractional digits than the column keeps, an integer beyond 2^53 into a
// double, a date with a time of day) is an error: the caller wraps it with
// the row number, column and value.
func Convert(v rows.Value, t *dialect.Type, loc *time.Location) (rows.Value, error) {
	k := v.Kind()
	if k == rows.KindNull || t.Kind == rows.KindAny {
		return v, nil
	}
	c := rows.Converter{TrueValues: sqlTrue, FalseValues: sqlFalse, NullValues: noNulls, Location: loc}
	switch t.Kind {
	case rows.KindString:
		switch k {
		case rows.KindString:
			return v, nil
		case rows.KindBool:
			if !t.JSON {
				return rows.String(v.String()), nil
			}
		}
		b, err := c.AppendText(nil, v)
		if err != nil {
			return rows.Null, fmt.Errorf("%w; cannot store it in %s", err, t)
		}
		return rows.StringBytes(b), nil
	case rows.KindInt:
		if k == rows.KindInt {
			return checkRange(v.AsInt(), t)
		}
		n, err := c.Int(v)
		if err != nil {
			return rows.Null, err
		}
		return checkRange(n, t)
	case rows.KindDecimal:
		if k == rows.KindDecimal && t.Scale < 0 && t.Precision == 0 {
			return v, nil
		}
		return c.Decimal(v, t.Precision, t.Scale)
	case rows.KindFloat:
		bits := 64
		if t.Float32 {
			bits = 32
		}
		if k == rows.KindFloat && !t.Float32 {
			return v, nil
		}
		f, err := c.Float(v, bits)
		if err != nil {
			return rows.Null, err
		}
		return rows.Float(f), nil
	case rows.KindBool:
		if k == rows.KindBool {
			return v, nil
		}
		b, err := c.Bool(v)
		if err != nil {
			return rows.Null, err
		}
		return rows.Bool(b), nil
	case rows.KindBytes:
		switch k {
		case rows.KindBytes:
			return v, nil
		case rows.KindString:
			return rows.Bytes(v.AsBytes()), nil
		}
	case rows.KindDate:
		if k == rows.KindDate {
			return v, nil
		}
		d, err := c.Date(v)
		if err != nil {
			return rows.Null, err
		}
		return rows.Date(d), nil
	case rows.KindTimestamp:
		if k == rows.KindTimestamp {
			return v, nil
		}
		if k == rows.KindInt {
			break // a number is not a timestamp here
		}
		w, err := c.Local(v, rows.NoEpoch)
		if err != nil {
			return rows.Null, err
		}
		return rows.Timestamp(w), nil
	case rows.KindTimestampTZ:
		if k == rows.KindTimestampTZ {
			return v, nil
		}
		if k == rows.KindInt {
			break
		}
		us, off, err := c.Instant(v, rows.NoEpoch)
		if err != nil {
			return rows.Null, err
		}
		return rows.TimestampTZ(us, off), nil
	case rows.KindTime:
		us, err := c.Time(v)
		if err != nil {
			return rows.Null, err
		}
		return rows.TimeOfDay(us), nil
	case rows.KindList, rows.KindMap:
		if k == t.Kind {
			return v, nil
		}
	}
	return rows.Null, fmt.Errorf("cannot convert %s to %s", k, t)
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
		return rows.Null, fmt.Errorf("%d is out of range for %s (%s to %s)", n, t, strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10))
	}
	return rows.Int(n), nil
}
