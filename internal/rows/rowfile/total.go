package rowfile

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// endLen is the size of the end block: 0[u32] 8[u32] crc32c[u32] totalRows[u64].
const endLen = 20

// TotalRows reads the row count from the end block of a complete row file
// of size bytes, without reading the rows: a loader knows how much it has
// to do before it starts (progress with percent and ETA). A file whose end
// block is missing or damaged is an error wrapping ErrCorrupt.
func TotalRows(r io.ReaderAt, size int64) (int64, error) {
	if size < int64(len(Magic))+endLen {
		return 0, fmt.Errorf("%d bytes is too short for a row file: %w", size, ErrCorrupt)
	}
	var b [endLen]byte
	if _, err := r.ReadAt(b[:], size-endLen); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(b[0:]) != 0 || binary.LittleEndian.Uint32(b[4:]) != 8 {
		return 0, fmt.Errorf("no end block: %w", ErrCorrupt)
	}
	crc := crc32.Update(crc32.Checksum(b[:8], castagnoli), castagnoli, b[12:])
	if crc != binary.LittleEndian.Uint32(b[8:]) {
		return 0, ErrChecksum
	}
	n := binary.LittleEndian.Uint64(b[12:])
	if n > 1<<62 {
		return 0, fmt.Errorf("end block counts %d rows: %w", n, ErrCorrupt)
	}
	return int64(n), nil
}
