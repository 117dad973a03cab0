package odbc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"one record", &Error{Op: "SQLExecDirectW", Records: []DiagRecord{{State: "42S02", NativeError: 1146, Message: "Table 'test.x' doesn't exist"}}},
			"odbc: 42S02 [1146] Table 'test.x' doesn't exist"},
		{"no records", &Error{Op: "SQLExecute", Code: -1}, "odbc: SQLExecute failed (SQLRETURN -1, no diagnostics)"},
		{"second record appended, repeat skipped", &Error{Op: "SQLExecute", Records: []DiagRecord{
			{State: "23000", NativeError: 2627, Message: "Violation of PRIMARY KEY"},
			{State: "23000", NativeError: 2627, Message: "Violation of PRIMARY KEY"},
			{State: "01000", NativeError: 3621, Message: "The statement has been terminated."},
		}}, "odbc: 23000 [2627] Violation of PRIMARY KEY; 01000 [3621] The statement has been terminated."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSQLStateThroughWrapping(t *testing.T) {
	e := &Error{Op: "SQLExecute", Records: []DiagRecord{{State: "40001", NativeError: 1213, Message: "Deadlock"}}}
	wrapped := fmt.Errorf("batch rows 0-99: %w", e)
	if got := SQLState(wrapped); got != "40001" {
		t.Errorf("SQLState = %q", got)
	}
	if SQLState(errors.New("plain")) != "" {
		t.Error("SQLState of a plain error is not empty")
	}
	if e.NativeError() != 1213 || (&Error{}).NativeError() != 0 || (&Error{}).SQLState() != "" {
		t.Error("accessors")
	}
	if !hasState(wrapped, "40") || hasState(wrapped, "08") {
		t.Error("hasState")
	}
}

func TestSplitSource(t *testing.T) {
	tests := []struct{ in, src, text string }{
		{"[ma-3.1.20][11.4.2-MariaDB]Table 'test.x' doesn't exist", "[ma-3.1.20][11.4.2-MariaDB]", "Table 'test.x' doesn't exist"},
		{"[unixODBC][Driver Manager]Data source name not found", "[unixODBC][Driver Manager]", "Data source name not found"},
		{"ERROR: relation \"x\" does not exist;\nError while executing the query", "", "ERROR: relation \"x\" does not exist;\nError while executing the query"},
		{"[only brackets]", "", "[only brackets]"},
		{"[unterminated", "", "[unterminated"},
	}
	for _, tt := range tests {
		src, text := splitSource(tt.in)
		if src != tt.src || text != tt.text {
			t.Errorf("splitSource(%q) = %q, %q; want %q, %q", tt.in, src, text, tt.src, tt.text)
		}
	}
}

func TestDriverNotFound(t *testing.T) {
	unixODBC := &Error{Op: "SQLDriverConnectW", Records: []DiagRecord{{State: "01000", Message: "Can't open lib 'Actian Vector' : file not found", Source: "[unixODBC][Driver Manager]"}}}
	im002 := &Error{Op: "SQLDriverConnectW", Records: []DiagRecord{{State: "IM002", Message: "Data source name not found and no default driver specified"}}}
	other := &Error{Op: "SQLDriverConnectW", Records: []DiagRecord{{State: "08001", NativeError: 2002, Message: "Can't connect"}}}
	installed := func() []string { return []string{"MariaDB Unicode", "PostgreSQL Unicode"} }
	attrs := func(s string) []Attr { a, _ := ParseConnString(s); return a }

	tests := []struct {
		name  string
		err   error
		conn  string
		want  []string // substrings
		isDNF bool
	}{
		{"unregistered driver (unixODBC style)", unixODBC, "Driver={Actian Vector};Server=h", []string{
			`ODBC driver "Actian Vector" is not registered`, "SQLSTATE 01000", "installed drivers: MariaDB Unicode, PostgreSQL Unicode",
			"odbcinst.ini", "Actian client runtime's ODBC driver"}, true},
		{"unregistered driver (IM002)", im002, "Driver={MariaDB ODBC 3.1 Driver}", []string{
			`"MariaDB ODBC 3.1 Driver" is not registered`, "SQLSTATE IM002", "apt-get install odbc-mariadb"}, true},
		{"postgres hint", im002, "Driver={PostgreSQL ANSI}", []string{"odbc-postgresql"}, true},
		{"unknown driver hint lists all", im002, "Driver={Foo}", []string{"Actian client's ODBC driver", "odbc-mariadb", "odbc-postgresql"}, true},
		{"undefined DSN", im002, "DSN=warehouse;UID=u", []string{`data source "warehouse" is not defined`, "odbc.ini"}, true},
		{"registered but library broken", unixODBC, "Driver={mariadb unicode}", []string{"is registered but its library cannot be loaded", "Can't open lib"}, false},
		{"driver path", unixODBC, "Driver=/opt/x/lib.so", []string{`library "/opt/x/lib.so" cannot be loaded`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := driverNotFound(tt.err, attrs(tt.conn), installed)
			if err == nil {
				t.Fatal("nil error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var dnf *DriverNotFoundError
			if errors.As(err, &dnf) != tt.isDNF {
				t.Errorf("DriverNotFoundError = %v, want %v", !tt.isDNF, tt.isDNF)
			}
			var oe *Error
			if !errors.As(err, &oe) {
				t.Error("the driver manager's *Error is not wrapped")
			}
		})
	}
	if err := driverNotFound(other, attrs("Driver={MariaDB Unicode}"), installed); err != nil {
		t.Errorf("connection refused was taken for a missing driver: %v", err)
	}
	none := driverNotFound(im002, attrs("Driver={X}"), func() []string { return nil })
	if !strings.Contains(none.Error(), "installed drivers: none") {
		t.Errorf("got %q", none)
	}
}
