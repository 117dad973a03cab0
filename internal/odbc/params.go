package odbc

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"
)

// Parameter binding. Values are written into C memory (cbuf) and bound
// with SQLBindParameter; the driver reads them during SQLExecute.
//
//	int64      SQL_C_SBIGINT  -> SQL_BIGINT
//	uint64     SQL_C_UBIGINT  -> SQL_BIGINT
//	float64    SQL_C_DOUBLE   -> SQL_DOUBLE
//	bool       SQL_C_BIT      -> SQL_BIT
//	string     SQL_C_WCHAR    -> SQL_WVARCHAR (SQL_WLONGVARCHAR above 4000 units)
//	[]byte     SQL_C_BINARY   -> SQL_VARBINARY (SQL_LONGVARBINARY above 8000 bytes)
//	time.Time  SQL_C_TYPE_TIMESTAMP -> SQL_TYPE_TIMESTAMP, wall clock of its location
//	nil        NULL, typed by SQLDescribeParam when the statement is prepared
//	           and the driver can describe it, else SQL_VARCHAR
//
// Decimals travel as strings: the server converts them exactly.

const (
	longStringUnits = 4000
	longBinaryBytes = 8000
)

// pval is one parameter's binding, computed before memory is laid out.
type pval struct {
	cType, sqlType int16
	size           uint64
	digits         int16
	n              int // value bytes
	null           bool
	v              driver.Value
}

// describeParam returns the SQL type of parameter i (0-based) of a prepared
// statement, cached; ok is false when the driver cannot describe it.
type paramTypes struct {
	h     handle
	known []*pdesc
}

type pdesc struct {
	ok      bool
	sqlType int16
	size    uint64
	digits  int16
}

func (pt *paramTypes) describe(l *lib, i int) pdesc {
	if pt == nil {
		return pdesc{}
	}
	for len(pt.known) <= i {
		pt.known = append(pt.known, nil)
	}
	if pt.known[i] == nil {
		var d pdesc
		var nullable int16
		if succeeded(l.SQLDescribeParam(pt.h, uint16(i+1), &d.sqlType, &d.size, &d.digits, &nullable)) && d.sqlType != sqlUnknownType {
			d.ok = true
		}
		pt.known[i] = &d
	}
	return *pt.known[i]
}

func classifyParam(l *lib, pt *paramTypes, i int, v driver.Value) (pval, error) {
	w := l.wcharSize
	switch x := v.(type) {
	case nil:
		p := pval{cType: sqlCChar, sqlType: sqlVarchar, size: 1, null: true}
		if d := pt.describe(l, i); d.ok {
			p.sqlType, p.size, p.digits = d.sqlType, max(d.size, 1), d.digits
		}
		return p, nil
	case int64:
		return pval{cType: sqlCSBigint, sqlType: sqlBigint, size: 19, n: 8, v: x}, nil
	case uint64:
		return pval{cType: sqlCUBigint, sqlType: sqlBigint, size: 20, n: 8, v: x}, nil
	case float64:
		return pval{cType: sqlCDouble, sqlType: sqlDouble, size: 15, n: 8, v: x}, nil
	case bool:
		return pval{cType: sqlCBit, sqlType: sqlBit, size: 1, n: 1, v: x}, nil
	case string:
		units := wlen(x, w)
		st := int16(sqlWVarchar)
		if units > longStringUnits {
			st = sqlWLongVarchar
		}
		return pval{cType: sqlCWChar, sqlType: st, size: uint64(max(units, 1)), n: units * w, v: x}, nil
	case []byte:
		if x == nil {
			return pval{cType: sqlCBinary, sqlType: sqlVarbinary, size: 1, null: true}, nil
		}
		st := int16(sqlVarbinary)
		if len(x) > longBinaryBytes {
			st = sqlLongVarbinary
		}
		return pval{cType: sqlCBinary, sqlType: st, size: uint64(max(len(x), 1)), n: len(x), v: x}, nil
	case time.Time:
		p := pval{cType: sqlCTimestamp, sqlType: sqlTypeTimestamp, size: 26, digits: 6, n: 16, v: x}
		if x.Nanosecond()%1000 != 0 {
			p.size, p.digits = 29, 9
		}
		return p, nil
	}
	return pval{}, fmt.Errorf("odbc: parameter %d: unsupported type %T", i+1, v)
}

// writeParam stores p's value at dst (C memory of at least p.n bytes).
func writeParam(l *lib, dst unsafe.Pointer, p pval) {
	switch x := p.v.(type) {
	case int64:
		*(*int64)(dst) = x
	case uint64:
		*(*uint64)(dst) = x
	case float64:
		*(*float64)(dst) = x
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		*(*byte)(dst) = b
	case string:
		putW(unsafe.Slice((*byte)(dst), p.n), x, l.wcharSize)
	case []byte:
		copy(unsafe.Slice((*byte)(dst), p.n), x)
	case time.Time:
		*(*sqlTimestampStruct)(dst) = toTimestampStruct(x)
	}
}

func toTimestampStruct(t time.Time) sqlTimestampStruct {
	return sqlTimestampStruct{
		Year: int16(t.Year()), Month: uint16(t.Month()), Day: uint16(t.Day()),
		Hour: uint16(t.Hour()), Minute: uint16(t.Minute()), Second: uint16(t.Second()),
		Fraction: uint32(t.Nanosecond()),
	}
}

// bindParams lays out args in buf and binds them to h. Parameters are
// positional (?); names are rejected because ODBC has no portable syntax.
func bindParams(c *Conn, h handle, buf *cbuf, pt *paramTypes, args []driver.NamedValue) error {
	l := c.l
	// Drop earlier bindings: a previous execution with more parameters
	// would leave pointers into memory that buf.ensure may free below.
	l.SQLFreeStmt(h, sqlResetParams)
	if len(args) == 0 {
		return nil
	}
	vals := make([]pval, len(args))
	total := 0
	for i, a := range args {
		if a.Name != "" {
			return fmt.Errorf("odbc: named parameter %q: ODBC only supports positional ? parameters", a.Name)
		}
		p, err := classifyParam(l, pt, i, a.Value)
		if err != nil {
			return err
		}
		vals[i] = p
		total += align8(p.n) + 8
	}
	base := buf.ensure(l, total)
	off := 0
	for i, p := range vals {
		val := unsafe.Add(base, off)
		off += align8(p.n)
		ind := unsafe.Add(base, off)
		off += 8
		if p.null {
			*(*int64)(ind) = sqlNullData
		} else {
			writeParam(l, val, p)
			*(*int64)(ind) = int64(p.n)
		}
		r := l.SQLBindParameter(h, uint16(i+1), p.cType, p.sqlType, p.size, p.digits, val, int64(p.n), ind)
		if err := l.check(fmt.Sprintf("SQLBindParameter(%d)", i+1), sqlHandleStmt, h, r); err != nil {
			return fmt.Errorf("binding parameter %d (%T): %w", i+1, p.v, err)
		}
	}
	return nil
}

// CheckNamedValue accepts the types bindParams understands and converts the
// other integer and float types; everything else goes through database/sql's
// default converter (Valuer, and kinds like named string types).
func (c *Conn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case nil, int64, float64, bool, string, []byte, time.Time:
		return nil
	case uint64:
		if v <= math.MaxInt64 {
			nv.Value = int64(v)
		}
	case int:
		nv.Value = int64(v)
	case int8:
		nv.Value = int64(v)
	case int16:
		nv.Value = int64(v)
	case int32:
		nv.Value = int64(v)
	case uint:
		if uint64(v) <= math.MaxInt64 {
			nv.Value = int64(v)
		} else {
			nv.Value = uint64(v)
		}
	case uint8:
		nv.Value = int64(v)
	case uint16:
		nv.Value = int64(v)
	case uint32:
		nv.Value = int64(v)
	case float32:
		// Through the decimal text: float64(float32(0.1)) would be 0.10000000149011612.
		nv.Value = float32to64(v)
	default:
		val, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
		if err != nil {
			return fmt.Errorf("odbc: parameter %d: %w", nv.Ordinal, err)
		}
		nv.Value = val
	}
	return nil
}

// float32to64 keeps the shortest decimal that round-trips the float32.
func float32to64(f float32) float64 {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return float64(f)
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}
