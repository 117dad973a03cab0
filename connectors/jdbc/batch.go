package jdbc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/rows"
)

// Batch is the properties of jdbc.DIALECT.Batch.
type Batch struct {
	Connection  `yaml:",inline"`
	From        string   `yaml:"from" required:"true" doc:"Row file to load: a storage URI such as {{ outputs.query.uri }} (from a Query with store: true, a serdes reader, a Singer tap...)."`
	SQL         string   `yaml:"sql" doc:"Statement run for every row, with one ? per field of the input rows in order (Kestra's form). A plain INSERT INTO t [(cols)] VALUES (?, ...) is loaded with the server's bulk protocol."`
	Table       string   `yaml:"table" doc:"Target table, instead of sql. Input fields are matched to columns by name."`
	Columns     []string `yaml:"columns" doc:"Target columns (with table). When every name is an input field, values are taken by name; otherwise the input fields fill them in order."`
	Chunk       int      `yaml:"chunk" default:"1000" doc:"Rows per round trip; with transaction: chunk, rows per transaction."`
	Transaction string   `yaml:"transaction" enum:"all,chunk" default:"all" doc:"all: one transaction, nothing is committed if the load fails. chunk: commit after each chunk (Kestra's behaviour); the error says how many rows were committed."`
	Mode        string   `yaml:"mode" enum:"insert,truncate_insert,replace,merge,recreate" default:"insert" doc:"insert: add rows. truncate_insert: empty the table first, in the same transaction. replace: delete the rows whose keys match an input row, then insert. merge: update matching rows, insert the others (upsert). replace and merge load through a temporary table and need table or a plain INSERT. recreate (with table): drop the table if it exists and create it from the input's schema, then insert (in the load's transaction on PostgreSQL, SQL Server and SQLite; committed before the load on MySQL/MariaDB and Vectorwise)."`
	Keys        []string `yaml:"keys" doc:"Key columns for replace and merge (default: the table's primary key); also the primary key of a table Batch creates."`

	CreateTable *bool  `yaml:"createTable" doc:"With table: create the table from the input's schema when it is missing (default true; docs/jdbc.md lists the column types per server). false: the table must exist. Never for sql."`
	DDLOnly     bool   `yaml:"ddlOnly" doc:"Only log the DDL the load would run (CREATE TABLE, DROP TABLE, ALTER TABLE ... ADD) and output it as ddl; change nothing and load no row."`
	OnNewColumn string `yaml:"onNewColumn" enum:"fail,add,ignore" default:"fail" doc:"With table and no columns, when the table exists without a column for some input fields: fail the load, add the columns (ALTER TABLE ... ADD, nullable, committed before the load), or ignore those fields."`
	Method      string `yaml:"method" enum:"auto,insert,row" default:"auto" doc:"Write path of plain inserts. auto: the server's bulk protocol (PostgreSQL COPY, SQL Server bulk copy, MySQL LOAD DATA LOCAL, ODBC parameter arrays). insert: multi-row INSERT statements (MySQL: literal values under max_allowed_packet; others: bind parameters under the server's limit). row: one parameterised INSERT per row."`

	ExactlyOnce bool   `yaml:"exactlyOnce" default:"true" doc:"With transaction: all, record the task run's load in a bookkeeping table of the target (loadsTable) inside the load's own transaction, and load nothing when a restart finds it there: a crash between the commit and the end of the task run never loads the rows twice. false: no table, no check (docs/jdbc.md)."`
	LoadsTable  string `yaml:"loadsTable" default:"sluice_loads" doc:"The bookkeeping table of exactlyOnce (created when missing: load_id VARCHAR(255) PRIMARY KEY, rows_loaded BIGINT, loaded_at VARCHAR(40)); may be schema-qualified."`

	RetryCodes       []string        `yaml:"retryCodes" doc:"Server error codes and SQLSTATEs retried as transient (default: deadlocks, lock timeouts, serialization failures, Azure SQL throttling: 1213, 1205, 40001, 40P01, 40613, 40501, 40197, 49918, ...)."`
	RetryMessages    []string        `yaml:"retryMessages" doc:"Substrings of error messages retried as transient (default: connection reset/refused, deadlock, ...)."`
	RetryMaxAttempts int             `yaml:"retryMaxAttempts" default:"5" doc:"Attempts in all for a transient error, the first included; 1 disables retries. With transaction: all a retry redoes the whole load in a new transaction; with chunk, only the failed chunk."`
	RetryInterval    plugin.Duration `yaml:"retryInterval" default:"PT0.5S" doc:"First wait before a retry; doubled at each attempt (with jitter), up to 30 seconds."`

	d    dialect.Dialect // the dialect the task was declared for
	sess *session        // from Provision, released by Cleanup
}

func (b *Batch) validate(o *ODBC) error {
	if b.d == nil {
		return errNoDialect
	}
	var errs []error
	switch {
	case b.SQL == "" && b.Table == "":
		errs = append(errs, errors.New("set sql (a statement with ? placeholders) or table"))
	case b.SQL != "" && b.Table != "":
		errs = append(errs, errors.New("set sql or table, not both"))
	}
	if len(b.Columns) > 0 && b.Table == "" {
		errs = append(errs, errors.New("columns needs table"))
	}
	creates := b.Table != "" && (b.CreateTable == nil || *b.CreateTable || b.Mode == "recreate")
	if len(b.Keys) > 0 && b.Mode != "merge" && b.Mode != "replace" && !creates {
		errs = append(errs, fmt.Errorf("keys is only used by mode merge or replace, or as the primary key of a table created with createTable, not %q", b.Mode))
	}
	if b.Table == "" && (b.Mode == "recreate" || b.CreateTable != nil && *b.CreateTable) {
		errs = append(errs, errors.New("createTable and mode recreate need table: a sql statement never creates a table"))
	}
	if b.Table == "" && b.DDLOnly {
		errs = append(errs, errors.New("ddlOnly needs table"))
	}
	if b.Chunk < 0 {
		errs = append(errs, errors.New("chunk must be positive"))
	}
	if b.RetryMaxAttempts < 0 {
		errs = append(errs, errors.New("retryMaxAttempts must be at least 1"))
	}
	if err := b.Connection.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := validateURL(b.d, b.URL, o); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// provision checks the properties and takes the server's pooled handle;
// a first connection checks the server answers.
func (b *Batch) provision(ctx context.Context, rc *plugin.RunContext, o *ODBC) error {
	if err := b.validate(o); err != nil {
		return err
	}
	s, err := open(ctx, rc, b.d, &b.Connection, o)
	if err != nil {
		return err
	}
	// The load takes its own connections from the handle (a new one for a
	// retried load); give this one back.
	s.conn.Close()
	s.conn = nil
	b.sess = s
	return nil
}

func (b *Batch) cleanup() error {
	b.sess.Close()
	b.sess = nil
	return nil
}

func (b *Batch) run(ctx context.Context, rc *plugin.RunContext, o *ODBC) (plugin.Outputs, error) {
	if b.sess == nil { // run without the life cycle (plugin.Execute)
		if err := b.provision(ctx, rc, o); err != nil {
			return nil, err
		}
		defer b.cleanup()
	}
	s := b.sess
	prog := rc.Progress("rows")
	defer prog.Done()
	if n, ok := rc.RowCount(ctx, b.From); ok {
		prog.SetTotal(n) // percent and ETA on the progress line
	}

	retry := batch.DefaultRetry()
	if len(b.RetryCodes) > 0 {
		retry.Codes = b.RetryCodes
	}
	if len(b.RetryMessages) > 0 {
		retry.Messages = b.RetryMessages
	}
	if b.RetryMaxAttempts > 0 {
		retry.MaxAttempts = b.RetryMaxAttempts
	}
	if b.RetryInterval > 0 {
		retry.Initial = b.RetryInterval.D()
	}
	opts := batch.Options{
		Dialect:     s.d,
		SessionSQL:  s.cfg.SessionSQL,
		Table:       b.Table,
		Columns:     b.Columns,
		SQL:         b.SQL,
		Mode:        dialect.Mode(orDefault(b.Mode, "insert")),
		CreateTable: b.Table != "" && (b.CreateTable == nil || *b.CreateTable),
		Recreate:    b.Mode == "recreate",
		OnNewColumn: b.OnNewColumn,
		DDLOnly:     b.DDLOnly,
		Keys:        b.Keys,
		Transaction: orDefault(b.Transaction, batch.TxAll),
		Chunk:       b.Chunk,
		Method:      orDefault(b.Method, batch.MethodAuto),
		Retry:       retry,
		Location:    s.loc,
		Logger:      rc.Logger(),
		Progress:    prog,
	}
	if opts.Recreate {
		opts.Mode = dialect.Insert
	}
	if b.ExactlyOnce {
		// The task run's identity survives a restart (same execution, same
		// task run); a replay is a new execution and loads again.
		opts.LoadID = rc.ExecutionID() + "/" + rc.TaskRunID()
		opts.LoadsTable = orDefault(b.LoadsTable, batch.DefaultLoadsTable)
	}
	src := func(ctx context.Context) (rows.Reader, error) {
		r, err := rc.OpenRows(ctx, b.From)
		if err != nil {
			return nil, fmt.Errorf("from %s: %w", b.From, err)
		}
		return r, nil
	}
	res, err := batch.Load(ctx, s.db, src, opts)
	if err == nil && b.DDLOnly {
		if len(res.DDL) == 0 {
			rc.Logger().Info("ddlOnly: the table exists and needs no change", "table", b.Table)
		}
		for _, q := range res.DDL {
			rc.Logger().Info("ddlOnly: the load would run", "sql", q)
		}
		return plugin.Outputs{"rowCount": int64(0), "updatedCount": int64(0), "ddl": ddlText(res.DDL)}, nil
	}
	if err != nil {
		target := b.Table
		if target == "" {
			target = "the statement"
		}
		return nil, rc.MaskError(fmt.Errorf("loading %s into %s on %s: %w", b.From, target, where(s.cfg), err))
	}
	if res.AlreadyLoaded {
		rc.Logger().Info("already loaded: the loads table shows this task run's load committed before the restart; nothing loaded again", "rows", res.Rows, "table", opts.LoadsTable)
		return plugin.Outputs{"rowCount": res.Rows, "updatedCount": int64(0)}, nil
	}
	rc.Logger().Info("batch done", "rows", res.Rows, "updated", res.Updated, "method", res.Method, "retries", res.Retries)
	return plugin.Outputs{"rowCount": res.Rows, "updatedCount": res.Updated}, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// ddlText is the statements as a script, each ended by a semicolon.
func ddlText(stmts []string) string {
	if len(stmts) == 0 {
		return ""
	}
	return strings.Join(stmts, ";\n") + ";"
}
