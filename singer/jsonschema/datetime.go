package jsonschema

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/internal/rows"
)

// ParseDateTime reads an RFC 3339 date-time as taps write it:
// 2019-07-01T10:00:00Z, 2019-07-01T10:00:00.123456+02:00, a space instead
// of the T, +0200 or +02 offsets. Without an offset the value is a
// zone-less timestamp; a bare date is midnight. Digits beyond microseconds
// are an error rather than silently dropped.
func ParseDateTime(s []byte) (rows.Value, error) {
	days, rest, err := parseDate(s)
	if err != nil {
		return rows.Null, err
	}
	if len(rest) == 0 {
		return rows.Timestamp(days * 86400e6), nil
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return rows.Null, errDateTime
	}
	micros, rest, err := parseClock(rest[1:])
	if err != nil {
		return rows.Null, err
	}
	local := days*86400e6 + micros
	if len(rest) == 0 {
		return rows.Timestamp(local), nil
	}
	off, err := parseOffset(rest)
	if err != nil {
		return rows.Null, err
	}
	return rows.TimestampTZ(local-int64(off)*1e6, off), nil
}

// ParseDate reads YYYY-MM-DD; a date-time at midnight is accepted (database
// taps write DATE columns that way).
func ParseDate(s []byte) (rows.Value, error) {
	days, rest, err := parseDate(s)
	if err != nil {
		return rows.Null, err
	}
	if len(rest) > 0 {
		v, err := ParseDateTime(s)
		if err != nil {
			return rows.Null, err
		}
		local := v.Raw()
		if v.Kind() == rows.KindTimestampTZ {
			local += int64(v.Aux()) * 1e6
		}
		if local%86400e6 != 0 {
			return rows.Null, fmt.Errorf("date %q has a time of day", s)
		}
	}
	return rows.Date(days), nil
}

// ParseTime reads HH:MM:SS[.ffffff].
func ParseTime(s []byte) (rows.Value, error) {
	micros, rest, err := parseClock(s)
	if err != nil {
		return rows.Null, err
	}
	if len(rest) > 0 {
		return rows.Null, fmt.Errorf("invalid time %q", s)
	}
	return rows.TimeOfDay(micros), nil
}

var errDateTime = errors.New("invalid date-time (want RFC 3339, e.g. 2019-07-01T10:00:00Z)")

func digits(s []byte, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func parseDate(s []byte) (days int64, rest []byte, err error) {
	y, ok1 := digits(s, 4)
	if !ok1 || len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, nil, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", s)
	}
	m, ok2 := digits(s[5:], 2)
	d, ok3 := digits(s[8:], 2)
	if !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > rows.DaysInMonth(int64(y), m) {
		return 0, nil, fmt.Errorf("invalid date %q", s)
	}
	return rows.DaysFromCivil(int64(y), m, d), s[10:], nil
}

func parseClock(s []byte) (micros int64, rest []byte, err error) {
	h, ok1 := digits(s, 2)
	if !ok1 || len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, nil, fmt.Errorf("invalid time %q (want HH:MM:SS)", s)
	}
	mi, ok2 := digits(s[3:], 2)
	se, ok3 := digits(s[6:], 2)
	if !ok2 || !ok3 || h > 23 || mi > 59 || se > 60 {
		return 0, nil, fmt.Errorf("invalid time %q", s)
	}
	if se == 60 {
		se = 59 // leap second: the closest representable instant
	}
	micros = (int64(h)*3600 + int64(mi)*60 + int64(se)) * 1e6
	rest = s[8:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		frac := int64(0)
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			if i <= 6 {
				frac = frac*10 + int64(rest[i]-'0')
			} else if rest[i] != '0' {
				return 0, nil, fmt.Errorf("time %q is more precise than microseconds", s)
			}
			i++
		}
		if i == 1 {
			return 0, nil, fmt.Errorf("invalid time %q", s)
		}
		for n := i - 1; n < 6; n++ {
			frac *= 10
		}
		micros += frac
		rest = rest[i:]
	}
	return micros, rest, nil
}

func parseOffset(s []byte) (int32, error) {
	if len(s) == 1 && (s[0] == 'Z' || s[0] == 'z') {
		return 0, nil
	}
	if s[0] != '+' && s[0] != '-' {
		return 0, errDateTime
	}
	sign := int32(1)
	if s[0] == '-' {
		sign = -1
	}
	b := s[1:]
	h, ok := digits(b, 2)
	if !ok {
		return 0, errDateTime
	}
	m := 0
	switch {
	case len(b) == 2:
	case len(b) == 5 && b[2] == ':':
		m, ok = digits(b[3:], 2)
	case len(b) == 4:
		m, ok = digits(b[2:], 2)
	default:
		ok = false
	}
	if !ok || h > 23 || m > 59 {
		return 0, errDateTime
	}
	return sign * int32(h*3600+m*60), nil
}
