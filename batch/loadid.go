package batch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Exactly-once loads across a crash.
//
// A load in TxAll commits all its rows in one transaction, but the
// orchestrator records that the task run succeeded only afterwards, in its
// own state database. A crash between the two (SIGKILL, out of memory,
// power loss) leaves the rows in the target and the task run unfinished:
// the restart loads them again. To close the gap the load records its
// identity (Options.LoadID: the execution and task run) in a bookkeeping
// table of the target database, inside the load's own transaction, and a
// load finds its identity there before writing: the rows are then already
// in, and nothing is loaded twice. docs/jdbc.md says what each mode
// guarantees.

// DefaultLoadsTable is the bookkeeping table's default name.
const DefaultLoadsTable = "sluice_loads"

// loadRecord is the bookkeeping of one load: the table and the identity.
type loadRecord struct {
	table string // quoted
	id    string
	l     *loader
}

// loadRecorder returns the bookkeeping of this load, or nil when it is off
// (no LoadID or LoadsTable, or TxChunk, whose committed chunks the table
// does not describe). The table is created when missing, outside the
// load's transaction (MySQL commits a transaction at DDL, PostgreSQL aborts
// one at a failed statement); when it cannot be (no CREATE privilege) the
// load goes on without the guarantee and says so.
func (l *loader) loadRecorder(ctx context.Context) *loadRecord {
	if l.o.LoadID == "" || l.o.LoadsTable == "" || l.o.Transaction != TxAll {
		return nil
	}
	d := l.o.Dialect
	rec := &loadRecord{table: d.QuoteTable(l.o.LoadsTable), id: l.o.LoadID, l: l}
	if err := rec.ensure(ctx, l.sess.conn); err != nil {
		l.log.Warn("loading without exactly-once bookkeeping: the loads table cannot be created (create it, or set exactlyOnce: false)",
			"table", l.o.LoadsTable, "error", err)
		return nil
	}
	return rec
}

func (r *loadRecord) col(name string) string { return r.l.o.Dialect.QuoteIdent(name) }

// ensure creates the table unless a query on it works. The columns are of
// types every dialect has: the identity as VARCHAR, the time as ISO text.
func (r *loadRecord) ensure(ctx context.Context, conn *sql.Conn) error {
	probe := fmt.Sprintf("SELECT %s FROM %s WHERE 1 = 0", r.col("load_id"), r.table)
	rows, err := conn.QueryContext(ctx, probe)
	if err == nil {
		return rows.Close()
	}
	ddl := fmt.Sprintf("CREATE TABLE %s (%s VARCHAR(255) NOT NULL PRIMARY KEY, %s BIGINT NOT NULL, %s VARCHAR(40) NOT NULL)",
		r.table, r.col("load_id"), r.col("rows_loaded"), r.col("loaded_at"))
	if _, cerr := conn.ExecContext(ctx, ddl); cerr != nil {
		// Another load may have created it meanwhile.
		if rows, err := conn.QueryContext(ctx, probe); err == nil {
			return rows.Close()
		}
		return cerr
	}
	r.l.log.Info("created the loads table that makes loads exactly-once across crashes", "table", r.l.o.LoadsTable)
	return nil
}

// done reports, inside the load's transaction, whether this load was
// committed before, and with how many rows.
func (r *loadRecord) done(ctx context.Context, tx *sql.Tx) (int64, bool, error) {
	q := r.l.o.Dialect.Rebind(fmt.Sprintf("SELECT %s FROM %s WHERE %s = ?", r.col("rows_loaded"), r.table, r.col("load_id")))
	var n int64
	err := tx.QueryRowContext(ctx, q, r.id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading the loads table %s: %w", r.l.o.LoadsTable, err)
	}
	return n, true, nil
}

// record writes this load into the table, in the load's transaction, just
// before it commits: the rows and their record commit together or not at
// all. A second load of the same identity running at the same moment fails
// here on the primary key instead of loading twice.
func (r *loadRecord) record(ctx context.Context, tx *sql.Tx, n int64) error {
	q := r.l.o.Dialect.Rebind(fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (?, ?, ?)",
		r.table, r.col("load_id"), r.col("rows_loaded"), r.col("loaded_at")))
	if _, err := tx.ExecContext(ctx, q, r.id, n, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("recording the load in %s: %w", r.l.o.LoadsTable, err)
	}
	return nil
}
