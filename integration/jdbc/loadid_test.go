package jdbc_test

import (
	"strings"
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
			// Tables of its own: other tests load "amounts".
			mustExec(t, db, "DROP TABLE IF EXISTS amounts_once", "DROP TABLE IF EXISTS sluice_loads_it",
				strings.Replace(amountsTable, "amounts", "amounts_once", 1))
			for i := 0; i < 2; i++ {
				out, err := env.Run(batchTask(d, jdbc.Batch{Connection: jdbc.Connection{URL: url}, From: from, Table: "amounts_once", Chunk: 1000,
					ExactlyOnce: true, LoadsTable: "sluice_loads_it"}), "load")
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				if out["rowCount"] != int64(5000) {
					t.Fatalf("run %d: rowCount %v", i+1, out["rowCount"])
				}
			}
			if n := count(t, db, "amounts_once"); n != 5000 {
				t.Fatalf("amounts_once holds %d rows after the restart, want 5000", n)
			}
			var rows int64
			if err := db.QueryRow("SELECT rows_loaded FROM sluice_loads_it").Scan(&rows); err != nil || rows != 5000 {
				t.Fatalf("loads table: %d, %v", rows, err)
			}
		})
	}
}
