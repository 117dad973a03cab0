package rows

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"
)

func TestParseDecimalExact(t *testing.T) {
	cases := []struct {
		in, out string
		scale   int32
	}{
		{"0", "0", 0},
		{"-0.00", "0.00", 2},
		{"12.340", "12.340", 3},
		{"-12.5", "-12.5", 1},
		{"+7", "7", 0},
		{".5", "0.5", 1},
		{"5.", "5", 0},
		{"1e3", "1000", 0},
		{"1.5e-3", "0.0015", 4},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789", 9},
		{"-99999999999999999999999999999999999999", "-99999999999999999999999999999999999999", 0},
		{"0.000000000000000000000000000000000001", "0.000000000000000000000000000000000001", 36},
	}
	for _, c := range cases {
		v, err := ParseDecimal(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if v.Kind() != KindDecimal || v.DecimalString() != c.out || v.Scale() != c.scale {
			t.Errorf("%s: got %s scale %d, want %s scale %d", c.in, v.DecimalString(), v.Scale(), c.out, c.scale)
		}
	}
	if got := Decimal(-12, 5000).DecimalString(); got != "-12E-5000" {
		t.Errorf("extreme scale: %s", got)
	}
	for _, bad := range []string{"", "-", ".", "1.2.3", "1e", "abc", "1,5", "١٢", "1e-5000", "1e100000"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDecimalBigTwosComplement(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "127", "128", "-128", "-129", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "340282366920938463463374607431768211456"} {
		n, _ := new(big.Int).SetString(s, 10)
		v := DecimalBig(n, 2)
		back := DecimalRaw(v.DecimalBytes(), 2)
		if back.Unscaled().Cmp(n) != 0 || !back.Equal(v) {
			t.Errorf("%s: round trip gave %s", s, back.Unscaled())
		}
	}
}

func TestCivilDays(t *testing.T) {
	for _, d := range []string{"0001-01-01", "1582-10-15", "1899-12-31", "1969-12-31", "1970-01-01", "2000-02-29", "2024-02-29", "9999-12-31"} {
		tm, _ := time.Parse("2006-01-02", d)
		v := DateOf(tm)
		if v.String() != d {
			t.Errorf("%s → %d → %s", d, v.Raw(), v.String())
		}
		if want := tm.Unix() / 86400; tm.Unix() >= 0 && v.Raw() != want {
			t.Errorf("%s: days %d, want %d", d, v.Raw(), want)
		}
	}
}

func TestTemporalFormatting(t *testing.T) {
	tz := time.FixedZone("", 5*3600+45*60)
	tm := time.Date(1960, 3, 4, 5, 6, 7, 123456789, tz)
	if got := TimestampTZOf(tm).String(); got != "1960-03-04T05:06:07.123456+05:45" {
		t.Errorf("timestamptz %s", got)
	}
	if got := TimestampOf(tm).String(); got != "1960-03-04T05:06:07.123456" {
		t.Errorf("timestamp %s", got)
	}
	if got := TimeOfDay(((13*60+4)*60+5)*1e6 + 7).String(); got != "13:04:05.000007" {
		t.Errorf("time %s", got)
	}
}

func TestJSONAndAny(t *testing.T) {
	d, _ := ParseDecimal("10.50")
	v := MapOf([]Value{
		String("a"), Int(math.MinInt64),
		String("b"), d,
		String("c"), List([]Value{Null, Bool(true), Float(math.Inf(-1)), String("x\"\n\u2028")}),
		String("d"), Bytes([]byte{0, 255}),
	})
	b, err := AppendJSON(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":-9223372036854775808,"b":10.50,"c":[null,true,"-Infinity","x\"\n\u2028"],"d":"AP8="}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var m OrderedMap
	if err := json.Unmarshal([]byte(`{"z":1,"a":{"y":2.50,"b":[1,"x"]}}`), &m); err != nil {
		t.Fatal(err)
	}
	back, err := FromAny(&m)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := AppendJSON(nil, back)
	if string(out) != `{"z":1,"a":{"y":2.50,"b":[1,"x"]}}` {
		t.Errorf("ordered round trip: %s", out)
	}
	r, _ := FromAny(big.NewRat(1, 8))
	if r.DecimalString() != "0.125" {
		t.Errorf("rat: %s", r.DecimalString())
	}
	if r, _ := FromAny(big.NewRat(1, 3)); r.Kind() != KindFloat {
		t.Errorf("1/3 should fall back to float, got %s", r.Kind())
	}
	u, _ := FromAny(uint64(math.MaxUint64))
	if u.DecimalString() != "18446744073709551615" {
		t.Errorf("uint64: %s", u.DecimalString())
	}
}

func TestEqualAndClone(t *testing.T) {
	buf := []byte("hello")
	v := StringBytes(buf)
	c := v.Clone()
	buf[0] = 'j'
	if c.AsString() != "hello" || v.AsString() != "jello" {
		t.Error("clone aliases the source")
	}
	nan1 := Float(math.Float64frombits(0x7ff8000000000001))
	nan2 := Float(math.Float64frombits(0x7ff8000000000002))
	if !nan1.Equal(nan1) || nan1.Equal(nan2) {
		t.Error("NaN payload equality")
	}
	if Decimal(10, 1).Equal(Decimal(100, 2)) {
		t.Error("1.0 and 1.00 must differ")
	}
}
