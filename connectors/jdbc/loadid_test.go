package jdbc

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
)

// runAs runs task as one task run of one execution.
func runAs(env *plugintest.Env, task plugin.Task, execution, taskRun string) (plugin.Outputs, error) {
	rc := plugin.NewRunContext(plugin.RunConfig{Namespace: "test", FlowID: "flow", ExecutionID: execution,
		TaskID: "load", TaskRunID: taskRun, Store: env.Store, KV: env.KV})
	defer rc.Cleanup()
	return plugin.Execute(context.Background(), task, rc)
}

// TestBatchExactlyOnce: a Batch killed after its commit but before its task
// run was saved is run again by the restart, with the same execution and
// task run; in insert mode it loaded the rows twice. The load's identity,
// committed with the rows, now makes the second run load nothing.
func TestBatchExactlyOnce(t *testing.T) {
	// No primary key: loading twice shows as twice the rows.
	url, db := sqliteDB(t, `create table dst (id integer, name varchar(40) not null, amount decimal(12,2), born date, active boolean)`)
	env := plugintest.New(t)
	schema, rs := inputRows(2500, nil)
	from := env.WriteRows("in", schema, rs)
	batch := func(exactlyOnce bool) plugin.Task {
		return NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", Chunk: 1000,
			ExactlyOnce: exactlyOnce, LoadsTable: "sluice_loads"})
	}
	steps := []struct {
		name             string
		exactlyOnce      bool
		execution, run   string
		wantOut, wantDst int
	}{
		{"first load", true, "E1", "R1", 2500, 2500},
		{"restart of the same task run", true, "E1", "R1", 2500, 2500},
		{"another task run of the execution", true, "E1", "R2", 2500, 5000},
		{"a replay: another execution", true, "E2", "R1", 2500, 7500},
		{"bookkeeping off", false, "E1", "R1", 2500, 10000},
	}
	for _, s := range steps {
		out, err := runAs(env, batch(s.exactlyOnce), s.execution, s.run)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if out["rowCount"] != int64(s.wantOut) {
			t.Fatalf("%s: rowCount %v, want %d", s.name, out["rowCount"], s.wantOut)
		}
		if n := count(t, db, "dst"); n != s.wantDst {
			t.Fatalf("%s: dst holds %d rows, want %d", s.name, n, s.wantDst)
		}
	}
	var rowsLoaded int64
	if err := db.QueryRow("select rows_loaded from sluice_loads where load_id = 'E1/R1'").Scan(&rowsLoaded); err != nil || rowsLoaded != 2500 {
		t.Fatalf("loads table: %v, %v", rowsLoaded, err)
	}
}

// TestBatchExactlyOnceFailedLoadNotRecorded: a load that fails commits
// neither its rows nor its identity, so the restart loads them.
func TestBatchExactlyOnceFailedLoadNotRecorded(t *testing.T) {
	url, db := sqliteDB(t, dstTable)
	env := plugintest.New(t)
	schema, bad := inputRows(3000, map[int]string{2501: "12,50"})
	_, good := inputRows(3000, nil)
	load := func(from string) (plugin.Outputs, error) {
		return runAs(env, NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", ExactlyOnce: true, LoadsTable: "sluice_loads"}), "E1", "R1")
	}
	if _, err := load(env.WriteRows("bad", schema, bad)); err == nil {
		t.Fatal("no error")
	}
	if n := count(t, db, "sluice_loads"); n != 0 {
		t.Fatalf("a failed load was recorded (%d)", n)
	}
	out, err := load(env.WriteRows("good", schema, good))
	if err != nil || out["rowCount"] != int64(3000) || count(t, db, "dst") != 3000 {
		t.Fatalf("restart: %v, %v, %d rows", out, err, count(t, db, "dst"))
	}
}

// TestBatchExactlyOnceWithoutCreatePrivilege: when the loads table cannot
// be created the load goes on, without the guarantee.
func TestBatchExactlyOnceWithoutCreatePrivilege(t *testing.T) {
	url, db := sqliteDB(t, dstTable)
	env := plugintest.New(t)
	schema, rs := inputRows(10, nil)
	from := env.WriteRows("in", schema, rs)
	// A schema that does not exist: CREATE TABLE nowhere.loads fails.
	out, err := runAs(env, NewBatch("sqlite", Batch{Connection: Connection{URL: url}, From: from, Table: "dst", ExactlyOnce: true, LoadsTable: "nowhere.loads"}), "E1", "R1")
	if err != nil || out["rowCount"] != int64(10) {
		t.Fatalf("%v, %v", out, err)
	}
	var n int
	if err := db.QueryRow("select count(*) from sqlite_master where name like '%loads%'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d loads tables, %v", n, err)
	}
}
