package textval

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestAppend(t *testing.T) {
	paris, _ := LoadZone("Europe/Paris")
	big, _ := rows.ParseDecimal("-123456789012345678901234.5678")
	cases := []struct {
		v    rows.Value
		loc  *time.Location
		want string
	}{
		{rows.Decimal(1250, 2), nil, "12.50"},
		{rows.Decimal(-5, 3), nil, "-0.005"},
		{rows.Decimal(7, 0), nil, "7"},
		{rows.Decimal(7, -2), nil, "700"},
		{big, nil, "-123456789012345678901234.5678"},
		{rows.Date(rows.DaysFromCivil(2021, 1, 2)), nil, "2021-01-02"},
		{rows.Date(rows.DaysFromCivil(1, 1, 1)), nil, "0001-01-01"},
		{rows.TimeOfDay(3723_000_500), nil, "01:02:03.0005"},
		{rows.Timestamp(-1), nil, "1969-12-31T23:59:59.999999"},
		{rows.TimestampTZ(1609556645123456, 0), nil, "2021-01-02T03:04:05.123456Z"},
		{rows.TimestampTZ(1609556645000000, 3600), nil, "2021-01-02T04:04:05+01:00"},
		{rows.TimestampTZ(1609556645000000, 0), paris, "2021-01-02T04:04:05+01:00"},
	}
	for _, c := range cases {
		var got []byte
		if c.v.Kind() == rows.KindDecimal {
			got = AppendDecimal(nil, c.v)
		} else {
			got = AppendISO(nil, c.v, c.loc)
		}
		if string(got) != c.want {
			t.Errorf("%v: got %q want %q", c.v, got, c.want)
		}
		if c.v.Kind() == rows.KindDecimal && string(got) != c.v.DecimalString() {
			t.Errorf("%v: differs from DecimalString %q", c.v, c.v.DecimalString())
		}
	}
	if z, err := LoadZone("+05:30"); err != nil || time.Unix(0, 0).In(z).Format("-07:00") != "+05:30" {
		t.Errorf("fixed offset zone: %v %v", z, err)
	}
}

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
