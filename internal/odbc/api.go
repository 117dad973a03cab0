package odbc

import (
	"unsafe"

	"github.com/ebitengine/purego"
)

// ODBC constants (sql.h, sqlext.h, sqlucode.h). Only the ones this driver uses.
const (
	sqlSuccess         = 0
	sqlSuccessWithInfo = 1
	sqlNoData          = 100
	sqlError           = -1
	sqlInvalidHandle   = -2

	sqlNullData = -1
	sqlNoTotal  = -4
	sqlNTS      = -3

	sqlHandleEnv  = 1
	sqlHandleDbc  = 2
	sqlHandleStmt = 3

	sqlAttrODBCVersion   = 200
	sqlOVODBC3           = 3
	sqlAttrAutocommit    = 102
	sqlAutocommitOff     = 0
	sqlAutocommitOn      = 1
	sqlAttrLoginTimeout  = 103
	sqlAttrTxnIsolation  = 108
	sqlAttrAccessMode    = 101
	sqlModeReadOnly      = 1
	sqlModeReadWrite     = 0
	sqlAttrConnDead      = 1209
	sqlCDTrue            = 1
	sqlDriverNoPrompt    = 0
	sqlCommit            = 0
	sqlRollback          = 1
	sqlClose             = 0
	sqlUnbind            = 2
	sqlResetParams       = 3
	sqlParamInput        = 1
	sqlFetchNext         = 1
	sqlFetchFirst        = 2
	sqlIsUInteger        = -5
	sqlIsPointer         = -4
	sqlPosition          = 0
	sqlLockNoChange      = 0
	sqlTxnReadUncommit   = 1
	sqlTxnReadCommitted  = 2
	sqlTxnRepeatableRead = 4
	sqlTxnSerializable   = 8

	sqlAttrRowBindType        = 5
	sqlAttrRowStatusPtr       = 25
	sqlAttrRowsFetchedPtr     = 26
	sqlAttrRowArraySize       = 27
	sqlAttrParamBindType      = 18
	sqlAttrParamStatusPtr     = 20
	sqlAttrParamsProcessedPtr = 21
	sqlAttrParamsetSize       = 22

	sqlNoNulls  = 0
	sqlNullable = 1

	sqlDescTypeName = 14
	sqlDescUnsigned = 8

	sqlInfoDriverName        = 6
	sqlInfoDBMSName          = 17
	sqlInfoGetDataExtensions = 81
	sqlInfoParamArrayRowCnt  = 153
	sqlGDAnyColumn           = 0x1
	sqlGDBlock               = 0x4
	sqlGDBound               = 0x8
	sqlParcBatch             = 1

	sqlRowError   = 5
	sqlParamError = 5
)

// SQL data types and C types.
const (
	sqlUnknownType   = 0
	sqlChar          = 1
	sqlNumeric       = 2
	sqlDecimal       = 3
	sqlInteger       = 4
	sqlSmallint      = 5
	sqlFloat         = 6
	sqlReal          = 7
	sqlDouble        = 8
	sqlDatetime      = 9 // ODBC 2 SQL_DATE
	sqlTime2         = 10
	sqlTimestamp2    = 11
	sqlVarchar       = 12
	sqlTypeDate      = 91
	sqlTypeTime      = 92
	sqlTypeTimestamp = 93
	sqlLongVarchar   = -1
	sqlBinary        = -2
	sqlVarbinary     = -3
	sqlLongVarbinary = -4
	sqlBigint        = -5
	sqlTinyint       = -6
	sqlBit           = -7
	sqlWChar         = -8
	sqlWVarchar      = -9
	sqlWLongVarchar  = -10
	sqlGUID          = -11
	sqlSSTime2       = -154 // SQL Server TIME(n)
	sqlSSTimestampTZ = -155 // SQL Server DATETIMEOFFSET

	sqlCChar      = sqlChar
	sqlCWChar     = sqlWChar
	sqlCDouble    = sqlDouble
	sqlCBit       = sqlBit
	sqlCBinary    = sqlBinary
	sqlCSBigint   = sqlBigint - 20 // SQL_SIGNED_OFFSET
	sqlCUBigint   = sqlBigint - 22 // SQL_UNSIGNED_OFFSET
	sqlCTypeDate  = sqlTypeDate
	sqlCTimestamp = sqlTypeTimestamp
)

// sqlTimestampStruct mirrors SQL_TIMESTAMP_STRUCT (16 bytes).
type sqlTimestampStruct struct {
	Year     int16
	Month    uint16
	Day      uint16
	Hour     uint16
	Minute   uint16
	Second   uint16
	Fraction uint32 // nanoseconds
}

// sqlDateStruct mirrors SQL_DATE_STRUCT (6 bytes).
type sqlDateStruct struct {
	Year  int16
	Month uint16
	Day   uint16
}

// lib holds the resolved entry points of one loaded driver manager.
//
// Every call goes through purego.SyscallN, which is marked
// //go:uintptrescapes: a uintptr(unsafe.Pointer(p)) written directly in the
// argument list moves *p to the heap (which never moves) and keeps it alive
// for the duration of the call. That makes Go memory safe for arguments the
// driver only uses during the call (strings, out parameters, SQLGetData
// buffers). Memory the driver keeps and uses after the call returns
// (SQLBindCol, SQLBindParameter, the ROWS_FETCHED/STATUS pointer attributes)
// is allocated with C malloc instead (see cmem.go). The wrappers below must
// therefore keep each conversion inside the SyscallN argument list.
type lib struct {
	name      string // the file name that was loaded
	wcharSize int    // 2 (unixODBC: UTF-16) or 4 (iODBC: UTF-32 wchar_t)

	malloc func(size uintptr) unsafe.Pointer
	free   func(p unsafe.Pointer)

	allocHandle, freeHandle, setEnvAttr, setConnectAttr, getConnectAttr, driverConnectW,
	disconnect, prepareW, execute, execDirectW, numResultCols, describeColW, colAttributeW,
	bindParameter, bindCol, fetch, getData, rowCount, moreResults, freeStmt, closeCursor,
	endTran, cancel, getDiagRecW, driversW, setStmtAttr, getInfo, getInfoW, numParams,
	describeParam, setPos uintptr
}

// symbols lists every symbol lib needs, with the field it fills.
func (l *lib) symbols() []struct {
	name string
	ptr  *uintptr
} {
	return []struct {
		name string
		ptr  *uintptr
	}{
		{"SQLAllocHandle", &l.allocHandle},
		{"SQLFreeHandle", &l.freeHandle},
		{"SQLSetEnvAttr", &l.setEnvAttr},
		{"SQLSetConnectAttr", &l.setConnectAttr},
		{"SQLGetConnectAttr", &l.getConnectAttr},
		{"SQLDriverConnectW", &l.driverConnectW},
		{"SQLDisconnect", &l.disconnect},
		{"SQLPrepareW", &l.prepareW},
		{"SQLExecute", &l.execute},
		{"SQLExecDirectW", &l.execDirectW},
		{"SQLNumResultCols", &l.numResultCols},
		{"SQLDescribeColW", &l.describeColW},
		{"SQLColAttributeW", &l.colAttributeW},
		{"SQLBindParameter", &l.bindParameter},
		{"SQLBindCol", &l.bindCol},
		{"SQLFetch", &l.fetch},
		{"SQLGetData", &l.getData},
		{"SQLRowCount", &l.rowCount},
		{"SQLMoreResults", &l.moreResults},
		{"SQLFreeStmt", &l.freeStmt},
		{"SQLCloseCursor", &l.closeCursor},
		{"SQLEndTran", &l.endTran},
		{"SQLCancel", &l.cancel},
		{"SQLGetDiagRecW", &l.getDiagRecW},
		{"SQLDriversW", &l.driversW},
		{"SQLSetStmtAttr", &l.setStmtAttr},
		{"SQLGetInfo", &l.getInfo},
		{"SQLGetInfoW", &l.getInfoW},
		{"SQLNumParams", &l.numParams},
		{"SQLDescribeParam", &l.describeParam},
		{"SQLSetPos", &l.setPos},
	}
}

// handle is an ODBC handle (SQLHANDLE, an opaque C pointer never dereferenced
// by Go).
type handle uintptr

// ret is SQLRETURN (a C short); only the low 16 bits of the register are defined.
func ret(r uintptr) int16 { return int16(r) }

func succeeded(r int16) bool { return r == sqlSuccess || r == sqlSuccessWithInfo }

func (l *lib) SQLAllocHandle(typ int16, in handle, out *handle) int16 {
	r, _, _ := purego.SyscallN(l.allocHandle, uintptr(typ), uintptr(in), uintptr(unsafe.Pointer(out)))
	return ret(r)
}

func (l *lib) SQLFreeHandle(typ int16, h handle) int16 {
	r, _, _ := purego.SyscallN(l.freeHandle, uintptr(typ), uintptr(h))
	return ret(r)
}

// SQLSetEnvAttr with an integer value (passed in the pointer argument, as ODBC specifies).
func (l *lib) SQLSetEnvAttr(env handle, attr int32, value uintptr) int16 {
	r, _, _ := purego.SyscallN(l.setEnvAttr, uintptr(env), uintptr(attr), value, 0)
	return ret(r)
}

// SQLSetConnectAttr with an integer value.
func (l *lib) SQLSetConnectAttr(dbc handle, attr int32, value uintptr) int16 {
	r, _, _ := purego.SyscallN(l.setConnectAttr, uintptr(dbc), uintptr(attr), value, ival(sqlIsUInteger))
	return ret(r)
}

// SQLGetConnectAttr for an integer attribute.
func (l *lib) SQLGetConnectAttr(dbc handle, attr int32, value *uint32) int16 {
	r, _, _ := purego.SyscallN(l.getConnectAttr, uintptr(dbc), uintptr(attr), uintptr(unsafe.Pointer(value)), ival(sqlIsUInteger), 0)
	return ret(r)
}

func (l *lib) SQLDriverConnectW(dbc handle, in unsafe.Pointer, inLen int16, out unsafe.Pointer, outCap int16, outLen *int16) int16 {
	r, _, _ := purego.SyscallN(l.driverConnectW, uintptr(dbc), 0, uintptr(in), uintptr(inLen),
		uintptr(out), uintptr(outCap), uintptr(unsafe.Pointer(outLen)), uintptr(sqlDriverNoPrompt))
	return ret(r)
}

func (l *lib) SQLDisconnect(dbc handle) int16 {
	r, _, _ := purego.SyscallN(l.disconnect, uintptr(dbc))
	return ret(r)
}

func (l *lib) SQLPrepareW(stmt handle, text unsafe.Pointer, n int32) int16 {
	r, _, _ := purego.SyscallN(l.prepareW, uintptr(stmt), uintptr(text), uintptr(n))
	return ret(r)
}

func (l *lib) SQLExecute(stmt handle) int16 {
	r, _, _ := purego.SyscallN(l.execute, uintptr(stmt))
	return ret(r)
}

func (l *lib) SQLExecDirectW(stmt handle, text unsafe.Pointer, n int32) int16 {
	r, _, _ := purego.SyscallN(l.execDirectW, uintptr(stmt), uintptr(text), uintptr(n))
	return ret(r)
}

func (l *lib) SQLNumResultCols(stmt handle, n *int16) int16 {
	r, _, _ := purego.SyscallN(l.numResultCols, uintptr(stmt), uintptr(unsafe.Pointer(n)))
	return ret(r)
}

func (l *lib) SQLDescribeColW(stmt handle, col uint16, name unsafe.Pointer, nameCap int16, nameLen *int16,
	dataType *int16, colSize *uint64, digits *int16, nullable *int16) int16 {
	r, _, _ := purego.SyscallN(l.describeColW, uintptr(stmt), uintptr(col), uintptr(name), uintptr(nameCap),
		uintptr(unsafe.Pointer(nameLen)), uintptr(unsafe.Pointer(dataType)), uintptr(unsafe.Pointer(colSize)),
		uintptr(unsafe.Pointer(digits)), uintptr(unsafe.Pointer(nullable)))
	return ret(r)
}

func (l *lib) SQLColAttributeW(stmt handle, col, field uint16, char unsafe.Pointer, charCap int16, charLen *int16, num *int64) int16 {
	r, _, _ := purego.SyscallN(l.colAttributeW, uintptr(stmt), uintptr(col), uintptr(field), uintptr(char),
		uintptr(charCap), uintptr(unsafe.Pointer(charLen)), uintptr(unsafe.Pointer(num)))
	return ret(r)
}

// SQLBindParameter: value and ind must be C memory (the driver reads them at
// SQLExecute time, after this call returned).
func (l *lib) SQLBindParameter(stmt handle, n uint16, cType, sqlType int16, colSize uint64, digits int16,
	value unsafe.Pointer, bufLen int64, ind unsafe.Pointer) int16 {
	r, _, _ := purego.SyscallN(l.bindParameter, uintptr(stmt), uintptr(n), uintptr(sqlParamInput),
		uintptr(cType), uintptr(sqlType), uintptr(colSize), uintptr(digits), uintptr(value), uintptr(bufLen), uintptr(ind))
	return ret(r)
}

// SQLBindCol: value and ind must be C memory (written at SQLFetch time).
func (l *lib) SQLBindCol(stmt handle, col uint16, cType int16, value unsafe.Pointer, bufLen int64, ind unsafe.Pointer) int16 {
	r, _, _ := purego.SyscallN(l.bindCol, uintptr(stmt), uintptr(col), uintptr(cType), uintptr(value), uintptr(bufLen), uintptr(ind))
	return ret(r)
}

func (l *lib) SQLFetch(stmt handle) int16 {
	r, _, _ := purego.SyscallN(l.fetch, uintptr(stmt))
	return ret(r)
}

// SQLGetData: buf and ind may be Go or C memory; the driver uses them only
// during the call.
func (l *lib) SQLGetData(stmt handle, col uint16, cType int16, buf unsafe.Pointer, bufLen int64, ind unsafe.Pointer) int16 {
	r, _, _ := purego.SyscallN(l.getData, uintptr(stmt), uintptr(col), uintptr(cType), uintptr(buf), uintptr(bufLen), uintptr(ind))
	return ret(r)
}

func (l *lib) SQLRowCount(stmt handle, n *int64) int16 {
	r, _, _ := purego.SyscallN(l.rowCount, uintptr(stmt), uintptr(unsafe.Pointer(n)))
	return ret(r)
}

func (l *lib) SQLMoreResults(stmt handle) int16 {
	r, _, _ := purego.SyscallN(l.moreResults, uintptr(stmt))
	return ret(r)
}

func (l *lib) SQLFreeStmt(stmt handle, option uint16) int16 {
	r, _, _ := purego.SyscallN(l.freeStmt, uintptr(stmt), uintptr(option))
	return ret(r)
}

func (l *lib) SQLCloseCursor(stmt handle) int16 {
	r, _, _ := purego.SyscallN(l.closeCursor, uintptr(stmt))
	return ret(r)
}

func (l *lib) SQLEndTran(typ int16, h handle, completion int16) int16 {
	r, _, _ := purego.SyscallN(l.endTran, uintptr(typ), uintptr(h), uintptr(completion))
	return ret(r)
}

func (l *lib) SQLCancel(stmt handle) int16 {
	r, _, _ := purego.SyscallN(l.cancel, uintptr(stmt))
	return ret(r)
}

func (l *lib) SQLGetDiagRecW(typ int16, h handle, rec int16, state unsafe.Pointer, native *int32,
	msg unsafe.Pointer, msgCap int16, msgLen *int16) int16 {
	r, _, _ := purego.SyscallN(l.getDiagRecW, uintptr(typ), uintptr(h), uintptr(rec), uintptr(state),
		uintptr(unsafe.Pointer(native)), uintptr(msg), uintptr(msgCap), uintptr(unsafe.Pointer(msgLen)))
	return ret(r)
}

func (l *lib) SQLDriversW(env handle, direction uint16, desc unsafe.Pointer, descCap int16, descLen *int16,
	attrs unsafe.Pointer, attrsCap int16, attrsLen *int16) int16 {
	r, _, _ := purego.SyscallN(l.driversW, uintptr(env), uintptr(direction), uintptr(desc), uintptr(descCap),
		uintptr(unsafe.Pointer(descLen)), uintptr(attrs), uintptr(attrsCap), uintptr(unsafe.Pointer(attrsLen)))
	return ret(r)
}

// SQLSetStmtAttr with an integer value.
func (l *lib) SQLSetStmtAttr(stmt handle, attr int32, value uintptr) int16 {
	r, _, _ := purego.SyscallN(l.setStmtAttr, uintptr(stmt), uintptr(attr), value, ival(sqlIsUInteger))
	return ret(r)
}

// SQLSetStmtAttrPtr sets a pointer attribute; p must be C memory because
// the driver writes through it on later calls.
func (l *lib) SQLSetStmtAttrPtr(stmt handle, attr int32, p unsafe.Pointer) int16 {
	r, _, _ := purego.SyscallN(l.setStmtAttr, uintptr(stmt), uintptr(attr), uintptr(p), ival(sqlIsPointer))
	return ret(r)
}

// SQLGetInfoUint reads a 32-bit integer info value.
func (l *lib) SQLGetInfoUint(dbc handle, info uint16, v *uint32) int16 {
	r, _, _ := purego.SyscallN(l.getInfo, uintptr(dbc), uintptr(info), uintptr(unsafe.Pointer(v)), 4, 0)
	return ret(r)
}

func (l *lib) SQLGetInfoW(dbc handle, info uint16, buf unsafe.Pointer, bufCap int16, outLen *int16) int16 {
	r, _, _ := purego.SyscallN(l.getInfoW, uintptr(dbc), uintptr(info), uintptr(buf), uintptr(bufCap), uintptr(unsafe.Pointer(outLen)))
	return ret(r)
}

func (l *lib) SQLNumParams(stmt handle, n *int16) int16 {
	r, _, _ := purego.SyscallN(l.numParams, uintptr(stmt), uintptr(unsafe.Pointer(n)))
	return ret(r)
}

func (l *lib) SQLDescribeParam(stmt handle, n uint16, dataType *int16, size *uint64, digits *int16, nullable *int16) int16 {
	r, _, _ := purego.SyscallN(l.describeParam, uintptr(stmt), uintptr(n), uintptr(unsafe.Pointer(dataType)),
		uintptr(unsafe.Pointer(size)), uintptr(unsafe.Pointer(digits)), uintptr(unsafe.Pointer(nullable)))
	return ret(r)
}

func (l *lib) SQLSetPos(stmt handle, row uint64, op, lock uint16) int16 {
	r, _, _ := purego.SyscallN(l.setPos, uintptr(stmt), uintptr(row), uintptr(op), uintptr(lock))
	return ret(r)
}

// ival passes a (possibly negative) integer constant as a C int/SQLLEN
// argument; constants cannot be converted to uintptr when negative.
func ival(v int64) uintptr { return uintptr(v) }
