package flows

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// yamlHints explain yaml.v3's syntax errors in the words of the fix.
var yamlHints = []struct{ match, hint string }{
	{"found a tab character", "YAML indents with spaces only: replace the tab with spaces"},
	{"did not find expected '-' indicator", "this line is indented less than the list items above it but more than the key that holds them: align it with the '-' of its list, or with the key"},
	{"did not find expected key", "this line's indentation matches no key above it: indent it exactly as far as its sibling keys"},
	{"mapping values are not allowed", "a ': ' inside a value starts a new key: quote the value (message: \"a: b\")"},
	{"could not find expected ':'", "a key needs ': ' after it; a line of text belongs in a quoted value or a block scalar (|)"},
	{"found character that cannot start any token", "a value starting with @, ` or % must be quoted"},
	{"found unknown escape character", "inside double quotes a backslash starts an escape: use single quotes, or write \\\\"},
	{"did not find expected node content", "a value is missing after '-' or ':', or a list/map is not closed"},
	{"did not find expected ',' or ']'", "a [list] is not closed, or an item holds an unquoted ': '"},
	{"did not find expected ',' or '}'", "a {map} is not closed, or a value holds an unquoted ': '"},
	{"found unexpected end of stream", "a quote or a bracket opened above is never closed"},
}

// yamlSyntaxError places a yaml.v3 syntax error at the line that causes
// it, with that line, a caret and a hint. yaml.v3 reports where the
// enclosing block started (a dedent error names the list's first line; a
// tab the line before it); the offending line is the first whose addition
// makes the document fail with the same message.
func yamlSyntaxError(file string, src []byte, err error) *Error {
	msg := err.Error()
	reported := yamlErrorLine(msg)
	msg = strings.TrimPrefix(msg, "yaml: ")
	if reported > 0 {
		msg = strings.TrimPrefix(msg, fmt.Sprintf("line %d: ", reported))
	}
	lines := strings.Split(string(src), "\n")
	line := reported
	if reported > 0 {
		// Bounded: at most 200 lines past the reported one and 4 MiB parsed
		// in all, so a huge hostile file costs little more than one parse.
		budget := 4 << 20
		for n := reported; n <= len(lines) && n < reported+200 && budget > 0; n++ {
			var doc yaml.Node
			prefix := strings.Join(lines[:n], "\n")
			budget -= len(prefix)
			perr := yaml.Unmarshal([]byte(prefix), &doc)
			if perr != nil && sameYAMLError(perr.Error(), msg) {
				line = n
				break
			}
		}
	}
	e := &Error{Pos: plugin.Pos{File: file, Line: max(line, 1), Col: 1}, Msg: msg}
	if line < 1 || line > len(lines) {
		return e
	}
	text := strings.TrimRight(lines[line-1], "\r")
	at := strings.IndexFunc(text, func(r rune) bool { return r != ' ' })
	if strings.Contains(msg, "tab character") {
		at = strings.IndexByte(text, '\t')
	}
	if at < 0 {
		at = 0
	}
	e.Pos.Col = utf8.RuneCountInString(text[:at]) + 1
	num := fmt.Sprint(line)
	// Tabs are shown as → (one column each) so that the caret stays under
	// its character.
	e.Context = fmt.Sprintf("  %s | %s\n  %s | %s^", num, strings.ReplaceAll(text, "\t", "→"), strings.Repeat(" ", len(num)), strings.Repeat(" ", e.Pos.Col-1))
	for _, h := range yamlHints {
		if strings.Contains(msg, h.match) {
			e.Hint = h.hint
			break
		}
	}
	return e
}

func sameYAMLError(got, msg string) bool {
	got = strings.TrimPrefix(got, "yaml: ")
	if l := yamlErrorLine("yaml: " + got); l > 0 {
		got = strings.TrimPrefix(got, fmt.Sprintf("line %d: ", l))
	}
	return got == msg
}

// isYAMLSyntax reports whether err is a syntax error (not a type error).
func isYAMLSyntax(err error) bool {
	var te *yaml.TypeError
	return !errors.As(err, &te)
}
