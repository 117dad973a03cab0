package charset

import (
	"bytes"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	text := "café, naïve, €5, Straße"
	for _, name := range []string{"UTF-8", "utf8", "ISO-8859-15", "windows-1252", "UTF-16", "UTF-16LE", "UTF-16BE"} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, name)
		if err != nil {
			t.Fatal(name, err)
		}
		io.WriteString(w, text)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(bytes.NewReader(buf.Bytes()), name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != text {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"ISO-8859-1", []byte{'c', 'a', 'f', 0xe9}, "café"},
		{"windows-1252", []byte{0x80, '5'}, "€5"},
		{"UTF-16", []byte{0xff, 0xfe, 'a', 0, 'b', 0}, "ab"}, // little-endian BOM
		{"UTF-16", []byte{0, 'a', 0, 'b'}, "ab"},             // no BOM: big-endian
		{"UTF-8", []byte{0xef, 0xbb, 0xbf, 'i', 'd'}, "id"},  // BOM dropped
		{"UTF-8", []byte{'i'}, "i"},
	}
	for _, c := range cases {
		r, err := NewReader(bytes.NewReader(c.in), c.name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if string(got) != c.want {
			t.Errorf("%s %x: got %q want %q", c.name, c.in, got, c.want)
		}
	}
	if _, err := Lookup("klingon"); err == nil {
		t.Error("unknown charset: want error")
	}
}
