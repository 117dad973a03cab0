package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations[i] brings the schema from version i to i+1. Append only: a
// released migration is never edited, old files upgrade by running the ones
// they have not seen. Types are chosen to map onto PostgreSQL directly
// (INTEGER holding unix microseconds → BIGINT, TEXT JSON → JSONB/TEXT).
var migrations = [][]string{
	// 1: the initial schema.
	{
		`CREATE TABLE executions (
			id            TEXT PRIMARY KEY,
			namespace     TEXT NOT NULL,
			flow_id       TEXT NOT NULL,
			flow_source   TEXT NOT NULL,
			flow_file     TEXT NOT NULL,
			state         TEXT NOT NULL,
			inputs        TEXT,
			labels        TEXT,
			start_us      INTEGER,
			end_us        INTEGER,
			parent_id     TEXT NOT NULL,
			restart_count INTEGER NOT NULL,
			-- save_token changes on every save (a random number): a writer
			-- that finds the token it wrote last knows the stored task runs
			-- are the ones it remembers and writes only what changed.
			save_token    INTEGER NOT NULL
		)`,
		`CREATE INDEX executions_by_start ON executions (start_us, id)`,
		`CREATE INDEX executions_by_flow ON executions (namespace, flow_id, start_us)`,
		`CREATE INDEX executions_by_state ON executions (state, start_us)`,
		`CREATE TABLE task_runs (
			execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
			id           TEXT NOT NULL,
			position     INTEGER NOT NULL,
			task_id      TEXT NOT NULL,
			parent_id    TEXT NOT NULL,
			value        TEXT NOT NULL,
			state        TEXT NOT NULL,
			attempts     TEXT,
			outputs      TEXT,
			start_us     INTEGER,
			end_us       INTEGER,
			error        TEXT NOT NULL,
			PRIMARY KEY (execution_id, id)
		)`,
		// No foreign key on logs: a task may log before the executor first
		// saves the execution. DeleteExecution removes them explicitly.
		`CREATE TABLE logs (
			seq          INTEGER PRIMARY KEY,
			execution_id TEXT NOT NULL,
			task_run_id  TEXT NOT NULL,
			task_id      TEXT NOT NULL,
			time_us      INTEGER,
			level        TEXT NOT NULL,
			message      TEXT NOT NULL,
			attrs        TEXT
		)`,
		`CREATE INDEX logs_by_execution ON logs (execution_id, seq)`,
		`CREATE TABLE kv (
			namespace  TEXT NOT NULL,
			flow_id    TEXT NOT NULL,
			key        TEXT NOT NULL,
			value      BLOB NOT NULL,
			updated_us INTEGER NOT NULL,
			PRIMARY KEY (namespace, flow_id, key)
		)`,
	},
	// 2: the executor as a state machine: task runs updated one by one
	// (ordered by position, found through an index), state histories,
	// flowable plans, scheduled retries, the owning process and its
	// heartbeat, subflow links.
	{
		`ALTER TABLE executions ADD COLUMN flow_revision INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE executions ADD COLUMN histories TEXT`,
		`ALTER TABLE executions ADD COLUMN parent_task_run_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE executions ADD COLUMN owner_host TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE executions ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE executions ADD COLUMN owner_started_us INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE executions ADD COLUMN heartbeat_us INTEGER`,
		`ALTER TABLE executions ADD COLUMN error TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX executions_by_owner ON executions (owner_host, owner_pid, owner_started_us)`,
		`CREATE INDEX executions_by_parent ON executions (parent_id)`,
		`ALTER TABLE task_runs ADD COLUMN histories TEXT`,
		`ALTER TABLE task_runs ADD COLUMN iterations TEXT`,
		`ALTER TABLE task_runs ADD COLUMN run_at_us INTEGER`,
		`CREATE INDEX task_runs_by_position ON task_runs (execution_id, position)`,
	},
	// 3: flows stored through the server's API, every revision kept
	// (flows.go; a deletion is a revision with deleted = 1, as Kestra's),
	// and the trigger that started an execution.
	{
		`CREATE TABLE flows (
			namespace  TEXT NOT NULL,
			id         TEXT NOT NULL,
			revision   INTEGER NOT NULL,
			source     TEXT NOT NULL,
			deleted    INTEGER NOT NULL,
			updated_us INTEGER NOT NULL,
			PRIMARY KEY (namespace, id, revision)
		)`,
		// What started an execution ({{ trigger.* }}): JSON {id, type, variables}.
		`ALTER TABLE executions ADD COLUMN trigger TEXT`,
	},
}

// migrate brings db to the newest schema in steps, in one immediate
// transaction so that two processes opening a fresh file at once cannot
// both run a migration. It is idempotent.
func migrate(ctx context.Context, db *sql.DB, steps [][]string) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_us INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("read schema_version: %w", err)
	}
	if current > len(steps) {
		return fmt.Errorf("state database has schema version %d, newer than this build supports (%d): upgrade sluice", current, len(steps))
	}
	for v := current + 1; v <= len(steps); v++ {
		for i, stmt := range steps[v-1] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d, statement %d: %w", v, i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_us) VALUES (?, ?)`, v, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("record migration %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
