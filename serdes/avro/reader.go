package avro

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/golang/snappy"
	havro "github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/klauspost/compress/zstd"

	"github.com/sluicehq/sluice/internal/rows"
)

// maxBlock bounds one block's size, compressed or not, so a corrupt length
// or a compression bomb cannot make the reader allocate without limit.
// Writers make blocks of kilobytes to a few megabytes.
const maxBlock = 128 << 20

// maxZeroSizeItems bounds arrays whose items take no bytes (null, empty
// records): their count is not limited by the block size.
const maxZeroSizeItems = 1 << 16

// ReadOptions configures a reader.
type ReadOptions struct {
	// Name is the file name or URI used in error messages.
	Name string
}

// Decoder reads an Avro Object Container File as rows: the fields of the
// top-level record become columns (a non-record schema gives one column
// named "value"). It implements rows.Reader.
type Decoder struct {
	r       *havro.Reader
	name    string
	root    *node
	schema  *rows.Schema
	js      string
	sync    [16]byte
	codec   string
	zstd    *zstd.Decoder
	raw     []byte // block as read
	data    []byte // block decompressed
	in      bin
	left    int64 // records left in the block
	block   int64
	records int64
	ar      arena
	err     error
}

// NewReader reads the container header from r.
func NewReader(r io.Reader, opts ReadOptions) (*Decoder, error) {
	hr := havro.NewReader(r, 64<<10)
	var h ocf.Header
	hr.ReadVal(ocf.HeaderSchema, &h)
	if hr.Error != nil {
		return nil, fmt.Errorf("%s: not an Avro container file: %w", opts.Name, hr.Error)
	}
	if h.Magic != [4]byte{'O', 'b', 'j', 1} {
		return nil, fmt.Errorf("%s: not an Avro container file (bad magic %q)", opts.Name, h.Magic[:])
	}
	d := &Decoder{r: hr, name: opts.Name, sync: h.Sync, codec: string(h.Meta["avro.codec"]), js: string(h.Meta["avro.schema"])}
	switch d.codec {
	case "", "null", "deflate", "snappy":
	case "zstandard":
		z, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxBlock), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		d.zstd = z
	default:
		return nil, fmt.Errorf("%s: unsupported Avro codec %q", opts.Name, d.codec)
	}
	_, root, err := parseSchema(d.js)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	d.root = root
	d.schema = &rows.Schema{}
	if root.t == tRecord {
		for _, f := range root.fields {
			d.schema.Fields = append(d.schema.Fields, rowField(f.name, f.node))
		}
	} else {
		d.schema.Fields = []rows.Field{rowField("value", root)}
	}
	return d, nil
}

// Schema returns the columns.
func (d *Decoder) Schema() *rows.Schema { return d.schema }

// SchemaJSON returns the writer's Avro schema from the file header.
func (d *Decoder) SchemaJSON() string { return d.js }

// Err returns the error that stopped Next.
func (d *Decoder) Err() error { return d.err }

// Close releases the codec.
func (d *Decoder) Close() error {
	if d.zstd != nil {
		d.zstd.Close()
	}
	return nil
}

// Next decodes the next record into row.
func (d *Decoder) Next(row *rows.Row) bool {
	if d.err != nil {
		return false
	}
	for d.left == 0 {
		ok, err := d.readBlock()
		if err != nil {
			d.err = fmt.Errorf("%s: block %d: %w", d.name, d.block, err)
			return false
		}
		if !ok {
			return false
		}
	}
	d.ar.reset()
	row.Reset(len(d.schema.Fields))
	if d.root.t == tRecord {
		for i, f := range d.root.fields {
			row.Values[i] = d.decode(f.node)
		}
	} else {
		row.Values[0] = d.decode(d.root)
	}
	if d.in.err != nil {
		d.err = fmt.Errorf("%s: record %d (block %d): %w", d.name, d.records+1, d.block, d.in.err)
		return false
	}
	d.left--
	d.records++
	if d.left == 0 && d.in.i != len(d.in.b) {
		d.err = fmt.Errorf("%s: block %d: %d bytes left after its last record", d.name, d.block, len(d.in.b)-d.in.i)
		return false
	}
	return true
}

func (d *Decoder) readBlock() (bool, error) {
	_ = d.r.Peek()
	if errors.Is(d.r.Error, io.EOF) {
		return false, nil
	}
	count := d.r.ReadLong()
	size := d.r.ReadLong()
	if d.r.Error != nil {
		return false, unexpectedEOF(d.r.Error)
	}
	if count < 0 || size < 0 || size > maxBlock {
		return false, fmt.Errorf("corrupt block header (count %d, size %d)", count, size)
	}
	d.block++
	// Grow with the bytes actually present, so that a corrupt size cannot
	// make the reader allocate a gigabyte for a short file.
	d.raw = d.raw[:0]
	for int64(len(d.raw)) < size {
		k := min(size-int64(len(d.raw)), 1<<20)
		n := len(d.raw)
		d.raw = append(d.raw, make([]byte, k)...)
		d.r.Read(d.raw[n:])
		if d.r.Error != nil {
			return false, unexpectedEOF(d.r.Error)
		}
	}
	var sync [16]byte
	d.r.Read(sync[:])
	if d.r.Error != nil {
		return false, unexpectedEOF(d.r.Error)
	}
	if sync != d.sync {
		return false, fmt.Errorf("sync marker mismatch: the file is corrupt")
	}
	var err error
	switch d.codec {
	case "", "null":
		d.data = d.raw
	case "deflate":
		var buf bytes.Buffer
		buf.Grow(len(d.raw) * 3)
		fr := flate.NewReader(bytes.NewReader(d.raw))
		if _, err = io.Copy(&buf, io.LimitReader(fr, maxBlock+1)); err != nil {
			return false, fmt.Errorf("deflate: %w", err)
		}
		if buf.Len() > maxBlock {
			return false, fmt.Errorf("deflate: block larger than %d bytes", maxBlock)
		}
		d.data = buf.Bytes()
	case "snappy":
		if len(d.raw) < 4 {
			return false, fmt.Errorf("snappy block too short")
		}
		body := d.raw[:len(d.raw)-4]
		if n, err := snappy.DecodedLen(body); err != nil || n > maxBlock {
			return false, fmt.Errorf("snappy: bad block")
		}
		if d.data, err = snappy.Decode(d.data[:0:cap(d.data)], body); err != nil {
			return false, fmt.Errorf("snappy: %w", err)
		}
		if crc32.ChecksumIEEE(d.data) != binary.BigEndian.Uint32(d.raw[len(d.raw)-4:]) {
			return false, fmt.Errorf("snappy: checksum mismatch")
		}
	case "zstandard":
		if d.data, err = d.zstd.DecodeAll(d.raw, d.data[:0]); err != nil {
			return false, fmt.Errorf("zstandard: %w", err)
		}
	}
	d.in = bin{b: d.data}
	d.left = count
	if count == 0 && len(d.data) > 0 {
		return false, fmt.Errorf("block of 0 records has %d bytes", len(d.data))
	}
	return true, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected end of file (truncated?)")
	}
	return err
}

// decode reads one value of type n. Errors are recorded in d.in.err (the
// value returned is then meaningless).
func (d *Decoder) decode(n *node) rows.Value {
	in := &d.in
	if in.err != nil {
		return rows.Null
	}
	switch n.t {
	case tNull:
		return rows.Null
	case tUnion:
		i := in.long()
		if i < 0 || i >= int64(len(n.branches)) {
			in.fail("union branch %d out of range", i)
			return rows.Null
		}
		return d.decode(n.branches[i])
	case tBool:
		b := in.bytes(1)
		if len(b) == 1 && b[0] > 1 {
			in.fail("invalid boolean byte %d", b[0])
		}
		return rows.Bool(len(b) == 1 && b[0] == 1)
	case tInt, tLong:
		x := in.long()
		if n.t == tInt && (x < math.MinInt32 || x > math.MaxInt32) {
			in.fail("int out of range")
		}
		switch n.logical {
		case lDate:
			return rows.Date(x)
		case lTimeMillis:
			return rows.TimeOfDay(x * 1000)
		case lTimeMicros:
			return rows.TimeOfDay(x)
		case lTsMillis:
			return rows.TimestampTZ(x*1000, 0)
		case lTsMicros:
			return rows.TimestampTZ(x, 0)
		case lLocalTsMillis:
			return rows.Timestamp(x * 1000)
		case lLocalTsMicros:
			return rows.Timestamp(x)
		}
		return rows.Int(x)
	case tFloat:
		b := in.bytes(4)
		if len(b) < 4 {
			return rows.Null
		}
		return rows.Float(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	case tDouble:
		b := in.bytes(8)
		if len(b) < 8 {
			return rows.Null
		}
		return rows.Float(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case tBytes, tString, tFixed:
		var b []byte
		if n.t == tFixed {
			b = in.bytes(n.size)
		} else {
			b = in.bytes(int(in.long()))
		}
		switch {
		case n.logical == lDecimal:
			if len(b) == 0 {
				return rows.Decimal(0, int32(n.scale))
			}
			return rows.DecimalRaw(b, int32(n.scale))
		case n.logical == lUUID && n.t == tFixed:
			return rows.String(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
		case n.t == tString:
			return rows.StringBytes(b)
		}
		return rows.Bytes(b)
	case tEnum:
		i := in.long()
		if i < 0 || i >= int64(len(n.symbols)) {
			in.fail("enum index %d out of range", i)
			return rows.Null
		}
		return rows.String(n.symbols[i])
	case tRecord:
		mark := d.ar.mark()
		for _, f := range n.fields {
			d.ar.push(rows.String(f.name), d.decode(f.node))
		}
		return rows.MapOf(d.ar.take(mark))
	case tArray, tMap:
		mark := d.ar.mark()
		for {
			cnt := in.long()
			if cnt == 0 || in.err != nil {
				break
			}
			if cnt < 0 { // block with byte size
				cnt = -cnt
				in.long()
			}
			if cnt > int64(len(in.b)-in.i) && (n.t == tMap || !zeroSize(n.items)) {
				in.fail("item count %d exceeds the block", cnt)
				break
			}
			if cnt > maxZeroSizeItems && n.t == tArray && zeroSize(n.items) {
				in.fail("item count %d too large", cnt)
				break
			}
			for k := int64(0); k < cnt && in.err == nil; k++ {
				if n.t == tArray {
					d.ar.push(d.decode(n.items))
				} else {
					key := in.bytes(int(in.long()))
					d.ar.push(rows.StringBytes(key), d.decode(n.values))
				}
			}
		}
		items := d.ar.take(mark)
		if n.t == tArray {
			return rows.List(items)
		}
		return rows.MapOf(items)
	}
	in.fail("unsupported type %s", n)
	return rows.Null
}

// zeroSize reports types whose values take no bytes (arrays of null).
func zeroSize(n *node) bool { return n.t == tNull || (n.t == tRecord && len(n.fields) == 0) }

// bin reads Avro binary from a block.
type bin struct {
	b   []byte
	i   int
	err error
}

func (b *bin) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

func (b *bin) long() int64 {
	if b.err != nil {
		return 0
	}
	u, n := binary.Uvarint(b.b[b.i:])
	if n <= 0 {
		b.fail("truncated or invalid varint at byte %d", b.i)
		return 0
	}
	b.i += n
	return int64(u>>1) ^ -int64(u&1)
}

func (b *bin) bytes(n int) []byte {
	if b.err != nil {
		return nil
	}
	if n < 0 || n > len(b.b)-b.i {
		b.fail("length %d exceeds the block at byte %d", n, b.i)
		return nil
	}
	out := b.b[b.i : b.i+n : b.i+n]
	b.i += n
	return out
}

// arena hands out value slices that stay valid until reset (the next row).
type arena struct {
	chunks [][]rows.Value
	ci, co int
	stack  []rows.Value
}

func (a *arena) reset() {
	a.ci, a.co = 0, 0
	a.stack = a.stack[:0]
}

func (a *arena) mark() int { return len(a.stack) }

func (a *arena) push(v ...rows.Value) { a.stack = append(a.stack, v...) }

func (a *arena) take(mark int) []rows.Value {
	items := a.stack[mark:]
	n := len(items)
	defer func() { a.stack = a.stack[:mark] }()
	for {
		if a.ci == len(a.chunks) {
			a.chunks = append(a.chunks, make([]rows.Value, max(1024, n)))
		}
		c := a.chunks[a.ci]
		if len(c)-a.co >= n {
			out := c[a.co : a.co+n : a.co+n]
			copy(out, items)
			a.co += n
			return out
		}
		if a.co == 0 {
			a.chunks[a.ci] = make([]rows.Value, n)
			continue
		}
		a.ci++
		a.co = 0
	}
}

var _ rows.Reader = (*Decoder)(nil)
