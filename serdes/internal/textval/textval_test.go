package textval

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestParseISO(t *testing.T) {
	if d, ok := ParseISODate("2024-02-29"); !ok || d != rows.DaysFromCivil(2024, 2, 29) {
		t.Error("leap day")
	}
	for _, bad := range []string{"2023-02-29", "2021-13-01", "2021-1-01", "20210101", "2021-01-0x"} {
		if _, ok := ParseISODate(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	cases := []struct {
		in     string
		wall   int64
		off    int32
		hasOff bool
	}{
		{"2021-01-02T03:04:05.123456Z", 1609556645123456, 0, true},
		{"2021-01-02 03:04:05", 1609556645000000, 0, false},
		{"2021-01-02T03:04", 1609556640000000, 0, false},
		{"2021-01-02T03:04:05.1234567+05:30", 1609556645123456, 19800, true},
		{"2021-01-02T03:04:05-0800", 1609556645000000, -28800, true},
	}
	for _, c := range cases {
		wall, off, hasOff, ok := ParseISODateTime(c.in)
		if !ok || wall != c.wall || off != c.off || hasOff != c.hasOff {
			t.Errorf("%s: %d %d %v %v", c.in, wall, off, hasOff, ok)
		}
	}
	for _, bad := range []string{"2021-01-02", "2021-01-02T25:00", "2021-01-02T03:04:05.", "2021-01-02T03:04:05+5"} {
		if _, _, _, ok := ParseISODateTime(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if us, ok := ParseISOTime("23:59:59.5"); !ok || us != 86399500000 {
		t.Errorf("time %d %v", us, ok)
	}
}

func TestLoadZone(t *testing.T) {
	if z, err := LoadZone("+05:30"); err != nil || time.Unix(0, 0).In(z).Format("-07:00") != "+05:30" {
		t.Errorf("fixed offset zone: %v %v", z, err)
	}
}
