package csv

import (
	"bytes"
	"fmt"
	"io"

	"github.com/sluicehq/sluice/serdes/internal/window"
)

// scanner splits CSV input into records of fields. Fields alias the read
// buffer (or an arena for quoted fields with doubled quotes) and are valid
// until the next call.
type scanner struct {
	sep   byte
	quote byte // 0: no quoting

	window.Window

	line    int    // line number at buf[start]
	recLine int    // line where the last record started
	rec     []byte // the last record's raw bytes

	fields [][]byte
	arena  []byte
	// malformed describes a quoting problem in the last record ("" if
	// none); the record is still returned (leniently parsed).
	malformed string
	malCol    int
}

func newScanner(r io.Reader, sep, quote byte) *scanner {
	return &scanner{Window: window.New(r), sep: sep, quote: quote, line: 1}
}

// next reads the next record into s.fields; io.EOF at the end.
func (s *scanner) next() error {
	for {
		if s.Start == s.End && !s.Fill() {
			if s.Err != nil {
				return s.Err
			}
			return io.EOF
		}
		n, ok := s.parse(s.Buf[s.Start:s.End], s.EOF)
		if ok {
			rec := s.Buf[s.Start : s.Start+n]
			s.rec = rec
			s.recLine = s.line
			s.line += bytes.Count(rec, []byte{'\n'})
			if k := bytes.Count(rec, []byte{'\r'}); k > 0 {
				// lone CRs end lines too (CRLF counted once, by its LF)
				s.line += k - bytes.Count(rec, []byte{'\r', '\n'})
			}
			s.Start += n
			return nil
		}
		if !s.Fill() && s.Err != nil {
			return s.Err
		}
	}
}

// parse parses one record at the start of b. It returns the bytes consumed
// (line ending included) and false when b ends before the record does and
// more input may come.
func (s *scanner) parse(b []byte, eof bool) (int, bool) {
	s.fields = s.fields[:0]
	if cap(s.arena) < len(b) {
		s.arena = make([]byte, 0, len(b))
	}
	s.arena = s.arena[:0]
	s.malformed = ""
	sep, q := s.sep, s.quote
	i := 0
	for {
		// one field
		if q != 0 && i < len(b) && b[i] == q {
			fieldStart := i
			j := i + 1
			escaped := false
			var end int
			for {
				k := bytes.IndexByte(b[j:], q)
				if k < 0 {
					if !eof {
						return 0, false
					}
					// unterminated: the field runs to the end of input
					s.setMalformed(fmt.Sprintf("quoted field starting here is never closed (missing %c)", q), fieldStart)
					end = len(b)
					j = len(b)
					break
				}
				k += j
				if k+1 < len(b) && b[k+1] == q {
					escaped = true
					j = k + 2
					continue
				}
				if k+1 == len(b) && !eof {
					return 0, false // could be the first half of a doubled quote
				}
				end = k
				j = k + 1
				break
			}
			var f []byte
			if escaped {
				a := len(s.arena)
				seg := b[i+1 : end]
				for len(seg) > 0 {
					k := bytes.IndexByte(seg, q)
					if k < 0 || k+1 >= len(seg) {
						s.arena = append(s.arena, seg...)
						break
					}
					s.arena = append(s.arena, seg[:k+1]...)
					seg = seg[k+2:]
				}
				f = s.arena[a:len(s.arena):len(s.arena)]
			} else {
				f = b[i+1 : end : end]
			}
			// Text between the closing quote and the separator is kept
			// (as FastCSV does) but makes the record malformed.
			if j < len(b) && b[j] != sep && b[j] != '\n' && b[j] != '\r' {
				s.setMalformed(fmt.Sprintf("unexpected text after the closing %c", q), j)
				a := len(s.arena)
				s.arena = append(s.arena, f...)
				k := j
				for k < len(b) && b[k] != sep && b[k] != '\n' && b[k] != '\r' {
					k++
				}
				s.arena = append(s.arena, b[j:k]...)
				f = s.arena[a:len(s.arena):len(s.arena)]
				j = k
			}
			s.fields = append(s.fields, f)
			i = j
		} else {
			j := i
			for j < len(b) && b[j] != sep && b[j] != '\n' && b[j] != '\r' {
				j++
			}
			s.fields = append(s.fields, b[i:j:j])
			i = j
		}
		// after a field
		if i >= len(b) {
			if !eof {
				return 0, false
			}
			return i, true
		}
		switch b[i] {
		case sep:
			i++
			if i >= len(b) && !eof {
				return 0, false
			}
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				return i + 2, true
			}
			if i+1 == len(b) && !eof {
				return 0, false
			}
			return i + 1, true
		default: // '\n'
			return i + 1, true
		}
		if i >= len(b) { // separator at the very end: one more empty field
			s.fields = append(s.fields, b[i:i:i])
			return i, true
		}
	}
}

func (s *scanner) setMalformed(msg string, off int) {
	if s.malformed == "" {
		s.malformed, s.malCol = msg, off
	}
}

// locate turns an offset in the last record into line and column.
func (s *scanner) locate(off int) (int, int) {
	pre := s.rec[:min(off, len(s.rec))]
	if k := bytes.LastIndexByte(pre, '\n'); k >= 0 {
		return s.recLine + bytes.Count(pre, []byte{'\n'}), off - k
	}
	return s.recLine, off + 1
}

// empty reports whether the last record was a blank line.
func (s *scanner) empty() bool {
	return len(s.fields) == 1 && len(s.fields[0]) == 0
}
