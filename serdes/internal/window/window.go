// Package window is the sliding input buffer the CSV and JSON readers
// frame records in: the unread bytes stay in Buf[Start:End] and record
// slices alias them, so a record is parsed where it was read, with no copy.
package window

import (
	"errors"
	"io"
)

// InitialSize is the buffer's first size; it doubles for longer records.
const InitialSize = 256 << 10

// Window holds the unread input Buf[Start:End].
type Window struct {
	Buf        []byte
	Start, End int
	// EOF is set once the reader is exhausted (or failed: then Err).
	EOF bool
	Err error
	r   io.Reader
}

// New returns a window over r.
func New(r io.Reader) Window {
	return Window{r: r, Buf: make([]byte, InitialSize)}
}

// Fill reads more input, keeping Buf[Start:End] (moved to the front, the
// buffer doubled when full). It returns false at EOF or on a read error
// (Err).
func (w *Window) Fill() bool {
	if w.EOF {
		return false
	}
	if w.Start > 0 {
		n := copy(w.Buf, w.Buf[w.Start:w.End])
		w.Start, w.End = 0, n
	}
	if w.End == len(w.Buf) {
		nb := make([]byte, 2*len(w.Buf))
		copy(nb, w.Buf[:w.End])
		w.Buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := w.r.Read(w.Buf[w.End:])
		w.End += n
		if err != nil {
			w.EOF = true
			if !errors.Is(err, io.EOF) {
				w.Err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	w.EOF, w.Err = true, io.ErrNoProgress
	return false
}
