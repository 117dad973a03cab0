package batch

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

func ts(s string) rows.Value {
	t, err := time.Parse("2006-01-02T15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return rows.TimestampOf(t)
}

func dec(s string) rows.Value {
	v, err := rows.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestConvert(t *testing.T) {
	my := dialect.MustGet(dialect.MySQL)
	pg := dialect.MustGet(dialect.Postgres)
	ms := dialect.MustGet(dialect.SQLServer)
	paris, _ := time.LoadLocation("Europe/Paris")
	typ := func(d dialect.Dialect, name string, p, s, l int64) dialect.Type { return d.Classify(name, p, s, l) }
	tests := []struct {
		name string
		typ  dialect.Type
		loc  *time.Location
		in   rows.Value
		want rows.Value
		err  string
	}{
		{"null stays null", typ(my, "INT", -1, -1, -1), nil, rows.Null, rows.Null, ""},
		{"iso date string", typ(my, "DATE", -1, -1, -1), nil, rows.String("2024-02-29"), rows.Date(rows.DaysFromCivil(2024, 2, 29)), ""},
		{"bad date", typ(my, "DATE", -1, -1, -1), nil, rows.String("2023-02-29"), rows.Null, "not an ISO-8601 date"},
		{"date with time", typ(my, "DATE", -1, -1, -1), nil, rows.String("2024-01-01T10:00:00"), rows.Null, "time of day"},
		{"midnight timestamp to date", typ(my, "DATE", -1, -1, -1), nil, ts("2024-01-01T00:00:00"), rows.Date(rows.DaysFromCivil(2024, 1, 1)), ""},
		{"iso timestamp µs", typ(my, "DATETIME", 6, 6, -1), nil, rows.String("2024-01-02T03:04:05.123456"), ts("2024-01-02T03:04:05.123456"), ""},
		{"space timestamp", typ(my, "DATETIME", 6, 6, -1), nil, rows.String("2024-01-02 03:04:05.5"), ts("2024-01-02T03:04:05.5"), ""},
		{"nanos lost", typ(my, "DATETIME", 6, 6, -1), nil, rows.String("2024-01-02 03:04:05.1234567"), rows.Null, "not an ISO-8601"},
		{"zoned string into datetime uses loc", typ(my, "DATETIME", 0, 0, -1), paris, rows.String("2024-07-01T10:00:00Z"), ts("2024-07-01T12:00:00"), ""},
		{"timestamptz into datetime", typ(ms, "DATETIME2", 27, 7, -1), nil, rows.TimestampTZ(time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC).UnixMicro(), 3600), ts("2024-01-01T10:00:00"), ""},
		{"wall clock into timestamptz", typ(pg, "TIMESTAMPTZ", -1, -1, -1), paris, ts("2024-01-01T10:00:00"), rows.TimestampTZ(time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC).UnixMicro(), 3600), ""},
		{"offset string into timestamptz", typ(ms, "DATETIMEOFFSET", 34, 7, -1), nil, rows.String("2024-01-01T10:00:00-05:30"), rows.TimestampTZ(time.Date(2024, 1, 1, 15, 30, 0, 0, time.UTC).UnixMicro(), -19800), ""},
		{"time", typ(pg, "TIME", -1, -1, -1), nil, rows.String("23:59:58.25"), rows.TimeOfDay((23*3600+59*60+58)*1e6 + 250000), ""},
		{"int into decimal", typ(my, "DECIMAL", 12, 2, -1), nil, rows.Int(42), rows.Decimal(4200, 2), ""},
		{"numeric string into decimal", typ(my, "DECIMAL", 12, 2, -1), nil, rows.String(" -12.5 "), rows.Decimal(-1250, 2), ""},
		{"decimal trailing zeros", typ(my, "DECIMAL", 12, 2, -1), nil, dec("1.2300"), rows.Decimal(123, 2), ""},
		{"decimal would round", typ(my, "DECIMAL", 12, 2, -1), nil, dec("1.239"), rows.Null, "more than the 2 the target keeps: it would be rounded"},
		{"decimal too large", typ(my, "DECIMAL", 5, 2, -1), nil, dec("1234.5"), rows.Null, "has more digits than decimal(5,2) holds"},
		{"float at the scale", typ(my, "DECIMAL", 12, 2, -1), nil, rows.Float(0.3), rows.Decimal(30, 2), ""},
		{"float beyond the scale is refused, not rounded", typ(my, "DECIMAL", 12, 2, -1), nil, rows.Float(math.Nextafter(0.3, 1)), rows.Null, "it would be rounded"},
		{"int beyond 2^53 into a double", typ(pg, "FLOAT8", -1, -1, -1), nil, rows.Int(1<<53 + 1), rows.Null, "a 64-bit float would round it"},
		{"decimal with more digits than a double keeps", typ(pg, "FLOAT8", -1, -1, -1), nil, dec("0.12345678901234567891"), rows.Null, "more digits than a double keeps"},
		{"midnight date-time text into date", typ(my, "DATE", -1, -1, -1), nil, rows.String("2024-01-01 00:00:00"), rows.Date(rows.DaysFromCivil(2024, 1, 1)), ""},
		{"float nan into decimal", typ(my, "DECIMAL", 12, 2, -1), nil, rows.Float(math.NaN()), rows.Null, "NaN is not a decimal"},
		{"big decimal 38", typ(ms, "DECIMAL", 38, 10, -1), nil, dec("1234567890123456789012345678.1"), dec("1234567890123456789012345678.1000000000"), ""},
		{"unconstrained numeric keeps scale", typ(pg, "NUMERIC", 1<<40, 1<<40, -1), nil, dec("1.2300"), dec("1.2300"), ""},
		{"not a number", typ(pg, "NUMERIC", 10, 2, -1), nil, rows.String("12,5"), rows.Null, "not a decimal"},
		{"bool into BIT", typ(ms, "BIT", -1, -1, -1), nil, rows.Bool(true), rows.Bool(true), ""},
		{"1 into BIT", typ(ms, "BIT", -1, -1, -1), nil, rows.Int(1), rows.Bool(true), ""},
		{"2 into BIT", typ(ms, "BIT", -1, -1, -1), nil, rows.Int(2), rows.Null, "not a boolean"},
		{"string into bool", typ(pg, "BOOL", -1, -1, -1), nil, rows.String("FALSE"), rows.Bool(false), ""},
		{"bool into tinyint", typ(my, "TINYINT", -1, -1, 4), nil, rows.Bool(true), rows.Int(1), ""},
		{"int range tinyint", typ(my, "TINYINT", -1, -1, 4), nil, rows.Int(128), rows.Null, "out of range"},
		{"int range unsigned tinyint", typ(ms, "TINYINT", -1, -1, -1), nil, rows.Int(255), rows.Int(255), ""},
		{"int range smallint", typ(pg, "INT2", -1, -1, -1), nil, rows.Int(-32769), rows.Null, "out of range"},
		{"fraction into int", typ(pg, "INT8", -1, -1, -1), nil, rows.Float(1.5), rows.Null, "not an integer"},
		{"integral decimal into int", typ(pg, "INT8", -1, -1, -1), nil, dec("12.000"), rows.Int(12), ""},
		{"numeric string into int", typ(pg, "INT4", -1, -1, -1), nil, rows.String("77"), rows.Int(77), ""},
		{"unsigned bigint max", typ(my, "UNSIGNED BIGINT", -1, -1, -1), nil, dec("18446744073709551615"), dec("18446744073709551615"), ""},
		{"int into float", typ(pg, "FLOAT8", -1, -1, -1), nil, rows.Int(3), rows.Float(3), ""},
		{"decimal into float", typ(pg, "FLOAT8", -1, -1, -1), nil, dec("0.1"), rows.Float(0.1), ""},
		{"string into bytes", typ(pg, "BYTEA", -1, -1, -1), nil, rows.String("ab"), rows.Bytes([]byte("ab")), ""},
		{"int into bytes", typ(pg, "BYTEA", -1, -1, -1), nil, rows.Int(1), rows.Null, "cannot convert"},
		{"number into varchar", typ(ms, "NVARCHAR", -1, -1, 20), nil, dec("1.50"), rows.String("1.50"), ""},
		{"date into varchar", typ(ms, "NVARCHAR", -1, -1, 20), nil, rows.Date(0), rows.String("1970-01-01"), ""},
		{"map into json", typ(pg, "JSONB", -1, -1, -1), nil, rows.MapOf([]rows.Value{rows.String("a"), rows.Int(1)}), rows.String(`{"a":1}`), ""},
		{"binary into text", typ(pg, "TEXT", -1, -1, -1), nil, rows.Bytes([]byte{0xff, 0xfe}), rows.Null, "not UTF-8"},
		{"any passes", dialect.Type{Kind: rows.KindAny}, nil, rows.String("x"), rows.String("x"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.loc
			if loc == nil {
				loc = time.UTC
			}
			in := tt.in
			got, err := Convert(in, &tt.typ, loc)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Convert(%v) err = %v, want %q", in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert(%v): %v", in, err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("Convert(%v) = %v (%s), want %v (%s)", in, got, got.Kind(), tt.want, tt.want.Kind())
			}
		})
	}
}

func TestParseTemporal(t *testing.T) {
	tests := []struct {
		in               string
		ok               bool
		date, time, zone bool
		micros           int64
		offset           int32
	}{
		{"2024-01-31", true, true, false, false, 0, 0},
		{"2024-01-31T10:11:12.123456Z", true, true, true, true, (10*3600+11*60+12)*1e6 + 123456, 0},
		{"2024-01-31 10:11:12+02:00", true, true, true, true, (10*3600 + 11*60 + 12) * 1e6, 7200},
		{"2024-01-31 10:11:12-0330", true, true, true, true, (10*3600 + 11*60 + 12) * 1e6, -12600},
		{"2024-01-31T10:11", true, true, true, false, (10*3600 + 11*60) * 1e6, 0},
		{"10:11:12.5", true, false, true, false, (10*3600+11*60+12)*1e6 + 500000, 0},
		{"2024-01-31T10:11:12.123456000", true, true, true, false, (10*3600+11*60+12)*1e6 + 123456, 0},
		{"2024-01-31T10:11:12.1234567", false, false, false, false, 0, 0},
		{"2024-13-01", false, false, false, false, 0, 0},
		{"2024-1-01", false, false, false, false, 0, 0},
		{"2024-01-31X", false, false, false, false, 0, 0},
		{"25:00:00", false, false, false, false, 0, 0},
		{"", false, false, false, false, 0, 0},
		{"hello", false, false, false, false, 0, 0},
	}
	for _, tt := range tests {
		got, ok := rows.ParseTemporal(tt.in)
		if ok != tt.ok {
			t.Errorf("ParseTemporal(%q) ok = %v", tt.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if got.HasDate != tt.date || got.HasTime != tt.time || got.HasZone != tt.zone || got.Micros != tt.micros || got.Offset != tt.offset {
			t.Errorf("ParseTemporal(%q) = %+v", tt.in, got)
		}
	}
}

func FuzzParseTemporal(f *testing.F) {
	for _, s := range []string{"2024-01-31", "2024-01-31T10:11:12.123456Z", "10:11", "-0044-03-15 12:00:00+01:00", "2024-02-29 24:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := rows.ParseTemporal(s)
		if !ok || !tm.HasDate || tm.HasZone {
			return
		}
		// What parses as a zone-less date-time formats back to a string
		// that parses to the same value.
		b := appendWall(nil, tm.Days*rows.MicrosPerDay+tm.Micros, 'T')
		again, ok := rows.ParseTemporal(b)
		if !ok || again.Days*rows.MicrosPerDay+again.Micros != tm.Days*rows.MicrosPerDay+tm.Micros {
			t.Fatalf("%q → %s → %+v", s, b, again)
		}
	})
}
