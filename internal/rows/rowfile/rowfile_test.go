package rowfile

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// encode writes rs with schema and returns the file; blockSize 0 = default.
func encode(t testing.TB, schema *rows.Schema, rs []rows.Row, blockSize int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema)
	if err != nil {
		t.Fatal(err)
	}
	if blockSize > 0 {
		w.blockSize = blockSize
	}
	for i := range rs {
		if err := w.Write(&rs[i]); err != nil {
			t.Fatalf("write row %d: %v", i+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != int64(len(rs)) || w.Bytes() != int64(buf.Len()) {
		t.Fatalf("Rows()=%d Bytes()=%d, want %d and %d", w.Rows(), w.Bytes(), len(rs), buf.Len())
	}
	return buf.Bytes()
}

// decodeAll reads every row (cloned) and the final error.
func decodeAll(data []byte) (*rows.Schema, []rows.Row, error) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []rows.Row
	var row rows.Row
	for r.Next(&row) {
		out = append(out, row.Clone())
	}
	return r.Schema(), out, r.Err()
}

func assertRowsEqual(t testing.TB, want, got []rows.Row) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if len(want[i].Values) != len(got[i].Values) {
			t.Fatalf("row %d: %d values, want %d", i+1, len(got[i].Values), len(want[i].Values))
		}
		for j := range want[i].Values {
			w, g := want[i].Values[j], got[i].Values[j]
			if !w.Equal(g) || w.IsBigDecimal() != g.IsBigDecimal() && w.Kind() == rows.KindDecimal && !bigEqualAsSmall(w, g) {
				t.Fatalf("row %d field %d: got %s %v (raw %#x aux %d), want %s %v (raw %#x aux %d)",
					i+1, j+1, g.Kind(), g, g.Raw(), g.Aux(), w.Kind(), w, w.Raw(), w.Aux())
			}
		}
	}
}

// bigEqualAsSmall allows a big decimal whose value fits int64 to come back in
// the small form: DecimalRaw normalises, Equal compares values.
func bigEqualAsSmall(w, g rows.Value) bool { return w.Unscaled().Cmp(g.Unscaled()) == 0 }

func oneField(kind rows.Kind) *rows.Schema {
	return &rows.Schema{Fields: []rows.Field{{Name: "v", Kind: kind, Nullable: true}}}
}

func mustBig(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

func mustDec(s string) rows.Value {
	v, err := rows.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestRoundTripEveryKind(t *testing.T) {
	nested := rows.List([]rows.Value{
		rows.Int(1),
		rows.Null,
		rows.List([]rows.Value{rows.String("deep"), rows.List(nil)}),
		rows.MapOf([]rows.Value{rows.String("k"), rows.Float(1.5), rows.String(""), rows.MapOf(nil)}),
	})
	cases := []struct {
		name string
		v    rows.Value
	}{
		{"null", rows.Null},
		{"true", rows.Bool(true)},
		{"false", rows.Bool(false)},
		{"int zero", rows.Int(0)},
		{"int -1", rows.Int(-1)},
		{"int max", rows.Int(math.MaxInt64)},
		{"int min", rows.Int(math.MinInt64)},
		{"int 127", rows.Int(127)},
		{"int -8192", rows.Int(-8192)},
		{"float 0", rows.Float(0)},
		{"float -0", rows.Float(math.Copysign(0, -1))},
		{"float +Inf", rows.Float(math.Inf(1))},
		{"float -Inf", rows.Float(math.Inf(-1))},
		{"float NaN", rows.Float(math.NaN())},
		{"float NaN payload", rows.Float(math.Float64frombits(0x7ff8_0000_dead_beef))},
		{"float signaling NaN", rows.Float(math.Float64frombits(0x7ff0_0000_0000_0001))},
		{"float negative NaN", rows.Float(math.Float64frombits(0xfff8_0000_0000_0042))},
		{"float smallest subnormal", rows.Float(math.SmallestNonzeroFloat64)},
		{"float max", rows.Float(math.MaxFloat64)},
		{"float 0.1", rows.Float(0.1)},
		{"decimal scale 0", rows.Decimal(12345, 0)},
		{"decimal 1.0", rows.Decimal(10, 1)},
		{"decimal 1.00 (scale kept)", rows.Decimal(100, 2)},
		{"decimal negative scale", rows.Decimal(123, -5)},
		{"decimal min int64 unscaled", rows.Decimal(math.MinInt64, 4)},
		{"decimal 38 digits", rows.DecimalBig(mustBig("12345678901234567890123456789012345678"), 10)},
		{"decimal -38 digits", rows.DecimalBig(mustBig("-99999999999999999999999999999999999999"), 38)},
		{"decimal 2^63", rows.DecimalBig(mustBig("9223372036854775808"), 0)},
		{"decimal -2^63-1", rows.DecimalBig(mustBig("-9223372036854775809"), 2)},
		{"decimal 80 digits", mustDec("-1234567890123456789012345678901234567890.1234567890123456789012345678901234567890")},
		{"decimal huge scale", rows.Decimal(1, math.MaxInt32)},
		{"decimal min scale", rows.Decimal(-7, math.MinInt32)},
		{"string empty", rows.String("")},
		{"string ascii", rows.String("hello")},
		{"string utf8", rows.String("naïve — 日本語 🚀")},
		{"string NUL", rows.String("a\x00b")},
		{"string long", rows.String(strings.Repeat("x", 100_000))},
		{"bytes empty", rows.Bytes(nil)},
		{"bytes non-UTF-8", rows.Bytes([]byte{0xff, 0xfe, 0x00, 0x80, 0xc0})},
		{"string non-UTF-8", rows.StringBytes([]byte{0xff, 0xc3, 0x28})},
		{"date epoch", rows.Date(0)},
		{"date before 1970", rows.Date(-719162)}, // 0001-01-01
		{"date far future", rows.Date(2_932_896)}, // 9999-12-31
		{"time midnight", rows.TimeOfDay(0)},
		{"time last µs", rows.TimeOfDay(86_400_000_000 - 1)},
		{"timestamp 1969 µs", rows.Timestamp(-1)},
		{"timestamp year 1", rows.Timestamp(-62_135_596_800_000_000)},
		{"timestamp year 9999", rows.Timestamp(253_402_300_799_999_999)},
		{"timestamp min", rows.Timestamp(math.MinInt64)},
		{"timestamptz +05:45", rows.TimestampTZ(1_700_000_000_123_456, 5*3600+45*60)},
		{"timestamptz -12:00", rows.TimestampTZ(-86_400_000_001, -12*3600)},
		{"timestamptz +14:00", rows.TimestampTZ(0, 14*3600)},
		{"timestamptz UTC", rows.TimestampTZ(1, 0)},
		{"timestamptz odd offset", rows.TimestampTZ(math.MaxInt64, math.MinInt32)},
		{"list empty", rows.List(nil)},
		{"map empty", rows.MapOf(nil)},
		{"list nested", nested},
		{"map of lists", rows.MapOf([]rows.Value{rows.String("a"), nested, rows.String("b"), rows.Bytes([]byte{1})})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []rows.Row{{Values: []rows.Value{tc.v}}}
			_, got, err := decodeAll(encode(t, oneField(rows.KindAny), in, 0))
			if err != nil {
				t.Fatal(err)
			}
			assertRowsEqual(t, in, got)
			if tc.v.Kind() == rows.KindFloat && got[0].Values[0].Raw() != tc.v.Raw() {
				t.Fatalf("float bits %#x, want %#x", got[0].Values[0].Raw(), tc.v.Raw())
			}
			// DecimalString of a scale of ±2^31 would be a 2 GB string.
			if tc.v.Kind() == rows.KindDecimal && tc.v.Scale() > -1000 && tc.v.Scale() < 1000 && got[0].Values[0].DecimalString() != tc.v.DecimalString() {
				t.Fatalf("decimal %s, want %s", got[0].Values[0].DecimalString(), tc.v.DecimalString())
			}
		})
	}

	// All of them in one row of a KindAny schema, many times, across blocks.
	schema := &rows.Schema{}
	var row rows.Row
	for _, tc := range cases {
		schema.Fields = append(schema.Fields, rows.Field{Name: tc.name, Kind: rows.KindAny})
		row.Values = append(row.Values, tc.v)
	}
	in := make([]rows.Row, 50)
	for i := range in {
		in[i] = row
	}
	gotSchema, got, err := decodeAll(encode(t, schema, in, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(gotSchema.Fields) != len(schema.Fields) || gotSchema.Fields[3] != schema.Fields[3] {
		t.Fatalf("schema %v, want %v", gotSchema, schema)
	}
	assertRowsEqual(t, in, got)
}

func TestZeroFieldRows(t *testing.T) {
	in := make([]rows.Row, 70_000) // more than one block's worth of empty rows
	data := encode(t, &rows.Schema{}, in, 0)
	_, got, err := decodeAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("got %d rows, want %d", len(got), len(in))
	}
	// And a file with no rows at all.
	_, got, err = decodeAll(encode(t, oneField(rows.KindInt), nil, 0))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty file: %d rows, err %v", len(got), err)
	}
}

func TestWrongValueCount(t *testing.T) {
	var buf bytes.Buffer
	schema := &rows.Schema{Fields: []rows.Field{{Name: "a"}, {Name: "b"}}}
	w, err := NewWriter(&buf, schema)
	if err != nil {
		t.Fatal(err)
	}
	ok := rows.Row{Values: []rows.Value{rows.Int(1), rows.Int(2)}}
	if err := w.Write(&ok); err != nil {
		t.Fatal(err)
	}
	bad := rows.Row{Values: []rows.Value{rows.Int(1)}}
	err = w.Write(&bad)
	var re *rows.RowError
	if !errors.As(err, &re) || re.Row != 2 || !strings.Contains(err.Error(), "row 2: has 1 values, the schema has 2 fields") {
		t.Fatalf("err = %v", err)
	}
	// The bad row left no trace: the file holds the good rows only.
	if err := w.Write(&ok); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_, got, err := decodeAll(buf.Bytes())
	if err != nil || len(got) != 2 {
		t.Fatalf("%d rows, err %v", len(got), err)
	}
	if err := w.Write(&ok); !errors.Is(err, rows.ErrClosed) {
		t.Fatalf("write after flush: %v", err)
	}
}
