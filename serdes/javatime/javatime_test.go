package javatime

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	ts := time.Date(2021, 3, 4, 15, 6, 7, 123456000, time.FixedZone("", 2*3600))
	utc := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		pattern string
		t       time.Time
		zoned   bool
		want    string
	}{
		{"yyyy-MM-dd", ts, true, "2021-03-04"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", ts, true, "2021-03-04T15:06:07.123+02:00"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSSSS[XXX]", ts, false, "2021-03-04T15:06:07.123456"},
		{"HH:mm:ssX", utc, true, "05:06:07Z"},
		{"dd/MM/yy hh:mm a", ts, true, "04/03/21 03:06 PM"},
		{"EEE, d MMM yyyy", ts, true, "Thu, 4 Mar 2021"},
		{"EEEE MMMM", ts, true, "Thursday March"},
		{"'It''s' yyyy", ts, true, "It's 2021"},
		{"yyyyMMddHHmmssZ", ts, true, "20210304150607+0200"},
		{"D", ts, true, "63"},
	}
	for _, c := range cases {
		p, err := Compile(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.FormatTime(nil, c.t, c.zoned)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if string(got) != c.want {
			t.Errorf("%s: got %q, want %q", c.pattern, got, c.want)
		}
	}
	if _, err := MustCompile("HH:mmXXX").FormatTime(nil, ts, false); err == nil {
		t.Error("zone-less value with mandatory zone: want error")
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		pattern, in string
		want        time.Time
		zoned       bool
	}{
		{"yyyy-MM-dd[XXX]", "2021-01-02", time.Date(2021, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{"yyyy-MM-dd[XXX]", "2021-01-02+01:00", time.Date(2021, 1, 2, 0, 0, 0, 0, time.FixedZone("", 3600)), true},
		{"HH:mm[:ss][.SSSSSS][XXX]", "12:30", time.Date(1970, 1, 1, 12, 30, 0, 0, time.UTC), false},
		{"HH:mm[:ss][.SSSSSS][XXX]", "12:30:15.5Z", time.Date(1970, 1, 1, 12, 30, 15, 500000000, time.UTC), true},
		{"yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]", "2021-01-02T03:04:05.123456-05:00", time.Date(2021, 1, 2, 3, 4, 5, 123456000, time.FixedZone("", -5*3600)), true},
		{"yyyyMMdd", "20210102", time.Date(2021, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{"d/M/yyyy h:mm a", "2/1/2021 12:05 AM", time.Date(2021, 1, 2, 0, 5, 0, 0, time.UTC), false},
		{"dd MMM yyyy", "02 jan 2021", time.Date(2021, 1, 2, 0, 0, 0, 0, time.UTC), false},
		{"yyyy-MM-dd HH:mm:ss VV", "2021-07-01 10:00:00 Europe/Paris", time.Date(2021, 7, 1, 8, 0, 0, 0, time.UTC), true},
	}
	for _, c := range cases {
		f, err := MustCompile(c.pattern).Parse(c.in)
		if err != nil {
			t.Fatalf("%s %s: %v", c.pattern, c.in, err)
		}
		got, zoned := f.Time(nil)
		if !got.Equal(c.want) || zoned != c.zoned {
			t.Errorf("%s %s: got %v zoned=%v, want %v zoned=%v", c.pattern, c.in, got, zoned, c.want, c.zoned)
		}
	}
	bad := []struct{ pattern, in string }{
		{"yyyy-MM-dd", "2021-02-30"},
		{"yyyy-MM-dd", "2021-1-02"},
		{"yyyy-MM-dd", "2021-01-02x"},
		{"HH:mm", "25:00"},
	}
	for _, c := range bad {
		if _, err := MustCompile(c.pattern).Parse(c.in); err == nil {
			t.Errorf("%s %q: want error", c.pattern, c.in)
		}
	}
	for _, p := range []string{"yyyy-MM-dd'T", "yyyy[MM", "yyyy]", "qqq"} {
		if _, err := Compile(p); err == nil {
			t.Errorf("Compile(%q): want error", p)
		}
	}
}
