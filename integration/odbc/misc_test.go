package odbc_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/odbc"
)

// NULL parameters must be typed for servers that infer parameter types
// (PostgreSQL): unprepared and prepared statements, into non-text columns.
func TestNullParameters(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, "id INT, i INT, d DATE, n NUMERIC(10,2), bo BOOLEAN")
			if _, err := db.Exec("INSERT INTO "+tbl+" VALUES (?, ?, ?, ?, ?)", 1, nil, nil, nil, nil); err != nil {
				t.Fatalf("unprepared: %v", err)
			}
			st, err := db.Prepare("INSERT INTO " + tbl + " VALUES (?, ?, ?, ?, ?)")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, args := range [][]any{{2, nil, nil, nil, nil}, {3, 7, nil, "1.25", true}, {4, nil, nil, nil, nil}} {
				if _, err := st.Exec(args...); err != nil {
					t.Fatalf("prepared %v: %v", args, err)
				}
			}
			var nulls int64
			if err := db.QueryRow("SELECT COUNT(*) FROM " + tbl + " WHERE i IS NULL AND d IS NULL AND n IS NULL AND bo IS NULL").Scan(&nulls); err != nil || nulls != 3 {
				t.Errorf("%d all-NULL rows, %v", nulls, err)
			}
		})
	}
}

func TestRowsAffected(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, "id INT, s VARCHAR(10)")
			res, err := db.Exec("INSERT INTO " + tbl + " VALUES (1, 'a'), (2, 'b'), (3, 'c')")
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 3 {
				t.Errorf("insert: %d", n)
			}
			// An UPDATE touching nothing returns SQL_NO_DATA in ODBC 3.
			res, err = db.Exec("UPDATE "+tbl+" SET s = 'z' WHERE id > ?", 100)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 0 {
				t.Errorf("no-op update: %d", n)
			}
			res, err = db.Exec("DELETE FROM "+tbl+" WHERE id >= ?", 2)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 2 {
				t.Errorf("delete: %d", n)
			}
			if _, err := res.LastInsertId(); err == nil {
				t.Error("LastInsertId did not report that it is unsupported")
			}
			// A statement without a result set through Query yields no rows.
			rows, err := db.Query("UPDATE " + tbl + " SET s = 'y'")
			if err != nil {
				t.Fatal(err)
			}
			if rows.Next() {
				t.Error("a row from UPDATE")
			}
			if err := rows.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// A prepared statement executed again while its previous result set is
// still open, and many block fetches with a tiny array size.
func TestPreparedReuseAndSmallFetch(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			c, err := odbc.NewConnector(b.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			c.FetchRows = 7
			db := sql.OpenDB(c)
			defer db.Close()
			tbl := b.table(t, db, "id INT, s VARCHAR(20)")
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			rows := make([][]any, 100)
			for i := range rows {
				rows[i] = []any{i, strings.Repeat("ä", i%20)}
			}
			if _, err := odbc.ExecBatch(ctx, conn, "INSERT INTO "+tbl+" VALUES (?, ?)", rows); err != nil {
				t.Fatal(err)
			}
			st, err := conn.PrepareContext(ctx, "SELECT id, s FROM "+tbl+" WHERE id >= ? ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r1, err := st.QueryContext(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !r1.Next() {
				t.Fatal(r1.Err())
			}
			r2, err := st.QueryContext(ctx, 50) // r1 still open
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for r2.Next() {
				var id int
				var s string
				if err := r2.Scan(&id, &s); err != nil {
					t.Fatal(err)
				}
				if id != 50+n || s != strings.Repeat("ä", id%20) {
					t.Fatalf("row %d: %d %q", n, id, s)
				}
				n++
			}
			if err := r2.Err(); err != nil || n != 50 {
				t.Errorf("%d rows, %v", n, err)
			}
			r2.Close()
			// The first result set was not disturbed by the second query.
			m := 1
			for r1.Next() {
				m++
			}
			if err := r1.Err(); err != nil || m != 100 {
				t.Errorf("first result set: %d rows, %v", m, err)
			}
			r1.Close()
			// Closing the statement under open rows defers freeing the handle.
			r3, err := st.QueryContext(ctx, 98)
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			m = 0
			for r3.Next() {
				m++
			}
			if err := r3.Err(); err != nil || m != 2 {
				t.Errorf("rows after Stmt.Close: %d, %v", m, err)
			}
			r3.Close()
		})
	}
}

// PostgreSQL reports unbounded VARCHAR and NUMERIC with a nominal size
// (MaxVarcharSize 255, precision 28); longer values must still come back
// whole, re-read with SQLGetData.
func TestValuesLongerThanDeclared(t *testing.T) {
	for _, b := range backends(t) {
		if b.name != "postgres" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, "id INT, s VARCHAR, n NUMERIC")
			long := strings.Repeat("ßü😀", 400)
			num := "1234567890123456789012345678901234567890.123456789012345678901234567890"
			for i := range 3 {
				if _, err := db.Exec("INSERT INTO "+tbl+" VALUES (?, ?, ?)", i, long, num); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := db.Query("SELECT s, n FROM " + tbl)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cts, _ := rows.ColumnTypes()
			l, _ := cts[0].Length()
			p, _, _ := cts[1].DecimalSize()
			t.Logf("declared: varchar length %d, numeric precision %d", l, p)
			got := 0
			for rows.Next() {
				var s, n string
				if err := rows.Scan(&s, &n); err != nil {
					t.Fatal(err)
				}
				if s != long || n != num {
					t.Errorf("got %d chars %q…, numeric %q", len([]rune(s)), s[:min(20, len(s))], n)
				}
				got++
			}
			if err := rows.Err(); err != nil || got != 3 {
				t.Errorf("%d rows, %v", got, err)
			}
		})
	}
}

func TestMultipleResultSets(t *testing.T) {
	for _, b := range backends(t) {
		if b.name != "postgres" { // MariaDB needs the MULTI_STATEMENTS option
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			// The second set has a long (TEXT) column, fetched a row at a
			// time, after a first set fetched in blocks.
			rows, err := db.Query("SELECT 1 AS a; SELECT 'two'::text AS b, g AS c FROM generate_series(1, 50) g")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var a int
			if !rows.Next() || rows.Scan(&a) != nil || a != 1 {
				t.Fatalf("first set: %v", rows.Err())
			}
			if rows.Next() {
				t.Fatal("extra row")
			}
			if !rows.NextResultSet() {
				t.Fatalf("no second set: %v", rows.Err())
			}
			cols, _ := rows.Columns()
			if strings.Join(cols, ",") != "b,c" {
				t.Errorf("second set columns %v", cols)
			}
			n := 0
			for rows.Next() {
				var s string
				var c int
				if err := rows.Scan(&s, &c); err != nil || s != "two" || c != n+1 {
					t.Fatalf("second set row %d: %q %d %v", n, s, c, err)
				}
				n++
			}
			if n != 50 {
				t.Errorf("second set: %d rows, %v", n, rows.Err())
			}
			if rows.NextResultSet() {
				t.Error("a third set")
			}
			if err := rows.Err(); err != nil {
				t.Error(err)
			}
		})
	}
}

// Connections used from many goroutines at once (the driver manager and
// drivers are called from whatever OS threads the goroutines run on).
func TestConcurrentConnections(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			db.SetMaxOpenConns(6)
			tbl := b.table(t, db, "id INT, s VARCHAR(30)")
			ctx := context.Background()
			errs := make(chan error, 12)
			for g := range 12 {
				go func() {
					for i := range 25 {
						id := g*100 + i
						if _, err := db.ExecContext(ctx, "INSERT INTO "+tbl+" VALUES (?, ?)", id, "gø"+strings.Repeat("😀", g)); err != nil {
							errs <- err
							return
						}
						var s string
						if err := db.QueryRowContext(ctx, "SELECT s FROM "+tbl+" WHERE id = ?", id).Scan(&s); err != nil {
							errs <- err
							return
						}
						if s != "gø"+strings.Repeat("😀", g) {
							errs <- fmt.Errorf("id %d: %q", id, s)
							return
						}
					}
					errs <- nil
				}()
			}
			for range 12 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			if n := count(t, db, tbl); n != 300 {
				t.Errorf("%d rows", n)
			}
		})
	}
}
