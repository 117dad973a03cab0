package csv

import (
	"errors"
	"strings"
	"testing"
)

// TestInvalidUTF8 reads bytes that are not UTF-8 with charset UTF-8: they
// used to be stored raw, and the load failed later inside PostgreSQL's
// COPY at "input row 2". They are now refused at the reader with
// file:line:col, or replaced by U+FFFD when asked.
func TestInvalidUTF8(t *testing.T) {
	def := DefaultReadOptions()
	def.Name = "cities.csv"
	noHeader := def
	noHeader.Header = false
	cases := []struct {
		name, in  string
		opts      ReadOptions
		line, col int
		msgPrefix string
	}{
		{"latin-1 in a field", "name,city\nAnn,Paris\nJos\xe9,Li\xe8ge\n", def, 3, 4, ""},
		{"quoted field, second line", "name,note\nAnn,\"first\nsec\xffond\"\n", def, 3, 4, ""},
		{"after doubled quotes", "name,note\nAnn,\"say \"\"hi\"\" \xc3\"\n", def, 2, 17, ""},
		{"truncated sequence at the end", "a\nok\n\xe2\x82", def, 3, 1, ""},
		{"in the header", "na\xefve,b\n1,2\n", def, 1, 3, "header: "},
		{"without a header", "1,\xa0\n", noHeader, 1, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, err := read(t, c.in, c.opts)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want a MalformedError", err)
			}
			if me.File != "cities.csv" || me.Line != c.line || me.Column != c.col || !strings.HasPrefix(me.Msg, c.msgPrefix+"byte 0x") || !strings.Contains(me.Msg, "is not UTF-8") {
				t.Fatalf("got %v, want cities.csv:%d:%d: %sbyte 0x.. is not UTF-8", err, c.line, c.col, c.msgPrefix)
			}
		})
	}
}

func TestInvalidUTF8Options(t *testing.T) {
	in := "na\xefve,city\nJos\xe9,Li\xe8ge\nAnn,Paris\n"
	replace := DefaultReadOptions()
	replace.ReplaceInvalidUTF8 = true
	s, got, _, err := read(t, in, replace)
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(s.Names(), ","); names != "na\uFFFDve,city" {
		t.Errorf("header %q", names)
	}
	if want := "string:Jos\uFFFD|string:Li\uFFFDge"; strings.Join(got[0], "|") != want {
		t.Errorf("got %q, want %q", got[0], want)
	}
	// The same bytes declared as Latin-1 are text.
	latin := DefaultReadOptions()
	latin.Charset = "ISO-8859-1"
	if _, got, _, err = read(t, in, latin); err != nil || strings.Join(got[0], "|") != "string:José|string:Liège" {
		t.Errorf("latin-1: %v, %v", got, err)
	}
	// onMalformed: skip skips the record and counts it.
	skip := DefaultReadOptions()
	skip.SkipMalformed = true
	_, got, d, err := read(t, "a\n\xff\nok\n", skip)
	if err != nil || len(got) != 1 || d.Skipped() != 1 {
		t.Errorf("skip: %v, %v, skipped %d", got, err, d.Skipped())
	}
}
