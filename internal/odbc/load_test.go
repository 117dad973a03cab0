package odbc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeLoader simulates dlopen/dlsym: libs maps a library name to the
// symbols it exports.
type fakeLoader struct {
	libs   map[string]map[string]bool
	opened []string
}

func (f *fakeLoader) Open(name string) (uintptr, error) {
	f.opened = append(f.opened, name)
	if _, ok := f.libs[name]; !ok {
		return 0, fmt.Errorf("%s: cannot open shared object file: No such file or directory", name)
	}
	return uintptr(len(f.opened)), nil
}

func (f *fakeLoader) Sym(h uintptr, name string) (uintptr, error) {
	lib := f.libs[f.opened[h-1]]
	if !lib[name] {
		return 0, fmt.Errorf("undefined symbol: %s", name)
	}
	return 0x1000, nil
}

func TestMissingDriverManagerMessage(t *testing.T) {
	f := &fakeLoader{}
	_, err := loadLib(f, "linux")
	want := "ODBC driver manager not found (libodbc.so.2): install unixODBC (Debian/Ubuntu: apt-get install unixodbc; RHEL: dnf install unixODBC; macOS: brew install unixodbc)"
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrDriverManagerNotFound) {
		t.Error("not ErrDriverManagerNotFound")
	}
	if got, wantNames := strings.Join(f.opened, ","), "libodbc.so.2,libodbc.so,libodbc.so.1"; got != wantNames {
		t.Errorf("tried %s, want %s", got, wantNames)
	}
	var le *loadError
	if !errors.As(err, &le) || !strings.Contains(le.Detail(), "libodbc.so.1: libodbc.so.1: cannot open shared object file") {
		t.Errorf("detail does not list the dlopen errors: %v", err)
	}
}

func TestMissingDriverManagerMacOS(t *testing.T) {
	f := &fakeLoader{}
	_, err := loadLib(f, "darwin")
	if err == nil || !strings.HasPrefix(err.Error(), "ODBC driver manager not found (libodbc.2.dylib): install unixODBC") ||
		!strings.Contains(err.Error(), "brew install unixodbc") {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(strings.Join(f.opened, ","), "libiodbc.dylib") {
		t.Errorf("iODBC not tried: %v", f.opened)
	}
}

func allSymbols() map[string]bool {
	m := map[string]bool{"malloc": true, "free": true}
	for _, s := range (&lib{}).symbols() {
		m[s.name] = true
	}
	return m
}

func TestLoadPicksFallbackNameAndWidth(t *testing.T) {
	f := &fakeLoader{libs: map[string]map[string]bool{"libodbc.so.1": allSymbols()}}
	l, err := loadLib(f, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if l.name != "libodbc.so.1" || l.wcharSize != 2 || l.fetch == 0 || l.malloc == nil {
		t.Errorf("lib = %s width %d", l.name, l.wcharSize)
	}
	f = &fakeLoader{libs: map[string]map[string]bool{"libiodbc.dylib": allSymbols()}}
	l, err = loadLib(f, "darwin")
	if err != nil {
		t.Fatal(err)
	}
	if l.wcharSize != 4 {
		t.Errorf("iODBC width = %d, want 4", l.wcharSize)
	}
}

func TestLoadMissingSymbol(t *testing.T) {
	syms := allSymbols()
	delete(syms, "SQLDriverConnectW")
	f := &fakeLoader{libs: map[string]map[string]bool{"libodbc.so.2": syms}}
	_, err := loadLib(f, "linux")
	if err == nil || !strings.Contains(err.Error(), "libodbc.so.2 lacks SQLDriverConnectW") {
		t.Fatalf("got %v", err)
	}
}
