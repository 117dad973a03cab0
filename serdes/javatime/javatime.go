// Package javatime formats and parses dates and times with Java
// DateTimeFormatter patterns ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), the syntax
// Kestra's serdes tasks take in dateFormat, timeFormat and datetimeFormat,
// so flows written for Kestra keep their patterns.
//
// Supported letters: y u (year), M L (month: 1-2 digits, MMM short name,
// MMMM full name), d (day of month), D (day of year), E (day name), a
// (AM/PM), H k K h (hours), m, s, S (fraction of second, n digits), n
// (nano of second), X x Z (offsets), VV (zone ID), z (zone name, formatting
// only), quoted literals ('T'; two single quotes for a quote) and optional
// sections [...].
// Other ASCII letters are reserved, as in Java, and rejected.
package javatime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pattern is a compiled pattern.
type Pattern struct {
	src   string
	items []item
}

type item struct {
	letter byte   // 0: literal
	count  int    // letter repetitions
	lit    string // literal text
	opt    []item // optional section (letter == '[')
}

// Compile parses a pattern.
func Compile(pattern string) (*Pattern, error) {
	items, rest, err := compile(pattern, 0, false)
	if err != nil {
		return nil, fmt.Errorf("date pattern %q: %w", pattern, err)
	}
	if rest != len(pattern) {
		return nil, fmt.Errorf("date pattern %q: unbalanced ']' at %d", pattern, rest+1)
	}
	return &Pattern{src: pattern, items: items}, nil
}

// MustCompile is Compile for patterns known to be valid.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

func (p *Pattern) String() string { return p.src }

const known = "yuMLdDEaHkKhmsSnXxZVzG"

func compile(s string, i int, inOpt bool) ([]item, int, error) {
	var items []item
	addLit := func(l string) {
		if n := len(items); n > 0 && items[n-1].letter == 0 {
			items[n-1].lit += l
			return
		}
		items = append(items, item{lit: l})
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '[':
			sub, next, err := compile(s, i+1, true)
			if err != nil {
				return nil, 0, err
			}
			if next >= len(s) || s[next] != ']' {
				return nil, 0, fmt.Errorf("'[' at %d is never closed", i+1)
			}
			items = append(items, item{letter: '[', opt: sub})
			i = next + 1
		case c == ']':
			if !inOpt {
				return items, i, nil
			}
			return items, i, nil
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(s) {
					return nil, 0, fmt.Errorf("quote at %d is never closed", i+1)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(s[j])
				j++
			}
			if j == i+1 {
				addLit("'")
			} else {
				addLit(lit.String())
			}
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune(known, rune(c)) {
				return nil, 0, fmt.Errorf("unsupported pattern letter %q at %d", c, i+1)
			}
			j := i
			for j < len(s) && s[j] == c {
				j++
			}
			items = append(items, item{letter: c, count: j - i})
			i = j
		default:
			addLit(string(c))
			i++
		}
	}
	return items, i, nil
}

// Fields is a parsed or to-be-formatted date/time. Zero values of the Has
// flags mean the part is absent.
type Fields struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Nanos                int
	Offset               int // seconds east of UTC, when HasOffset
	Zone                 *time.Location
	HasDate, HasTime     bool
	HasOffset            bool
	yday                 int
	pm, hasPM, hour12    bool
}

// ErrNoZone is returned when a pattern prints an offset or zone outside an
// optional section and the value has none.
var ErrNoZone = fmt.Errorf("the pattern prints a time zone but the value has none (set timeZoneId or put the zone in an optional section [XXX])")

// FormatTime formats t; zoned says whether t's zone is meaningful (false for
// zone-less timestamps, dates and times).
func (p *Pattern) FormatTime(dst []byte, t time.Time, zoned bool) ([]byte, error) {
	out, ok, err := formatItems(dst, p.items, t, zoned, false)
	if err != nil {
		return dst, err
	}
	if !ok {
		return dst, ErrNoZone
	}
	return out, nil
}

var (
	monthsShort = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthsLong  = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	daysShort   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	daysLong    = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

func pad(dst []byte, n, width int) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// formatItems returns ok=false when a zone was needed and missing (so an
// optional section can be dropped).
func formatItems(dst []byte, items []item, t time.Time, zoned, inOpt bool) ([]byte, bool, error) {
	for _, it := range items {
		switch it.letter {
		case 0:
			dst = append(dst, it.lit...)
		case '[':
			out, ok, err := formatItems(dst, it.opt, t, zoned, true)
			if err != nil {
				return dst, false, err
			}
			if ok {
				dst = out
			}
		case 'y', 'u':
			y := t.Year()
			if it.count == 2 {
				dst = pad(dst, ((y%100)+100)%100, 2)
			} else {
				dst = pad(dst, y, it.count)
			}
		case 'M', 'L':
			switch {
			case it.count >= 4:
				dst = append(dst, monthsLong[t.Month()-1]...)
			case it.count == 3:
				dst = append(dst, monthsShort[t.Month()-1]...)
			default:
				dst = pad(dst, int(t.Month()), it.count)
			}
		case 'd':
			dst = pad(dst, t.Day(), it.count)
		case 'D':
			dst = pad(dst, t.YearDay(), it.count)
		case 'E':
			if it.count >= 4 {
				dst = append(dst, daysLong[t.Weekday()]...)
			} else {
				dst = append(dst, daysShort[t.Weekday()]...)
			}
		case 'a':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'H':
			dst = pad(dst, t.Hour(), it.count)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			dst = pad(dst, h, it.count)
		case 'K':
			dst = pad(dst, t.Hour()%12, it.count)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = pad(dst, h, it.count)
		case 'm':
			dst = pad(dst, t.Minute(), it.count)
		case 's':
			dst = pad(dst, t.Second(), it.count)
		case 'S':
			var buf [9]byte
			n := t.Nanosecond()
			for i := 8; i >= 0; i-- {
				buf[i] = byte('0' + n%10)
				n /= 10
			}
			c := min(it.count, 9)
			dst = append(dst, buf[:c]...)
			for i := 9; i < it.count; i++ {
				dst = append(dst, '0')
			}
		case 'n':
			dst = pad(dst, t.Nanosecond(), it.count)
		case 'X', 'x', 'Z', 'V', 'z':
			if !zoned {
				return dst, false, nil
			}
			dst = formatZone(dst, it, t)
		case 'G':
			if t.Year() > 0 {
				dst = append(dst, "AD"...)
			} else {
				dst = append(dst, "BC"...)
			}
		}
	}
	return dst, true, nil
}

func formatZone(dst []byte, it item, t time.Time) []byte {
	name, off := t.Zone()
	switch it.letter {
	case 'V':
		return append(dst, t.Location().String()...)
	case 'z':
		return append(dst, name...)
	}
	if off == 0 && (it.letter == 'X' || (it.letter == 'Z' && it.count == 5)) {
		return append(dst, 'Z')
	}
	if it.letter == 'Z' && it.count == 4 {
		if off == 0 {
			return append(dst, "GMT"...)
		}
		dst = append(dst, "GMT"...)
		return appendOffset(dst, off, true, true)
	}
	colon := false
	withMinutes := true
	switch it.letter {
	case 'X', 'x':
		colon = it.count == 3 || it.count == 5
		withMinutes = it.count != 1 || off%3600 != 0
	case 'Z':
		colon = it.count == 5
	}
	return appendOffset(dst, off, colon, withMinutes)
}

func appendOffset(dst []byte, off int, colon, minutes bool) []byte {
	if off < 0 {
		dst = append(dst, '-')
		off = -off
	} else {
		dst = append(dst, '+')
	}
	dst = pad(dst, off/3600, 2)
	if minutes {
		if colon {
			dst = append(dst, ':')
		}
		dst = pad(dst, off%3600/60, 2)
	}
	if s := off % 60; s != 0 {
		if colon {
			dst = append(dst, ':')
		}
		dst = pad(dst, s, 2)
	}
	return dst
}

// Parse parses s completely; an error names the position that failed.
func (p *Pattern) Parse(s string) (Fields, error) {
	var f Fields
	n, err := parseItems(s, 0, p.items, &f)
	if err != nil {
		return f, fmt.Errorf("%q does not match pattern %q: %w", s, p.src, err)
	}
	if n != len(s) {
		return f, fmt.Errorf("%q does not match pattern %q: unexpected text %q at %d", s, p.src, s[n:], n+1)
	}
	if f.hasPM {
		if f.hour12 && f.Hour == 12 {
			f.Hour = 0
		}
		if f.pm {
			f.Hour += 12
		}
	}
	if f.yday > 0 && f.Month == 0 {
		t := time.Date(f.Year, 1, f.yday, 0, 0, 0, 0, time.UTC)
		f.Month, f.Day = int(t.Month()), t.Day()
	}
	if f.HasDate {
		if f.Month < 1 || f.Month > 12 || f.Day < 1 || f.Day > daysIn(f.Year, f.Month) {
			return f, fmt.Errorf("%q: invalid date %04d-%02d-%02d", s, f.Year, f.Month, f.Day)
		}
	}
	if f.HasTime && (f.Hour > 23 || f.Minute > 59 || f.Second > 59) {
		return f, fmt.Errorf("%q: invalid time %02d:%02d:%02d", s, f.Hour, f.Minute, f.Second)
	}
	return f, nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isNumeric(it item) bool {
	switch it.letter {
	case 'y', 'u', 'd', 'D', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'n':
		return true
	case 'M', 'L':
		return it.count <= 2
	}
	return false
}

func parseItems(s string, i int, items []item, f *Fields) (int, error) {
	for k, it := range items {
		nextNumeric := k+1 < len(items) && isNumeric(items[k+1])
		switch it.letter {
		case 0:
			if !strings.HasPrefix(s[i:], it.lit) {
				return i, fmt.Errorf("expected %q at %d", it.lit, i+1)
			}
			i += len(it.lit)
		case '[':
			saved := *f
			n, err := parseItems(s, i, it.opt, f)
			if err != nil {
				*f = saved
				continue
			}
			i = n
		case 'y', 'u':
			minW, maxW := it.count, 10
			if it.count == 2 {
				maxW = 2
			} else if nextNumeric || it.count > 4 {
				maxW = it.count
			}
			neg := false
			if it.count != 2 && i < len(s) && (s[i] == '-' || s[i] == '+') {
				neg = s[i] == '-'
				i++
			}
			v, n, err := digits(s, i, minW, maxW)
			if err != nil {
				return i, fmt.Errorf("year: %w", err)
			}
			if it.count == 2 {
				v += 2000
			}
			if neg {
				v = -v
			}
			f.Year, i, f.HasDate = v, n, true
		case 'M', 'L':
			if it.count >= 3 {
				names := monthsShort
				if it.count >= 4 {
					names = monthsLong
				}
				v, n, err := name(s, i, names)
				if err != nil {
					return i, fmt.Errorf("month: %w", err)
				}
				f.Month, i = v+1, n
			} else {
				v, n, err := num(s, i, it.count, nextNumeric)
				if err != nil {
					return i, fmt.Errorf("month: %w", err)
				}
				f.Month, i = v, n
			}
			f.HasDate = true
		case 'd':
			v, n, err := num(s, i, it.count, nextNumeric)
			if err != nil {
				return i, fmt.Errorf("day: %w", err)
			}
			f.Day, i, f.HasDate = v, n, true
		case 'D':
			v, n, err := digits(s, i, it.count, max(it.count, 3))
			if err != nil {
				return i, fmt.Errorf("day of year: %w", err)
			}
			f.yday, i, f.HasDate = v, n, true
		case 'E':
			names := daysShort
			if it.count >= 4 {
				names = daysLong
			}
			_, n, err := name(s, i, names)
			if err != nil {
				return i, fmt.Errorf("day name: %w", err)
			}
			i = n
		case 'a':
			if len(s)-i >= 2 && strings.EqualFold(s[i:i+2], "AM") {
				f.hasPM, f.pm = true, false
			} else if len(s)-i >= 2 && strings.EqualFold(s[i:i+2], "PM") {
				f.hasPM, f.pm = true, true
			} else {
				return i, fmt.Errorf("expected AM or PM at %d", i+1)
			}
			i += 2
		case 'H', 'k', 'K', 'h':
			v, n, err := num(s, i, it.count, nextNumeric)
			if err != nil {
				return i, fmt.Errorf("hour: %w", err)
			}
			if it.letter == 'k' && v == 24 {
				v = 0
			}
			f.hour12 = it.letter == 'h'
			f.Hour, i, f.HasTime = v, n, true
		case 'm':
			v, n, err := num(s, i, it.count, nextNumeric)
			if err != nil {
				return i, fmt.Errorf("minute: %w", err)
			}
			f.Minute, i, f.HasTime = v, n, true
		case 's':
			v, n, err := num(s, i, it.count, nextNumeric)
			if err != nil {
				return i, fmt.Errorf("second: %w", err)
			}
			f.Second, i, f.HasTime = v, n, true
		case 'S':
			// Lenient on width: 1..count digits, so "[.SSSSSS]" accepts
			// ".5" and ".123" as Java users expect; never more than 9.
			j := i
			for j < len(s) && j-i < it.count && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i {
				return i, fmt.Errorf("expected fraction digits at %d", i+1)
			}
			frac := s[i:j]
			if len(frac) > 9 {
				frac = frac[:9]
			}
			v, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
			f.Nanos, i = v, j
		case 'n':
			v, n, err := digits(s, i, 1, 9)
			if err != nil {
				return i, fmt.Errorf("nanos: %w", err)
			}
			f.Nanos, i = v, n
		case 'X', 'x', 'Z':
			off, n, err := parseOffset(s, i, it)
			if err != nil {
				return i, err
			}
			f.Offset, f.HasOffset, i = off, true, n
		case 'V', 'z':
			j := i
			for j < len(s) && (s[j] == '/' || s[j] == '_' || s[j] == '-' || s[j] == '+' ||
				(s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			loc, err := time.LoadLocation(s[i:j])
			if err != nil || j == i {
				return i, fmt.Errorf("unknown time zone %q at %d", s[i:j], i+1)
			}
			f.Zone, i = loc, j
		case 'G':
			if strings.HasPrefix(s[i:], "AD") {
				i += 2
			} else {
				return i, fmt.Errorf("expected AD at %d", i+1)
			}
		}
	}
	return i, nil
}

// num parses a numeric field: count 1 means 1-2 digits (1 digit when the
// next field is numeric too, Java's adjacent parsing), count >= 2 exactly
// count digits.
func num(s string, i, count int, nextNumeric bool) (int, int, error) {
	if count == 1 {
		if nextNumeric {
			return digits(s, i, 1, 1)
		}
		return digits(s, i, 1, 2)
	}
	return digits(s, i, count, count)
}

func digits(s string, i, minW, maxW int) (int, int, error) {
	j := i
	v := 0
	for j < len(s) && j-i < maxW && s[j] >= '0' && s[j] <= '9' {
		v = v*10 + int(s[j]-'0')
		j++
	}
	if j-i < minW {
		return 0, i, fmt.Errorf("expected %d digits at %d", minW, i+1)
	}
	return v, j, nil
}

func name(s string, i int, names []string) (int, int, error) {
	for k, n := range names {
		if len(s)-i >= len(n) && strings.EqualFold(s[i:i+len(n)], n) {
			return k, i + len(n), nil
		}
	}
	return 0, i, fmt.Errorf("unknown name at %d", i+1)
}

// parseOffset accepts Z and ±HH, ±HHMM, ±HH:MM, ±HH:MM:SS (and GMT±... for
// ZZZZ) whatever the letter count: inputs vary more than patterns do.
func parseOffset(s string, i int, it item) (int, int, error) {
	if i < len(s) && s[i] == 'Z' && it.letter != 'x' {
		return 0, i + 1, nil
	}
	if strings.HasPrefix(s[i:], "GMT") || strings.HasPrefix(s[i:], "UTC") {
		i += 3
		if i >= len(s) || (s[i] != '+' && s[i] != '-') {
			return 0, i, nil
		}
	}
	if i >= len(s) || (s[i] != '+' && s[i] != '-') {
		return 0, i, fmt.Errorf("expected a zone offset at %d", i+1)
	}
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	i++
	h, j, err := digits(s, i, 2, 2)
	if err != nil {
		return 0, i, fmt.Errorf("offset hours: %w", err)
	}
	i = j
	m, sec := 0, 0
	if i < len(s) && s[i] == ':' {
		i++
	}
	if mm, j, err := digits(s, i, 2, 2); err == nil {
		m, i = mm, j
		if i < len(s) && s[i] == ':' {
			if ss, j, err := digits(s, i+1, 2, 2); err == nil {
				sec, i = ss, j
			}
		} else if ss, j, err := digits(s, i, 2, 2); err == nil {
			sec, i = ss, j
		}
	}
	if h > 18 || m > 59 || sec > 59 {
		return 0, i, fmt.Errorf("invalid zone offset at %d", i)
	}
	return sign * (h*3600 + m*60 + sec), i, nil
}

// Time assembles a parsed value in loc when it has no offset or zone of its
// own; the bool reports whether the value carried its own zone.
func (f Fields) Time(loc *time.Location) (time.Time, bool) {
	y, mo, d := f.Year, f.Month, f.Day
	if !f.HasDate {
		y, mo, d = 1970, 1, 1
	}
	switch {
	case f.HasOffset:
		loc = time.FixedZone("", f.Offset)
	case f.Zone != nil:
		loc = f.Zone
	case loc == nil:
		loc = time.UTC
	}
	return time.Date(y, time.Month(mo), d, f.Hour, f.Minute, f.Second, f.Nanos, loc), f.HasOffset || f.Zone != nil
}
