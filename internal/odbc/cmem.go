package odbc

import "unsafe"

// cbuf is a growable block of C memory (malloc/free from the C library).
//
// Why C memory: ODBC keeps the addresses given to SQLBindCol,
// SQLBindParameter and pointer attributes, and writes or reads them during
// later calls (SQLFetch, SQLExecute). Go memory handed over that way would
// need to be pinned for as long as the binding lives and could be freed by
// the GC once Go stops referencing it; C memory has neither problem and
// keeps large fetch arrays out of the Go heap. The owner frees it
// explicitly (Rows.Close, Stmt.Close, Conn.Close) after unbinding.
//
// No Go pointer is ever stored in C memory, so the GC needs no view of it.
type cbuf struct {
	p unsafe.Pointer
	n int
}

// ensure makes the buffer at least n bytes, zeroed, and returns it. Growing
// discards the previous contents; callers rebind after calling it.
func (b *cbuf) ensure(l *lib, n int) unsafe.Pointer {
	if b.p != nil && b.n >= n {
		clear(unsafe.Slice((*byte)(b.p), n))
		return b.p
	}
	size := max(n, 2*b.n, 256)
	b.free(l)
	b.p = l.allocC(size)
	b.n = size
	return b.p
}

func (b *cbuf) free(l *lib) {
	if b.p != nil {
		l.free(b.p)
		b.p = nil
		b.n = 0
	}
}

func align8(n int) int { return (n + 7) &^ 7 }
