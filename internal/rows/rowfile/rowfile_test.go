package rowfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowstest"
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
	out, err := rowstest.Drain(r)
	return r.Schema(), out, err
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
			if !w.Equal(g) {
				t.Fatalf("row %d field %d: got %s %v (raw %#x aux %d), want %s %v (raw %#x aux %d)",
					i+1, j+1, g.Kind(), g, g.Raw(), g.Aux(), w.Kind(), w, w.Raw(), w.Aux())
			}
		}
	}
}

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
		{"date before 1970", rows.Date(-719162)},  // 0001-01-01
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

// sample10 is the benchmark's row shape: int64, 2 strings, float64,
// decimal(12,2), bool, date, µs timestamp, nullable string, 16 bytes.
var sample10Schema = &rows.Schema{Fields: []rows.Field{
	{Name: "id", Kind: rows.KindInt},
	{Name: "name", Kind: rows.KindString},
	{Name: "city", Kind: rows.KindString},
	{Name: "score", Kind: rows.KindFloat},
	{Name: "amount", Kind: rows.KindDecimal, Precision: 12, Scale: 2},
	{Name: "active", Kind: rows.KindBool},
	{Name: "day", Kind: rows.KindDate},
	{Name: "ts", Kind: rows.KindTimestamp},
	{Name: "note", Kind: rows.KindString, Nullable: true},
	{Name: "tag", Kind: rows.KindBytes},
}}

var sampleWords = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"}

// Derived strings are built once so that filling a row allocates nothing.
var sampleCities, sampleNotes [12]string

func init() {
	for i, w := range sampleWords {
		sampleCities[i] = w + "-city"
		sampleNotes[i] = "note " + w
	}
}

// fillSample fills row with row i of the sample; tag is scratch for the bytes.
func fillSample(i int64, row *rows.Row, tag *[16]byte) {
	row.Reset(10)
	h := uint64(i)*0x9e3779b97f4a7c15 + 1
	for k := range tag {
		tag[k] = byte(h >> (8 * (k % 8)))
	}
	v := row.Values
	v[0] = rows.Int(i*7919 - 1_000_000)
	v[1] = rows.String(sampleWords[h%12])
	v[2] = rows.String(sampleCities[(h>>8)%12])
	v[3] = rows.Float(float64(i) * 1.37)
	v[4] = rows.Decimal(int64(h%1e12)-5e11, 2)
	v[5] = rows.Bool(h&1 == 0)
	v[6] = rows.Date(int64(h % 40000))
	v[7] = rows.Timestamp(1_600_000_000_000_000 + i*1_000_003)
	if h%10 < 3 {
		v[8] = rows.Null
	} else {
		v[8] = rows.String(sampleNotes[(h>>16)%12])
	}
	v[9] = rows.Bytes(tag[:])
}

// cutsAndFlips builds a small multi-block file.
func smallFile(t testing.TB) []byte {
	t.Helper()
	var in []rows.Row
	var tag [16]byte
	for i := range int64(12) {
		var r rows.Row
		fillSample(i, &r, &tag)
		in = append(in, r.Clone())
	}
	return encode(t, sample10Schema, in, 200) // ~2 rows per block
}

// TestTruncatedEverywhere cuts a multi-block file at every byte: every
// prefix must fail, never look like a shorter complete file.
func TestTruncatedEverywhere(t *testing.T) {
	data := smallFile(t)
	if _, got, err := decodeAll(data); err != nil || len(got) != 12 {
		t.Fatalf("whole file: %d rows, %v", len(got), err)
	}
	for n := range len(data) {
		_, got, err := decodeAll(data[:n])
		if err == nil {
			t.Fatalf("cut at %d of %d bytes: %d rows and no error", n, len(data), len(got))
		}
		if n > 0 && !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: error %v does not wrap ErrTruncated", n, err)
		}
	}
	// The message locates the cut: here right after the 3rd block.
	_, _, err := decodeAll(data[:blockEnd(t, data, 3)])
	if err == nil || !strings.Contains(err.Error(), "row file: block 4 (byte offset ") || !strings.Contains(err.Error(), "truncated: no end marker after") {
		t.Fatalf("cut at block boundary: %v", err)
	}
}

// blockEnd returns the byte offset just after block n (1-based).
func blockEnd(t testing.TB, data []byte, n int) int {
	t.Helper()
	off := headerFixed + int(binary.LittleEndian.Uint32(data[len(Magic)+1:])) + 4
	for range n {
		off += blockHeader + int(binary.LittleEndian.Uint32(data[off+4:]))
	}
	return off
}

// TestCorruptEverywhere flips bits in every byte: each must be reported,
// as a checksum mismatch once past the header.
func TestCorruptEverywhere(t *testing.T) {
	data := smallFile(t)
	first := blockEnd(t, data, 0)
	for i := range data {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(data)
			bad[i] ^= mask
			_, got, err := decodeAll(bad)
			if err == nil {
				t.Fatalf("byte %d ^ %#x: %d rows and no error", i, mask, len(got))
			}
			if i >= first+8 && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: %v", i, mask, err)
			}
		}
	}
	// A payload flip names block and offset.
	bad := bytes.Clone(data)
	off := blockEnd(t, data, 2)
	bad[off+blockHeader+3] ^= 0x10
	_, _, err := decodeAll(bad)
	want := fmt.Sprintf("row file: block 3 (byte offset %d): checksum mismatch", off)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestTrailingDataAndHeaderErrors(t *testing.T) {
	data := smallFile(t)
	if _, _, err := decodeAll(append(bytes.Clone(data), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
	// Two files concatenated are not one file.
	if _, _, err := decodeAll(append(bytes.Clone(data), data...)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("concatenated: %v", err)
	}
	if _, err := NewReader(strings.NewReader(`{"id":1}` + "\n")); !errors.Is(err, ErrNotRowFile) || !strings.Contains(err.Error(), `starts with "{\"id\":1}"`) {
		t.Fatalf("json input: %v", err)
	}
	if _, err := NewReader(strings.NewReader("")); !errors.Is(err, ErrNotRowFile) {
		t.Fatalf("empty input: %v", err)
	}
	v2 := bytes.Clone(data)
	v2[len(Magic)] = 2
	if _, err := NewReader(bytes.NewReader(v2)); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 2: %v", err)
	}
	// A header claiming a 60 MiB schema in a tiny input: truncated, cheaply.
	huge := bytes.Clone(data[:headerFixed])
	binary.LittleEndian.PutUint32(huge[len(Magic)+1:], 60<<20)
	if _, err := NewReader(bytes.NewReader(huge)); !errors.Is(err, ErrTruncated) {
		t.Fatalf("huge schema length: %v", err)
	}
}

// A write error from the destination is reported with the block and sticks.
func TestWriteErrorSticks(t *testing.T) {
	fw := &failWriter{after: 1}
	w, err := NewWriter(fw, sample10Schema)
	if err != nil {
		t.Fatal(err)
	}
	w.blockSize = 10
	var row rows.Row
	var tag [16]byte
	fillSample(1, &row, &tag)
	if err := w.Write(&row); err == nil || !strings.Contains(err.Error(), "writing block 1 (byte offset") || !errors.Is(err, errDiskFull) {
		t.Fatalf("first block: %v", err)
	}
	if err := w.Write(&row); !errors.Is(err, errDiskFull) {
		t.Fatalf("second write: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, errDiskFull) {
		t.Fatalf("flush: %v", err)
	}
}

var errDiskFull = errors.New("disk full")

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after == 0 {
		return 0, errDiskFull
	}
	f.after--
	return len(p), nil
}

func TestDepthLimit(t *testing.T) {
	v := rows.Int(1)
	for range maxDepth + 1 {
		v = rows.List([]rows.Value{v})
	}
	w, err := NewWriter(io.Discard, oneField(rows.KindList))
	if err != nil {
		t.Fatal(err)
	}
	row := rows.Row{Values: []rows.Value{v}}
	if err := w.Write(&row); err == nil || !strings.Contains(err.Error(), `row 1, column "v": lists and maps nested more than 1000 deep`) {
		t.Fatalf("err = %v", err)
	}
}

// Next reuses the row and its memory: no allocation per row for scalar
// rows once warmed up, nor in Write.
func TestZeroAllocs(t *testing.T) {
	w, err := NewWriter(io.Discard, sample10Schema)
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	var tag [16]byte
	i := int64(0)
	fillSample(0, &row, &tag)
	if a := testing.AllocsPerRun(5000, func() { // crosses several block flushes
		i++
		fillSample(i, &row, &tag)
		if err := w.Write(&row); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("allocs per Write: %v", a)
	}
	var in []rows.Row
	for i := range int64(6000) {
		fillSample(i, &row, &tag)
		in = append(in, row.Clone())
	}
	r, err := NewReader(bytes.NewReader(encode(t, sample10Schema, in, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r.Next(&row)
	if a := testing.AllocsPerRun(5000, func() {
		if !r.Next(&row) {
			t.Fatal(r.Err())
		}
	}); a != 0 {
		t.Fatalf("allocs per Next: %v", a)
	}
}

// Nested values reuse the reader's arena: no allocation per row either.
func TestZeroAllocsNested(t *testing.T) {
	in := make([]rows.Row, 3000)
	for i := range in {
		in[i] = rows.Row{Values: []rows.Value{rows.List([]rows.Value{rows.Int(int64(i)),
			rows.MapOf([]rows.Value{rows.String("k"), rows.List([]rows.Value{rows.Null, rows.Bool(true)})})})}}
	}
	r, err := NewReader(bytes.NewReader(encode(t, oneField(rows.KindList), in, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	r.Next(&row)
	if a := testing.AllocsPerRun(2000, func() {
		if !r.Next(&row) {
			t.Fatal(r.Err())
		}
	}); a != 0 {
		t.Fatalf("allocs per Next: %v", a)
	}
}

// A row bigger than a block gets a block of its own; the rows around it,
// read with buffers sized for it and then shrunk back, stay exact.
func TestHugeRowBetweenSmallOnes(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var in []rows.Row
	for i := range 3000 {
		v := rows.Bytes([]byte{byte(i)})
		if i == 1500 {
			v = rows.Bytes(big)
		}
		in = append(in, rows.Row{Values: []rows.Value{rows.Int(int64(i)), v}})
	}
	schema := &rows.Schema{Fields: []rows.Field{{Name: "i", Kind: rows.KindInt}, {Name: "b", Kind: rows.KindBytes}}}
	_, got, err := decodeAll(encode(t, schema, in, 4096))
	if err != nil {
		t.Fatal(err)
	}
	assertRowsEqual(t, in, got)
}

// Values point into the reader's buffer until the next Next; Clone keeps them.
func TestValuesValidUntilNext(t *testing.T) {
	in := []rows.Row{{Values: []rows.Value{rows.String("first")}}, {Values: []rows.Value{rows.String("other")}}}
	r, err := NewReader(bytes.NewReader(encode(t, oneField(rows.KindString), in, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var row rows.Row
	r.Next(&row)
	kept := row.Values[0].Clone()
	if !r.Next(&row) || kept.AsString() != "first" || row.Values[0].AsString() != "other" {
		t.Fatalf("kept %q, current %q, err %v", kept.AsString(), row.Values[0].AsString(), r.Err())
	}
	if r.Next(&row) || r.Err() != nil {
		t.Fatalf("end: %v", r.Err())
	}
	if err := r.Close(); err != nil || r.Next(&row) {
		t.Fatal("Next after Close returned a row")
	}
}

// Payloads that pass their checksum but cannot be decoded (a writer bug or
// tampering) are reported as corrupt, located, and never returned as rows.
func TestCorruptPayloads(t *testing.T) {
	deep := bytes.Repeat([]byte{tagList, 1}, maxDepth+1)
	cases := []struct {
		name    string
		count   uint32
		payload []byte
		want    string
	}{
		{"unknown tag", 1, []byte{0x0d}, "row 1, field 1 (\"v\"): unknown value tag 0x0d"},
		{"unknown variant", 1, []byte{0x21}, "unknown value tag 0x21"},
		{"string past end", 1, []byte{tagString, 5, 'a'}, "value runs past the end of its block"},
		{"bytes length huge", 1, []byte{tagBytes, 0xff, 0xff, 0xff, 0xff, 0x0f}, "value runs past the end"},
		{"varint overflow", 1, []byte{tagInt, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, "varint overflows 64 bits"},
		{"varint cut", 1, []byte{tagInt, 0x80}, "value runs past the end"},
		{"float cut", 1, []byte{tagFloat, 1, 2, 3}, "value runs past the end"},
		{"list count huge", 1, []byte{tagList, 0x7f, tagNull}, "value runs past the end"},
		{"map count huge", 1, []byte{tagMap, 2, tagNull, tagNull, tagNull}, "value runs past the end"},
		{"decimal scale range", 1, []byte{tagDecimal, 0x80, 0x80, 0x80, 0x80, 0x10, 0}, "decimal scale 2147483648 out of range"},
		{"zone offset range", 1, []byte{tagTimestampTZ, 0, 0x80, 0x80, 0x80, 0x80, 0x10}, "zone offset 2147483648 out of range"},
		{"too deep", 1, append(deep, tagNull), "nested more than 1000 deep"},
		{"bytes after last row", 1, []byte{tagNull, tagNull}, "1 bytes left after its last row"},
		{"missing row", 2, []byte{tagNull, tagNull}[:1], "rows cannot fit 1 bytes"},
		{"second row cut", 2, []byte{tagNull, tagString, 3, 'a'}, "row 2, field 1 (\"v\"): value runs past"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := decodeAll(frame(tc.payload, tc.count))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) ||
				!strings.HasPrefix(err.Error(), "row file: block 1 (byte offset ") {
				t.Fatalf("err = %v, want corrupt %q", err, tc.want)
			}
			if len(got) > int(tc.count)-1 {
				t.Fatalf("%d rows returned", len(got))
			}
		})
	}
	// An end marker that disagrees with the blocks.
	data := frame([]byte{tagNull}, 1)
	binary.LittleEndian.PutUint64(data[len(data)-8:], 2)
	end := len(data) - 8 - blockHeader
	binary.LittleEndian.PutUint32(data[end+8:], crc32.Update(crc32.Checksum(data[end:end+8], castagnoli), castagnoli, data[len(data)-8:]))
	if _, _, err := decodeAll(data); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "block 2 (byte offset") || !strings.Contains(err.Error(), "end marker counts 2 rows, the blocks held 1") {
		t.Fatalf("end marker: %v", err)
	}
}
