package plugin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Duration is a property holding a duration written either as ISO-8601
// (Kestra's "PT1M30S", "P1D") or as Go ("1m30s", "250ms").
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalText parses both notations.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes ISO-8601, as Kestra does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(FormatISODuration(time.Duration(d))), nil
}

var isoDuration = regexp.MustCompile(`^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$`)

// ParseDuration accepts "PT1H", "P2DT3H4M", "PT0.5S" and Go durations.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if s[0] == 'P' || s[0] == 'p' || strings.HasPrefix(s, "-P") {
		m := isoDuration.FindStringSubmatch(strings.ToUpper(s))
		if m == nil || s == "P" || strings.HasSuffix(strings.ToUpper(s), "T") {
			return 0, fmt.Errorf("invalid ISO-8601 duration %q (examples: PT30S, PT5M, P1DT2H)", s)
		}
		var d time.Duration
		unit := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute}
		for i, u := range unit {
			if m[i+2] != "" {
				n, err := strconv.ParseInt(m[i+2], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("duration %q: %w", s, err)
				}
				d += time.Duration(n) * u
			}
		}
		if m[6] != "" {
			f, err := strconv.ParseFloat(strings.ReplaceAll(m[6], ",", "."), 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			d += time.Duration(f * float64(time.Second))
		}
		if m[1] == "-" {
			d = -d
		}
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (examples: PT30S, PT5M, 1m30s)", s)
	}
	return d, nil
}

// FormatISODuration writes d as ISO-8601 ("PT1M30S").
func FormatISODuration(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteString("PT")
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
		b.WriteByte('S')
	}
	return b.String()
}
