package batch

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/odbc"
	"github.com/sluicehq/sluice/internal/rows"
)

// odbcArraySink sends each chunk to a prepared single-row INSERT as ODBC
// parameter arrays (one SQLExecute per chunk), the bulk path ODBC drivers
// offer; drivers that refuse arrays get the rows one by one.
type odbcArraySink struct {
	cols []column
	d    dialect.Dialect
}

func (s *odbcArraySink) name() string { return "odbc parameter arrays" }

func (s *odbcArraySink) write(ctx context.Context, sess *session, tx *sql.Tx, into string, u *unit) (int64, error) {
	q := s.d.InsertSQL(into, columnNames(s.cols), 1)
	var batchRows [][]driver.Value
	var affected int64
	for c := u.next(); c != nil; c = u.next() {
		batchRows = batchRows[:0]
		for i := 0; i < c.n; i++ {
			vals := make([]driver.Value, len(s.cols))
			for j, v := range c.row(i) {
				vals[j] = odbcArg(v)
			}
			batchRows = append(batchRows, vals)
		}
		// The transaction is on this connection: ExecBatch runs in it.
		err := sess.conn.Raw(func(dc any) error {
			oc, ok := dc.(*odbc.Conn)
			if !ok {
				return fmt.Errorf("parameter arrays need the odbc driver, got %T", dc)
			}
			n, err := oc.ExecBatch(ctx, q, batchRows)
			affected += n
			return err
		})
		if err != nil {
			return affected, fmt.Errorf("rows %d to %d: %w", c.first, c.first+int64(c.n)-1, err)
		}
	}
	return affected, nil
}

// odbcArg maps a converted value to what the odbc driver binds. Strings
// and bytes are copied: the driver may keep the rows until the chunk is
// sent, and chunk memory is reused afterwards.
func odbcArg(v rows.Value) driver.Value {
	switch v.Kind() {
	case rows.KindNull:
		return nil
	case rows.KindBool:
		return v.AsBool()
	case rows.KindInt:
		return v.AsInt()
	case rows.KindFloat:
		return v.AsFloat()
	case rows.KindDecimal:
		return string(appendDecimal(nil, v))
	case rows.KindString:
		return string(v.AsBytes())
	case rows.KindBytes:
		return append([]byte{}, v.AsBytes()...)
	case rows.KindDate, rows.KindTimestamp:
		return v.Time()
	case rows.KindTimestampTZ:
		// ODBC timestamps have no zone: send the instant in UTC.
		return v.Time().UTC()
	case rows.KindTime:
		return string(appendClock(nil, v.Raw()))
	}
	b, _ := rows.AppendJSON(nil, v)
	return string(b)
}
