package jdbc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	mssql "github.com/microsoft/go-mssqldb"
	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/rows"
)

// resultColumn is one column of a result set and how its driver values
// become row values.
type resultColumn struct {
	name string
	typ  dialect.Type
}

// queryRows runs query on the driver connection under conn and calls each
// for every row, with values decoded exactly from the column types. Rows
// are read straight from the driver (no database/sql Scan, no copies):
// values handed to each alias the driver's buffers and are valid until it
// returns.
//
// schema is called once, before the first row, with the result's columns.
func queryRows(ctx context.Context, conn *sql.Conn, d dialect.Dialect, query string,
	schema func(*rows.Schema) error, each func(*rows.Row) error) error {
	return conn.Raw(func(dc any) error {
		dr, err := driverQuery(ctx, dc, query)
		if err != nil {
			return err
		}
		defer dr.Close()
		cols := describeColumns(d, dr)
		sch := &rows.Schema{}
		seen := map[string]int{}
		for _, c := range cols {
			name := c.name
			if n := seen[name]; n > 0 {
				// Two columns with the same label: keep both, the second
				// as name_2, since row files need distinct field names.
				name = name + "_" + strconv.Itoa(n+1)
			}
			seen[c.name]++
			f := rows.Field{Name: name, Kind: c.typ.Kind, Nullable: true, SourceType: c.typ.String()}
			if c.typ.Kind == rows.KindDecimal {
				f.Precision, f.Scale = c.typ.Precision, max(c.typ.Scale, 0)
			}
			if c.typ.Kind == rows.KindTimestamp || c.typ.Kind == rows.KindTimestampTZ || c.typ.Kind == rows.KindTime {
				f.Precision = max(c.typ.Scale, 0)
			}
			if nd, ok := dr.(driver.RowsColumnTypeNullable); ok {
				if nullable, ok := nd.ColumnTypeNullable(len(sch.Fields)); ok {
					f.Nullable = nullable
				}
			}
			sch.Fields = append(sch.Fields, f)
		}
		if err := schema(sch); err != nil {
			return err
		}
		if len(cols) == 0 {
			return nil
		}
		dest := make([]driver.Value, len(cols))
		hints := d.ScanHints()
		var row rows.Row
		row.Reset(len(cols))
		var n int64
		for {
			if err := dr.Next(dest); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return fmt.Errorf("reading row %d: %w", n+1, err)
			}
			n++
			for i := range cols {
				v, err := decodeValue(&hints, &cols[i].typ, dest[i])
				if err != nil {
					return &rows.RowError{Row: n, Column: sch.Fields[i].Name, Value: fmt.Sprint(dest[i]), Err: err}
				}
				row.Values[i] = v
			}
			if err := each(&row); err != nil {
				return err
			}
		}
	})
}

func driverQuery(ctx context.Context, dc any, query string) (driver.Rows, error) {
	if qc, ok := dc.(driver.QueryerContext); ok {
		dr, err := qc.QueryContext(ctx, query, nil)
		if !errors.Is(err, driver.ErrSkip) {
			return dr, err
		}
	}
	var st driver.Stmt
	var err error
	if pc, ok := dc.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(ctx, query)
	} else {
		st, err = dc.(driver.Conn).Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	var dr driver.Rows
	if sq, ok := st.(driver.StmtQueryContext); ok {
		dr, err = sq.QueryContext(ctx, nil)
	} else {
		dr, err = st.Query(nil) //lint:ignore SA1019 drivers without the context interface have only this
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return &stmtRows{Rows: dr, st: st}, nil
}

// stmtRows closes the statement with its rows.
type stmtRows struct {
	driver.Rows
	st driver.Stmt
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close()
	r.st.Close()
	return err
}

func describeColumns(d dialect.Dialect, dr driver.Rows) []resultColumn {
	names := dr.Columns()
	if sr, ok := dr.(*stmtRows); ok {
		dr = sr.Rows
	}
	cols := make([]resultColumn, len(names))
	for i, n := range names {
		var typeName string
		p, s, l := int64(-1), int64(-1), int64(-1)
		if t, ok := dr.(driver.RowsColumnTypeDatabaseTypeName); ok {
			typeName = t.ColumnTypeDatabaseTypeName(i)
		}
		if t, ok := dr.(driver.RowsColumnTypePrecisionScale); ok {
			if pp, ss, ok := t.ColumnTypePrecisionScale(i); ok {
				p, s = pp, ss
			}
		}
		if t, ok := dr.(driver.RowsColumnTypeLength); ok {
			if ll, ok := t.ColumnTypeLength(i); ok {
				l = ll
			}
		}
		if rl, ok := d.(dialect.ResultLengths); ok {
			l = rl.ResultLength(dr, i, typeName, l)
		}
		cols[i] = resultColumn{name: n, typ: d.Classify(typeName, p, s, l)}
	}
	return cols
}

// decodeValue turns a driver value into a row value of the column's kind.
func decodeValue(h *dialect.ScanHints, t *dialect.Type, v driver.Value) (rows.Value, error) {
	switch x := v.(type) {
	case nil:
		return rows.Null, nil
	case int64:
		switch t.Kind {
		case rows.KindBool:
			return rows.Bool(x != 0), nil
		case rows.KindDecimal:
			return fitScale(rows.Decimal(x, 0), t), nil
		case rows.KindFloat:
			return rows.Float(float64(x)), nil
		case rows.KindString:
			if h.DynamicTypes { // an integer stored in a text column
				return rows.String(strconv.FormatInt(x, 10)), nil
			}
		}
		return rows.Int(x), nil
	case uint64:
		if x > math.MaxInt64 || t.Kind == rows.KindDecimal {
			return rows.DecimalBig(new(big.Int).SetUint64(x), 0), nil
		}
		return rows.Int(int64(x)), nil
	case float64:
		return decodeFloat(t, x)
	case float32:
		return decodeFloat(t, float64(x))
	case bool:
		if t.Kind == rows.KindInt {
			if x {
				return rows.Int(1), nil
			}
			return rows.Int(0), nil
		}
		return rows.Bool(x), nil
	case time.Time:
		return decodeTime(t, x), nil
	case []byte:
		return decodeText(h, t, x)
	case string:
		if t.Kind == rows.KindAny || t.Kind == rows.KindBytes && h.DynamicTypes {
			// Text the driver knows is text (SQLite's TEXT storage class
			// in an untyped column).
			return rows.String(x), nil
		}
		return decodeText(h, t, []byte(x))
	}
	return rows.FromAny(v)
}

func decodeFloat(t *dialect.Type, f float64) (rows.Value, error) {
	if t.Kind == rows.KindDecimal && !math.IsNaN(f) && !math.IsInf(f, 0) {
		// SQLite stores DECIMAL as REAL: its shortest form is the value
		// that was written.
		d, err := rows.ParseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
		if err == nil {
			return fitScale(d, t), nil
		}
	}
	if t.Kind == rows.KindInt && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return rows.Int(int64(f)), nil
	}
	return rows.Float(f), nil
}

// fitScale shows a decimal with the column's scale when that loses nothing
// (12.5 in DECIMAL(12,2) is 12.50, as the server shows it).
func fitScale(d rows.Value, t *dialect.Type) rows.Value {
	if t.Scale < 0 || d.IsBigDecimal() || int(d.Scale()) >= t.Scale {
		return d
	}
	n, s := d.Raw(), int(d.Scale())
	for ; s < t.Scale; s++ {
		if n > math.MaxInt64/10 || n < math.MinInt64/10 {
			return d
		}
		n *= 10
	}
	return rows.Decimal(n, int32(t.Scale))
}

func decodeTime(t *dialect.Type, x time.Time) rows.Value {
	switch t.Kind {
	case rows.KindDate:
		return rows.DateOf(x)
	case rows.KindTime:
		h, m, s := x.Clock()
		return rows.TimeOfDay(int64(h*3600+m*60+s)*1e6 + int64(x.Nanosecond()/1000))
	case rows.KindTimestamp:
		return rows.TimestampOf(x)
	}
	if x.Location() == time.Local {
		x = x.UTC()
	}
	return rows.TimestampTZOf(x)
}

// decodeText parses the text (or raw bytes) a driver returns.
func decodeText(h *dialect.ScanHints, t *dialect.Type, b []byte) (rows.Value, error) {
	switch t.Kind {
	case rows.KindString:
		if t.Name == "UNIQUEIDENTIFIER" && len(b) == 16 {
			var g mssql.UniqueIdentifier
			if err := g.Scan(b); err == nil {
				return rows.String(g.String()), nil
			}
		}
		return rows.StringBytes(b), nil
	case rows.KindBytes:
		return rows.Bytes(b), nil
	case rows.KindDecimal:
		v, err := parseDecimalBytes(b)
		if err != nil {
			s := string(b)
			switch s {
			case "NaN":
				return rows.Float(math.NaN()), nil
			case "Infinity":
				return rows.Float(math.Inf(1)), nil
			case "-Infinity":
				return rows.Float(math.Inf(-1)), nil
			}
			return rows.Null, err
		}
		return fitScale(v, t), nil
	case rows.KindInt:
		if t.BitBytes {
			var n int64
			for _, c := range b {
				n = n<<8 | int64(c)
			}
			return rows.Int(n), nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return rows.Null, fmt.Errorf("not an integer")
		}
		return rows.Int(n), nil
	case rows.KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			return rows.Null, fmt.Errorf("not a number")
		}
		return rows.Float(f), nil
	case rows.KindBool:
		if t.BitBytes {
			for _, c := range b {
				if c != 0 {
					return rows.Bool(true), nil
				}
			}
			return rows.Bool(false), nil
		}
		switch strings.ToLower(strings.TrimSpace(string(b))) {
		case "1", "t", "true", "y", "yes":
			return rows.Bool(true), nil
		case "0", "f", "false", "n", "no":
			return rows.Bool(false), nil
		}
		return rows.Null, fmt.Errorf("not a boolean")
	case rows.KindDate, rows.KindTimestamp, rows.KindTimestampTZ:
		if isZeroDate(b) {
			// MySQL's zero date is no date: Connector/J's
			// zeroDateTimeBehavior=convertToNull.
			return rows.Null, nil
		}
		tm, ok := rows.ParseTemporal(b)
		if !ok || !tm.HasDate {
			return rows.Null, fmt.Errorf("not a date-time")
		}
		wall := tm.Days*86400e6 + tm.Micros
		switch t.Kind {
		case rows.KindDate:
			return rows.Date(tm.Days), nil
		case rows.KindTimestamp:
			if tm.HasZone {
				wall -= int64(tm.Offset) * 1e6
			}
			return rows.Timestamp(wall), nil
		}
		// MySQL TIMESTAMP text is in the session zone, UTC on sluice's
		// connections.
		return rows.TimestampTZ(wall-int64(tm.Offset)*1e6, tm.Offset), nil
	case rows.KindTime:
		return parseTimeOfDay(b)
	case rows.KindAny:
		// Drivers return text as string (handled above) or, like MySQL's
		// text protocol, as bytes of a type sluice does not know: keep
		// UTF-8 as text, anything else as bytes. SQLite returns []byte only
		// for BLOBs.
		if !h.DynamicTypes && utf8.Valid(b) {
			return rows.StringBytes(b), nil
		}
		return rows.Bytes(b), nil
	}
	return rows.StringBytes(b), nil
}

func isZeroDate(b []byte) bool {
	return len(b) >= 10 && string(b[:10]) == "0000-00-00"
}

// parseTimeOfDay reads TIME text, including MySQL's range beyond a day
// ("-838:59:59") as µs from midnight.
func parseTimeOfDay(b []byte) (rows.Value, error) {
	s := strings.TrimSpace(string(b))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	hh, rest, ok := strings.Cut(s, ":")
	if !ok {
		return rows.Null, fmt.Errorf("not a time of day")
	}
	h, err := strconv.ParseInt(hh, 10, 64)
	if err != nil {
		return rows.Null, fmt.Errorf("not a time of day")
	}
	tm, ok := rows.ParseTemporal("00:" + rest)
	if !ok || tm.HasDate {
		return rows.Null, fmt.Errorf("not a time of day")
	}
	us := h*3600e6 + tm.Micros
	if neg {
		us = -us
	}
	return rows.TimeOfDay(us), nil
}

// parseDecimalBytes parses decimal text without allocating when it has at
// most 18 digits (every DECIMAL up to (18,x)); longer ones go through
// rows.ParseDecimal.
func parseDecimalBytes(b []byte) (rows.Value, error) {
	if len(b) == 0 || len(b) > 20 {
		return rows.ParseDecimal(strings.TrimSpace(string(b)))
	}
	i := 0
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var n int64
	digits, scale := 0, -1
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
			digits++
			if scale >= 0 {
				scale++
			}
		case c == '.' && scale < 0:
			scale = 0
		default:
			return rows.ParseDecimal(strings.TrimSpace(string(b)))
		}
	}
	if digits == 0 || digits > 18 {
		return rows.ParseDecimal(string(b))
	}
	if scale < 0 {
		scale = 0
	}
	if neg {
		n = -n
	}
	return rows.Decimal(n, int32(scale)), nil
}
