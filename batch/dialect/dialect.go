// Package dialect holds what differs between the SQL servers sluice reads
// and writes. Each server family is one file (mysql.go, postgres.go,
// sqlserver.go, sqlite.go, vectorwise.go) holding a type that implements
// Dialect and registers itself in init(), as a database/sql driver does;
// what only some servers have (a bulk protocol, COPY, LOAD DATA, ODBC) is
// an optional interface found by type assertion. Nothing outside a
// dialect's own file compares a dialect's name: callers ask the Dialect.
//
// Most of a Dialect is SQL text (quoting, placeholders, multi-row inserts,
// staging tables, upserts), unit-tested here without a server; the rest
// is data about the server (parameter limits, how its driver binds and
// returns values, its transient error codes) and its URL syntax.
//
// Adding a server: see docs/jdbc.md ("Adding a dialect").
package dialect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/internal/jdbcurl"
	"github.com/sluicehq/sluice/internal/rows"
)

// Dialect is one server family.
type Dialect interface {
	// Name is the dialect's own name ("mysql"): task IDs are
	// jdbc.<Name>.Query and jdbc.<Name>.Batch.
	Name() string
	// Info is the rest of the dialect's identity: aliases, its Kestra
	// name, driver, documentation.
	Info() Info
	// ParseURL turns a JDBC URL or the driver's DSN into a connection.
	ParseURL(raw string, o jdbcurl.Options) (*jdbcurl.Config, error)

	// Placeholder is the i-th (1-based) bind parameter marker.
	Placeholder(i int) string
	// QuoteIdent quotes one identifier; QuoteTable a possibly qualified one.
	QuoteIdent(s string) string
	QuoteTable(name string) string
	// Limits are the server's limits on one statement.
	Limits() Limits
	// CountParams counts the '?' placeholders of sql; Rebind rewrites them
	// into the dialect's own; ParsePlainInsert recognises an INSERT whose
	// VALUES are nothing but placeholders.
	CountParams(sql string) int
	Rebind(sql string) string
	ParsePlainInsert(sql string) (PlainInsert, bool)
	// RowsPerInsert is how many rows of ncols columns one parameterised
	// INSERT may carry (at most want when want > 0; at least 1).
	RowsPerInsert(ncols, want int) int
	InsertSQL(table string, cols []string, nrows int) string
	InsertPrefix(table string, cols []string) string
	SelectNoRowsSQL(table string, cols []string) string
	DeleteAllSQL(table string) string

	// SessionSQL puts a fresh connection in the state sluice's value
	// conversions assume (session time zone).
	SessionSQL(timeZone string) []string
	// Staging: a session-private table the rows of replace and merge are
	// loaded into before ApplyStageSQL moves them into the target.
	StageName(target string) string
	CreateStageSQL(stage, target string, cols []string) []string
	ClearStageSQL(stage string) string
	DropStageSQL(stage string) string
	ApplyStageSQL(mode Mode, target, stage string, cols, keys []string) ([]string, error)
	// PrimaryKeySQL lists the primary-key columns of table in key order.
	PrimaryKeySQL(table string) (string, []any)

	// Classify maps a server type name to a Type (reading and writing).
	Classify(name string, precision, scale, length int64) Type
	// Binding says how values travel as arguments to the server's driver;
	// ScanHints how the driver returns them.
	Binding() Binding
	ScanHints() ScanHints
	// TransientCodes are the server's error codes and SQLSTATEs of
	// failures worth retrying; ErrorCodes extracts the codes an error of
	// the dialect's driver carries (nil for other errors).
	TransientCodes() []string
	ErrorCodes(err error) []string
}

// Info describes a dialect to users and to the task registry.
type Info struct {
	// Aliases are other names Get accepts ("postgresql", "mssql").
	Aliases []string
	// Kestra is the name in Kestra's task types
	// (io.kestra.plugin.jdbc.<Kestra>.Query).
	Kestra string
	// Title names the servers, for task titles ("MySQL or MariaDB").
	Title string
	// Driver is the database/sql driver name.
	Driver string
	// QueryExample and BatchExample are the tasks' documented examples
	// (YAML properties).
	QueryExample, BatchExample string
}

// Limits are a server's limits on one statement.
type Limits struct {
	// MaxParams is the largest number of bind parameters one statement may
	// carry.
	MaxParams int
	// MaxRowsPerInsert caps the rows of one multi-row VALUES list; 0 = no
	// cap, 1 = the server takes one row per INSERT.
	MaxRowsPerInsert int
}

// Binding says how the server's database/sql driver takes values.
type Binding struct {
	// BoolAsInt sends booleans as 1 and 0.
	BoolAsInt bool
	// TemporalAsText sends dates and timestamps as ISO text (the driver
	// would store a time.Time in a form of its own).
	TemporalAsText bool
	// Null, when set, is the argument for a NULL in a column of kind k
	// (a typed NULL: the driver would send an untyped nil as a type the
	// server may refuse to convert).
	Null func(k rows.Kind) any
}

// ScanHints say how the server's driver returns values.
type ScanHints struct {
	// DynamicTypes: each value carries its own storage class whatever the
	// column's declared type (SQLite), so a value's Go type wins over the
	// column's kind, and raw bytes are binary, never text.
	DynamicTypes bool
}

// Optional abilities, found by type assertion on a Dialect.

// BulkCopier dialects load through their driver's bulk-copy protocol
// (SQL Server: go-mssqldb's CopyIn, the TDS bulk load).
type BulkCopier interface {
	Dialect
	// BulkCopyRefusal says why the connected server cannot bulk-load
	// columns of these types exactly ("" when it can); the load then uses
	// multi-row INSERTs.
	BulkCopyRefusal(ctx context.Context, conn *sql.Conn, names []string, types []Type) (string, error)
}

// Copier dialects load with COPY FROM STDIN (PostgreSQL, through pgx).
type Copier interface {
	Dialect
	CopyFrom()
}

// LoadDataSettings are the server settings LOAD DATA and literal inserts
// depend on.
type LoadDataSettings struct {
	// LocalInfile: the server accepts LOAD DATA LOCAL INFILE.
	LocalInfile bool
	// MaxPacket is the largest statement the server takes, in bytes.
	MaxPacket int
	// NoBackslash: backslashes in string literals are not escapes.
	NoBackslash bool
}

// LoadDataLoader dialects load with LOAD DATA LOCAL INFILE where the
// server allows it, else with literal multi-row INSERTs sized under the
// server's packet limit (MySQL, MariaDB).
type LoadDataLoader interface {
	Dialect
	ProbeLoadData(ctx context.Context, conn *sql.Conn) (LoadDataSettings, error)
}

// DeclaredTypes dialects can list a table's declared column types, which
// carry more than the protocol's result metadata (MySQL: TINYINT(1),
// BIT(8), DATETIME(6)). The query returns (column name, column type) rows
// in table order; no row means "ask the server" (a temporary table).
type DeclaredTypes interface {
	Dialect
	ColumnTypesSQL(table string) (string, []any)
}

// ResultLengths dialects read column lengths their driver keeps but does
// not report (MySQL display widths: TINYINT(1) and BIT(1) as booleans).
type ResultLengths interface {
	Dialect
	ResultLength(rows driver.Rows, i int, typeName string, reported int64) int64
}

// ODBC dialects connect through the system's ODBC driver manager: their
// tasks take the ODBC properties (driver, odbcConnectionString) and load
// with ODBC parameter arrays.
type ODBC interface {
	Dialect
	ODBC()
}

var (
	mu     sync.RWMutex
	byName = map[string]Dialect{}
	names  []string
)

// Register makes a dialect available under its name and aliases. It
// panics on a duplicate: dialects register from init().
func Register(d Dialect) {
	mu.Lock()
	defer mu.Unlock()
	for _, n := range append([]string{d.Name()}, d.Info().Aliases...) {
		if _, dup := byName[n]; dup {
			panic("dialect.Register: duplicate dialect name " + n)
		}
		byName[n] = d
	}
	names = append(names, d.Name())
	sort.Strings(names)
}

// Get returns the dialect with the given name or alias.
func Get(name string) (Dialect, error) {
	mu.RLock()
	defer mu.RUnlock()
	if d, ok := byName[strings.ToLower(name)]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("unknown SQL dialect %q (known: %s)", name, strings.Join(names, ", "))
}

// MustGet is Get for names known at compile time.
func MustGet(name string) Dialect {
	d, err := Get(name)
	if err != nil {
		panic(err)
	}
	return d
}

// All returns every registered dialect, sorted by name.
func All() []Dialect {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Dialect, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}

// Mode is how loaded rows meet existing ones.
type Mode string

// Load modes.
const (
	Insert         Mode = "insert"
	TruncateInsert Mode = "truncate_insert"
	// Replace deletes the target rows whose keys match an input row, then
	// inserts every input row.
	Replace Mode = "replace"
	// Merge updates the non-key columns of matching rows and inserts the
	// others (an upsert).
	Merge Mode = "merge"
)
