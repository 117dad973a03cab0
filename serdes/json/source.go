package json

import (
	"bytes"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/serdes/internal/window"
)

// SyntaxError locates malformed input: file, 1-based line and byte column.
type SyntaxError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	f := e.File
	if f == "" {
		f = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d: %s", f, e.Line, e.Column, e.Msg)
}

// source frames records: one per non-blank line (JSON lines), or one per
// element of a top-level array. Returned slices alias the read buffer and
// stay valid until the next call.
type source struct {
	name  string
	array bool

	window.Window

	abs       int64 // absolute offset of buf[start]
	line      int   // line number at buf[start]
	lineStart int64 // absolute offset where that line starts

	// array framing
	state     int // 0 before '[', 1 in array, 2 after the end, 3 single top-level value
	needComma bool

	// the record last returned
	recLine  int
	recCol   int // byte column of the record's first byte
	recStart int64
}

func newSource(r io.Reader, name string, array bool) *source {
	return &source{Window: window.New(r), name: name, array: array, line: 1}
}

func (s *source) errorf(line, col int, format string, args ...any) error {
	return &SyntaxError{File: s.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// advance consumes n bytes of buf[start:] that contain no record, keeping
// line accounting.
func (s *source) advance(n int) {
	seg := s.Buf[s.Start : s.Start+n]
	if k := bytes.Count(seg, nl); k > 0 {
		s.line += k
		s.lineStart = s.abs + int64(bytes.LastIndexByte(seg, '\n')) + 1
	}
	s.Start += n
	s.abs += int64(n)
}

var nl = []byte{'\n'}

// next returns the next record, or io.EOF.
func (s *source) next() ([]byte, error) {
	if s.array {
		return s.nextElement()
	}
	for {
		i := bytes.IndexByte(s.Buf[s.Start:s.End], '\n')
		if i < 0 {
			if s.Fill() {
				continue
			}
			if s.Err != nil {
				return nil, fmt.Errorf("%s: read: %w", s.name, s.Err)
			}
			i = s.End - s.Start
			if i == 0 {
				return nil, io.EOF
			}
		}
		rec := s.Buf[s.Start : s.Start+i]
		s.recLine, s.recCol, s.recStart = s.line, 1, s.abs
		n := i
		if s.Start+i < s.End {
			n++ // the newline
			s.line++
			s.lineStart = s.abs + int64(n)
		}
		s.Start += n
		s.abs += int64(n)
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		return rec, nil
	}
}

// peekNonSpace skips whitespace (refilling) and returns the next byte.
func (s *source) peekNonSpace() (byte, bool, error) {
	for {
		i := s.Start
		for i < s.End && isSpace(s.Buf[i]) {
			i++
		}
		s.advance(i - s.Start)
		if s.Start < s.End {
			return s.Buf[s.Start], true, nil
		}
		if !s.Fill() {
			if s.Err != nil {
				return 0, false, fmt.Errorf("%s: read: %w", s.name, s.Err)
			}
			return 0, false, nil
		}
	}
}

func (s *source) col() int { return int(s.abs-s.lineStart) + 1 }

func (s *source) nextElement() ([]byte, error) {
	for {
		c, ok, err := s.peekNonSpace()
		if err != nil {
			return nil, err
		}
		switch s.state {
		case 0:
			if !ok {
				return nil, io.EOF // empty file: no rows
			}
			switch c {
			case '[':
				s.advance(1)
				s.state = 1
				continue
			case '{':
				s.state = 3
				return s.element()
			default:
				return nil, s.errorf(s.line, s.col(), "expected a JSON array or object at the top level, found %q (for one value per line set newLine: true)", rune(c))
			}
		case 1:
			if !ok {
				return nil, s.errorf(s.line, s.col(), "unexpected end of file inside the top-level array (missing ']')")
			}
			if c == ']' {
				s.advance(1)
				s.state = 2
				continue
			}
			if s.needComma {
				if c != ',' {
					return nil, s.errorf(s.line, s.col(), "expected ',' or ']' after an array element, found %q", rune(c))
				}
				s.advance(1)
				s.needComma = false
				continue
			}
			s.needComma = true
			return s.element()
		case 2, 3:
			if ok {
				return nil, s.errorf(s.line, s.col(), "unexpected data after the end of the top-level value: %q", rune(c))
			}
			return nil, io.EOF
		}
	}
}

// element frames the value starting at buf[start] by a structural scan
// (strings and nesting), reading more input as needed.
func (s *source) element() ([]byte, error) {
	for {
		end, complete := frameValue(s.Buf[s.Start:s.End])
		if complete || (s.EOF && !s.Fill()) {
			if !complete {
				end = s.End - s.Start
			}
			rec := s.Buf[s.Start : s.Start+end]
			s.recLine, s.recCol, s.recStart = s.line, s.col(), s.abs
			s.advance(end)
			return rec, nil
		}
		if !s.Fill() && s.Err != nil {
			return nil, fmt.Errorf("%s: read: %w", s.name, s.Err)
		}
	}
}

// frameValue finds the end of the value at b[0]: for containers the
// matching bracket, for scalars the next delimiter. complete is false when b
// ends first.
func frameValue(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if b[0] != '{' && b[0] != '[' {
		for i, c := range b {
			if c == ',' || c == ']' || c == '}' || isSpace(c) {
				return i, true
			}
			if c == '"' && i == 0 {
				j, err := skipString(b, 0)
				if err != nil {
					return len(b), false
				}
				return j, true
			}
		}
		return len(b), false
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return len(b), false
			}
			i = j
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(b), false
}

// locate turns an offset inside the last record into line and column.
func (s *source) locate(off int, rec []byte) (int, int) {
	if off > len(rec) {
		off = len(rec)
	}
	pre := rec[:off]
	if k := bytes.Count(pre, nl); k > 0 {
		return s.recLine + k, off - bytes.LastIndexByte(pre, '\n')
	}
	return s.recLine, s.recCol + off
}
