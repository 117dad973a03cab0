package batch

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/sluicehq/sluice/internal/rows"
)

// mssqlBulkSink loads through the TDS bulk-load protocol (go-mssqldb's
// CopyIn, what bcp and SqlBulkCopy use): rows stream in one INSERT BULK
// without a round trip per statement and without the 2100-parameter limit.
// Constraints are checked and triggers fired, as a plain INSERT would.
type mssqlBulkSink struct {
	cols []column
}

func (s *mssqlBulkSink) name() string { return "bulk copy" }

func (s *mssqlBulkSink) write(ctx context.Context, sess *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	opts := mssql.BulkOptions{CheckConstraints: true, FireTriggers: true, KeepNulls: true}
	st, err := tx.PrepareContext(ctx, mssql.CopyIn(into, opts, columnNames(s.cols)...))
	if err != nil {
		return 0, fmt.Errorf("starting the bulk copy into %s: %w", into, err)
	}
	defer st.Close()
	args := make([]any, len(s.cols))
	for c := u.next(); c != nil; c = u.next() {
		for i := 0; i < c.n; i++ {
			for j, v := range c.row(i) {
				a, err := mssqlBulkArg(&s.cols[j], v)
				if err != nil {
					return 0, &rows.RowError{Row: c.first + int64(i), Column: s.cols[j].Name, Value: v.String(), Err: err}
				}
				args[j] = a
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return 0, fmt.Errorf("bulk copy, row %d: %w", c.first+int64(i), err)
			}
		}
	}
	if u.failed() != nil {
		// Do not finish the bulk load: the transaction is rolled back.
		return 0, u.failed()
	}
	res, err := st.ExecContext(ctx)
	if err != nil {
		return 0, fmt.Errorf("bulk copy into %s: %w", into, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// mssqlBulkArg maps a converted value to what go-mssqldb's bulk encoder
// accepts for the column's type.
func mssqlBulkArg(c *column, v rows.Value) (any, error) {
	switch v.Kind() {
	case rows.KindNull:
		return nil, nil
	case rows.KindBool:
		return v.AsBool(), nil
	case rows.KindInt:
		return v.AsInt(), nil
	case rows.KindFloat:
		return v.AsFloat(), nil
	case rows.KindDecimal:
		if c.Type.Name == "MONEY" || c.Type.Name == "SMALLMONEY" {
			return v.DecimalString(), nil
		}
		return string(appendDecimal(nil, v)), nil
	case rows.KindString:
		if c.Type.Name == "UNIQUEIDENTIFIER" {
			var g mssql.UniqueIdentifier
			if err := g.Scan(v.AsString()); err != nil {
				return nil, fmt.Errorf("%q is not a UUID", v.AsString())
			}
			return g.Value()
		}
		return v.AsString(), nil
	case rows.KindBytes:
		return v.AsBytes(), nil
	case rows.KindDate, rows.KindTimestamp:
		return v.Time(), nil
	case rows.KindTimestampTZ:
		return v.Time(), nil
	case rows.KindTime:
		return time.UnixMicro(v.Raw()).UTC(), nil
	}
	b, err := rows.AppendJSON(nil, v)
	return string(b), err
}
