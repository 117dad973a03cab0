package odbc

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// SQLWCHAR text. unixODBC's SQLWCHAR is a 16-bit unit (UTF-16, native byte
// order); iODBC's is wchar_t (UTF-32). Every string crossing the API goes
// through these helpers with the width of the loaded driver manager.

// wlen returns the number of SQLWCHAR units s needs (without terminator).
func wlen(s string, width int) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if width == 2 && r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// putW writes s as SQLWCHAR units into dst, which must hold wlen(s)*width
// bytes, and returns the number of bytes written. Invalid UTF-8 becomes
// U+FFFD (pass binary data as []byte, not string).
func putW(dst []byte, s string, width int) int {
	o := 0
	if width == 4 {
		for _, r := range s {
			binary.NativeEndian.PutUint32(dst[o:], uint32(r))
			o += 4
		}
		return o
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			binary.NativeEndian.PutUint16(dst[o:], uint16(c))
			o += 2
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			binary.NativeEndian.PutUint16(dst[o:], uint16(r1))
			binary.NativeEndian.PutUint16(dst[o+2:], uint16(r2))
			o += 4
			continue
		}
		binary.NativeEndian.PutUint16(dst[o:], uint16(r))
		o += 2
	}
	return o
}

// encodeW returns s as NUL-terminated SQLWCHARs in Go memory (for arguments
// used only during a call) and its length in units without the terminator.
func encodeW(s string, width int) ([]byte, int) {
	n := wlen(s, width)
	b := make([]byte, (n+1)*width)
	putW(b, s, width)
	return b, n
}

// decodeW converts n bytes of SQLWCHAR text to a Go string. Unpaired
// surrogates become U+FFFD.
func decodeW(b []byte, width int) string {
	if width == 4 {
		out := make([]byte, 0, len(b)/4)
		for i := 0; i+4 <= len(b); i += 4 {
			out = utf8.AppendRune(out, rune(binary.NativeEndian.Uint32(b[i:])))
		}
		return string(out)
	}
	n := len(b) / 2
	// Fast path: ASCII text converts unit by unit.
	out := make([]byte, 0, n)
	for i := 0; i < n; i++ {
		u := binary.NativeEndian.Uint16(b[2*i:])
		if u < utf8.RuneSelf {
			out = append(out, byte(u))
			continue
		}
		if utf16.IsSurrogate(rune(u)) {
			if u < 0xdc00 && i+1 < n {
				u2 := binary.NativeEndian.Uint16(b[2*i+2:])
				if r := utf16.DecodeRune(rune(u), rune(u2)); r != utf8.RuneError {
					out = utf8.AppendRune(out, r)
					i++
					continue
				}
			}
			out = utf8.AppendRune(out, utf8.RuneError)
			continue
		}
		out = utf8.AppendRune(out, rune(u))
	}
	return string(out)
}

// cstringW returns the text before the first NUL unit of b.
func cstringW(b []byte, width int) []byte {
	for i := 0; i+width <= len(b); i += width {
		zero := true
		for j := 0; j < width; j++ {
			if b[i+j] != 0 {
				zero = false
				break
			}
		}
		if zero {
			return b[:i]
		}
	}
	return b
}
