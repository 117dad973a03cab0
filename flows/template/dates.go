package template

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Now is the clock of the now() function. Tests replace it; it must not be
// changed while templates render.
var Now = time.Now

// namedFormats are Kestra's format names (AbstractDate) plus iso8601.
var namedFormats = map[string]func(time.Time) string{
	"iso":     javaFormat("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"),
	"iso_sec": javaFormat("yyyy-MM-dd'T'HH:mm:ssXXX"),
	"sql":     javaFormat("yyyy-MM-dd HH:mm:ss.SSSSSS"),
	"sql_seq": javaFormat("yyyy-MM-dd HH:mm:ss"),
	// RFC 3339 with as many fractional digits as needed, like printing a date.
	"iso8601":              goFormat(time.RFC3339Nano),
	"iso_offset_date_time": goFormat(time.RFC3339Nano),
	"iso_date_time":        withRegion(goFormat(time.RFC3339Nano)),
	"iso_zoned_date_time":  withRegion(goFormat(time.RFC3339Nano)),
	"iso_date":             goFormat("2006-01-02Z07:00"),
	"iso_time":             goFormat("15:04:05.999999999Z07:00"),
	"iso_offset_time":      goFormat("15:04:05.999999999Z07:00"),
	"iso_local_date":       goFormat("2006-01-02"),
	"iso_local_time":       goFormat("15:04:05.999999999"),
	"iso_local_date_time":  goFormat("2006-01-02T15:04:05.999999999"),
	"iso_ordinal_date":     javaFormat("yyyy-DDDXXX"),
	"iso_week_date":        javaFormat("YYYY-'W'ww-eXXX"),
	"iso_instant":          isoInstant,
	"rfc_1123_date_time":   rfc1123,
	// Localized styles, as the JDK formats them for en_US.
	"full":   javaFormat("EEEE, MMMM d, y 'at' h:mm:ss a zzzz"),
	"long":   javaFormat("MMMM d, y 'at' h:mm:ss a z"),
	"medium": javaFormat("MMM d, y, h:mm:ss a"),
	"short":  javaFormat("M/d/yy, h:mm a"),
}

func javaFormat(p string) func(time.Time) string {
	items, err := compilePattern(p)
	if err != nil {
		panic(err)
	}
	return func(t time.Time) string { return formatPattern(t, items) }
}

func goFormat(layout string) func(time.Time) string {
	return func(t time.Time) string { return t.Format(layout) }
}

func withRegion(f func(time.Time) string) func(time.Time) string {
	return func(t time.Time) string {
		s := f(t)
		if name := t.Location().String(); !isFixed(t.Location()) && name != "Local" {
			s += "[" + name + "]"
		}
		return s
	}
}

// isoInstant prints UTC with the fraction in groups of three digits.
func isoInstant(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	layout := "2006-01-02T15:04:05Z"
	switch {
	case ns == 0:
	case ns%1e6 == 0:
		layout = "2006-01-02T15:04:05.000Z"
	case ns%1e3 == 0:
		layout = "2006-01-02T15:04:05.000000Z"
	default:
		layout = "2006-01-02T15:04:05.000000000Z"
	}
	return t.Format(layout)
}

func rfc1123(t time.Time) string {
	if _, off := t.Zone(); off == 0 {
		return t.Format("Mon, 2 Jan 2006 15:04:05 GMT")
	}
	return t.Format("Mon, 2 Jan 2006 15:04:05 -0700")
}

// formatDate formats with a named format or a Java pattern.
func formatDate(t time.Time, format string) (string, error) {
	if f, ok := namedFormats[format]; ok {
		return f(t), nil
	}
	items, err := compilePattern(format)
	if err != nil {
		return "", err
	}
	return formatPattern(t, items), nil
}

// isoLayouts are the ISO-8601 / RFC 3339 shapes a date string may take.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00", // Java prints no seconds when they are zero
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
}

var localLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseISO reads an ISO-8601 date; a Java zone suffix such as [Europe/Paris]
// selects the zone. Dates without an offset are in loc.
func parseISO(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	var region *time.Location
	if i := strings.IndexByte(s, '['); i > 0 && strings.HasSuffix(s, "]") {
		l, err := loadLocation(s[i+1 : len(s)-1])
		if err != nil {
			return time.Time{}, err
		}
		region, s = l, s[:i]
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if region != nil {
				t = t.In(region)
			}
			return t, nil
		}
	}
	if region != nil {
		loc = region
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 date (like 2024-01-31T10:00:00Z); give existingFormat to read other shapes", s)
}

// toTime converts a filter input to a time: a time, an ISO-8601 string (or
// one in existingFormat), or epoch seconds. A non-nil loc converts into that
// zone; dates without a zone are read in it (UTC when loc is nil).
func toTime(v any, loc *time.Location, existingFormat string) (time.Time, error) {
	def := loc
	if def == nil {
		def = time.UTC
	}
	var t time.Time
	switch x := norm(v).(type) {
	case time.Time:
		t = x
	case int64:
		t = time.Unix(x, 0).In(def)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
			return time.Time{}, fmt.Errorf("%v is not a valid epoch second", x)
		}
		sec, frac := math.Modf(x)
		t = time.Unix(int64(sec), int64(frac*1e9)).In(def)
	case string:
		var err error
		if existingFormat != "" {
			items, cerr := compilePattern(existingFormat)
			if cerr != nil {
				return time.Time{}, cerr
			}
			t, err = parsePattern(x, items, def)
			if err != nil {
				return time.Time{}, fmt.Errorf("cannot read %q with format %q: %w", x, existingFormat, err)
			}
		} else if t, err = parseISO(x, def); err != nil {
			return time.Time{}, err
		}
	default:
		return time.Time{}, fmt.Errorf("need a date, an ISO-8601 string or epoch seconds, got %s", kindName(v))
	}
	if loc != nil {
		t = t.In(loc)
	}
	return t, nil
}

// dateArgs reads format, timeZone and existingFormat starting at argument i.
func dateArgs(c *call, i int) (format string, loc *time.Location, existing string, err error) {
	if format, err = c.str(i, ""); err != nil {
		return
	}
	var tz string
	if tz, err = c.str(i+1, ""); err != nil {
		return
	}
	if tz != "" {
		if loc, err = loadLocation(tz); err != nil {
			return
		}
	}
	if existing, err = c.str(i+2, ""); err != nil {
		return
	}
	if c.has(i + 3) {
		// Month and day names are English whatever the locale.
		if _, err = c.str(i+3, ""); err != nil {
			return
		}
	}
	return
}

// fDate formats a date: date(format="iso", timeZone, existingFormat, locale).
func fDate(c *call, in any) (any, error) {
	if norm(in) == nil {
		return nil, nil
	}
	format, loc, existing, err := dateArgs(c, 0)
	if err != nil {
		return nil, err
	}
	t, err := toTime(in, loc, existing)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = "iso"
	}
	return formatDate(t, format)
}

// fDateAdd adds amount units: dateAdd(-1, 'DAYS'). It returns a date (which
// prints as RFC 3339) unless a format is given, then a string.
func fDateAdd(c *call, in any) (any, error) {
	if norm(in) == nil {
		return nil, nil
	}
	amount, err := c.int(0, 0)
	if err != nil {
		return nil, err
	}
	unit, err := c.str(1, "")
	if err != nil {
		return nil, err
	}
	format, loc, existing, err := dateArgs(c, 2)
	if err != nil {
		return nil, err
	}
	t, err := toTime(in, loc, existing)
	if err != nil {
		return nil, err
	}
	if t, err = addDate(t, amount, unit); err != nil {
		return nil, err
	}
	if format == "" {
		return t, nil
	}
	return formatDate(t, format)
}

var durationUnits = map[string]time.Duration{
	"NANOS":     time.Nanosecond,
	"MICROS":    time.Microsecond,
	"MILLIS":    time.Millisecond,
	"SECONDS":   time.Second,
	"MINUTES":   time.Minute,
	"HOURS":     time.Hour,
	"HALF_DAYS": 12 * time.Hour,
}

var calendarMonths = map[string]int64{"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}

var unitAliases = map[string]string{
	"NANOSECONDS": "NANOS", "MICROSECONDS": "MICROS", "MILLISECONDS": "MILLIS",
	"NANO": "NANOS", "MICRO": "MICROS", "MILLI": "MILLIS",
	"HALF_DAY": "HALF_DAYS", "CENTURY": "CENTURIES", "MILLENNIUM": "MILLENNIA",
}

// addDate adds amount ChronoUnits to t the way java.time does: days and
// weeks move the calendar date keeping the wall clock, months and years
// clamp to the last day of the month (Jan 31 + 1 month = Feb 28 or 29),
// shorter units add exact durations.
func addDate(t time.Time, amount int64, unit string) (time.Time, error) {
	u := strings.ToUpper(strings.TrimSpace(unit))
	if a, ok := unitAliases[u]; ok {
		u = a
	}
	if _, ok := durationUnits[u]; !ok && calendarMonths[u] == 0 && u != "DAYS" && u != "WEEKS" && !strings.HasSuffix(u, "S") {
		u += "S"
	}
	const maxYears = 100000
	switch u {
	case "DAYS", "WEEKS":
		if u == "WEEKS" {
			amount *= 7
		}
		if amount > maxYears*366 || amount < -maxYears*366 {
			return time.Time{}, fmt.Errorf("%d days is too far", amount)
		}
		return t.AddDate(0, 0, int(amount)), nil
	}
	if d, ok := durationUnits[u]; ok {
		if amount > math.MaxInt64/int64(d) || amount < math.MinInt64/int64(d) {
			return time.Time{}, fmt.Errorf("%d %s is too long", amount, strings.ToLower(u))
		}
		return t.Add(time.Duration(amount) * d), nil
	}
	if m, ok := calendarMonths[u]; ok {
		if amount > maxYears*12/m || amount < -maxYears*12/m {
			return time.Time{}, fmt.Errorf("%d %s is too far", amount, strings.ToLower(u))
		}
		return addMonths(t, int(amount*m)), nil
	}
	return time.Time{}, fmt.Errorf("unknown unit %q (want SECONDS, MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS, ...)", unit)
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + n
	ny := y + floorDiv(total, 12)
	nm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// timestampFilter converts a date to epoch seconds (per = 1), millis,
// micros or nanos.
func timestampFilter(per int64) func(*call, any) (any, error) {
	return func(c *call, in any) (any, error) {
		if norm(in) == nil {
			return nil, nil
		}
		tz, err := c.str(0, "")
		if err != nil {
			return nil, err
		}
		var loc *time.Location
		if tz != "" {
			if loc, err = loadLocation(tz); err != nil {
				return nil, err
			}
		}
		existing, err := c.str(1, "")
		if err != nil {
			return nil, err
		}
		t, err := toTime(in, loc, existing)
		if err != nil {
			return nil, err
		}
		switch per {
		case 1:
			return t.Unix(), nil
		case 1e3:
			return t.UnixMilli(), nil
		case 1e6:
			return t.UnixMicro(), nil
		}
		if t.Year() < 1678 || t.Year() > 2261 {
			return nil, errors.New("date out of range for nanoseconds since 1970")
		}
		return t.UnixNano(), nil
	}
}

// fNow is now(format, timeZone): the current time (from Now), as a date, or
// as a string when a format is given. It is in UTC unless timeZone says
// otherwise: the machine's zone is environment a flow should not depend on.
func fNow(c *call) (any, error) {
	format, loc, _, err := dateArgs(c, 0)
	if err != nil {
		return nil, err
	}
	t := Now().UTC()
	if loc != nil {
		t = t.In(loc)
	}
	if format == "" {
		return t, nil
	}
	return formatDate(t, format)
}
