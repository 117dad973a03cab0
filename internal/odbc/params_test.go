package odbc

import (
	"database/sql/driver"
	"math"
	"strings"
	"testing"
	"time"
)

func TestClassifyParam(t *testing.T) {
	l := &lib{wcharSize: 2}
	ts := time.Date(2024, 2, 29, 13, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name    string
		v       driver.Value
		cType   int16
		sqlType int16
		size    uint64
		digits  int16
		n       int
		null    bool
	}{
		{"nil", nil, sqlCChar, sqlVarchar, 1, 0, 0, true},
		{"int64", int64(-5), sqlCSBigint, sqlBigint, 19, 0, 8, false},
		{"uint64", uint64(math.MaxUint64), sqlCUBigint, sqlBigint, 20, 0, 8, false},
		{"float64", 1.5, sqlCDouble, sqlDouble, 15, 0, 8, false},
		{"bool", true, sqlCBit, sqlBit, 1, 0, 1, false},
		{"string", "Grüße😀", sqlCWChar, sqlWVarchar, 7, 0, 14, false},
		{"empty string", "", sqlCWChar, sqlWVarchar, 1, 0, 0, false},
		{"long string", strings.Repeat("x", 4001), sqlCWChar, sqlWLongVarchar, 4001, 0, 8002, false},
		{"bytes", []byte{1, 2, 3}, sqlCBinary, sqlVarbinary, 3, 0, 3, false},
		{"nil bytes are NULL", []byte(nil), sqlCBinary, sqlVarbinary, 1, 0, 0, true},
		{"long bytes", make([]byte, 8001), sqlCBinary, sqlLongVarbinary, 8001, 0, 8001, false},
		{"timestamp micros", ts, sqlCTimestamp, sqlTypeTimestamp, 26, 6, 16, false},
		{"timestamp nanos", ts.Add(7), sqlCTimestamp, sqlTypeTimestamp, 29, 9, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := classifyParam(l, nil, 0, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if p.cType != tt.cType || p.sqlType != tt.sqlType || p.size != tt.size || p.digits != tt.digits || p.n != tt.n || p.null != tt.null {
				t.Errorf("got c=%d sql=%d size=%d digits=%d n=%d null=%v", p.cType, p.sqlType, p.size, p.digits, p.n, p.null)
			}
		})
	}
	if _, err := classifyParam(l, nil, 2, struct{}{}); err == nil || !strings.Contains(err.Error(), "parameter 3: unsupported type struct {}") {
		t.Errorf("got %v", err)
	}
}

func TestTimestampStruct(t *testing.T) {
	got := toTimestampStruct(time.Date(1999, 12, 31, 23, 59, 58, 999999000, time.FixedZone("x", 3600)))
	want := sqlTimestampStruct{1999, 12, 31, 23, 59, 58, 999999000}
	if got != want {
		t.Errorf("got %+v", got)
	}
}

type valuer struct{ s string }

func (v valuer) Value() (driver.Value, error) { return v.s, nil }

type myString string

func TestCheckNamedValue(t *testing.T) {
	c := &Conn{}
	tests := []struct {
		in   any
		want driver.Value
	}{
		{int(7), int64(7)},
		{int8(-8), int64(-8)},
		{int16(16), int64(16)},
		{int32(-32), int64(-32)},
		{uint(9), int64(9)},
		{uint8(8), int64(8)},
		{uint16(16), int64(16)},
		{uint32(math.MaxUint32), int64(math.MaxUint32)},
		{uint64(5), int64(5)},
		{uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{float32(0.1), 0.1},
		{valuer{"v"}, "v"},
		{myString("s"), "s"},
		{"x", "x"},
		{nil, nil},
	}
	for _, tt := range tests {
		nv := driver.NamedValue{Ordinal: 1, Value: tt.in}
		if err := c.CheckNamedValue(&nv); err != nil {
			t.Errorf("%T: %v", tt.in, err)
			continue
		}
		if nv.Value != tt.want {
			t.Errorf("%T %v -> %T %v, want %T %v", tt.in, tt.in, nv.Value, nv.Value, tt.want, tt.want)
		}
	}
	nv := driver.NamedValue{Ordinal: 4, Value: struct{}{}}
	if err := c.CheckNamedValue(&nv); err == nil || !strings.Contains(err.Error(), "parameter 4") {
		t.Errorf("got %v", err)
	}
}

func TestPlanBatch(t *testing.T) {
	l := &lib{wcharSize: 2}
	ts := time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC)
	rows := [][]driver.Value{
		{int64(1), nil, "ab", []byte{1}, ts, nil, true},
		{2.5, nil, "abcé", []byte{1, 2, 3}, nil, int64(3), false},
		{int64(3), nil, nil, nil, ts, int64(4), nil},
	}
	b, err := planBatch(l, rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind  bkind
		sql   int16
		size  uint64
		width int
	}{
		{bFloat, sqlDouble, 15, 8},
		{bNull, sqlVarchar, 1, 1},
		{bString, sqlWVarchar, 4, 8},
		{bBytes, sqlVarbinary, 3, 3},
		{bTime, sqlTypeTimestamp, 29, 16},
		{bInt, sqlBigint, 19, 8},
		{bBool, sqlBit, 1, 1},
	}
	for j, w := range want {
		c := b.cols[j]
		if c.kind != w.kind || c.sqlType != w.sql || c.size != w.size || c.width != w.width {
			t.Errorf("column %d: kind %s sql %d size %d width %d; want %s %d %d %d", j, c.kind, c.sqlType, c.size, c.width, w.kind, w.sql, w.size, w.width)
		}
	}
	if b.cols[4].digits != 9 {
		t.Errorf("nanosecond timestamps: digits %d", b.cols[4].digits)
	}

	_, err = planBatch(l, [][]driver.Value{{int64(1)}, {nil}, {"x"}})
	if err == nil || !strings.Contains(err.Error(), "row 2 parameter 1 is string but row 0 has int64") {
		t.Errorf("mixed column: %v", err)
	}
}

func TestNormalizeRowsDoesNotMutateCaller(t *testing.T) {
	c := &Conn{}
	rows := [][]driver.Value{{int64(1), "a"}, {int(2), "b"}}
	out, err := c.normalizeRows(rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rows[1][0].(int); !ok {
		t.Error("caller's row was changed")
	}
	if out[1][0] != int64(2) || out[0][1] != "a" {
		t.Errorf("out = %v", out)
	}
	if _, err := c.normalizeRows([][]driver.Value{{int64(1)}, {}}, 1); err == nil || !strings.Contains(err.Error(), "row 1 has 0 values") {
		t.Errorf("got %v", err)
	}
}
