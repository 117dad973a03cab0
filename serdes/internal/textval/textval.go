// Package textval formats row values as text for the text formats (JSON,
// CSV): exact decimals, ISO-8601 dates and times, without going through
// time.Time or fmt on the hot path.
package textval

import (
	"time"
)

// LoadZone resolves a Java/IANA zone ID ("Europe/Paris", "UTC", "+02:00");
// "" returns nil (keep each value's own offset).
func LoadZone(id string) (*time.Location, error) {
	if id == "" {
		return nil, nil
	}
	if len(id) >= 3 && (id[0] == '+' || id[0] == '-') {
		if t, err := time.Parse("-07:00", id); err == nil {
			_, off := t.Zone()
			return time.FixedZone(id, off), nil
		}
	}
	if id == "Z" {
		return time.UTC, nil
	}
	return time.LoadLocation(id)
}
