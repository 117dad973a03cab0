package textval

import (
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
)

func dig2(s string, i int) (int, bool) {
	if i+2 > len(s) {
		return 0, false
	}
	a, b := s[i]-'0', s[i+1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int(a)*10 + int(b), true
}

// ParseISODate parses YYYY-MM-DD into days since 1970-01-01.
func ParseISODate(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	c, ok1 := dig2(s, 0)
	y, ok2 := dig2(s, 2)
	m, ok3 := dig2(s, 5)
	d, ok4 := dig2(s, 8)
	if !(ok1 && ok2 && ok3 && ok4) || m < 1 || m > 12 || d < 1 || d > rows.DaysInMonth(int64(c*100+y), m) {
		return 0, false
	}
	return rows.DaysFromCivil(int64(c*100+y), m, d), true
}

// ParseISOTime parses HH:MM[:SS[.fraction]] (fraction up to 9 digits,
// truncated to µs) into µs since midnight.
func ParseISOTime(s string) (int64, bool) {
	if len(s) < 5 || s[2] != ':' {
		return 0, false
	}
	h, ok1 := dig2(s, 0)
	m, ok2 := dig2(s, 3)
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	us := int64(h*3600+m*60) * 1e6
	if len(s) == 5 {
		return us, true
	}
	if s[5] != ':' {
		return 0, false
	}
	sec, ok := dig2(s, 6)
	if !ok || sec > 59 {
		return 0, false
	}
	us += int64(sec) * 1e6
	if len(s) == 8 {
		return us, true
	}
	if s[8] != '.' && s[8] != ',' || len(s) == 9 || len(s) > 18 {
		return 0, false
	}
	var frac int64
	n := 0
	for i := 9; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		if n < 6 {
			frac = frac*10 + int64(c)
			n++
		}
	}
	for ; n < 6; n++ {
		frac *= 10
	}
	return us + frac, true
}

// ParseISOOffset parses Z or ±HH[:MM[:SS]] / ±HHMM into seconds.
func ParseISOOffset(s string) (int32, bool) {
	if s == "Z" || s == "z" {
		return 0, true
	}
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	h, ok := dig2(s, 1)
	if !ok || h > 18 {
		return 0, false
	}
	rest := s[3:]
	m, sec := 0, 0
	if len(rest) > 0 {
		if rest[0] == ':' {
			rest = rest[1:]
		}
		var ok bool
		if m, ok = dig2(rest, 0); !ok || m > 59 {
			return 0, false
		}
		rest = rest[2:]
		if len(rest) > 0 {
			if rest[0] == ':' {
				rest = rest[1:]
			}
			if sec, ok = dig2(rest, 0); !ok || sec > 59 || len(rest) != 2 {
				return 0, false
			}
		}
	}
	off := int32(h*3600 + m*60 + sec)
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// ParseISODateTime parses YYYY-MM-DD[T ]HH:MM[:SS[.f]][offset]. It returns
// the wall-clock µs since 1970-01-01T00:00 and, when present, the offset.
func ParseISODateTime(s string) (wall int64, off int32, hasOff bool, ok bool) {
	if len(s) < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') {
		return 0, 0, false, false
	}
	days, ok := ParseISODate(s[:10])
	if !ok {
		return 0, 0, false, false
	}
	t := s[11:]
	if i := strings.IndexAny(t, "Zz+-"); i >= 0 {
		o, ok := ParseISOOffset(t[i:])
		if !ok {
			return 0, 0, false, false
		}
		off, hasOff, t = o, true, t[:i]
	}
	us, ok := ParseISOTime(t)
	if !ok {
		return 0, 0, false, false
	}
	return days*86400e6 + us, off, hasOff, true
}

// ParseBool accepts true/false (any case) and the usual spreadsheet
// spellings t/f, yes/no, y/n, on/off, 1/0.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "on", "1":
		return true, true
	case "false", "f", "no", "n", "off", "0":
		return false, true
	}
	return false, false
}

// maxExponent bounds the exponent ParseDecimal accepts: rows.ParseDecimal
// expands 1e999999999 into a billion digits.
const maxExponent = 10000

// ParseDecimal parses a decimal literal exactly (rows.ParseDecimal) after
// rejecting exponents beyond ±10000 and inputs longer than 1000 bytes.
func ParseDecimal(s string) (rows.Value, bool) {
	if len(s) == 0 || len(s) > 1000 {
		return rows.Null, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e := s[i+1:]
		if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if len(e) == 0 || len(e) > 5 {
			return rows.Null, false
		}
		n := 0
		for _, c := range []byte(e) {
			if c < '0' || c > '9' {
				return rows.Null, false
			}
			n = n*10 + int(c-'0')
		}
		if n > maxExponent {
			return rows.Null, false
		}
	}
	v, err := rows.ParseDecimal(s)
	return v, err == nil
}
