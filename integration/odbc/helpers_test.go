// Package odbc_test runs sluice's ODBC driver (internal/odbc) against real
// servers through the system's unixODBC: MariaDB via odbc-mariadb and
// PostgreSQL via odbc-postgresql.
package odbc_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluicehq/sluice/internal/odbc"
)

// backend describes one server reached through ODBC and its SQL dialect.
type backend struct {
	name    string
	conn    string
	sleep   string // a query that runs for about 20 seconds
	missing struct {
		state  string
		native int32
	}
	dupState string
	// quirks
	boolIsInt bool // MariaDB BOOLEAN is TINYINT(1): reads back as int64
	// streaming is what the connection string needs for the driver to
	// stream result sets instead of buffering them whole on the client.
	streaming string
}

var tableSeq atomic.Int64

// backends returns the servers configured for this run; a test using none
// is skipped. integration/services/up exports the connection strings.
func backends(tb testing.TB) []backend {
	tb.Helper()
	out, why := configured()
	if len(out) == 0 {
		tb.Skip("skipping: " + why)
	}
	return out
}

func configured() ([]backend, string) {
	if err := odbc.Available(); err != nil {
		return nil, err.Error()
	}
	var out []backend
	if cs := os.Getenv("SLUICE_TEST_ODBC_MARIADB"); cs != "" {
		b := backend{name: "mariadb", conn: cs, sleep: "SELECT SLEEP(20)", dupState: "23000", boolIsInt: true,
			streaming: "OPTION=1048576;"}
		b.missing.state, b.missing.native = "42S02", 1146
		out = append(out, b)
	}
	if cs := os.Getenv("SLUICE_TEST_ODBC_POSTGRES"); cs != "" {
		// BoolsAsChar=0: booleans as SQL_BIT instead of the driver's
		// default of reporting them as VARCHAR.
		if !strings.Contains(strings.ToLower(cs), "boolsaschar") {
			cs = strings.TrimRight(cs, ";") + ";BoolsAsChar=0;"
		}
		b := backend{name: "postgres", conn: cs, sleep: "SELECT pg_sleep(20)", dupState: "23505",
			streaming: "UseDeclareFetch=1;Fetch=1000;"}
		b.missing.state = "42P01"
		out = append(out, b)
	}
	return out, "neither SLUICE_TEST_ODBC_MARIADB nor SLUICE_TEST_ODBC_POSTGRES is set (eval \"$(integration/services/up)\")"
}

// withStreaming returns the backend with its streaming options added.
func (b backend) withStreaming() backend {
	b.conn = strings.TrimRight(b.conn, ";") + ";" + b.streaming
	return b
}

func (b backend) open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("odbc", b.conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("%s: %v", b.name, err)
	}
	return db
}

// table creates a uniquely named table from a column list and drops it
// when the test ends.
func (b backend) table(t testing.TB, db *sql.DB, columns string) string {
	t.Helper()
	name := fmt.Sprintf("odbc_it_%d_%d", os.Getpid(), tableSeq.Add(1))
	if _, err := db.Exec("CREATE TABLE " + name + " (" + columns + ")"); err != nil {
		t.Fatalf("%s: create table: %v", b.name, err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE " + name) })
	return name
}

func count(t testing.TB, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
