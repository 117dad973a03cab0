package rows_test

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

func TestAppend(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
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
			got = rows.AppendDecimal(nil, c.v)
		} else {
			got = rows.AppendISO(nil, c.v, c.loc)
		}
		if string(got) != c.want {
			t.Errorf("%v: got %q want %q", c.v, got, c.want)
		}
		if c.v.Kind() == rows.KindDecimal && string(got) != c.v.DecimalString() {
			t.Errorf("%v: differs from DecimalString %q", c.v, c.v.DecimalString())
		}
	}
}
