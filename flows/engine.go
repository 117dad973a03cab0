package flows

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/template"
	"github.com/sluicehq/sluice/internal/mask"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/secrets"
	"github.com/sluicehq/sluice/internal/storage"
)

// Engine runs flows in this process.
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
	// OnTaskRun is called on every task run state change (for live
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

	templates       sync.Map // source → *template.Template
	depth           int      // subflow nesting
	parentExecution string
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
// as Kestra's).
func NewID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 22)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// masker is the masker task runs share.
func (e *Engine) masker() *mask.Masker {
	if e.Masker == nil && e.Secrets != nil {
		return e.Secrets.Masker()
	}
	return e.Masker
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

// Run starts a new execution of f with raw inputs (converted by
// ParseInputs; a mismatch is an *InputError and nothing runs) and runs it to
// the end. Other errors are failures of the engine itself (state storage);
// a failed flow is an execution in state FAILED with a nil error.
func (e *Engine) Run(ctx context.Context, f *Flow, raw map[string]any) (*state.Execution, error) {
	if f.Disabled {
		return nil, &InputError{fmt.Errorf("flow %s.%s is disabled", f.Namespace, f.ID)}
	}
	id := NewID()
	inputs, err := ParseInputs(ctx, f, raw, e.Store, id)
	if err != nil {
		return nil, &InputError{err}
	}
	ex := &state.Execution{
		ID: id, Namespace: f.Namespace, FlowID: f.ID,
		FlowSource: string(f.Source), FlowFile: f.File,
		State: state.Created, Inputs: inputs, Labels: f.Labels, ParentID: e.parentExecution,
	}
	return e.execute(ctx, f, ex, nil)
}

// Restart runs a FAILED, KILLED or PAUSED execution again under the same id:
// task runs that ended SUCCESS or WARNING (and paused ones, which counts as
// resuming them) keep their outputs and are not run again; the rest runs.
// f is the flow to use, nil to re-parse the stored source (pass a fixed flow
// to resume after correcting it).
func (e *Engine) Restart(ctx context.Context, id string, f *Flow) (*state.Execution, error) {
	ex, err := e.Repo.GetExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	switch ex.State {
	case state.Failed, state.Killed, state.Paused, state.Warning:
	default:
		return nil, fmt.Errorf("execution %s is %s: only FAILED, KILLED, PAUSED or WARNING executions can be restarted", ex.ID, ex.State)
	}
	if f == nil {
		f, err = ParseWith(e.Registry, ex.FlowFile, []byte(ex.FlowSource))
		if err != nil {
			return nil, fmt.Errorf("stored flow of execution %s: %w", ex.ID, err)
		}
	}
	if f.ID != ex.FlowID || f.Namespace != ex.Namespace {
		return nil, fmt.Errorf("execution %s belongs to flow %s.%s, not %s.%s", ex.ID, ex.Namespace, ex.FlowID, f.Namespace, f.ID)
	}
	prev := map[string]*state.TaskRun{}
	byID := map[string]*state.TaskRun{}
	for _, tr := range ex.TaskRuns {
		byID[tr.ID] = tr
	}
	defs := map[string]*plugin.TaskDef{}
	f.Walk(func(t *plugin.TaskDef, _ []*plugin.TaskDef) { defs[t.ID] = t })
	for _, tr := range ex.TaskRuns {
		def := defs[tr.TaskID]
		if def == nil || def.Info.Flowable {
			continue
		}
		switch tr.State {
		case state.Success, state.Warning, state.Paused:
			prev[runKey(tr.TaskID, valueChain(defs, tr, byID))] = tr
		}
	}
	ex.RestartCount++
	ex.TaskRuns = nil
	ex.End = time.Time{}
	ex.FlowSource, ex.FlowFile = string(f.Source), f.File
	return e.execute(ctx, f, ex, prev)
}

// valueChain rebuilds the Each iteration values a task run ran under.
func valueChain(defs map[string]*plugin.TaskDef, tr *state.TaskRun, byID map[string]*state.TaskRun) []string {
	var chain []string
	cur := tr
	for cur.ParentID != "" {
		p, ok := byID[cur.ParentID]
		if !ok {
			break
		}
		if def := defs[p.TaskID]; def != nil && isEach(def) {
			chain = append([]string{cur.Value}, chain...)
		}
		cur = p
	}
	return chain
}

func runKey(taskID string, values []string) string {
	return taskID + "\x00" + strings.Join(values, "\x00")
}

// execution is the mutable state of one running execution.
type execution struct {
	eng  *Engine
	flow *Flow
	ex   *state.Execution
	prev map[string]*state.TaskRun

	depth int

	mu      sync.Mutex
	outputs []outputEntry
	logs    *logSink
}

type outputEntry struct {
	taskID string
	values []string
	out    map[string]any
}

func (e *Engine) execute(ctx context.Context, f *Flow, ex *state.Execution, prev map[string]*state.TaskRun) (*state.Execution, error) {
	x := &execution{eng: e, flow: f, ex: ex, prev: prev, depth: e.depth}
	x.logs = newLogSink(e.Repo)
	defer x.logs.close()
	ex.State = state.Running
	ex.Start = time.Now()
	if err := x.save(ctx); err != nil {
		return ex, err
	}
	x.log(nil).Info("execution started", "flow", f.Namespace+"."+f.ID, "restart", ex.RestartCount)

	st := x.runList(ctx, f.Tasks, scope{})
	if st == state.Failed && len(f.Errors) > 0 {
		x.log(nil).Info("running the flow's errors branch")
		x.runList(context.WithoutCancel(ctx), f.Errors, scope{})
	}
	if ctx.Err() != nil && st != state.Success {
		st = state.Killed
	}
	x.mu.Lock()
	ex.State = st
	ex.End = time.Now()
	x.mu.Unlock()
	x.log(nil).Info("execution ended", "state", string(st), "duration", ex.End.Sub(ex.Start).Round(time.Millisecond).String())
	x.logs.close()
	return ex, x.save(context.WithoutCancel(ctx))
}

func (x *execution) save(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.eng.Repo.SaveExecution(ctx, x.ex); err != nil {
		return fmt.Errorf("saving execution %s: %w", x.ex.ID, err)
	}
	return nil
}

// scope is where a task runs: its flowable parent and Each values.
type scope struct {
	parent *state.TaskRun
	values []string // iteration values, outermost first
	items  []any    // the same values as they were in the list
}

func (s scope) with(parent *state.TaskRun) scope {
	s.parent = parent
	return s
}

func (s scope) iterate(v string, item any) scope {
	s.values = append(append([]string{}, s.values...), v)
	s.items = append(append([]any{}, s.items...), item)
	return s
}

// runList runs tasks in order; the first failure stops the rest. WARNING
// of any task makes the list WARNING.
func (x *execution) runList(ctx context.Context, tasks []*plugin.TaskDef, sc scope) state.State {
	result := state.Success
	for _, t := range tasks {
		if ctx.Err() != nil {
			return state.Killed
		}
		st := x.runTask(ctx, t, sc)
		switch st {
		case state.Failed, state.Killed, state.Paused:
			return st
		case state.Warning:
			result = state.Warning
		}
	}
	return result
}

// newTaskRun registers a task run in the execution.
func (x *execution) newTaskRun(t *plugin.TaskDef, sc scope) *state.TaskRun {
	tr := &state.TaskRun{ID: NewID(), TaskID: t.ID, State: state.Created}
	if sc.parent != nil {
		tr.ParentID = sc.parent.ID
	}
	if n := len(sc.values); n > 0 {
		tr.Value = sc.values[n-1]
	}
	x.mu.Lock()
	x.ex.TaskRuns = append(x.ex.TaskRuns, tr)
	x.mu.Unlock()
	return tr
}

func (x *execution) setState(ctx context.Context, tr *state.TaskRun, st state.State) {
	x.mu.Lock()
	tr.State = st
	now := time.Now()
	if st == state.Running && tr.Start.IsZero() {
		tr.Start = now
	}
	if st.Terminated() || st == state.Paused {
		tr.End = now
	}
	x.mu.Unlock()
	if err := x.save(context.WithoutCancel(ctx)); err != nil {
		x.log(tr).Error("could not save state", "error", err)
	}
	if h := x.eng.OnTaskRun; h != nil {
		x.mu.Lock()
		cp := *tr
		x.mu.Unlock()
		h(x.ex, &cp)
	}
}

func (x *execution) setOutputs(t *plugin.TaskDef, sc scope, out map[string]any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.outputs = append(x.outputs, outputEntry{taskID: t.ID, values: sc.values, out: out})
}

// outputsView builds {{ outputs }}: outputs of tasks inside Each are keyed
// by their iteration values (outputs.task[value].key).
func (x *execution) outputsView() map[string]any {
	x.mu.Lock()
	defer x.mu.Unlock()
	view := map[string]any{}
	for _, o := range x.outputs {
		if len(o.values) == 0 {
			view[o.taskID] = o.out
			continue
		}
		m, _ := view[o.taskID].(map[string]any)
		if m == nil {
			m = map[string]any{}
			view[o.taskID] = m
		}
		for i, v := range o.values {
			if i == len(o.values)-1 {
				m[v] = o.out
				break
			}
			next, _ := m[v].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[v] = next
			}
			m = next
		}
	}
	return view
}

// vars is the template context of a task run.
func (x *execution) vars(t *plugin.TaskDef, tr *state.TaskRun, sc scope, attempt int) map[string]any {
	f := x.flow
	variables := map[string]any{}
	for k, v := range x.eng.DefaultVars {
		variables[k] = v
	}
	for k, v := range f.Variables {
		variables[k] = v
	}
	for k, v := range x.eng.Vars {
		variables[k] = v
	}
	taskrun := map[string]any{
		"id": tr.ID, "startDate": tr.Start, "attemptsCount": attempt,
	}
	if sc.parent != nil {
		taskrun["parentId"] = sc.parent.ID
	}
	ctx := map[string]any{
		"flow":      map[string]any{"id": f.ID, "namespace": f.Namespace},
		"execution": map[string]any{"id": x.ex.ID, "startDate": x.ex.Start},
		"inputs":    x.ex.Inputs,
		"outputs":   x.outputsView(),
		"vars":      variables,
		"task":      map[string]any{"id": t.ID, "type": t.Type},
		"taskrun":   taskrun,
		"labels":    f.Labels,
	}
	if x.eng.Globals != nil {
		ctx["globals"] = x.eng.Globals
	} else {
		ctx["globals"] = map[string]any{}
	}
	envs := map[string]any{}
	for k, v := range x.eng.Envs {
		envs[k] = v
	}
	ctx["envs"] = envs
	if r := x.eng.Secrets; r != nil {
		ctx[template.SecretsVar] = template.Secrets(func(name string) (string, error) {
			return r.Get(context.Background(), name)
		})
	}
	if ctx["inputs"] == nil {
		ctx["inputs"] = map[string]any{}
	}
	if n := len(sc.values); n > 0 {
		taskrun["value"] = sc.values[n-1]
		// parents[0] is the closest enclosing iteration, as in Kestra.
		var parents []any
		for i := n - 2; i >= 0; i-- {
			parents = append(parents, map[string]any{"taskrun": map[string]any{"value": sc.values[i]}})
		}
		if len(parents) > 0 {
			ctx["parent"] = parents[0]
			ctx["parents"] = parents
		}
	}
	return ctx
}

func (x *execution) log(tr *state.TaskRun) *slog.Logger {
	h := &runHandler{x: x, level: x.eng.LogLevel}
	if tr != nil {
		h.taskRunID, h.taskID = tr.ID, tr.TaskID
	}
	return slog.New(h)
}

// runTask runs one task (or flowable) and returns its final state.
func (x *execution) runTask(ctx context.Context, t *plugin.TaskDef, sc scope) state.State {
	if t.Disabled {
		return state.Success
	}
	if !t.Info.Flowable && x.prev != nil {
		if old, ok := x.prev[runKey(t.ID, sc.values)]; ok {
			return x.reuse(ctx, t, sc, old)
		}
	}
	tr := x.newTaskRun(t, sc)
	x.setState(ctx, tr, state.Running)
	var st state.State
	var err error
	if t.Info.Flowable {
		st, err = x.runFlowable(ctx, t, tr, sc)
	} else {
		st, err = x.runAttempts(ctx, t, tr, sc)
	}
	if err != nil {
		x.mu.Lock()
		tr.Error = err.Error()
		x.mu.Unlock()
		if st == state.Failed {
			x.log(tr).Error("task failed", "error", err.Error())
		}
	}
	x.setState(ctx, tr, st)
	return st
}

// reuse records a task run of the previous attempt of a restarted
// execution without running it again.
func (x *execution) reuse(ctx context.Context, t *plugin.TaskDef, sc scope, old *state.TaskRun) state.State {
	tr := *old
	if sc.parent != nil {
		tr.ParentID = sc.parent.ID
	} else {
		tr.ParentID = ""
	}
	st := tr.State
	if st == state.Paused {
		st = state.Success
		tr.End = time.Now()
		x.log(&tr).Info("resumed")
	}
	tr.State = st
	x.mu.Lock()
	x.ex.TaskRuns = append(x.ex.TaskRuns, &tr)
	x.mu.Unlock()
	if tr.Outputs != nil {
		x.setOutputs(t, sc, tr.Outputs)
	}
	x.setState(ctx, &tr, st)
	return st
}
