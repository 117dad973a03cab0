package odbc_test

import (
	"context"
	"database/sql"
	"testing"
)

func TestTransactions(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			tbl := b.table(t, db, "id INT PRIMARY KEY, s VARCHAR(20)")
			ctx := context.Background()

			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if _, err := tx.Exec("INSERT INTO "+tbl+" VALUES (?, ?)", i, "rolled back"); err != nil {
					t.Fatal(err)
				}
			}
			var inside int64
			if err := tx.QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&inside); err != nil || inside != 3 {
				t.Fatalf("inside the transaction: %d rows, %v", inside, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, tbl); n != 0 {
				t.Errorf("after rollback: %d rows", n)
			}

			tx, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec("INSERT INTO "+tbl+" VALUES (?, ?)", 10, "committed"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, tbl); n != 1 {
				t.Errorf("after commit: %d rows", n)
			}

			// Back in autocommit: a statement outside a transaction is
			// visible from another connection at once.
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "INSERT INTO "+tbl+" VALUES (11, 'auto')"); err != nil {
				t.Fatal(err)
			}
			other, err := sql.Open("odbc", b.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if n := count(t, other, tbl); n != 2 {
				t.Errorf("autocommit row not visible elsewhere: %d rows", n)
			}

			// ReadOnly is a hint (SQL_ATTR_ACCESS_MODE) that drivers may
			// ignore (psqlodbc does); what must hold
			// is that the mode is reset afterwards so writes keep working.
			tx, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(new(int64)); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("INSERT INTO " + tbl + " VALUES (12, 'after ro')"); err != nil {
				t.Errorf("write after a read-only transaction: %v", err)
			}
		})
	}
}
