package jdbc

import (
	"context"

	"github.com/sluicehq/sluice/connectors/jdbc/jdbcurl"
	"github.com/sluicehq/sluice/flows/plugin"
)

// One properties type per task, so that each has its own docs and the
// Vectorwise ones their ODBC properties.

// MySQLQuery is jdbc.mysql.Query.
type MySQLQuery struct {
	Query `yaml:",inline"`
}

// MySQLBatch is jdbc.mysql.Batch.
type MySQLBatch struct {
	Batch `yaml:",inline"`
}

// SQLServerQuery is jdbc.sqlserver.Query.
type SQLServerQuery struct {
	Query `yaml:",inline"`
}

// SQLServerBatch is jdbc.sqlserver.Batch.
type SQLServerBatch struct {
	Batch `yaml:",inline"`
}

// PostgresQuery is jdbc.postgres.Query.
type PostgresQuery struct {
	Query `yaml:",inline"`
}

// PostgresBatch is jdbc.postgres.Batch.
type PostgresBatch struct {
	Batch `yaml:",inline"`
}

// SQLiteQuery is jdbc.sqlite.Query.
type SQLiteQuery struct {
	Query `yaml:",inline"`
}

// SQLiteBatch is jdbc.sqlite.Batch.
type SQLiteBatch struct {
	Batch `yaml:",inline"`
}

// VectorwiseQuery is jdbc.vectorwise.Query.
type VectorwiseQuery struct {
	Query `yaml:",inline"`
	ODBC  `yaml:",inline"`
}

// VectorwiseBatch is jdbc.vectorwise.Batch.
type VectorwiseBatch struct {
	Batch `yaml:",inline"`
	ODBC  `yaml:",inline"`
}

func (t *MySQLQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.MySQL, nil)
}
func (t *MySQLQuery) Validate() error { return t.validate(jdbcurl.MySQL) }
func (t *MySQLBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.MySQL, nil)
}
func (t *MySQLBatch) Validate() error { return t.validate(jdbcurl.MySQL) }

func (t *SQLServerQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.SQLServer, nil)
}
func (t *SQLServerQuery) Validate() error { return t.validate(jdbcurl.SQLServer) }
func (t *SQLServerBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.SQLServer, nil)
}
func (t *SQLServerBatch) Validate() error { return t.validate(jdbcurl.SQLServer) }

func (t *PostgresQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.Postgres, nil)
}
func (t *PostgresQuery) Validate() error { return t.validate(jdbcurl.Postgres) }
func (t *PostgresBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.Postgres, nil)
}
func (t *PostgresBatch) Validate() error { return t.validate(jdbcurl.Postgres) }

func (t *SQLiteQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.SQLite, nil)
}
func (t *SQLiteQuery) Validate() error { return t.validate(jdbcurl.SQLite) }
func (t *SQLiteBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.run(ctx, rc, jdbcurl.SQLite, nil)
}
func (t *SQLiteBatch) Validate() error { return t.validate(jdbcurl.SQLite) }

func (t *VectorwiseQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.Query.run(ctx, rc, jdbcurl.Vectorwise, &t.ODBC)
}
func (t *VectorwiseQuery) Validate() error {
	if t.ODBCConnectionString != "" && t.URL == "" {
		// The ODBC connection string stands in for the URL.
		q := t.Query
		q.URL = "jdbc:vectorwise://odbc:VW7/connection-string"
		return q.validate(jdbcurl.Vectorwise)
	}
	return t.Query.validate(jdbcurl.Vectorwise)
}
func (t *VectorwiseBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return t.Batch.run(ctx, rc, jdbcurl.Vectorwise, &t.ODBC)
}
func (t *VectorwiseBatch) Validate() error {
	if t.ODBCConnectionString != "" && t.URL == "" {
		b := t.Batch
		b.URL = "jdbc:vectorwise://odbc:VW7/connection-string"
		return b.validate(jdbcurl.Vectorwise)
	}
	return t.Batch.validate(jdbcurl.Vectorwise)
}

var queryOutputs = []plugin.Output{
	{Name: "row", When: "fetchOne: true", Doc: "With fetchOne: the first row, a map of column label to value (null when the result is empty)."},
	{Name: "rows", When: "fetch: true", Doc: "With fetch: every row, a list of maps of column label to value."},
	{Name: "uri", When: "store: true", Doc: "With store: the row file holding every row (sluice:///... URI)."},
	{Name: "size", Doc: "Number of rows fetched or stored."},
}

var batchOutputs = []plugin.Output{
	{Name: "rowCount", Doc: "Number of input rows written and committed."},
	{Name: "updatedCount", Doc: "Number of rows the server reports as affected (MySQL counts an updated row twice in merge mode)."},
}

type dialectInfo struct {
	id, kestra, title, example, batchExample string
	query, batch                             func() any
}

var dialects = []dialectInfo{
	{id: "mysql", kestra: "mysql", title: "MySQL or MariaDB",
		example:      "url: jdbc:mysql://127.0.0.1:3306/shop\nusername: app\npassword: \"{{ secret('MYSQL_PASSWORD') }}\"\nsql: select * from users\nstore: true",
		batchExample: "url: jdbc:mysql://127.0.0.1:3306/shop\nusername: app\npassword: \"{{ secret('MYSQL_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: users\nmode: merge\nkeys: [id]",
		query:        func() any { return &MySQLQuery{} }, batch: func() any { return &MySQLBatch{} }},
	{id: "sqlserver", kestra: "sqlserver", title: "Microsoft SQL Server or Azure SQL",
		example:      "url: jdbc:sqlserver://localhost:1433;databaseName=shop;trustServerCertificate=true\nusername: sa\npassword: \"{{ secret('MSSQL_PASSWORD') }}\"\nsql: select * from users\nstore: true",
		batchExample: "url: jdbc:sqlserver://localhost:1433;databaseName=shop;trustServerCertificate=true\nusername: sa\npassword: \"{{ secret('MSSQL_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\nsql: insert into users values (?, ?, ?)",
		query:        func() any { return &SQLServerQuery{} }, batch: func() any { return &SQLServerBatch{} }},
	{id: "vectorwise", kestra: "vectorwise", title: "Actian Vectorwise (Vector) through ODBC",
		example:      "url: jdbc:vectorwise://vw.example.com:VW7/sales\nusername: actian\npassword: \"{{ secret('VW_PASSWORD') }}\"\nsql: select * from orders\nstore: true",
		batchExample: "url: jdbc:vectorwise://vw.example.com:VW7/sales\nusername: actian\npassword: \"{{ secret('VW_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: orders",
		query:        func() any { return &VectorwiseQuery{} }, batch: func() any { return &VectorwiseBatch{} }},
	{id: "postgres", kestra: "postgresql", title: "PostgreSQL",
		example:      "url: jdbc:postgresql://127.0.0.1:5432/shop\nusername: app\npassword: \"{{ secret('PG_PASSWORD') }}\"\nsql: select * from users\nfetchOne: true",
		batchExample: "url: jdbc:postgresql://127.0.0.1:5432/shop\nusername: app\npassword: \"{{ secret('PG_PASSWORD') }}\"\nfrom: \"{{ outputs.query.uri }}\"\ntable: users\ntransaction: chunk\nchunk: 10000",
		query:        func() any { return &PostgresQuery{} }, batch: func() any { return &PostgresBatch{} }},
	{id: "sqlite", kestra: "sqlite", title: "SQLite (embedded, no server)",
		example:      "url: jdbc:sqlite:/data/shop.db\nsql: select * from users\nfetch: true",
		batchExample: "url: jdbc:sqlite:/data/shop.db\nfrom: \"{{ outputs.query.uri }}\"\ntable: users",
		query:        func() any { return &SQLiteQuery{} }, batch: func() any { return &SQLiteBatch{} }},
}

const queryDoc = `Runs one SQL statement. With store: true the rows stream into a row file
as they arrive, so memory does not depend on the size of the result; fetch
and fetchOne put rows into the outputs instead.

Values keep their exact types: DECIMAL stays an exact decimal, DATETIME(6)
and DATETIME2 keep their microseconds, TIMESTAMP WITH TIME ZONE keeps its
offset, BIT(1)/BOOLEAN/TINYINT(1) are booleans, BINARY/BLOB are bytes and
unsigned BIGINT values above 2^63-1 are exact decimals. Output keys are the
column labels (aliases kept; a repeated label gets a _2 suffix).`

const batchDoc = `Loads a row file (from a Query with store: true, a serdes reader, a
Singer tap, ...) into a table. Each value is converted to its column's type:
ISO-8601 strings into dates and timestamps, numbers and numeric strings into
decimals, booleans into BIT. A value that cannot be converted without
changing it fails the load with the row number, column and value.

A plain INSERT (or table) is loaded with the server's bulk protocol:
PostgreSQL COPY, SQL Server bulk copy, MySQL LOAD DATA LOCAL INFILE (or
multi-row INSERTs sized under max_allowed_packet when the server refuses
local files), ODBC parameter arrays for Vectorwise, multi-row INSERTs under
the parameter limit elsewhere. Reading the next chunk overlaps writing the
current one. Transient errors (deadlocks, lock timeouts, serialization
failures, dropped connections) are retried with exponential backoff.`

func init() {
	for _, d := range dialects {
		plugin.Register(plugin.Info{
			ID:       "jdbc." + d.id + ".Query",
			Aliases:  []string{"io.kestra.plugin.jdbc." + d.kestra + ".Query"},
			Title:    "Run a SQL query on " + d.title + ".",
			Doc:      queryDoc,
			New:      d.query,
			Outputs:  queryOutputs,
			Examples: []plugin.Example{{Title: "Store a table in internal storage", YAML: d.example}},
		})
		plugin.Register(plugin.Info{
			ID:       "jdbc." + d.id + ".Batch",
			Aliases:  []string{"io.kestra.plugin.jdbc." + d.kestra + ".Batch"},
			Title:    "Load a row file into a table of " + d.title + ".",
			Doc:      batchDoc,
			New:      d.batch,
			Outputs:  batchOutputs,
			Examples: []plugin.Example{{Title: "Load the rows a Query stored", YAML: d.batchExample}},
		})
	}
}
