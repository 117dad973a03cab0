// Package rowfile is sluice's on-disk row format: the files tasks write to
// internal storage and read back. It streams both ways with memory bounded by
// the block size, keeps every rows.Value exact (float bits, decimal scale,
// µs timestamps, zone offsets), and detects truncation and corruption instead
// of returning fewer rows.
//
// Layout (all fixed-width integers little-endian; docs/design/rowfile.md has
// the full specification and the measurements behind it):
//
//	file   := header block* end
//	header := magic[8] version[1] schemaLen[u32] schemaJSON[schemaLen] crc32c[u32]
//	block  := rowCount[u32 > 0] payloadLen[u32] crc32c[u32] payload
//	end    := 0[u32] 8[u32] crc32c[u32] totalRows[u64]
//	payload:= row{rowCount};  row := value{len(schema.Fields)}
//	value  := tag[1] body     (self-describing, see the tag constants)
//
// The CRC-32C of a block covers its first 8 header bytes and its payload, so a
// flipped bit anywhere is reported as a checksum mismatch; the end block makes
// a file cut exactly at a block boundary detectably truncated.
package rowfile

import (
	"errors"
	"hash/crc32"
)

// Magic starts every row file. Like PNG's signature it has a high-bit byte
// and CR LF / ^Z / LF so text-mode transfers and 7-bit channels that mangle
// the file are caught on the first read.
const Magic = "\x89SRF\r\n\x1a\n"

// Version is the format version this package writes and reads.
const Version = 1

const (
	headerFixed   = len(Magic) + 1 + 4 // magic, version, schema length
	blockHeader   = 12                 // rowCount, payloadLen, crc
	defaultBlock  = 64 << 10           // target payload bytes per block
	maxBlockRows  = 1 << 16            // a block never holds more rows (bounds zero-field rows)
	maxPayload    = 1 << 30            // largest block payload: a single row may not exceed it
	maxSchemaJSON = 64 << 20           // largest schema header
	maxDepth      = 1000               // list/map nesting limit, same as a reasonable JSON parser's
)

// Value tags: the low nibble is the rows.Kind (whose numbers are frozen for
// this reason), the high nibble a variant. Any other byte is corruption.
const (
	tagNull        = 0x00
	tagFalse       = 0x01
	tagTrue        = 0x11
	tagInt         = 0x02 // zigzag varint
	tagFloat       = 0x03 // 8 bytes, IEEE-754 bits little-endian
	tagDecimal     = 0x04 // zigzag varint scale, zigzag varint unscaled
	tagDecimalBig  = 0x14 // zigzag varint scale, uvarint n, n bytes two's-complement big-endian unscaled
	tagString      = 0x05 // uvarint n, n bytes
	tagBytes       = 0x06 // uvarint n, n bytes
	tagDate        = 0x07 // zigzag varint days since 1970-01-01
	tagTime        = 0x08 // zigzag varint µs since midnight
	tagTimestamp   = 0x09 // zigzag varint µs since 1970-01-01T00:00:00 (no zone)
	tagTimestampTZ = 0x0a // zigzag varint µs since the epoch, zigzag varint offset seconds
	tagList        = 0x0b // uvarint n, n values
	tagMap         = 0x0c // uvarint n entries, 2n values (key, value, ...)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors wrapped by the reader so callers can tell the causes apart with
// errors.Is. The messages around them name the block and its byte offset.
var (
	// ErrNotRowFile: the input does not start with Magic.
	ErrNotRowFile = errors.New("not a sluice row file")
	// ErrTruncated: the input ended before the end marker.
	ErrTruncated = errors.New("truncated")
	// ErrChecksum: a block's or the header's CRC-32C does not match.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrCorrupt: the bytes passed their checksum but do not decode (or a
	// length field is impossible); a writer bug or deliberate tampering.
	ErrCorrupt = errors.New("corrupt")
	// ErrVersion: the file was written by a newer format version.
	ErrVersion = errors.New("unsupported row file version")
)

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
