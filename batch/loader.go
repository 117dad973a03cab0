// Package batch writes row streams into SQL tables: it converts every value
// to its target column's type, groups rows into chunks, picks the fastest
// protocol the server offers (PostgreSQL COPY, SQL Server bulk copy, MySQL
// LOAD DATA LOCAL or multi-row INSERT sized under max_allowed_packet,
// multi-row INSERT under each server's parameter limit), runs the load in
// one transaction or one per chunk, stages merges through a temporary table,
// and retries transient errors with backoff.
//
// Reading and writing overlap: a goroutine decodes and converts the next
// chunk while the current one is written, with memory bounded by three
// chunks whatever the size of the input.
package batch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
)

// Write paths (Options.Method).
const (
	MethodAuto   = "auto"
	MethodInsert = "insert"
	MethodRow    = "row"
)

// Transaction scopes.
const (
	// TxAll loads everything in one transaction: on failure nothing is
	// committed.
	TxAll = "all"
	// TxChunk commits after every chunk (Kestra's behaviour): on failure the
	// chunks before the failing one stay committed.
	TxChunk = "chunk"
)

// Options describe one load.
type Options struct {
	Dialect dialect.Dialect
	// Table and Columns name the target; Columns empty = the input's field
	// names. Either Table or SQL is set.
	Table   string
	Columns []string
	// SQL is a statement with '?' placeholders executed per row (a plain
	// INSERT is recognised and loaded with the fast paths).
	SQL         string
	Mode        dialect.Mode
	Keys        []string
	Transaction string
	// Chunk is the number of rows per round trip (and per transaction with
	// TxChunk).
	Chunk int
	// Method picks the write path for plain inserts: MethodAuto (bulk
	// protocols), MethodInsert (multi-row INSERT statements) or MethodRow
	// (one parameterised INSERT per row).
	Method string
	Retry  RetryPolicy
	// Location is the zone in which zone-less timestamps meet zoned ones.
	Location *time.Location
	// SessionSQL are statements each connection runs after the dialect's
	// own (settings the connection string asks for).
	SessionSQL []string
	Logger     *slog.Logger
	Progress   *progress.Counter
	// LoadID identifies the load (the execution and task run it belongs
	// to); with TxAll and a LoadsTable, it is recorded in that table of
	// the target inside the load's transaction, and a load whose identity
	// is already there loads nothing (loadid.go). Empty: no bookkeeping.
	LoadID     string
	LoadsTable string
	// CreateTable creates Table from the input's schema when it is
	// missing; Recreate drops and creates it; OnNewColumn (NewColumnFail,
	// NewColumnAdd, NewColumnIgnore) handles input fields an existing
	// Table lacks; DDLOnly returns the DDL in Result.DDL and loads
	// nothing (createtable.go).
	CreateTable bool
	Recreate    bool
	OnNewColumn string
	DDLOnly     bool
}

// Source opens the input; it is called again when a whole-load retry
// starts over.
type Source func(ctx context.Context) (rows.Reader, error)

// Result reports a load.
type Result struct {
	// Rows is the number of input rows written and committed.
	Rows int64
	// Updated is the number of rows the server reports as affected.
	Updated int64
	// Method names the protocol used ("copy binary", "bulk copy", ...).
	Method string
	// Retries counts retried transient failures.
	Retries int
	// AlreadyLoaded is set when the loads table showed this load committed
	// before (a restart after a crash): nothing was written, and Rows is
	// what that load committed.
	AlreadyLoaded bool
	// DDL is what the load ran (or with DDLOnly would run) to create or
	// widen the target.
	DDL []string
}

// Error is a failed load; Committed rows stayed in the target (always 0
// with TxAll).
type Error struct {
	Committed int64
	Err       error
}

func (e *Error) Error() string {
	if e.Committed > 0 {
		return fmt.Sprintf("%v (%d rows were committed before the failure)", e.Err, e.Committed)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

type loader struct {
	db   *sql.DB
	src  Source
	o    Options
	log  *slog.Logger
	sess *session

	table  string   // target table
	cols   []column // target columns
	keys   []string
	stmt   string // generic per-row statement (when not a plain insert)
	plain  bool
	staged bool
	stage  string
	sink   sink

	created []colType // the columns of a table this load creates
	ddlInTx []string  // DDL run inside the load's transaction
}

// Load writes the rows src yields into the target described by o.
func Load(ctx context.Context, db *sql.DB, src Source, o Options) (Result, error) {
	if o.Chunk <= 0 {
		o.Chunk = 1000
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Mode == "" {
		o.Mode = dialect.Insert
	}
	if o.Transaction == "" {
		o.Transaction = TxAll
	}
	if o.Method == "" {
		o.Method = MethodAuto
	}
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = progress.NewCounter("batch", nil)
	}
	if o.Method != MethodAuto && o.Method != MethodInsert && o.Method != MethodRow {
		return Result{}, fmt.Errorf("method %q: expected auto, insert or row", o.Method)
	}
	if o.Transaction != TxAll && o.Transaction != TxChunk {
		return Result{}, fmt.Errorf("transaction %q: expected all or chunk", o.Transaction)
	}
	switch o.OnNewColumn {
	case "", NewColumnFail, NewColumnAdd, NewColumnIgnore:
	default:
		return Result{}, fmt.Errorf("onNewColumn %q: expected fail, add or ignore", o.OnNewColumn)
	}
	l := &loader{db: db, src: src, o: o, log: o.Logger}
	return l.run(ctx)
}

func (l *loader) run(ctx context.Context) (res Result, err error) {
	r, err := l.src(ctx)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	if err := l.connectWithRetry(ctx); err != nil {
		return Result{}, err
	}
	// A connection a load failed on is not handed back to the pool: after
	// an error in the middle of a bulk load some servers (Babelfish) leave
	// it unusable.
	defer func() { l.sess.close(l.stage, err != nil) }()
	ddl, err := l.prepareTable(ctx, r.Schema())
	if err != nil || l.o.DDLOnly {
		return Result{DDL: ddl}, err
	}
	if err := l.plan(ctx, r.Schema()); err != nil {
		return Result{}, err
	}
	if err := l.prepareSession(ctx); err != nil {
		return Result{}, err
	}
	l.log.Debug("batch load", "table", l.table, "method", l.sink.name(), "transaction", l.o.Transaction, "mode", string(l.o.Mode), "chunk", l.o.Chunk)
	if l.o.Transaction == TxChunk {
		res, err = l.runChunks(ctx, r)
		res.DDL = ddl
		return res, err
	}
	for attempt := 1; ; attempt++ {
		if r == nil {
			if r, err = l.src(ctx); err != nil {
				return res, err
			}
		}
		res, err = l.attemptAll(ctx, r)
		res.DDL = ddl
		r.Close()
		r = nil
		res.Retries = attempt - 1
		if err == nil {
			return res, nil
		}
		if !l.retry(ctx, err, attempt, "the whole load") {
			return res, &Error{Err: err}
		}
	}
}

// retry decides whether to try again after err, waits, and reconnects
// when the connection is gone.
func (l *loader) retry(ctx context.Context, err error, attempt int, what string) bool {
	var re *rows.RowError
	if errors.As(err, &re) || attempt >= l.o.Retry.MaxAttempts || !l.o.Retry.Retryable(err) || ctx.Err() != nil {
		return false
	}
	wait := l.o.Retry.Backoff(attempt + 1)
	l.log.Warn("transient error, retrying "+what, "attempt", attempt+1, "of", l.o.Retry.MaxAttempts, "wait", wait.String(), "error", err)
	if sleep(ctx, wait) != nil {
		return false
	}
	// A fresh connection for every retry: after a deadlock the old one is
	// fine, but after a reset or a failover it is not, and telling them
	// apart is driver-specific.
	l.sess.close(l.stage, true)
	if err := l.connectWithRetry(ctx); err != nil {
		l.log.Warn("reconnecting failed", "error", err)
		return false
	}
	if err := l.prepareSession(ctx); err != nil {
		l.log.Warn("preparing the new connection failed", "error", err)
		return false
	}
	return true
}

func (l *loader) connectWithRetry(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		s, err := connect(ctx, l.db, l.o.Dialect, l.o.SessionSQL)
		if err == nil {
			l.sess = s
			return nil
		}
		if attempt >= l.o.Retry.MaxAttempts || !l.o.Retry.Retryable(err) {
			return fmt.Errorf("connecting: %w", err)
		}
		wait := l.o.Retry.Backoff(attempt + 1)
		l.log.Warn("transient error connecting, retrying", "wait", wait.String(), "error", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// prepareSession creates the staging table on a (new) connection.
func (l *loader) prepareSession(ctx context.Context) error {
	if !l.staged {
		return nil
	}
	names := make([]string, len(l.cols))
	for i, c := range l.cols {
		names[i] = c.Name
	}
	for _, q := range l.o.Dialect.CreateStageSQL(l.stage, l.table, names) {
		if _, err := l.sess.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("creating the staging table: %w", err)
		}
	}
	return nil
}

// unit feeds a sink the chunks of one transaction.
type unit struct {
	p     *pipeline
	one   *chunk // TxChunk: the only chunk
	used  bool
	ended bool
	prev  *chunk
	prog  *progress.Counter
}

// next returns the next chunk of the unit, nil at its end. The previous
// chunk is finished when next is called again.
func (u *unit) next() *chunk {
	if u.one != nil {
		if u.used {
			return nil
		}
		u.used = true
		return u.one
	}
	if u.prev != nil {
		u.prog.Add(int64(u.prev.n), u.prev.bytes)
		u.p.recycle(u.prev)
		u.prev = nil
	}
	c, ok := <-u.p.out
	if !ok {
		u.ended = true
		return nil
	}
	u.prev = c
	return c
}

// failed returns the input error that ended the unit early, if any.
func (u *unit) failed() error {
	if u.one != nil {
		return nil
	}
	if u.ended {
		<-u.p.done
		return u.p.err
	}
	select {
	case <-u.p.done:
		return u.p.err
	default:
		return nil
	}
}

func (l *loader) attemptAll(ctx context.Context, r rows.Reader) (Result, error) {
	res := Result{Method: l.sink.name()}
	p := startPipeline(ctx, r, l.cols, l.o.Location, l.o.Chunk, 3)
	defer p.stop()
	rec := l.loadRecorder(ctx)
	tx, err := l.sess.conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("starting a transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if rec != nil {
		n, done, err := rec.done(ctx, tx)
		if err != nil {
			return res, err
		}
		if done {
			res.Rows, res.AlreadyLoaded = n, true
			return res, nil
		}
	}
	if err := l.runDDLInTx(ctx, tx); err != nil {
		return res, err
	}
	if l.o.Mode == dialect.TruncateInsert {
		if _, err := tx.ExecContext(ctx, l.o.Dialect.DeleteAllSQL(l.table)); err != nil {
			return res, fmt.Errorf("emptying %s: %w", l.table, err)
		}
	}
	u := &unit{p: p, prog: l.o.Progress}
	n, err := l.writeUnit(ctx, tx, u)
	if ferr := u.failed(); ferr != nil {
		return res, ferr
	}
	if err != nil {
		return res, err
	}
	// Drain: the sink has seen the end of the input.
	u.next()
	<-p.done
	if p.err != nil {
		return res, p.err
	}
	res.Updated = n
	if rec != nil {
		if err := rec.record(ctx, tx, p.read); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	committed = true
	res.Rows = p.read
	return res, nil
}

// writeUnit writes one unit into the target or the staging table and,
// when staged, applies it.
func (l *loader) writeUnit(ctx context.Context, tx *sql.Tx, u *unit) (int64, error) {
	into := l.table
	if l.staged {
		into = l.stage
		if _, err := tx.ExecContext(ctx, l.o.Dialect.ClearStageSQL(l.stage)); err != nil {
			return 0, fmt.Errorf("clearing the staging table: %w", err)
		}
	}
	n, err := l.sink.write(ctx, l.sess, tx, into, u)
	if err != nil || !l.staged {
		return n, err
	}
	if ferr := u.failed(); ferr != nil {
		return 0, ferr
	}
	names := make([]string, len(l.cols))
	for i, c := range l.cols {
		names[i] = c.Name
	}
	stmts, err := l.o.Dialect.ApplyStageSQL(l.o.Mode, l.table, l.stage, names, l.keys)
	if err != nil {
		return 0, err
	}
	var affected int64
	for _, q := range stmts {
		r, err := tx.ExecContext(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("%s into %s: %w", l.o.Mode, l.table, err)
		}
		if a, err := r.RowsAffected(); err == nil {
			affected += a
		}
	}
	return affected, nil
}

func (l *loader) runChunks(ctx context.Context, r rows.Reader) (Result, error) {
	res := Result{Method: l.sink.name()}
	p := startPipeline(ctx, r, l.cols, l.o.Location, l.o.Chunk, 3)
	defer p.stop()
	first := true
	for c := range p.out {
		for attempt := 1; ; attempt++ {
			upd, err := l.commitChunk(ctx, c, first)
			if err == nil {
				res.Rows += int64(c.n)
				res.Updated += upd
				break
			}
			err = fmt.Errorf("rows %d to %d: %w", c.first, c.first+int64(c.n)-1, err)
			if !l.retry(ctx, err, attempt, "the chunk") {
				return res, &Error{Committed: res.Rows, Err: err}
			}
			res.Retries++
		}
		l.o.Progress.Add(int64(c.n), c.bytes)
		first = false
		p.recycle(c)
	}
	if p.err != nil {
		return res, &Error{Committed: res.Rows, Err: p.err}
	}
	if first && l.o.Mode == dialect.TruncateInsert {
		// Empty input: the table is still emptied, as asked.
		if _, err := l.sess.conn.ExecContext(ctx, l.o.Dialect.DeleteAllSQL(l.table)); err != nil {
			return res, fmt.Errorf("emptying %s: %w", l.table, err)
		}
	}
	return res, nil
}

func (l *loader) commitChunk(ctx context.Context, c *chunk, first bool) (int64, error) {
	tx, err := l.sess.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("starting a transaction: %w", err)
	}
	if first && l.o.Mode == dialect.TruncateInsert {
		if _, err := tx.ExecContext(ctx, l.o.Dialect.DeleteAllSQL(l.table)); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("emptying %s: %w", l.table, err)
		}
	}
	n, err := l.writeUnit(ctx, tx, &unit{one: c})
	if err != nil {
		tx.Rollback()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return n, nil
}

// plan resolves the target columns, their types and where their values
// come from, and picks the sink.
func (l *loader) plan(ctx context.Context, in *rows.Schema) error {
	d := l.o.Dialect
	o := l.o
	var names []string
	byName := false
	switch {
	case o.Table != "":
		l.table, l.plain = o.Table, true
		names = o.Columns
		if len(names) == 0 {
			names = in.Names()
			byName = true
			if len(names) == 0 {
				return errors.New("the input rows have no fields to load")
			}
		} else {
			byName = allFound(in, names)
		}
	case o.SQL != "":
		ins, ok := d.ParsePlainInsert(o.SQL)
		if ok {
			l.table, l.plain, names = ins.Table, true, ins.Columns
		} else {
			l.stmt = d.Rebind(o.SQL)
		}
	default:
		return errors.New("nothing to load into: set table or sql")
	}
	if l.plain {
		cts, err := l.targetColumns(ctx, names)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			for _, ct := range cts {
				names = append(names, ct.name)
			}
		}
		if o.SQL != "" && len(names) != d.CountParams(o.SQL) {
			// INSERT INTO t VALUES (?, ?) with t having another number of
			// columns: let the server say what is wrong, as written.
			l.plain, l.stmt = false, d.Rebind(o.SQL)
		} else {
			for i, ct := range cts {
				c := column{Name: ct.name, Type: ct.typ, In: i}
				if byName {
					c.In = indexFold(in, names[i])
					if c.In < 0 {
						return fmt.Errorf("column %q of %s is not in the input (fields: %s)", names[i], l.table, strings.Join(in.Names(), ", "))
					}
				} else if i >= len(in.Fields) {
					return fmt.Errorf("%s has %d columns to fill but the input rows have %d fields (%s)", l.table, len(cts), len(in.Fields), strings.Join(in.Names(), ", "))
				}
				l.cols = append(l.cols, c)
			}
			if !byName && len(in.Fields) != len(l.cols) {
				return fmt.Errorf("%s has %d columns to fill but the input rows have %d fields (%s); name the columns with table and columns, or list them in the INSERT", l.table, len(l.cols), len(in.Fields), strings.Join(in.Names(), ", "))
			}
		}
	}
	if !l.plain {
		n := d.CountParams(o.SQL)
		if n != len(in.Fields) {
			return fmt.Errorf("the statement has %d placeholders but the input rows have %d fields (%s)", n, len(in.Fields), strings.Join(in.Names(), ", "))
		}
		for i, f := range in.Fields {
			l.cols = append(l.cols, column{Name: f.Name, Type: dialect.Type{Kind: rows.KindAny, Scale: -1}, In: i})
		}
		if o.Mode != dialect.Insert {
			return fmt.Errorf("mode %s needs a target table: set table (and columns), or write sql as a plain INSERT INTO t (...) VALUES (?, ...)", o.Mode)
		}
	}
	if o.Mode == dialect.Merge || o.Mode == dialect.Replace {
		l.keys = o.Keys
		if len(l.keys) == 0 {
			pk, err := l.sess.primaryKey(ctx, d, l.table)
			if err != nil {
				return fmt.Errorf("mode %s: no keys given and the primary key of %s could not be read: %w", o.Mode, l.table, err)
			}
			if len(pk) == 0 {
				return fmt.Errorf("mode %s: %s has no primary key; set keys", o.Mode, l.table)
			}
			l.keys = pk
		}
		for i, k := range l.keys {
			found := ""
			for _, c := range l.cols {
				if strings.EqualFold(c.Name, k) {
					found = c.Name
				}
			}
			if found == "" {
				return fmt.Errorf("key %q is not one of the loaded columns", k)
			}
			l.keys[i] = found
		}
		l.staged = true
		l.stage = d.StageName(l.table)
	}
	l.sink = l.chooseSink(ctx)
	return nil
}

func allFound(in *rows.Schema, names []string) bool {
	for _, n := range names {
		if indexFold(in, n) < 0 {
			return false
		}
	}
	return true
}

func indexFold(s *rows.Schema, name string) int {
	if i := s.Index(name); i >= 0 {
		return i
	}
	for i, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func (l *loader) chooseSink(ctx context.Context) sink {
	d := l.o.Dialect
	if !l.plain {
		return &stmtSink{sql: l.stmt, cols: l.cols, d: d}
	}
	switch l.o.Method {
	case MethodRow:
		return &paramInsertSink{cols: l.cols, d: d, chunk: l.o.Chunk, perRow: true}
	case MethodInsert:
		if ld := l.sess.loadData; ld != nil {
			return &mysqlInsertSink{cols: l.cols, maxPacket: ld.MaxPacket, noBackslash: ld.NoBackslash, chunk: l.o.Chunk}
		}
	default:
		// The fastest protocol the dialect has, by ability.
		switch dd := d.(type) {
		case dialect.Copier:
			return newPGCopySink(l.cols)
		case dialect.BulkCopier:
			names, types := make([]string, len(l.cols)), make([]dialect.Type, len(l.cols))
			for i, c := range l.cols {
				names[i], types[i] = c.Name, c.Type
			}
			why, err := dd.BulkCopyRefusal(ctx, l.sess.conn, names, types)
			if err == nil && why == "" {
				return &mssqlBulkSink{cols: l.cols}
			}
			if err != nil {
				why = err.Error()
			}
			l.log.Info("bulk copy not used: multi-row insert instead", "reason", why)
		case dialect.ODBC:
			return &odbcArraySink{cols: l.cols, d: d}
		}
		if ld := l.sess.loadData; ld != nil {
			if ld.LocalInfile {
				return &mysqlLoadSink{cols: l.cols}
			}
			return &mysqlInsertSink{cols: l.cols, maxPacket: ld.MaxPacket, noBackslash: ld.NoBackslash, chunk: l.o.Chunk}
		}
	}
	return &paramInsertSink{cols: l.cols, d: d, chunk: l.o.Chunk}
}
