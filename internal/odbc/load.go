package odbc

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrDriverManagerNotFound is wrapped by the error returned when no ODBC
// driver manager library could be loaded.
var ErrDriverManagerNotFound = errors.New("ODBC driver manager not found")

// dynLoader abstracts dlopen/dlsym so tests can simulate a machine without
// unixODBC.
type dynLoader interface {
	Open(name string) (uintptr, error)
	Sym(h uintptr, name string) (uintptr, error)
}

type puregoLoader struct{}

func (puregoLoader) Open(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func (puregoLoader) Sym(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }

// libraryNames are the file names tried, in order, for this GOOS.
func libraryNames(goos string) []string {
	if goos == "darwin" {
		return []string{"libodbc.2.dylib", "libodbc.dylib", "/opt/homebrew/lib/libodbc.2.dylib",
			"/usr/local/lib/libodbc.2.dylib", "libiodbc.2.dylib", "libiodbc.dylib"}
	}
	return []string{"libodbc.so.2", "libodbc.so", "libodbc.so.1"}
}

// missingManagerError builds the message that tells the user what to install.
func missingManagerError(tried []string, causes []error) error {
	first := "libodbc.so.2"
	if len(tried) > 0 {
		first = tried[0]
	}
	msg := fmt.Sprintf("%v (%s): install unixODBC (Debian/Ubuntu: apt-get install unixodbc; RHEL: dnf install unixODBC; macOS: brew install unixodbc)",
		ErrDriverManagerNotFound, first)
	return &loadError{msg: msg, tried: tried, causes: causes}
}

type loadError struct {
	msg    string
	tried  []string
	causes []error
}

func (e *loadError) Error() string { return e.msg }

// Unwrap exposes ErrDriverManagerNotFound and the dlopen errors (one per name tried).
func (e *loadError) Unwrap() []error { return append([]error{ErrDriverManagerNotFound}, e.causes...) }

// Detail lists every library name tried with its dlopen error, for verbose logs.
func (e *loadError) Detail() string {
	var b strings.Builder
	for i, name := range e.tried {
		fmt.Fprintf(&b, "%s: %v\n", name, e.causes[i])
	}
	return b.String()
}

// loadLib opens the first loadable driver manager and resolves its symbols.
func loadLib(ld dynLoader, goos string) (*lib, error) {
	names := libraryNames(goos)
	var causes []error
	for _, name := range names {
		h, err := ld.Open(name)
		if err != nil {
			causes = append(causes, err)
			continue
		}
		l := &lib{name: name, wcharSize: 2}
		if strings.Contains(name, "iodbc") {
			// iODBC's SQLWCHAR is wchar_t, four bytes on macOS and Linux.
			l.wcharSize = 4
		}
		for _, s := range l.symbols() {
			p, err := ld.Sym(h, s.name)
			if err != nil || p == 0 {
				return nil, fmt.Errorf("odbc: %s lacks %s (not an ODBC 3 driver manager?): %w", name, s.name, err)
			}
			*s.ptr = p
		}
		// malloc/free come from the C library the driver manager links to,
		// so buffers are allocated by the same allocator the drivers use.
		mp, err := ld.Sym(h, "malloc")
		if err != nil || mp == 0 {
			return nil, fmt.Errorf("odbc: resolving malloc through %s: %w", name, err)
		}
		fp, err := ld.Sym(h, "free")
		if err != nil || fp == 0 {
			return nil, fmt.Errorf("odbc: resolving free through %s: %w", name, err)
		}
		purego.RegisterFunc(&l.malloc, mp)
		purego.RegisterFunc(&l.free, fp)
		return l, nil
	}
	return nil, missingManagerError(names, causes)
}

var (
	loadOnce  sync.Once
	loadedLib *lib
	loadErr   error
)

// getLib loads the driver manager once per process; the result (or the
// error) is cached because dlopen of a missing library will not start
// succeeding while the process runs.
func getLib() (*lib, error) {
	loadOnce.Do(func() { loadedLib, loadErr = loadLib(puregoLoader{}, runtime.GOOS) })
	return loadedLib, loadErr
}

// Available reports whether the ODBC driver manager can be loaded, with the
// error that says what to install when it cannot.
func Available() error {
	_, err := getLib()
	return err
}

// allocC returns n bytes of zeroed C memory. It panics when malloc fails,
// like a Go allocation would.
func (l *lib) allocC(n int) unsafe.Pointer {
	if n <= 0 {
		n = 1
	}
	p := l.malloc(uintptr(n))
	if p == nil {
		panic(fmt.Sprintf("odbc: malloc(%d) failed", n))
	}
	clear(unsafe.Slice((*byte)(p), n))
	return p
}
