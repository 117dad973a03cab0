package jdbc

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/flows/plugin"
)

// The tasks are declared once, here, for every registered dialect: Query
// and Batch carry the dialect they were made for. Dialects that connect
// through ODBC (dialect.ODBC) get the ODBC properties too.

// odbcQuery is Query for ODBC dialects.
type odbcQuery struct {
	Query `yaml:",inline"`
	ODBC  `yaml:",inline"`
}

// odbcBatch is Batch for ODBC dialects.
type odbcBatch struct {
	Batch `yaml:",inline"`
	ODBC  `yaml:",inline"`
}

func (q *Query) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return q.run(ctx, rc, nil)
}
func (q *Query) Validate() error { return q.validate(nil) }
func (q *Query) Provision(ctx context.Context, rc *plugin.RunContext) error {
	return q.provision(ctx, rc, nil)
}
func (q *Query) Cleanup() error { return q.cleanup() }

func (q *odbcQuery) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return q.run(ctx, rc, &q.ODBC)
}
func (q *odbcQuery) Validate() error { return q.validate(&q.ODBC) }
func (q *odbcQuery) Provision(ctx context.Context, rc *plugin.RunContext) error {
	return q.provision(ctx, rc, &q.ODBC)
}

func (b *Batch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return b.run(ctx, rc, nil)
}
func (b *Batch) Validate() error { return b.validate(nil) }
func (b *Batch) Provision(ctx context.Context, rc *plugin.RunContext) error {
	return b.provision(ctx, rc, nil)
}
func (b *Batch) Cleanup() error { return b.cleanup() }

func (b *odbcBatch) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	return b.run(ctx, rc, &b.ODBC)
}
func (b *odbcBatch) Validate() error { return b.validate(&b.ODBC) }
func (b *odbcBatch) Provision(ctx context.Context, rc *plugin.RunContext) error {
	return b.provision(ctx, rc, &b.ODBC)
}

// NewQuery returns the jdbc.<dialect>.Query task with properties q (and,
// for ODBC dialects, the ODBC properties o), for Go code and tests that
// run a task without a flow. It panics on an unknown dialect name.
func NewQuery(dialectName string, q Query, o ...ODBC) plugin.Task {
	d := dialect.MustGet(dialectName)
	q.d = d
	if _, ok := d.(dialect.ODBC); ok {
		t := &odbcQuery{Query: q}
		if len(o) > 0 {
			t.ODBC = o[0]
		}
		return t
	}
	return &q
}

// NewBatch is NewQuery for jdbc.<dialect>.Batch.
func NewBatch(dialectName string, b Batch, o ...ODBC) plugin.Task {
	d := dialect.MustGet(dialectName)
	b.d = d
	if _, ok := d.(dialect.ODBC); ok {
		t := &odbcBatch{Batch: b}
		if len(o) > 0 {
			t.ODBC = o[0]
		}
		return t
	}
	return &b
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
	{Name: "ddl", Doc: "With ddlOnly: the statements the load would run to create, recreate or widen the table (empty when none)."},
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
	for _, d := range dialect.All() {
		d, info := d, d.Info()
		newQuery := func() any { return &Query{d: d} }
		newBatch := func() any { return &Batch{d: d} }
		if _, ok := d.(dialect.ODBC); ok {
			newQuery = func() any { return &odbcQuery{Query: Query{d: d}} }
			newBatch = func() any { return &odbcBatch{Batch: Batch{d: d}} }
		}
		plugin.Register(plugin.Info{
			ID:       "jdbc." + d.Name() + ".Query",
			Aliases:  []string{"io.kestra.plugin.jdbc." + info.Kestra + ".Query"},
			Title:    "Run a SQL query on " + info.Title + ".",
			Doc:      queryDoc,
			New:      newQuery,
			Outputs:  queryOutputs,
			Examples: []plugin.Example{{Title: "Store a table in internal storage", YAML: "id: query\ntype: io.kestra.plugin.jdbc." + info.Kestra + ".Query\n" + info.QueryExample}},
		})
		plugin.Register(plugin.Info{
			ID:       "jdbc." + d.Name() + ".Batch",
			Aliases:  []string{"io.kestra.plugin.jdbc." + info.Kestra + ".Batch"},
			Title:    "Load a row file into a table of " + info.Title + ".",
			Doc:      batchDoc,
			New:      newBatch,
			Outputs:  batchOutputs,
			Examples: []plugin.Example{{Title: "Load the rows a Query stored", YAML: "id: load\ntype: io.kestra.plugin.jdbc." + info.Kestra + ".Batch\n" + info.BatchExample}},
		})
	}
}

// errNoDialect is a Query or Batch made as a literal, not through the
// registry or NewQuery/NewBatch.
var errNoDialect = fmt.Errorf("jdbc task without a dialect: make it with jdbc.NewQuery or jdbc.NewBatch")
