package batch

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/batch/dialect"
)

// session is the one connection a load runs on: transactions, temporary
// tables and bulk protocols are all per connection.
type session struct {
	conn *sql.Conn
	d    dialect.Dialect
	// loadData holds the server's settings for LOAD DATA and literal
	// inserts, for dialects that have them (dialect.LoadDataLoader).
	loadData *dialect.LoadDataSettings
}

func connect(ctx context.Context, db *sql.DB, d dialect.Dialect, extra []string) (*session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{conn: conn, d: d}
	for _, q := range append(d.SessionSQL(""), extra...) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if ld, ok := d.(dialect.LoadDataLoader); ok {
		st, err := ld.ProbeLoadData(ctx, conn)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("reading server settings: %w", err)
		}
		s.loadData = &st
	}
	return s, nil
}

// close drops the staging table (best effort: it is session-private and
// vanishes with the connection anyway) and releases the connection; a
// failed one is discarded, not returned to the database/sql pool.
func (s *session) close(stage string, failed bool) {
	if s == nil || s.conn == nil {
		return
	}
	if failed {
		s.conn.Raw(func(any) error { return driver.ErrBadConn })
	} else if stage != "" {
		s.conn.ExecContext(context.Background(), s.d.DropStageSQL(stage))
	}
	s.conn.Close()
	s.conn = nil
}

type colType struct {
	name string
	typ  dialect.Type
}

// columnTypes looks up the types of the named columns of table (all
// columns, in table order, when names is empty).
func (s *session) columnTypes(ctx context.Context, d dialect.Dialect, table string, names []string) ([]colType, error) {
	if dt, ok := d.(dialect.DeclaredTypes); ok {
		// The declared types carry more than the protocol's column
		// metadata (MySQL: TINYINT(1), BIT(8), DATETIME(6)).
		if cts, err := s.declaredColumnTypes(ctx, dt, table, names); err == nil && cts != nil {
			return cts, nil
		}
	}
	rs, err := s.conn.QueryContext(ctx, d.SelectNoRowsSQL(table, names))
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rs.Close()
	cts, err := rs.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	out := make([]colType, len(cts))
	for i, ct := range cts {
		p, sc, ok := ct.DecimalSize()
		if !ok {
			p, sc = -1, -1
		}
		ln, ok := ct.Length()
		if !ok {
			ln = -1
		}
		out[i] = colType{name: ct.Name(), typ: d.Classify(ct.DatabaseTypeName(), p, sc, ln)}
	}
	if len(names) > 0 && len(out) == len(names) {
		for i := range out {
			if strings.EqualFold(out[i].name, names[i]) {
				out[i].name = names[i]
			}
		}
	}
	return out, nil
}

func (s *session) declaredColumnTypes(ctx context.Context, d dialect.DeclaredTypes, table string, names []string) ([]colType, error) {
	q, args := d.ColumnTypesSQL(table)
	rs, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var all []colType
	for rs.Next() {
		var cn, ct string
		if err := rs.Scan(&cn, &ct); err != nil {
			return nil, err
		}
		all = append(all, colType{name: cn, typ: d.Classify(ct, -1, -1, -1)})
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, nil // a temporary table or no such table: ask the server
	}
	if len(names) == 0 {
		return all, nil
	}
	out := make([]colType, len(names))
	for i, n := range names {
		found := false
		for _, c := range all {
			if strings.EqualFold(c.name, n) {
				out[i] = colType{name: n, typ: c.typ}
				found = true
				break
			}
		}
		if !found {
			return nil, permanentError{fmt.Errorf("%s has no column %q", table, n)}
		}
	}
	return out, nil
}

// primaryKey returns the primary-key columns of table in key order.
func (s *session) primaryKey(ctx context.Context, d dialect.Dialect, table string) ([]string, error) {
	q, args := d.PrimaryKeySQL(table)
	rs, err := s.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var c string
		if err := rs.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rs.Err()
}

// permanentError marks a problem with the load's definition (a column that
// does not exist) that a retry cannot fix: the executor does not retry it
// (plugin.IsPermanent reads the Permanent method).
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }
