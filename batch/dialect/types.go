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

// Classify maps a database type name (as drivers' ColumnTypeDatabaseTypeName
// or a declared SQL type) to a Type. precision, scale and length are what
// the driver reported (-1 when it did not); parameters written in the name
// ("DECIMAL(12,2)", SQLite's declared types) take their place when absent.
func (d *Dialect) Classify(name string, precision, scale, length int64) Type {
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
	intType := func(bits int) {
		t.Kind, t.Bits = rows.KindInt, bits
		if unsigned && bits == 64 {
			// Values above 2^63-1 do not fit int64: keep them exact.
			t.Kind, t.Precision, t.Scale = rows.KindDecimal, 20, 0
		}
	}
	switch base {
	case "TINYINT", "INT1", "INTEGER1", "I1":
		intType(8)
		if d.Name == SQLServer {
			// SQL Server's TINYINT is unsigned 0..255.
			t.Unsigned = true
		}
		if d.Name == MySQL && length == 1 && !unsigned {
			// TINYINT(1) is MySQL's BOOLEAN (Connector/J's tinyInt1isBit).
			t.Kind, t.Bits = rows.KindBool, 0
		}
	case "SMALLINT", "INT2", "INTEGER2", "I2", "SMALLSERIAL", "YEAR":
		intType(16)
	case "MEDIUMINT", "INT3":
		intType(24)
	case "INT", "INTEGER", "INT4", "INTEGER4", "I4", "SERIAL":
		intType(32)
		if d.Name == SQLite {
			// SQLite integers are 64-bit whatever the declaration.
			t.Bits = 64
		}
	case "BIGINT", "INT8", "INTEGER8", "I8", "BIGSERIAL", "LONG":
		intType(64)
	case "BOOL", "BOOLEAN":
		t.Kind = rows.KindBool
	case "BIT":
		// SQL Server and PostgreSQL BIT(1), MySQL BIT(1): a boolean. Wider
		// MySQL BIT(n) columns are unsigned integers.
		if d.Name == MySQL && length > 1 {
			t.Kind, t.Bits, t.Unsigned = rows.KindInt, int(length), true
		} else if d.Name == Postgres && length > 1 {
			t.Kind, t.Length = rows.KindString, int(length)
		} else {
			t.Kind = rows.KindBool
		}
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
		if d.Name == Postgres {
			// PostgreSQL money depends on lc_monetary; read as text.
			t.Kind, t.Precision, t.Scale = rows.KindString, 0, -1
		}
	case "SMALLMONEY":
		t.Kind, t.Precision, t.Scale = rows.KindDecimal, 10, 4
	case "FLOAT", "DOUBLE", "DOUBLE PRECISION", "FLOAT8", "REAL", "FLOAT4", "BINARY_DOUBLE", "BINARY_FLOAT":
		t.Kind = rows.KindFloat
		switch base {
		case "FLOAT4", "BINARY_FLOAT":
			t.Float32 = true
		case "REAL":
			// REAL is single precision everywhere but in SQLite and MySQL
			// (where it means DOUBLE by default).
			t.Float32 = d.Name != SQLite && d.Name != MySQL
		case "FLOAT":
			// MySQL FLOAT is single precision; SQL Server FLOAT(n<=24) too.
			t.Float32 = d.Name == MySQL || (d.Name == SQLServer && precision > 0 && precision <= 24) || (d.Name == Vectorwise && precision > 0 && precision <= 24)
		}
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
		if base == "BLOB" && d.Name == SQLite {
			t.Kind = rows.KindAny // SQLite BLOB affinity: anything, stored as given
		}
		if length > 0 && length < 1<<31-1 {
			t.Length = int(length)
		}
	case "DATE", "ANSIDATE":
		t.Kind = rows.KindDate
	case "TIME", "TIME WITHOUT TIME ZONE":
		t.Kind = rows.KindTime
		t.Scale = timeScale(d, base, scale, nameP0)
	case "DATETIME", "DATETIME2", "SMALLDATETIME", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "INGRESDATE":
		t.Kind = rows.KindTimestamp
		t.Scale = timeScale(d, base, scale, nameP0)
		if base == "TIMESTAMP" && d.Name == MySQL {
			// MySQL TIMESTAMP is an instant, shown in the session zone
			// (UTC on sluice's connections).
			t.Kind = rows.KindTimestampTZ
		}
		if base == "TIMESTAMP" && d.Name == SQLServer {
			// SQL Server's TIMESTAMP is ROWVERSION, 8 bytes.
			t.Kind, t.Scale = rows.KindBytes, -1
		}
	case "DATETIMEOFFSET", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH LOCAL TIME ZONE":
		t.Kind = rows.KindTimestampTZ
		t.Scale = timeScale(d, base, scale, nameP0)
	default:
		if d.Name == SQLite {
			t = sqliteAffinity(base, t)
		}
	}
	return t
}

func timeScale(d *Dialect, base string, scale int64, nameParam int) int {
	if scale < 0 && nameParam >= 0 {
		// DATETIME(6), DATETIME2(3): the one parameter is the number of
		// fractional digits.
		scale = int64(nameParam)
	}
	if scale >= 0 && scale <= 9 {
		return int(scale)
	}
	switch d.Name {
	case MySQL:
		return 0 // DATETIME without (n) has no fractional digits
	case SQLServer:
		switch base {
		case "DATETIME":
			return 3
		case "SMALLDATETIME":
			return 0
		}
		return 7
	case Postgres:
		return 6
	}
	return -1
}

// sqliteAffinity applies SQLite's type-affinity rules (section 3.1 of the
// datatype documentation) to declared types sluice does not know by name.
func sqliteAffinity(base string, t Type) Type {
	switch {
	case base == "":
		t.Kind = rows.KindAny
	case strings.Contains(base, "INT"):
		t.Kind, t.Bits = rows.KindInt, 64
	case strings.Contains(base, "CHAR"), strings.Contains(base, "CLOB"), strings.Contains(base, "TEXT"):
		t.Kind = rows.KindString
	case strings.Contains(base, "BLOB"):
		t.Kind = rows.KindAny
	case strings.Contains(base, "REAL"), strings.Contains(base, "FLOA"), strings.Contains(base, "DOUB"):
		t.Kind = rows.KindFloat
	default:
		t.Kind = rows.KindAny
	}
	return t
}
