package odbc_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// typesDDL has one column per value type sluice moves.
func typesDDL(b backend) string {
	if b.name == "mariadb" {
		return `id BIGINT PRIMARY KEY, i INT, f DOUBLE, d DECIMAL(30,10), s VARCHAR(200), tx LONGTEXT,
			bin VARBINARY(200), bl LONGBLOB, bo BOOLEAN, dt DATE, ts DATETIME(6), u BIGINT UNSIGNED`
	}
	return `id BIGINT PRIMARY KEY, i INT, f DOUBLE PRECISION, d NUMERIC(30,10), s VARCHAR(200), tx TEXT,
		bin BYTEA, bl BYTEA, bo BOOLEAN, dt DATE, ts TIMESTAMP(6), u NUMERIC(20)`
}

func TestRoundTripEveryType(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, typesDDL(b))

			bigText := strings.Repeat("Grüße aus Köln — 日本語 😀 ", 120_000) // ~4 MB of UTF-8
			bigBlob := make([]byte, 5<<20)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range bigBlob {
				bigBlob[i] = byte(rng.Uint32())
			}
			ts := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
			var uBig any = uint64(math.MaxUint64)
			var uWant any = uint64(math.MaxUint64)
			if b.name == "postgres" {
				uBig, uWant = "18446744073709551615", "18446744073709551615"
			}
			boolWant := func(v bool) any {
				if b.boolIsInt {
					if v {
						return int64(1)
					}
					return int64(0)
				}
				return v
			}
			rows := []struct {
				in   []any
				want []any
			}{
				{ // ordinary values, non-ASCII text
					in: []any{int64(1), 42, 3.25, "12345.6789", "Grüße, Zoë — 日本語 😀", "ünïcødé text ✓",
						[]byte{0, 1, 2, 0xff}, []byte("blob\x00data"), true, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ts, uBig},
					want: []any{int64(1), int64(42), 3.25, "12345.6789000000", "Grüße, Zoë — 日本語 😀", "ünïcødé text ✓",
						[]byte{0, 1, 2, 0xff}, []byte("blob\x00data"), boolWant(true), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), ts, uWant},
				},
				{ // every column NULL
					in:   []any{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
					want: []any{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
				},
				{ // extremes and empties
					in: []any{int64(math.MinInt64), math.MaxInt32, -1.5e-300, "-12345678901234567890.0123456789", "", "",
						[]byte{}, []byte{}, false, time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
						time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), uint64(0)},
					want: []any{int64(math.MinInt64), int64(math.MaxInt32), -1.5e-300, "-12345678901234567890.0123456789", "", "",
						[]byte{}, []byte{}, boolWant(false), time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
						time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), uZero(b)},
				},
				{ // several MB of text and binary
					in: []any{int64(math.MaxInt64), -7, math.MaxFloat64, "0.0000000001", strings.Repeat("é", 200), bigText,
						bytes.Repeat([]byte{0xAB}, 200), bigBlob, true, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
						time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), nil},
					want: []any{int64(math.MaxInt64), int64(-7), math.MaxFloat64, "0.0000000001", strings.Repeat("é", 200), bigText,
						bytes.Repeat([]byte{0xAB}, 200), bigBlob, boolWant(true), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
						time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), nil},
				},
			}
			ins, err := db.Prepare("INSERT INTO " + tbl + " (id, i, f, d, s, tx, bin, bl, bo, dt, ts, u) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
			if err != nil {
				t.Fatal(err)
			}
			defer ins.Close()
			for _, r := range rows {
				res, err := ins.Exec(r.in...)
				if err != nil {
					t.Fatalf("insert id %v: %v", r.in[0], err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Errorf("insert id %v: RowsAffected = %d", r.in[0], n)
				}
			}

			for _, r := range rows {
				vals := make([]any, len(r.want))
				ptrs := make([]any, len(vals))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := db.QueryRow("SELECT id, i, f, d, s, tx, bin, bl, bo, dt, ts, u FROM "+tbl+" WHERE id = ?", r.in[0]).Scan(ptrs...); err != nil {
					t.Fatalf("select id %v: %v", r.in[0], err)
				}
				for i, w := range r.want {
					if !sameValue(vals[i], w) {
						t.Errorf("id %v column %d: got %T %s, want %T %s", r.in[0], i, vals[i], short(vals[i]), w, short(w))
					}
				}
			}
		})
	}
}

func uZero(b backend) any {
	if b.name == "postgres" {
		return "0"
	}
	return int64(0) // unsigned values that fit come back as int64
}

func sameValue(got, want any) bool {
	if gt, ok := got.(time.Time); ok {
		wt, ok := want.(time.Time)
		return ok && gt.Equal(wt) && gt.Location() == time.UTC
	}
	return reflect.DeepEqual(got, want)
}

func short(v any) string {
	switch x := v.(type) {
	case []byte:
		if len(x) > 40 {
			return fmt.Sprintf("%d bytes", len(x))
		}
		return fmt.Sprintf("%q", x)
	case string:
		if len(x) > 60 {
			return fmt.Sprintf("%q… (%d bytes)", x[:60], len(x))
		}
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}
