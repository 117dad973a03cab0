package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers driver "sqlite"
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

	mu sync.Mutex
	// saved remembers, per execution being run, what this process last
	// wrote, so that a save after one task state change writes one row
	// instead of all of them. Terminated executions are forgotten.
	saved map[string]*savedExecution
}

type savedExecution struct {
	token    int64
	taskRuns map[string][]any // task run id → the column values written
}

// maxSaved bounds the memory of saved; past it the cache starts over (the
// cost is one full rewrite per running execution).
const maxSaved = 4096

const (
	sqlUpsertExecution = `INSERT INTO executions
		(id, namespace, flow_id, flow_source, flow_file, state, inputs, labels, start_us, end_us, parent_id, restart_count, save_token)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			namespace = excluded.namespace, flow_id = excluded.flow_id,
			flow_source = excluded.flow_source, flow_file = excluded.flow_file,
			state = excluded.state, inputs = excluded.inputs, labels = excluded.labels,
			start_us = excluded.start_us, end_us = excluded.end_us,
			parent_id = excluded.parent_id, restart_count = excluded.restart_count,
			save_token = excluded.save_token`
	sqlSaveToken      = `SELECT save_token FROM executions WHERE id = ?`
	sqlDeleteTaskRuns = `DELETE FROM task_runs WHERE execution_id = ?`
	sqlDeleteTaskRun  = `DELETE FROM task_runs WHERE execution_id = ? AND id = ?`
	sqlUpsertTaskRun  = `INSERT INTO task_runs
		(execution_id, id, position, task_id, parent_id, value, state, attempts, outputs, start_us, end_us, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (execution_id, id) DO UPDATE SET
			position = excluded.position, task_id = excluded.task_id, parent_id = excluded.parent_id,
			value = excluded.value, state = excluded.state, attempts = excluded.attempts,
			outputs = excluded.outputs, start_us = excluded.start_us, end_us = excluded.end_us,
			error = excluded.error`
	sqlInsertLog = `INSERT INTO logs (execution_id, task_run_id, task_id, time_us, level, message, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

func openSQLite(t sqliteTarget) (Repository, error) {
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
	repo := &sqliteRepo{w: w, r: w, label: t.label, saved: map[string]*savedExecution{}}
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
	for _, q := range []string{sqlUpsertExecution, sqlSaveToken, sqlDeleteTaskRuns, sqlDeleteTaskRun, sqlUpsertTaskRun, sqlInsertLog} {
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
func (s *sqliteRepo) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqliteRepo) SaveExecution(ctx context.Context, e *Execution) error {
	if e == nil || e.ID == "" {
		return errors.New("state: save execution: empty execution id")
	}
	// Encode everything before taking the write lock: the lock is shared
	// by every parallel task of every execution.
	row, err := encodeExecution(e)
	if err != nil {
		return fmt.Errorf("state: save execution %s: %w", e.ID, err)
	}
	trs := make(map[string][]any, len(e.TaskRuns))
	for i, tr := range e.TaskRuns {
		if tr == nil {
			return fmt.Errorf("state: save execution %s: task run %d is nil", e.ID, i)
		}
		if tr.ID == "" {
			return fmt.Errorf("state: save execution %s: task run %d (task %s) has no id", e.ID, i, tr.TaskID)
		}
		if trs[tr.ID] != nil {
			return fmt.Errorf("state: save execution %s: duplicate task run id %s (task %s)", e.ID, tr.ID, tr.TaskID)
		}
		if trs[tr.ID], err = encodeTaskRun(e.ID, i, tr); err != nil {
			return fmt.Errorf("state: save execution %s: task run %s (task %s): %w", e.ID, tr.ID, tr.TaskID, err)
		}
	}
	token := rand.Int64()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The stored token tells whether the task runs in the table are
		// still the ones this process remembers writing; anything else
		// (first save, another process, a failed commit) rewrites them all.
		var stored int64
		err := tx.StmtContext(ctx, s.stmts[sqlSaveToken]).QueryRowContext(ctx, e.ID).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		s.mu.Lock()
		prev := s.saved[e.ID]
		s.mu.Unlock()
		if err != nil || prev == nil || prev.token != stored {
			prev = nil
		}
		if _, err := tx.StmtContext(ctx, s.stmts[sqlUpsertExecution]).ExecContext(ctx, append(row, token)...); err != nil {
			return err
		}
		if prev == nil {
			if _, err := tx.StmtContext(ctx, s.stmts[sqlDeleteTaskRuns]).ExecContext(ctx, e.ID); err != nil {
				return err
			}
		} else {
			del := tx.StmtContext(ctx, s.stmts[sqlDeleteTaskRun])
			for id := range prev.taskRuns {
				if trs[id] == nil {
					if _, err := del.ExecContext(ctx, e.ID, id); err != nil {
						return fmt.Errorf("task run %s: %w", id, err)
					}
				}
			}
		}
		ins := tx.StmtContext(ctx, s.stmts[sqlUpsertTaskRun])
		for _, tr := range e.TaskRuns {
			args := trs[tr.ID]
			if prev != nil && sameRow(prev.taskRuns[tr.ID], args) {
				continue
			}
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("task run %s: %w", tr.ID, err)
			}
		}
		return nil
	})
	s.remember(e, token, trs, err == nil)
	if err != nil {
		return fmt.Errorf("state: save execution %s: %w", e.ID, err)
	}
	return nil
}

// remember records what a save wrote, or forgets the execution when the
// save failed or the execution is over (no more saves expected).
func (s *sqliteRepo) remember(e *Execution, token int64, trs map[string][]any, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || e.State.Terminated() {
		delete(s.saved, e.ID)
		return
	}
	if len(s.saved) >= maxSaved {
		clear(s.saved)
	}
	s.saved[e.ID] = &savedExecution{token: token, taskRuns: trs}
}

// sameRow compares encoded column values (strings, ints and nils).
func sameRow(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	return []any{e.ID, e.Namespace, e.FlowID, e.FlowSource, e.FlowFile, string(e.State),
		inputs, labels, timeToDB(e.Start), timeToDB(e.End), e.ParentID, e.RestartCount}, nil
}

func encodeTaskRun(execID string, pos int, tr *TaskRun) ([]any, error) {
	attempts, err := encodeAttempts(tr.Attempts)
	if err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	}
	outputs, err := encodeJSON(tr.Outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	return []any{execID, tr.ID, pos, tr.TaskID, tr.ParentID, tr.Value, string(tr.State),
		attempts, outputs, timeToDB(tr.Start), timeToDB(tr.End), tr.Error}, nil
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
	// One read transaction: a concurrent save replacing the task runs
	// cannot show us the execution row of one version and the task runs of
	// another.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	full, err := resolveID(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("state: get %w", err)
	}
	e, err := scanExecution(tx.QueryRowContext(ctx, `SELECT `+executionColumns+`, flow_source FROM executions WHERE id = ?`, full), true)
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: %w", full, err)
	}
	rs, err := tx.QueryContext(ctx, `SELECT id, task_id, parent_id, value, state, attempts, outputs, start_us, end_us, error
		FROM task_runs WHERE execution_id = ? ORDER BY position`, full)
	if err != nil {
		return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
	}
	defer rs.Close()
	for rs.Next() {
		var (
			tr                TaskRun
			state             string
			attempts, outputs sql.NullString
			start, end        sql.NullInt64
		)
		if err := rs.Scan(&tr.ID, &tr.TaskID, &tr.ParentID, &tr.Value, &state, &attempts, &outputs, &start, &end, &tr.Error); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
		}
		tr.State = State(state)
		tr.Start, tr.End = timeFromDB(start), timeFromDB(end)
		if tr.Attempts, err = decodeAttempts(attempts); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: attempts: %w", full, tr.ID, err)
		}
		if tr.Outputs, err = decodeObject(outputs); err != nil {
			return nil, fmt.Errorf("state: get execution %s: task run %s: outputs: %w", full, tr.ID, err)
		}
		e.TaskRuns = append(e.TaskRuns, &tr)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("state: get execution %s: task runs: %w", full, err)
	}
	return e, nil
}

const executionColumns = `id, namespace, flow_id, flow_file, state, inputs, labels, start_us, end_us, parent_id, restart_count`

func scanExecution(sc interface{ Scan(...any) error }, withSource bool) (*Execution, error) {
	var (
		e              Execution
		state          string
		inputs, labels sql.NullString
		start, end     sql.NullInt64
	)
	dest := []any{&e.ID, &e.Namespace, &e.FlowID, &e.FlowFile, &state, &inputs, &labels, &start, &end, &e.ParentID, &e.RestartCount}
	if withSource {
		dest = append(dest, &e.FlowSource)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	e.State = State(state)
	e.Start, e.End = timeFromDB(start), timeFromDB(end)
	var err error
	if e.Inputs, err = decodeObject(inputs); err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	if e.Labels, err = decodeLabels(labels); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
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

func (s *sqliteRepo) DeleteExecution(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.saved, id)
	s.mu.Unlock()
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
	rs, err := s.r.QueryContext(ctx, `SELECT execution_id, task_run_id, task_id, time_us, level, message, attrs
		FROM logs WHERE execution_id = ? ORDER BY seq`, executionID)
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
		if err := rs.Scan(&l.ExecutionID, &l.TaskRunID, &l.TaskID, &t, &l.Level, &l.Message, &attrs); err != nil {
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
