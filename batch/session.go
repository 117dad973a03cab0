package batch

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/batch/dialect"
)

// session is the one connection a load runs on: transactions, temporary
// tables and bulk protocols are all per connection.
type session struct {
	conn  *sql.Conn
	d     *dialect.Dialect
	mysql struct {
		localInfile bool
		maxPacket   int
		noBackslash bool
	}
}

func connect(ctx context.Context, db *sql.DB, d *dialect.Dialect) (*session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{conn: conn, d: d}
	for _, q := range d.SessionSQL("") {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if d.Name == dialect.MySQL {
		var local int
		var mode string
		row := conn.QueryRowContext(ctx, "SELECT @@local_infile, @@max_allowed_packet, @@sql_mode")
		if err := row.Scan(&local, &s.mysql.maxPacket, &mode); err != nil {
			conn.Close()
			return nil, fmt.Errorf("reading server settings: %w", err)
		}
		s.mysql.localInfile = local == 1
		s.mysql.noBackslash = strings.Contains(mode, "NO_BACKSLASH_ESCAPES")
	}
	return s, nil
}

// close drops the staging table (best effort: it is session-private and
// vanishes with the connection anyway) and releases the connection.
func (s *session) close(stage string) {
	if s == nil || s.conn == nil {
		return
	}
	if stage != "" {
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
func (s *session) columnTypes(ctx context.Context, d *dialect.Dialect, table string, names []string) ([]colType, error) {
	if d.Name == dialect.MySQL {
		// information_schema has the declared types (TINYINT(1), BIT(8),
		// DATETIME(6)); the protocol's column metadata loses some.
		if cts, err := s.mysqlColumnTypes(ctx, d, table, names); err == nil && cts != nil {
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

func (s *session) mysqlColumnTypes(ctx context.Context, d *dialect.Dialect, table string, names []string) ([]colType, error) {
	parts := dialect.SplitQualified(table)
	name := dialect.Unquote(parts[len(parts)-1])
	q := "SELECT column_name, column_type FROM information_schema.columns WHERE table_name = ? AND table_schema = "
	args := []any{name}
	if len(parts) > 1 {
		q += "?"
		args = append(args, dialect.Unquote(parts[len(parts)-2]))
	} else {
		q += "DATABASE()"
	}
	rs, err := s.conn.QueryContext(ctx, q+" ORDER BY ordinal_position", args...)
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
func (s *session) primaryKey(ctx context.Context, d *dialect.Dialect, table string) ([]string, error) {
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
