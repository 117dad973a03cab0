package odbc_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/odbc"
)

func batchRows(n int) [][]any {
	rows := make([][]any, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		var s any = fmt.Sprintf("row %d — ü😀", i)
		var f any = float64(i) / 4
		if i%7 == 0 {
			s = nil // NULLs scattered through the arrays
		}
		if i%11 == 0 {
			f = nil
		}
		rows[i] = []any{int64(i), s, f, fmt.Sprintf("%d.%02d", i, i%100), base.Add(time.Duration(i) * time.Second), []byte{byte(i), byte(i >> 8)}}
	}
	return rows
}

func batchDDL(b backend) string {
	if b.name == "mariadb" {
		return "id BIGINT PRIMARY KEY, s VARCHAR(40), f DOUBLE, d DECIMAL(12,2), ts DATETIME(6), bin VARBINARY(8)"
	}
	return "id BIGINT PRIMARY KEY, s VARCHAR(40), f DOUBLE PRECISION, d NUMERIC(12,2), ts TIMESTAMP(6), bin BYTEA"
}

// checkBatch compares the table with batchRows(n).
func checkBatch(t *testing.T, db *sql.DB, tbl string, n int) {
	t.Helper()
	want := batchRows(n)
	rows, err := db.Query("SELECT id, s, f, d, ts, bin FROM " + tbl + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		got := make([]any, 6)
		ptrs := make([]any, 6)
		for j := range got {
			ptrs[j] = &got[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if !sameValue(got[j], want[i][j]) {
				t.Fatalf("row %d column %d: got %T %v, want %T %v", i, j, got[j], got[j], want[i][j], want[i][j])
			}
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("%d rows, want %d", i, n)
	}
}

func TestExecBatch10000Rows(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, batchDDL(b))
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			n, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(10_000))
			if err != nil {
				t.Fatal(err)
			}
			if n != 10_000 {
				t.Errorf("ExecBatch reported %d rows", n)
			}
			checkBatch(t, db, tbl, 10_000)
		})
	}
}

// Result sets streamed by the driver (instead of buffered whole) fetch the
// same rows, across many blocks.
func TestStreamingResultSets(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, batchDDL(b))
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(5000)); err != nil {
				t.Fatal(err)
			}
			checkBatch(t, openDSN(t, b.name, b.streamingDSN(t)), tbl, 5000)
		})
	}
}

// Every column through SQLGetData gives the same rows as the block cursor.
func TestFetchWithGetData(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, batchDDL(b))
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(300)); err != nil {
				t.Fatal(err)
			}
			c, err := odbc.NewConnector(b.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			c.FetchWithGetData = true
			gd := sql.OpenDB(c)
			defer gd.Close()
			checkBatch(t, gd, tbl, 300)
		})
	}
}

// Small chunks and the row-by-row fallback give the same table.
func TestExecBatchChunksAndFallback(t *testing.T) {
	for _, b := range backends(t) {
		for _, mode := range []string{"chunks", "row-by-row"} {
			t.Run(b.name+"/"+mode, func(t *testing.T) {
				c, err := odbc.NewConnector(b.dsn(t))
				if err != nil {
					t.Fatal(err)
				}
				c.BatchBufferBytes = 4096 // a few dozen rows per chunk
				c.DisableParamArrays = mode == "row-by-row"
				db := sql.OpenDB(c)
				defer db.Close()
				tbl := b.table(t, db, batchDDL(b))
				ctx := context.Background()
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				n, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(500))
				if err != nil || n != 500 {
					t.Fatalf("ExecBatch: %d, %v", n, err)
				}
				checkBatch(t, db, tbl, 500)
			})
		}
	}
}

// A batch inside a transaction disappears on rollback; a failing row names
// itself and its SQLSTATE.
func TestExecBatchTransactionAndFailure(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, batchDDL(b))
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", batchRows(1000))
			if err != nil || n != 1000 {
				t.Fatalf("ExecBatch: %d, %v", n, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got := count(t, db, tbl); got != 0 {
				t.Errorf("after rollback: %d rows", got)
			}

			rows := batchRows(100)
			rows[57][0] = int64(3) // duplicate primary key
			_, err = odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" (id, s, f, d, ts, bin) VALUES (?, ?, ?, ?, ?, ?)", rows)
			if err == nil {
				t.Fatal("duplicate key accepted")
			}
			if st := odbc.SQLState(err); st != b.dupState {
				t.Errorf("SQLSTATE %q, want %q: %v", st, b.dupState, err)
			}
			if !strings.Contains(err.Error(), "ExecBatch") {
				t.Errorf("error does not say where: %v", err)
			}
			t.Logf("%s duplicate-key error: %v", b.name, err)
		})
	}
}

// Conn.ExecBatch takes driver values directly; a column mixing types is
// refused before anything is sent.
func TestExecBatchMixedTypes(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, "id BIGINT, s VARCHAR(10)")
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			err = conn.Raw(func(dc any) error {
				_, err := dc.(*odbc.Conn).ExecBatch(ctx, "INSERT INTO "+tbl+" VALUES (?, ?)", [][]driver.Value{{int64(1), "a"}, {int64(2), int64(5)}})
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "row 1 parameter 2 is int64 but row 0 has string") {
				t.Errorf("got %v", err)
			}
			if n := count(t, db, tbl); n != 0 {
				t.Errorf("%d rows inserted", n)
			}
		})
	}
}
