package flows_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

// failingRepo loses the writes of transaction number failAt (1-based) and
// of the next ones until healed.
type failingRepo struct {
	state.Repository
	n      atomic.Int32
	failAt int32
	healed atomic.Bool
}

func (r *failingRepo) Tx(ctx context.Context, fn func(state.Tx) error) error {
	if n := r.n.Add(1); n >= r.failAt && !r.healed.Load() {
		r.healed.Store(true) // the next write (failing the execution) lands
		return &state.WriteError{Err: errors.New("disk I/O error (simulated)")}
	}
	return r.Repository.Tx(ctx, fn)
}

func TestLostWriteFailsExecution(t *testing.T) {
	env := flowtest.New(t, testTasks())
	repo := &failingRepo{Repository: env.Repo, failAt: 4}
	env.Engine.Repo = repo
	f := env.Parse("id: f\nnamespace: t\ntasks:\n  - id: a\n    type: core.Return\n    format: x\n  - id: b\n    type: core.Return\n    format: y\n  - id: c\n    type: core.Return\n    format: z\n")
	ex, err := env.Engine.Run(context.Background(), f, nil)
	var we *state.WriteError
	if !errors.As(err, &we) {
		t.Fatalf("run: %v, want a *state.WriteError", err)
	}
	if ex == nil {
		t.Fatal("no execution returned")
	}
	got, err := env.Repo.GetExecution(context.Background(), ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != state.Failed || got.Owner != nil || !strings.Contains(got.Error, "simulated") {
		t.Errorf("stored after the lost write: state %s owner %v error %q", got.State, got.Owner, got.Error)
	}
}

func TestEventsAndEndHook(t *testing.T) {
	env := flowtest.New(t, testTasks())
	eng := env.Engine
	var (
		mu    sync.Mutex
		ended []string
	)
	eng.OnEnd(func(_ context.Context, ex *state.Execution) {
		mu.Lock()
		ended = append(ended, ex.ID+" "+string(ex.State))
		mu.Unlock()
	})
	ctx := context.Background()
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Shutdown(ctx)
	events, cancel := eng.Subscribe("")
	defer cancel()
	f := env.Parse("id: f\nnamespace: t\ntasks:\n  - id: p\n    type: core.Parallel\n    tasks:\n      - id: a\n        type: core.Log\n        message: hello\n      - id: b\n        type: core.Return\n        format: x\n")
	ex, err := eng.Submit(ctx, f, nil, flows.SubmitOptions{Labels: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := eng.Wait(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	env.RequireState(done, state.Success)
	if done.Labels["k"] != "v" || len(done.TaskRuns) != 3 {
		t.Errorf("labels %v, %d task runs", done.Labels, len(done.TaskRuns))
	}
	var sawEnd, sawLog bool
	taskStates := map[string]state.State{}
	timeout := time.After(30 * time.Second)
	for !sawEnd || !sawLog {
		select {
		case ev := <-events:
			switch ev.Kind {
			case flows.EventExecution:
				sawEnd = sawEnd || ev.Execution.State == state.Success
			case flows.EventTaskRun:
				taskStates[ev.TaskRun.TaskID] = ev.TaskRun.State
			case flows.EventLog:
				sawLog = sawLog || ev.Log.Message == "hello"
			}
		case <-timeout:
			t.Fatalf("events: end %v log %v task runs %v", sawEnd, sawLog, taskStates)
		}
	}
	for _, id := range []string{"p", "a", "b"} {
		if taskStates[id] != state.Success {
			t.Errorf("last event of %s: %s", id, taskStates[id])
		}
	}
	// The hook runs after the end is committed, on its own goroutine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(ended)
		mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ended) != 1 || ended[0] != ex.ID+" SUCCESS" {
		t.Errorf("end hook calls: %v", ended)
	}
}

func TestShutdownHandsBackAndTakeOver(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ctx := context.Background()
	f := env.Parse("id: f\nnamespace: t\ntasks:\n  - id: slow\n    type: test.Flaky\n    key: handback\n    blockFirst: true\n  - id: after\n    type: core.Return\n    format: \"{{ outputs.slow.calls }}\"\n")
	first := env.Engine
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ex, err := first.Submit(ctx, f, nil, flows.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the task runs, then shut down with no grace: it is handed
	// back.
	for callCount("handback") == 0 {
		time.Sleep(time.Millisecond)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := first.Shutdown(gone); err != nil {
		t.Fatal(err)
	}
	got, err := env.Repo.GetExecution(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != state.Running || got.Owner != nil || got.TaskRuns[0].State != state.Created {
		t.Fatalf("after shutdown: %s owner %v task run %s", got.State, got.Owner, got.TaskRuns[0].State)
	}
	second := &flows.Engine{Repo: env.Repo, Store: env.Store, Registry: env.Registry, TakeOver: true}
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.Shutdown(ctx)
	var done *state.Execution
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if done, err = second.Wait(ctx, ex.ID); err == nil && done.State.Terminated() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	env.RequireState(done, state.Success)
	if got := env.Output(done, "after", "value"); got != "2" {
		t.Errorf("after = %v, want 2 (the handed back task ran again)", got)
	}
}

func TestListenersWithConditions(t *testing.T) {
	env := flowtest.New(t, testTasks())
	src := `id: listened
namespace: t
inputs:
  - name: fail
    type: BOOLEAN
listeners:
  - conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [FAILED]
    tasks:
      - id: onFailure
        type: core.Return
        format: "failed {{ execution.id }}"
  - conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
    tasks:
      - id: onSuccess
        type: core.Fail
        errorMessage: a failing listener changes nothing
      - id: notReached
        type: core.Return
        format: x
tasks:
  - id: work
    type: core.Fail
    condition: "{{ inputs.fail }}"
`
	ex := env.Run(src, map[string]any{"fail": "false"})
	env.RequireState(ex, state.Success)
	s := states(ex)
	if len(ex.TaskRuns) != 2 || s["onSuccess"] != state.Failed || s["onFailure"] != "" || s["notReached"] != "" {
		t.Errorf("success: %v", s)
	}
	ex = env.Run(src, map[string]any{"fail": "true"})
	env.RequireState(ex, state.Failed)
	s = states(ex)
	if len(ex.TaskRuns) != 2 || s["onFailure"] != state.Success || ex.TaskRuns[1].TaskID != "onFailure" {
		t.Errorf("failure: %v", s)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ctx := context.Background()
	eng := env.Engine
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Shutdown(ctx)
	queued := env.Parse(`id: limited
namespace: t
concurrency:
  limit: 1
tasks:
  - id: work
    type: test.Flaky
    key: limited
`)
	var ids []string
	for range 3 {
		ex, err := eng.Submit(ctx, queued, nil, flows.SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ex.ID)
	}
	type span struct{ start, end time.Time }
	var spans []span
	for _, id := range ids {
		ex, err := eng.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		env.RequireState(ex, state.Success)
		tr := env.TaskRun(ex, "work")
		spans = append(spans, span{tr.Start, tr.End})
		var hist []string
		for _, h := range ex.Histories {
			hist = append(hist, string(h.State))
		}
		if id != ids[0] && !strings.Contains(strings.Join(hist, ","), "QUEUED,RUNNING") {
			t.Errorf("execution %s history %v: want QUEUED then RUNNING", id, hist)
		}
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			t.Errorf("execution %d started before %d ended: limit 1 not kept", i, i-1)
		}
	}

	cancel := env.Parse(`id: cancelled
namespace: t
concurrency:
  limit: 1
  behavior: CANCEL
tasks:
  - id: block
    type: test.Flaky
    key: cancel-block
    block: true
`)
	first, err := eng.Submit(ctx, cancel, nil, flows.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := eng.Submit(ctx, cancel, nil, flows.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.Wait(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != state.Killed || !strings.Contains(got.Error, "concurrency limit") || len(got.TaskRuns) != 0 {
		t.Errorf("second over the limit: %s %q, %d task runs", got.State, got.Error, len(got.TaskRuns))
	}
	if err := eng.Kill(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := eng.Wait(ctx, first.ID); err != nil || got.State != state.Killed {
		t.Errorf("first after kill: %v %v", got, err)
	}
}

func TestNamespaceLimitQueues(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ctx := context.Background()
	eng := env.Engine
	eng.NamespaceLimits = map[string]int{"ns1": 1}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Shutdown(ctx)
	a := env.Parse("id: a\nnamespace: ns1\ntasks:\n  - id: w\n    type: test.Flaky\n    key: ns-a\n")
	b := env.Parse("id: b\nnamespace: ns1\ntasks:\n  - id: w\n    type: test.Flaky\n    key: ns-b\n")
	ea, err := eng.Submit(ctx, a, nil, flows.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eb, err := eng.Submit(ctx, b, nil, flows.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if eb.State != state.Queued {
		t.Errorf("second execution of the namespace is %s, want QUEUED", eb.State)
	}
	for _, id := range []string{ea.ID, eb.ID} {
		ex, err := eng.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		env.RequireState(ex, state.Success)
	}
}
