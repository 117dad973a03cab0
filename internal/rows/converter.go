package rows

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Converter turns a value into the type a writer stores: every writer
// (Avro files, Kafka serializers, JDBC Batch, CSV and JSON writers) calls
// it, so that a value is accepted or refused the same way everywhere.
//
// What is accepted follows Kestra's AvroConverter: ISO-8601 text (and the
// configured patterns) into dates, times and timestamps; numeric text into
// a timestamp as an epoch count in the target's unit; numbers and numeric
// text into decimals; trueValues/falseValues/nullValues matched
// case-insensitively.
//
// The one rule for what is refused: a conversion is made only when the
// target holds the value exactly. Refused, with an error the caller wraps
// with row, column and value:
//   - a fraction into an integer, a number outside the target's range;
//   - an integer beyond ±2^53 into a double (±2^24 into a float): the
//     float would round it;
//   - a decimal with more fractional digits than the target's scale, or
//     more digits than its precision (Kestra rounds half-even; sluice
//     never rounds a decimal);
//   - a decimal with more significant digits than a double keeps;
//   - a timestamp with a time of day into a date, microseconds into a
//     millisecond field;
//   - bytes that are not UTF-8 into text; text that does not parse.
//
// A float into a float field (64 into 32 bits) is rounded: the field is
// approximate by declaration. The zero Converter uses Kestra's default
// lists and ISO-8601 only, in UTC.
type Converter struct {
	// TrueValues, FalseValues and NullValues are the texts read as true,
	// false and null (nil: Kestra's defaults), compared ignoring case.
	TrueValues, FalseValues, NullValues []string
	// DecimalSeparator is the character numeric text uses for the point
	// (0 or '.': a point).
	DecimalSeparator byte
	// Formats parses text that is not ISO-8601 (configured patterns);
	// nil: ISO-8601 only.
	Formats TextFormats
	// Location is where zone-less text and timestamps become instants.
	// Instants become wall-clock readings in Location when it is set, in
	// the offset they carry otherwise. nil: UTC.
	Location *time.Location
}

// TextFormats parses dates, times and date-times in configured patterns
// (serdes compiles Kestra's Java patterns into one).
type TextFormats interface {
	// ParseDate returns days since 1970-01-01.
	ParseDate(s string) (int64, error)
	// ParseTime returns µs since midnight.
	ParseTime(s string) (int64, error)
	// ParseDateTime returns the wall-clock µs since 1970-01-01T00:00 and
	// the offset when the text has one.
	ParseDateTime(s string) (wall int64, offset int32, zoned bool, err error)
}

// Kestra's AvroWriter defaults.
var (
	DefaultTrueValues  = []string{"t", "true", "enabled", "1", "on", "yes"}
	DefaultFalseValues = []string{"f", "false", "disabled", "0", "off", "no", ""}
	DefaultNullValues  = []string{"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "1.#IND", "1.#QNAN", "NA", "n/a", "nan", "null"}
)

// EpochUnit is the unit of an integer (or integer text) written into a
// timestamp: the target's own unit, as Kestra reads it.
type EpochUnit uint8

// The epoch units. NoEpoch refuses numbers.
const (
	NoEpoch EpochUnit = iota
	EpochSeconds
	EpochMillis
	EpochMicros
)

func inList(list []string, s string) bool {
	for _, x := range list {
		if len(x) == len(s) && strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// IsNullText reports whether s is one of the null texts.
func (c *Converter) IsNullText(s string) bool {
	l := c.NullValues
	if l == nil {
		l = DefaultNullValues
	}
	return inList(l, s)
}

// BoolText reads s as one of the true or false texts.
func (c *Converter) BoolText(s string) (value, ok bool) {
	t, f := c.TrueValues, c.FalseValues
	if t == nil {
		t = DefaultTrueValues
	}
	if f == nil {
		f = DefaultFalseValues
	}
	if inList(t, s) {
		return true, true
	}
	if inList(f, s) {
		return false, true
	}
	return false, false
}

func quoteValue(v Value) string {
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	if v.kind == KindString {
		return strconv.Quote(s)
	}
	return s
}

func errCannot(v Value, target string) error {
	if v.kind == KindNull {
		return fmt.Errorf("null is not a %s", target)
	}
	return fmt.Errorf("cannot convert a %s value (%s) to %s", v.kind, quoteValue(v), target)
}

// Bool converts booleans, the true/false texts and the numbers 0 and 1.
func (c *Converter) Bool(v Value) (bool, error) {
	switch v.kind {
	case KindBool:
		return v.n != 0, nil
	case KindInt:
		if v.n == 0 || v.n == 1 {
			return v.n == 1, nil
		}
		return false, fmt.Errorf("%d is not a boolean (0 or 1)", v.n)
	case KindFloat:
		if f := v.AsFloat(); f == 0 || f == 1 {
			return f == 1, nil
		}
	case KindDecimal:
		if n, err := c.Int(v); err == nil && (n == 0 || n == 1) {
			return n == 1, nil
		}
	case KindString:
		if b, ok := c.BoolText(strings.TrimSpace(v.AsString())); ok {
			return b, nil
		}
		return false, fmt.Errorf("%s is not one of the true or false values", quoteValue(v))
	}
	return false, errCannot(v, "a boolean")
}

// numberText trims s and replaces the configured decimal separator.
func (c *Converter) numberText(s string) string {
	s = strings.TrimSpace(s)
	if c.DecimalSeparator != 0 && c.DecimalSeparator != '.' {
		if i := strings.IndexByte(s, c.DecimalSeparator); i >= 0 {
			s = s[:i] + "." + s[i+1:]
		}
	}
	return s
}

// Int converts integral values: ints, booleans (1 and 0), floats and
// decimals without a fraction, integer and decimal text.
func (c *Converter) Int(v Value) (int64, error) {
	switch v.kind {
	case KindInt:
		return v.n, nil
	case KindBool:
		return v.n, nil
	case KindFloat:
		f := v.AsFloat()
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("%s is not an integer", FormatFloat(f))
		}
		if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
			return 0, fmt.Errorf("%s is out of the range of a 64-bit integer", FormatFloat(f))
		}
		return int64(f), nil
	case KindDecimal:
		return decimalInt(v)
	case KindString:
		s := strings.TrimSpace(v.AsString())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		d, err := ParseDecimal(c.numberText(s))
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer", quoteValue(v))
		}
		return decimalInt(d)
	}
	return 0, errCannot(v, "an integer")
}

func decimalInt(v Value) (int64, error) {
	if !v.big {
		n, s := v.n, v.aux
		for ; s > 0; s-- {
			if n%10 != 0 {
				return 0, fmt.Errorf("%s is not an integer", v.DecimalString())
			}
			n /= 10
		}
		return n, nil
	}
	u, err := Rescale(v, 0)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer", v.DecimalString())
	}
	if !u.IsInt64() {
		return 0, fmt.Errorf("%s is out of the range of a 64-bit integer", v.DecimalString())
	}
	return u.Int64(), nil
}

// IntRange is Int with a range check (an int field of 32 bits, a SMALLINT).
func (c *Converter) IntRange(v Value, lo, hi int64) (int64, error) {
	n, err := c.Int(v)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range (%d to %d)", n, lo, hi)
	}
	return n, nil
}

// Float converts to a float of bits 64 or 32. Integers must be exact in
// the float (|n| ≤ 2^53, 2^24 for 32 bits); decimals must keep their
// digits; floats pass (rounded to 32 bits when asked, refused when out of
// its range); text parses, with NaN and ±Infinity.
func (c *Converter) Float(v Value, bits int) (float64, error) {
	var f float64
	switch v.kind {
	case KindFloat:
		f = v.AsFloat()
	case KindInt:
		lim := int64(1) << 53
		if bits == 32 {
			lim = 1 << 24
		}
		if v.n > lim || v.n < -lim {
			return 0, fmt.Errorf("%d is beyond ±2^%d: a %d-bit float would round it", v.n, map[bool]int{true: 24, false: 53}[bits == 32], bits)
		}
		return float64(v.n), nil
	case KindDecimal:
		return decimalFloat(v, bits)
	case KindString:
		s := c.numberText(v.AsString())
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity", "+Infinity", "inf", "+inf":
			return math.Inf(1), nil
		case "-Infinity", "-inf":
			return math.Inf(-1), nil
		}
		if d, err := ParseDecimal(s); err == nil {
			return decimalFloat(d, bits)
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, fmt.Errorf("%s is not a number", quoteValue(v))
		}
	default:
		return 0, errCannot(v, "a number")
	}
	if bits == 32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
		return 0, fmt.Errorf("%s is out of the range of a 32-bit float", FormatFloat(f))
	}
	return f, nil
}

// decimalFloat converts a decimal whose digits a float keeps: up to 15
// significant digits always, more when the float reads back the same.
func decimalFloat(d Value, bits int) (float64, error) {
	s := d.DecimalString()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of the range of a float", s)
	}
	if f == 0 && !isZeroDecimal(d) {
		return 0, fmt.Errorf("%s is too small for a float: it would be 0", s)
	}
	if bits == 32 {
		if math.Abs(f) > math.MaxFloat32 {
			return 0, fmt.Errorf("%s is out of the range of a 32-bit float", s)
		}
		return f, nil
	}
	if significantDigits(s) > 15 {
		back, err := ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
		if err != nil || back.Rat().Cmp(d.Rat()) != 0 {
			return 0, fmt.Errorf("%s has more digits than a double keeps (it would be %s)", s, FormatFloat(f))
		}
	}
	return f, nil
}

func isZeroDecimal(d Value) bool {
	if !d.big {
		return d.n == 0
	}
	return d.Unscaled().Sign() == 0
}

func significantDigits(s string) int {
	n, started, trailing := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		if c != '0' {
			started = true
			n += trailing + 1
			trailing = 0
		} else if started {
			trailing++
		}
	}
	return n
}

// Decimal converts to an exact decimal at scale (scale < 0: the value's
// own scale) with at most precision digits (0: any): decimals, integers,
// booleans, floats (by their shortest text, 0.1 is 0.1) and numeric text.
// Raising the scale is exact; lowering it is refused unless the dropped
// digits are zeros.
func (c *Converter) Decimal(v Value, precision, scale int) (Value, error) {
	var d Value
	switch v.kind {
	case KindDecimal:
		d = v
	case KindInt, KindBool:
		d = Decimal(v.n, 0)
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Null, fmt.Errorf("%s is not a decimal", FormatFloat(f))
		}
		var err error
		if d, err = ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64)); err != nil {
			return Null, err
		}
	case KindString:
		var err error
		if d, err = ParseDecimal(c.numberText(v.AsString())); err != nil {
			return Null, fmt.Errorf("%s is not a decimal number", quoteValue(v))
		}
	default:
		return Null, errCannot(v, "a decimal")
	}
	return FitDecimal(d, precision, scale)
}

// FitDecimal rescales decimal d to scale (scale < 0: keep d's) and checks
// that it has at most precision digits (0: any).
func FitDecimal(d Value, precision, scale int) (Value, error) {
	if scale < 0 {
		if precision > 0 && decimalDigits(d) > precision {
			return Null, fmt.Errorf("%s has more than %d digits", d.DecimalString(), precision)
		}
		return d, nil
	}
	target := int32(scale)
	if !d.big && d.aux <= target && target-d.aux < int32(len(pow10i)) {
		if r, ok := mul64(d.n, pow10i[target-d.aux]); ok {
			if precision > 0 && digits64(r) > precision {
				return Null, errPrecision(d, precision, scale)
			}
			return Decimal(r, target), nil
		}
	}
	u, err := Rescale(d, target)
	if err != nil {
		return Null, err
	}
	if precision > 0 && bigDigits(u) > precision {
		return Null, errPrecision(d, precision, scale)
	}
	return DecimalBig(u, target), nil
}

func errPrecision(d Value, precision, scale int) error {
	return fmt.Errorf("%s has more digits than decimal(%d,%d) holds (at most %d before the point)", d.DecimalString(), precision, scale, precision-scale)
}

var pow10i = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

func mul64(n, p int64) (int64, bool) {
	if n == 0 || p == 1 {
		return n * p, true
	}
	r := n * p
	if r/p != n {
		return 0, false
	}
	return r, true
}

// Rescale returns the unscaled value of decimal d at scale. Raising the
// scale is exact; lowering it is allowed only when the dropped digits are
// zeros (1.230 at scale 2 is 123), otherwise it is an error: the value
// would be rounded.
func Rescale(d Value, scale int32) (*big.Int, error) {
	s := d.aux
	if !d.big {
		n := d.n
		switch {
		case s == scale:
			return big.NewInt(n), nil
		case s < scale && scale-s < int32(len(pow10i)):
			if r, ok := mul64(n, pow10i[scale-s]); ok {
				return big.NewInt(r), nil
			}
		case s > scale && s-scale < int32(len(pow10i)):
			p := pow10i[s-scale]
			if n%p != 0 {
				return nil, errScale(d, scale)
			}
			return big.NewInt(n / p), nil
		}
	}
	u := d.Unscaled()
	if s < scale {
		return u.Mul(u, pow10(int64(scale-s))), nil
	}
	if s > scale {
		q, r := new(big.Int).QuoRem(u, pow10(int64(s-scale)), new(big.Int))
		if r.Sign() != 0 {
			return nil, errScale(d, scale)
		}
		return q, nil
	}
	return u, nil
}

func errScale(d Value, scale int32) error {
	return fmt.Errorf("%s has %d digits after the point, more than the %d the target keeps: it would be rounded", d.DecimalString(), d.aux, scale)
}

func digits64(n int64) int {
	if n == math.MinInt64 {
		return 19
	}
	if n < 0 {
		n = -n
	}
	d := 1
	for d < len(pow10i) && n >= pow10i[d] {
		d++
	}
	return d
}

func bigDigits(u *big.Int) int {
	if u.IsInt64() {
		return digits64(u.Int64())
	}
	return len(new(big.Int).Abs(u).String())
}

func decimalDigits(d Value) int {
	if !d.big {
		return digits64(d.n)
	}
	return bigDigits(d.Unscaled())
}

// Date converts to days since 1970-01-01: dates, timestamps at midnight
// (instants in Location or their own offset), ISO-8601 date text (an
// offset is allowed and ignored, as Java's ISO_DATE; a date-time at
// midnight) and the configured date pattern. A number is not a date (as
// Kestra); Avro's date field takes an int as its days itself.
func (c *Converter) Date(v Value) (int64, error) {
	switch v.kind {
	case KindDate:
		return v.n, nil
	case KindTimestamp, KindTimestampTZ:
		wall := c.wall(v)
		days := floorDiv(wall, MicrosPerDay)
		if wall != days*MicrosPerDay {
			return 0, fmt.Errorf("%s has a time of day: a date would drop it", v)
		}
		return days, nil
	case KindString:
		s := strings.TrimSpace(v.AsString())
		if t, ok := ParseTemporal(s); ok && t.HasDate {
			if t.HasTime && (t.Micros != 0 || t.HasZone) {
				return 0, fmt.Errorf("%s has a time of day: a date would drop it", quoteValue(v))
			}
			return t.Days, nil
		}
		if t, ok := parseDateZone(s); ok {
			return t, nil
		}
		if c.Formats != nil {
			d, err := c.Formats.ParseDate(s)
			if err == nil {
				return d, nil
			}
			return 0, fmt.Errorf("%s is not a date (ISO-8601 or the date format): %w", quoteValue(v), err)
		}
		return 0, fmt.Errorf("%s is not an ISO-8601 date (YYYY-MM-DD)", quoteValue(v))
	}
	return 0, errCannot(v, "a date")
}

// parseDateZone reads "2011-12-03+01:00" (ISO_DATE with an offset).
func parseDateZone(s string) (int64, bool) {
	if len(s) <= 10 {
		return 0, false
	}
	switch s[10] {
	case 'Z', 'z', '+', '-':
	default:
		return 0, false
	}
	t, ok := ParseTemporal(s[:10])
	if !ok || !t.HasDate {
		return 0, false
	}
	if z, ok := ParseTemporal("00:00" + s[10:]); !ok || !z.HasZone {
		return 0, false
	}
	return t.Days, true
}

// Time converts to µs since midnight: times and ISO-8601 time text (an
// offset is allowed and dropped, as Kestra), or the configured pattern.
func (c *Converter) Time(v Value) (int64, error) {
	switch v.kind {
	case KindTime:
		return v.n, nil
	case KindString:
		s := strings.TrimSpace(v.AsString())
		if t, ok := ParseTemporal(s); ok && !t.HasDate && t.HasTime && t.Micros < MicrosPerDay {
			return t.Micros, nil
		}
		if c.Formats != nil {
			us, err := c.Formats.ParseTime(s)
			if err == nil {
				return us, nil
			}
			return 0, fmt.Errorf("%s is not a time (ISO-8601 or the time format): %w", quoteValue(v), err)
		}
		return 0, fmt.Errorf("%s is not an ISO-8601 time (HH:MM[:SS[.ffffff]])", quoteValue(v))
	}
	return 0, errCannot(v, "a time of day")
}

func (c *Converter) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// wall is the wall-clock reading of a timestamp value.
func (c *Converter) wall(v Value) int64 {
	if v.kind == KindTimestampTZ {
		if c.Location != nil {
			w, _ := LocalMicros(v.n, c.Location)
			return w
		}
		return v.n + int64(v.aux)*1e6
	}
	return v.n
}

var errNoEpoch = errors.New("a number is not a timestamp here (write an ISO-8601 date-time)")

func epochMicros(n int64, unit EpochUnit) (int64, error) {
	var m int64
	switch unit {
	case EpochSeconds:
		m = 1e6
	case EpochMillis:
		m = 1e3
	case EpochMicros:
		return n, nil
	default:
		return 0, errNoEpoch
	}
	r, ok := mul64(n, m)
	if !ok {
		return 0, fmt.Errorf("epoch %d is out of range", n)
	}
	return r, nil
}

// Instant converts to an instant (µs since the Unix epoch) and the offset
// it is written in: timestamps with a zone as they are, zone-less
// timestamps and dates in Location, integers and integer text as an epoch
// count in unit, ISO-8601 date-time text and the configured pattern.
func (c *Converter) Instant(v Value, unit EpochUnit) (int64, int32, error) {
	switch v.kind {
	case KindTimestampTZ:
		return v.n, v.aux, nil
	case KindTimestamp:
		us, off := InstantOf(v.n, c.loc())
		return us, off, nil
	case KindDate:
		us, off := InstantOf(v.n*MicrosPerDay, c.loc())
		return us, off, nil
	case KindInt:
		us, err := epochMicros(v.n, unit)
		return us, 0, err
	case KindString:
		wall, off, zoned, err := c.dateTime(v, unit)
		if err != nil {
			return 0, 0, err
		}
		if zoned {
			return wall - int64(off)*1e6, off, nil
		}
		us, off := InstantOf(wall, c.loc())
		return us, off, nil
	}
	return 0, 0, errCannot(v, "a timestamp")
}

// Local converts to a wall-clock reading (µs since 1970-01-01T00:00):
// zone-less timestamps as they are, instants in Location (their own
// offset when it is nil), dates at midnight, integers as an epoch count
// in unit, date-time text.
func (c *Converter) Local(v Value, unit EpochUnit) (int64, error) {
	switch v.kind {
	case KindTimestamp, KindTimestampTZ:
		return c.wall(v), nil
	case KindDate:
		return v.n * MicrosPerDay, nil
	case KindInt:
		return epochMicros(v.n, unit)
	case KindString:
		wall, off, zoned, err := c.dateTime(v, unit)
		if err != nil {
			return 0, err
		}
		if zoned && c.Location != nil {
			w, _ := LocalMicros(wall-int64(off)*1e6, c.Location)
			return w, nil
		}
		return wall, nil
	}
	return 0, errCannot(v, "a timestamp")
}

// dateTime parses date-time text: an epoch count in unit (when unit is
// set), ISO-8601 (a date alone is midnight), the configured pattern.
// For epoch text the wall clock returned is UTC and zoned is true.
func (c *Converter) dateTime(v Value, unit EpochUnit) (wall int64, off int32, zoned bool, err error) {
	s := strings.TrimSpace(v.AsString())
	if unit != NoEpoch && s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '-' && len(s) > 1 && s[1] >= '0' && s[1] <= '9') {
		if n, perr := strconv.ParseInt(s, 10, 64); perr == nil {
			us, err := epochMicros(n, unit)
			return us, 0, true, err
		}
	}
	if t, ok := ParseTemporal(s); ok && t.HasDate {
		return t.Days*MicrosPerDay + t.Micros, t.Offset, t.HasZone, nil
	}
	if c.Formats != nil {
		w, o, z, ferr := c.Formats.ParseDateTime(s)
		if ferr == nil {
			return w, o, z, nil
		}
		return 0, 0, false, fmt.Errorf("%s is not a date-time (ISO-8601 or the datetime format): %w", quoteValue(v), ferr)
	}
	return 0, 0, false, fmt.Errorf("%s is not an ISO-8601 date-time", quoteValue(v))
}

// AppendText appends the text form of v for a text target: strings as
// they are, bytes when they are UTF-8, decimals with all their digits,
// temporal values in ISO-8601, booleans true/false, floats in their
// shortest form, lists and maps as JSON.
func (c *Converter) AppendText(dst []byte, v Value) ([]byte, error) {
	switch v.kind {
	case KindString:
		return append(dst, v.b...), nil
	case KindBytes:
		if !utf8.Valid(v.b) {
			return dst, errors.New("binary value is not UTF-8 text")
		}
		return append(dst, v.b...), nil
	case KindNull:
		return dst, errCannot(v, "text")
	case KindList, KindMap:
		return AppendJSON(dst, v)
	case KindInt:
		return strconv.AppendInt(dst, v.n, 10), nil
	case KindBool:
		return strconv.AppendBool(dst, v.n != 0), nil
	case KindFloat:
		return AppendFloat(dst, v.AsFloat()), nil
	case KindDecimal:
		return AppendDecimal(dst, v), nil
	case KindDate, KindTime, KindTimestamp, KindTimestampTZ:
		return AppendISO(dst, v, nil), nil
	}
	return append(dst, v.String()...), nil
}
