// Package testenv tells integration tests where the real servers are.
//
// integration/services/up starts the servers and prints one
// `export SLUICE_TEST_...=...` line for each that is up; a test asks for the
// one it needs:
//
//	dsn := testenv.MySQL(t) // skips the test when MySQL is not up
//
// Outside CI a missing server skips the test, so `go test ./...` works on a
// laptop with nothing running. In CI (CI=true) a missing server that CI's own
// machine provides fails the test instead: a server that did not start must
// not turn into a green run that tested nothing. SQL Server runs only under
// Docker, which CI's machine lacks, so MSSQL still skips there.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// A backend is one server (or program set) named by an environment variable.
type backend struct {
	env string
	// inCI: CI's machine starts this backend, so in CI its absence is a failure.
	inCI bool
}

var (
	mysqlEnv          = backend{"SLUICE_TEST_MYSQL", true}
	postgresEnv       = backend{"SLUICE_TEST_POSTGRES", true}
	mssqlEnv          = backend{"SLUICE_TEST_MSSQL", true}
	odbcMariaDBEnv    = backend{"SLUICE_TEST_ODBC_MARIADB", true}
	odbcPostgresEnv   = backend{"SLUICE_TEST_ODBC_POSTGRES", true}
	kafkaEnv          = backend{"SLUICE_TEST_KAFKA", true}
	schemaRegistryEnv = backend{"SLUICE_TEST_SCHEMA_REGISTRY", true}
	singerEnv         = backend{"SLUICE_TEST_SINGER", true}
	kcatEnv           = backend{"SLUICE_TEST_KCAT", true}
	kafkaPythonEnv    = backend{"SLUICE_TEST_KAFKA_PYTHON", true}
)

// MySQL returns the MySQL/MariaDB URL, jdbc:mysql://127.0.0.1:3306/test?user=root.
func MySQL(t testing.TB) string { t.Helper(); return require(t, mysqlEnv) }

// Postgres returns the PostgreSQL URL, jdbc:postgresql://127.0.0.1:5432/test?user=root.
func Postgres(t testing.TB) string { t.Helper(); return require(t, postgresEnv) }

// MSSQL returns the SQL Server URL,
// sqlserver://sa:PASSWORD@127.0.0.1:1433?database=master&trustServerCertificate=true.
// Only the Docker setup provides it.
func MSSQL(t testing.TB) string { t.Helper(); return require(t, mssqlEnv) }

// MSSQLPostgres returns the PostgreSQL side of a Babelfish server given as
// SLUICE_TEST_MSSQL (a pgx URL of its babelfish_db; T-SQL database D is the
// schema D_dbo there), for reading back what arrived through a second,
// independent client; "" when the SQL Server is a real one.
func MSSQLPostgres() string { return os.Getenv("SLUICE_TEST_MSSQL_PG") }

// ODBCMariaDB returns an ODBC connection string for the MariaDB Unicode driver.
func ODBCMariaDB(t testing.TB) string { t.Helper(); return require(t, odbcMariaDBEnv) }

// ODBCPostgres returns an ODBC connection string for the PostgreSQL Unicode driver.
func ODBCPostgres(t testing.TB) string { t.Helper(); return require(t, odbcPostgresEnv) }

// Kafka returns the bootstrap address of a Kafka broker, host:port.
func Kafka(t testing.TB) string { t.Helper(); return require(t, kafkaEnv) }

// SchemaRegistry returns the base URL of the Confluent-compatible schema
// registry API (Apicurio's /apis/ccompat/v7 natively, Confluent's with Docker).
func SchemaRegistry(t testing.TB) string { t.Helper(); return require(t, schemaRegistryEnv) }

// Singer returns the directory of the Singer programs: each NAME (tap-postgres,
// tap-mysql, target-jsonl, target-csv, target-postgres) is DIR/bin/NAME, in a
// virtualenv of its own at DIR/NAME.
func Singer(t testing.TB) string { t.Helper(); return require(t, singerEnv) }

// Kcat returns the path of the kcat (kafkacat) program.
func Kcat(t testing.TB) string { t.Helper(); return require(t, kcatEnv) }

// KafkaPython returns a Python interpreter with Confluent's confluent-kafka
// client and its AVRO, JSON Schema and Protobuf serializers installed.
func KafkaPython(t testing.TB) string { t.Helper(); return require(t, kafkaPythonEnv) }

// InCI reports whether the tests run in CI, which sets CI=true (or 1).
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// skipper is the part of testing.TB that require uses, so that the unit tests
// can watch it decide without skipping or failing themselves.
type skipper interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
}

func require(t skipper, b backend) string {
	t.Helper()
	if v := os.Getenv(b.env); v != "" {
		return v
	}
	msg := b.env + ` not set: run eval "$(integration/services/up)"`
	if b.inCI && InCI() {
		t.Fatal(msg)
	} else {
		t.Skip(msg)
	}
	return ""
}
