// Package message reads the Singer message stream: newline-delimited JSON
// objects of any length, each with a "type" (RECORD, SCHEMA, STATE,
// ACTIVATE_VERSION, BATCH, or anything else, compared case-insensitively as
// the specification says).
//
// The hot path (a tap's stdout stored as-is, a raw file streamed into a
// target) never decodes records: Skim walks the top level of a message and
// returns the spans of the members sluice needs, so passing a message
// through costs a UTF-8 check and one scan of its bytes.
package message

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// LineReader reads lines of unbounded length. Lines must be UTF-8 (the
// Singer messages are JSON, which is UTF-8): a line that is not is an error
// naming its number.
type LineReader struct {
	r    *bufio.Reader
	buf  []byte
	line int64
	// Name prefixes errors ("tap stdout", a storage URI).
	Name string
}

// NewLineReader reads from r with a 256 KiB buffer; longer lines are
// assembled in a growing buffer.
func NewLineReader(r io.Reader, name string) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 256<<10), Name: name}
}

// Line is the number of the line last returned (1-based).
func (l *LineReader) Line() int64 { return l.line }

// Next returns the next non-empty line without its line ending. The slice
// is valid until the next call. It returns io.EOF at the end; a last line
// without a newline is returned normally.
func (l *LineReader) Next() ([]byte, error) {
	for {
		b, err := l.readLine()
		if err != nil {
			return nil, err
		}
		l.line++
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
		if len(b) == 0 {
			continue
		}
		if !utf8.Valid(b) {
			return nil, &LineError{Name: l.Name, Line: l.line, Err: fmt.Errorf("not valid UTF-8 (first bad byte at column %d)", badUTF8(b)+1)}
		}
		return b, nil
	}
}

func (l *LineReader) readLine() ([]byte, error) {
	b, err := l.r.ReadSlice('\n')
	if err == nil {
		return b[:len(b)-1], nil
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		l.buf = append(l.buf[:0], b...)
		for {
			b, err = l.r.ReadSlice('\n')
			l.buf = append(l.buf, b...)
			if err == nil {
				return l.buf[:len(l.buf)-1], nil
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		b = l.buf
	}
	if err == io.EOF && len(b) > 0 {
		return b, nil
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	return nil, fmt.Errorf("%s: reading line %d: %w", l.Name, l.line+1, err)
}

func badUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// LineError locates a problem in a message stream.
type LineError struct {
	Name string
	Line int64
	Err  error
}

func (e *LineError) Error() string {
	if e.Name == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("%s: line %d: %v", e.Name, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }
