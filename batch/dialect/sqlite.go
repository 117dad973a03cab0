package dialect

import (
	"errors"
	"strings"

	_ "modernc.org/sqlite" // registers driver "sqlite"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// SQLite is SQLite through modernc.org/sqlite (pure Go, no server).
const SQLite = "sqlite"

type sqliteDialect struct{ Base }

func init() {
	Register(&sqliteDialect{Base{
		name: SQLite,
		info: Info{
			Aliases: []string{"sqlite3"}, Kestra: "sqlite", Title: "SQLite (embedded, no server)", Driver: "sqlite",
			QueryExample: "url: jdbc:sqlite:/data/shop.db\nsql: select * from users\nfetch: true",
			BatchExample: "url: jdbc:sqlite:/data/shop.db\nfrom: \"{{ outputs.query.uri }}\"\ntable: users",
		},
		parse: jdbcurl.ParseSQLite,
		open:  '"', close: '"', placeholder: question,
		// SQLITE_MAX_VARIABLE_NUMBER since 3.32.
		limits: Limits{MaxParams: 32766},
		// The driver stores a time.Time in a text form of its own and
		// booleans as it likes: send ISO text and 1/0.
		binding:   Binding{BoolAsInt: true, TemporalAsText: true},
		scanHints: ScanHints{DynamicTypes: true},
		transient: []string{"SQLITE_BUSY", "SQLITE_LOCKED"},
	}})
}

func (d *sqliteDialect) Classify(name string, precision, scale, length int64) Type {
	t, c := classify(name, precision, scale, length)
	switch {
	case t.Kind == rows.KindInt && t.Bits == 32:
		t.Bits = 64 // INT and INTEGER are 64-bit in SQLite
	case c.base == "REAL":
		t.Float32 = false // 8-byte IEEE in SQLite
	case c.base == "BLOB":
		t.Kind = rows.KindAny // BLOB affinity: anything, stored as given
	case t.Kind == rows.KindAny:
		t = sqliteAffinity(c.base, t)
	}
	return t
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

func (d *sqliteDialect) CreateStageSQL(stage, target string, cols []string) []string {
	s := d.quoteStage(stage)
	return []string{"DROP TABLE IF EXISTS temp." + s,
		"CREATE TEMP TABLE " + s + " AS SELECT " + d.quoteList(cols) + " FROM " + d.QuoteTable(target) + " WHERE 0"}
}

func (d *sqliteDialect) PrimaryKeySQL(table string) (string, []any) {
	name, _ := splitTable(table)
	return "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", []any{name}
}

func (d *sqliteDialect) ErrorCodes(err error) []string {
	var sq interface{ Code() int }
	if errors.As(err, &sq) {
		switch sq.Code() & 0xff { // primary result code of an extended one
		case 5:
			return []string{"SQLITE_BUSY"}
		case 6:
			return []string{"SQLITE_LOCKED"}
		}
	}
	return nil
}

// Creating tables (batch/createtable.go): SQLite's DDL is transactional.
// Its declared types only set an affinity; sluice declares the names its
// own Classify reads back as the field's kind (DECIMAL(p,s), DATE,
// TIMESTAMP, TIMESTAMPTZ, BOOLEAN), so a later Query returns the same
// kinds.
var _ TableCreator = (*sqliteDialect)(nil)

func (d *sqliteDialect) TransactionalDDL() bool { return true }

func (d *sqliteDialect) TableExistsSQL(table string) (string, []any) {
	name, schema := splitTable(table)
	master := "sqlite_master"
	if schema != "" {
		master = d.QuoteIdent(schema) + ".sqlite_master"
	}
	return "SELECT count(*) FROM " + master + " WHERE type IN ('table', 'view') AND name = ?", []any{name}
}

func (d *sqliteDialect) ColumnType(t Type) (string, error) {
	switch t.Kind {
	case rows.KindBool:
		return "BOOLEAN", nil
	case rows.KindInt:
		return "INTEGER", nil
	case rows.KindDecimal:
		return decimalType("DECIMAL", t, 1000, "NUMERIC", 0)
	case rows.KindFloat:
		return "DOUBLE", nil
	case rows.KindString:
		if t.JSON {
			return "JSON", nil
		}
		return "TEXT", nil
	case rows.KindBytes:
		return "BLOB", nil
	case rows.KindDate:
		return "DATE", nil
	case rows.KindTime:
		return "TIME", nil
	case rows.KindTimestamp:
		return "TIMESTAMP", nil
	case rows.KindTimestampTZ:
		return "TIMESTAMPTZ", nil
	case rows.KindAny, rows.KindNull:
		return "BLOB", nil // BLOB affinity: every value stored as it is
	}
	return "", unsupportedKind(t)
}
