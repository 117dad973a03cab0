package odbc

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"time"
	"unsafe"
)

// ExecBatch runs query once for every row of rows (each row holds one value
// per ? parameter) and returns the total of affected rows.
//
// Rows go to the driver as parameter arrays: SQL_ATTR_PARAMSET_SIZE with
// column-wise bound arrays in C memory, so one SQLExecute sends a whole
// chunk (MariaDB Connector/ODBC turns it into a bulk execute). Chunks are
// sized to Connector.BatchBufferBytes. When the driver refuses parameter
// arrays, or Connector.DisableParamArrays is set, the rows are executed one
// by one on a single prepared statement.
//
// Each column must hold one type (nil allowed); int64 and float64 mixed in a
// column are sent as float64. ExecBatch does not open a transaction: run it
// inside one (sql.Conn.BeginTx, then sql.Conn.Raw) for all-or-nothing loads:
// which rows of a failed chunk were applied depends on the driver.
func (c *Conn) ExecBatch(ctx context.Context, query string, rows [][]driver.Value) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ncol := len(rows[0])
	rows, err := c.normalizeRows(rows, ncol)
	if err != nil {
		return 0, err
	}
	h, err := c.allocStmt()
	if err != nil {
		return 0, err
	}
	defer c.l.SQLFreeHandle(sqlHandleStmt, h)
	if err := c.prepare(ctx, h, query); err != nil {
		return 0, err
	}
	if ncol == 0 || c.cfg.DisableParamArrays {
		return c.execLoop(ctx, h, rows, 0)
	}
	b, err := planBatch(c.l, rows)
	if err != nil {
		return 0, err
	}
	pt := &paramTypes{h: h}
	for j := range b.cols {
		if b.cols[j].kind == bNull {
			if d := pt.describe(c.l, j); d.ok {
				b.cols[j].sqlType, b.cols[j].size, b.cols[j].digits = d.sqlType, max(d.size, 1), d.digits
			}
		}
	}
	per := max(1, min(len(rows), c.cfg.batchBufferBytes()/b.rowBytes()))
	var mem cbuf
	defer mem.free(c.l)
	defer c.resetParamArrays(h)
	var total int64
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		n, ok, err := c.execArray(ctx, h, &mem, b, chunk, start)
		if err != nil {
			return total, err
		}
		if !ok {
			// Parameter arrays refused: the rest row by row.
			c.resetParamArrays(h)
			n, err := c.execLoop(ctx, h, rows[start:], start)
			return total + n, err
		}
		total += n
	}
	return total, nil
}

// ExecBatch runs Conn.ExecBatch on the driver connection under conn, for
// callers that hold database/sql handles. Values are converted like query
// arguments (int → int64, driver.Valuer, …).
func ExecBatch(ctx context.Context, conn *sql.Conn, query string, rows [][]any) (int64, error) {
	vals := make([][]driver.Value, len(rows))
	for i, r := range rows {
		vals[i] = make([]driver.Value, len(r))
		for j, v := range r {
			vals[i][j] = v
		}
	}
	var n int64
	err := conn.Raw(func(dc any) error {
		oc, ok := dc.(*Conn)
		if !ok {
			return fmt.Errorf("odbc: ExecBatch needs a connection of the odbc driver, got %T", dc)
		}
		var err error
		n, err = oc.ExecBatch(ctx, query, vals)
		return err
	})
	return n, err
}

// normalizeRows checks row lengths and converts values like query
// arguments; rows that need a conversion are copied, the caller's are kept.
func (c *Conn) normalizeRows(rows [][]driver.Value, ncol int) ([][]driver.Value, error) {
	out := rows
	for i, row := range rows {
		if len(row) != ncol {
			return nil, fmt.Errorf("odbc: ExecBatch: row %d has %d values, row 0 has %d", i, len(row), ncol)
		}
		copied := false
		for j, v := range row {
			nv := driver.NamedValue{Ordinal: j + 1, Value: v}
			if err := c.CheckNamedValue(&nv); err != nil {
				return nil, fmt.Errorf("odbc: ExecBatch: row %d: %w", i, err)
			}
			if sameValue(nv.Value, v) {
				continue
			}
			if !copied {
				if &out[0] == &rows[0] {
					out = append([][]driver.Value(nil), rows...)
				}
				out[i] = append([]driver.Value(nil), row...)
				copied = true
			}
			out[i][j] = nv.Value
		}
	}
	return out, nil
}

// sameValue reports whether CheckNamedValue left v as it was (by type; the
// accepted types are never rewritten to another value of the same type).
func sameValue(a, b driver.Value) bool {
	return reflect.TypeOf(a) == reflect.TypeOf(b)
}

type bkind uint8

const (
	bNull bkind = iota
	bInt
	bUint
	bFloat
	bBool
	bString
	bBytes
	bTime
)

func (k bkind) String() string {
	return [...]string{"nil", "int64", "uint64", "float64", "bool", "string", "[]byte", "time.Time"}[k]
}

type bcol struct {
	kind           bkind
	cType, sqlType int16
	size           uint64
	digits         int16
	width          int // bytes per element
	firstRow       int // where the kind was set, for error messages
}

type batchPlan struct{ cols []bcol }

func (b *batchPlan) rowBytes() int {
	n := 2 // status
	for _, c := range b.cols {
		n += c.width + 8
	}
	return n
}

func kindOf(v driver.Value) bkind {
	switch x := v.(type) {
	case int64:
		return bInt
	case uint64:
		return bUint
	case float64:
		return bFloat
	case bool:
		return bBool
	case string:
		return bString
	case []byte:
		if x == nil {
			return bNull
		}
		return bBytes
	case time.Time:
		return bTime
	}
	return bNull
}

// planBatch picks one C type per column and the widest value's size.
func planBatch(l *lib, rows [][]driver.Value) (*batchPlan, error) {
	w := l.wcharSize
	b := &batchPlan{cols: make([]bcol, len(rows[0]))}
	for i, row := range rows {
		for j, v := range row {
			col := &b.cols[j]
			k := kindOf(v)
			switch {
			case k == bNull:
			case col.kind == bNull:
				col.kind, col.firstRow = k, i
			case col.kind == k:
			case (col.kind == bInt && k == bFloat) || (col.kind == bFloat && k == bInt):
				col.kind = bFloat
			default:
				return nil, fmt.Errorf("odbc: ExecBatch: row %d parameter %d is %s but row %d has %s; convert the values to one type per column",
					i, j+1, k, col.firstRow, col.kind)
			}
			switch x := v.(type) {
			case string:
				col.size = max(col.size, uint64(wlen(x, w)))
			case []byte:
				col.size = max(col.size, uint64(len(x)))
			case time.Time:
				if x.Nanosecond()%1000 != 0 {
					col.digits = 9
				}
			}
		}
	}
	for j := range b.cols {
		col := &b.cols[j]
		switch col.kind {
		case bNull:
			col.cType, col.sqlType, col.size, col.width = sqlCChar, sqlVarchar, 1, 1
		case bInt:
			col.cType, col.sqlType, col.size, col.width = sqlCSBigint, sqlBigint, 19, 8
		case bUint:
			col.cType, col.sqlType, col.size, col.width = sqlCUBigint, sqlBigint, 20, 8
		case bFloat:
			col.cType, col.sqlType, col.size, col.width = sqlCDouble, sqlDouble, 15, 8
		case bBool:
			col.cType, col.sqlType, col.size, col.width = sqlCBit, sqlBit, 1, 1
		case bString:
			col.cType, col.sqlType = sqlCWChar, sqlWVarchar
			if col.size > longStringUnits {
				col.sqlType = sqlWLongVarchar
			}
			col.size = max(col.size, 1)
			col.width = int(col.size) * w
		case bBytes:
			col.cType, col.sqlType = sqlCBinary, sqlVarbinary
			if col.size > longBinaryBytes {
				col.sqlType = sqlLongVarbinary
			}
			col.size = max(col.size, 1)
			col.width = int(col.size)
		case bTime:
			col.cType, col.sqlType, col.width = sqlCTimestamp, sqlTypeTimestamp, 16
			col.size = 26
			if col.digits == 9 {
				col.size = 29
			} else {
				col.digits = 6
			}
		}
	}
	return b, nil
}

// execArray binds one chunk as parameter arrays and executes it. ok is
// false when the driver does not accept SQL_ATTR_PARAMSET_SIZE.
func (c *Conn) execArray(ctx context.Context, h handle, mem *cbuf, b *batchPlan, chunk [][]driver.Value, offset int) (n int64, ok bool, err error) {
	l := c.l
	rows := len(chunk)
	total := 8 + align8(2*rows)
	for _, col := range b.cols {
		total += align8(col.width*rows) + 8*rows
	}
	base := mem.ensure(l, total)
	processed := base
	status := unsafe.Add(base, 8)
	off := 8 + align8(2*rows)

	if ret := l.SQLSetStmtAttr(h, sqlAttrParamsetSize, uintptr(rows)); ret != sqlSuccess {
		return 0, false, nil
	}
	l.SQLSetStmtAttr(h, sqlAttrParamBindType, 0) // column-wise
	if err := l.check("SQLSetStmtAttr(PARAM_STATUS_PTR)", sqlHandleStmt, h, l.SQLSetStmtAttrPtr(h, sqlAttrParamStatusPtr, status)); err != nil {
		return 0, false, err
	}
	if err := l.check("SQLSetStmtAttr(PARAMS_PROCESSED_PTR)", sqlHandleStmt, h, l.SQLSetStmtAttrPtr(h, sqlAttrParamsProcessedPtr, processed)); err != nil {
		return 0, false, err
	}
	for j := range b.cols {
		col := &b.cols[j]
		vals := unsafe.Add(base, off)
		off += align8(col.width * rows)
		inds := unsafe.Add(base, off)
		off += 8 * rows
		for i, row := range chunk {
			ind := (*int64)(unsafe.Add(inds, 8*i))
			v := row[j]
			if kindOf(v) == bNull {
				*ind = sqlNullData
				continue
			}
			dst := unsafe.Add(vals, col.width*i)
			*ind = int64(writeBatchValue(l, dst, col, v))
		}
		ret := l.SQLBindParameter(h, uint16(j+1), col.cType, col.sqlType, col.size, col.digits, vals, int64(col.width), inds)
		if err := l.check(fmt.Sprintf("SQLBindParameter(%d)", j+1), sqlHandleStmt, h, ret); err != nil {
			return 0, false, fmt.Errorf("binding parameter %d array (%s): %w", j+1, col.kind, err)
		}
	}
	err = c.run(ctx, h, "SQLExecute", func() int16 {
		r := l.SQLExecute(h)
		if r == sqlNoData {
			r = sqlSuccess
		}
		return r
	})
	if err != nil {
		l.SQLFreeStmt(h, sqlClose)
		return 0, true, batchRowsError(err, status, rows, offset)
	}
	// A driver may report success while marking single rows as failed.
	for i := range rows {
		if *(*uint16)(unsafe.Add(status, 2*i)) == sqlParamError {
			l.SQLFreeStmt(h, sqlClose)
			return 0, true, fmt.Errorf("odbc: ExecBatch: row %d failed (SQL_PARAM_ERROR)", offset+i)
		}
	}
	n, err = c.batchRowCount(h)
	l.SQLFreeStmt(h, sqlClose)
	return n, true, err
}

// batchRowsError names the first failed row of a chunk when the driver's
// status array singles it out (drivers that fail the whole chunk mark every
// row, and MariaDB Connector/ODBC leaves SQL_PARAM_DIAG_UNAVAILABLE).
func batchRowsError(err error, status unsafe.Pointer, rows, offset int) error {
	first, failed := -1, 0
	for i := range rows {
		if *(*uint16)(unsafe.Add(status, 2*i)) == sqlParamError {
			if first < 0 {
				first = i
			}
			failed++
		}
	}
	if failed > 0 && failed < rows {
		return fmt.Errorf("odbc: ExecBatch rows %d-%d, first failed row %d: %w", offset, offset+rows-1, offset+first, err)
	}
	return fmt.Errorf("odbc: ExecBatch rows %d-%d: %w", offset, offset+rows-1, err)
}

// batchRowCount totals affected rows: drivers reporting SQL_PARC_BATCH keep
// one count per parameter set, reached with SQLMoreResults.
func (c *Conn) batchRowCount(h handle) (int64, error) {
	l := c.l
	var total int64
	for {
		var n int64
		if err := l.check("SQLRowCount", sqlHandleStmt, h, l.SQLRowCount(h, &n)); err != nil {
			return total, err
		}
		if n > 0 {
			total += n
		}
		if !c.parcBatch {
			return total, nil
		}
		r := l.SQLMoreResults(h)
		if r == sqlNoData {
			return total, nil
		}
		if err := l.check("SQLMoreResults", sqlHandleStmt, h, r); err != nil {
			return total, err
		}
	}
}

func writeBatchValue(l *lib, dst unsafe.Pointer, col *bcol, v driver.Value) int {
	switch x := v.(type) {
	case int64:
		if col.kind == bFloat {
			*(*float64)(dst) = float64(x)
		} else {
			*(*int64)(dst) = x
		}
		return 8
	case uint64:
		*(*uint64)(dst) = x
		return 8
	case float64:
		*(*float64)(dst) = x
		return 8
	case bool:
		if x {
			*(*byte)(dst) = 1
		} else {
			*(*byte)(dst) = 0
		}
		return 1
	case string:
		return putW(unsafe.Slice((*byte)(dst), col.width), x, l.wcharSize)
	case []byte:
		return copy(unsafe.Slice((*byte)(dst), col.width), x)
	case time.Time:
		*(*sqlTimestampStruct)(dst) = toTimestampStruct(x)
		return 16
	}
	return 0
}

func (c *Conn) resetParamArrays(h handle) {
	l := c.l
	l.SQLFreeStmt(h, sqlResetParams)
	l.SQLSetStmtAttr(h, sqlAttrParamsetSize, 1)
	l.SQLSetStmtAttrPtr(h, sqlAttrParamStatusPtr, nil)
	l.SQLSetStmtAttrPtr(h, sqlAttrParamsProcessedPtr, nil)
}

// execLoop executes rows one by one on prepared statement h.
func (c *Conn) execLoop(ctx context.Context, h handle, rows [][]driver.Value, offset int) (int64, error) {
	l := c.l
	var buf cbuf
	defer buf.free(l)
	pt := &paramTypes{h: h}
	args := make([]driver.NamedValue, len(rows[0]))
	var total int64
	for i, row := range rows {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		for j, v := range row {
			args[j] = driver.NamedValue{Ordinal: j + 1, Value: v}
		}
		if err := bindParams(c, h, &buf, pt, args); err != nil {
			return total, fmt.Errorf("odbc: ExecBatch row %d: %w", offset+i, err)
		}
		err := c.run(ctx, h, "SQLExecute", func() int16 {
			r := l.SQLExecute(h)
			if r == sqlNoData {
				r = sqlSuccess
			}
			return r
		})
		if err != nil {
			l.SQLFreeStmt(h, sqlClose)
			return total, fmt.Errorf("odbc: ExecBatch row %d: %w", offset+i, err)
		}
		var n int64
		if err := l.check("SQLRowCount", sqlHandleStmt, h, l.SQLRowCount(h, &n)); err != nil {
			return total, err
		}
		if n > 0 {
			total += n
		}
		l.SQLFreeStmt(h, sqlClose)
	}
	return total, nil
}
