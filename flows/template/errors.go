package template

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Error is a syntax error found by Parse or a failure while rendering. Offset
// is the byte offset in the template source, Line and Col are 1-based and
// Col counts characters (runes), as YAML editors do, so that a caller can
// map the position into the file the template came from.
type Error struct {
	Offset int
	Line   int
	Col    int
	Msg    string
	// Err is the cause of a render error (an *UndefinedError, a filter
	// failure, ...); nil for syntax errors.
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// UndefinedError reports a variable path that does not resolve. Path is the
// path up to and including the missing element (outputs.quer,
// outputs['task-id'][0]); Suggestion is the closest key that does exist at
// that level, or "".
type UndefinedError struct {
	Path       string
	Reason     string
	Suggestion string
}

func (e *UndefinedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "undefined variable %q", e.Path)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggestion)
	}
	return b.String()
}

// newError builds an *Error at byte offset off of src.
func newError(src string, off int, cause error, format string, args ...any) *Error {
	line, col := lineCol(src, off)
	msg := fmt.Sprintf(format, args...)
	return &Error{Offset: off, Line: line, Col: col, Msg: msg, Err: cause}
}

// wrapAt gives err the position off unless it already carries one.
func wrapAt(src string, off int, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	return newError(src, off, err, "%s", err.Error())
}

// lineCol converts a byte offset into a 1-based line and character column.
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(src[start:off])
}

// suggest returns the candidate closest to name: a case-insensitive match,
// else the smallest edit distance of at most 2 (and less than the name's
// length, so that "a" does not suggest "b"), else a key that name is a
// prefix of or that is a prefix of name. Ties go to the alphabetically first
// candidate so messages are stable.
func suggest(name string, candidates []string) string {
	best, bestScore := "", 1<<30
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	nameLen := utf8.RuneCountInString(name)
	for _, c := range sorted {
		if c == name {
			continue
		}
		score := -1
		switch d := levenshtein(name, c); {
		case strings.EqualFold(c, name):
			score = 0
		case d <= 2 && d < nameLen:
			score = d
		case nameLen >= 2 && strings.HasPrefix(c, name),
			utf8.RuneCountInString(c) >= 2 && strings.HasPrefix(name, c):
			score = 3
		}
		if score >= 0 && score < bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

// Distance is the edit (Levenshtein) distance between a and b, in runes;
// the flow validator uses it for its suggestions too.
func Distance(a, b string) int { return levenshtein(a, b) }

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return len(rb)
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
