package flows

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/template"
)

// run is the executor's in-memory mirror of one execution: its stored
// record, its task runs indexed by id, and for each flowable task run the
// progress of its groups, so that a step touches only what it changes.
type run struct {
	x      *executor
	flow   *Flow
	ex     *state.Execution // the execution's own fields; TaskRuns unused (see order)
	stored state.State      // state as last committed
	isNew  bool
	nodes  map[string]*node
	order  []*node // creation order
	root   *node   // the flow's task list and errors, a flowable without task run
	defs   map[string]*plugin.TaskDef
	out    *outputsView
	base   map[string]any // the template context parts shared by every task run
	depth  int            // subflow nesting

	counted bool // in the executor's running executions (concurrency)
	busy    int  // leaf task runs CREATED/RUNNING/RETRYING, flowables waiting on a timer or a child execution
	paused  int
	killing bool
}

// node is one task run (or the root).
type node struct {
	run    *run
	tr     *state.TaskRun
	stored state.State // state as last committed ("" before the first commit)
	def    *plugin.TaskDef
	parent *node
	group  int // index of its group in the parent's flowState
	values []string
	fl     *flowState // flowables only
	// pending: held by the executor, not created yet (the queue is full);
	// counted: created and queued, counted in executor.queued.
	pending, counted bool
}

// pendingQueue holds leaf task runs not created yet, a FIFO per flow
// served in turn (executor goroutine only).
type pendingQueue struct {
	groups map[string][]*node
	ring   []string
}

func (q *pendingQueue) push(n *node) {
	if q.groups == nil {
		q.groups = map[string][]*node{}
	}
	g := n.run.ex.Namespace + "." + n.run.ex.FlowID
	if len(q.groups[g]) == 0 {
		q.ring = append(q.ring, g)
	}
	q.groups[g] = append(q.groups[g], n)
}

func (q *pendingQueue) pop() *node {
	for len(q.ring) > 0 {
		g := q.ring[0]
		q.ring = q.ring[1:]
		list := q.groups[g]
		if len(list) == 0 {
			delete(q.groups, g)
			continue
		}
		n := list[0]
		list[0] = nil
		if len(list) == 1 {
			delete(q.groups, g)
		} else {
			q.groups[g] = list[1:]
			q.ring = append(q.ring, g)
		}
		return n
	}
	return nil
}

// flowState is the progress of a flowable task run.
type flowState struct {
	planned bool
	plan    *plugin.Plan
	groups  []*groupState
	next    int // next group to start
	active  int // groups started and not done
	stop    bool
	result  state.State
	errors  bool // the errors branch or a listener is running (the last group)
	// root only: listeners run after the tasks, in order; the execution
	// then ends in mainState, whatever they did.
	listening bool
	listener  int
	mainState state.State
	ended     bool
	waiting   bool   // on a timer or a child execution (counted in run.busy)
	child     string // subflow: the child execution
	timer     *time.Timer
}

type groupState struct {
	index    int // in flowState.groups
	value    string
	tasks    []*plugin.TaskDef
	pos      int // index of cur in tasks, -1 before the first
	cur      *node
	done     bool
	isErrors bool
	// later holds, after a rebuild, children that already ran after cur
	// (by task id): a markAs set an earlier task back, and the group
	// takes them up again as it reaches them instead of creating them.
	later map[string]*node
}

func newRun(x *executor, f *Flow, ex *state.Execution) *run {
	r := &run{x: x, flow: f, ex: ex, nodes: map[string]*node{}, defs: map[string]*plugin.TaskDef{}, out: newOutputsView()}
	index := func(t *plugin.TaskDef, _ []*plugin.TaskDef) {
		if _, dup := r.defs[t.ID]; !dup {
			r.defs[t.ID] = t
		}
	}
	f.Walk(index)
	for _, l := range f.Listeners {
		walkTasks(l.Tasks, nil, index)
	}
	r.root = &node{run: r, tr: &state.TaskRun{}, fl: &flowState{}}
	r.base = r.baseVars()
	return r
}

// row is the execution record to write (without task runs).
func (r *run) row() *state.Execution {
	ex := *r.ex
	ex.TaskRuns = nil
	ex.Histories = append([]state.StateChange(nil), r.ex.Histories...)
	return &ex
}

// snapshot is row with copies of the task runs.
func (r *run) snapshot() *state.Execution {
	ex := r.row()
	ex.TaskRuns = make([]*state.TaskRun, len(r.order))
	for i, n := range r.order {
		ex.TaskRuns[i] = n.tr.Clone()
	}
	return ex
}

func (r *run) add(n *node) {
	r.nodes[n.tr.ID] = n
	r.order = append(r.order, n)
}

func isFlowable(def *plugin.TaskDef) bool {
	if def == nil {
		return false
	}
	_, ok := def.Props.(plugin.Flowable)
	return ok
}

func (r *run) log(n *node) *slog.Logger {
	h := &runHandler{r: r, level: r.x.e.LogLevel}
	if n != nil && n.tr != nil && n.tr.ID != "" {
		h.taskRunID, h.taskID, h.value = n.tr.ID, n.tr.TaskID, n.tr.Value
	}
	return slog.New(h)
}

// baseVars is the template context every task run of the execution shares.
func (r *run) baseVars() map[string]any {
	e := r.x.e
	f := r.flow
	variables := map[string]any{}
	for k, v := range e.DefaultVars {
		variables[k] = v
	}
	for k, v := range f.Variables {
		variables[k] = v
	}
	for k, v := range e.Vars {
		variables[k] = v
	}
	envs := map[string]any{}
	for k, v := range e.Envs {
		envs[k] = v
	}
	globals := e.Globals
	if globals == nil {
		globals = map[string]any{}
	}
	inputs := r.ex.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	base := map[string]any{
		"flow":    map[string]any{"id": f.ID, "namespace": f.Namespace},
		"inputs":  inputs,
		"vars":    variables,
		"labels":  f.Labels,
		"globals": globals,
		"envs":    envs,
		"outputs": r.out,
	}
	if t := r.ex.Trigger; t != nil {
		base["trigger"] = t.Variables
	}
	if res := e.Secrets; res != nil {
		base[template.SecretsVar] = template.Secrets(func(name string) (string, error) {
			return res.Get(context.Background(), name)
		})
	}
	return base
}

// vars is the template context of one task run: the shared parts and its
// own (task, taskrun, parents).
func (r *run) vars(n *node, attempt int) map[string]any {
	ctx := make(map[string]any, len(r.base)+6)
	for k, v := range r.base {
		ctx[k] = v
	}
	if raw, ok := r.base["vars"].(map[string]any); ok {
		ctx["vars"] = newVarsView(r, raw, ctx)
	}
	ctx["execution"] = map[string]any{"id": r.ex.ID, "startDate": r.ex.Start}
	if n.def != nil {
		ctx["task"] = map[string]any{"id": n.def.ID, "type": n.def.Type}
	}
	// attemptsCount is Kestra's: the attempts before this one (0 first).
	taskrun := map[string]any{"id": n.tr.ID, "startDate": n.tr.Start, "attemptsCount": max(attempt-1, 0)}
	if n.tr.ParentID != "" {
		taskrun["parentId"] = n.tr.ParentID
	}
	ctx["taskrun"] = taskrun
	// Outside an Each taskrun.value is null: it renders empty, as Kestra's
	// does, and is not defined.
	taskrun["value"] = nil
	if k := len(n.values); k > 0 {
		taskrun["value"] = n.values[k-1]
	}
	if parents := kestraParentsOf(n); len(parents) > 0 {
		ctx["parent"] = parents[0]
		ctx["parents"] = parents
	}
	return ctx
}

// kestraParentsOf is Kestra 0.4's {{ parents }}: the enclosing task runs
// that have a value (the direct children of an Each) or outputs (a Switch,
// a Template), nearest first, each as {taskrun: {value}, outputs}.
func kestraParentsOf(n *node) []any {
	var out []any
	for p := n.parent; p != nil && p.def != nil; p = p.parent {
		m := map[string]any{}
		if p.parent != nil && p.parent.def != nil && isEach(p.parent.def) && len(p.values) > 0 {
			m["taskrun"] = map[string]any{"value": p.values[len(p.values)-1]}
		}
		if len(p.tr.Outputs) > 0 {
			m["outputs"] = p.tr.Outputs
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// outputsView is {{ outputs }}: outputs of tasks inside Each are keyed by
// their iteration values (outputs.task[value].key). The executor adds to
// it as task runs end while workers render against it, hence the lock; an
// addition costs O(depth), never a rebuild.
type outputsView struct {
	mu   sync.RWMutex
	tree *outputsTree
}

type outputsTree struct {
	view *outputsView
	keys []string
	m    map[string]any // → outputs map, or *outputsTree one iteration level down
}

func newOutputsView() *outputsView {
	v := &outputsView{}
	v.tree = &outputsTree{view: v, m: map[string]any{}}
	return v
}

func (v *outputsView) Keys() []string { return v.tree.Keys() }

func (v *outputsView) Get(k string) (any, bool) { return v.tree.Get(k) }

// set records the outputs of a task run under its task id and values.
func (v *outputsView) set(taskID string, values []string, out map[string]any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := v.tree
	path := append([]string{taskID}, values...)
	for i, k := range path {
		if i == len(path)-1 {
			if _, ok := t.m[k]; !ok {
				t.keys = append(t.keys, k)
			}
			t.m[k] = out
			return
		}
		next, _ := t.m[k].(*outputsTree)
		if next == nil {
			next = &outputsTree{view: v, m: map[string]any{}}
			if _, ok := t.m[k]; !ok {
				t.keys = append(t.keys, k)
			}
			t.m[k] = next
		}
		t = next
	}
}

func (t *outputsTree) Keys() []string {
	t.view.mu.RLock()
	defer t.view.mu.RUnlock()
	ks := append([]string(nil), t.keys...)
	sort.Strings(ks)
	return ks
}

func (t *outputsTree) Get(k string) (any, bool) {
	t.view.mu.RLock()
	defer t.view.mu.RUnlock()
	v, ok := t.m[k]
	return v, ok
}
