package odbc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unsafe"
)

// DiagRecord is one ODBC diagnostic record (SQLGetDiagRecW).
type DiagRecord struct {
	State       string // SQLSTATE, five characters: "42S02"
	NativeError int32  // the database's own code: 1146 for MariaDB's ER_NO_SUCH_TABLE
	Message     string // text without the "[vendor][component]" prefixes
	Source      string // those prefixes, e.g. "[ma-3.1.20]"; kept for bug reports
}

func (r DiagRecord) String() string {
	return fmt.Sprintf("%s [%d] %s", r.State, r.NativeError, r.Message)
}

// Error is an ODBC call that failed, with every diagnostic record the driver
// left. Error() shows the first: "odbc: 42S02 [1146] Table 'test.x' doesn't exist".
type Error struct {
	Op      string // the ODBC function: "SQLExecute"
	Records []DiagRecord
	Code    int16 // the SQLRETURN, for failures without records
}

func (e *Error) Error() string {
	if len(e.Records) == 0 {
		return fmt.Sprintf("odbc: %s failed (SQLRETURN %d, no diagnostics)", e.Op, e.Code)
	}
	var b strings.Builder
	b.WriteString("odbc: ")
	b.WriteString(e.Records[0].String())
	for _, r := range e.Records[1:] {
		// Later records are usually context ("statement has been terminated");
		// skip exact repeats that some driver managers add.
		if r.State == e.Records[0].State && r.Message == e.Records[0].Message {
			continue
		}
		b.WriteString("; ")
		b.WriteString(r.String())
	}
	return b.String()
}

// SQLState returns the first record's SQLSTATE, or "" without records.
func (e *Error) SQLState() string {
	if len(e.Records) == 0 {
		return ""
	}
	return e.Records[0].State
}

// NativeError returns the first record's native error code.
func (e *Error) NativeError() int32 {
	if len(e.Records) == 0 {
		return 0
	}
	return e.Records[0].NativeError
}

// SQLState returns the SQLSTATE of the first *Error in err's chain, or "".
func SQLState(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.SQLState()
	}
	return ""
}

// splitSource separates leading "[...]" groups from the message text.
func splitSource(msg string) (source, text string) {
	rest := msg
	for strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		rest = rest[end+1:]
	}
	text = strings.TrimSpace(rest)
	if text == "" {
		return "", strings.TrimSpace(msg)
	}
	return strings.TrimSpace(msg[:len(msg)-len(rest)]), text
}

// diag reads the diagnostic records of h. At most 20 are read: a failed
// array operation can leave one per row, and the first ones say enough.
func (l *lib) diag(typ int16, h handle) []DiagRecord {
	var recs []DiagRecord
	w := l.wcharSize
	state := make([]byte, 6*w)
	msg := make([]byte, 1024*w)
	for i := int16(1); i <= 20; i++ {
		var native int32
		var n int16
		r := l.SQLGetDiagRecW(typ, h, i, unsafe.Pointer(&state[0]), &native, unsafe.Pointer(&msg[0]), int16(len(msg)/w), &n)
		if r == sqlSuccessWithInfo && int(n) >= len(msg)/w {
			// The message was truncated: grow and read the same record again.
			msg = make([]byte, (int(n)+1)*w)
			r = l.SQLGetDiagRecW(typ, h, i, unsafe.Pointer(&state[0]), &native, unsafe.Pointer(&msg[0]), int16(len(msg)/w), &n)
		}
		if !succeeded(r) {
			break
		}
		text := decodeW(msg[:min(int(n)*w, len(msg))], w)
		text = strings.TrimRight(text, "\x00\r\n ")
		src, m := splitSource(text)
		recs = append(recs, DiagRecord{
			State:       decodeW(cstringW(state[:5*w], w), w),
			NativeError: native,
			Message:     m,
			Source:      src,
		})
	}
	return recs
}

// check turns a SQLRETURN into an *Error carrying the diagnostics, or nil on
// success (SQL_SUCCESS_WITH_INFO included).
func (l *lib) check(op string, typ int16, h handle, r int16) error {
	if succeeded(r) {
		return nil
	}
	e := &Error{Op: op, Code: r}
	if r != sqlInvalidHandle && h != 0 {
		e.Records = l.diag(typ, h)
	}
	return e
}

// hasState reports whether err is an *Error with a record in the SQLSTATE class/prefix.
func hasState(err error, prefix string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, r := range e.Records {
		if strings.HasPrefix(r.State, prefix) {
			return true
		}
	}
	return false
}

// driverNotFound recognises a connect error caused by a driver the manager
// cannot find and returns the explanatory error, or nil. The standard
// SQLSTATE is IM002; unixODBC reports an unregistered Driver= name as
// 01000 "Can't open lib 'NAME' : file not found", because it then tries the
// name as a library path.
func driverNotFound(err error, attrs []Attr, installed func() []string) error {
	var oe *Error
	if !errors.As(err, &oe) {
		return nil
	}
	cantOpen := false
	for _, r := range oe.Records {
		if strings.Contains(r.Message, "Can't open lib") {
			cantOpen = true
		}
	}
	if !hasState(err, "IM002") && !cantOpen {
		return nil
	}
	drv, _ := Lookup(attrs, "Driver")
	dsn, _ := Lookup(attrs, "DSN")
	if strings.ContainsAny(drv, `/\`) {
		return fmt.Errorf("odbc: ODBC driver library %q cannot be loaded (check the path, or register the driver in odbcinst.ini and use its name): %w", drv, oe)
	}
	names := installed()
	if drv != "" {
		for _, n := range names {
			if strings.EqualFold(n, drv) {
				// Registered, but its shared library does not load.
				return fmt.Errorf("odbc: ODBC driver %q is registered but its library cannot be loaded; reinstall its package%s or fix Driver= in odbcinst.ini: %w",
					drv, packageHint(drv), oe)
			}
		}
	}
	return &DriverNotFoundError{Driver: drv, DSN: dsn, Installed: names, Err: oe}
}

// DriverNotFoundError is returned by Open when the driver manager does not
// know the driver (SQLSTATE IM002). It wraps the driver manager's *Error.
type DriverNotFoundError struct {
	Driver    string   // the Driver= value, or "" when a DSN= was named
	DSN       string   // the DSN= value
	Installed []string // drivers registered in odbcinst.ini (SQLDrivers)
	Err       *Error
}

func (e *DriverNotFoundError) Unwrap() error { return e.Err }

func (e *DriverNotFoundError) Error() string {
	var b strings.Builder
	installed := "none"
	if len(e.Installed) > 0 {
		installed = strings.Join(e.Installed, ", ")
	}
	switch {
	case e.Driver != "":
		fmt.Fprintf(&b, "odbc: ODBC driver %q is not registered with the driver manager (SQLSTATE %s); installed drivers: %s. ", e.Driver, e.Err.SQLState(), installed)
		b.WriteString("Register it in odbcinst.ini (odbcinst -q -d lists the registered drivers; odbcinst -j shows the file) or install its package")
		b.WriteString(packageHint(e.Driver))
	case e.DSN != "":
		fmt.Fprintf(&b, "odbc: data source %q is not defined (SQLSTATE %s); define it in odbc.ini (odbcinst -q -s lists data sources) or use Driver={...} in the connection string; installed drivers: %s", e.DSN, e.Err.SQLState(), installed)
	default:
		fmt.Fprintf(&b, "odbc: the connection string names neither Driver= nor DSN= (SQLSTATE %s); installed drivers: %s", e.Err.SQLState(), installed)
	}
	return b.String()
}

// packageHint names the package that provides well-known drivers.
func packageHint(driver string) string {
	d := strings.ToLower(driver)
	switch {
	case strings.Contains(d, "vector") || strings.Contains(d, "ingres") || strings.Contains(d, "actian"):
		return " (for Actian Vectorwise/Vector: the Actian client runtime's ODBC driver, registered by its iisetup/odbcinst step)"
	case strings.Contains(d, "mariadb") || strings.Contains(d, "mysql"):
		return " (MariaDB: Debian/Ubuntu apt-get install odbc-mariadb; RHEL dnf install mariadb-connector-odbc)"
	case strings.Contains(d, "postgres"):
		return " (PostgreSQL: Debian/Ubuntu apt-get install odbc-postgresql; RHEL dnf install postgresql-odbc)"
	case strings.Contains(d, "sql server"):
		return " (SQL Server: Microsoft's msodbcsql18 package)"
	case strings.Contains(d, "sqlite"):
		return " (SQLite: Debian/Ubuntu apt-get install libsqliteodbc)"
	}
	return " (for Actian Vectorwise: the Actian client's ODBC driver; MariaDB: odbc-mariadb; PostgreSQL: odbc-postgresql)"
}

// installedDrivers lists the driver names registered with the manager.
func (l *lib) installedDrivers(env handle) []string {
	var names []string
	w := l.wcharSize
	desc := make([]byte, 512*w)
	attrs := make([]byte, 4096*w)
	dir := uint16(sqlFetchFirst)
	for range 1000 {
		var dn, an int16
		r := l.SQLDriversW(env, dir, unsafe.Pointer(&desc[0]), int16(len(desc)/w), &dn, unsafe.Pointer(&attrs[0]), int16(len(attrs)/w), &an)
		if !succeeded(r) {
			break
		}
		names = append(names, decodeW(cstringW(desc, w), w))
		dir = sqlFetchNext
	}
	sort.Strings(names)
	return names
}
