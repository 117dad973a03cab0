// Package jdbc_test runs the JDBC tasks against real servers: MariaDB and
// PostgreSQL from integration/services/up, SQL Server where
// SLUICE_TEST_MSSQL points at one, and MariaDB through ODBC.
package jdbc_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	neturl "net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/jdbcurl"
)

// The tests work in their own database so tables named as in Kestra's
// examples (users) do not meet other packages' tables in "test".
const testDB = "sluice_jdbc"

var createOnce sync.Map

// server returns the JDBC URL of testDB on the server testenv names and an
// open handle on it.
func server(t *testing.T, name string) (string, *sql.DB) {
	t.Helper()
	var base string
	switch name {
	case dialect.MySQL:
		base = testenv.MySQL(t)
	case dialect.Postgres:
		base = testenv.Postgres(t)
	case dialect.SQLServer:
		base = testenv.MSSQL(t)
	}
	cfg, err := dialect.MustGet(name).ParseURL(base, jdbcurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, done := createOnce.Load(name); !done {
		db, err := sql.Open(cfg.Driver, cfg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case dialect.MySQL:
			_, err = db.Exec("CREATE DATABASE IF NOT EXISTS " + testDB + " CHARACTER SET utf8mb4")
		case dialect.Postgres:
			var n int
			db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", testDB).Scan(&n)
			if n == 0 {
				_, err = db.Exec("CREATE DATABASE " + testDB)
			}
		case dialect.SQLServer:
			_, err = db.Exec("IF DB_ID('" + testDB + "') IS NULL CREATE DATABASE " + testDB)
		}
		db.Close()
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
		createOnce.Store(name, true)
	}
	var url string
	switch name {
	case dialect.SQLServer:
		// A go-mssqldb URL names its database in the query; a JDBC URL
		// takes ;databaseName=.
		if u, err := neturl.Parse(base); err == nil && u.Scheme == "sqlserver" {
			q := u.Query()
			q.Set("database", testDB)
			u.RawQuery = q.Encode()
			url = u.String()
		} else {
			url = base + ";databaseName=" + testDB
		}
	default:
		u, q, _ := strings.Cut(base, "?")
		u = u[:strings.LastIndexByte(u, '/')+1] + testDB
		url = u
		if q != "" {
			url += "?" + q
		}
	}
	cfg, err = dialect.MustGet(name).ParseURL(url, jdbcurl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(cfg.Driver, cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	switch name {
	case dialect.MySQL:
		db.SetMaxOpenConns(1) // session settings below hold for every query
		mustExec(t, db, "SET time_zone = '+00:00'", "SET SESSION group_concat_max_len = 1073741824")
	case dialect.Postgres:
		db.SetMaxOpenConns(1)
		mustExec(t, db, "SET TIME ZONE 'UTC'")
	}
	return url, db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%.200s: %v", s, err)
		}
	}
}

func count(t *testing.T, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A users table shaped like the 23 placeholders of Kestra's example, with
// one column per kind of value a copy must keep exact.
type column struct {
	name, mysql, postgres string
	// canonical SQL producing the same text on both servers.
	myText, pgText string
}

var userColumns = []column{
	{"id", "BIGINT NOT NULL PRIMARY KEY", "BIGINT NOT NULL PRIMARY KEY", "CAST(%s AS CHAR)", "%s::text"},
	{"name", "VARCHAR(100) NOT NULL", "VARCHAR(100) NOT NULL", "%s", "%s"},
	{"email", "VARCHAR(255)", "VARCHAR(255)", "%s", "%s"},
	{"age", "INT", "INTEGER", "CAST(%s AS CHAR)", "%s::text"},
	{"score", "DOUBLE", "DOUBLE PRECISION", "CAST(%s AS CHAR)", "%s::text"},
	{"balance", "DECIMAL(12,2)", "NUMERIC(12,2)", "CAST(%s AS CHAR)", "%s::text"},
	{"big_amount", "DECIMAL(38,10)", "NUMERIC(38,10)", "CAST(%s AS CHAR)", "%s::text"},
	{"active", "BOOLEAN", "BOOLEAN", "IF(%s, 't', 'f')", "CASE WHEN %s THEN 't' ELSE 'f' END"},
	{"flag", "BIT(1)", "BOOLEAN", "IF(%s = 1, 't', 'f')", "CASE WHEN %s THEN 't' ELSE 'f' END"},
	{"birth", "DATE", "DATE", "DATE_FORMAT(%s, '%%Y-%%m-%%d')", "to_char(%s, 'YYYY-MM-DD')"},
	{"created", "DATETIME(6)", "TIMESTAMP(6)", "DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", "to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US')"},
	{"updated", "TIMESTAMP(6) NULL", "TIMESTAMPTZ", "DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", "to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US')"},
	{"wake", "TIME(6)", "TIME(6)", "TIME_FORMAT(%s, '%%H:%%i:%%s.%%f')", "to_char(%s, 'HH24:MI:SS.US')"},
	{"avatar", "VARBINARY(16)", "BYTEA", "LOWER(HEX(%s))", "encode(%s, 'hex')"},
	{"payload", "BLOB", "BYTEA", "LOWER(HEX(%s))", "encode(%s, 'hex')"},
	{"prefs", "JSON", "JSON", "%s", "%s::text"},
	{"counter", "BIGINT UNSIGNED", "NUMERIC(20,0)", "CAST(%s AS CHAR)", "%s::text"},
	{"small", "SMALLINT", "SMALLINT", "CAST(%s AS CHAR)", "%s::text"},
	{"tiny", "TINYINT", "SMALLINT", "CAST(%s AS CHAR)", "%s::text"},
	{"ratio", "FLOAT", "REAL", "CAST(%s AS CHAR)", "%s::text"},
	{"note", "TEXT", "TEXT", "%s", "%s"},
	{"code", "CHAR(3)", "CHAR(3)", "%s", "rtrim(%s)"},
	{"nullable_col", "VARCHAR(20)", "VARCHAR(20)", "%s", "%s"},
}

func createUsers(t *testing.T, db *sql.DB, name, table string) {
	t.Helper()
	var defs []string
	for _, c := range userColumns {
		typ := c.mysql
		if name == dialect.Postgres {
			typ = c.postgres
		}
		defs = append(defs, c.name+" "+typ)
	}
	mustExec(t, db, "DROP TABLE IF EXISTS "+table, "CREATE TABLE "+table+" ("+strings.Join(defs, ", ")+")")
}

// seedUsers fills the MySQL users table with n rows: edge values first,
// then random ones (fixed seed).
func seedUsers(t *testing.T, db *sql.DB, table string, n int) {
	t.Helper()
	special := []string{
		"(1, 'Zoë 😀 \\\\ ''quoted'' \\t tab', NULL, -2147483648, 0.1, -9999999999.99, 1234567890123456789012345678.0123456789, TRUE, b'1', '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '00:00:00.000000', x'00', x'', '{\"a\": [1, 2.50, \"x\"], \"b\": null}', 18446744073709551615, -32768, -128, 0.25, 'line1\\nline2\\r\\n', 'abc', NULL)",
		"(2, '', '', 2147483647, -123456.789012345, 9999999999.99, -0.0000000001, FALSE, b'0', '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '23:59:59.999999', x'ffffffffffffffffffffffffffffffff', x'00ff00ff', '[]', 0, 32767, 127, -1.5, '', 'x', 'not null')",
		"(3, 'nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
	}
	r := rand.New(rand.NewPCG(1, 2))
	var vals []string
	flush := func() {
		if len(vals) > 0 {
			mustExec(t, db, "INSERT INTO "+table+" VALUES "+strings.Join(vals, ","))
			vals = vals[:0]
		}
	}
	vals = append(vals, special...)
	for i := 4; i <= n; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'user %d', 'u%d@example.com', %d, %v, %d.%02d, %d.%010d, %t, b'%d', '%04d-%02d-%02d', '2024-%02d-%02d %02d:%02d:%02d.%06d', '2001-01-01 00:00:00.%06d', '%02d:%02d:%02d.%06d', x'%016x', x'%06x', '{\"n\": %d}', %d, %d, %d, %v, 'note %d', 'c%02d', %s)",
			i, i, i, r.Int32()-1<<30, r.Float64()*1e6-5e5, r.IntN(2e9)-1e9, r.IntN(100), r.Int64N(1e17), r.Int64N(1e10), r.IntN(2) == 1, r.IntN(2),
			1900+r.IntN(200), 1+r.IntN(12), 1+r.IntN(28), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e6), r.IntN(1e6),
			r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e6), r.Uint64(), r.Uint64()&0xffffff, i, r.Uint64()>>1, r.IntN(65536)-32768, r.IntN(256)-128,
			float32(r.IntN(1000))/8, i, i%100, nullable(r)))
		if len(vals) >= 500 {
			flush()
		}
	}
	flush()
}

func nullable(r *rand.Rand) string {
	if r.IntN(10) < 3 {
		return "NULL"
	}
	return fmt.Sprintf("'v%d'", r.IntN(1000))
}

// checksums computes, per column, the MD5 of the canonical text of every
// value in id order, on the server itself.
func checksums(t *testing.T, db *sql.DB, name, table string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range userColumns {
		var q string
		if name == dialect.MySQL {
			expr := fmt.Sprintf(c.myText, c.name)
			q = fmt.Sprintf("SELECT MD5(GROUP_CONCAT(COALESCE(%s, '<null>') ORDER BY id SEPARATOR '|')), COUNT(*) FROM %s", expr, table)
		} else {
			expr := fmt.Sprintf(c.pgText, c.name)
			q = fmt.Sprintf("SELECT md5(string_agg(COALESCE(%s, '<null>'), '|' ORDER BY id)), count(*) FROM %s", expr, table)
		}
		var sum sql.NullString
		var n int64
		if err := db.QueryRow(q).Scan(&sum, &n); err != nil {
			t.Fatalf("%s checksum of %s: %v", name, c.name, err)
		}
		out[c.name] = fmt.Sprintf("%s/%d", sum.String, n)
	}
	return out
}

// columnTexts returns the canonical texts of one column, for a readable
// diff when checksums differ.
func columnTexts(t *testing.T, db *sql.DB, name, table string, c column) []string {
	t.Helper()
	expr := fmt.Sprintf(c.pgText, c.name)
	if name == dialect.MySQL {
		expr = fmt.Sprintf(c.myText, c.name)
	}
	rs, err := db.Query(fmt.Sprintf("SELECT COALESCE(%s, '<null>') FROM %s ORDER BY id", expr, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		rs.Scan(&s)
		out = append(out, s)
	}
	return out
}

func compareTables(t *testing.T, my *sql.DB, myTable string, pg *sql.DB, pgDialect, pgTable string) {
	t.Helper()
	a := checksums(t, my, dialect.MySQL, myTable)
	b := checksums(t, pg, pgDialect, pgTable)
	for _, c := range userColumns {
		if a[c.name] == b[c.name] {
			continue
		}
		x := columnTexts(t, my, dialect.MySQL, myTable, c)
		y := columnTexts(t, pg, pgDialect, pgTable, c)
		for i := range min(len(x), len(y)) {
			if x[i] != y[i] {
				t.Errorf("column %s differs (checksums %s vs %s), first at row %d: %q vs %q", c.name, a[c.name], b[c.name], i+1, x[i], y[i])
				break
			}
		}
		if len(x) != len(y) {
			t.Errorf("column %s: %d vs %d rows", c.name, len(x), len(y))
		}
	}
}
