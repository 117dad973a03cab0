package rows

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// AppendJSONString, word-at-a-time fast path included, writes JSON that
// decodes back to the text (each invalid UTF-8 byte as U+FFFD), at every alignment of
// every byte that needs escaping.
func TestAppendJSONStringEscapesAtEveryPosition(t *testing.T) {
	special := []string{`"`, `\`, "\n", "\x00", "\x1f", "\x7f", " ", "é", "\u2028", "\xff", "~", "!", "#", "[", "]", "\x20"}
	rng := rand.New(rand.NewSource(1))
	for _, sp := range special {
		for pos := 0; pos < 20; pos++ {
			s := strings.Repeat("a", pos) + sp + strings.Repeat("b", rng.Intn(20))
			out := AppendJSONString(nil, s)
			var back string
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("%q: %s: %v", s, out, err)
			}
			if want := perByte(s); back != want {
				t.Fatalf("%q: %s decodes to %q", s, out, back)
			}
		}
	}
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.Intn(40))
		for j := range b {
			b[j] = byte(rng.Intn(256))
		}
		out := AppendJSONString(nil, string(b))
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != perByte(string(b)) {
			t.Fatalf("%q: %s: %q %v", b, out, back, err)
		}
	}
}

// perByte replaces each byte of invalid UTF-8 by U+FFFD, as ranging over
// a string does.
func perByte(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("plain ascii text here, long enough")
	f.Add("a\"b\\c\nd\x00é\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(AppendJSONString(nil, s), &back); err != nil {
			t.Fatal(err)
		}
		if want := perByte(s); back != want {
			t.Fatalf("%q decodes to %q", s, back)
		}
	})
}
