package flows

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// The resolution rules: what a flowable task run does next, given the
// states of its children. They are the same for every flowable (its Plan
// says which groups, how many at once, what a failure means), and they run
// incrementally: a child's end re-examines only its own group.
//
// Work items queue the flowables to re-examine within a step; settle runs
// them until none is left, so that a chain of immediate ends (an empty
// Switch case ending its parent, ending the execution) resolves in one step.

type workItem0 struct {
	n     *node
	group int // the group whose current child ended; -1: only fill / plan
}

// kick queues a flowable for planning or filling.
func (s *step) kick(n *node) { s.work = append(s.work, workItem0{n: n, group: -1}) }

// childEnded queues the parent of a task run that reached a final state.
func (s *step) childEnded(c *node) {
	if c.parent != nil {
		s.work = append(s.work, workItem0{n: c.parent, group: c.group})
	}
}

// settle resolves everything queued for r (and the executions it touches).
func (s *step) settle(r *run) {
	for len(s.work) > 0 {
		it := s.work[0]
		s.work = s.work[1:]
		s.evaluate(it)
		if len(s.work) == 0 {
			s.work = nil
		}
	}
	s.checkIdle(r)
}

func (s *step) evaluate(it workItem0) {
	n := it.n
	fl := n.fl
	if fl.ended {
		return
	}
	if !fl.planned {
		if !s.plan(n) {
			return
		}
	}
	if n.tr.State == state.Paused || fl.waiting {
		return
	}
	if it.group >= 0 && it.group < len(fl.groups) {
		g := fl.groups[it.group]
		if c := g.cur; c != nil && c.tr.State.Terminated() && !g.done {
			switch st := c.tr.State; st {
			case state.Failed, state.Killed:
				g.done = true
				if !g.isErrors {
					fl.result = worse(fl.result, st)
					fl.stop = true
				}
			default:
				if st == state.Warning && !g.isErrors {
					fl.result = worse(fl.result, st)
				}
				s.next(n, g)
			}
			if g.done {
				fl.active--
			}
		}
	}
	s.fill(n)
}

// worse orders final states: FAILED > KILLED > WARNING > SUCCESS.
func worse(a, b state.State) state.State {
	rank := func(s state.State) int {
		switch s {
		case state.Failed:
			return 4
		case state.Killed:
			return 3
		case state.Warning:
			return 2
		case state.Success:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// fill starts groups while the plan allows, and ends the flowable when
// nothing is left to run.
func (s *step) fill(n *node) {
	fl := n.fl
	r := n.run
	limit := fl.plan.Concurrent
	if limit <= 0 {
		limit = len(fl.groups)
	}
	for !fl.stop && !r.killing && fl.active < limit && fl.next < len(fl.groups) && !fl.errors {
		g := fl.groups[fl.next]
		fl.next++
		fl.active++
		s.next(n, g)
		if g.done {
			fl.active--
		}
	}
	if fl.active == 0 && (fl.stop || r.killing || fl.next >= len(fl.groups) || fl.errors) {
		s.childrenDone(n)
	}
}

// next creates the next enabled task of a group, or marks it done.
func (s *step) next(n *node, g *groupState) {
	for g.pos+1 < len(g.tasks) {
		g.pos++
		def := g.tasks[g.pos]
		if def.Disabled {
			continue
		}
		if c := g.later[def.ID]; c != nil {
			// It ran already (see groupState.later): take it up again.
			delete(g.later, def.ID)
			g.cur = c
			switch st := c.tr.State; {
			case st == state.Failed || st == state.Killed:
				g.done = true
				if !g.isErrors {
					n.fl.result = worse(n.fl.result, st)
					n.fl.stop = true
				}
				return
			case st.Terminated():
				if st == state.Warning && !g.isErrors {
					n.fl.result = worse(n.fl.result, st)
				}
				continue
			}
			return
		}
		g.cur = s.createChild(n, g, def)
		return
	}
	g.done = true
}

func (s *step) createChild(p *node, g *groupState, def *plugin.TaskDef) *node {
	r := p.run
	values := p.values
	if g.value != "" {
		values = append(append([]string(nil), p.values...), g.value)
	}
	tr := &state.TaskRun{ID: NewID(), TaskID: def.ID, ParentID: p.tr.ID}
	if k := len(values); k > 0 {
		tr.Value = values[k-1]
	}
	c := &node{run: r, tr: tr, def: def, parent: p, values: values, group: g.index}
	r.add(c)
	tr.SetState(state.Created, s.now)
	if isFlowable(def) {
		c.fl = &flowState{}
		tr.SetState(state.Running, s.now)
		s.create(c)
		s.kick(c)
		return c
	}
	r.busy++
	if s.x.queued < s.x.maxQueued {
		s.admit(c)
	} else {
		// Workers have enough waiting: hold it, created when a slot
		// frees (admitPending), so that a burst keeps the queue short and
		// the start delay of what is created low.
		c.pending = true
		s.x.pending.push(c)
	}
	return c
}

// admit creates a leaf task run and queues it.
func (s *step) admit(c *node) {
	c.pending = false
	c.tr.Histories = nil
	c.tr.SetState(state.Created, s.now)
	s.create(c)
	s.enqueue(c.run, c)
	c.counted = true
	s.x.queued++
}

// admitPending creates held task runs while the queue has room, taking
// flows in turn.
func (s *step) admitPending() {
	for s.x.queued < s.x.maxQueued {
		c := s.x.pending.pop()
		if c == nil {
			return
		}
		if !c.pending || c.run.killing || c.run.root.fl.ended || s.x.runs[c.run.ex.ID] != c.run {
			continue
		}
		s.admit(c)
	}
}

// plan asks a flowable what to run; false when it is not ready to fill
// (failed, paused, waiting).
func (s *step) plan(n *node) bool {
	fl := n.fl
	fl.planned = true
	r := n.run
	var plan *plugin.Plan
	if n == r.root {
		plan = &plugin.Plan{Groups: []plugin.Group{{Tasks: r.flow.Tasks}}, Concurrent: 1}
	} else {
		var err error
		plan, err = r.planOf(n)
		if err != nil {
			n.tr.Error = err.Error()
			r.log(n).Error(err.Error())
			s.endNode(n, state.Failed)
			return false
		}
	}
	fl.plan = plan
	if n != r.root {
		its := make([]state.Iteration, 0, len(plan.Groups))
		for _, g := range plan.Groups {
			ids := make([]string, len(g.Tasks))
			for i, t := range g.Tasks {
				ids[i] = t.ID
			}
			its = append(its, state.Iteration{Value: g.Value, Tasks: ids})
		}
		n.tr.Iterations = its
		if plan.Outputs != nil {
			n.tr.Outputs = normalizeOutputs(plan.Outputs)
			r.out.set(n.tr.TaskID, n.values, n.tr.Outputs)
		}
		s.touchNode(n)
	}
	fl.groups = make([]*groupState, len(plan.Groups))
	for i, g := range plan.Groups {
		fl.groups[i] = &groupState{value: g.Value, tasks: g.Tasks, pos: -1, index: i}
	}
	switch {
	case plan.Execution != nil:
		s.startChildExecution(n, plan.Execution)
		return false
	case plan.Pause:
		n.tr.SetState(state.Paused, s.now)
		r.paused++
		r.log(n).Info("execution paused; continue it with: sluice resume " + r.ex.ID)
		return false
	case plan.Delay > 0:
		s.delay(n, plan.Delay)
		return false
	}
	return true
}

// touchNode records a change of n, created in this step or before.
func (s *step) touchNode(n *node) {
	if s.isNew[n] {
		s.changed = append(s.changed, n)
		return
	}
	s.touch(n)
}

// delay waits before the groups run, on a timer (no worker waits); RunAt
// keeps the due time in the state.
func (s *step) delay(n *node, d time.Duration) {
	r := n.run
	fl := n.fl
	fl.waiting = true
	r.busy++
	n.tr.RunAt = s.now.Add(d)
	s.touchNode(n)
	x := s.x
	fl.timer = time.AfterFunc(d, func() {
		_ = x.send(event{fn: func(s *step) {
			if fl.ended || !fl.waiting || x.runs[r.ex.ID] != r {
				return
			}
			fl.waiting = false
			r.busy--
			n.tr.RunAt = time.Time{}
			s.touchNode(n)
			s.kick(n)
			s.settle(r)
		}})
	})
}

// childrenDone ends a flowable whose groups are over, running its errors
// branch first when it failed.
func (s *step) childrenDone(n *node) {
	fl := n.fl
	r := n.run
	if fl.ended {
		return
	}
	if fl.listening {
		s.nextListener(n)
		return
	}
	st := fl.result
	if st == "" {
		st = state.Success
	}
	if st == state.Failed && !fl.errors && !r.killing {
		errs := r.flow.Errors
		if n != r.root {
			errs = n.def.Errors
		}
		if len(errs) > 0 {
			fl.errors = true
			if n == r.root {
				r.log(nil).Info("running the flow's errors branch")
			} else {
				r.log(n).Info("running the errors branch")
			}
			g := &groupState{tasks: errs, pos: -1, isErrors: true, index: len(fl.groups)}
			fl.groups = append(fl.groups, g)
			fl.next = len(fl.groups)
			fl.active++
			s.next(n, g)
			if !g.done {
				return
			}
			fl.active--
		}
	}
	if r.killing && st == state.Success {
		st = state.Killed
	}
	if st == state.Failed && fl.plan != nil && fl.plan.AllowFailure {
		r.log(n).Warn("a task failed; allowed, continuing with WARNING")
		st = state.Warning
	}
	if n == r.root && len(r.flow.Listeners) > 0 && !r.killing {
		fl.listening, fl.mainState, fl.errors = true, st, true
		s.nextListener(n)
		return
	}
	s.endNode(n, st)
}

// nextListener runs the next listener whose conditions hold (Kestra 0.4:
// after the tasks, in declaration order; a failing listener changes
// nothing of the execution's state), and ends the execution after the last.
func (s *step) nextListener(root *node) {
	fl := root.fl
	r := root.run
	for fl.listener < len(r.flow.Listeners) && !r.killing {
		l := r.flow.Listeners[fl.listener]
		fl.listener++
		ok, err := s.listenerApplies(r, l, fl.mainState)
		if err != nil {
			r.log(nil).Warn("listener skipped: its conditions could not be evaluated", "listener", fl.listener, "error", err.Error())
			continue
		}
		if !ok {
			continue
		}
		g := &groupState{tasks: l.Tasks, pos: -1, isErrors: true, index: len(fl.groups)}
		fl.groups = append(fl.groups, g)
		fl.next = len(fl.groups)
		fl.active++
		s.next(root, g)
		if !g.done {
			return
		}
		fl.active--
	}
	s.endNode(root, fl.mainState)
}

// listenerApplies tests a listener's conditions against the execution as
// its tasks left it.
func (s *step) listenerApplies(r *run, l *Listener, st state.State) (bool, error) {
	if len(l.Conditions) == 0 {
		return true, nil
	}
	view := &plugin.ExecutionView{ID: r.ex.ID, Namespace: r.ex.Namespace, FlowID: r.ex.FlowID, State: string(st)}
	for _, n := range r.order {
		if len(n.tr.Attempts) > 1 {
			for _, a := range n.tr.Attempts {
				view.RetriedStates = append(view.RetriedStates, string(a.State))
			}
		}
	}
	vars := r.vars(r.root, 1)
	cc := &plugin.ConditionContext{
		Namespace: r.flow.Namespace, FlowID: r.flow.ID, Execution: view, Now: s.now,
		Render: func(src string) (string, error) { return r.render(context.Background(), src, vars) },
		KV:     s.x.repo.KV(r.flow.Namespace, r.flow.ID),
	}
	for _, c := range l.Conditions {
		ok, err := c.Test(cc)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// endNode gives a flowable (or the execution) its final state.
func (s *step) endNode(n *node, st state.State) {
	fl := n.fl
	fl.ended = true
	r := n.run
	if n == r.root {
		s.endRun(r, st)
		return
	}
	if st == state.Failed && n.tr.Error == "" {
		n.tr.Error = "a child task failed"
	}
	n.tr.SetState(st, s.now)
	s.touchNode(n)
	s.childEnded(n)
}

// endRun ends the execution.
func (s *step) endRun(r *run, st state.State) {
	if r.killing && st != state.Failed {
		st = state.Killed
	}
	r.root.fl.ended = true
	r.ex.SetState(st, s.now)
	r.ex.End = s.now
	r.ex.Owner = nil
	s.touchExec(r)
	s.x.uncount(r) // its slot is free for the QUEUED ones of this step
	r.log(nil).Info("execution ended", "state", string(st), "duration", r.ex.End.Sub(r.ex.Start).Round(time.Millisecond).String())
	s.ended = append(s.ended, r)
	if r.ex.ParentTaskRunID != "" {
		if pr := s.x.runs[r.ex.ParentID]; pr != nil {
			if pn := pr.nodes[r.ex.ParentTaskRunID]; pn != nil {
				s.subflowEnded(pn, r)
			}
		}
	}
}

// checkIdle pauses an execution that has nothing left to run but paused
// task runs; it leaves memory until resumed.
func (s *step) checkIdle(r *run) {
	if r.root.fl.ended || r.busy > 0 || r.paused == 0 {
		return
	}
	if r.ex.State == state.Paused {
		return
	}
	r.ex.SetState(state.Paused, s.now)
	r.ex.Owner = nil
	s.touchExec(r)
	s.x.uncount(r)
	s.ended = append(s.ended, r)
}

// leafEnded records the final state of a leaf task run.
func (s *step) leafEnded(n *node) {
	r := n.run
	r.busy--
	if n.tr.Outputs != nil && (n.tr.State == state.Success || n.tr.State == state.Warning) {
		r.out.set(n.tr.TaskID, n.values, n.tr.Outputs)
	}
	s.childEnded(n)
	s.settle(r)
}

// killRun stops everything of an execution.
func (s *step) killRun(r *run) {
	if r.killing || r.root.fl.ended {
		return
	}
	r.killing = true
	if r.ex.State != state.Running {
		r.ex.SetState(state.Running, s.now)
		r.ex.Owner = s.x.owner
		s.touchExec(r)
		s.x.adopt(r)
		s.x.count(r)
	}
	r.log(nil).Warn("execution killed")
	for _, n := range r.order {
		switch n.tr.State {
		case state.Created, state.Retrying:
			if n.fl == nil {
				n.tr.SetState(state.Killed, s.now)
				switch {
				case n.pending:
					n.pending = false
					s.create(n)
				default:
					s.touchNode(n)
				}
				if n.counted {
					n.counted = false
					s.x.queued--
				}
				r.busy--
				s.childEnded(n)
			}
		case state.Running:
			if n.fl == nil {
				s.x.cancelTaskRun(n.tr.ID)
			} else if n.fl.waiting {
				if n.fl.timer != nil {
					n.fl.timer.Stop()
				}
				if child := s.x.runs[n.fl.child]; child != nil {
					s.killRun(child)
				}
				n.fl.waiting = false
				r.busy--
				s.endNode(n, state.Killed)
			}
		case state.Paused:
			r.paused--
			n.fl.ended = true
			n.tr.SetState(state.Killed, s.now)
			s.touchNode(n)
			s.childEnded(n)
		}
	}
	s.kick(r.root)
	s.settle(r)
}

// resumePaused continues every paused task run of r.
func (s *step) resumePaused(r *run) {
	for _, n := range r.order {
		if n.tr.State == state.Paused && n.fl != nil {
			n.tr.SetState(state.Running, s.now)
			r.paused--
			s.touchNode(n)
			r.log(n).Info("resumed")
			s.kick(n)
		}
	}
	s.kick(r.root)
}

// startChildExecution runs a subflow's child execution.
func (s *step) startChildExecution(n *node, req *plugin.ChildExecution) {
	r := n.run
	fail := func(err error) {
		n.tr.Error = err.Error()
		r.log(n).Error("task failed", "error", err.Error())
		s.endNode(n, state.Failed)
	}
	if r.depth >= 10 {
		fail(errors.New("subflows nested more than 10 deep (a flow calling itself?)"))
		return
	}
	loader := s.x.e.Flows
	if loader == nil {
		loader = DirLoader(r.flow.Dir())
	}
	f, err := loader.Load(req.Namespace, req.FlowID)
	if err != nil {
		fail(err)
		return
	}
	child, err := s.x.newRun(context.Background(), f, req.Inputs, SubmitOptions{ParentID: r.ex.ID})
	if err != nil {
		fail(fmt.Errorf("subflow %s.%s: %w", req.Namespace, req.FlowID, err))
		return
	}
	child.ex.ParentTaskRunID = n.tr.ID
	child.depth = r.depth + 1
	n.fl.child = child.ex.ID
	n.tr.Outputs = map[string]any{"executionId": child.ex.ID}
	s.touchNode(n)
	s.startRun(child)
	if !req.Wait {
		r.log(n).Info("subflow started", "execution", child.ex.ID)
		s.endNode(n, state.Success)
		return
	}
	if !child.root.fl.ended {
		n.fl.waiting = true
		r.busy++
	}
}

// subflowEnded settles the task run waiting for a child execution.
func (s *step) subflowEnded(n *node, child *run) {
	fl := n.fl
	if fl == nil || fl.ended {
		return
	}
	r := n.run
	if fl.waiting {
		fl.waiting = false
		r.busy--
	}
	outs := map[string]any{}
	for _, c := range child.order {
		if c.tr.Outputs != nil && c.tr.Value == "" {
			outs[c.tr.TaskID] = c.tr.Outputs
		}
	}
	var extractErr error
	if sf, ok := n.def.Props.(*Subflow); ok && len(sf.Outputs) > 0 {
		var extracted map[string]any
		if extracted, extractErr = sf.extractOutputs(child); extractErr == nil {
			outs = extracted
		}
	}
	n.tr.Outputs = normalizeOutputs(plugin.Outputs{"executionId": child.ex.ID, "state": string(child.ex.State), "outputs": outs})
	r.out.set(n.tr.TaskID, n.values, n.tr.Outputs)
	r.log(n).Info("subflow ended", "execution", child.ex.ID, "state", string(child.ex.State))
	st := state.Success
	if req := fl.plan.Execution; child.ex.State.Failure() && req.TransmitFailed {
		st = state.Failed
		n.tr.Error = fmt.Sprintf("subflow %s.%s execution %s ended %s", child.ex.Namespace, child.ex.FlowID, child.ex.ID, child.ex.State)
	} else if extractErr != nil {
		st = state.Failed
		n.tr.Error = fmt.Sprintf("extracting outputs from execution %s: %v", child.ex.ID, extractErr)
		r.log(n).Error("task failed", "error", n.tr.Error)
	}
	s.endNode(n, st)
	s.settle(r)
}

// planOf renders a fresh copy of a flowable's properties and asks it for
// its plan. A stored plan (a restarted or taken-over execution) keeps its
// groups: the Each values are those the first run rendered.
func (r *run) planOf(n *node) (*plugin.Plan, error) {
	vars := r.vars(n, 1)
	rc := r.runContext(n, vars, 1)
	defer rc.Cleanup()
	props, err := n.def.NewProps()
	if err != nil {
		return nil, err
	}
	// Plans are made by the executor's loop, which no run owns: the
	// render limits bound the render instead of a run's context.
	if err := r.renderProps(context.Background(), rc, reflect.ValueOf(props), vars); err != nil {
		return nil, err
	}
	fl, ok := props.(plugin.Flowable)
	if !ok {
		return nil, fmt.Errorf("%s is not flowable", n.def.Info.ID)
	}
	plan, err := fl.Plan(context.Background(), rc)
	if err != nil {
		return nil, rc.MaskError(err)
	}
	return plan, nil
}
