package odbc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// Conn is one ODBC connection (an environment and a connection handle).
// database/sql uses it from one goroutine at a time; only SQLCancel is
// called from another goroutine, as ODBC allows.
type Conn struct {
	l        *lib
	env, dbc handle
	cfg      *Connector

	inTx       bool
	txChanged  txAttrs // attributes BeginTx changed, restored at the end
	bad        bool    // a communication error (SQLSTATE 08xxx) happened
	closed     bool
	getDataExt uint32 // SQL_GETDATA_EXTENSIONS bits
	parcBatch  bool   // SQL_PARAM_ARRAY_ROW_COUNTS == SQL_PARC_BATCH
	dbmsName   string
	driverName string

	scratch cbuf // parameter memory for unprepared statements
}

type txAttrs struct {
	isolation bool
	isoBefore uint32
	readOnly  bool
}

var (
	_ driver.Conn               = (*Conn)(nil)
	_ driver.ConnBeginTx        = (*Conn)(nil)
	_ driver.ConnPrepareContext = (*Conn)(nil)
	_ driver.ExecerContext      = (*Conn)(nil)
	_ driver.QueryerContext     = (*Conn)(nil)
	_ driver.Pinger             = (*Conn)(nil)
	_ driver.SessionResetter    = (*Conn)(nil)
	_ driver.Validator          = (*Conn)(nil)
	_ driver.NamedValueChecker  = (*Conn)(nil)
)

func (c *Conn) readInfo() {
	var v uint32
	if succeeded(c.l.SQLGetInfoUint(c.dbc, sqlInfoGetDataExtensions, &v)) {
		c.getDataExt = v
	}
	v = 0
	if succeeded(c.l.SQLGetInfoUint(c.dbc, sqlInfoParamArrayRowCnt, &v)) {
		c.parcBatch = v == sqlParcBatch
	}
	c.dbmsName = c.infoString(sqlInfoDBMSName)
	c.driverName = c.infoString(sqlInfoDriverName)
}

func (c *Conn) infoString(info uint16) string {
	w := c.l.wcharSize
	buf := make([]byte, 256*w)
	var n int16
	if !succeeded(c.l.SQLGetInfoW(c.dbc, info, unsafe.Pointer(&buf[0]), int16(len(buf)), &n)) {
		return ""
	}
	// SQLGetInfoW lengths are in bytes.
	return decodeW(cstringW(buf[:min(int(n), len(buf))], w), w)
}

// DBMSName is SQL_DBMS_NAME ("MariaDB", "PostgreSQL", "Vector").
func (c *Conn) DBMSName() string { return c.dbmsName }

// DriverName is SQL_DRIVER_NAME, the driver's library ("libmaodbc.so").
func (c *Conn) DriverName() string { return c.driverName }

// Close disconnects and frees the handles.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	var err error
	if c.inTx {
		// Never let a disconnect commit implicitly.
		c.l.SQLEndTran(sqlHandleDbc, c.dbc, sqlRollback)
	}
	if r := c.l.SQLDisconnect(c.dbc); !succeeded(r) && !c.bad {
		err = c.l.check("SQLDisconnect", sqlHandleDbc, c.dbc, r)
	}
	c.l.SQLFreeHandle(sqlHandleDbc, c.dbc)
	c.l.SQLFreeHandle(sqlHandleEnv, c.env)
	c.scratch.free(c.l)
	return err
}

// noteErr marks the connection bad after communication errors so that
// database/sql discards it instead of reusing it.
func (c *Conn) noteErr(err error) error {
	if err != nil && (hasState(err, "08") || hasState(err, "HYT01")) {
		c.bad = true
	}
	return err
}

// Ping reports whether the driver still considers the connection alive
// (SQL_ATTR_CONNECTION_DEAD, answered without a round trip by most drivers).
func (c *Conn) Ping(ctx context.Context) error {
	if c.bad || c.closed {
		return driver.ErrBadConn
	}
	var dead uint32
	if succeeded(c.l.SQLGetConnectAttr(c.dbc, sqlAttrConnDead, &dead)) && dead == sqlCDTrue {
		c.bad = true
		return driver.ErrBadConn
	}
	return nil
}

// ResetSession is called before a pooled connection is reused.
func (c *Conn) ResetSession(ctx context.Context) error {
	if !c.IsValid() {
		return driver.ErrBadConn
	}
	return nil
}

// IsValid reports whether the pool may keep the connection.
func (c *Conn) IsValid() bool { return !c.bad && !c.closed }

// Begin starts a transaction with default options.
func (c *Conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

var isolationLevels = map[sql.IsolationLevel]uint32{
	sql.LevelReadUncommitted: sqlTxnReadUncommit,
	sql.LevelReadCommitted:   sqlTxnReadCommitted,
	sql.LevelRepeatableRead:  sqlTxnRepeatableRead,
	sql.LevelSerializable:    sqlTxnSerializable,
}

// BeginTx turns autocommit off (SQL_ATTR_AUTOCOMMIT); the transaction ends
// with SQLEndTran. Isolation levels map to SQL_ATTR_TXN_ISOLATION and
// ReadOnly to SQL_ATTR_ACCESS_MODE; both are restored afterwards. ODBC
// defines ACCESS_MODE as a hint: psqlodbc, for one, accepts
// it without enforcing it, so ReadOnly does not protect against writes.
func (c *Conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.inTx {
		return nil, errors.New("odbc: a transaction is already open on this connection")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var changed txAttrs
	if level := sql.IsolationLevel(opts.Isolation); level != sql.LevelDefault {
		v, ok := isolationLevels[level]
		if !ok {
			return nil, fmt.Errorf("odbc: isolation level %v is not supported by ODBC", level)
		}
		if succeeded(c.l.SQLGetConnectAttr(c.dbc, sqlAttrTxnIsolation, &changed.isoBefore)) {
			changed.isolation = true
		}
		if err := c.l.check("SQLSetConnectAttr(TXN_ISOLATION)", sqlHandleDbc, c.dbc, c.l.SQLSetConnectAttr(c.dbc, sqlAttrTxnIsolation, uintptr(v))); err != nil {
			return nil, c.noteErr(err)
		}
	}
	if opts.ReadOnly {
		if err := c.l.check("SQLSetConnectAttr(ACCESS_MODE)", sqlHandleDbc, c.dbc, c.l.SQLSetConnectAttr(c.dbc, sqlAttrAccessMode, sqlModeReadOnly)); err != nil {
			c.restoreTxAttrs(changed)
			return nil, c.noteErr(err)
		}
		changed.readOnly = true
	}
	if err := c.l.check("SQLSetConnectAttr(AUTOCOMMIT off)", sqlHandleDbc, c.dbc, c.l.SQLSetConnectAttr(c.dbc, sqlAttrAutocommit, sqlAutocommitOff)); err != nil {
		c.restoreTxAttrs(changed)
		return nil, c.noteErr(err)
	}
	c.inTx = true
	c.txChanged = changed
	return &tx{c: c}, nil
}

func (c *Conn) restoreTxAttrs(a txAttrs) {
	if a.readOnly {
		c.l.SQLSetConnectAttr(c.dbc, sqlAttrAccessMode, sqlModeReadWrite)
	}
	if a.isolation {
		c.l.SQLSetConnectAttr(c.dbc, sqlAttrTxnIsolation, uintptr(a.isoBefore))
	}
}

type tx struct{ c *Conn }

func (t *tx) Commit() error   { return t.end(sqlCommit, "COMMIT") }
func (t *tx) Rollback() error { return t.end(sqlRollback, "ROLLBACK") }

func (t *tx) end(completion int16, what string) error {
	c := t.c
	if !c.inTx {
		return errors.New("odbc: transaction already ended")
	}
	c.inTx = false
	err := c.l.check("SQLEndTran("+what+")", sqlHandleDbc, c.dbc, c.l.SQLEndTran(sqlHandleDbc, c.dbc, completion))
	// Back to autocommit whatever happened, so the pooled connection is clean.
	aerr := c.l.check("SQLSetConnectAttr(AUTOCOMMIT on)", sqlHandleDbc, c.dbc, c.l.SQLSetConnectAttr(c.dbc, sqlAttrAutocommit, sqlAutocommitOn))
	c.restoreTxAttrs(c.txChanged)
	c.txChanged = txAttrs{}
	if err != nil {
		return c.noteErr(err)
	}
	if aerr != nil {
		// The connection's mode is unknown now; do not pool it.
		c.bad = true
		return aerr
	}
	return nil
}

// Prepare prepares a statement.
func (c *Conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext allocates a statement handle and SQLPrepareW's the query.
func (c *Conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.prepareStmt(ctx, query)
}

func (c *Conn) prepareStmt(ctx context.Context, query string) (*Stmt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := c.allocStmt()
	if err != nil {
		return nil, err
	}
	if err := c.prepare(ctx, h, query); err != nil {
		c.l.SQLFreeHandle(sqlHandleStmt, h)
		return nil, err
	}
	s := &Stmt{c: c, h: h, query: query, numInput: -1}
	var n int16
	if succeeded(c.l.SQLNumParams(h, &n)) {
		s.numInput = int(n)
	}
	return s, nil
}

func (c *Conn) allocStmt() (handle, error) {
	if c.closed {
		return 0, driver.ErrBadConn
	}
	var h handle
	if err := c.l.check("SQLAllocHandle(STMT)", sqlHandleDbc, c.dbc, c.l.SQLAllocHandle(sqlHandleStmt, c.dbc, &h)); err != nil {
		return 0, c.noteErr(err)
	}
	return h, nil
}

func (c *Conn) prepare(ctx context.Context, h handle, query string) error {
	q, n := encodeW(query, c.l.wcharSize)
	return c.run(ctx, h, "SQLPrepareW", func() int16 { return c.l.SQLPrepareW(h, unsafe.Pointer(&q[0]), int32(n)) })
}

// run executes one blocking ODBC call on statement h, calling SQLCancel(h)
// from another goroutine if ctx ends first. An error after cancellation
// matches both ctx.Err() and the driver's *Error.
func (c *Conn) run(ctx context.Context, h handle, op string, call func() int16) error {
	w := watchCancel(ctx, c.l, h)
	r := call()
	w.stop()
	return c.callErr(ctx, c.l.check(op, sqlHandleStmt, h, r))
}

// callErr makes a failed call's error match ctx.Err() too when the context
// ended (the failure is then most likely the cancellation), and notes
// communication errors.
func (c *Conn) callErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return c.noteErr(err)
}

// canceler calls SQLCancel on a statement when a context ends, until stopped.
type canceler struct {
	mu      sync.Mutex
	stopped bool
	stopFn  func() bool
}

func watchCancel(ctx context.Context, l *lib, h handle) *canceler {
	w := &canceler{}
	if ctx.Done() == nil {
		return w
	}
	w.stopFn = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.stopped {
			l.SQLCancel(h)
		}
	})
	return w
}

// stop returns once no SQLCancel is running or can start: the handle may be
// reused or freed afterwards.
func (w *canceler) stop() {
	if w.stopFn != nil {
		w.stopFn()
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

// ExecContext runs a statement without preparing it (SQLExecDirectW), with
// parameters bound when args are given.
func (c *Conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := c.allocStmt()
	if err != nil {
		return nil, err
	}
	defer c.l.SQLFreeHandle(sqlHandleStmt, h)
	if err := bindParams(c, h, &c.scratch, nil, args); err != nil {
		return nil, err
	}
	q, n := encodeW(query, c.l.wcharSize)
	err = c.run(ctx, h, "SQLExecDirectW", func() int16 {
		r := c.l.SQLExecDirectW(h, unsafe.Pointer(&q[0]), int32(n))
		if r == sqlNoData { // a searched UPDATE/DELETE that touched no row
			r = sqlSuccess
		}
		return r
	})
	if err != nil {
		return nil, err
	}
	return c.result(h)
}

func (c *Conn) result(h handle) (driver.Result, error) {
	var n int64
	if err := c.l.check("SQLRowCount", sqlHandleStmt, h, c.l.SQLRowCount(h, &n)); err != nil {
		return nil, err
	}
	c.l.SQLFreeStmt(h, sqlClose)
	c.l.SQLFreeStmt(h, sqlResetParams)
	return result(n), nil
}

// result is a driver.Result: ODBC has no portable last-insert-id.
type result int64

func (r result) RowsAffected() (int64, error) { return int64(r), nil }
func (r result) LastInsertId() (int64, error) {
	return 0, errors.New("odbc: LastInsertId is not supported; select the id (LAST_INSERT_ID(), RETURNING, IDENTITY_VAL_LOCAL()) instead")
}

// QueryContext runs a query without preparing it; the statement handle
// belongs to the returned Rows.
func (c *Conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := c.allocStmt()
	if err != nil {
		return nil, err
	}
	if err := bindParams(c, h, &c.scratch, nil, args); err != nil {
		c.l.SQLFreeHandle(sqlHandleStmt, h)
		return nil, err
	}
	q, n := encodeW(query, c.l.wcharSize)
	w := watchCancel(ctx, c.l, h)
	r := c.l.SQLExecDirectW(h, unsafe.Pointer(&q[0]), int32(n))
	if r == sqlNoData {
		r = sqlSuccess
	}
	if err := c.l.check("SQLExecDirectW", sqlHandleStmt, h, r); err != nil {
		w.stop()
		c.l.SQLFreeHandle(sqlHandleStmt, h)
		return nil, c.callErr(ctx, err)
	}
	c.l.SQLFreeStmt(h, sqlResetParams)
	rows, err := newRows(ctx, c, h, true, w)
	if err != nil {
		w.stop()
		c.l.SQLFreeHandle(sqlHandleStmt, h)
		return nil, err
	}
	return rows, nil
}
