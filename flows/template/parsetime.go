package template

import "time"

// ParseTime reads an ISO-8601 date or date-time as the date filters do
// (2024-01-31, 2024-01-31T10:00:00Z, a [Region/Zone] suffix); a value
// without an offset is taken in loc (UTC when nil).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	return parseISO(s, loc)
}
