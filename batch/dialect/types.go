package dialect

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/rows"
)

// Type is a column type as a server reports it, classified into the row
// model's kinds. Readers decode values by it; writers convert to it.
type Type struct {
	// Name is the base type name, upper case, without parameters:
	// "DECIMAL", "DATETIME2", "TIMESTAMPTZ", "UNSIGNED BIGINT".
	Name string
	Kind rows.Kind
	// Bits is the width of integer types (8, 16, 24, 32, 64).
	Bits     int
	Unsigned bool
	// Precision and Scale: decimals' digits; for time types Scale is the
	// number of fractional second digits when known (-1 unknown).
	Precision, Scale int
	// Length is the declared length of character and binary types (0 when
	// unknown or unlimited).
	Length int
	// JSON marks JSON/JSONB columns (Kind string).
	JSON bool
	// Float32 marks single-precision float columns.
	Float32 bool
	// BitBytes: values arrive as big-endian bytes (MySQL BIT(n)).
	BitBytes bool
}

// String renders the type with its parameters, for schemas and errors.
func (t Type) String() string {
	switch {
	case t.Kind == rows.KindDecimal && t.Precision > 0 && t.Bits == 0:
		return t.Name + "(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case (t.Kind == rows.KindString || t.Kind == rows.KindBytes) && t.Length > 0:
		return t.Name + "(" + strconv.Itoa(t.Length) + ")"
	case (t.Kind == rows.KindTimestamp || t.Kind == rows.KindTimestampTZ || t.Kind == rows.KindTime) && t.Scale > 0:
		return t.Name + "(" + strconv.Itoa(t.Scale) + ")"
	}
	return t.Name
}

// splitTypeName separates "DECIMAL(12, 2) UNSIGNED" into "DECIMAL UNSIGNED"
// and its numeric parameters.
func splitTypeName(s string) (base string, params []int) {
	s = strings.ToUpper(strings.TrimSpace(s))
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return strings.Join(strings.Fields(s), " "), nil
	}
	end := strings.IndexByte(s[open:], ')')
	if end < 0 {
		return strings.Join(strings.Fields(s[:open]), " "), nil
	}
	inner := s[open+1 : open+end]
	for _, p := range strings.Split(inner, ",") {
		p = strings.TrimSpace(p)
		if p == "MAX" {
			params = append(params, 0)
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			params = append(params, -1)
			continue
		}
		params = append(params, n)
	}
	base = strings.Join(strings.Fields(s[:open]+" "+s[open+end+1:]), " ")
	return base, params
}

// typeInfo is what classify read from a type name and the driver's
// figures, for a dialect's own refinements.
type typeInfo struct {
	base                     string // upper case, no parameters, no UNSIGNED
	precision, scale, length int64  // -1 when unknown
}

// classify maps a database type name (as drivers' ColumnTypeDatabaseTypeName
// or a declared SQL type) to a Type with the names' standard meaning; each
// dialect's Classify refines it. precision, scale and length are what the
// driver reported (-1 when it did not); parameters written in the name
// ("DECIMAL(12,2)", SQLite's declared types) take their place when absent.
// Time types whose fractional digits are unknown get Scale -1.
func classify(name string, precision, scale, length int64) (Type, typeInfo) {
	base, params := splitTypeName(name)
	unsigned := false
	if strings.HasPrefix(base, "UNSIGNED ") {
		unsigned, base = true, strings.TrimPrefix(base, "UNSIGNED ")
	}
	if strings.HasSuffix(base, " UNSIGNED") || strings.HasSuffix(base, " UNSIGNED ZEROFILL") {
		unsigned = true
		base = strings.TrimSuffix(strings.TrimSuffix(base, " ZEROFILL"), " UNSIGNED")
	}
	t := Type{Name: base, Kind: rows.KindAny, Scale: -1, Unsigned: unsigned}
	if unsigned {
		t.Name = "UNSIGNED " + base
	}
	p := func(i int) int {
		if i < len(params) && params[i] >= 0 {
			return params[i]
		}
		return -1
	}
	nameP0 := p(0)
	if len(params) == 2 {
		nameP0 = -1 // DECIMAL(p,s)-style, not a time precision
	}
	if precision < 0 && p(0) >= 0 {
		precision = int64(p(0))
	}
	if scale < 0 && p(1) >= 0 {
		scale = int64(p(1))
	}
	if length < 0 && p(0) >= 0 {
		length = int64(p(0))
	}
	info := typeInfo{base: base, precision: precision, scale: scale, length: length}
	intType := func(bits int) {
		t.Kind, t.Bits = rows.KindInt, bits
		if unsigned && bits == 64 {
			// Values above 2^63-1 do not fit int64: keep them exact.
			t.Kind, t.Precision, t.Scale = rows.KindDecimal, 20, 0
		}
	}
	timeScale := func() int {
		if scale < 0 && nameP0 >= 0 {
			// DATETIME(6), DATETIME2(3): the one parameter is the number
			// of fractional digits.
			scale = int64(nameP0)
		}
		if scale >= 0 && scale <= 9 {
			return int(scale)
		}
		return -1
	}
	switch base {
	case "TINYINT", "INT1", "INTEGER1", "I1":
		intType(8)
	case "SMALLINT", "INT2", "INTEGER2", "I2", "SMALLSERIAL", "YEAR":
		intType(16)
	case "MEDIUMINT", "INT3":
		intType(24)
	case "INT", "INTEGER", "INT4", "INTEGER4", "I4", "SERIAL":
		intType(32)
	case "BIGINT", "INT8", "INTEGER8", "I8", "BIGSERIAL", "LONG":
		intType(64)
	case "BOOL", "BOOLEAN":
		t.Kind = rows.KindBool
	case "BIT":
		// BIT(1): a boolean (SQL Server, PostgreSQL, MySQL).
		t.Kind = rows.KindBool
	case "DECIMAL", "NUMERIC", "DEC", "NUMBER", "FIXED":
		t.Kind = rows.KindDecimal
		t.Precision, t.Scale = int(max(precision, 0)), int(max(scale, 0))
		if precision < 0 || precision >= 1<<20 {
			t.Precision = 0 // unconstrained (PostgreSQL NUMERIC)
			t.Scale = -1
		}
	case "MONEY":
		t.Kind = rows.KindDecimal
		t.Precision, t.Scale = 19, 4
	case "SMALLMONEY":
		t.Kind, t.Precision, t.Scale = rows.KindDecimal, 10, 4
	case "FLOAT", "DOUBLE", "DOUBLE PRECISION", "FLOAT8", "REAL", "FLOAT4", "BINARY_DOUBLE", "BINARY_FLOAT":
		t.Kind = rows.KindFloat
		// REAL is single precision in standard SQL; FLOAT means double
		// unless a dialect says otherwise.
		t.Float32 = base == "FLOAT4" || base == "BINARY_FLOAT" || base == "REAL"
	case "CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "CHARACTER", "CHARACTER VARYING", "VARCHAR2", "NVARCHAR2",
		"BPCHAR", "TEXT", "NTEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "CLOB", "NCLOB", "STRING", "NAME",
		"LONG VARCHAR", "LONG NVARCHAR", "C", "ENUM", "SET", "CITEXT", "NATIONAL CHARACTER", "NATIONAL CHARACTER VARYING",
		"NATIVE CHARACTER", "VARYING CHARACTER":
		t.Kind = rows.KindString
		if length > 0 && length < 1<<31-1 {
			t.Length = int(length)
		}
	case "UUID", "UNIQUEIDENTIFIER", "XML", "INET", "CIDR", "MACADDR", "INTERVAL", "TIMETZ", "IPV4", "IPV6",
		"SQL_VARIANT", "HIERARCHYID", "GEOMETRY", "GEOGRAPHY", "POINT", "TSVECTOR", "LTREE", "HSTORE":
		t.Kind = rows.KindString
	case "JSON", "JSONB":
		t.Kind, t.JSON = rows.KindString, true
	case "BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BYTEA", "IMAGE", "BYTE", "VARBYTE",
		"LONG BYTE", "LONG VARBINARY", "RAW", "LONG RAW", "ROWVERSION", "TIMESTAMP ROWVERSION":
		t.Kind = rows.KindBytes
		if length > 0 && length < 1<<31-1 {
			t.Length = int(length)
		}
	case "DATE", "ANSIDATE":
		t.Kind = rows.KindDate
	case "TIME", "TIME WITHOUT TIME ZONE":
		t.Kind = rows.KindTime
		t.Scale = timeScale()
	case "DATETIME", "DATETIME2", "SMALLDATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "INGRESDATE":
		t.Kind = rows.KindTimestamp
		t.Scale = timeScale()
	case "DATETIMEOFFSET", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH LOCAL TIME ZONE":
		t.Kind = rows.KindTimestampTZ
		t.Scale = timeScale()
	}
	return t, info
}
