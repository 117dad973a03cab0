package rows

import (
	"math"
	"strings"
	"testing"
	"time"
)

// The refusal rule, one case each: what is lost is refused.
func TestConverterRefusesLoss(t *testing.T) {
	var c Converter
	d := func(s string) Value {
		v, err := ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		run  func() error
		want string // "" accepted
	}{
		{"2^53 into double", func() error { _, err := c.Float(Int(1<<53), 64); return err }, ""},
		{"2^53+1 into double", func() error { _, err := c.Float(Int(1<<53+1), 64); return err }, "would round it"},
		{"max int64 into double", func() error { _, err := c.Float(Int(math.MaxInt64), 64); return err }, "would round it"},
		{"2^24+1 into float", func() error { _, err := c.Float(Int(1<<24+1), 32); return err }, "would round it"},
		{"0.1 decimal into double", func() error { _, err := c.Float(d("0.1"), 64); return err }, ""},
		{"20 digits into double", func() error { _, err := c.Float(d("1.2345678901234567891"), 64); return err }, "more digits than a double keeps"},
		{"1e300 text into double", func() error { _, err := c.Float(String("1e300"), 64); return err }, ""},
		{"1e-400 text into double", func() error { _, err := c.Float(String("1e-400"), 64); return err }, "too small"},
		{"int into date", func() error { _, err := c.Date(Int(3)); return err }, "cannot convert"},
		{"scale 3 into scale 2", func() error { _, err := c.Decimal(d("1.239"), 10, 2); return err }, "it would be rounded"},
		{"trailing zero into scale 2", func() error { _, err := c.Decimal(d("1.230"), 10, 2); return err }, ""},
		{"precision", func() error { _, err := c.Decimal(d("123.4"), 4, 2); return err }, "more digits than decimal(4,2)"},
		{"float shortest text", func() error { _, err := c.Decimal(Float(0.1), 4, 2); return err }, ""},
		{"fraction into int", func() error { _, err := c.Int(Float(1.5)); return err }, "not an integer"},
		{"bool into int", func() error { _, err := c.Int(Bool(true)); return err }, ""},
		{"2 into bool", func() error { _, err := c.Bool(Int(2)); return err }, "not a boolean"},
		{"YES into bool", func() error { _, err := c.Bool(String("YES")); return err }, ""},
		{"noon into date", func() error { _, err := c.Date(Timestamp(12 * 3600e6)); return err }, "time of day"},
		{"midnight into date", func() error { _, err := c.Date(Timestamp(MicrosPerDay)); return err }, ""},
		{"binary into text", func() error { _, err := c.AppendText(nil, Bytes([]byte{0xff})); return err }, "not UTF-8"},
		{"epoch ms text", func() error { _, _, err := c.Instant(String("1577362391123"), EpochMillis); return err }, ""},
		{"number where no epoch", func() error { _, _, err := c.Instant(Int(1), NoEpoch); return err }, "not a timestamp here"},
	}
	for _, tc := range cases {
		err := tc.run()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestConverterText(t *testing.T) {
	c := Converter{DecimalSeparator: ',', Location: time.FixedZone("", 3600)}
	if f, err := c.Float(String("42,5"), 64); err != nil || f != 42.5 {
		t.Errorf("decimal separator: %v %v", f, err)
	}
	us, off, err := c.Instant(String("2024-01-01T10:00:00"), NoEpoch)
	if err != nil || off != 3600 || us != time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("zone-less text in Location: %v %v %v", us, off, err)
	}
	if !c.IsNullText("N/A") || c.IsNullText("x") {
		t.Error("null texts are matched ignoring case")
	}
	b, err := c.AppendText(nil, TimestampTZ(0, 3600))
	if err != nil || string(b) != "1970-01-01T01:00:00+01:00" {
		t.Errorf("text of an instant: %s %v", b, err)
	}
}

// FuzzConverter: text never panics a conversion, and a decimal accepted at
// a scale reads back as the same number.
func FuzzConverter(f *testing.F) {
	for _, s := range []string{"1.5", "-0", "1e3", "2024-02-29T10:11:12.5+01:00", "12:13", "1577362391123", "NaN", "true", "9223372036854775808", "0.1e-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c Converter
		v := String(s)
		_, _ = c.Bool(v)
		_, _ = c.Int(v)
		_, _ = c.Float(v, 64)
		_, _ = c.Float(v, 32)
		_, _ = c.Date(v)
		_, _ = c.Time(v)
		_, _, _ = c.Instant(v, EpochMillis)
		_, _ = c.Local(v, EpochMicros)
		if d, err := c.Decimal(v, 0, 4); err == nil {
			orig, perr := ParseDecimal(strings.TrimSpace(s))
			if perr == nil && orig.Rat().Cmp(d.Rat()) != 0 {
				t.Fatalf("%q became %s", s, d.DecimalString())
			}
		}
	})
}
