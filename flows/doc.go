// The executor: how flows run.
//
// # Model
//
// An execution is a record (state, inputs, labels, owner) and its task runs,
// each stored on its own (state.Repository). The executor is a state
// machine over them: when a task run reaches a final state, its flowable
// parent is re-examined (resolve.go) and the next task runs are created, the
// parent settled, or the execution ended — all in the transaction that
// records the end. A step's cost does not depend on the size of the
// execution: every flowable keeps the progress of its groups in memory,
// rebuilt from the stored task runs (their plans, Iterations) when an
// execution is loaded again (restart, resume, take-over).
//
// Flowable tasks implement plugin.Flowable: Plan says which groups of child
// tasks to run, how many at once, whether a failure only warns, whether to
// pause or wait first, or to run a child execution (Subflow). Leaf task runs
// go through a queue (internal/queue) to a pool of workers; retries are
// scheduled with a run-at time, timeouts cancel the attempt's context.
//
// Group commit: the executor is one goroutine; the events waiting (worker
// claims and results, submissions, kills, timers) are handled together and
// committed in one transaction, then their jobs are queued and followers
// told. Updates are compare-and-set from the state the executor last
// committed: a concurrent writer (another process) makes the step fail with
// state.ErrConflict instead of being overwritten.
//
// # API (what `sluice run` and `sluice server` use)
//
//	eng := &flows.Engine{Repo: repo, Store: store, Workers: 16, Logger: l}
//	eng.OnEnd(func(ctx context.Context, ex *state.Execution) { ... }) // Flow triggers, listeners, metrics
//	eng.Start(ctx)                          // executor, workers, heartbeat; kills orphans of dead processes
//	ex, err := eng.Submit(ctx, flow, inputs, flows.SubmitOptions{Labels: ..., ParentID: ...})
//	ex, err = eng.Wait(ctx, ex.ID)          // until it ends or pauses
//	events, cancel := eng.Subscribe(ex.ID)  // EventExecution / EventTaskRun / EventLog, for SSE follow
//	eng.Kill(ctx, id)
//	eng.Resume(ctx, id)                     // a PAUSED execution
//	eng.Restart(ctx, id, newFlowOrNil)      // same id, RESTARTED, failed task runs again
//	eng.Replay(ctx, id, taskRunID, nil)     // new execution (ParentID = id) from that task run
//	eng.MarkAs(ctx, id, taskRunID, state.Success)
//	eng.Shutdown(ctx)                       // running task runs finish, or are handed back at ctx's end
//
// On a started engine, Submit, Resume, Restart, Replay and MarkAs return as
// soon as the change is committed; on an engine that is not started (the
// CLI), Run, Resume, Restart, Replay and MarkAs start it, run the execution
// to its end (or pause) and stop it.
//
// # Ownership and lost writes
//
// Every execution being run names its owner (host, pid, start, heartbeat
// every Lease/4). ReapOrphans, called by `sluice executions list`, restart,
// delete and every engine start, ends KILLED (with the reason in
// Execution.Error) the unfinished executions whose owner is gone. When a
// commit fails (state.WriteError: disk full, database removed), the engine
// fails every execution it runs at that first lost write, stops, and
// returns the error; `sluice run` exits with code 4.
package flows
