package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite" // registers driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeoutMS bounds how long a statement waits for another process
// holding the write lock (a CLI listing while a server writes, two runs
// sharing a file). Within one process writes never contend: they go through
// a single connection.
const busyTimeoutMS = 10000

// writerParams: WAL lets readers run beside the writer; synchronous=NORMAL
// is durable against process crashes (a power cut may lose the last
// commits), and it is what makes a save after every task state change cheap.
// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
// fails half way on a lock upgrade.
var writerParams = fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate", busyTimeoutMS)

var readerParams = fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=query_only(1)", busyTimeoutMS)

// sqliteRepo is the SQLite Repository: one writer connection (writes
// serialise in database/sql's pool instead of failing with SQLITE_BUSY) and
// a small pool of readers that WAL lets run concurrently with it.
type sqliteRepo struct {
	w, r  *sql.DB
	label string
	stmts map[string]*sql.Stmt // hot write statements, prepared once on w
}

const (
	execCols = `id, namespace, flow_id, flow_revision, flow_source, flow_file, state, histories, inputs, labels,
		start_us, end_us, parent_id, parent_task_run_id, restart_count, owner_host, owner_pid, owner_started_us, heartbeat_us, error, trigger`
	sqlInsertExecution = `INSERT INTO executions (` + execCols + `, save_token)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`
	sqlUpdateExecution = `UPDATE executions SET namespace = ?, flow_id = ?, flow_revision = ?, flow_source = ?, flow_file = ?,
		state = ?, histories = ?, inputs = ?, labels = ?, start_us = ?, end_us = ?, parent_id = ?, parent_task_run_id = ?,
		restart_count = ?, owner_host = ?, owner_pid = ?, owner_started_us = ?, heartbeat_us = ?, error = ?, trigger = ?
		WHERE id = ? AND state = ?`
	trCols            = `task_id, parent_id, value, state, histories, attempts, outputs, iterations, run_at_us, start_us, end_us, error`
	sqlInsertTaskRun  = `INSERT INTO task_runs (execution_id, id, position, ` + trCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlNextPosition   = `SELECT COALESCE(MAX(position) + 1, 0) FROM task_runs WHERE execution_id = ?`
	sqlUpdateTaskRun  = `UPDATE task_runs SET task_id = ?, parent_id = ?, value = ?, state = ?, histories = ?, attempts = ?, outputs = ?, iterations = ?, run_at_us = ?, start_us = ?, end_us = ?, error = ? WHERE execution_id = ? AND id = ? AND state = ?`
	sqlTaskRunState   = `SELECT state FROM task_runs WHERE execution_id = ? AND id = ?`
	sqlExecutionState = `SELECT state FROM executions WHERE id = ?`
	sqlDeleteTaskRuns = `DELETE FROM task_runs WHERE execution_id = ?`
	sqlDeleteTaskRun  = `DELETE FROM task_runs WHERE execution_id = ? AND id = ?`
	sqlInsertLog      = `INSERT INTO logs (execution_id, task_run_id, task_id, time_us, level, message, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// openSQLite opens the repository, retrying while another process holds
// the file's lock at first open. SQLite answers SQLITE_BUSY at once,
// without waiting out busy_timeout, in the moments when a fresh file is
// switched to WAL or its WAL index is rebuilt: two commands started
// together on a new state file (a run and an `executions list`) would
// otherwise fail at random.
func openSQLite(t sqliteTarget) (Repository, error) {
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		repo, err := openSQLiteOnce(t)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return repo, err
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's "database is locked" (BUSY or
// LOCKED, with any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

func openSQLiteOnce(t sqliteTarget) (Repository, error) {
	w, err := sql.Open("sqlite", t.withParams(writerParams))
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", t.label, err)
	}
	w.SetMaxOpenConns(1)
	// An in-memory database lives as long as its one connection: never let
	// the pool recycle it.
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	repo := &sqliteRepo{w: w, r: w, label: t.label}
	if err := repo.init(context.Background(), t); err != nil {
		repo.Close()
		return nil, fmt.Errorf("state: open %s: %w", t.label, err)
	}
	return repo, nil
}

func (s *sqliteRepo) init(ctx context.Context, t sqliteTarget) error {
	if err := migrate(ctx, s.w, migrations); err != nil {
		return err
	}
	s.stmts = map[string]*sql.Stmt{}
	for _, q := range []string{sqlInsertExecution, sqlUpdateExecution, sqlInsertTaskRun, sqlNextPosition, sqlUpdateTaskRun,
		sqlTaskRunState, sqlExecutionState, sqlDeleteTaskRuns, sqlDeleteTaskRun, sqlInsertLog} {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.stmts[q] = st
	}
	if t.memory {
		return nil
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		// WAL is what lets readers run beside the writer; some file systems
		// (network mounts) refuse it.
		return fmt.Errorf("journal mode is %q, WAL is required (is the file on a network file system?)", mode)
	}
	r, err := sql.Open("sqlite", t.withParams(readerParams))
	if err != nil {
		return err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	return nil
}

func (s *sqliteRepo) Close() error {
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// inTx runs fn in a write transaction, committing when it returns nil.
// Failures of the database itself (begin, commit) are *WriteError.
func (s *sqliteRepo) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return &WriteError{Err: fmt.Errorf("begin: %w", err)}
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return &WriteError{Err: fmt.Errorf("commit: %w", err)}
	}
	return nil
}

func (s *sqliteRepo) Tx(ctx context.Context, fn func(Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(&sqliteTx{s: s, tx: tx, next: map[string]int64{}})
	})
}

// sqliteTx is one write transaction. next caches the next task-run position
// of the executions it appended to.
type sqliteTx struct {
	s    *sqliteRepo
	tx   *sql.Tx
	next map[string]int64
}

func (t *sqliteTx) stmt(ctx context.Context, q string) *sql.Stmt {
	return t.tx.StmtContext(ctx, t.s.stmts[q])
}

func (t *sqliteTx) CreateExecution(ctx context.Context, e *Execution) error {
	if e == nil || e.ID == "" {
		return errors.New("state: create execution: empty execution id")
	}
	row, err := encodeExecution(e)
	if err != nil {
		return fmt.Errorf("state: create execution %s: %w", e.ID, err)
	}
	var st string
	err = t.stmt(ctx, sqlExecutionState).QueryRowContext(ctx, e.ID).Scan(&st)
	if err == nil {
		return fmt.Errorf("state: create execution %s: %w (it exists)", e.ID, ErrConflict)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return wrapWrite("create execution "+e.ID, err)
	}
	if _, err := t.stmt(ctx, sqlInsertExecution).ExecContext(ctx, row...); err != nil {
		return wrapWrite("create execution "+e.ID, err)
	}
	return t.CreateTaskRuns(ctx, e.ID, e.TaskRuns...)
}

func (t *sqliteTx) UpdateExecution(ctx context.Context, e *Execution, from State) error {
	row, err := encodeExecution(e)
	if err != nil {
		return fmt.Errorf("state: update execution %s: %w", e.ID, err)
	}
	args := append(row[1:], e.ID, string(from))
	res, err := t.stmt(ctx, sqlUpdateExecution).ExecContext(ctx, args...)
	if err != nil {
		return wrapWrite("update execution "+e.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapWrite("update execution "+e.ID, err)
	} else if n == 0 {
		var st string
		err := t.stmt(ctx, sqlExecutionState).QueryRowContext(ctx, e.ID).Scan(&st)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("state: update execution %s: %w", e.ID, ErrNotFound)
		}
		return fmt.Errorf("state: update execution %s from %s: %w (it is %s)", e.ID, from, ErrConflict, st)
	}
	return nil
}

func (t *sqliteTx) CreateTaskRuns(ctx context.Context, executionID string, trs ...*TaskRun) error {
	if len(trs) == 0 {
		return nil
	}
	pos, ok := t.next[executionID]
	if !ok {
		if err := t.stmt(ctx, sqlNextPosition).QueryRowContext(ctx, executionID).Scan(&pos); err != nil {
			return wrapWrite("create task runs of "+executionID, err)
		}
	}
	ins := t.stmt(ctx, sqlInsertTaskRun)
	for i, tr := range trs {
		if tr == nil || tr.ID == "" {
			return fmt.Errorf("state: create task runs of %s: task run %d has no id", executionID, i)
		}
		args, err := encodeTaskRun(tr)
		if err != nil {
			return fmt.Errorf("state: task run %s (task %s) of %s: %w", tr.ID, tr.TaskID, executionID, err)
		}
		if _, err := ins.ExecContext(ctx, append([]any{executionID, tr.ID, pos}, args...)...); err != nil {
			if isConstraint(err) {
				return fmt.Errorf("state: task run %s (task %s) of %s: %w (duplicate id, or no such execution)", tr.ID, tr.TaskID, executionID, ErrConflict)
			}
			return wrapWrite("create task run "+tr.ID, err)
		}
		pos++
	}
	t.next[executionID] = pos
	return nil
}

func (t *sqliteTx) UpdateTaskRun(ctx context.Context, executionID string, tr *TaskRun, from State) error {
	args, err := encodeTaskRun(tr)
	if err != nil {
		return fmt.Errorf("state: task run %s (task %s) of %s: %w", tr.ID, tr.TaskID, executionID, err)
	}
	res, err := t.stmt(ctx, sqlUpdateTaskRun).ExecContext(ctx, append(args, executionID, tr.ID, string(from))...)
	if err != nil {
		return wrapWrite("update task run "+tr.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapWrite("update task run "+tr.ID, err)
	} else if n == 0 {
		var st string
		err := t.stmt(ctx, sqlTaskRunState).QueryRowContext(ctx, executionID, tr.ID).Scan(&st)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("state: task run %s of %s: %w", tr.ID, executionID, ErrNotFound)
		}
		return fmt.Errorf("state: task run %s (task %s) of %s from %s: %w (it is %s)", tr.ID, tr.TaskID, executionID, from, ErrConflict, st)
	}
	return nil
}

func (t *sqliteTx) DeleteTaskRuns(ctx context.Context, executionID string, ids ...string) error {
	del := t.stmt(ctx, sqlDeleteTaskRun)
	for _, id := range ids {
		if _, err := del.ExecContext(ctx, executionID, id); err != nil {
			return wrapWrite("delete task run "+id, err)
		}
	}
	return nil
}

func (t *sqliteTx) GetExecution(ctx context.Context, id string) (*Execution, error) {
	return getExecution(ctx, t.tx, id, false)
}

// wrapWrite marks an error of the database as a *WriteError.
func wrapWrite(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("state: %s: %w", what, err)
	}
	return &WriteError{Err: fmt.Errorf("%s: %w", what, err)}
}

func isConstraint(err error) bool {
	return strings.Contains(err.Error(), "constraint failed")
}

func (s *sqliteRepo) SaveExecution(ctx context.Context, e *Execution) error {
	if e == nil || e.ID == "" {
		return errors.New("state: save execution: empty execution id")
	}
	seen := make(map[string]bool, len(e.TaskRuns))
	for i, tr := range e.TaskRuns {
		if tr == nil {
			return fmt.Errorf("state: save execution %s: task run %d is nil", e.ID, i)
		}
		if tr.ID == "" {
			return fmt.Errorf("state: save execution %s: task run %d (task %s) has no id", e.ID, i, tr.TaskID)
		}
		if seen[tr.ID] {
			return fmt.Errorf("state: save execution %s: duplicate task run id %s (task %s)", e.ID, tr.ID, tr.TaskID)
		}
		seen[tr.ID] = true
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Whole rewrite: the row goes (its task runs by cascade) and comes
		// back. Logs are not touched.
		if _, err := tx.ExecContext(ctx, `DELETE FROM executions WHERE id = ?`, e.ID); err != nil {
			return err
		}
		t := &sqliteTx{s: s, tx: tx, next: map[string]int64{}}
		return t.CreateExecution(ctx, e)
	})
	if err != nil {
		return fmt.Errorf("state: save execution %s: %w", e.ID, err)
	}
	return nil
}

func encodeExecution(e *Execution) ([]any, error) {
	inputs, err := encodeJSON(e.Inputs)
	if err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	labels, err := encodeJSON(e.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	hist, err := encodeHistories(e.Histories)
	if err != nil {
		return nil, fmt.Errorf("histories: %w", err)
	}
	var (
		host      string
		pid       int
		startedUS int64
		heartbeat any
	)
	if o := e.Owner; o != nil {
		host, pid, startedUS, heartbeat = o.Host, o.PID, o.Started.UnixMicro(), timeToDB(o.Heartbeat)
	}
	trig, err := encodeTrigger(e.Trigger)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	return []any{e.ID, e.Namespace, e.FlowID, e.FlowRevision, e.FlowSource, e.FlowFile, string(e.State), hist,
		inputs, labels, timeToDB(e.Start), timeToDB(e.End), e.ParentID, e.ParentTaskRunID, e.RestartCount,
		host, pid, startedUS, heartbeat, e.Error, trig}, nil
}

func encodeTaskRun(tr *TaskRun) ([]any, error) {
	attempts, err := encodeAttempts(tr.Attempts)
	if err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	}
	outputs, err := encodeJSON(tr.Outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	hist, err := encodeHistories(tr.Histories)
	if err != nil {
		return nil, fmt.Errorf("histories: %w", err)
	}
	its, err := encodeIterations(tr.Iterations)
	if err != nil {
		return nil, fmt.Errorf("iterations: %w", err)
	}
	return []any{tr.TaskID, tr.ParentID, tr.Value, string(tr.State), hist, attempts, outputs, its,
		timeToDB(tr.RunAt), timeToDB(tr.Start), timeToDB(tr.End), tr.Error}, nil
}

// resolveID maps an exact ID or a unique prefix to the stored ID.
func resolveID(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("execution id is empty: %w", ErrNotFound)
	}
	// Exact match, or the first few IDs sharing the prefix. Byte-wise
	// comparison makes [id, id+"\xff") exactly the IDs starting with id
	// (valid UTF-8 never contains 0xff), and it uses the primary key index.
	rs, err := q.QueryContext(ctx, `SELECT id FROM executions WHERE id >= ? AND id < ? ORDER BY id LIMIT 4`, id, id+"\xff")
	if err != nil {
		return "", fmt.Errorf("execution %s: %w", id, err)
	}
	defer rs.Close()
	var matches []string
	for rs.Next() {
		var m string
		if err := rs.Scan(&m); err != nil {
			return "", fmt.Errorf("execution %s: %w", id, err)
		}
		if m == id {
			return m, nil // an exact ID wins over longer IDs it prefixes
		}
		matches = append(matches, m)
	}
	if err := rs.Err(); err != nil {
		return "", fmt.Errorf("execution %s: %w", id, err)
	}
	switch {
	case len(matches) == 0:
		return "", fmt.Errorf("execution %s: %w", id, ErrNotFound)
	case len(id) < MinPrefix:
		return "", fmt.Errorf("execution %s: %w (an id prefix needs at least %d characters)", id, ErrNotFound, MinPrefix)
	case len(matches) == 1:
		return matches[0], nil
	}
	more := ""
	if len(matches) > 3 {
		matches, more = matches[:3], ", ..."
	}
	return "", fmt.Errorf("execution %s: %w: matches %s%s; give more characters", id, ErrAmbiguous, strings.Join(matches, ", "), more)
}

func (s *sqliteRepo) GetExecution(ctx context.Context, id string) (*Execution, error) {
	// One read transaction: a concurrent step cannot show us the execution
	// row of one version and the task runs of another.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	return getExecution(ctx, tx, id, true)
}

func getExecution(ctx context.Context, tx *sql.Tx, id string, prefix bool) (*Execution, error) {
	full := id
	if prefix {
		var err error
		if full, err = resolveID(ctx, tx, id); err != nil {
			return nil, fmt.Errorf("state: get %w", err)
		}
	}
	e, err := scanExecution(tx.QueryRowContext(ctx, `SELECT `+executionColumns+`, flow_source FROM executions WHERE id = ?`, full), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("state: get execution %s: %w", full, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: %w", full, err)
	}
	rs, err := tx.QueryContext(ctx, `SELECT id, `+trCols+` FROM task_runs WHERE execution_id = ? ORDER BY position`, full)
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
	}
	defer rs.Close()
	for rs.Next() {
		var (
			tr                                  TaskRun
			state                               string
			hist, attempts, outputs, iterations sql.NullString
			runAt, start, end                   sql.NullInt64
		)
		if err := rs.Scan(&tr.ID, &tr.TaskID, &tr.ParentID, &tr.Value, &state, &hist, &attempts, &outputs, &iterations, &runAt, &start, &end, &tr.Error); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
		}
		tr.State = State(state)
		tr.RunAt, tr.Start, tr.End = timeFromDB(runAt), timeFromDB(start), timeFromDB(end)
		if tr.Histories, err = decodeHistories(hist); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: histories: %w", full, tr.ID, err)
		}
		if tr.Attempts, err = decodeAttempts(attempts); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: attempts: %w", full, tr.ID, err)
		}
		if tr.Outputs, err = decodeObject(outputs); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: outputs: %w", full, tr.ID, err)
		}
		if tr.Iterations, err = decodeIterations(iterations); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: iterations: %w", full, tr.ID, err)
		}
		e.TaskRuns = append(e.TaskRuns, &tr)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
	}
	return e, nil
}

const executionColumns = `id, namespace, flow_id, flow_revision, flow_file, state, histories, inputs, labels, start_us, end_us,
	parent_id, parent_task_run_id, restart_count, owner_host, owner_pid, owner_started_us, heartbeat_us, error, trigger`

func scanExecution(sc interface{ Scan(...any) error }, withSource bool) (*Execution, error) {
	var (
		e                    Execution
		state                string
		hist, inputs, labels sql.NullString
		trig                 sql.NullString
		start, end, hb       sql.NullInt64
		host                 string
		pid                  int
		startedUS            int64
	)
	dest := []any{&e.ID, &e.Namespace, &e.FlowID, &e.FlowRevision, &e.FlowFile, &state, &hist, &inputs, &labels, &start, &end,
		&e.ParentID, &e.ParentTaskRunID, &e.RestartCount, &host, &pid, &startedUS, &hb, &e.Error, &trig}
	if withSource {
		dest = append(dest, &e.FlowSource)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	e.State = State(state)
	e.Start, e.End = timeFromDB(start), timeFromDB(end)
	if host != "" || pid != 0 {
		e.Owner = &Owner{Host: host, PID: pid, Started: time.UnixMicro(startedUS).UTC(), Heartbeat: timeFromDB(hb)}
	}
	var err error
	if e.Histories, err = decodeHistories(hist); err != nil {
		return nil, fmt.Errorf("histories: %w", err)
	}
	if e.Inputs, err = decodeObject(inputs); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	if e.Labels, err = decodeLabels(labels); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if e.Trigger, err = decodeTrigger(trig); err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	return &e, nil
}

func (s *sqliteRepo) ListExecutions(ctx context.Context, f Filter) ([]*Execution, error) {
	var (
		where []string
		args  []any
	)
	if f.Namespace != "" {
		where, args = append(where, "namespace = ?"), append(args, f.Namespace)
	}
	if f.FlowID != "" {
		where, args = append(where, "flow_id = ?"), append(args, f.FlowID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			marks[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
	}
	q := `SELECT ` + executionColumns + ` FROM executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// Not yet started executions are the newest (queued); then by start,
	// with the id as a stable tie break.
	q += " ORDER BY start_us DESC NULLS FIRST, id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rs, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("state: list executions: %w", err)
	}
	defer rs.Close()
	var out []*Execution
	for rs.Next() {
		e, err := scanExecution(rs, false)
		if err != nil {
			return nil, fmt.Errorf("state: list executions: %w", err)
		}
		out = append(out, e)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("state: list executions: %w", err)
	}
	return out, nil
}

func (s *sqliteRepo) Heartbeat(ctx context.Context, o *Owner, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE executions SET heartbeat_us = ? WHERE owner_host = ? AND owner_pid = ? AND owner_started_us = ?`,
		now.UnixMicro(), o.Host, o.PID, o.Started.UnixMicro())
	if err != nil {
		return wrapWrite("heartbeat of "+o.String(), err)
	}
	return nil
}

func (s *sqliteRepo) DeleteExecution(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM executions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		// task_runs go by ON DELETE CASCADE.
		_, err = tx.ExecContext(ctx, `DELETE FROM logs WHERE execution_id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: delete execution %s: %w", id, err)
	}
	return nil
}

func (s *sqliteRepo) AppendLogs(ctx context.Context, entries []LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([][]any, len(entries))
	for i, l := range entries {
		attrs, err := encodeJSON(l.Attrs)
		if err != nil {
			return fmt.Errorf("state: append logs of execution %s: task %s: attrs: %w", l.ExecutionID, l.TaskID, err)
		}
		rows[i] = []any{l.ExecutionID, l.TaskRunID, l.TaskID, timeToDB(l.Time), l.Level, l.Message, attrs}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st := tx.StmtContext(ctx, s.stmts[sqlInsertLog])
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: append logs of execution %s: %w", entries[0].ExecutionID, err)
	}
	return nil
}

func (s *sqliteRepo) Logs(ctx context.Context, executionID string) ([]LogEntry, error) {
	return s.LogsAfter(ctx, executionID, 0, 0)
}

func (s *sqliteRepo) LogsAfter(ctx context.Context, executionID string, after int64, limit int) ([]LogEntry, error) {
	q := `SELECT seq, execution_id, task_run_id, task_id, time_us, level, message, attrs
		FROM logs WHERE execution_id = ? AND seq > ? ORDER BY seq`
	args := []any{executionID, after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rs, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("state: logs of execution %s: %w", executionID, err)
	}
	defer rs.Close()
	var out []LogEntry
	for rs.Next() {
		var (
			l     LogEntry
			t     sql.NullInt64
			attrs sql.NullString
		)
		if err := rs.Scan(&l.Seq, &l.ExecutionID, &l.TaskRunID, &l.TaskID, &t, &l.Level, &l.Message, &attrs); err != nil {
			return nil, fmt.Errorf("state: logs of execution %s: %w", executionID, err)
		}
		l.Time = timeFromDB(t)
		if l.Attrs, err = decodeObject(attrs); err != nil {
			return nil, fmt.Errorf("state: logs of execution %s: attrs: %w", executionID, err)
		}
		out = append(out, l)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("state: logs of execution %s: %w", executionID, err)
	}
	return out, nil
}

func (s *sqliteRepo) KV(namespace, flowID string) KV {
	return &sqliteKV{repo: s, ns: namespace, flow: flowID}
}

// sqliteKV is one flow's slice of the kv table.
type sqliteKV struct {
	repo     *sqliteRepo
	ns, flow string
}

func (k *sqliteKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	err := k.repo.r.QueryRowContext(ctx, `SELECT value FROM kv WHERE namespace = ? AND flow_id = ? AND key = ?`, k.ns, k.flow, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: kv %s.%s get %q: %w", k.ns, k.flow, key, err)
	}
	if v == nil {
		v = []byte{} // present but empty
	}
	return v, true, nil
}

func (k *sqliteKV) Put(ctx context.Context, key string, value []byte) error {
	if value == nil {
		value = []byte{} // a stored empty value, not NULL
	}
	_, err := k.repo.w.ExecContext(ctx, `INSERT INTO kv (namespace, flow_id, key, value, updated_us) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (namespace, flow_id, key) DO UPDATE SET value = excluded.value, updated_us = excluded.updated_us`,
		k.ns, k.flow, key, value, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("state: kv %s.%s put %q: %w", k.ns, k.flow, key, err)
	}
	return nil
}

func (k *sqliteKV) Delete(ctx context.Context, key string) error {
	if _, err := k.repo.w.ExecContext(ctx, `DELETE FROM kv WHERE namespace = ? AND flow_id = ? AND key = ?`, k.ns, k.flow, key); err != nil {
		return fmt.Errorf("state: kv %s.%s delete %q: %w", k.ns, k.flow, key, err)
	}
	return nil
}
