package odbc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"
	"unsafe"
)

func init() { sql.Register("odbc", &Driver{}) }

// Driver is the database/sql driver registered as "odbc". The data source
// name is an ODBC connection string:
//
//	Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Database=test;User=root;Password=;
type Driver struct{}

// Open connects with a connection string.
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector checks the connection string's syntax; it does not load the
// driver manager, so sql.Open never fails on a machine without unixODBC.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	return NewConnector(dsn)
}

// Connector opens connections with one connection string and fetch settings.
// Use it with sql.OpenDB to change the defaults.
type Connector struct {
	ConnString string
	// FetchRows is the most rows one SQLFetch returns into bound arrays
	// (SQL_ATTR_ROW_ARRAY_SIZE); 0 means 1024. Columns of unbounded size
	// (TEXT, BLOB) are fetched one row at a time with SQLGetData instead.
	FetchRows int
	// FetchBufferBytes caps the C memory of one result set's bound arrays;
	// the row count is reduced to fit. 0 means 8 MiB.
	FetchBufferBytes int
	// MaxBoundColumnBytes is the largest per-row buffer a column gets in the
	// bound arrays; wider columns are read with SQLGetData. 0 means 8 KiB.
	MaxBoundColumnBytes int
	// FetchWithGetData reads every column with SQLGetData, one row per
	// SQLFetch, binding nothing: the slowest path, for drivers whose block
	// cursors or SQLBindCol misbehave.
	FetchWithGetData bool
	// BatchBufferBytes caps the C memory of one ExecBatch chunk's parameter
	// arrays; the batch is split into chunks that fit. 0 means 32 MiB.
	BatchBufferBytes int
	// DisableParamArrays makes ExecBatch execute row by row even when the
	// driver supports parameter arrays (SQL_ATTR_PARAMSET_SIZE).
	DisableParamArrays bool
}

// NewConnector validates the connection string syntax.
func NewConnector(connString string) (*Connector, error) {
	if _, err := ParseConnString(connString); err != nil {
		return nil, err
	}
	return &Connector{ConnString: connString}, nil
}

// Driver returns the package's driver.
func (c *Connector) Driver() driver.Driver { return &Driver{} }

// Connect allocates an environment and a connection handle and connects with
// SQLDriverConnectW. A context deadline becomes SQL_ATTR_LOGIN_TIMEOUT; the
// call itself cannot be interrupted.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	attrs, err := ParseConnString(c.ConnString)
	if err != nil {
		return nil, err
	}
	l, err := getLib()
	if err != nil {
		return nil, err
	}
	var env, dbc handle
	if r := l.SQLAllocHandle(sqlHandleEnv, 0, &env); !succeeded(r) {
		return nil, fmt.Errorf("odbc: SQLAllocHandle(ENV) failed (SQLRETURN %d)", r)
	}
	fail := func(err error) (driver.Conn, error) {
		if dbc != 0 {
			l.SQLFreeHandle(sqlHandleDbc, dbc)
		}
		l.SQLFreeHandle(sqlHandleEnv, env)
		return nil, err
	}
	if err := l.check("SQLSetEnvAttr(ODBC_VERSION)", sqlHandleEnv, env, l.SQLSetEnvAttr(env, sqlAttrODBCVersion, sqlOVODBC3)); err != nil {
		return fail(err)
	}
	if err := l.check("SQLAllocHandle(DBC)", sqlHandleEnv, env, l.SQLAllocHandle(sqlHandleDbc, env, &dbc)); err != nil {
		return fail(err)
	}
	if dl, ok := ctx.Deadline(); ok {
		secs := int(time.Until(dl).Seconds() + 0.999)
		if secs < 1 {
			secs = 1
		}
		// Not every driver supports a login timeout; ignore a refusal.
		l.SQLSetConnectAttr(dbc, sqlAttrLoginTimeout, uintptr(secs))
	}
	in, _ := encodeW(c.ConnString, l.wcharSize)
	out := make([]byte, 2048*l.wcharSize)
	var outLen int16
	r := l.SQLDriverConnectW(dbc, unsafe.Pointer(&in[0]), sqlNTS, unsafe.Pointer(&out[0]), int16(len(out)/l.wcharSize), &outLen)
	if err := l.check("SQLDriverConnectW", sqlHandleDbc, dbc, r); err != nil {
		if dnf := driverNotFound(err, attrs, func() []string { return l.installedDrivers(env) }); dnf != nil {
			return fail(dnf)
		}
		return fail(fmt.Errorf("connecting with %s: %w", Redact(c.ConnString), err))
	}
	conn := &Conn{l: l, env: env, dbc: dbc, cfg: c}
	conn.readInfo()
	return conn, nil
}

func (c *Connector) fetchRows() int {
	if c.FetchRows > 0 {
		return c.FetchRows
	}
	return 1024
}

func (c *Connector) fetchBufferBytes() int {
	if c.FetchBufferBytes > 0 {
		return c.FetchBufferBytes
	}
	return 8 << 20
}

func (c *Connector) maxBoundColumnBytes() int {
	if c.MaxBoundColumnBytes > 0 {
		return c.MaxBoundColumnBytes
	}
	return 8 << 10
}

func (c *Connector) batchBufferBytes() int {
	if c.BatchBufferBytes > 0 {
		return c.BatchBufferBytes
	}
	return 32 << 20
}

var (
	_ driver.DriverContext = (*Driver)(nil)
	_ driver.Connector     = (*Connector)(nil)
)
