// Package flowtest runs whole flows in tests: a temporary internal storage
// and state database, the real parser, validator and executor.
//
//	import _ "github.com/sluicehq/sluice/connectors/jdbc" // register tasks
//
//	env := flowtest.New(t)
//	ex := env.Run(flowYAML, map[string]any{"n": "3"})
//	env.RequireState(ex, state.Success)
//	schema, rows := env.ReadRows(env.Output(ex, "query", "uri").(string))
package flowtest

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

// Env is a flow test environment.
type Env struct {
	T      testing.TB
	Store  *storage.Local
	Repo   state.Repository
	Engine *flows.Engine
	// Registry decodes the flows; nil is plugin.Default.
	Registry *plugin.Registry
	tasks    *plugintest.Env
}

// New returns an environment cleaned up with the test. Flows are decoded
// with plugin.Default, or with the registry given (a test's own task types,
// typically plugin.Default.Clone() plus them).
func New(t testing.TB, reg ...*plugin.Registry) *Env {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	te := plugintest.New(t)
	te.Store = st
	var r *plugin.Registry
	if len(reg) > 0 {
		r = reg[0]
	}
	return &Env{
		T: t, Store: st, Repo: repo, tasks: te, Registry: r,
		Engine: &flows.Engine{
			Registry: r,
			Repo:     repo, Store: st, LogLevel: slog.LevelDebug,
			Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		},
	}
}

// Parse parses and validates a flow, failing the test on errors.
func (e *Env) Parse(src string) *flows.Flow {
	e.T.Helper()
	f, err := flows.ParseWith(e.Registry, "flow.yml", []byte(src))
	if err != nil {
		e.T.Fatalf("flow invalid:\n%v", err)
	}
	return f
}

// Run parses and runs a flow to its end.
func (e *Env) Run(src string, inputs map[string]any) *state.Execution {
	e.T.Helper()
	ex, err := e.Engine.Run(context.Background(), e.Parse(src), inputs)
	if err != nil {
		e.T.Fatalf("run: %v", err)
	}
	return ex
}

// Restart restarts an execution, with a corrected flow or nil.
func (e *Env) Restart(id string, src string) *state.Execution {
	e.T.Helper()
	var f *flows.Flow
	if src != "" {
		f = e.Parse(src)
	}
	ex, err := e.Engine.Restart(context.Background(), id, f)
	if err != nil {
		e.T.Fatalf("restart: %v", err)
	}
	return ex
}

// RequireState fails the test, showing every task run's error, when the
// execution did not end in want.
func (e *Env) RequireState(ex *state.Execution, want state.State) {
	e.T.Helper()
	if ex.State == want {
		return
	}
	var b strings.Builder
	for _, tr := range ex.TaskRuns {
		b.WriteString("\n  " + tr.TaskID + " " + string(tr.State))
		if tr.Error != "" {
			b.WriteString(": " + tr.Error)
		}
	}
	e.T.Fatalf("execution ended %s, want %s:%s", ex.State, want, b.String())
}

// TaskRun returns the (first) task run of a task, nil when it never ran.
func (e *Env) TaskRun(ex *state.Execution, taskID string) *state.TaskRun {
	for _, tr := range ex.TaskRuns {
		if tr.TaskID == taskID {
			return tr
		}
	}
	return nil
}

// Output returns outputs.TASK.KEY of the first run of a task.
func (e *Env) Output(ex *state.Execution, taskID, key string) any {
	e.T.Helper()
	tr := e.TaskRun(ex, taskID)
	if tr == nil {
		e.T.Fatalf("task %q did not run", taskID)
	}
	v, ok := tr.Outputs[key]
	if !ok {
		e.T.Fatalf("task %q has no output %q (outputs: %v)", taskID, key, tr.Outputs)
	}
	return v
}

// ReadRows reads a whole row file from the environment's storage.
func (e *Env) ReadRows(uri string) (*rows.Schema, []rows.Row) {
	e.T.Helper()
	return e.tasks.ReadRows(uri)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
