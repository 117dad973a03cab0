package rows

import "time"

// Temporal is a parsed ISO-8601 date, time, or date-time.
type Temporal struct {
	Days    int64 // days since 1970-01-01 (date part)
	Micros  int64 // µs since midnight (time part)
	Offset  int32 // seconds east of UTC, when HasZone
	HasDate bool
	HasTime bool
	HasZone bool
}

// ParseTemporal parses the text forms sluice meets in files and in MySQL's
// text protocol: "2024-01-31", "2024-01-31T10:11:12.123456Z",
// "2024-01-31 10:11:12+02:00", "10:11:12.5", with up to 9 fractional digits
// (truncated to µs only when the extra digits are zeros; otherwise ok is
// false, so no precision is lost silently).
func ParseTemporal[T string | []byte](s T) (Temporal, bool) {
	var t Temporal
	i := 0
	n := len(s)
	digits := func(k int) (int64, bool) {
		if i+k > n {
			return 0, false
		}
		var v int64
		for j := 0; j < k; j++ {
			c := s[i+j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		i += k
		return v, true
	}
	// Date: [+-]YYYY-MM-DD (4 or more year digits).
	if n >= 10 && (s[4] == '-' || s[0] == '-' || s[0] == '+') && !(n >= 3 && s[2] == ':') {
		neg := false
		if s[0] == '-' || s[0] == '+' {
			neg = s[0] == '-'
			i++
		}
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i-start < 4 || i >= n || s[i] != '-' {
			return t, false
		}
		var y int64
		for j := start; j < i; j++ {
			y = y*10 + int64(s[j]-'0')
			if y > 1e6 {
				return t, false
			}
		}
		if neg {
			y = -y
		}
		i++
		m, ok := digits(2)
		if !ok || i >= n || s[i] != '-' {
			return t, false
		}
		i++
		d, ok := digits(2)
		if !ok || m < 1 || m > 12 || d < 1 || d > int64(DaysInMonth(y, int(m))) {
			return t, false
		}
		t.Days = daysFromCivil(y, int(m), int(d))
		t.HasDate = true
		if i == n {
			return t, true
		}
		if s[i] != 'T' && s[i] != 't' && s[i] != ' ' {
			return t, false
		}
		i++
	}
	// Time: HH:MM[:SS[.fffffffff]]
	h, ok := digits(2)
	if !ok || i >= n || s[i] != ':' {
		return t, false
	}
	i++
	mi, ok := digits(2)
	if !ok {
		return t, false
	}
	var sec, frac int64
	if i < n && s[i] == ':' {
		i++
		if sec, ok = digits(2); !ok {
			return t, false
		}
		if i < n && (s[i] == '.' || s[i] == ',') {
			i++
			k := 0
			for i < n && s[i] >= '0' && s[i] <= '9' {
				if k < 6 {
					frac = frac*10 + int64(s[i]-'0')
				} else if s[i] != '0' {
					return t, false // sub-microsecond digits would be lost
				}
				k++
				i++
			}
			if k == 0 {
				return t, false
			}
			for ; k < 6; k++ {
				frac *= 10
			}
		}
	}
	if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi != 0 || sec != 0 || frac != 0)) {
		return t, false
	}
	if sec == 60 {
		sec = 59 // leap second: keep the value valid, as Java's parsers do
		frac = 999999
	}
	t.Micros = ((h*60+mi)*60+sec)*1e6 + frac
	t.HasTime = true
	if i == n {
		return t, true
	}
	// Zone: Z | ±HH[:MM] | ±HHMM
	switch s[i] {
	case 'Z', 'z':
		i++
		t.HasZone = true
	case '+', '-':
		sign := int64(1)
		if s[i] == '-' {
			sign = -1
		}
		i++
		oh, ok := digits(2)
		if !ok {
			return t, false
		}
		var om int64
		if i < n && s[i] == ':' {
			i++
		}
		if i < n {
			if om, ok = digits(2); !ok {
				return t, false
			}
		}
		if oh > 18 || om > 59 {
			return t, false
		}
		t.Offset = int32(sign * (oh*3600 + om*60))
		t.HasZone = true
	case ' ':
		// "2024-01-01 10:00:00 UTC"
		rest := string(s[i+1:])
		if rest == "UTC" || rest == "GMT" {
			i = n
			t.HasZone = true
		}
	}
	return t, i == n
}

// DaysInMonth is the number of days of month m (1-12) of year y in the
// proleptic Gregorian calendar (year 0 is 1 BC, as ISO 8601 counts).
func DaysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// LocalMicros is the wall-clock reading (µs since 1970-01-01T00:00) of the
// instant µs in loc.
func LocalMicros(instant int64, loc *time.Location) (int64, int32) {
	if loc == time.UTC || loc == nil {
		return instant, 0
	}
	t := time.UnixMicro(instant).In(loc)
	_, off := t.Zone()
	return instant + int64(off)*1e6, int32(off)
}

// InstantOf interprets a wall-clock reading in loc; it returns the instant
// and the offset in force.
func InstantOf(wall int64, loc *time.Location) (int64, int32) {
	if loc == time.UTC || loc == nil {
		return wall, 0
	}
	sec := floorDiv(wall, 1e6)
	us := wall - sec*1e6
	y, mo, d := civilFromDays(floorDiv(sec, 86400))
	sod := sec - floorDiv(sec, 86400)*86400
	t := time.Date(int(y), time.Month(mo), d, int(sod/3600), int(sod/60%60), int(sod%60), int(us)*1000, loc)
	_, off := t.Zone()
	return t.UnixMicro(), int32(off)
}

// MicrosPerDay is the number of µs in a day.
const MicrosPerDay = 86400 * 1e6
