package dialect

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// Postgres is PostgreSQL, through pgx's database/sql driver.
const Postgres = "postgres"

type postgresDialect struct{ Base }

func init() {
	Register(&postgresDialect{Base{
		name: Postgres,
		info: Info{
			Aliases: []string{"postgresql"}, Kestra: "postgresql", Title: "PostgreSQL", Driver: "pgx",
			QueryExample: "url: jdbc:postgresql://127.0.0.1:5432/shop\nusername: app\npassword: \"{{ secret('PG_PASSWORD') }}\"\nsql: select * from users\nfetchOne: true",
			BatchExample: "url: jdbc:postgresql://127.0.0.1:5432/shop\nusername: app\npassword: \"{{ secret('PG_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: users\ntransaction: chunk\nchunk: 10000",
		},
		parse: jdbcurl.ParsePostgres,
		open:  '"', close: '"',
		placeholder: func(i int) string { return "$" + strconv.Itoa(i) },
		// 16-bit parameter count in the protocol.
		limits: Limits{MaxParams: 65535},
		lex:    lexical{dollarQuotes: true},
		transient: []string{
			"40001", // serialization failure
			"40P01", // deadlock detected
			"55P03", // lock not available
			"57P01", // admin shutdown (failover)
		},
	}})
}

// COPY FROM STDIN.
var _ Copier = (*postgresDialect)(nil)

func (d *postgresDialect) CopyFrom() {}

func (d *postgresDialect) Classify(name string, precision, scale, length int64) Type {
	t, c := classify(name, precision, scale, length)
	switch c.base {
	case "BIT":
		if c.length > 1 {
			t.Kind, t.Length = rows.KindString, int(c.length) // BIT(n): a bit string
		}
	case "MONEY":
		// money's text depends on lc_monetary: read it as text.
		t.Kind, t.Precision, t.Scale = rows.KindString, 0, -1
	}
	timeDefault(&t, func(string) int { return 6 })
	return t
}

func (d *postgresDialect) SessionSQL(timeZone string) []string {
	if timeZone == "" {
		timeZone = "UTC"
	}
	return []string{"SET TIME ZONE '" + strings.ReplaceAll(timeZone, "'", "''") + "'"}
}

func (d *postgresDialect) CreateStageSQL(stage, target string, cols []string) []string {
	s := d.quoteStage(stage)
	return []string{"DROP TABLE IF EXISTS pg_temp." + s,
		"CREATE TEMPORARY TABLE " + s + " AS SELECT " + d.quoteList(cols) + " FROM " + d.QuoteTable(target) + " WITH NO DATA"}
}

func (d *postgresDialect) PrimaryKeySQL(table string) (string, []any) {
	return "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
		"WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)", []any{d.QuoteTable(table)}
}

func (d *postgresDialect) ErrorCodes(err error) []string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return []string{pe.Code}
	}
	return nil
}

// Creating tables (batch/createtable.go): PostgreSQL's DDL is
// transactional, so the table is created (and with recreate dropped) in
// the load's own transaction.
var _ TableCreator = (*postgresDialect)(nil)

func (d *postgresDialect) TransactionalDDL() bool { return true }

func (d *postgresDialect) TableExistsSQL(table string) (string, []any) {
	return "SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE 1 END", []any{d.QuoteTable(table)}
}

// ColumnType: JSON, not JSONB, keeps the text of a document as it came
// (JSONB reorders keys and drops duplicates); unsigned integers widen to
// the next signed type; NUMERIC without digits when the source had none.
func (d *postgresDialect) ColumnType(t Type) (string, error) {
	switch t.Kind {
	case rows.KindBool:
		return "BOOLEAN", nil
	case rows.KindInt:
		return signedIntType(t, intFit{16, "SMALLINT"}, intFit{32, "INTEGER"}), nil
	case rows.KindDecimal:
		return decimalType("NUMERIC", t, 1000, "NUMERIC", 0)
	case rows.KindFloat:
		if t.Float32 {
			return "REAL", nil
		}
		return "DOUBLE PRECISION", nil
	case rows.KindString:
		switch {
		case t.JSON:
			return "JSON", nil
		case fixedLength(t):
			return sized("CHAR", t.Length), nil
		case t.Length > 0 && t.Length <= 10485760:
			return sized("VARCHAR", t.Length), nil
		}
		return "TEXT", nil
	case rows.KindBytes:
		return "BYTEA", nil
	case rows.KindDate:
		return "DATE", nil
	case rows.KindTime:
		return sized("TIME", t.Scale), nil
	case rows.KindTimestamp:
		return sized("TIMESTAMP", t.Scale), nil
	case rows.KindTimestampTZ:
		return sized("TIMESTAMPTZ", t.Scale), nil
	}
	return "", unsupportedKind(t)
}
