package avro

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	dbzip2 "github.com/dsnet/compress/bzip2"
	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// The Object Container File layout (Avro specification, "Object Container
// Files"): magic "Obj" 1, a metadata map<bytes> (avro.schema, avro.codec),
// a 16-byte sync marker; then blocks of (count, size, data, sync).

// maxBlock bounds one block's size, compressed or not, so a corrupt length
// or a compression bomb cannot make the reader allocate without limit.
// Writers make blocks of kilobytes to a few megabytes.
const maxBlock = 128 << 20

// maxMeta bounds the header's metadata (schemas are kilobytes).
const maxMeta = 64 << 20

// Codecs lists the block codecs sluice reads and writes: all the
// specification names.
var Codecs = []string{"null", "deflate", "snappy", "zstandard", "bzip2", "xz"}

func normalizeCodec(c string) (string, error) {
	switch strings.ToLower(c) {
	case "", "null":
		return "null", nil
	case "deflate", "snappy", "bzip2", "xz":
		return strings.ToLower(c), nil
	case "zstandard", "zstd":
		return "zstandard", nil
	}
	return "", fmt.Errorf("unknown avro codec %q (%s)", c, strings.Join(Codecs, ", "))
}

type header struct {
	schema string
	codec  string
	sync   [16]byte
}

// readLong reads a zig-zag varint from r.
func readLong(r io.ByteReader) (int64, error) {
	u, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, err
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func readHeader(r *bufio.Reader) (header, error) {
	var h header
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return h, fmt.Errorf("not an Avro container file: %w", unexpectedEOF(err))
	}
	if string(magic[:3]) != "Obj" {
		return h, fmt.Errorf("not an Avro container file (bad magic %q)", magic[:])
	}
	if magic[3] != 1 {
		// Avro before 1.3 wrote version 0 with another layout.
		return h, fmt.Errorf("unsupported Avro version %d: the container format is version 1 (Avro 1.3 and later); rewrite the file with a current Avro", magic[3])
	}
	meta := map[string][]byte{}
	total := int64(0)
	for {
		n, err := readLong(r)
		if err != nil {
			return h, fmt.Errorf("header: %w", unexpectedEOF(err))
		}
		if n == 0 {
			break
		}
		if n < 0 {
			n = -n
			if _, err := readLong(r); err != nil {
				return h, fmt.Errorf("header: %w", unexpectedEOF(err))
			}
		}
		for ; n > 0; n-- {
			k, err := readBytes(r, &total)
			if err != nil {
				return h, err
			}
			v, err := readBytes(r, &total)
			if err != nil {
				return h, err
			}
			meta[string(k)] = v
		}
	}
	if _, err := io.ReadFull(r, h.sync[:]); err != nil {
		return h, fmt.Errorf("header: %w", unexpectedEOF(err))
	}
	h.schema = string(meta["avro.schema"])
	if h.schema == "" {
		return h, errors.New("header: no avro.schema")
	}
	c, err := normalizeCodec(string(meta["avro.codec"]))
	if err != nil {
		return h, fmt.Errorf("header: %w", err)
	}
	h.codec = c
	return h, nil
}

func readBytes(r *bufio.Reader, total *int64) ([]byte, error) {
	n, err := readLong(r)
	if err != nil {
		return nil, fmt.Errorf("header: %w", unexpectedEOF(err))
	}
	*total += n
	if n < 0 || *total > maxMeta {
		return nil, fmt.Errorf("header: corrupt metadata length %d", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("header: %w", unexpectedEOF(err))
	}
	return b, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of file (truncated?)")
	}
	return err
}

func appendLong(dst []byte, n int64) []byte {
	return binary.AppendUvarint(dst, uint64(n<<1)^uint64(n>>63))
}

func appendHeader(dst []byte, schema, codec string) ([]byte, [16]byte, error) {
	var sync [16]byte
	if _, err := rand.Read(sync[:]); err != nil {
		return dst, sync, err
	}
	dst = append(dst, 'O', 'b', 'j', 1)
	dst = appendLong(dst, 2)
	for _, kv := range [][2]string{{"avro.codec", codec}, {"avro.schema", schema}} {
		dst = appendLong(dst, int64(len(kv[0])))
		dst = append(dst, kv[0]...)
		dst = appendLong(dst, int64(len(kv[1])))
		dst = append(dst, kv[1]...)
	}
	dst = append(dst, 0)
	return append(dst, sync[:]...), sync, nil
}

// blockCodec compresses and decompresses blocks; buffers are reused.
type blockCodec struct {
	name string
	zdec *zstd.Decoder
	zenc *zstd.Encoder
	buf  bytes.Buffer
	out  []byte
}

func newBlockCodec(name string) (*blockCodec, error) {
	return &blockCodec{name: name}, nil
}

func (c *blockCodec) close() {
	if c.zdec != nil {
		c.zdec.Close()
	}
	if c.zenc != nil {
		c.zenc.Close()
	}
}

// readAll decompresses r into c.out, refusing more than maxBlock bytes.
func (c *blockCodec) readAll(r io.Reader) ([]byte, error) {
	c.buf.Reset()
	if _, err := io.Copy(&c.buf, io.LimitReader(r, maxBlock+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if c.buf.Len() > maxBlock {
		return nil, fmt.Errorf("%s: block larger than %d bytes", c.name, maxBlock)
	}
	return c.buf.Bytes(), nil
}

// decode returns the block's data; it may alias raw or c's buffers.
func (c *blockCodec) decode(raw []byte) ([]byte, error) {
	switch c.name {
	case "null":
		return raw, nil
	case "deflate":
		return c.readAll(flate.NewReader(bytes.NewReader(raw)))
	case "snappy":
		if len(raw) < 4 {
			return nil, errors.New("snappy block too short")
		}
		body := raw[:len(raw)-4]
		if n, err := snappy.DecodedLen(body); err != nil || n > maxBlock {
			return nil, errors.New("snappy: bad block")
		}
		out, err := snappy.Decode(c.out[:0:cap(c.out)], body)
		if err != nil {
			return nil, fmt.Errorf("snappy: %w", err)
		}
		c.out = out
		if crc32.ChecksumIEEE(out) != binary.BigEndian.Uint32(raw[len(raw)-4:]) {
			return nil, errors.New("snappy: checksum mismatch")
		}
		return out, nil
	case "zstandard":
		if c.zdec == nil {
			z, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxBlock), zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			c.zdec = z
		}
		out, err := c.zdec.DecodeAll(raw, c.out[:0])
		if err != nil {
			return nil, fmt.Errorf("zstandard: %w", err)
		}
		c.out = out
		return out, nil
	case "bzip2":
		return c.readAll(bzip2.NewReader(bytes.NewReader(raw)))
	case "xz":
		r, err := xz.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		return c.readAll(r)
	}
	return nil, fmt.Errorf("unsupported Avro codec %q", c.name)
}

// encode appends the compressed form of data to dst.
func (c *blockCodec) encode(dst, data []byte) ([]byte, error) {
	switch c.name {
	case "null":
		return append(dst, data...), nil
	case "deflate":
		return c.compress(dst, data, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.DefaultCompression) })
	case "snappy":
		c.out = snappy.Encode(c.out[:cap(c.out)], data)
		dst = append(dst, c.out...)
		return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(data)), nil
	case "zstandard":
		if c.zenc == nil {
			z, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
			if err != nil {
				return dst, err
			}
			c.zenc = z
		}
		return c.zenc.EncodeAll(data, dst), nil
	case "bzip2":
		return c.compress(dst, data, func(w io.Writer) (io.WriteCloser, error) {
			return dbzip2.NewWriter(w, &dbzip2.WriterConfig{Level: dbzip2.DefaultCompression})
		})
	case "xz":
		return c.compress(dst, data, func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) })
	}
	return dst, fmt.Errorf("unsupported Avro codec %q", c.name)
}

// compress appends data compressed by the stream writer newWriter makes.
func (c *blockCodec) compress(dst, data []byte, newWriter func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	c.buf.Reset()
	w, err := newWriter(&c.buf)
	if err != nil {
		return dst, err
	}
	if _, err := w.Write(data); err != nil {
		return dst, err
	}
	if err := w.Close(); err != nil {
		return dst, err
	}
	return append(dst, c.buf.Bytes()...), nil
}
