package dialect

import (
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/internal/rows"
)

// TableCreator dialects can create the target of a load from the input's
// schema (batch/createtable.go builds the statements; each dialect's file
// says which of its types keeps a field's values exactly).
type TableCreator interface {
	Dialect
	// ColumnType is the dialect's column type for values of t (a field of
	// the input, see FieldType), without NULL or NOT NULL.
	ColumnType(t Type) (string, error)
	// NullSQL is what follows the type of a nullable (NULL or "") and of
	// a required (NOT NULL) column.
	NullSQL(nullable bool) string
	// TableExistsSQL returns one row with one integer column, non-zero
	// when table exists.
	TableExistsSQL(table string) (string, []any)
	// AddColumnSQL adds one column (def is the quoted name and its type).
	AddColumnSQL(table, def string) string
	// TransactionalDDL: CREATE and DROP TABLE run inside a transaction
	// are undone by its rollback, so a failed load leaves the target as
	// it was.
	TransactionalDDL() bool
}

// KeyTypes dialects limit the types of primary-key columns (MySQL and
// SQL Server index no LONGTEXT or NVARCHAR(MAX)): KeyColumnType is a key
// column's type where it differs from ColumnType's.
type KeyTypes interface {
	TableCreator
	KeyColumnType(t Type) (string, error)
}

// FieldType is the column type a field of a row file asks for: the
// field's kind, decimal digits and fractional seconds, refined by its
// SourceType (the source's own type, as a Query stores it: integer width
// and sign, text and binary lengths, fixed-length CHAR/BINARY, JSON,
// single-precision floats) when there is one.
func FieldType(f rows.Field) Type {
	t := Type{Kind: f.Kind, Scale: -1}
	if f.SourceType != "" {
		t, _ = classify(f.SourceType, -1, -1, -1)
		switch {
		case f.Kind == rows.KindAny && t.Kind != rows.KindAny:
			// Values of any kind from a column declared as one (SQLite's
			// BLOB): the declared type, digits included.
			if t.Kind == rows.KindTime || t.Kind == rows.KindTimestamp || t.Kind == rows.KindTimestampTZ {
				t.Scale = 6
			}
			t.Float32 = false
			return t
		case t.Kind != f.Kind:
			// The source dialect classified it otherwise (MySQL's
			// TIMESTAMP is an instant, BIT(8) an integer): the field's
			// kind is what the values are.
			t = Type{Name: t.Name, Kind: f.Kind, Unsigned: t.Unsigned, Length: t.Length, JSON: t.JSON && f.Kind == rows.KindString}
		}
	}
	switch f.Kind {
	case rows.KindFloat:
		// Single precision only where the name is unambiguous: REAL is
		// double on MySQL and SQLite, FLOAT single on MySQL and double on
		// SQL Server. A double column holds a single's values exactly.
		t.Float32 = t.Name == "FLOAT4" || t.Name == "BINARY_FLOAT"
	case rows.KindDecimal:
		t.Precision, t.Scale = f.Precision, f.Scale
		if f.Precision <= 0 {
			t.Precision, t.Scale = 0, -1 // unconstrained (PostgreSQL NUMERIC)
		}
	case rows.KindTime, rows.KindTimestamp, rows.KindTimestampTZ:
		t.Scale = min(max(f.Precision, 0), 6) // row values carry microseconds
		if f.SourceType == "" {
			t.Scale = 6 // unknown: keep every digit a value can carry
		}
	}
	return t
}

// fixedLength: the source column was CHAR(n) or BINARY(n), padded to n.
func fixedLength(t Type) bool {
	switch t.Name {
	case "CHAR", "NCHAR", "CHARACTER", "BPCHAR", "NATIONAL CHARACTER", "BINARY":
		return t.Length > 0
	}
	return false
}

// unsupportedKind is the error for fields no column type holds exactly.
func unsupportedKind(t Type) error {
	return fmt.Errorf("no column type for values of kind %s: create the table yourself (createTable: false)", t.Kind)
}

// decimalType is DECIMAL(p,s) up to the dialect's largest precision;
// unconstrained decimals get unbounded (a dialect's own NUMERIC) or the
// largest DECIMAL with the given scale.
func decimalType(name string, t Type, maxPrecision int, unbounded string, fallbackScale int) (string, error) {
	if t.Precision <= 0 {
		if unbounded != "" {
			return unbounded, nil
		}
		return name + "(" + strconv.Itoa(maxPrecision) + "," + strconv.Itoa(fallbackScale) + ")", nil
	}
	if t.Precision > maxPrecision {
		return "", fmt.Errorf("DECIMAL(%d,%d) exceeds the server's largest precision %d", t.Precision, t.Scale, maxPrecision)
	}
	return name + "(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(max(t.Scale, 0)) + ")", nil
}

// sized is name(n).
func sized(name string, n int) string { return name + "(" + strconv.Itoa(n) + ")" }

// Defaults for TableCreator: standard SQL.

// NullSQL: columns are nullable unless declared NOT NULL.
func (b *Base) NullSQL(nullable bool) string {
	if nullable {
		return ""
	}
	return "NOT NULL"
}

// AddColumnSQL is ALTER TABLE t ADD COLUMN def.
func (b *Base) AddColumnSQL(table, def string) string {
	return "ALTER TABLE " + b.QuoteTable(table) + " ADD COLUMN " + def
}

// intFit is a signed integer column type and the widest values it holds.
type intFit struct {
	bits int
	name string
}

// signedIntType is the first of fits (narrowest first) that holds t's
// values, for dialects with signed integers only: an unsigned source needs
// twice its bits. BIGINT holds the rest, and a width not known.
func signedIntType(t Type, fits ...intFit) string {
	bits := t.Bits
	if t.Unsigned {
		bits *= 2
	}
	for _, f := range fits {
		if bits > 0 && bits <= f.bits {
			return f.name
		}
	}
	return "BIGINT"
}
