package jdbc_test

import (
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
)

// TestExactlyOnceOnServers runs the same task run's load twice (a restart
// after a crash between the commit and the saved task run) on MySQL, where
// the loads table's DDL must stay out of the load's transaction, and on
// PostgreSQL: the rows are in once, and the record holds the row count.
func TestExactlyOnceOnServers(t *testing.T) {
	env := plugintest.New(t)
	from := writeAmounts(t, env, 5000, 0)
	for _, d := range []string{dialect.Postgres, dialect.MySQL} {
		t.Run(d, func(t *testing.T) {
			url, db := server(t, d)
			mustExec(t, db, "DROP TABLE IF EXISTS amounts", "DROP TABLE IF EXISTS sluice_loads_it", amountsTable)
			for i := 0; i < 2; i++ {
				out, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts", Chunk: 1000,
					ExactlyOnce: true, LoadsTable: "sluice_loads_it"}), "load")
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				if out["rowCount"] != int64(5000) {
					t.Fatalf("run %d: rowCount %v", i+1, out["rowCount"])
				}
			}
			if n := count(t, db, "amounts"); n != 5000 {
				t.Fatalf("amounts holds %d rows after the restart, want 5000", n)
			}
			var rows int64
			if err := db.QueryRow("SELECT rows_loaded FROM sluice_loads_it").Scan(&rows); err != nil || rows != 5000 {
				t.Fatalf("loads table: %d, %v", rows, err)
			}
		})
	}
}
