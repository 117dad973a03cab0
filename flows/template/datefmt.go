package template

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Java DateTimeFormatter patterns (what Kestra's date filters take), for
// formatting and, with existingFormat, parsing. English names only.

// dfItem is one element of a compiled pattern: a literal, a field (letter
// repeated count times), or the start/end of an optional [section].
type dfItem struct {
	letter byte
	count  int
	lit    string
	opt    int8 // 1: '[', -1: ']'
}

var patternCache sync.Map // pattern string -> []dfItem

const patternLetters = "GuyYQqMLwdDEeaHhKkmsSAnNVvzOXxZ"

func compilePattern(p string) ([]dfItem, error) {
	if v, ok := patternCache.Load(p); ok {
		return v.([]dfItem), nil
	}
	var items []dfItem
	depth := 0
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if strings.IndexByte(patternLetters, c) < 0 {
				return nil, fmt.Errorf("date pattern %q: unknown pattern letter %q", p, c)
			}
			if err := checkCount(c, j-i); err != nil {
				return nil, fmt.Errorf("date pattern %q: %w", p, err)
			}
			items = append(items, dfItem{letter: c, count: j - i})
			i = j
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("date pattern %q: unclosed quote", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' is a quote
			}
			items = append(items, dfItem{lit: lit.String()})
			i = j + 1
		case c == '[':
			depth++
			items = append(items, dfItem{opt: 1})
			i++
		case c == ']':
			if depth == 0 {
				return nil, fmt.Errorf("date pattern %q: ']' without '['", p)
			}
			depth--
			items = append(items, dfItem{opt: -1})
			i++
		case c == '{' || c == '}' || c == '#':
			return nil, fmt.Errorf("date pattern %q: %q is reserved", p, c)
		default:
			items = append(items, dfItem{lit: string(c)})
			i++
		}
	}
	for ; depth > 0; depth-- {
		items = append(items, dfItem{opt: -1})
	}
	patternCache.Store(p, items)
	return items, nil
}

func checkCount(c byte, n int) error {
	maxCount := map[byte]int{
		'G': 5, 'M': 5, 'L': 5, 'Q': 5, 'q': 5, 'E': 5, 'a': 1, 'd': 2, 'D': 3, 'H': 2, 'h': 2, 'K': 2,
		'k': 2, 'm': 2, 's': 2, 'S': 9, 'w': 2, 'V': 2, 'v': 4, 'z': 4, 'O': 4,
		'X': 5, 'x': 5, 'Z': 5, 'e': 5, 'u': 19, 'y': 19, 'Y': 19, 'A': 19, 'n': 19, 'N': 19,
	}[c]
	if n > maxCount {
		return fmt.Errorf("too many pattern letters %q", c)
	}
	if c == 'V' && n != 2 {
		return fmt.Errorf("pattern letter V must be VV")
	}
	if c == 'O' && n != 1 && n != 4 {
		return fmt.Errorf("pattern letter O must be O or OOOO")
	}
	return nil
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

func pad(b []byte, v int64, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// formatPattern formats t with a compiled Java pattern.
func formatPattern(t time.Time, items []dfItem) string {
	b := make([]byte, 0, 32)
	for _, it := range items {
		if it.letter == 0 {
			b = append(b, it.lit...)
			continue
		}
		b = formatField(b, t, it.letter, it.count)
	}
	return string(b)
}

func formatField(b []byte, t time.Time, c byte, n int) []byte {
	switch c {
	case 'G':
		era := "AD"
		if t.Year() <= 0 {
			era = "BC"
		}
		switch n {
		case 4:
			if era == "AD" {
				return append(b, "Anno Domini"...)
			}
			return append(b, "Before Christ"...)
		case 5:
			return append(b, era[0])
		}
		return append(b, era...)
	case 'y', 'u', 'Y':
		y := t.Year()
		if c == 'Y' {
			y, _ = t.ISOWeek()
		}
		if c == 'y' && y <= 0 {
			y = 1 - y // year of era
		}
		if n == 2 {
			return pad(b, int64(((y%100)+100)%100), 2)
		}
		return pad(b, int64(y), n)
	case 'M', 'L':
		m := int(t.Month())
		switch n {
		case 1, 2:
			return pad(b, int64(m), n)
		case 3:
			return append(b, monthNames[m-1][:3]...)
		case 4:
			return append(b, monthNames[m-1]...)
		}
		return append(b, monthNames[m-1][0])
	case 'Q', 'q':
		q := (int(t.Month())-1)/3 + 1
		switch n {
		case 3:
			return append(append(b, 'Q'), byte('0'+q))
		case 4:
			return append(b, []string{"1st", "2nd", "3rd", "4th"}[q-1]+" quarter"...)
		}
		return pad(b, int64(q), min(n, 2))
	case 'w':
		_, w := t.ISOWeek()
		return pad(b, int64(w), n)
	case 'd':
		return pad(b, int64(t.Day()), n)
	case 'D':
		return pad(b, int64(t.YearDay()), n)
	case 'E':
		d := dayNames[t.Weekday()]
		switch n {
		case 4:
			return append(b, d...)
		case 5:
			return append(b, d[0])
		}
		return append(b, d[:3]...)
	case 'e':
		// ISO numbering, Monday = 1 (Java's is locale dependent).
		wd := int64((int(t.Weekday())+6)%7 + 1)
		if n <= 2 {
			return pad(b, wd, n)
		}
		return formatField(b, t, 'E', n)
	case 'a':
		if t.Hour() < 12 {
			return append(b, "AM"...)
		}
		return append(b, "PM"...)
	case 'H':
		return pad(b, int64(t.Hour()), n)
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		return pad(b, int64(h), n)
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return pad(b, int64(h), n)
	case 'K':
		return pad(b, int64(t.Hour()%12), n)
	case 'm':
		return pad(b, int64(t.Minute()), n)
	case 's':
		return pad(b, int64(t.Second()), n)
	case 'S':
		frac := fmt.Sprintf("%09d", t.Nanosecond())
		return append(b, frac[:n]...)
	case 'A':
		ms := (t.Hour()*3600+t.Minute()*60+t.Second())*1000 + t.Nanosecond()/1e6
		return pad(b, int64(ms), n)
	case 'n':
		return pad(b, int64(t.Nanosecond()), n)
	case 'N':
		ns := int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e9 + int64(t.Nanosecond())
		return pad(b, ns, n)
	case 'V', 'v':
		return append(b, zoneID(t)...)
	case 'z':
		name, off := t.Zone()
		if n == 4 && t.Location() != time.Local && !isFixed(t.Location()) {
			return append(b, t.Location().String()...)
		}
		if name == "" {
			return appendOffset(b, off, true, false, "Z")
		}
		return append(b, name...)
	case 'O':
		_, off := t.Zone()
		b = append(b, "GMT"...)
		if off == 0 {
			return b
		}
		if n == 4 {
			return appendOffset(b, off, true, false, "")
		}
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = append(b, sign)
		b = strconv.AppendInt(b, int64(off/3600), 10)
		if m := off % 3600 / 60; m != 0 {
			b = append(b, ':')
			b = pad(b, int64(m), 2)
		}
		return b
	case 'X', 'x':
		_, off := t.Zone()
		z := ""
		if c == 'X' {
			z = "Z"
		}
		if off == 0 && z != "" {
			return append(b, z...)
		}
		switch n {
		case 1:
			sign := byte('+')
			o := off
			if o < 0 {
				sign, o = '-', -o
			}
			b = pad(append(b, sign), int64(o/3600), 2)
			if m := o % 3600 / 60; m != 0 {
				b = pad(b, int64(m), 2)
			}
			return b
		case 2:
			return appendOffset(b, off, false, false, "")
		case 3:
			return appendOffset(b, off, true, false, "")
		case 4:
			return appendOffset(b, off, false, true, "")
		}
		return appendOffset(b, off, true, true, "")
	case 'Z':
		_, off := t.Zone()
		switch n {
		case 4:
			b = append(b, "GMT"...)
			if off == 0 {
				return b
			}
			return appendOffset(b, off, true, false, "")
		case 5:
			return appendOffset(b, off, true, true, "Z")
		}
		return appendOffset(b, off, false, false, "")
	}
	return b
}

// appendOffset writes +HH:MM (colon) or +HHMM, with seconds when withSec
// and they are not zero, or zero when the offset is 0 and zero != "".
func appendOffset(b []byte, off int, colon, withSec bool, zero string) []byte {
	if off == 0 && zero != "" {
		return append(b, zero...)
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = pad(append(b, sign), int64(off/3600), 2)
	if colon {
		b = append(b, ':')
	}
	b = pad(b, int64(off%3600/60), 2)
	if withSec && off%60 != 0 {
		if colon {
			b = append(b, ':')
		}
		b = pad(b, int64(off%60), 2)
	}
	return b
}

func isFixed(loc *time.Location) bool {
	name := loc.String()
	return name == "" || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-") || name == "UTC"
}

// zoneID is the zone as Java's VV prints it: the region ID, or the offset.
func zoneID(t time.Time) string {
	loc := t.Location()
	name := loc.String()
	if loc == time.UTC {
		return "Z"
	}
	if name == "" || name == "Local" {
		_, off := t.Zone()
		return string(appendOffset(nil, off, true, true, "Z"))
	}
	return name
}

// Parsing with a pattern (existingFormat).

type dateFields struct {
	year, month, day, yday int
	hour, hour12, min, sec int
	nsec                   int
	pm, hasPM, has12       bool
	loc                    *time.Location
}

func parsePattern(s string, items []dfItem, def *time.Location) (time.Time, error) {
	f := dateFields{year: 1970, month: 1, day: 1, hour12: -1}
	pos, err := parseItems(s, 0, items, &f)
	if err != nil {
		return time.Time{}, err
	}
	if pos != len(s) {
		return time.Time{}, fmt.Errorf("unexpected text %q at position %d", s[pos:], pos)
	}
	hour := f.hour
	if f.has12 {
		hour = f.hour12 % 12
		if f.pm {
			hour += 12
		}
	} else if f.hasPM && f.pm && hour < 12 {
		hour += 12
	}
	loc := f.loc
	if loc == nil {
		loc = def
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || hour > 23 || f.min > 59 || f.sec > 59 {
		return time.Time{}, fmt.Errorf("field out of range in %q", s)
	}
	if f.yday > 0 {
		t := time.Date(f.year, 1, 1, hour, f.min, f.sec, f.nsec, loc).AddDate(0, 0, f.yday-1)
		return t, nil
	}
	t := time.Date(f.year, time.Month(f.month), f.day, hour, f.min, f.sec, f.nsec, loc)
	if t.Day() != f.day {
		return time.Time{}, fmt.Errorf("invalid date in %q: %s has no day %d", s, time.Month(f.month), f.day)
	}
	return t, nil
}

func isNumericItem(it dfItem) bool {
	if it.letter == 0 {
		return false
	}
	switch it.letter {
	case 'M', 'L', 'Q', 'q', 'E', 'e':
		return it.count <= 2
	case 'G', 'a', 'V', 'v', 'z', 'O', 'X', 'x', 'Z':
		return false
	}
	return true
}

func parseItems(s string, pos int, items []dfItem, f *dateFields) (int, error) {
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.opt == 1 {
			// find the matching ']'
			depth, j := 1, i+1
			for ; j < len(items) && depth > 0; j++ {
				depth += int(items[j].opt)
			}
			saved := *f
			if p, err := parseItems(s, pos, items[i+1:j-1], f); err == nil {
				pos = p
			} else {
				*f = saved
			}
			i = j - 1
			continue
		}
		if it.opt == -1 {
			continue
		}
		if it.letter == 0 {
			if !strings.HasPrefix(s[pos:], it.lit) {
				return pos, fmt.Errorf("expected %q at position %d of %q", it.lit, pos, s)
			}
			pos += len(it.lit)
			continue
		}
		fixed := it.count >= 2 || (i+1 < len(items) && isNumericItem(items[i+1]))
		var err error
		if pos, err = parseField(s, pos, it, fixed, f); err != nil {
			return pos, err
		}
	}
	return pos, nil
}

func parseNumber(s string, pos, minW, maxW int) (int, int, error) {
	end := pos
	for end < len(s) && end-pos < maxW && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end-pos < minW || end == pos {
		return 0, pos, fmt.Errorf("expected a number at position %d of %q", pos, s)
	}
	v, err := strconv.Atoi(s[pos:end])
	if err != nil {
		return 0, pos, err
	}
	return v, end, nil
}

func matchName(s string, pos int, names []string, short bool) (int, int, error) {
	for i, n := range names {
		if short {
			n = n[:3]
		}
		if len(s)-pos >= len(n) && strings.EqualFold(s[pos:pos+len(n)], n) {
			return i, pos + len(n), nil
		}
	}
	return 0, pos, fmt.Errorf("expected a name at position %d of %q", pos, s)
}

func parseField(s string, pos int, it dfItem, fixed bool, f *dateFields) (int, error) {
	n := it.count
	width := func(maxW int) (int, int) {
		if fixed {
			return n, n
		}
		return 1, maxW
	}
	num := func(maxW int) (int, int, error) {
		lo, hi := width(maxW)
		return parseNumber(s, pos, lo, hi)
	}
	var v int
	var err error
	switch it.letter {
	case 'y', 'u', 'Y':
		if n == 2 {
			if v, pos, err = parseNumber(s, pos, 2, 2); err == nil {
				f.year = 2000 + v
			}
			return pos, err
		}
		neg := pos < len(s) && (s[pos] == '-' || s[pos] == '+')
		sign := 1
		if neg {
			if s[pos] == '-' {
				sign = -1
			}
			pos++
		}
		lo, hi := width(10)
		if fixed && n < 4 {
			lo, hi = n, 10
		}
		if v, pos, err = parseNumber(s, pos, lo, hi); err == nil {
			f.year = sign * v
		}
		return pos, err
	case 'M', 'L':
		switch n {
		case 3:
			v, pos, err = matchName(s, pos, monthNames, true)
			f.month = v + 1
		case 4:
			v, pos, err = matchName(s, pos, monthNames, false)
			f.month = v + 1
		default:
			v, pos, err = num(2)
			f.month = v
		}
		return pos, err
	case 'd':
		v, pos, err = num(2)
		f.day = v
		return pos, err
	case 'D':
		v, pos, err = num(3)
		f.yday = v
		return pos, err
	case 'E':
		if n == 4 {
			_, pos, err = matchName(s, pos, dayNames, false)
		} else {
			_, pos, err = matchName(s, pos, dayNames, true)
		}
		return pos, err
	case 'a':
		switch {
		case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "AM"):
			f.hasPM, f.pm = true, false
		case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "PM"):
			f.hasPM, f.pm = true, true
		default:
			return pos, fmt.Errorf("expected AM or PM at position %d of %q", pos, s)
		}
		return pos + 2, nil
	case 'H', 'k':
		v, pos, err = num(2)
		if it.letter == 'k' && v == 24 {
			v = 0
		}
		f.hour = v
		return pos, err
	case 'h', 'K':
		v, pos, err = num(2)
		f.hour12, f.has12 = v, true
		return pos, err
	case 'm':
		v, pos, err = num(2)
		f.min = v
		return pos, err
	case 's':
		v, pos, err = num(2)
		f.sec = v
		return pos, err
	case 'S':
		start := pos
		if v, pos, err = parseNumber(s, pos, n, n); err == nil {
			for d := pos - start; d < 9; d++ {
				v *= 10
			}
			f.nsec = v
		}
		return pos, err
	case 'n':
		v, pos, err = num(9)
		f.nsec = v
		return pos, err
	case 'X', 'x', 'Z', 'O':
		off, p, err := parseOffset(s, pos, it)
		if err != nil {
			return pos, err
		}
		f.loc = fixedZone(off)
		return p, nil
	case 'V', 'z', 'v':
		end := pos
		for end < len(s) && (isIdentByte(s[end]) || s[end] == '/' || s[end] == '+' || s[end] == '-' || s[end] == ':') {
			end++
		}
		loc, err := loadLocation(s[pos:end])
		if err != nil {
			return pos, err
		}
		f.loc = loc
		return end, nil
	}
	return pos, fmt.Errorf("pattern letter %q cannot be parsed", it.letter)
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseOffset reads Z, +HH, +HHMM, +HH:MM (and :ss) or GMT+H[:MM].
func parseOffset(s string, pos int, it dfItem) (int, int, error) {
	if it.letter == 'O' || (it.letter == 'Z' && it.count == 4) {
		if !strings.HasPrefix(s[pos:], "GMT") {
			return 0, pos, fmt.Errorf("expected GMT at position %d of %q", pos, s)
		}
		pos += 3
		if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
			return 0, pos, nil
		}
	}
	if pos < len(s) && s[pos] == 'Z' {
		return 0, pos + 1, nil
	}
	if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
		return 0, pos, fmt.Errorf("expected a zone offset at position %d of %q", pos, s)
	}
	sign := 1
	if s[pos] == '-' {
		sign = -1
	}
	pos++
	h, p, err := parseNumber(s, pos, 1, 2)
	if err != nil {
		return 0, pos, err
	}
	pos = p
	secs := h * 3600
	for _, unit := range []int{60, 1} {
		q := pos
		if q < len(s) && s[q] == ':' {
			q++
		}
		if v, p, err := parseNumber(s, q, 2, 2); err == nil {
			secs += v * unit
			pos = p
		} else {
			break
		}
	}
	return sign * secs, pos, nil
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone(string(appendOffset(nil, off, true, true, "")), off)
}

var locationCache sync.Map

// loadLocation resolves a Java zone ID: UTC, Z, GMT, an offset (+02:00,
// GMT+2, UTC-05:30) or a region (Europe/Paris) from the tz database.
func loadLocation(name string) (*time.Location, error) {
	if v, ok := locationCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	var loc *time.Location
	switch name {
	case "", "Z", "UTC", "GMT", "UT":
		loc = time.UTC
	default:
		rest := name
		for _, p := range []string{"UTC", "GMT", "UT"} {
			if strings.HasPrefix(rest, p) && len(rest) > len(p) && (rest[len(p)] == '+' || rest[len(p)] == '-') {
				rest = rest[len(p):]
				break
			}
		}
		if rest[0] == '+' || rest[0] == '-' {
			off, p, err := parseOffset(rest, 0, dfItem{letter: 'X', count: 5})
			if err != nil || p != len(rest) || off > 18*3600 || off < -18*3600 {
				return nil, fmt.Errorf("invalid time zone %q", name)
			}
			loc = fixedZone(off)
			break
		}
		l, err := time.LoadLocation(name)
		if err != nil || name == "Local" {
			return nil, fmt.Errorf("unknown time zone %q", name)
		}
		loc = l
	}
	locationCache.Store(name, loc)
	return loc, nil
}
