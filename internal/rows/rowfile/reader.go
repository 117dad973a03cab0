package rowfile

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/sluicehq/sluice/internal/rows"
)

// Reader decodes a row file; it implements rows.Reader.
//
// Memory: Next reuses the Row's Values slice, and string, bytes and big
// decimal values point into a block buffer the Reader owns; list and map
// items live in a per-row arena. All of it is valid until the next call to
// Next or Close. Keep a value longer with rows.Value.Clone (or Row.Clone).
// Reading holds one block (about 64 KiB) in memory, never the whole file.
//
// Close does not close the io.Reader given to NewReader (like gzip.Reader):
// whoever opened the stream closes it.
type Reader struct {
	r       io.Reader
	schema  *rows.Schema
	nfields int

	buf      []byte // payload of the current block
	pos      int    // decode position in buf
	left     int    // rows left in the current block
	block    int64  // 1-based number of the current block
	blockOff int64  // byte offset of the current block's header
	off      int64  // bytes consumed from r
	rows     int64  // rows returned so far
	arena    []rows.Value
	err      error
	done     bool // end marker verified
	closed   bool
	hdr      [blockHeader]byte
}

// NewReader reads and checks the header of a row file and returns a Reader
// positioned before the first row.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r}
	var fixed [headerFixed]byte
	n, err := io.ReadFull(r, fixed[:])
	rd.off += int64(n)
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("row file: empty input: %w", ErrNotRowFile)
		}
		if string(fixed[:min(n, len(Magic))]) != Magic[:min(n, len(Magic))] {
			return nil, fmt.Errorf("row file: %w (starts with %q)", ErrNotRowFile, fixed[:min(n, 8)])
		}
		return nil, rd.headerErr(err)
	}
	if string(fixed[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("row file: %w (starts with %q)", ErrNotRowFile, fixed[:8])
	}
	if v := fixed[len(Magic)]; v != Version {
		return nil, fmt.Errorf("row file: %w %d (this sluice reads version %d; upgrade sluice)", ErrVersion, v, Version)
	}
	size := binary.LittleEndian.Uint32(fixed[len(Magic)+1:])
	if size > maxSchemaJSON {
		return nil, fmt.Errorf("row file: header: schema length %d exceeds the %d-byte limit: %w", size, maxSchemaJSON, ErrCorrupt)
	}
	// Schema and its CRC are read as they arrive, so a corrupt length cannot
	// make us allocate 64 MiB for a 20-byte input.
	if err := rd.fill(int(size) + 4); err != nil {
		return nil, rd.headerErr(err)
	}
	js := rd.buf[:size]
	crc := crc32.Update(crc32.Checksum(fixed[:], castagnoli), castagnoli, js)
	if binary.LittleEndian.Uint32(rd.buf[size:]) != crc {
		return nil, fmt.Errorf("row file: header: %w", ErrChecksum)
	}
	rd.schema = new(rows.Schema)
	if err := json.Unmarshal(js, rd.schema); err != nil {
		return nil, fmt.Errorf("row file: header: schema: %w: %v", ErrCorrupt, err)
	}
	rd.nfields = len(rd.schema.Fields)
	rd.buf = rd.buf[:0]
	return rd, nil
}

func (r *Reader) headerErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("row file: header (byte offset %d): %w", r.off, ErrTruncated)
	}
	return fmt.Errorf("row file: reading header: %w", err)
}

// Schema returns the schema stored in the file.
func (r *Reader) Schema() *rows.Schema { return r.schema }

// Err returns the error that stopped Next; nil only when the end marker was
// reached and verified.
func (r *Reader) Err() error { return r.err }

// Rows returns the number of rows returned by Next so far.
func (r *Reader) Rows() int64 { return r.rows }

// Close releases the buffers; it does not close the underlying io.Reader.
// Next returns false afterwards.
func (r *Reader) Close() error {
	r.closed = true
	r.buf, r.arena = nil, nil
	return nil
}

// Next decodes the next row into row, reusing row.Values. It returns false at
// the verified end of the file or on an error (see Err).
func (r *Reader) Next(row *rows.Row) bool {
	if r.left == 0 {
		if r.err != nil || r.done {
			return false
		}
		if r.closed {
			r.err = errors.New("row file: Next after Close")
			return false
		}
		if !r.nextBlock() {
			return false
		}
	}
	if cap(row.Values) < r.nfields {
		row.Values = make([]rows.Value, r.nfields)
	}
	vals := row.Values[:r.nfields]
	row.Values = vals
	r.arena = r.arena[:0]
	for i := range vals {
		if err := r.value(&vals[i], 0); err != nil {
			r.fail(fmt.Errorf("row %d, field %d (%s): %w", r.rows+1, i+1, r.name(i), err))
			return false
		}
	}
	r.left--
	if r.left == 0 && r.pos != len(r.buf) {
		r.fail(fmt.Errorf("%d bytes left after its last row: %w", len(r.buf)-r.pos, ErrCorrupt))
		return false
	}
	r.rows++
	return true
}

func (r *Reader) name(i int) string {
	if i < len(r.schema.Fields) {
		return fmt.Sprintf("%q", r.schema.Fields[i].Name)
	}
	return "?"
}

// fail records err located at the current block.
func (r *Reader) fail(err error) {
	r.err = fmt.Errorf("row file: block %d (byte offset %d): %w", r.block, r.blockOff, err)
	r.left = 0
}

// nextBlock reads and verifies the next block; at the end marker it verifies
// the row count and that nothing follows, and returns false.
func (r *Reader) nextBlock() bool {
	r.block++
	r.blockOff = r.off
	n, err := io.ReadFull(r.r, r.hdr[:])
	r.off += int64(n)
	if err != nil {
		r.readFail(err, n == 0)
		return false
	}
	count := binary.LittleEndian.Uint32(r.hdr[0:])
	size := binary.LittleEndian.Uint32(r.hdr[4:])
	if size > maxPayload {
		r.fail(fmt.Errorf("payload length %d exceeds the %d-byte limit: %w", size, maxPayload, ErrCorrupt))
		return false
	}
	if err := r.fill(int(size)); err != nil {
		r.readFail(err, false)
		return false
	}
	crc := crc32.Update(crc32.Checksum(r.hdr[:8], castagnoli), castagnoli, r.buf)
	if crc != binary.LittleEndian.Uint32(r.hdr[8:]) {
		r.fail(ErrChecksum)
		return false
	}
	r.pos = 0
	if count == 0 {
		return r.end()
	}
	if count > maxBlockRows || (r.nfields > 0 && uint64(count)*uint64(r.nfields) > uint64(size)) {
		r.fail(fmt.Errorf("%d rows cannot fit %d bytes: %w", count, size, ErrCorrupt))
		return false
	}
	r.left = int(count)
	return true
}

func (r *Reader) end() bool {
	if len(r.buf) != 8 {
		r.fail(fmt.Errorf("end marker has %d bytes, want 8: %w", len(r.buf), ErrCorrupt))
		return false
	}
	if total := binary.LittleEndian.Uint64(r.buf); total != uint64(r.rows) {
		r.fail(fmt.Errorf("end marker counts %d rows, the blocks held %d: %w", total, r.rows, ErrCorrupt))
		return false
	}
	var one [1]byte
	n, err := io.ReadFull(r.r, one[:])
	if n > 0 {
		r.fail(fmt.Errorf("data after the end marker: %w", ErrCorrupt))
		return false
	}
	if err != nil && !errors.Is(err, io.EOF) {
		r.fail(fmt.Errorf("read: %w", err))
		return false
	}
	r.done = true
	return false
}

func (r *Reader) readFail(err error, atBoundary bool) {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if atBoundary {
			r.fail(fmt.Errorf("%w: no end marker after %d rows", ErrTruncated, r.rows))
		} else {
			r.fail(ErrTruncated)
		}
	default:
		r.fail(fmt.Errorf("read: %w", err))
	}
}

// fill reads exactly n bytes into r.buf. A buffer already big enough is
// reused; otherwise it grows as bytes actually arrive, so an absurd length in
// a corrupt file costs at most twice the bytes really present.
func (r *Reader) fill(n int) error {
	const usual = defaultBlock + defaultBlock/4
	if cap(r.buf) > 4*usual && n <= usual {
		r.buf = nil // one huge row earlier must not pin its buffer for the rest of the file
	}
	if cap(r.buf) >= n {
		r.buf = r.buf[:n]
		m, err := io.ReadFull(r.r, r.buf)
		r.off += int64(m)
		return err
	}
	r.buf = r.buf[:0]
	for len(r.buf) < n {
		chunk := min(n-len(r.buf), max(len(r.buf), usual))
		if cap(r.buf)-len(r.buf) < chunk {
			nb := make([]byte, len(r.buf), len(r.buf)+chunk)
			copy(nb, r.buf)
			r.buf = nb
		}
		m, err := io.ReadFull(r.r, r.buf[len(r.buf):len(r.buf)+chunk])
		r.off += int64(m)
		r.buf = r.buf[:len(r.buf)+m]
		if err != nil {
			return err
		}
	}
	return nil
}

var (
	errShort    = fmt.Errorf("value runs past the end of its block: %w", ErrCorrupt)
	errOverflow = fmt.Errorf("varint overflows 64 bits: %w", ErrCorrupt)
)

// uvarintAt decodes the uvarint at b[p:] and returns it with the position
// after it; the position is -1 when the varint is cut short, -2 when it
// overflows. The one-byte case is handled inline by callers.
func uvarintAt(b []byte, p int) (uint64, int) {
	if p >= len(b) {
		return 0, -1
	}
	x, n := binary.Uvarint(b[p:])
	if n > 0 {
		return x, p + n
	}
	if n == 0 {
		return 0, -1
	}
	return 0, -2
}

func varintErr(p int) error {
	if p == -2 {
		return errOverflow
	}
	return errShort
}

// value decodes one value at r.pos into dst. Positions are kept in locals
// and varints decoded inline when they are one byte (most lengths, bools,
// small ints): this loop is the read path of every task.
func (r *Reader) value(dst *rows.Value, depth int) error {
	b, p := r.buf, r.pos
	if p >= len(b) {
		return errShort
	}
	tag := b[p]
	p++
	// Every tag but null, bools and float starts with a varint.
	var u uint64
	switch tag {
	case tagNull:
		*dst = rows.Null
		r.pos = p
		return nil
	case tagFalse, tagTrue:
		*dst = rows.Bool(tag == tagTrue)
		r.pos = p
		return nil
	case tagFloat:
		if len(b)-p < 8 {
			return errShort
		}
		// Float64frombits/Float64bits are plain moves: NaN payloads survive.
		*dst = rows.Float(math.Float64frombits(binary.LittleEndian.Uint64(b[p:])))
		r.pos = p + 8
		return nil
	}
	if tag > tagMap && tag != tagDecimalBig {
		return fmt.Errorf("unknown value tag 0x%02x: %w", tag, ErrCorrupt)
	}
	if p < len(b) && b[p] < 0x80 {
		u = uint64(b[p])
		p++
	} else if u, p = uvarintAt(b, p); p < 0 {
		return varintErr(p)
	}
	switch tag {
	case tagInt:
		*dst = rows.Int(unzigzag(u))
	case tagDate:
		*dst = rows.Date(unzigzag(u))
	case tagTime:
		*dst = rows.TimeOfDay(unzigzag(u))
	case tagTimestamp:
		*dst = rows.Timestamp(unzigzag(u))
	case tagString, tagBytes:
		if u > uint64(len(b)-p) {
			return errShort
		}
		n := int(u)
		s := b[p : p+n : p+n] // capped: an append by the caller cannot clobber the next value
		p += n
		if tag == tagString {
			*dst = rows.StringBytes(s)
		} else {
			*dst = rows.Bytes(s)
		}
	case tagDecimal, tagDecimalBig:
		scale := unzigzag(u)
		if scale < math.MinInt32 || scale > math.MaxInt32 {
			return fmt.Errorf("decimal scale %d out of range: %w", scale, ErrCorrupt)
		}
		if u, p = uvarintAt(b, p); p < 0 {
			return varintErr(p)
		}
		if tag == tagDecimal {
			*dst = rows.Decimal(unzigzag(u), int32(scale))
			break
		}
		if u > uint64(len(b)-p) {
			return errShort
		}
		n := int(u)
		*dst = rows.DecimalRaw(b[p:p+n:p+n], int32(scale))
		p += n
	case tagTimestampTZ:
		us := unzigzag(u)
		if u, p = uvarintAt(b, p); p < 0 {
			return varintErr(p)
		}
		off := unzigzag(u)
		if off < math.MinInt32 || off > math.MaxInt32 {
			return fmt.Errorf("zone offset %d out of range: %w", off, ErrCorrupt)
		}
		*dst = rows.TimestampTZ(us, int32(off))
	case tagList, tagMap:
		if depth >= maxDepth {
			return fmt.Errorf("lists and maps nested more than %d deep: %w", maxDepth, ErrCorrupt)
		}
		per := uint64(1)
		if tag == tagMap {
			per = 2
		}
		// Each item takes at least its tag byte: this bounds the arena by
		// the block that was actually read.
		if u > uint64(len(b)-p)/per {
			return errShort
		}
		r.pos = p
		items := r.alloc(int(u * per))
		for i := range items {
			if err := r.value(&items[i], depth+1); err != nil {
				return err
			}
		}
		p = r.pos
		if tag == tagMap {
			*dst = rows.MapOf(items)
		} else {
			*dst = rows.List(items)
		}
	}
	r.pos = p
	return nil
}

// alloc returns n zeroed Values from the row arena. When the arena is full a
// bigger one replaces it; slices handed out earlier keep the old one alive
// until the row is done, and later rows reuse the bigger one.
func (r *Reader) alloc(n int) []rows.Value {
	l := len(r.arena)
	if cap(r.arena)-l < n {
		r.arena = make([]rows.Value, 0, max(2*cap(r.arena), n, 64))
		l = 0
	}
	r.arena = r.arena[:l+n]
	s := r.arena[l : l+n : l+n]
	clear(s)
	return s
}
