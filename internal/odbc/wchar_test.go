package odbc

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf8"
)

func TestWideRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		units int // UTF-16 units
	}{
		{"empty", "", 0},
		{"ascii", "hello, world", 12},
		{"latin1", "Grüße, Zoë", 10},
		{"cjk", "日本語テキスト", 7},
		{"emoji needs a surrogate pair", "a😀b", 4},
		{"mixed", "Ünïcødé ✓ 𝄞", 12},
		{"nul inside", "a\x00b", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wlen(tt.in, 2); got != tt.units {
				t.Errorf("wlen(%q, 2) = %d, want %d", tt.in, got, tt.units)
			}
			if got := wlen(tt.in, 4); got != utf8.RuneCountInString(tt.in) {
				t.Errorf("wlen(%q, 4) = %d, want %d", tt.in, got, utf8.RuneCountInString(tt.in))
			}
			for _, w := range []int{2, 4} {
				b, n := encodeW(tt.in, w)
				if len(b) != (n+1)*w {
					t.Fatalf("width %d: buffer %d bytes for %d units", w, len(b), n)
				}
				if !bytes.Equal(b[n*w:], make([]byte, w)) {
					t.Errorf("width %d: not NUL-terminated", w)
				}
				if got := decodeW(b[:n*w], w); got != tt.in {
					t.Errorf("width %d: round trip %q -> %q", w, tt.in, got)
				}
			}
		})
	}
}

func TestWideSurrogateEncoding(t *testing.T) {
	b, n := encodeW("😀", 2)
	if n != 2 {
		t.Fatalf("units = %d", n)
	}
	if hi, lo := binary.NativeEndian.Uint16(b), binary.NativeEndian.Uint16(b[2:]); hi != 0xD83D || lo != 0xDE00 {
		t.Errorf("got %#x %#x, want 0xd83d 0xde00", hi, lo)
	}
}

func TestDecodeInvalidUTF16(t *testing.T) {
	units := func(u ...uint16) []byte {
		b := make([]byte, 2*len(u))
		for i, x := range u {
			binary.NativeEndian.PutUint16(b[2*i:], x)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"lone high surrogate at end", units('a', 0xD83D), "a\uFFFD"},
		{"lone low surrogate", units(0xDE00, 'b'), "\uFFFDb"},
		{"high followed by non-surrogate", units(0xD83D, 'c'), "\uFFFDc"},
		{"odd trailing byte ignored", append(units('x'), 0x41), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeW(tt.in, 2); got != tt.want {
				t.Errorf("decodeW = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInvalidUTF8BecomesReplacement(t *testing.T) {
	b, n := encodeW("a\xffb", 2)
	if got := decodeW(b[:n*2], 2); got != "a\uFFFDb" {
		t.Errorf("got %q", got)
	}
}

func TestCStringW(t *testing.T) {
	b, _ := encodeW("abc", 2)
	b = append(b, 'z', 0) // garbage after the terminator
	if got := decodeW(cstringW(b, 2), 2); got != "abc" {
		t.Errorf("got %q", got)
	}
	if got := cstringW([]byte{'a', 0, 'b', 0}, 2); len(got) != 4 {
		t.Errorf("unterminated: got %d bytes", len(got))
	}
}

func FuzzWideRoundTrip(f *testing.F) {
	for _, s := range []string{"", "abc", "Grüße", "😀x", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		for _, w := range []int{2, 4} {
			b, n := encodeW(s, w)
			if got := decodeW(b[:n*w], w); got != s {
				t.Fatalf("width %d: %q -> %q", w, s, got)
			}
		}
	})
}
