package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/template"
	"github.com/sluicehq/sluice/internal/mask"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/queue"
	"github.com/sluicehq/sluice/internal/secrets"
	"github.com/sluicehq/sluice/internal/storage"
)

// Engine executes flows: an executor (the state machine over stored task
// runs) and a pool of workers fed by a queue. See doc.go for the API.
// Configure the exported fields, then call Start (or just Run, which starts
// and stops the engine around one execution).
type Engine struct {
	Repo  state.Repository
	Store storage.Store
	// Logger receives every task's log lines (with task and execution
	// attributes) besides the repository; nil discards them.
	Logger *slog.Logger
	// LogLevel is the lowest level stored and shown.
	LogLevel slog.Level
	// Globals is {{ globals.* }}; Envs is {{ envs.* }} (SLUICE_ENV_NAME →
	// name). {{ vars.* }} is DefaultVars, overridden by the flow's
	// variables, overridden by Vars (--var).
	Globals     map[string]any
	DefaultVars map[string]any
	Vars        map[string]any
	Envs        map[string]string
	// Progress shows counters; nil logs them.
	Progress *progress.Hub
	// OnTaskRun is called on every committed task run state change (live
	// display); it must not block.
	OnTaskRun func(e *state.Execution, tr *state.TaskRun)
	// Flows finds the flows core.Subflow runs; nil searches the running
	// flow's folder.
	Flows FlowLoader
	// Registry holds the task types a stored flow is decoded with on
	// restart; nil is plugin.Default.
	Registry *plugin.Registry
	// Secrets resolves {{ secret('NAME') }}; nil makes secret() an error.
	Secrets *secrets.Resolver
	// Masker hides secret values in task logs, errors and outputs; nil
	// uses the masker of Secrets, or one per task run.
	Masker *mask.Masker
	// Workers is the number of task runs running at once (default 16).
	Workers int
	// NamespaceLimits caps the executions running at once per namespace;
	// beyond it new executions are QUEUED (a flow's own concurrency.limit
	// applies too).
	NamespaceLimits map[string]int
	// MaxQueued bounds the task runs created and waiting for a worker
	// (default 4 × Workers): beyond it the executor holds the next ready
	// ones in memory, taking flows in turn, and creates them as workers
	// free up. A burst then waits before its task runs are created, not in
	// a long queue of created ones.
	MaxQueued int
	// Queue feeds the workers; nil is an in-process queue.Local.
	Queue queue.Queue
	// TakeOver makes Start load and run on the RUNNING executions that have
	// no owner (handed back by a server that shut down). `sluice server`
	// sets it; a one-shot `sluice run` does not adopt others' work.
	TakeOver bool
	// StartDelay, when set, is told the start delay of every task run
	// (created → taken by a worker): metrics, benchmarks. It must not block.
	StartDelay func(time.Duration)
	// Lease is how old an owner's heartbeat may be before its executions
	// count as orphaned (default 1 minute); the heartbeat runs every
	// Lease/4.
	Lease time.Duration

	templates sync.Map // source → *template.Template

	mu    sync.Mutex
	x     *executor
	hooks []EndHook
	subs  subscribers
}

func (e *Engine) workers() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return 16
}

// EnvsFromEnviron collects SLUICE_ENV_NAME variables as {{ envs.name }}
// (lower-cased, as Kestra does with KESTRA_ENV_).
func EnvsFromEnviron() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(k, "SLUICE_ENV_"); ok && name != "" {
			out[strings.ToLower(name)] = v
		}
	}
	return out
}

// NewID returns a random execution or task-run id (22 base62 characters,
// as Kestra's): one read of the system's random source, bytes past the
// largest multiple of 62 dropped so that every character is uniform.
func NewID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 0, 22)
	var buf [32]byte
	for len(out) < 22 {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < 22 { // 248 = 4 × 62
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}

// masker is the masker task runs share.
func (e *Engine) masker() *mask.Masker {
	if e.Masker == nil && e.Secrets != nil {
		return e.Secrets.Masker()
	}
	return e.Masker
}

// parseStored decodes the flow stored with an execution.
func (e *Engine) parseStored(ex *state.Execution) (*Flow, error) {
	parse := ParseWith
	if st, err := os.Stat(ex.FlowFile); err == nil && st.Mode().IsRegular() {
		// Run from a file (the CLI): its includes and templates resolve
		// beside it again.
		parse = ParseFileSource
	}
	f, err := parse(e.Registry, ex.FlowFile, []byte(ex.FlowSource))
	if err != nil {
		return nil, fmt.Errorf("stored flow of execution %s: %w", ex.ID, err)
	}
	return f, nil
}

func (e *Engine) parse(src string) (*template.Template, error) {
	if t, ok := e.templates.Load(src); ok {
		return t.(*template.Template), nil
	}
	t, err := template.Parse(src)
	if err != nil {
		return nil, err
	}
	e.templates.Store(src, t)
	return t, nil
}

// InputError reports inputs that do not fit the flow's declaration.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ErrNotRunning is returned by calls that need a started engine.
var ErrNotRunning = errors.New("engine is not running")

// Start starts the executor, the workers and the heartbeat, and takes over
// orphaned executions (RUNNING with no live owner): their task runs are run
// again from the last committed state. It returns once the engine accepts
// work; ctx bounds only the start itself.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.x != nil {
		return nil
	}
	x, err := newExecutor(e)
	if err != nil {
		return err
	}
	e.x = x
	x.start()
	return nil
}

// Shutdown stops taking task runs, lets running ones finish until ctx is
// done, then cancels them and hands them back (their task runs return to
// CREATED and their executions lose their owner, so the next engine to
// start runs them). Executions keep their state.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	x := e.x
	e.x = nil
	e.mu.Unlock()
	if x == nil {
		return nil
	}
	return x.shutdown(ctx)
}

func (e *Engine) executor() (*executor, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.x == nil {
		return nil, ErrNotRunning
	}
	return e.x, nil
}

// SubmitOptions are the optional parts of a new execution.
type SubmitOptions struct {
	// Labels are added to the flow's labels (and win over them).
	Labels map[string]string
	// ParentID names the execution that caused this one (a Flow trigger).
	ParentID string
	// FlowRevision is the stored flow revision run (0: a file).
	FlowRevision int
	// ID is the new execution's id ("": a random one).
	ID string
	// Trigger is what started it ({{ trigger.* }}), nil when started by hand.
	Trigger *state.ExecutionTrigger
}

// Submit creates an execution of f with raw inputs (converted by
// ParseInputs; a mismatch is an *InputError and nothing is stored) and
// returns it as stored, CREATED or RUNNING; it runs on the engine's
// workers. Wait follows it to its end.
func (e *Engine) Submit(ctx context.Context, f *Flow, raw map[string]any, opts SubmitOptions) (*state.Execution, error) {
	x, err := e.executor()
	if err != nil {
		return nil, err
	}
	return x.submit(ctx, f, raw, opts, nil)
}

// Wait blocks until the execution has ended (or paused) and returns it with
// its task runs. An execution this engine does not run is read from the
// repository as it is.
func (e *Engine) Wait(ctx context.Context, id string) (*state.Execution, error) {
	x, err := e.executor()
	if err != nil {
		return e.Repo.GetExecution(ctx, id)
	}
	return x.wait(ctx, id)
}

// Run runs f to its end in this engine, starting the engine first when it
// is not (and stopping it after). Cancelling ctx kills the execution. A
// failed flow is an execution in state FAILED with a nil error; an error is
// an *InputError (nothing ran) or a failure of the engine itself (a
// *state.WriteError when the state database could not be written).
func (e *Engine) Run(ctx context.Context, f *Flow, raw map[string]any) (*state.Execution, error) {
	return e.oneShot(ctx, func(x *executor) (*state.Execution, error) {
		if f.Disabled {
			return nil, &InputError{fmt.Errorf("flow %s.%s is disabled", f.Namespace, f.ID)}
		}
		// Created even when ctx ends meanwhile: the execution then ends
		// KILLED, as a cancelled run does.
		return x.submit(context.WithoutCancel(ctx), f, raw, SubmitOptions{}, nil)
	})
}

// oneShot starts the engine if needed, runs start, follows the execution it
// returns to its end (killing it when ctx is cancelled) and stops the engine
// if it started it.
func (e *Engine) oneShot(ctx context.Context, start func(*executor) (*state.Execution, error)) (*state.Execution, error) {
	e.mu.Lock()
	started := e.x == nil
	e.mu.Unlock()
	if started {
		if err := e.Start(context.WithoutCancel(ctx)); err != nil {
			return nil, err
		}
		defer e.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // the execution's outcome is what matters
	}
	x, err := e.executor()
	if err != nil {
		return nil, err
	}
	ex, err := start(x)
	if err != nil {
		return ex, err
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = x.kill(context.WithoutCancel(ctx), ex.ID)
		case <-done:
		}
	}()
	defer close(done)
	return x.wait(context.WithoutCancel(ctx), ex.ID)
}

// control runs a change of an execution: on a started engine it returns
// once the execution runs again; on an engine not started (the CLI) it runs
// the execution to its end, as Run does. (Resume, Restart, Replay and
// MarkAs behave the same way.)
func (e *Engine) control(ctx context.Context, fn func(*executor) (*state.Execution, error)) (*state.Execution, error) {
	e.mu.Lock()
	x := e.x
	e.mu.Unlock()
	if x != nil {
		return fn(x)
	}
	return e.oneShot(ctx, fn)
}

// Kill stops an execution: queued task runs are KILLED, running ones are
// cancelled, and the execution ends KILLED once they have stopped.
func (e *Engine) Kill(ctx context.Context, id string) error {
	x, err := e.executor()
	if err != nil {
		return err
	}
	return x.kill(ctx, id)
}

// Resume continues a PAUSED execution: its paused task runs go on (a Pause
// runs its tasks). It returns once the execution runs again.
func (e *Engine) Resume(ctx context.Context, id string) (*state.Execution, error) {
	return e.control(ctx, func(x *executor) (*state.Execution, error) { return x.resume(ctx, id) })
}

// Restart runs a FAILED or KILLED execution again under the same id, as
// Kestra's ExecutionService.restart: the execution goes RESTARTED (kept in
// its history, RestartCount+1), its failed task runs run again with a new
// attempt and their flowable parents run again; task runs that succeeded
// keep their outputs. f is the flow to use (a corrected file, or a newer
// stored revision), nil to re-parse the stored source; with f, succeeded
// task runs whose task definition changed run again too (logged). A PAUSED
// execution is resumed. It returns once the execution runs again.
func (e *Engine) Restart(ctx context.Context, id string, f *Flow) (*state.Execution, error) {
	return e.control(ctx, func(x *executor) (*state.Execution, error) { return x.restart(ctx, id, f) })
}

// Replay creates a new execution (ParentID: the replayed one) that starts
// again from taskRunID, as Kestra's ExecutionService.replay: the task runs
// after it in the flow graph run again, the others keep their outputs. A
// task run inside Each names one iteration. f as for Restart.
func (e *Engine) Replay(ctx context.Context, id, taskRunID string, f *Flow) (*state.Execution, error) {
	return e.control(ctx, func(x *executor) (*state.Execution, error) { return x.replay(ctx, id, taskRunID, f) })
}

// MarkAs sets a task run of an ended execution to st (SUCCESS, WARNING,
// FAILED...) and resumes the execution from there, as Kestra's
// ExecutionService.markAs: its flowable parents run again and decide.
func (e *Engine) MarkAs(ctx context.Context, id, taskRunID string, st state.State) (*state.Execution, error) {
	return e.control(ctx, func(x *executor) (*state.Execution, error) { return x.markAs(ctx, id, taskRunID, st) })
}

// EndHook is called once per execution end (SUCCESS, WARNING, FAILED,
// KILLED), after the end is committed, in end order, on one goroutine of
// the engine: a slow hook delays the next ones, not the executor.
type EndHook func(ctx context.Context, ex *state.Execution)

// OnEnd registers an execution-end hook (Flow triggers, listeners,
// metrics). Register hooks before Start.
func (e *Engine) OnEnd(h EndHook) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hooks = append(e.hooks, h)
}
