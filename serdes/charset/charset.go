// Package charset maps Java charset names (Kestra's `charset` property:
// "UTF-8", "ISO-8859-1", "windows-1252", "UTF-16", ...) to decoders and
// encoders, and leaves UTF-8 untouched so the common case costs nothing.
package charset

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Lookup returns the encoding named name; nil means UTF-8 (no conversion).
// Names are matched as Java does: case-insensitively, with IANA aliases.
func Lookup(name string) (encoding.Encoding, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch n {
	case "", "UTF-8", "UTF8":
		return nil, nil
	case "UTF-16":
		// Java's UTF-16: big-endian unless a byte-order mark says
		// otherwise; the encoder writes a big-endian BOM.
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil
	case "UTF-16BE":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	case "UTF-16LE":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case "CP1252":
		n = "WINDOWS-1252"
	case "LATIN1", "ISO8859_1", "ISO8859-1":
		n = "ISO-8859-1"
	}
	e, err := ianaindex.IANA.Encoding(n)
	if err != nil || e == nil {
		return nil, fmt.Errorf("unsupported charset %q (try UTF-8, ISO-8859-1, windows-1252, UTF-16)", name)
	}
	return e, nil
}

// NewReader returns r decoded to UTF-8. For UTF-8 it only drops a leading
// byte-order mark (Excel writes one, and it would end up in the first
// header name).
func NewReader(r io.Reader, name string) (io.Reader, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return &bomSkipper{r: r}, nil
	}
	return transform.NewReader(r, e.NewDecoder()), nil
}

// NewWriter returns a writer that encodes UTF-8 text written to it into
// the charset (characters it cannot represent become its replacement,
// usually "?", as in Java); Close flushes the encoder's tail (it does not close w). For
// UTF-8 it returns w wrapped in a no-op closer.
func NewWriter(w io.Writer, name string) (io.WriteCloser, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nopCloser{w}, nil
	}
	return transform.NewWriter(w, encoding.ReplaceUnsupported(e.NewEncoder())), nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type bomSkipper struct {
	r    io.Reader
	done bool
	head []byte
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if !b.done {
		b.done = true
		var buf [3]byte
		n, err := io.ReadFull(b.r, buf[:])
		if n == 3 && buf == [3]byte{0xef, 0xbb, 0xbf} {
			n = 0
		}
		b.head = append(b.head, buf[:n]...)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, err
		}
	}
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	return b.r.Read(p)
}
