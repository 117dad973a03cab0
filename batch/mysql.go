package batch

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/sluicehq/sluice/internal/rows"
)

var loadSeq atomic.Int64

// mysqlLoadSink streams rows with LOAD DATA LOCAL INFILE from an in-memory
// reader (go-sql-driver's Reader:: handlers), MySQL's fastest load path.
// With LOCAL the server turns data errors and duplicate keys into warnings
// instead of failing; values are converted to the column types before they
// are sent, and any warning after the load fails it, so nothing is
// truncated or skipped silently.
type mysqlLoadSink struct {
	cols []column
}

func (s *mysqlLoadSink) name() string { return "load data local" }

func (s *mysqlLoadSink) write(ctx context.Context, sess *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	d := sess.d
	name := "sluice-" + strconv.FormatInt(loadSeq.Add(1), 10)
	r := &loadReader{u: u, cols: s.cols}
	mysql.RegisterReaderHandler(name, func() io.Reader { return r })
	defer mysql.DeregisterReaderHandler(name)

	var target, set []string
	for i, c := range s.cols {
		if c.Type.Name == "BIT" {
			// Text cannot be loaded into BIT directly; go through a
			// variable.
			v := "@sluice_v" + strconv.Itoa(i)
			target = append(target, v)
			set = append(set, d.QuoteIdent(c.Name)+" = CAST("+v+" AS UNSIGNED)")
			continue
		}
		target = append(target, d.QuoteIdent(c.Name))
	}
	q := "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE " + d.QuoteTable(into) +
		" CHARACTER SET binary (" + strings.Join(target, ", ") + ")"
	if len(set) > 0 {
		q += " SET " + strings.Join(set, ", ")
	}
	res, err := tx.ExecContext(ctx, q)
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return 0, r.err
	}
	if err != nil {
		return 0, fmt.Errorf("LOAD DATA into %s (from input row %d): %w", into, r.first, err)
	}
	n, _ := res.RowsAffected()
	if err := mysqlWarnings(ctx, tx, "LOAD DATA into "+into, r.first); err != nil {
		return n, err
	}
	if n != r.rows {
		return n, fmt.Errorf("LOAD DATA into %s loaded %d of %d rows", into, n, r.rows)
	}
	return n, nil
}

// mysqlWarnings fails when the last statement left warnings.
func mysqlWarnings(ctx context.Context, tx *sql.Tx, what string, firstRow int64) error {
	var count int
	if err := tx.QueryRowContext(ctx, "SHOW COUNT(*) WARNINGS").Scan(&count); err != nil {
		return fmt.Errorf("reading warnings: %w", err)
	}
	if count == 0 {
		return nil
	}
	rs, err := tx.QueryContext(ctx, "SHOW WARNINGS LIMIT 3")
	if err != nil {
		return fmt.Errorf("%s: %d warnings", what, count)
	}
	defer rs.Close()
	var msgs []string
	for rs.Next() {
		var level, msg string
		var code int
		if err := rs.Scan(&level, &code, &msg); err == nil {
			msgs = append(msgs, fmt.Sprintf("%s %d: %s", level, code, msg))
		}
	}
	return fmt.Errorf("%s (from input row %d): the server reported %d warnings, so values would have been changed or rows skipped: %s",
		what, firstRow, count, strings.Join(msgs, "; "))
}

// loadReader encodes chunks in LOAD DATA's default format: tab-separated,
// newline-terminated, backslash escapes, \N for NULL.
type loadReader struct {
	u     *unit
	cols  []column
	buf   []byte
	off   int
	rows  int64
	first int64
	err   error
}

func (r *loadReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		c := r.u.next()
		if c == nil {
			if err := r.u.failed(); err != nil {
				r.err = err
				return 0, err
			}
			r.err = io.EOF
			return 0, io.EOF
		}
		if r.first == 0 {
			r.first = c.first
		}
		r.buf, r.off = r.buf[:0], 0
		var err error
		if r.buf, err = encodeLoadData(r.buf, c, r.cols); err != nil {
			r.err = err
			return 0, err
		}
		r.rows += int64(c.n)
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

func encodeLoadData(b []byte, c *chunk, cols []column) ([]byte, error) {
	for i := 0; i < c.n; i++ {
		for j, v := range c.row(i) {
			if j > 0 {
				b = append(b, '\t')
			}
			switch v.Kind() {
			case rows.KindNull:
				b = append(b, '\\', 'N')
			case rows.KindString, rows.KindBytes:
				b = appendTextEscaped(b, v.AsBytes(), true)
			case rows.KindList, rows.KindMap:
				j, _ := rows.AppendJSON(nil, v)
				b = appendTextEscaped(b, j, true)
			default:
				var err error
				if b, err = appendMySQLScalar(b, v); err != nil {
					return b, &rows.RowError{Row: c.first + int64(i), Column: cols[j].Name, Value: v.String(), Err: err}
				}
			}
		}
		b = append(b, '\n')
	}
	return b, nil
}

// appendMySQLScalar appends numbers, booleans and temporal values as MySQL
// reads them (unquoted); TIMESTAMP values are UTC wall clocks, the session
// zone sluice sets.
func appendMySQLScalar(b []byte, v rows.Value) ([]byte, error) {
	switch v.Kind() {
	case rows.KindBool:
		if v.AsBool() {
			return append(b, '1'), nil
		}
		return append(b, '0'), nil
	case rows.KindInt:
		return strconv.AppendInt(b, v.AsInt(), 10), nil
	case rows.KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, fmt.Errorf("MySQL cannot store %s", rows.FormatFloat(f))
		}
		return appendFloat(b, f), nil
	case rows.KindDecimal:
		return appendDecimal(b, v), nil
	case rows.KindDate:
		return appendDate(b, v.Raw()), nil
	case rows.KindTimestamp:
		return appendWall(b, v.Raw(), ' '), nil
	case rows.KindTimestampTZ:
		return appendWall(b, v.Raw(), ' '), nil
	case rows.KindTime:
		return appendClock(b, v.Raw()), nil
	}
	return b, fmt.Errorf("cannot write a %s value", v.Kind())
}

// mysqlInsertSink writes multi-row INSERTs with literal values, each
// statement kept under the server's max_allowed_packet (and under 16 MiB,
// beyond which a bigger statement no longer pays). Literals avoid the
// 65535-placeholder limit and the prepare round trip of bound parameters.
type mysqlInsertSink struct {
	cols        []column
	maxPacket   int
	noBackslash bool
	chunk       int
}

func (s *mysqlInsertSink) name() string { return "multi-row insert" }

func (s *mysqlInsertSink) write(ctx context.Context, sess *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	d := sess.d
	prefix := d.InsertPrefix(into, columnNames(s.cols))
	limit := min(max(s.maxPacket-1024, 64<<10), 16<<20)
	buf := make([]byte, 0, min(limit, 1<<20))
	var affected int64
	pending, firstRow := 0, int64(0)
	flush := func() error {
		if pending == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, string(buf))
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", firstRow, firstRow+int64(pending)-1, err)
		}
		if n, err := res.RowsAffected(); err == nil {
			affected += n
		}
		pending = 0
		return nil
	}
	var row []byte
	for c := u.next(); c != nil; c = u.next() {
		for i := 0; i < c.n; i++ {
			row = append(row[:0], '(')
			for j, v := range c.row(i) {
				if j > 0 {
					row = append(row, ',')
				}
				var err error
				if row, err = appendMySQLLiteral(row, v, s.noBackslash); err != nil {
					return affected, &rows.RowError{Row: c.first + int64(i), Column: s.cols[j].Name, Value: v.String(), Err: err}
				}
			}
			row = append(row, ')')
			if pending > 0 && (len(buf)+1+len(row) > limit || pending >= s.chunk) {
				if err := flush(); err != nil {
					return affected, err
				}
			}
			if pending == 0 {
				buf = append(buf[:0], prefix...)
				firstRow = c.first + int64(i)
			} else {
				buf = append(buf, ',')
			}
			buf = append(buf, row...)
			pending++
		}
	}
	if u.failed() != nil {
		return affected, u.failed()
	}
	return affected, flush()
}

// appendMySQLLiteral appends v as a SQL literal.
func appendMySQLLiteral(b []byte, v rows.Value, noBackslash bool) ([]byte, error) {
	switch v.Kind() {
	case rows.KindNull:
		return append(b, "NULL"...), nil
	case rows.KindString:
		return appendMySQLString(b, v.AsBytes(), noBackslash), nil
	case rows.KindBytes:
		if len(v.AsBytes()) == 0 {
			return append(b, "''"...), nil
		}
		b = append(b, "X'"...)
		b = hex.AppendEncode(b, v.AsBytes())
		return append(b, '\''), nil
	case rows.KindList, rows.KindMap:
		j, _ := rows.AppendJSON(nil, v)
		return appendMySQLString(b, j, noBackslash), nil
	case rows.KindDate, rows.KindTimestamp, rows.KindTimestampTZ, rows.KindTime:
		b = append(b, '\'')
		b, err := appendMySQLScalar(b, v)
		return append(b, '\''), err
	}
	return appendMySQLScalar(b, v)
}

func appendMySQLString(b, s []byte, noBackslash bool) []byte {
	b = append(b, '\'')
	start := 0
	for i, c := range s {
		var esc []byte
		switch {
		case c == '\'':
			esc = []byte("''")
		case noBackslash:
			continue
		case c == '\\':
			esc = []byte(`\\`)
		case c == 0:
			esc = []byte(`\0`)
		case c == '\n':
			esc = []byte(`\n`)
		case c == '\r':
			esc = []byte(`\r`)
		case c == 0x1a:
			esc = []byte(`\Z`)
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '\'')
}
