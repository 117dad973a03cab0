package rowfile

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/big"
	"runtime"
	"testing"

	"github.com/sluicehq/sluice/internal/rows"
)

// gen turns fuzz input into values: every choice consumes input bytes, and
// an exhausted input yields zeros, so any input makes a valid row set.
type gen struct{ data []byte }

func (g *gen) byte() byte {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return b
}

func (g *gen) u64() uint64 {
	var b [8]byte
	n := copy(b[:], g.data)
	g.data = g.data[n:]
	return binary.LittleEndian.Uint64(b[:])
}

// int64 favours the edges: small values, extremes, and raw 64-bit patterns.
func (g *gen) int64() int64 {
	switch g.byte() % 6 {
	case 0:
		return int64(int8(g.byte()))
	case 1:
		return math.MinInt64 + int64(g.byte())
	case 2:
		return math.MaxInt64 - int64(g.byte())
	case 3:
		return int64(int16(binary.LittleEndian.Uint16([]byte{g.byte(), g.byte()})))
	default:
		return int64(g.u64())
	}
}

func (g *gen) bytes() []byte {
	n := int(g.byte()) % 40
	b := make([]byte, n)
	copy(b, g.data)
	g.data = g.data[min(n, len(g.data)):]
	return b
}

func (g *gen) value(depth int) rows.Value {
	k := g.byte() % 16
	if depth > 3 && (k == 11 || k == 12) {
		k = 0
	}
	switch k {
	case 0:
		return rows.Null
	case 1:
		return rows.Bool(g.byte()&1 == 1)
	case 2:
		return rows.Int(g.int64())
	case 3:
		return rows.Float(math.Float64frombits(g.u64()))
	case 4:
		return rows.Decimal(g.int64(), int32(g.int64()))
	case 5:
		return rows.StringBytes(g.bytes())
	case 6:
		return rows.Bytes(g.bytes())
	case 7:
		return rows.Date(g.int64())
	case 8:
		return rows.TimeOfDay(g.int64())
	case 9:
		return rows.Timestamp(g.int64())
	case 10:
		return rows.TimestampTZ(g.int64(), int32(g.int64()))
	case 11, 12:
		n := int(g.byte() % 5)
		items := make([]rows.Value, 0, 2*n)
		for range n {
			if k == 12 {
				items = append(items, rows.StringBytes(g.bytes()))
			}
			items = append(items, g.value(depth+1))
		}
		if k == 12 {
			return rows.MapOf(items)
		}
		return rows.List(items)
	case 13:
		// Big decimal: up to 40 bytes of two's complement.
		b := g.bytes()
		x := new(big.Int).SetBytes(b)
		if g.byte()&1 == 1 {
			x.Neg(x)
		}
		return rows.DecimalBig(x, int32(g.int64()))
	case 14:
		return rows.String("")
	default:
		return rows.Float(math.Float64frombits(0x7ff0_0000_0000_0000 | g.u64()&0x800f_ffff_ffff_ffff)) // Inf/NaN family
	}
}

// FuzzRoundTrip builds rows from the input, writes them with a small block
// size taken from the input, reads them back and requires Equal values.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 5, 10, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte("\x02\x09\x20\x0b\x03\x0c\x02kv\x05\x0d\x11\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x04\x02\x00\x80"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gen{data: data}
		nfields := int(g.byte() % 8)
		nrows := int(g.byte() % 32)
		blockSize := 1 + int(g.byte())*4
		schema := &rows.Schema{}
		for i := range nfields {
			schema.Fields = append(schema.Fields, rows.Field{Name: string(rune('a' + i)), Kind: rows.KindAny})
		}
		in := make([]rows.Row, nrows)
		for i := range in {
			in[i].Values = make([]rows.Value, nfields)
			for j := range in[i].Values {
				in[i].Values[j] = g.value(0)
			}
		}
		_, got, err := decodeAll(encode(t, schema, in, blockSize))
		if err != nil {
			t.Fatal(err)
		}
		assertRowsEqual(t, in, got)
	})
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, and
// what it allocates must stay proportional to the input, whatever lengths the
// bytes claim. Inputs whose first byte is even are wrapped in a valid header,
// block frame and CRC, so the fuzzer reaches the value decoder instead of
// stopping at the checksum.
func FuzzReader(f *testing.F) {
	valid := smallFile(f)
	f.Add(append([]byte{1}, valid...))
	f.Add(append([]byte{1}, valid[:len(valid)-5]...))
	f.Add([]byte{0, 2, 0x02, 0x04, 0x0b, 0x02, 0x05, 0x01, 'x', 0x00})
	f.Add([]byte{0, 1, 0x0c, 0x01, 0x05, 0x00, 0x14, 0x04, 0x09, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{0, 1, 0x06, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		input := data[1:]
		if data[0]&1 == 0 && len(input) > 0 {
			input = frame(input[1:], uint32(input[0]))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(input))
		if err != nil {
			return
		}
		var row rows.Row
		var got []rows.Row
		for r.Next(&row) {
			if len(got) < 1000 {
				got = append(got, row.Clone())
			}
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20+uint64(200*len(input)) {
			t.Fatalf("reading %d bytes allocated %d bytes", len(input), alloc)
		}
		if r.Err() != nil || len(got) != int(r.Rows()) {
			return
		}
		// Whatever the reader accepted must survive a rewrite unchanged.
		_, again, err := decodeAll(encode(t, r.Schema(), got, 0))
		if err != nil {
			t.Fatal(err)
		}
		assertRowsEqual(t, got, again)
	})
}

// frame wraps payload as one block of count rows (schema of one KindAny
// field) with correct checksums and an end marker claiming count rows.
func frame(payload []byte, count uint32) []byte {
	js := []byte(`{"fields":[{"name":"v","kind":255}]}`)
	b := append([]byte(Magic), Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
	b = append(b, js...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	block := func(count uint32, p []byte) {
		h := binary.LittleEndian.AppendUint32(nil, count)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(p)))
		crc := crc32.Update(crc32.Checksum(h, castagnoli), castagnoli, p)
		b = append(binary.LittleEndian.AppendUint32(append(b, h...), crc), p...)
	}
	block(count, payload)
	block(0, binary.LittleEndian.AppendUint64(nil, uint64(count)))
	return b
}
