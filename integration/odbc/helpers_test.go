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

	"github.com/sluicehq/sluice/integration/testenv"
	"github.com/sluicehq/sluice/internal/odbc"
)

// backend describes one server reached through ODBC and its SQL dialect.
type backend struct {
	name    string
	sleep   string // a query that runs for about 20 seconds
	missing struct {
		state  string
		native int32
	}
	dupState string
	// boolIsInt: MariaDB's BOOLEAN is TINYINT(1) and reads back as int64.
	boolIsInt bool
	// streaming is what the connection string needs for the driver to
	// stream result sets instead of buffering them whole on the client.
	streaming string
}

var tableSeq atomic.Int64

// backends lists the servers the tests run against; each subtest asks
// testenv for its connection string (b.dsn), so a server that is not up
// skips only its own subtests (and fails them in CI). A machine without
// unixODBC skips everything outside CI.
func backends(tb testing.TB) []backend {
	tb.Helper()
	if err := odbc.Available(); err != nil {
		if testenv.InCI() {
			tb.Fatal(err)
		}
		tb.Skip("skipping: " + err.Error())
	}
	maria := backend{name: "mariadb", sleep: "SELECT SLEEP(20)", dupState: "23000", boolIsInt: true,
		streaming: "OPTION=1048576;"}
	maria.missing.state, maria.missing.native = "42S02", 1146
	pg := backend{name: "postgres", sleep: "SELECT pg_sleep(20)", dupState: "23505",
		streaming: "UseDeclareFetch=1;Fetch=1000;"}
	pg.missing.state = "42P01"
	return []backend{maria, pg}
}

// dsn returns the backend's connection string, or skips the test.
func (b backend) dsn(tb testing.TB) string {
	tb.Helper()
	if b.name == "mariadb" {
		return testenv.ODBCMariaDB(tb)
	}
	cs := testenv.ODBCPostgres(tb)
	// BoolsAsChar=0: booleans as SQL_BIT instead of the driver's default
	// of reporting them as VARCHAR.
	if !strings.Contains(strings.ToLower(cs), "boolsaschar") {
		cs = strings.TrimRight(cs, ";") + ";BoolsAsChar=0;"
	}
	return cs
}

// streamingDSN is dsn with the options that make the driver stream.
func (b backend) streamingDSN(tb testing.TB) string {
	return strings.TrimRight(b.dsn(tb), ";") + ";" + b.streaming
}

func (b backend) open(t testing.TB) *sql.DB {
	t.Helper()
	return openDSN(t, b.name, b.dsn(t))
}

func openDSN(t testing.TB, name, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("odbc", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("%s: %v", name, err)
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
