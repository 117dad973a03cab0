// Package odbc is a database/sql driver for ODBC that needs no C compiler:
// it loads the system's unixODBC driver manager (libodbc.so.2) at run time
// with purego and calls it directly. sluice reaches Actian Vectorwise, and
// any database that only has an ODBC driver, through it.
//
// # Use
//
//	import _ "github.com/sluicehq/sluice/internal/odbc"
//	db, err := sql.Open("odbc", "Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Database=test;User=root;Password=;")
//
// The data source name is an ODBC connection string, passed to
// SQLDriverConnectW unchanged (ParseConnString, BuildConnString and
// QuoteValue build one; values containing ';' '{' '}' are braced with '}'
// doubled). Parameters are positional '?'. sql.OpenDB(&Connector{...})
// changes the fetch and batch sizes. Conn.ExecBatch (or the ExecBatch
// helper on a *sql.Conn) sends many rows as ODBC parameter arrays.
//
// When libodbc cannot be loaded, connecting fails with an error that wraps
// ErrDriverManagerNotFound and names the packages to install; Available
// reports it up front. When the connection string names a driver the
// manager does not know, the error is a *DriverNotFoundError that lists the
// registered drivers and says how to register or install the missing one.
//
// # Wide-character API
//
// Every call that carries text uses the W entry points (SQLDriverConnectW,
// SQLPrepareW, SQLExecDirectW, SQLDescribeColW, SQLGetDiagRecW), and text
// data is bound and fetched as SQL_C_WCHAR, converted between UTF-8 and
// UTF-16 in Go (UTF-32 with iODBC, whose SQLWCHAR is wchar_t). The narrow
// API was rejected: unixODBC converts narrow calls for Unicode drivers with
// the process locale, which is C/POSIX in containers, and narrow SQL_C_CHAR
// data is in a driver- and setting-dependent encoding (psqlodbc: the client
// encoding; MariaDB: the connection charset). The integration tests push
// non-ASCII SQL text, column names, parameters and multi-megabyte values
// through both drivers and read them back exactly. Decimal and time-of-day
// values, which are ASCII, are fetched as SQL_C_CHAR.
//
// # Values
//
// Parameters: int64 (and the other integer types), uint64, float64 (and
// float32, via its shortest decimal), bool, string, []byte, time.Time and
// nil. Decimals are passed as strings so the server converts them exactly.
// A nil []byte is NULL. time.Time is sent as a TIMESTAMP with the wall clock
// of its location (no zone conversion), to the microsecond, or to the
// nanosecond when it has sub-microsecond digits.
//
// Results (what Rows.Next stores; see rows.go for the mapping): int64 for
// integer types (uint64 for BIGINT UNSIGNED values above MaxInt64),
// float64, bool for BIT/BOOLEAN where the driver reports SQL_BIT, string for
// character data and for DECIMAL/NUMERIC (exact, as the driver formats it:
// "12345.6789000000"), []byte for binary data, time.Time in UTC for DATE and
// TIMESTAMP (the driver's wall clock, to the nanosecond), string for TIME
// and other types. Driver settings decide some of these: psqlodbc reports
// booleans as VARCHAR unless the connection string has BoolsAsChar=0, and
// MariaDB's BOOLEAN is TINYINT(1), read as int64.
//
// # Fetching
//
// Result sets use block cursors: columns of bounded size are bound with
// SQLBindCol to column-wise C arrays of up to Connector.FetchRows rows
// (default 1024, capped by FetchBufferBytes), filled by one SQLFetch
// (SQL_ATTR_ROW_ARRAY_SIZE). Long columns (TEXT, BLOB, anything wider than
// MaxBoundColumnBytes) are read with SQLGetData in chunks sized from the
// driver's reported remaining length; a result set with such a column is
// fetched one row at a time. A bound value longer than the column's
// declared size (psqlodbc declares unbounded VARCHAR as 255) is re-read
// with SQLSetPos + SQLGetData. Both drivers buffer whole result sets on the
// client by default; for streaming large tables add UseDeclareFetch=1;Fetch=N
// (psqlodbc) or OPTION=1048576 (MariaDB's no-cache flag) to the connection
// string. The integration tests pass in both modes.
//
// # Memory and the Go garbage collector
//
// purego.SyscallN is //go:uintptrescapes, so Go memory passed as
// uintptr(unsafe.Pointer(p)) in the call expression is moved to the heap
// (which does not move) and kept alive for the call; only arguments the
// driver uses during the call (strings, out parameters, SQLGetData
// buffers) are Go memory. Buffers the driver keeps and touches in later
// calls (SQLBindCol and SQLBindParameter targets, indicator arrays,
// SQL_ATTR_ROWS_FETCHED_PTR and the status arrays) are allocated with the C
// library's malloc, resolved through libodbc, hold no Go pointers, are
// unbound before being freed, and are freed by Rows.Close, Stmt.Close and
// Conn.Close. No runtime.Pinner is needed and no callback is handed to C.
//
// # Cancellation and transactions
//
// A context that ends while a statement runs (or while its Rows are open)
// makes another goroutine call SQLCancel on the statement; the call
// returns an error matching both ctx.Err() and the driver's *Error.
// Connecting cannot be interrupted; a deadline becomes SQL_ATTR_LOGIN_TIMEOUT.
// Transactions turn SQL_ATTR_AUTOCOMMIT off and end with SQLEndTran;
// isolation levels map to SQL_ATTR_TXN_ISOLATION. ReadOnly maps to
// SQL_ATTR_ACCESS_MODE, which drivers may treat as a hint only.
//
// # Not supported
//
// Named parameters, output parameters and stored-procedure return values,
// LastInsertId (select the id instead), scrollable cursors, asynchronous
// ODBC execution, and connection pooling by the driver manager (database/sql
// pools). Errors with SQLSTATE class 08 mark the connection bad so the pool
// drops it; statements are never retried by the driver.
package odbc
