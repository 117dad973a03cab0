package batch

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// sink writes the chunks of one unit into a table inside tx and returns the
// number of rows the server reports as affected.
type sink interface {
	name() string
	write(ctx context.Context, s *session, tx *sql.Tx, into string, u *unit) (int64, error)
}

// driverArg is the database/sql argument for a converted value of a
// column of type t, bound as the dialect's driver takes it.
func driverArg(b *dialect.Binding, t *dialect.Type, v rows.Value) any {
	switch v.Kind() {
	case rows.KindNull:
		if b.Null != nil {
			return b.Null(t.Kind)
		}
		return nil
	case rows.KindBool:
		if b.BoolAsInt {
			if v.AsBool() {
				return int64(1)
			}
			return int64(0)
		}
		return v.AsBool()
	case rows.KindInt:
		return v.AsInt()
	case rows.KindFloat:
		return v.AsFloat()
	case rows.KindDecimal:
		// Text keeps every digit; each server parses it into the column's
		// exact type.
		return string(appendDecimal(nil, v))
	case rows.KindString:
		return v.AsString()
	case rows.KindBytes:
		return v.AsBytes()
	case rows.KindDate:
		if b.TemporalAsText {
			return string(appendDate(nil, v.Raw()))
		}
		return v.Time()
	case rows.KindTimestamp:
		if b.TemporalAsText {
			return string(appendWall(nil, v.Raw(), ' '))
		}
		return v.Time()
	case rows.KindTimestampTZ:
		if b.TemporalAsText {
			b := appendWall(nil, v.Raw()+int64(v.Aux())*1e6, ' ')
			return string(appendOffset(b, v.Aux()))
		}
		return v.Time()
	case rows.KindTime:
		return string(appendClock(nil, v.Raw()))
	case rows.KindList, rows.KindMap:
		b, _ := rows.AppendJSON(nil, v)
		return string(b)
	}
	return v.String()
}

// paramInsertSink writes multi-row INSERTs with bind parameters, as many
// rows per statement as the server's parameter limit allows.
type paramInsertSink struct {
	cols   []column
	d      dialect.Dialect
	chunk  int
	perRow bool // one row per statement
}

func (p *paramInsertSink) name() string {
	if p.perRow || p.d.Limits().MaxRowsPerInsert == 1 {
		return "prepared insert"
	}
	return "multi-row insert"
}

func (p *paramInsertSink) write(ctx context.Context, s *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	names := columnNames(p.cols)
	per := p.d.RowsPerInsert(len(p.cols), p.chunk)
	if p.perRow {
		per = 1
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, per*len(p.cols))
	bind := p.d.Binding()
	var affected int64
	for c := u.next(); c != nil; c = u.next() {
		for off := 0; off < c.n; off += per {
			k := min(per, c.n-off)
			st := stmts[k]
			if st == nil {
				var err error
				if st, err = tx.PrepareContext(ctx, p.d.InsertSQL(into, names, k)); err != nil {
					return affected, fmt.Errorf("preparing the insert into %s: %w", into, err)
				}
				stmts[k] = st
			}
			args = args[:0]
			for i := off; i < off+k; i++ {
				for j, v := range c.row(i) {
					args = append(args, driverArg(&bind, &p.cols[j].Type, v))
				}
			}
			r, err := st.ExecContext(ctx, args...)
			if err != nil {
				return affected, fmt.Errorf("rows %d to %d: %w", c.first+int64(off), c.first+int64(off+k)-1, err)
			}
			if n, err := r.RowsAffected(); err == nil {
				affected += n
			}
		}
	}
	return affected, nil
}

// stmtSink executes the user's statement once per row.
type stmtSink struct {
	sql  string
	cols []column
	d    dialect.Dialect
}

func (p *stmtSink) name() string { return "statement per row" }

func (p *stmtSink) write(ctx context.Context, s *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	st, err := tx.PrepareContext(ctx, p.sql)
	if err != nil {
		return 0, fmt.Errorf("preparing the statement: %w", err)
	}
	defer st.Close()
	args := make([]any, len(p.cols))
	bind := p.d.Binding()
	var affected int64
	for c := u.next(); c != nil; c = u.next() {
		for i := 0; i < c.n; i++ {
			for j, v := range c.row(i) {
				args[j] = driverArg(&bind, &p.cols[j].Type, v)
			}
			r, err := st.ExecContext(ctx, args...)
			if err != nil {
				return affected, fmt.Errorf("row %d: %w", c.first+int64(i), err)
			}
			if n, err := r.RowsAffected(); err == nil {
				affected += n
			}
		}
	}
	return affected, nil
}

func columnNames(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}
