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
