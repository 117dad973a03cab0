package jdbc_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/rows"
)

// writeAmounts streams n rows (id, amount as text, note) into a row file;
// row bad gets an amount that is not a number.
func writeAmounts(t *testing.T, env *plugintest.Env, n, bad int) string {
	t.Helper()
	schema := &rows.Schema{Fields: []rows.Field{{Name: "id", Kind: rows.KindInt}, {Name: "amount", Kind: rows.KindString}, {Name: "note", Kind: rows.KindString}}}
	w, err := env.RunContext("fixture").CreateRows(context.Background(), "amounts", schema)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	var row rows.Row
	row.Reset(3)
	var amount, note []byte
	for i := 1; i <= n; i++ {
		amount = fmt.Appendf(amount[:0], "%d.%02d", i%100000, i%100)
		if i == bad {
			amount = append(amount[:0], "12,50"...)
		}
		note = fmt.Appendf(note[:0], "note %d", i)
		row.Values[0], row.Values[1], row.Values[2] = rows.Int(int64(i)), rows.StringBytes(amount), rows.StringBytes(note)
		if err := w.Write(&row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.URI().String()
}

const amountsTable = "CREATE TABLE amounts (id BIGINT PRIMARY KEY, amount DECIMAL(12,2), note VARCHAR(50))"

// TestConversionErrorLeavesTargetEmpty: a value that cannot be converted in
// row 500,001 of 1,000,000 fails a transaction: all load with the row,
// column and value, and nothing is committed.
func TestConversionErrorLeavesTargetEmpty(t *testing.T) {
	if testing.Short() {
		t.Skip("1M-row load; skipped with -short")
	}
	env := plugintest.New(t)
	from := writeAmounts(t, env, 1_000_000, 500_001)
	for _, d := range []string{dialect.Postgres, dialect.MySQL} {
		t.Run(d, func(t *testing.T) {
			url, db := server(t, d)
			mustExec(t, db, "DROP TABLE IF EXISTS amounts", amountsTable)
			task := batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Chunk: 10000})
			_, err := env.Run(task, "load")
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range []string{"row 500001", `column "amount"`, `value "12,50"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if n := count(t, db, "amounts"); n != 0 {
				t.Fatalf("the failed load left %d rows", n)
			}
		})
	}
}

func batchTask(d string, b jdbc.Batch) plugin.Task { return jdbc.NewBatch(d, b) }

// TestChunkTransactionCommits: with transaction: chunk the chunks before
// the failing one stay, and the error says how many rows that is.
func TestChunkTransactionCommits(t *testing.T) {
	env := plugintest.New(t)
	from := writeAmounts(t, env, 5000, 2501)
	for _, d := range []string{dialect.Postgres, dialect.MySQL} {
		t.Run(d, func(t *testing.T) {
			url, db := server(t, d)
			mustExec(t, db, "DROP TABLE IF EXISTS amounts", amountsTable)
			_, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Chunk: 1000, Transaction: "chunk"}), "load")
			if err == nil || !strings.Contains(err.Error(), "2000 rows were committed") || !strings.Contains(err.Error(), "row 2501") {
				t.Fatalf("error = %v", err)
			}
			if n := count(t, db, "amounts"); n != 2000 {
				t.Fatalf("%d rows committed, want 2000", n)
			}
		})
	}
}

// TestMergeIsIdempotent: merging the same input twice leaves the same
// table; replace and truncate_insert behave as documented.
func TestMergeIsIdempotent(t *testing.T) {
	env := plugintest.New(t)
	from := writeAmounts(t, env, 3000, -1)
	for _, d := range []string{dialect.Postgres, dialect.MySQL} {
		t.Run(d, func(t *testing.T) {
			url, db := server(t, d)
			mustExec(t, db, "DROP TABLE IF EXISTS amounts", amountsTable,
				"INSERT INTO amounts VALUES (1, 0.01, 'old'), (999999, 5.00, 'untouched')")
			sums := make([]string, 2)
			for i := range sums {
				for _, tx := range []string{"all", "chunk"} {
					out, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Mode: "merge", Transaction: tx, Chunk: 1000}), "merge")
					if err != nil {
						t.Fatal(err)
					}
					if out["rowCount"] != int64(3000) {
						t.Fatalf("rowCount = %v", out["rowCount"])
					}
				}
				sums[i] = tableSum(t, db)
			}
			if sums[0] != sums[1] {
				t.Fatalf("second merge changed the table: %s vs %s", sums[0], sums[1])
			}
			if n := count(t, db, "amounts"); n != 3001 {
				t.Fatalf("%d rows after merge, want 3001", n)
			}
			var note string
			db.QueryRow("SELECT note FROM amounts WHERE id = 1").Scan(&note)
			if note != "note 1" {
				t.Fatalf("merge did not update id 1: %q", note)
			}
			// replace with the key named, through a plain INSERT statement.
			if _, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, SQL: "insert into amounts (id, amount, note) values (?, ?, ?)", Mode: "replace", Keys: []string{"ID"}}), "replace"); err != nil {
				t.Fatal(err)
			}
			if got := tableSum(t, db); got != sums[0] {
				t.Fatalf("replace with the same rows changed the table")
			}
			if _, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Mode: "truncate_insert"}), "truncate"); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "amounts"); n != 3000 {
				t.Fatalf("%d rows after truncate_insert, want 3000", n)
			}
		})
	}
}

func tableSum(t *testing.T, db *sql.DB) string {
	t.Helper()
	var a, b, c sql.NullString
	var n int64
	if err := db.QueryRow("SELECT count(*), sum(id), sum(amount), max(note) FROM amounts").Scan(&n, &a, &b, &c); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d/%s/%s/%s", n, a.String, b.String, c.String)
}

// releaseOnRetry is a log handler that runs release the first time the
// loader logs that it will retry: the test's lock holder then lets go, so
// the retry is certain to be needed and certain to succeed.
type releaseOnRetry struct {
	slog.Handler
	once    *sync.Once
	release func()
	retried *bool
}

func (h releaseOnRetry) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "transient error, retrying") {
		*h.retried = true
		h.once.Do(h.release)
	}
	return h.Handler.Handle(ctx, r)
}

func (h releaseOnRetry) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

// TestRetryLockTimeout: another transaction holds a row lock; the load
// times out waiting (MySQL 1205, PostgreSQL 55P03), retries, and succeeds
// once the lock is gone.
func TestRetryLockTimeout(t *testing.T) {
	env := plugintest.New(t)
	from := writeAmounts(t, env, 2000, -1)
	cases := []struct {
		d, param, lock string
	}{
		{dialect.MySQL, "innodb_lock_wait_timeout=1", "INSERT INTO amounts VALUES (1500, 1, 'held')"},
		{dialect.Postgres, "lock_timeout=300", "INSERT INTO amounts VALUES (1500, 1, 'held')"},
	}
	for _, c := range cases {
		for _, tx := range []string{"all", "chunk"} {
			t.Run(c.d+" "+tx, func(t *testing.T) {
				url, db := server(t, c.d)
				mustExec(t, db, "DROP TABLE IF EXISTS amounts", amountsTable)
				holder, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := holder.Exec(c.lock); err != nil {
					t.Fatal(err)
				}
				var once sync.Once
				retried := false
				rc := plugin.NewRunContext(plugin.RunConfig{
					Namespace: "test", FlowID: "flow", ExecutionID: "exec", TaskID: "load", TaskRunID: "run",
					Store: env.Store, KV: env.KV,
					Logger: slog.New(releaseOnRetry{Handler: slog.NewTextHandler(testLog{t}, nil), once: &once, release: func() { holder.Rollback() }, retried: &retried}),
				})
				sep := "?"
				if strings.Contains(url, "?") {
					sep = "&"
				}
				task := batchTask(c.d, jdbc.Batch{Connection: jdbc.Connection{URL: url + sep + c.param}, From: from, Table: "amounts", Transaction: tx, RetryInterval: plugin.Duration(50e6)})
				out, err := task.Run(context.Background(), rc)
				once.Do(func() { holder.Rollback() })
				if err != nil {
					t.Fatal(err)
				}
				if !retried {
					t.Fatal("the load never waited for the lock")
				}
				if out["rowCount"] != int64(2000) || count(t, db, "amounts") != 2000 {
					t.Fatalf("rowCount = %v, table has %d", out["rowCount"], count(t, db, "amounts"))
				}
			})
		}
	}
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestServerErrorNamesInputRow: a duplicate key the server finds in the
// middle of a COPY is reported with the input row, in both transaction
// modes.
func TestServerErrorNamesInputRow(t *testing.T) {
	env := plugintest.New(t)
	from := writeAmounts(t, env, 3000, -1)
	url, db := server(t, dialect.Postgres)
	for _, tx := range []string{"all", "chunk"} {
		mustExec(t, db, "DROP TABLE IF EXISTS amounts", amountsTable, "INSERT INTO amounts VALUES (1500, 0, 'taken')")
		_, err := env.Run(jdbc.NewBatch("postgres", jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Transaction: tx, Chunk: 1000}), "load")
		if err == nil || !strings.Contains(err.Error(), "input row 1500") || !strings.Contains(err.Error(), "23505") {
			t.Fatalf("%s: error = %v", tx, err)
		}
	}
}
