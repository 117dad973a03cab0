// Package plugintest builds run contexts for task unit tests: a local
// internal storage in a temp dir, an in-memory KV, a test logger, and a
// template renderer over plain variables.
package plugintest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

// Env is a test environment for tasks.
type Env struct {
	T     testing.TB
	Store *storage.Local
	KV    *MemKV
	// Render renders templates; tests set it when a task renders values
	// itself. The default only accepts strings without templates.
	Render func(string) (string, error)
	// Progress receives the tasks' counters (nil: they only count).
	Progress *progress.Hub
}

// New returns an environment whose storage lives in t.TempDir().
func New(t testing.TB) *Env {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Env{T: t, Store: st, KV: &MemKV{m: map[string][]byte{}}}
}

// RunContext returns a context for a task named taskID.
func (e *Env) RunContext(taskID string) *plugin.RunContext {
	render := e.Render
	if render == nil {
		render = func(s string) (string, error) {
			if strings.Contains(s, "{{") || strings.Contains(s, "{%") {
				return "", fmt.Errorf("plugintest: no renderer for template %q", s)
			}
			return s, nil
		}
	}
	return plugin.NewRunContext(plugin.RunConfig{
		Namespace: "test", FlowID: "flow", ExecutionID: "exec1",
		TaskID: taskID, TaskRunID: "run1",
		Store: e.Store, KV: e.KV, Render: render, Progress: e.Progress,
		Logger: slog.New(slog.NewTextHandler(testWriter{e.T}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

// Run runs a task through its life cycle (plugin.Execute: Provision, Run,
// Cleanup) with a fresh run context, as the engine does.
func (e *Env) Run(task plugin.Task, taskID string) (plugin.Outputs, error) {
	rc := e.RunContext(taskID)
	defer rc.Cleanup()
	return plugin.Execute(context.Background(), task, rc)
}

// WriteRows stores rows as a row file and returns its URI string.
func (e *Env) WriteRows(name string, schema *rows.Schema, rs []rows.Row) string {
	e.T.Helper()
	rc := e.RunContext("fixture")
	w, err := rc.CreateRows(context.Background(), name, schema)
	if err != nil {
		e.T.Fatal(err)
	}
	defer w.Abort()
	for i := range rs {
		if err := w.Write(&rs[i]); err != nil {
			e.T.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		e.T.Fatal(err)
	}
	return w.URI().String()
}

// ReadRows reads a whole row file (values cloned).
func (e *Env) ReadRows(uri string) (*rows.Schema, []rows.Row) {
	e.T.Helper()
	r, err := e.RunContext("reader").OpenRows(context.Background(), uri)
	if err != nil {
		e.T.Fatal(err)
	}
	defer r.Close()
	var out []rows.Row
	var row rows.Row
	for r.Next(&row) {
		out = append(out, row.Clone())
	}
	if err := r.Err(); err != nil {
		e.T.Fatal(err)
	}
	return r.Schema(), out
}

// MemKV is an in-memory plugin.KV.
type MemKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (k *MemKV) Get(_ context.Context, key string) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok, nil
}

func (k *MemKV) Put(_ context.Context, key string, v []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = append([]byte{}, v...)
	return nil
}

func (k *MemKV) Delete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
