package avro

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/internal/avro"
	"github.com/sluicehq/sluice/internal/rows"
)

// ReadOptions configures a reader.
type ReadOptions struct {
	// Name is the file name or URI used in error messages.
	Name string
}

// Decoder reads an Avro Object Container File as rows: the fields of the
// top-level record become columns (a non-record schema gives one column
// named "value"). It implements rows.Reader.
type Decoder struct {
	r       *bufio.Reader
	name    string
	h       header
	schema  *avro.Schema
	rs      *rows.Schema
	codec   *blockCodec
	raw     []byte // block as read
	dec     avro.Decoder
	left    int64 // records left in the block
	block   int64
	records int64
	err     error
}

// NewReader reads the container header from r. Names in the writer's
// schema are read leniently, as Java and fastavro read them.
func NewReader(r io.Reader, opts ReadOptions) (*Decoder, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h, err := readHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	s, err := avro.ParseLenient(h.schema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	c, err := newBlockCodec(h.codec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	return &Decoder{r: br, name: opts.Name, h: h, schema: s, rs: s.RowSchema(), codec: c}, nil
}

// Schema returns the columns.
func (d *Decoder) Schema() *rows.Schema { return d.rs }

// SchemaJSON returns the writer's Avro schema from the file header.
func (d *Decoder) SchemaJSON() string { return d.h.schema }

// Codec returns the file's block codec.
func (d *Decoder) Codec() string { return d.h.codec }

// Err returns the error that stopped Next.
func (d *Decoder) Err() error { return d.err }

// Close releases the codec.
func (d *Decoder) Close() error {
	d.codec.close()
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
	if err := d.dec.DecodeRow(d.schema, row); err != nil {
		d.err = fmt.Errorf("%s: record %d (block %d): %w", d.name, d.records+1, d.block, err)
		return false
	}
	d.left--
	d.records++
	if d.left == 0 && d.dec.Remaining() != 0 {
		d.err = fmt.Errorf("%s: block %d: %d bytes left after its last record", d.name, d.block, d.dec.Remaining())
		return false
	}
	return true
}

func (d *Decoder) readBlock() (bool, error) {
	if _, err := d.r.Peek(1); errors.Is(err, io.EOF) {
		return false, nil
	}
	count, err := readLong(d.r)
	if err != nil {
		return false, unexpectedEOF(err)
	}
	size, err := readLong(d.r)
	if err != nil {
		return false, unexpectedEOF(err)
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
		if _, err := io.ReadFull(d.r, d.raw[n:]); err != nil {
			return false, unexpectedEOF(err)
		}
	}
	var sync [16]byte
	if _, err := io.ReadFull(d.r, sync[:]); err != nil {
		return false, unexpectedEOF(err)
	}
	if sync != d.h.sync {
		return false, errors.New("sync marker mismatch: the file is corrupt")
	}
	data, err := d.codec.decode(d.raw)
	if err != nil {
		return false, err
	}
	d.dec.Reset(data)
	d.left = count
	if count == 0 && len(data) > 0 {
		return false, fmt.Errorf("block of 0 records has %d bytes", len(data))
	}
	return true, nil
}

var _ rows.Reader = (*Decoder)(nil)
