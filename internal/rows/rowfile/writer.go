package rowfile

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/sluicehq/sluice/internal/rows"
)

// Writer encodes rows into a row file. It buffers one block (about 64 KiB)
// and writes each full block to w with a single Write call, so wrapping w in
// a bufio.Writer gains nothing. It is not safe for concurrent use.
type Writer struct {
	w         io.Writer
	nfields   int
	names     []string // for error messages
	buf       []byte   // blockHeader bytes reserved, then the payload being built
	blockRows int
	blockSize int // target payload size; tests lower it to get many blocks
	rows      int64
	bytes     int64
	blocks    int64
	err       error // sticky: a failed write to w poisons the writer
	flushed   bool
}

// NewWriter writes the file header (magic, version, schema) to w and returns
// a Writer for rows of schema. The schema is stored as JSON; every row must
// have exactly len(schema.Fields) values. Field kinds are hints: values are
// self-describing and are not checked against them.
func NewWriter(w io.Writer, schema *rows.Schema) (*Writer, error) {
	if schema == nil {
		return nil, errors.New("row file: nil schema")
	}
	js, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("row file: encoding schema: %w", err)
	}
	if len(js) > maxSchemaJSON {
		return nil, fmt.Errorf("row file: schema is %d bytes as JSON, limit %d", len(js), maxSchemaJSON)
	}
	hdr := make([]byte, 0, headerFixed+len(js)+4)
	hdr = append(hdr, Magic...)
	hdr = append(hdr, Version)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(js)))
	hdr = append(hdr, js...)
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, castagnoli))
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("row file: writing header: %w", err)
	}
	wr := &Writer{
		w:         w,
		nfields:   len(schema.Fields),
		names:     schema.Names(),
		blockSize: defaultBlock,
		bytes:     int64(len(hdr)),
	}
	wr.buf = make([]byte, blockHeader, blockHeader+defaultBlock+defaultBlock/4)
	return wr, nil
}

// Rows returns the number of rows accepted so far.
func (w *Writer) Rows() int64 { return w.rows }

// Bytes returns the number of bytes written to the underlying writer so far
// (the file size once Flush has returned nil). Rows still buffered in the
// current block are not counted.
func (w *Writer) Bytes() int64 { return w.bytes }

// Write encodes one row. A row with the wrong number of values, or nested
// deeper than 1000 levels, is rejected with an error naming the row (1-based)
// and leaves the file as if the row had not been written; an error from the
// underlying writer is permanent. Write does not keep references to row.
func (w *Writer) Write(row *rows.Row) error {
	if w.err != nil {
		return w.err
	}
	if w.flushed {
		return fmt.Errorf("row file: write after Flush: %w", rows.ErrClosed)
	}
	if row == nil {
		return fmt.Errorf("row file: %w", &rows.RowError{Row: w.rows + 1, Err: errors.New("nil row")})
	}
	if len(row.Values) != w.nfields {
		return fmt.Errorf("row file: %w", &rows.RowError{Row: w.rows + 1,
			Err: fmt.Errorf("has %d values, the schema has %d fields", len(row.Values), w.nfields)})
	}
	start := len(w.buf)
	b := w.buf
	for i := range row.Values {
		v := &row.Values[i]
		// Scalars inline; nested values and oddities go through appendValue.
		switch v.Kind() {
		case rows.KindNull:
			b = append(b, tagNull)
		case rows.KindInt, rows.KindDate, rows.KindTime, rows.KindTimestamp:
			b = appendTagUvarint(b, byte(v.Kind()), zigzag(v.Raw()))
		case rows.KindString, rows.KindBytes:
			p := v.AsBytes()
			b = appendTagUvarint(b, byte(v.Kind()), uint64(len(p)))
			b = append(b, p...)
		case rows.KindBool:
			if v.AsBool() {
				b = append(b, tagTrue)
			} else {
				b = append(b, tagFalse)
			}
		case rows.KindFloat:
			b = binary.LittleEndian.AppendUint64(append(b, tagFloat), uint64(v.Raw()))
		default:
			var err error
			if b, err = appendValue(b, v, 0); err != nil {
				w.buf = b[:start]
				return fmt.Errorf("row file: %w", &rows.RowError{Row: w.rows + 1, Column: w.names[i], Err: err})
			}
		}
	}
	if len(b)-blockHeader > maxPayload {
		w.buf = b[:start]
		return fmt.Errorf("row file: %w", &rows.RowError{Row: w.rows + 1,
			Err: fmt.Errorf("encoded row is %d bytes, more than the %d-byte block limit", len(b)-start, maxPayload)})
	}
	w.buf = b
	w.rows++
	w.blockRows++
	if len(b)-blockHeader >= w.blockSize || w.blockRows >= maxBlockRows {
		return w.emit()
	}
	return nil
}

// Flush writes the rows still buffered and the end marker. It does not close
// the underlying writer. After Flush, Write fails; a second Flush is a no-op
// that returns the first one's error.
func (w *Writer) Flush() error {
	if w.err != nil || w.flushed {
		return w.err
	}
	if w.blockRows > 0 {
		if err := w.emit(); err != nil {
			return err
		}
	}
	w.flushed = true
	// The end marker is a block with zero rows whose 8-byte payload is the
	// total row count: a reader cross-checks it against what it decoded.
	w.buf = w.buf[:blockHeader]
	w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(w.rows))
	return w.emit()
}

// emit writes the current block (header filled in here) and starts a new one.
func (w *Writer) emit() error {
	b := w.buf
	binary.LittleEndian.PutUint32(b[0:], uint32(w.blockRows))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-blockHeader))
	crc := crc32.Update(crc32.Checksum(b[:8], castagnoli), castagnoli, b[blockHeader:])
	binary.LittleEndian.PutUint32(b[8:], crc)
	w.blocks++
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("row file: writing block %d (byte offset %d): %w", w.blocks, w.bytes, err)
		return w.err
	}
	w.bytes += int64(len(b))
	w.blockRows = 0
	// One huge row must not pin a huge buffer for the rest of the file.
	if cap(b) > 16*(w.blockSize+blockHeader) {
		b = make([]byte, blockHeader, blockHeader+w.blockSize+w.blockSize/4)
	}
	w.buf = b[:blockHeader]
	return nil
}

// appendTagUvarint appends a tag byte and a uvarint; the one- and two-byte
// cases are spelled out because they are most lengths and many ints.
func appendTagUvarint(b []byte, tag byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, tag, byte(x))
	}
	if x < 0x4000 {
		return append(b, tag, byte(x)|0x80, byte(x>>7))
	}
	return binary.AppendUvarint(append(b, tag), x)
}

// appendValue appends any value; depth counts enclosing lists and maps.
func appendValue(b []byte, v *rows.Value, depth int) ([]byte, error) {
	switch k := v.Kind(); k {
	case rows.KindNull:
		return append(b, tagNull), nil
	case rows.KindBool:
		if v.AsBool() {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case rows.KindInt, rows.KindDate, rows.KindTime, rows.KindTimestamp:
		return appendTagUvarint(b, byte(k), zigzag(v.Raw())), nil
	case rows.KindFloat:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), uint64(v.Raw())), nil
	case rows.KindDecimal:
		if v.IsBigDecimal() {
			p := v.DecimalBytes()
			b = appendTagUvarint(b, tagDecimalBig, zigzag(int64(v.Scale())))
			b = binary.AppendUvarint(b, uint64(len(p)))
			return append(b, p...), nil
		}
		b = appendTagUvarint(b, tagDecimal, zigzag(int64(v.Scale())))
		return binary.AppendUvarint(b, zigzag(v.Raw())), nil
	case rows.KindString, rows.KindBytes:
		p := v.AsBytes()
		return append(appendTagUvarint(b, byte(k), uint64(len(p))), p...), nil
	case rows.KindTimestampTZ:
		b = appendTagUvarint(b, tagTimestampTZ, zigzag(v.Raw()))
		return binary.AppendUvarint(b, zigzag(int64(v.Aux()))), nil
	case rows.KindList, rows.KindMap:
		if depth >= maxDepth {
			return b, fmt.Errorf("lists and maps nested more than %d deep", maxDepth)
		}
		items := v.Items() // maps: key, value, key, value...
		n := len(items)
		if k == rows.KindMap {
			n /= 2
		}
		b = appendTagUvarint(b, byte(k), uint64(n))
		for i := range items {
			var err error
			if b, err = appendValue(b, &items[i], depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	}
	return b, fmt.Errorf("cannot encode a value of kind %s", v.Kind())
}
