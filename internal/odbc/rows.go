package odbc

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// Result sets are fetched with block cursors: every column of bounded size
// is bound (SQLBindCol) to a column-wise C array of FetchRows rows and one
// SQLFetch fills them all (SQL_ATTR_ROW_ARRAY_SIZE). Columns of unbounded or
// large size (TEXT, BLOB, long VARCHAR) are read with SQLGetData in chunks;
// their presence drops the array size to one row, because SQLGetData on a
// multi-row rowset needs the optional SQL_GD_BLOCK extension.
//
// Values handed to database/sql (see colKind):
//
//	BIT                         bool
//	TINYINT..BIGINT             int64 (BIGINT UNSIGNED above MaxInt64: uint64)
//	REAL, FLOAT, DOUBLE         float64
//	DECIMAL, NUMERIC            string, exact as the driver formats it ("123.4500")
//	CHAR, VARCHAR, TEXT (any)   string (fetched as SQL_C_WCHAR and decoded from UTF-16)
//	BINARY, VARBINARY, BLOB     []byte (a fresh copy per value)
//	DATE                        time.Time, midnight UTC
//	TIMESTAMP, DATETIME         time.Time in UTC holding the driver's wall clock, to the nanosecond
//	TIME, GUID, others          string as the driver formats it
//	NULL                        nil

type colKind uint8

const (
	kInt colKind = iota
	kUint
	kFloat
	kBool
	kDecimal // SQL_C_CHAR, returned as string
	kString  // SQL_C_WCHAR
	kBytes   // SQL_C_BINARY
	kDate
	kTimestamp
	kText // SQL_C_CHAR, returned as string (TIME, GUID, driver-specific types)
)

type column struct {
	name     string
	sqlType  int16
	size     uint64
	digits   int16
	nullable int16
	unsigned bool
	typeName string

	kind  colKind
	cType int16
	bound bool // in the fetch arrays; otherwise read with SQLGetData
	width int  // bytes per row in the fetch array
	buf   unsafe.Pointer
	ind   unsafe.Pointer
}

// Rows is a result set on a statement handle.
type Rows struct {
	c         *Conn
	h         handle
	ctx       context.Context
	own       bool  // h is freed on Close (unprepared query)
	stmt      *Stmt // the prepared statement whose handle this is
	closeStmt *Stmt // closed with the Rows (a second handle, or one closed while in use)
	cancel    *canceler

	cols    []column
	rowset  int
	mem     cbuf
	fetched unsafe.Pointer // SQLULEN rows in the current block
	status  unsafe.Pointer // SQLUSMALLINT per row

	useFetched, useStatus bool // the driver accepted the two pointers
	cur, n                int
	done                  bool
	closed                bool
	warn                  []DiagRecord // diagnostics of the last SQLFetch that returned SQL_SUCCESS_WITH_INFO

	gd   []byte         // SQLGetData buffer, reused
	gdC  unsafe.Pointer // C scratch for fixed-size SQLGetData values and indicators
	rows int64          // rows returned so far, for error context
}

var (
	_ driver.Rows                           = (*Rows)(nil)
	_ driver.RowsNextResultSet              = (*Rows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*Rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*Rows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*Rows)(nil)
	_ driver.RowsColumnTypeScanType         = (*Rows)(nil)
	_ driver.RowsColumnTypeLength           = (*Rows)(nil)
)

func newRows(ctx context.Context, c *Conn, h handle, own bool, w *canceler) (*Rows, error) {
	r := &Rows{c: c, h: h, ctx: ctx, own: own, cancel: w}
	r.gdC = c.l.allocC(64)
	if err := r.describe(); err != nil {
		c.l.free(r.gdC)
		return nil, err
	}
	return r, nil
}

// describe reads the columns of the current result set and binds them.
func (r *Rows) describe() error {
	l := r.c.l
	var nc int16
	if err := l.check("SQLNumResultCols", sqlHandleStmt, r.h, l.SQLNumResultCols(r.h, &nc)); err != nil {
		return r.c.noteErr(err)
	}
	r.cols = make([]column, nc)
	w := l.wcharSize
	name := make([]byte, 256*w)
	tname := make([]byte, 128*w)
	for i := range r.cols {
		col := &r.cols[i]
		var nameLen int16
		ret := l.SQLDescribeColW(r.h, uint16(i+1), unsafe.Pointer(&name[0]), int16(len(name)/w), &nameLen,
			&col.sqlType, &col.size, &col.digits, &col.nullable)
		if succeeded(ret) && int(nameLen) >= len(name)/w {
			name = make([]byte, (int(nameLen)+1)*w)
			ret = l.SQLDescribeColW(r.h, uint16(i+1), unsafe.Pointer(&name[0]), int16(len(name)/w), &nameLen,
				&col.sqlType, &col.size, &col.digits, &col.nullable)
		}
		if err := l.check(fmt.Sprintf("SQLDescribeColW(%d)", i+1), sqlHandleStmt, r.h, ret); err != nil {
			return err
		}
		col.name = decodeW(name[:min(int(nameLen)*w, len(name))], w)
		var tl int16
		var num int64
		if succeeded(l.SQLColAttributeW(r.h, uint16(i+1), sqlDescTypeName, unsafe.Pointer(&tname[0]), int16(len(tname)), &tl, &num)) {
			col.typeName = strings.ToUpper(decodeW(cstringW(tname[:min(int(tl), len(tname))], w), w))
		}
		if col.sqlType == sqlBigint {
			num = 0
			if succeeded(l.SQLColAttributeW(r.h, uint16(i+1), sqlDescUnsigned, nil, 0, &tl, &num)) {
				col.unsigned = num != 0
			}
		}
	}
	return r.bind()
}

// planColumn chooses how a column is fetched; width 0 means "long" (SQLGetData).
func (r *Rows) planColumn(col *column) {
	w := r.c.l.wcharSize
	maxBound := r.c.cfg.maxBoundColumnBytes()
	switch col.sqlType {
	case sqlBit:
		col.kind, col.cType, col.width = kBool, sqlCBit, 1
	case sqlTinyint, sqlSmallint, sqlInteger:
		col.kind, col.cType, col.width = kInt, sqlCSBigint, 8
	case sqlBigint:
		col.kind, col.cType, col.width = kInt, sqlCSBigint, 8
		if col.unsigned {
			col.kind, col.cType = kUint, sqlCUBigint
		}
	case sqlReal, sqlFloat, sqlDouble:
		col.kind, col.cType, col.width = kFloat, sqlCDouble, 8
	case sqlDecimal, sqlNumeric:
		col.kind, col.cType = kDecimal, sqlCChar
		// sign, point, leading zero, terminator
		col.width = int(col.size) + 4
		if col.size == 0 || col.width > maxBound {
			col.width = 0
		}
	case sqlChar, sqlVarchar, sqlWChar, sqlWVarchar:
		col.kind, col.cType = kString, sqlCWChar
		// A character outside the BMP takes two UTF-16 units.
		units := 2*int(col.size) + 1
		if w == 4 {
			units = int(col.size) + 1
		}
		col.width = units * w
		if col.size == 0 || col.size > uint64(maxBound) || col.width > maxBound {
			col.width = 0
		}
	case sqlLongVarchar, sqlWLongVarchar:
		col.kind, col.cType, col.width = kString, sqlCWChar, 0
	case sqlBinary, sqlVarbinary:
		col.kind, col.cType, col.width = kBytes, sqlCBinary, int(col.size)
		if col.size == 0 || col.size > uint64(maxBound) {
			col.width = 0
		}
	case sqlLongVarbinary:
		col.kind, col.cType, col.width = kBytes, sqlCBinary, 0
	case sqlTypeDate, sqlDatetime:
		col.kind, col.cType, col.width = kDate, sqlCTypeDate, 6
	case sqlTypeTimestamp, sqlTimestamp2:
		col.kind, col.cType, col.width = kTimestamp, sqlCTimestamp, 16
	case sqlTypeTime, sqlTime2, sqlSSTime2, sqlGUID, sqlSSTimestampTZ:
		col.kind, col.cType, col.width = kText, sqlCChar, 64
	default:
		// Intervals, XML, driver-specific types: their text, whatever length.
		col.kind, col.cType, col.width = kString, sqlCWChar, 0
	}
}

// fixedWidth is the C size of fixed-length kinds (0 for variable ones).
func fixedWidth(k colKind) int {
	switch k {
	case kInt, kUint, kFloat:
		return 8
	case kBool:
		return 1
	case kDate:
		return 6
	case kTimestamp:
		return 16
	}
	return 0
}

// bind lays out the fetch arrays in one C block and binds them.
func (r *Rows) bind() error {
	l := r.c.l
	if len(r.cols) == 0 {
		return nil
	}
	anyLong := false
	firstLong := len(r.cols)
	for i := range r.cols {
		r.planColumn(&r.cols[i])
		if r.cols[i].width == 0 {
			if !anyLong {
				firstLong = i
			}
			anyLong = true
		}
	}
	anyColumn := r.c.getDataExt&sqlGDAnyColumn != 0
	rowBytes := 0
	for i := range r.cols {
		col := &r.cols[i]
		// Without SQL_GD_ANY_COLUMN, SQLGetData only works on columns after
		// the last bound one: bind nothing past the first long column.
		col.bound = col.width > 0 && (anyColumn || i < firstLong) && !r.c.cfg.FetchWithGetData
		if col.bound {
			rowBytes += col.width + 8
		}
	}
	rowset := 1
	if !anyLong && rowBytes > 0 && !r.c.cfg.FetchWithGetData {
		rowset = max(1, min(r.c.cfg.fetchRows(), r.c.cfg.fetchBufferBytes()/rowBytes))
	}
	total := 16 + align8(2*rowset)
	for _, col := range r.cols {
		if col.bound {
			total += align8(col.width*rowset) + 8*rowset
		}
	}
	base := r.mem.ensure(l, total)
	r.fetched = base
	r.status = unsafe.Add(base, 16)
	off := 16 + align8(2*rowset)
	for i := range r.cols {
		col := &r.cols[i]
		if !col.bound {
			continue
		}
		col.buf = unsafe.Add(base, off)
		off += align8(col.width * rowset)
		col.ind = unsafe.Add(base, off)
		off += 8 * rowset
	}

	// Without a rows-fetched counter a block's fill is unknown: such a
	// driver gets one row per fetch. The status array is optional too.
	r.useFetched = succeeded(l.SQLSetStmtAttrPtr(r.h, sqlAttrRowsFetchedPtr, r.fetched))
	r.useStatus = succeeded(l.SQLSetStmtAttrPtr(r.h, sqlAttrRowStatusPtr, r.status))
	if rowset > 1 && r.useFetched {
		if ret := l.SQLSetStmtAttr(r.h, sqlAttrRowArraySize, uintptr(rowset)); ret != sqlSuccess {
			// Refused or changed (01S02): one row per fetch always works.
			rowset = 1
			l.SQLSetStmtAttr(r.h, sqlAttrRowArraySize, 1)
		} else {
			l.SQLSetStmtAttr(r.h, sqlAttrRowBindType, 0) // column-wise
		}
	} else {
		rowset = 1
	}
	if rowset == 1 {
		// Explicitly: an earlier result set on this handle may have left
		// a larger array size, which would overrun the arrays laid out here.
		l.SQLSetStmtAttr(r.h, sqlAttrRowArraySize, 1)
	}
	r.rowset = rowset
	for i := range r.cols {
		col := &r.cols[i]
		if !col.bound {
			continue
		}
		ret := l.SQLBindCol(r.h, uint16(i+1), col.cType, col.buf, int64(col.width), col.ind)
		if err := l.check(fmt.Sprintf("SQLBindCol(%d %s)", i+1, col.name), sqlHandleStmt, r.h, ret); err != nil {
			return err
		}
	}
	return nil
}

// unbind detaches the arrays from the handle before their memory is freed,
// so a reused prepared statement never writes into freed memory.
func (r *Rows) unbind() {
	l := r.c.l
	l.SQLFreeStmt(r.h, sqlUnbind)
	if r.rowset > 1 {
		l.SQLSetStmtAttr(r.h, sqlAttrRowArraySize, 1)
	}
	if !r.own {
		l.SQLSetStmtAttrPtr(r.h, sqlAttrRowsFetchedPtr, nil)
		l.SQLSetStmtAttrPtr(r.h, sqlAttrRowStatusPtr, nil)
	}
}

// Columns returns the column names.
func (r *Rows) Columns() []string {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
	}
	return names
}

// Close discards the rest of the result set and frees the arrays.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.cancel.stop()
	l := r.c.l
	var err error
	if !r.c.closed {
		if ret := l.SQLFreeStmt(r.h, sqlClose); !succeeded(ret) && !r.c.bad {
			err = l.check("SQLFreeStmt(CLOSE)", sqlHandleStmt, r.h, ret)
		}
		r.unbind()
		if r.own {
			l.SQLFreeHandle(sqlHandleStmt, r.h)
		}
	}
	r.mem.free(l)
	l.free(r.gdC)
	r.gdC = nil
	if r.stmt != nil && r.stmt.rows == r {
		r.stmt.rows = nil
	}
	if r.closeStmt != nil {
		r.closeStmt.closed = true
		if ferr := r.closeStmt.free(); err == nil {
			err = ferr
		}
	}
	return err
}

// Next fills dest with the next row, fetching a new block when needed.
func (r *Rows) Next(dest []driver.Value) error {
	if r.closed || len(r.cols) == 0 {
		return io.EOF
	}
	l := r.c.l
	if r.cur >= r.n {
		if r.done {
			return io.EOF
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
		ret := l.SQLFetch(r.h)
		if ret == sqlNoData {
			r.done = true
			return io.EOF
		}
		if err := l.check("SQLFetch", sqlHandleStmt, r.h, ret); err != nil {
			return fmt.Errorf("fetching after row %d: %w", r.rows, r.c.callErr(r.ctx, err))
		}
		r.warn = nil
		if ret == sqlSuccessWithInfo {
			r.warn = l.diag(sqlHandleStmt, r.h)
		}
		r.n = 1
		if r.useFetched {
			r.n = int(*(*uint64)(r.fetched))
		}
		r.cur = 0
		if r.n == 0 {
			r.done = true
			return io.EOF
		}
	}
	row := r.cur
	r.cur++
	r.rows++
	if r.useStatus && *(*uint16)(unsafe.Add(r.status, 2*row)) == sqlRowError {
		return fmt.Errorf("row %d: %w", r.rows, &Error{Op: "SQLFetch", Records: r.warn, Code: sqlError})
	}
	for i := range r.cols {
		col := &r.cols[i]
		var err error
		if col.bound {
			dest[i], err = r.decodeBound(i, col, row)
		} else {
			dest[i], err = r.getData(i, col)
		}
		if err != nil {
			return fmt.Errorf("row %d column %d (%s): %w", r.rows, i+1, col.name, err)
		}
	}
	return nil
}

func (r *Rows) decodeBound(i int, col *column, row int) (driver.Value, error) {
	ind := *(*int64)(unsafe.Add(col.ind, 8*row))
	if ind == sqlNullData {
		return nil, nil
	}
	p := unsafe.Add(col.buf, col.width*row)
	if fw := fixedWidth(col.kind); fw > 0 {
		return decodeFixed(col.kind, p), nil
	}
	term := 0
	switch col.cType {
	case sqlCWChar:
		term = r.c.l.wcharSize
	case sqlCChar:
		term = 1
	}
	if ind == sqlNoTotal || int(ind) > col.width-term {
		// The driver had more than the declared size (PostgreSQL's
		// unbounded varchar, for one): read the whole value again.
		return r.refetch(i, col, row)
	}
	b := unsafe.Slice((*byte)(p), int(ind))
	return decodeVar(r.c.l, col.kind, b), nil
}

func decodeFixed(k colKind, p unsafe.Pointer) driver.Value {
	switch k {
	case kInt:
		return *(*int64)(p)
	case kUint:
		u := *(*uint64)(p)
		if u <= math.MaxInt64 {
			return int64(u)
		}
		return u
	case kFloat:
		return *(*float64)(p)
	case kBool:
		return *(*byte)(p) != 0
	case kDate:
		d := (*sqlDateStruct)(p)
		return time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, time.UTC)
	case kTimestamp:
		t := (*sqlTimestampStruct)(p)
		return time.Date(int(t.Year), time.Month(t.Month), int(t.Day), int(t.Hour), int(t.Minute), int(t.Second), int(t.Fraction), time.UTC)
	}
	return nil
}

// decodeVar converts variable-length data; b may be C memory, so the result
// never aliases it.
func decodeVar(l *lib, k colKind, b []byte) driver.Value {
	switch k {
	case kString:
		return decodeW(b, l.wcharSize)
	case kBytes:
		return append(make([]byte, 0, len(b)), b...)
	default: // kDecimal, kText
		return string(b)
	}
}

// refetch re-reads a truncated bound value with SQLGetData, which ODBC
// allows on bound columns with SQL_GD_BOUND (and, for a multi-row block,
// SQL_GD_BLOCK after positioning with SQLSetPos).
func (r *Rows) refetch(i int, col *column, row int) (driver.Value, error) {
	l := r.c.l
	ext := r.c.getDataExt
	if ext&sqlGDBound == 0 || (r.rowset > 1 && ext&sqlGDBlock == 0) {
		return nil, fmt.Errorf("odbc: value longer than the declared column size %d and the driver cannot re-read bound columns (SQL_GETDATA_EXTENSIONS=%#x); lower Connector.MaxBoundColumnBytes", col.size, ext)
	}
	if r.rowset > 1 {
		if err := l.check("SQLSetPos", sqlHandleStmt, r.h, l.SQLSetPos(r.h, uint64(row+1), sqlPosition, sqlLockNoChange)); err != nil {
			return nil, err
		}
	}
	return r.getData(i, col)
}

// getData reads column i of the current row with SQLGetData, in chunks for
// variable-length data.
func (r *Rows) getData(i int, col *column) (driver.Value, error) {
	l := r.c.l
	colNo := uint16(i + 1)
	indp := r.gdC
	if fw := fixedWidth(col.kind); fw > 0 {
		val := unsafe.Add(r.gdC, 8)
		ret := l.SQLGetData(r.h, colNo, col.cType, val, int64(fw), indp)
		if err := l.check("SQLGetData", sqlHandleStmt, r.h, ret); err != nil {
			return nil, r.c.callErr(r.ctx, err)
		}
		if *(*int64)(indp) == sqlNullData {
			return nil, nil
		}
		return decodeFixed(col.kind, val), nil
	}
	term := 0
	switch col.cType {
	case sqlCWChar:
		term = l.wcharSize
	case sqlCChar:
		term = 1
	}
	unit := max(term, 1)
	data := r.gd[:0]
	if col.kind == kBytes {
		data = nil // returned to the caller: never reuse
	}
	if cap(data) < 4096 {
		data = make([]byte, 0, 4096)
	}
	for {
		// Read straight into data's spare capacity, in whole units.
		free := (cap(data) - len(data)) / unit * unit
		if free <= term {
			data = grow(data, cap(data))
			continue
		}
		tail := data[len(data):cap(data)]
		ret := l.SQLGetData(r.h, colNo, col.cType, unsafe.Pointer(&tail[0]), int64(free), indp)
		if ret == sqlNoData {
			break // everything was returned by the previous calls
		}
		if err := l.check("SQLGetData", sqlHandleStmt, r.h, ret); err != nil {
			return nil, r.c.callErr(r.ctx, err)
		}
		ind := *(*int64)(indp)
		if ind == sqlNullData {
			return nil, nil
		}
		if ret == sqlSuccess || (ind != sqlNoTotal && int(ind) <= free-term) {
			// All that was left fit (SQL_SUCCESS_WITH_INFO may carry
			// another warning than truncation).
			data = data[:len(data)+int(ind)]
			break
		}
		// Truncated (01004): the buffer holds free-term bytes of data.
		got := free - term
		data = data[:len(data)+got]
		if ind != sqlNoTotal && int(ind) > got {
			data = grow(data, int(ind)-got+term)
		} else {
			data = grow(data, cap(data))
		}
	}
	if col.kind == kBytes {
		if cap(data)-len(data) > len(data)/4+64 {
			// Do not hand out a mostly empty 4 KiB buffer per small value.
			data = append(make([]byte, 0, len(data)), data...)
		}
		return data, nil
	}
	v := decodeVar(l, col.kind, data)
	if cap(data) <= 1<<20 {
		r.gd = data // keep moderately sized buffers for the next value
	}
	return v, nil
}

// grow returns b with room for at least n more bytes.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// HasNextResultSet reports true while the statement may have more results;
// NextResultSet finds out with SQLMoreResults.
func (r *Rows) HasNextResultSet() bool { return !r.closed }

// NextResultSet moves to the next result set (SQLMoreResults), or io.EOF.
func (r *Rows) NextResultSet() error {
	if r.closed {
		return io.EOF
	}
	l := r.c.l
	r.unbind()
	ret := l.SQLMoreResults(r.h)
	if ret == sqlNoData {
		r.cols = nil
		return io.EOF
	}
	if err := l.check("SQLMoreResults", sqlHandleStmt, r.h, ret); err != nil {
		return r.c.callErr(r.ctx, err)
	}
	r.cur, r.n, r.done = 0, 0, false
	return r.describe()
}

// ColumnTypeDatabaseTypeName is the driver's type name (SQL_DESC_TYPE_NAME),
// upper-cased: "VARCHAR", "DECIMAL", "INT4".
func (r *Rows) ColumnTypeDatabaseTypeName(i int) string {
	if r.cols[i].typeName != "" {
		return r.cols[i].typeName
	}
	return sqlTypeName(r.cols[i].sqlType)
}

// ColumnTypeNullable reports SQLDescribeCol's nullability.
func (r *Rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	switch r.cols[i].nullable {
	case sqlNullable:
		return true, true
	case sqlNoNulls:
		return false, true
	}
	return false, false
}

// ColumnTypePrecisionScale reports precision and scale of DECIMAL/NUMERIC.
func (r *Rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	c := r.cols[i]
	if c.sqlType == sqlDecimal || c.sqlType == sqlNumeric {
		return int64(c.size), int64(c.digits), true
	}
	return 0, 0, false
}

// ColumnTypeLength reports the declared length of character and binary
// columns (in characters for text), math.MaxInt64 when the driver reports none.
func (r *Rows) ColumnTypeLength(i int) (length int64, ok bool) {
	c := r.cols[i]
	switch c.kind {
	case kString, kBytes:
		// database/sql's convention for unbounded types.
		if c.size == 0 || c.size > math.MaxInt64 {
			return math.MaxInt64, true
		}
		return int64(c.size), true
	}
	return 0, false
}

var (
	typeInt64  = reflect.TypeFor[int64]()
	typeUint64 = reflect.TypeFor[uint64]()
	typeFloat  = reflect.TypeFor[float64]()
	typeBool   = reflect.TypeFor[bool]()
	typeString = reflect.TypeFor[string]()
	typeBytes  = reflect.TypeFor[[]byte]()
	typeTime   = reflect.TypeFor[time.Time]()
)

// ColumnTypeScanType is the Go type Next stores (nil for NULL aside).
func (r *Rows) ColumnTypeScanType(i int) reflect.Type {
	switch r.cols[i].kind {
	case kInt:
		return typeInt64
	case kUint:
		return typeUint64
	case kFloat:
		return typeFloat
	case kBool:
		return typeBool
	case kBytes:
		return typeBytes
	case kDate, kTimestamp:
		return typeTime
	}
	return typeString
}

func sqlTypeName(t int16) string {
	names := map[int16]string{
		sqlChar: "CHAR", sqlVarchar: "VARCHAR", sqlLongVarchar: "LONGVARCHAR", sqlWChar: "WCHAR",
		sqlWVarchar: "WVARCHAR", sqlWLongVarchar: "WLONGVARCHAR", sqlDecimal: "DECIMAL", sqlNumeric: "NUMERIC",
		sqlSmallint: "SMALLINT", sqlInteger: "INTEGER", sqlReal: "REAL", sqlFloat: "FLOAT", sqlDouble: "DOUBLE",
		sqlBit: "BIT", sqlTinyint: "TINYINT", sqlBigint: "BIGINT", sqlBinary: "BINARY", sqlVarbinary: "VARBINARY",
		sqlLongVarbinary: "LONGVARBINARY", sqlTypeDate: "DATE", sqlTypeTime: "TIME", sqlTypeTimestamp: "TIMESTAMP",
		sqlGUID: "GUID",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return fmt.Sprintf("SQLTYPE(%d)", t)
}
