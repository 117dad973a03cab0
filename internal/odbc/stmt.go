package odbc

import (
	"context"
	"database/sql/driver"
	"errors"
)

// Stmt is a prepared statement (SQLPrepareW once, SQLExecute per use).
type Stmt struct {
	c        *Conn
	h        handle
	query    string
	numInput int
	params   cbuf
	ptypes   *paramTypes
	rows     *Rows // open result set on h, if any
	closed   bool
}

var (
	_ driver.Stmt             = (*Stmt)(nil)
	_ driver.StmtExecContext  = (*Stmt)(nil)
	_ driver.StmtQueryContext = (*Stmt)(nil)
)

// NumInput is SQLNumParams, or -1 when the driver cannot count.
func (s *Stmt) NumInput() int { return s.numInput }

// Close frees the statement handle and its parameter memory, or leaves
// that to the open Rows on the handle.
func (s *Stmt) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.rows != nil {
		s.rows.closeStmt = s
		s.rows = nil
		return nil
	}
	return s.free()
}

func (s *Stmt) free() error {
	var err error
	if !s.c.closed && s.h != 0 {
		err = s.c.l.check("SQLFreeHandle(STMT)", sqlHandleStmt, s.h, s.c.l.SQLFreeHandle(sqlHandleStmt, s.h))
	}
	s.h = 0
	s.params.free(s.c.l)
	return err
}

func (s *Stmt) paramTypes() *paramTypes {
	if s.ptypes == nil {
		s.ptypes = &paramTypes{h: s.h}
	}
	return s.ptypes
}

// Exec implements driver.Stmt.
func (s *Stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), valuesToNamed(args))
}

// Query implements driver.Stmt.
func (s *Stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), valuesToNamed(args))
}

func valuesToNamed(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

var errStmtClosed = errors.New("odbc: statement is closed")

// ExecContext binds args and runs SQLExecute.
func (s *Stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.closed {
		return nil, errStmtClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.rows != nil {
		// The handle still serves an open result set: use a second one.
		tmp, err := s.c.prepareStmt(ctx, s.query)
		if err != nil {
			return nil, err
		}
		defer tmp.Close()
		return tmp.ExecContext(ctx, args)
	}
	l := s.c.l
	if err := bindParams(s.c, s.h, &s.params, s.paramTypes(), args); err != nil {
		return nil, err
	}
	err := s.c.run(ctx, s.h, "SQLExecute", func() int16 {
		r := l.SQLExecute(s.h)
		if r == sqlNoData {
			r = sqlSuccess
		}
		return r
	})
	if err != nil {
		l.SQLFreeStmt(s.h, sqlClose)
		return nil, err
	}
	return s.c.result(s.h)
}

// QueryContext binds args, runs SQLExecute and returns the result set.
func (s *Stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.closed {
		return nil, errStmtClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.rows != nil {
		// The handle still serves an open result set (database/sql allows a
		// statement to be queried again before): prepare a second handle
		// that the new Rows own.
		tmp, err := s.c.prepareStmt(ctx, s.query)
		if err != nil {
			return nil, err
		}
		rows, err := tmp.QueryContext(ctx, args)
		if err != nil {
			tmp.Close()
			return nil, err
		}
		r := rows.(*Rows)
		r.closeStmt = tmp
		return r, nil
	}
	l := s.c.l
	if err := bindParams(s.c, s.h, &s.params, s.paramTypes(), args); err != nil {
		return nil, err
	}
	w := watchCancel(ctx, l, s.h)
	r := l.SQLExecute(s.h)
	if r == sqlNoData {
		r = sqlSuccess
	}
	if err := l.check("SQLExecute", sqlHandleStmt, s.h, r); err != nil {
		w.stop()
		l.SQLFreeStmt(s.h, sqlClose)
		return nil, s.c.callErr(ctx, err)
	}
	rows, err := newRows(ctx, s.c, s.h, false, w)
	if err != nil {
		w.stop()
		l.SQLFreeStmt(s.h, sqlClose)
		return nil, err
	}
	rows.stmt = s
	s.rows = rows
	return rows, nil
}
