package dialect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql" // registers driver "mysql"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// MySQL is MySQL and MariaDB, through go-sql-driver/mysql.
const MySQL = "mysql"

type mysqlDialect struct{ Base }

func init() {
	Register(&mysqlDialect{Base{
		name: MySQL,
		info: Info{
			Aliases: []string{"mariadb"}, Kestra: "mysql", Title: "MySQL or MariaDB", Driver: "mysql",
			QueryExample: "url: jdbc:mysql://127.0.0.1:3306/shop\nusername: app\npassword: \"{{ secret('MYSQL_PASSWORD') }}\"\nsql: select * from users\nstore: true",
			BatchExample: "url: jdbc:mysql://127.0.0.1:3306/shop\nusername: app\npassword: \"{{ secret('MYSQL_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: users\nmode: merge\nkeys: [id]",
		},
		parse: jdbcurl.ParseMySQL,
		open:  '`', close: '`', placeholder: question,
		// 16-bit parameter count in the protocol.
		limits: Limits{MaxParams: 65535},
		lex:    lexical{backslashEscapes: true, backticks: true, hashComments: true},
		transient: []string{
			"1213",  // deadlock found when trying to get lock
			"1205",  // lock wait timeout exceeded
			"40001", // SQLSTATE serialization failure
		},
	}})
}

// LOAD DATA LOCAL INFILE, literal inserts under max_allowed_packet,
// declared column types and display widths.
var (
	_ LoadDataLoader = (*mysqlDialect)(nil)
	_ DeclaredTypes  = (*mysqlDialect)(nil)
	_ ResultLengths  = (*mysqlDialect)(nil)
)

func (d *mysqlDialect) Classify(name string, precision, scale, length int64) Type {
	t, c := classify(name, precision, scale, length)
	switch c.base {
	case "TINYINT":
		if c.length == 1 && !t.Unsigned {
			// TINYINT(1) is MySQL's BOOLEAN (Connector/J's tinyInt1isBit).
			t.Kind, t.Bits = rows.KindBool, 0
		}
	case "BIT":
		// BIT(1) is a boolean; wider BIT(n) columns are unsigned integers.
		// Both arrive as big-endian bytes.
		t.BitBytes = true
		if c.length > 1 {
			t.Kind, t.Bits, t.Unsigned = rows.KindInt, int(c.length), true
		}
	case "REAL":
		t.Float32 = false // REAL means DOUBLE unless REAL_AS_FLOAT
	case "FLOAT":
		t.Float32 = true
	case "TIMESTAMP":
		// An instant, shown in the session zone (UTC on sluice's
		// connections).
		t.Kind = rows.KindTimestampTZ
	}
	timeDefault(&t, func(string) int { return 0 }) // DATETIME without (n): whole seconds
	return t
}

func (d *mysqlDialect) SessionSQL(timeZone string) []string {
	if timeZone == "" {
		timeZone = "+00:00"
	}
	return []string{"SET time_zone = '" + strings.ReplaceAll(timeZone, "'", "''") + "'"}
}

func (d *mysqlDialect) CreateStageSQL(stage, target string, cols []string) []string {
	s := d.quoteStage(stage)
	return []string{"DROP TEMPORARY TABLE IF EXISTS " + s,
		"CREATE TEMPORARY TABLE " + s + " AS SELECT " + d.quoteList(cols) + " FROM " + d.QuoteTable(target) + " WHERE 1=0"}
}

func (d *mysqlDialect) DropStageSQL(stage string) string {
	return "DROP TEMPORARY TABLE IF EXISTS " + d.quoteStage(stage)
}

func (d *mysqlDialect) ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error) {
	p, err := d.plan(mode, target, stage, cols, keys)
	if err != nil {
		return nil, err
	}
	if mode == Replace {
		// MySQL cannot name the target in a correlated subquery of its
		// own DELETE; the multi-table form does the same.
		return []string{"DELETE t FROM " + p.target + " t JOIN " + p.stage + " s ON " + p.on("t", "s"), p.insertAll()}, nil
	}
	if len(p.rest) == 0 {
		return []string{"INSERT IGNORE INTO " + p.target + " (" + p.list + ") SELECT " + p.list + " FROM " + p.stage}, nil
	}
	// VALUES(col) works on MariaDB and MySQL (deprecated but kept in 8.x);
	// the row-alias form is MySQL-only.
	same := func(c string) string { return c }
	return []string{p.insertAll() + " ON DUPLICATE KEY UPDATE " + p.set(same, func(c string) string { return "VALUES(" + c + ")" })}, nil
}

func (d *mysqlDialect) PrimaryKeySQL(table string) (string, []any) {
	name, schema := splitTable(table)
	q := "SELECT column_name FROM information_schema.key_column_usage WHERE constraint_name = 'PRIMARY' AND table_name = ?"
	if schema != "" {
		return q + " AND table_schema = ? ORDER BY ordinal_position", []any{name, schema}
	}
	return q + " AND table_schema = DATABASE() ORDER BY ordinal_position", []any{name}
}

// ColumnTypesSQL reads information_schema, which has the declared types
// (TINYINT(1), BIT(8), DATETIME(6)) that the protocol's metadata loses.
func (d *mysqlDialect) ColumnTypesSQL(table string) (string, []any) {
	name, schema := splitTable(table)
	q := "SELECT column_name, column_type FROM information_schema.columns WHERE table_name = ? AND table_schema = "
	if schema != "" {
		return q + "? ORDER BY ordinal_position", []any{name, schema}
	}
	return q + "DATABASE() ORDER BY ordinal_position", []any{name}
}

func (d *mysqlDialect) ProbeLoadData(ctx context.Context, conn *sql.Conn) (LoadDataSettings, error) {
	var s LoadDataSettings
	var local int
	var mode string
	row := conn.QueryRowContext(ctx, "SELECT @@local_infile, @@max_allowed_packet, @@sql_mode")
	if err := row.Scan(&local, &s.MaxPacket, &mode); err != nil {
		return s, err
	}
	s.LocalInfile = local == 1
	s.NoBackslash = strings.Contains(mode, "NO_BACKSLASH_ESCAPES")
	return s, nil
}

// ResultLength reads the display width go-sql-driver/mysql keeps but does
// not expose (its ColumnTypeLength is commented out), so TINYINT(1) and
// BIT(1) can be read as booleans, as Connector/J does. Character lengths
// are bytes of the charset, not characters, and are dropped.
func (d *mysqlDialect) ResultLength(dr driver.Rows, i int, typeName string, reported int64) int64 {
	if ml := mysqlColumnLength(dr, i); ml >= 0 {
		reported = ml
	}
	if strings.HasSuffix(typeName, "TEXT") || strings.HasSuffix(typeName, "CHAR") {
		return -1
	}
	return reported
}

// mysqlColumnLength returns -1 if the driver's internals differ from what
// this code knows.
func mysqlColumnLength(dr driver.Rows, i int) (n int64) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	v := reflect.ValueOf(dr)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return -1
	}
	rs := v.FieldByName("rs")
	if !rs.IsValid() {
		return -1
	}
	cols := rs.FieldByName("columns")
	if !cols.IsValid() || cols.Kind() != reflect.Slice || i >= cols.Len() {
		return -1
	}
	l := cols.Index(i).FieldByName("length")
	if !l.IsValid() || l.Kind() != reflect.Uint32 {
		return -1
	}
	return int64(l.Uint())
}

func (d *mysqlDialect) ErrorCodes(err error) (codes []string) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		codes = append(codes, strconv.Itoa(int(me.Number)))
		if me.SQLState != [5]byte{} {
			codes = append(codes, string(me.SQLState[:]))
		}
	}
	return codes
}

// Creating tables (batch/createtable.go). MySQL and MariaDB commit the
// open transaction at CREATE and DROP TABLE: a created table stays when
// the load that created it fails.
var _ TableCreator = (*mysqlDialect)(nil)

func (d *mysqlDialect) TransactionalDDL() bool { return false }

// NullSQL says NULL explicitly: without it a TIMESTAMP column is NOT NULL
// with a default where explicit_defaults_for_timestamp is off.
func (d *mysqlDialect) NullSQL(nullable bool) string {
	if nullable {
		return "NULL"
	}
	return "NOT NULL"
}

func (d *mysqlDialect) TableExistsSQL(table string) (string, []any) {
	name, schema := splitTable(table)
	q := "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = "
	if schema != "" {
		return q + "?", []any{name, schema}
	}
	return q + "DATABASE()", []any{name}
}

// ColumnType: TEXT and BLOB of unknown length are LONGTEXT and LONGBLOB
// (4 GB, no value is cut); a known length up to 16383 characters is
// VARCHAR(n) (the row-size limit is 65535 bytes; utf8mb4 takes up to 4 a
// character); TIMESTAMP (an instant, 1970 to 2038) for zoned timestamps,
// DATETIME for wall-clock ones.
func (d *mysqlDialect) ColumnType(t Type) (string, error) {
	unsigned := ""
	if t.Unsigned {
		unsigned = " UNSIGNED"
	}
	switch t.Kind {
	case rows.KindBool:
		return "BOOLEAN", nil
	case rows.KindInt:
		switch {
		case t.Bits == 8:
			return "TINYINT" + unsigned, nil
		case t.Bits == 16:
			return "SMALLINT" + unsigned, nil
		case t.Bits == 24:
			return "MEDIUMINT" + unsigned, nil
		case t.Bits == 32:
			return "INT" + unsigned, nil
		}
		return "BIGINT", nil
	case rows.KindDecimal:
		if t.Unsigned && t.Precision == 20 && t.Scale == 0 {
			return "BIGINT UNSIGNED", nil
		}
		return decimalType("DECIMAL", t, 65, "", 30)
	case rows.KindFloat:
		if t.Float32 {
			return "FLOAT", nil
		}
		return "DOUBLE", nil
	case rows.KindString:
		switch {
		case t.JSON:
			return "JSON", nil
		case fixedLength(t) && t.Length <= 255:
			return sized("CHAR", t.Length), nil
		case t.Length > 0 && t.Length <= 16383:
			return sized("VARCHAR", t.Length), nil
		}
		return "LONGTEXT", nil
	case rows.KindBytes:
		switch {
		case fixedLength(t) && t.Length <= 255:
			return sized("BINARY", t.Length), nil
		case t.Length > 0 && t.Length <= 4096 && t.Name == "VARBINARY":
			return sized("VARBINARY", t.Length), nil
		}
		return "LONGBLOB", nil
	case rows.KindDate:
		return "DATE", nil
	case rows.KindTime:
		return sized("TIME", t.Scale), nil
	case rows.KindTimestamp:
		return sized("DATETIME", t.Scale), nil
	case rows.KindTimestampTZ:
		return sized("TIMESTAMP", t.Scale), nil
	}
	return "", unsupportedKind(t)
}

var _ KeyTypes = (*mysqlDialect)(nil)

// KeyColumnType: InnoDB indexes at most 3072 bytes of a key and no TEXT or
// BLOB without a prefix length, so key text and binary of unknown or
// larger length are VARCHAR(255) and VARBINARY(255) (1020 bytes in
// utf8mb4: three such columns fit one key); a longer value fails the load.
func (d *mysqlDialect) KeyColumnType(t Type) (string, error) {
	switch {
	case t.Kind == rows.KindString && !fixedLength(t) && (t.JSON || t.Length <= 0 || t.Length > 255):
		return "VARCHAR(255)", nil
	case t.Kind == rows.KindBytes && !fixedLength(t) && (t.Length <= 0 || t.Length > 255):
		return "VARBINARY(255)", nil
	}
	return d.ColumnType(t)
}
