package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// build makes the in-memory run of a stored execution: nodes for its task
// runs, linked to their parents (flow states are rebuilt separately, after
// a restart or markAs has changed some task runs).
func (x *executor) build(f *Flow, ex *state.Execution) *run {
	trs := ex.TaskRuns
	cp := *ex
	cp.TaskRuns = nil
	r := newRun(x, f, &cp)
	r.stored = ex.State
	r.root.fl.planned = false
	for _, tr := range trs {
		n := &node{run: r, tr: tr, stored: tr.State, def: r.defs[tr.TaskID]}
		if isFlowable(n.def) {
			n.fl = &flowState{}
		}
		r.add(n)
	}
	for _, n := range r.order {
		n.parent = r.root
		if p := r.nodes[n.tr.ParentID]; p != nil && p.fl != nil {
			n.parent = p
		}
	}
	return r
}

// load builds a stored execution, rebuilds its progress and puts it in
// memory, owned by this engine.
func (x *executor) load(s *step, f *Flow, ex *state.Execution) (*run, error) {
	if f.ID != ex.FlowID || f.Namespace != ex.Namespace {
		return nil, fmt.Errorf("execution %s belongs to flow %s.%s, not %s.%s", ex.ID, ex.Namespace, ex.FlowID, f.Namespace, f.ID)
	}
	if old := x.runs[ex.ID]; old != nil {
		return old, nil
	}
	r := x.build(f, ex)
	x.adopt(r)
	x.count(r)
	s.rebuild(r)
	return r, nil
}

// rebuild recomputes every flowable's progress from the task runs (their
// stored plans, the states of their children), queues what is runnable and
// re-examines what has to advance. O(task runs), once per load.
func (s *step) rebuild(r *run) {
	children := map[*node][]*node{}
	for _, n := range r.order {
		children[n.parent] = append(children[n.parent], n)
	}
	var visit func(p *node)
	visit = func(p *node) {
		s.rebuildFlowable(p, children[p])
		for _, c := range children[p] {
			if c.fl != nil {
				visit(c)
			}
		}
	}
	visit(r.root)
	for _, n := range r.order {
		st := n.tr.State
		if (st == state.Success || st == state.Warning) && n.tr.Outputs != nil {
			r.out.set(n.tr.TaskID, n.values, n.tr.Outputs)
		}
		if n.fl != nil {
			switch {
			case st.Terminated():
				n.fl.ended = true
			case st == state.Paused:
				r.paused++
			}
			continue
		}
		switch st {
		case state.Running:
			// Its worker is gone (a crash, a shutdown): run it again.
			n.tr.SetState(state.Created, s.now)
			s.touchNode(n)
			fallthrough
		case state.Created, state.Retrying, state.Restarted:
			if st == state.Restarted {
				n.tr.SetState(state.Created, s.now)
				s.touchNode(n)
			}
			r.busy++
			s.enqueue(r, n)
			if st != state.Retrying {
				n.counted = true
				s.x.queued++
			}
		case state.Paused:
			n.fl = &flowState{planned: true, plan: &plugin.Plan{}}
			r.paused++
		}
	}
	s.kick(r.root)
}

func (s *step) rebuildFlowable(p *node, kids []*node) {
	r := p.run
	fl := p.fl
	if p == r.root {
		fl.plan = sequentialPlan(r.flow.Tasks)
	} else {
		if p.tr.Iterations == nil {
			// Never planned (or a subflow waiting for its child): plan it
			// when examined.
			if p.tr.State == state.Running && len(kids) == 0 {
				fl.planned = false
				s.kick(p)
				return
			}
		}
		plan, err := r.planOf(p)
		if err != nil {
			plan = &plugin.Plan{}
		}
		if plan.Execution != nil {
			fl.planned, fl.plan = true, plan
			if p.tr.State == state.Running {
				fl.waiting = true
				r.busy++
			}
			return
		}
		fl.plan = plan
		fl.plan.Groups = nil
		for _, it := range p.tr.Iterations {
			g := plugin.Group{Value: it.Value}
			for _, id := range it.Tasks {
				if d := r.defs[id]; d != nil {
					g.Tasks = append(g.Tasks, d)
				}
			}
			fl.plan.Groups = append(fl.plan.Groups, g)
		}
	}
	fl.planned = true
	for i, g := range fl.plan.Groups {
		fl.groups = append(fl.groups, &groupState{value: g.Value, tasks: g.Tasks, pos: -1, index: i})
	}
	errs := r.flow.Errors
	if p != r.root && p.def != nil {
		errs = p.def.Errors
	}
	var errGroup *groupState
	for _, c := range kids {
		gi := -1
		for i, g := range fl.groups {
			if g.value != "" && g.value != c.tr.Value {
				continue
			}
			if k := slices.IndexFunc(g.tasks, func(t *plugin.TaskDef) bool { return t.ID == c.tr.TaskID }); k >= 0 {
				gi = i
				switch {
				case g.cur != nil && blocks(g.cur) && k > g.pos:
					g.keepLater(c)
				case g.cur != nil && blocks(c) && k < g.pos:
					g.keepLater(g.cur)
					g.cur, g.pos = c, k
				default:
					g.cur, g.pos = c, k
				}
				break
			}
		}
		if gi < 0 && slices.ContainsFunc(errs, func(t *plugin.TaskDef) bool { return t.ID == c.tr.TaskID }) {
			if errGroup == nil {
				errGroup = &groupState{tasks: errs, pos: -1, isErrors: true}
			}
			errGroup.cur = c
			errGroup.pos = slices.IndexFunc(errs, func(t *plugin.TaskDef) bool { return t.ID == c.tr.TaskID })
			continue
		}
		if gi < 0 {
			// A task no longer in the flow: leave it as it is.
			gi = 0
		}
		c.group = gi
		c.values = p.values
		if v := fl.groups[gi].value; v != "" {
			c.values = append(append([]string(nil), p.values...), v)
		}
		fl.next = max(fl.next, gi+1)
	}
	groups := fl.groups
	if errGroup != nil {
		errGroup.index = len(fl.groups)
		fl.groups = append(fl.groups, errGroup)
		errGroup.cur.group = len(fl.groups) - 1
		errGroup.cur.values = p.values
		fl.errors = true
		fl.next = len(fl.groups)
		groups = fl.groups
	}
	for gi, g := range groups {
		if gi >= fl.next {
			break
		}
		c := g.cur
		if c == nil {
			g.done = true
			continue
		}
		st := c.tr.State
		switch {
		case st == state.Failed || st == state.Killed:
			g.done = true
			if !g.isErrors {
				fl.result = worse(fl.result, st)
				fl.stop = true
			}
		case st.Terminated():
			if st == state.Warning && !g.isErrors {
				fl.result = worse(fl.result, st)
			}
			// Advance past it when examined.
			fl.active++
			g.cur = c
			s.work = append(s.work, workItem0{n: p, group: gi})
			// evaluate advances only a group whose current child is
			// terminal and which is not done: it is.
		default:
			fl.active++
		}
	}
	if p != r.root && p.tr.State == state.Running {
		s.kick(p)
	}
}

// defSignature is what makes two definitions of a task the same.
func defSignature(d *plugin.TaskDef) string {
	if d == nil {
		return ""
	}
	b, _ := json.Marshal(struct {
		Type     string
		Props    any
		Retry    *plugin.Retry
		Timeout  plugin.Duration
		Disabled bool
	}{d.Info.ID, d.Props, d.Retry, d.Timeout, d.Disabled})
	return string(b)
}

func (x *executor) loadEnded(ctx context.Context, id string, f *Flow) (*state.Execution, *Flow, *Flow, error) {
	ex, err := x.repo.GetExecution(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	stored, err := x.e.parseStored(ex)
	if err != nil && f == nil {
		return nil, nil, nil, err
	}
	if f == nil {
		f = stored
	}
	if f.ID != ex.FlowID || f.Namespace != ex.Namespace {
		return nil, nil, nil, fmt.Errorf("execution %s belongs to flow %s.%s, not %s.%s", ex.ID, ex.Namespace, ex.FlowID, f.Namespace, f.ID)
	}
	return ex, f, stored, nil
}

// ancestors returns n's flowable ancestors (not the root).
func ancestors(n *node) []*node {
	var out []*node
	for p := n.parent; p != nil && p != n.run.root; p = p.parent {
		out = append(out, p)
	}
	return out
}

// dropErrorBranches removes the task runs of the errors branches under
// the flowables (and the root) that run again, so that a new failure runs
// them again.
func (s *step) dropErrorBranches(r *run, again map[*node]bool) {
	again[r.root] = true
	keep := r.order[:0]
	for _, n := range r.order {
		p := n.parent
		errs := r.flow.Errors
		if p != r.root && p.def != nil {
			errs = p.def.Errors
		}
		if again[p] && slices.ContainsFunc(errs, func(t *plugin.TaskDef) bool { return t.ID == n.tr.TaskID }) && !inGroups(p, n) {
			delete(r.nodes, n.tr.ID)
			s.deletes = append(s.deletes, deletion{r, n.tr.ID})
			continue
		}
		keep = append(keep, n)
	}
	r.order = keep
	delete(again, r.root)
}

// inGroups reports whether n's task is one of p's own (non-errors) tasks.
func inGroups(p *node, n *node) bool {
	var groups [][]*plugin.TaskDef
	if p == p.run.root {
		groups = [][]*plugin.TaskDef{p.run.flow.Tasks}
	} else if p.def != nil {
		groups = Children(p.def)
	}
	for _, g := range groups {
		if slices.ContainsFunc(g, func(t *plugin.TaskDef) bool { return t.ID == n.tr.TaskID }) {
			return true
		}
	}
	return false
}

type deletion struct {
	r  *run
	id string
}

func (x *executor) restart(ctx context.Context, id string, f *Flow) (*state.Execution, error) {
	ex, f, stored, err := x.loadEnded(ctx, id, f)
	if err != nil {
		return nil, err
	}
	if ex.State == state.Paused {
		return x.resume(ctx, ex.ID)
	}
	if !ex.State.Terminated() {
		return nil, fmt.Errorf("execution %s is %s: only an ended execution can be restarted", ex.ID, ex.State)
	}
	var out *state.Execution
	err = x.call(ctx, func(s *step) error {
		if x.runs[ex.ID] != nil {
			return fmt.Errorf("execution %s is running", ex.ID)
		}
		r := x.build(f, ex)
		again := map[*node]bool{}
		var changed []string
		for _, n := range r.order {
			switch {
			case n.fl == nil && n.tr.State.Failure():
				again[n] = true
			case n.fl == nil && stored != nil && f != stored && (n.tr.State == state.Success || n.tr.State == state.Warning) &&
				defSignature(stored.Task(n.tr.TaskID)) != defSignature(n.def):
				again[n] = true
				changed = append(changed, n.tr.TaskID)
			}
		}
		if len(again) == 0 {
			return fmt.Errorf("execution %s has no failed task run to restart from", ex.ID)
		}
		for n := range again {
			for _, a := range ancestors(n) {
				again[a] = true
			}
		}
		s.dropErrorBranches(r, again)
		for _, n := range r.order {
			if !again[n] {
				continue
			}
			n.tr.Error = ""
			n.tr.SetState(state.Restarted, s.now)
			if n.fl != nil {
				n.tr.SetState(state.Running, s.now)
			} else {
				n.tr.Outputs = nil
				n.tr.SetState(state.Created, s.now)
			}
			s.touch(n)
		}
		r.ex.RestartCount++
		r.ex.SetState(state.Restarted, s.now)
		r.ex.SetState(state.Running, s.now)
		r.ex.End = time.Time{}
		r.ex.Error = ""
		r.ex.Owner = x.owner
		r.ex.FlowSource, r.ex.FlowFile = string(f.Source), f.File
		s.touchExec(r)
		x.adopt(r)
		x.count(r)
		r.log(nil).Info("execution restarted", "restart", r.ex.RestartCount)
		for _, id := range changed {
			r.log(nil).Info("task changed since the execution ran: running it again", "task", id)
		}
		s.rebuild(r)
		s.settle(r)
		out = r.snapshot()
		return nil
	})
	return out, err
}

func (x *executor) replay(ctx context.Context, id, taskRunID string, f *Flow) (*state.Execution, error) {
	ex, f, _, err := x.loadEnded(ctx, id, f)
	if err != nil {
		return nil, err
	}
	if !ex.State.Terminated() {
		return nil, fmt.Errorf("execution %s is %s: only an ended execution can be replayed", ex.ID, ex.State)
	}
	var out *state.Execution
	err = x.call(ctx, func(s *step) error {
		old := x.build(f, ex)
		target := old.nodes[taskRunID]
		if target == nil {
			return fmt.Errorf("execution %s has no task run %s", ex.ID, taskRunID)
		}
		anc := map[*node]bool{}
		for _, a := range ancestors(target) {
			anc[a] = true
		}
		newID := NewID()
		ids := map[string]string{}
		nex := *ex
		nex.ID, nex.ParentID, nex.ParentTaskRunID = newID, ex.ID, ""
		// Kestra's childExecution keeps the replayed execution's histories
		// and adds RESTARTED.
		nex.Histories = append([]state.StateChange(nil), ex.Histories...)
		nex.RestartCount, nex.End, nex.Error, nex.Owner = 0, time.Time{}, "", x.owner
		nex.FlowSource, nex.FlowFile = string(f.Source), f.File
		nex.TaskRuns = nil
		drop := successors(old, target)
		for _, n := range old.order {
			if drop[n] {
				continue
			}
			tr := n.tr.Clone()
			ids[tr.ID] = NewID()
			tr.ID = ids[tr.ID]
			if p, ok := ids[tr.ParentID]; ok {
				tr.ParentID = p
			}
			switch {
			case n == target && n.fl != nil:
				// Kestra's mapTaskRun: the replayed flowable is RUNNING
				// again and plans its children anew.
				tr.Iterations, tr.Outputs, tr.Error = nil, nil, ""
				tr.SetState(state.Running, s.now)
			case n == target:
				tr.Outputs, tr.Error = nil, ""
				tr.SetState(state.Restarted, s.now)
			case anc[n]:
				tr.Error = ""
				tr.SetState(state.Running, s.now)
			}
			nex.TaskRuns = append(nex.TaskRuns, tr)
		}
		r := x.build(f, &nex)
		r.isNew = true
		r.ex.Start = s.now
		r.ex.SetState(state.Restarted, s.now)
		// What Kestra's replay returns: RESTARTED, before it runs on.
		out = r.snapshot()
		r.ex.SetState(state.Running, s.now)
		s.newRuns = append(s.newRuns, r)
		for _, n := range r.order {
			n.stored = ""
			s.create(n)
		}
		x.adopt(r)
		x.count(r)
		r.log(nil).Info("replay of execution "+ex.ID, "from", target.tr.TaskID, "value", target.tr.Value)
		s.rebuild(r)
		s.settle(r)
		return nil
	})
	return out, err
}

func (x *executor) markAs(ctx context.Context, id, taskRunID string, st state.State) (*state.Execution, error) {
	if !st.Terminated() {
		return nil, fmt.Errorf("cannot mark a task run %s: want SUCCESS, WARNING, FAILED or KILLED", st)
	}
	ex, f, _, err := x.loadEnded(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	if !ex.State.Terminated() {
		return nil, fmt.Errorf("execution %s is %s: only an ended execution can have a task run marked", ex.ID, ex.State)
	}
	var out *state.Execution
	err = x.call(ctx, func(s *step) error {
		if x.runs[ex.ID] != nil {
			return fmt.Errorf("execution %s is running", ex.ID)
		}
		r := x.build(f, ex)
		target := r.nodes[taskRunID]
		if target == nil {
			return fmt.Errorf("execution %s has no task run %s", ex.ID, taskRunID)
		}
		again := map[*node]bool{}
		for _, a := range ancestors(target) {
			again[a] = true
		}
		s.dropErrorBranches(r, again)
		target.tr.SetState(st, s.now)
		if k := len(target.tr.Attempts); k > 0 {
			target.tr.Attempts[k-1].State = st
		}
		if st == state.Success || st == state.Warning {
			target.tr.Error = ""
		}
		s.touch(target)
		for a := range again {
			a.tr.Error = ""
			a.tr.SetState(state.Running, s.now)
			s.touch(a)
		}
		r.ex.SetState(state.Restarted, s.now)
		r.ex.End, r.ex.Error, r.ex.Owner = time.Time{}, "", x.owner
		// What Kestra's markAs returns: RESTARTED, before it runs on.
		out = r.snapshot()
		r.ex.SetState(state.Running, s.now)
		s.touchExec(r)
		x.adopt(r)
		x.count(r)
		r.log(target).Info("task run marked "+string(st), "task", target.tr.TaskID)
		s.rebuild(r)
		s.settle(r)
		return nil
	})
	return out, err
}

// successors returns the task runs of a built run that come after target
// in the flow graph, as Kestra's GraphService.successors: its children,
// and for target and each of its ancestors, the siblings that run after
// it (later in its group, or in a later group of a flowable that runs its
// groups one after the other) with their children. Iterations of a
// parallel flowable are not successors.
func successors(r *run, target *node) map[*node]bool {
	children := map[*node][]*node{}
	for _, n := range r.order {
		children[n.parent] = append(children[n.parent], n)
	}
	drop := map[*node]bool{}
	var tree func(n *node)
	tree = func(n *node) {
		drop[n] = true
		for _, c := range children[n] {
			tree(c)
		}
	}
	for _, c := range children[target] {
		tree(c)
	}
	for x := target; x != r.root && x.parent != nil; x = x.parent {
		p := x.parent
		groups, concurrent := flowGroups(r, p)
		gi, k := groupPos(groups, x)
		for _, c := range children[p] {
			if c == x || drop[c] {
				continue
			}
			cg, ck := groupPos(groups, c)
			after := cg < 0 || (cg == gi && ck > k) || (concurrent == 1 && gi >= 0 && cg > gi)
			if gi < 0 {
				after = false
			}
			if after {
				tree(c)
			}
		}
	}
	return drop
}

// flowGroups returns a flowable's groups as it ran them (the root: the
// flow's tasks) and how many of them run at once (1: one after the other).
func flowGroups(r *run, p *node) ([]plugin.Group, int) {
	if p == r.root {
		return []plugin.Group{{Tasks: r.flow.Tasks}}, 1
	}
	concurrent := 0
	if plan, err := r.planOf(p); err == nil {
		concurrent = plan.Concurrent
	}
	var groups []plugin.Group
	for _, it := range p.tr.Iterations {
		g := plugin.Group{Value: it.Value}
		for _, id := range it.Tasks {
			if d := r.defs[id]; d != nil {
				g.Tasks = append(g.Tasks, d)
			}
		}
		groups = append(groups, g)
	}
	return groups, concurrent
}

// groupPos is the group and position of n's task among groups, -1 when
// it is in none (an errors branch).
func groupPos(groups []plugin.Group, n *node) (int, int) {
	for i, g := range groups {
		if g.Value != "" && g.Value != n.tr.Value {
			continue
		}
		if k := slices.IndexFunc(g.Tasks, func(t *plugin.TaskDef) bool { return t.ID == n.tr.TaskID }); k >= 0 {
			return i, k
		}
	}
	return -1, -1
}

// blocks reports whether a child holds its group back: it has not ended
// well (a markAs set it RUNNING or FAILED while later tasks had run).
func blocks(n *node) bool {
	return n.tr.State != state.Success && n.tr.State != state.Warning
}

func (g *groupState) keepLater(n *node) {
	if g.later == nil {
		g.later = map[string]*node{}
	}
	g.later[n.tr.TaskID] = n
}
