// Package statetest is the behaviour suite every state.Repository backend
// must pass (as River's riverdrivertest is for its drivers): the SQLite
// default runs it in flows/state, a PostgreSQL backend runs the same suite.
//
//	func TestSuite(t *testing.T) {
//		statetest.Run(t, func(t *testing.T) state.Repository { return openMine(t) })
//	}
package statetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/state"
)

// Open returns a fresh, empty repository closed with the test.
type Open func(t *testing.T) state.Repository

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC)

// Run runs every behaviour test against repositories from open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, state.Repository)
	}{
		{"CreateAndGet", createAndGet},
		{"CreateExistingConflicts", createExistingConflicts},
		{"TaskRunCAS", taskRunCAS},
		{"ExecutionCAS", executionCAS},
		{"TxRollsBack", txRollsBack},
		{"TaskRunOrderAcrossTx", taskRunOrder},
		{"ConcurrentCASOneWins", concurrentCAS},
		{"DeleteTaskRuns", deleteTaskRuns},
		{"OwnerAndHeartbeat", ownerAndHeartbeat},
		{"ListByStates", listByStates},
		{"LogsAfter", logsAfter},
		{"KVIsolated", kvIsolated},
		{"ExecutionTrigger", executionTrigger},
		{"FlowRevisions", flowRevisions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func tx(t *testing.T, r state.Repository, fn func(state.Tx) error) error {
	t.Helper()
	return r.Tx(context.Background(), fn)
}

func mustTx(t *testing.T, r state.Repository, fn func(state.Tx) error) {
	t.Helper()
	if err := tx(t, r, fn); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, r state.Repository, id string) *state.Execution {
	t.Helper()
	e, err := r.GetExecution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newExecution(id string) *state.Execution {
	e := &state.Execution{ID: id, Namespace: "suite", FlowID: "flow", FlowRevision: 3, FlowSource: "id: flow\n",
		Inputs: map[string]any{"n": "1"}, Labels: map[string]string{"team": "data"}, Start: t0,
		ParentID: "parent", ParentTaskRunID: "ptr"}
	e.SetState(state.Running, t0)
	return e
}

func createAndGet(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-create")
	tr := &state.TaskRun{ID: "tr1", TaskID: "each", Iterations: []state.Iteration{{Value: "a", Tasks: []string{"x", "y"}}, {Value: "b", Tasks: []string{"x"}}},
		RunAt: t0.Add(time.Minute), Outputs: map[string]any{"k": "v"}}
	tr.SetState(state.Created, t0)
	tr.SetState(state.Running, t0.Add(time.Second))
	e.TaskRuns = []*state.TaskRun{tr}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	got := get(t, r, e.ID)
	if got.State != state.Running || got.FlowRevision != 3 || got.ParentTaskRunID != "ptr" || len(got.Histories) != 1 || got.Histories[0].State != state.Running {
		t.Errorf("execution read back as %+v", got)
	}
	if len(got.TaskRuns) != 1 {
		t.Fatalf("%d task runs", len(got.TaskRuns))
	}
	g := got.TaskRuns[0]
	if g.State != state.Running || len(g.Histories) != 2 || !g.Histories[1].Date.Equal(t0.Add(time.Second)) || !g.RunAt.Equal(t0.Add(time.Minute)) ||
		len(g.Iterations) != 2 || g.Iterations[0].Value != "a" || len(g.Iterations[0].Tasks) != 2 || g.Iterations[1].Tasks[0] != "x" ||
		fmt.Sprint(g.Outputs["k"]) != "v" || !g.Start.Equal(t0.Add(time.Second)) {
		t.Errorf("task run read back as %+v", g)
	}
	// Inside a transaction, the execution is read by exact id.
	mustTx(t, r, func(tx state.Tx) error {
		in, err := tx.GetExecution(ctx, e.ID)
		if err != nil {
			return err
		}
		if len(in.TaskRuns) != 1 {
			return fmt.Errorf("in tx: %d task runs", len(in.TaskRuns))
		}
		if _, err := tx.GetExecution(ctx, "absent"); !errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("absent in tx: %v", err)
		}
		return nil
	})
}

func createExistingConflicts(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-dup")
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	err := tx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	if !errors.Is(err, state.ErrConflict) {
		t.Errorf("second create: %v, want ErrConflict", err)
	}
	mustTx(t, r, func(tx state.Tx) error {
		return tx.CreateTaskRuns(ctx, e.ID, &state.TaskRun{ID: "a", TaskID: "a", State: state.Created})
	})
	err = tx(t, r, func(tx state.Tx) error {
		return tx.CreateTaskRuns(ctx, e.ID, &state.TaskRun{ID: "a", TaskID: "a", State: state.Created})
	})
	if !errors.Is(err, state.ErrConflict) {
		t.Errorf("duplicate task run: %v, want ErrConflict", err)
	}
}

func taskRunCAS(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-cas")
	tr := &state.TaskRun{ID: "t", TaskID: "t", State: state.Created}
	e.TaskRuns = []*state.TaskRun{tr}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })

	run := tr.Clone()
	run.SetState(state.Running, t0)
	mustTx(t, r, func(tx state.Tx) error { return tx.UpdateTaskRun(ctx, e.ID, run, state.Created) })
	// A writer that read CREATED too loses.
	late := tr.Clone()
	late.SetState(state.Killed, t0)
	err := tx(t, r, func(tx state.Tx) error { return tx.UpdateTaskRun(ctx, e.ID, late, state.Created) })
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if got := get(t, r, e.ID).TaskRuns[0]; got.State != state.Running {
		t.Errorf("after a lost CAS the task run is %s, want RUNNING", got.State)
	}
	err = tx(t, r, func(tx state.Tx) error {
		return tx.UpdateTaskRun(ctx, e.ID, &state.TaskRun{ID: "nope", TaskID: "x", State: state.Success}, state.Running)
	})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("absent task run: %v, want ErrNotFound", err)
	}
	done := run.Clone()
	done.Attempts = append(done.Attempts, state.Attempt{State: state.Success, Start: t0, End: t0})
	done.Outputs = map[string]any{"value": "ok"}
	done.SetState(state.Success, t0.Add(time.Second))
	mustTx(t, r, func(tx state.Tx) error { return tx.UpdateTaskRun(ctx, e.ID, done, state.Running) })
	got := get(t, r, e.ID).TaskRuns[0]
	if got.State != state.Success || len(got.Attempts) != 1 || fmt.Sprint(got.Outputs["value"]) != "ok" || len(got.Histories) != 2 {
		t.Errorf("finished task run read back as %+v", got)
	}
}

func executionCAS(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-ecas")
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	end := *e
	end.SetState(state.Success, t0.Add(time.Second))
	end.End = t0.Add(time.Second)
	mustTx(t, r, func(tx state.Tx) error { return tx.UpdateExecution(ctx, &end, state.Running) })
	again := *e
	again.SetState(state.Failed, t0)
	if err := tx(t, r, func(tx state.Tx) error { return tx.UpdateExecution(ctx, &again, state.Running) }); !errors.Is(err, state.ErrConflict) {
		t.Errorf("stale execution update: %v, want ErrConflict", err)
	}
	if err := tx(t, r, func(tx state.Tx) error { return tx.UpdateExecution(ctx, newExecution("absent-ex"), state.Running) }); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("absent execution update: %v, want ErrNotFound", err)
	}
	if got := get(t, r, e.ID); got.State != state.Success || !got.End.Equal(t0.Add(time.Second)) || len(got.Histories) != 2 {
		t.Errorf("execution read back as %+v", got)
	}
}

func txRollsBack(t *testing.T, r state.Repository) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := tx(t, r, func(tx state.Tx) error {
		if err := tx.CreateExecution(ctx, newExecution("suite-rollback")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	if _, err := r.GetExecution(ctx, "suite-rollback"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("rolled back execution: %v, want ErrNotFound", err)
	}
	// A lost CAS in the middle of a step rolls the whole step back.
	e := newExecution("suite-step")
	e.TaskRuns = []*state.TaskRun{{ID: "a", TaskID: "a", State: state.Running}}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	err = tx(t, r, func(tx state.Tx) error {
		if err := tx.CreateTaskRuns(ctx, e.ID, &state.TaskRun{ID: "b", TaskID: "b", State: state.Created}); err != nil {
			return err
		}
		return tx.UpdateTaskRun(ctx, e.ID, &state.TaskRun{ID: "a", TaskID: "a", State: state.Success}, state.Created)
	})
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("step: %v, want ErrConflict", err)
	}
	if n := len(get(t, r, e.ID).TaskRuns); n != 1 {
		t.Errorf("%d task runs after a rolled back step, want 1", n)
	}
}

func taskRunOrder(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-order")
	e.TaskRuns = []*state.TaskRun{{ID: "z", TaskID: "z", State: state.Created}}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	want := []string{"z"}
	for i := range 5 {
		ids := []string{fmt.Sprintf("m%d", 9-i), fmt.Sprintf("a%d", i)}
		want = append(want, ids...)
		mustTx(t, r, func(tx state.Tx) error {
			for _, id := range ids {
				if err := tx.CreateTaskRuns(ctx, e.ID, &state.TaskRun{ID: id, TaskID: id, State: state.Created}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	got := get(t, r, e.ID)
	var ids []string
	for _, tr := range got.TaskRuns {
		ids = append(ids, tr.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("task runs in order %v, want creation order %v", ids, want)
	}
}

func concurrentCAS(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-race")
	e.TaskRuns = []*state.TaskRun{{ID: "t", TaskID: "t", State: state.Created}}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		wins     int
		failures []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.Tx(ctx, func(tx state.Tx) error {
				return tx.UpdateTaskRun(ctx, e.ID, &state.TaskRun{ID: "t", TaskID: "t", State: state.Running, Error: fmt.Sprint(i)}, state.Created)
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, state.ErrConflict):
				failures = append(failures, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || len(failures) > 0 {
		t.Errorf("%d writers won the same CAS (want 1); other errors: %v", wins, failures)
	}
}

func deleteTaskRuns(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("suite-del")
	e.TaskRuns = []*state.TaskRun{{ID: "a", TaskID: "a", State: state.Success}, {ID: "b", TaskID: "b", State: state.Failed}, {ID: "c", TaskID: "c", State: state.Success}}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	mustTx(t, r, func(tx state.Tx) error { return tx.DeleteTaskRuns(ctx, e.ID, "b", "absent") })
	got := get(t, r, e.ID)
	if len(got.TaskRuns) != 2 || got.TaskRuns[0].ID != "a" || got.TaskRuns[1].ID != "c" {
		t.Errorf("after delete: %+v", got.TaskRuns)
	}
}

func ownerAndHeartbeat(t *testing.T, r state.Repository) {
	ctx := context.Background()
	o := &state.Owner{Host: "h1", PID: 4242, Started: t0, Heartbeat: t0}
	a, b := newExecution("suite-own-a"), newExecution("suite-own-b")
	a.Owner = o
	b.Owner = &state.Owner{Host: "h2", PID: 4242, Started: t0, Heartbeat: t0}
	mustTx(t, r, func(tx state.Tx) error {
		if err := tx.CreateExecution(ctx, a); err != nil {
			return err
		}
		return tx.CreateExecution(ctx, b)
	})
	if err := r.Heartbeat(ctx, o, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ga, gb := get(t, r, a.ID), get(t, r, b.ID)
	if ga.Owner == nil || ga.Owner.Key() != o.Key() || !ga.Owner.Heartbeat.Equal(t0.Add(time.Minute)) {
		t.Errorf("owner of a = %+v", ga.Owner)
	}
	if gb.Owner == nil || !gb.Owner.Heartbeat.Equal(t0) {
		t.Errorf("another owner's heartbeat moved: %+v", gb.Owner)
	}
	// Releasing: an update without owner clears it.
	ga.Owner = nil
	mustTx(t, r, func(tx state.Tx) error { return tx.UpdateExecution(ctx, ga, state.Running) })
	if got := get(t, r, a.ID); got.Owner != nil {
		t.Errorf("owner not cleared: %+v", got.Owner)
	}
}

func listByStates(t *testing.T, r state.Repository) {
	ctx := context.Background()
	for i, st := range []state.State{state.Running, state.Success, state.Paused, state.Failed} {
		e := newExecution(fmt.Sprintf("suite-list-%d", i))
		e.State = st
		e.Start = t0.Add(time.Duration(i) * time.Second)
		mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	}
	got, err := r.ListExecutions(ctx, state.Filter{States: []state.State{state.Running, state.Paused}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[suite-list-2 suite-list-0]" {
		t.Errorf("running or paused, newest first: %v", ids)
	}
}

func logsAfter(t *testing.T, r state.Repository) {
	ctx := context.Background()
	var entries []state.LogEntry
	for i := range 5 {
		entries = append(entries, state.LogEntry{ExecutionID: "suite-logs", TaskID: "t", Time: t0, Level: "INFO", Message: fmt.Sprint(i)})
	}
	if err := r.AppendLogs(ctx, entries[:3]); err != nil {
		t.Fatal(err)
	}
	if err := r.AppendLogs(ctx, []state.LogEntry{{ExecutionID: "other", Message: "x", Level: "INFO"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.AppendLogs(ctx, entries[3:]); err != nil {
		t.Fatal(err)
	}
	first, err := r.LogsAfter(ctx, "suite-logs", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].Message != "0" || first[1].Message != "1" || first[1].Seq <= first[0].Seq {
		t.Fatalf("first page: %+v", first)
	}
	rest, err := r.LogsAfter(ctx, "suite-logs", first[1].Seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 3 || rest[0].Message != "2" || rest[2].Message != "4" {
		t.Errorf("rest: %+v", rest)
	}
}

func kvIsolated(t *testing.T, r state.Repository) {
	ctx := context.Background()
	a, b := r.KV("ns", "a"), r.KV("ns", "b")
	if err := a.Put(ctx, "k", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.Get(ctx, "k"); err != nil || ok {
		t.Errorf("flow b sees flow a's key: %v %v", ok, err)
	}
	if v, ok, err := a.Get(ctx, "k"); err != nil || !ok || string(v) != "1" {
		t.Errorf("get = %q %v %v", v, ok, err)
	}
}
