package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/queue"
)

// workItem is what a worker needs to run one attempt, built on the
// executor goroutine when the task run is claimed.
type workItem struct {
	r        *run
	def      *plugin.TaskDef
	id       string
	attempt  int
	vars     map[string]any
	rc       *plugin.RunContext
	inserted time.Time
	created  time.Time
	started  time.Time
}

func (r *run) workItem(n *node, attempt int, inserted time.Time) *workItem {
	vars := r.vars(n, attempt)
	w := &workItem{r: r, def: n.def, id: n.tr.ID, attempt: attempt, vars: vars,
		rc: r.runContext(n, vars, attempt), inserted: inserted, started: time.Now()}
	if attempt == 1 && len(n.tr.Histories) > 0 {
		w.created = n.tr.Histories[0].Date
	}
	return w
}

// result is the outcome of one attempt.
type result struct {
	job      queue.Job
	out      map[string]any
	err      error
	st       state.State
	start    time.Time
	end      time.Time
	handBack bool
}

// worker takes jobs, claims their task runs, runs one attempt and reports.
func (x *executor) worker() {
	defer x.workWG.Done()
	for {
		job, err := x.queue.Next(x.workCtx)
		if err != nil {
			return
		}
		// The claim is decided on the executor goroutine, which owns the
		// run: the worker starts at once, and RUNNING is committed with the
		// next batch (if the process dies first, the task run is still
		// CREATED in the state and runs again: at least once).
		claimed := make(chan *workItem, 1)
		err = x.send(event{fn: func(s *step) {
			var item *workItem
			defer func() { claimed <- item }() // also when the claim panics
			item, err := s.claim(job)
			if err == nil {
				n := s.x.runs[job.ExecutionID].nodes[job.TaskRunID]
				if err = x.checkDef(n); err != nil {
					// Not runnable: fail it at once.
					n.tr.Error = err.Error()
					n.tr.SetState(state.Failed, s.now)
					s.leafEnded(n)
					item = nil
				}
			}
		}})
		if err != nil {
			return
		}
		var item *workItem
		select {
		case item = <-claimed:
		case <-x.done:
			return
		}
		if item == nil {
			continue
		}
		x.e.observeStart(item)
		res := x.execute(job, item)
		if err := x.send(event{fn: func(s *step) { s.finish(res) }}); err != nil {
			return
		}
	}
}

// execute runs one attempt, cancellable by a kill (or a hard shutdown).
func (x *executor) execute(job queue.Job, w *workItem) result {
	ctx, cancel := context.WithCancel(x.workCtx)
	defer cancel()
	x.mu.Lock()
	x.running[w.id] = cancel
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		delete(x.running, w.id)
		x.mu.Unlock()
	}()
	start := time.Now()
	out, err := w.r.attempt(ctx, w)
	res := result{job: job, out: out, err: err, start: start, end: time.Now()}
	var warn *plugin.WarningError
	switch {
	case err == nil:
		res.st = state.Success
	case errors.As(err, &warn):
		res.st, res.err = state.Warning, nil
		w.r.log(&node{tr: &state.TaskRun{ID: w.id, TaskID: w.def.ID}}).Warn(warn.Error())
	case errors.Is(err, plugin.ErrPaused):
		// A task asking to pause: the execution pauses on it.
		res.st, res.err = state.Paused, nil
	case ctx.Err() != nil:
		res.st = state.Killed
		x.mu.Lock()
		res.handBack = x.handing
		x.mu.Unlock()
	default:
		res.st = state.Failed
	}
	return res
}

func (x *executor) cancelTaskRun(id string) {
	x.mu.Lock()
	cancel := x.running[id]
	x.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// finish records an attempt's outcome: the next attempt scheduled, or the
// task run's end and what follows from it, in this step's transaction.
func (s *step) finish(res result) {
	r := s.x.runs[res.job.ExecutionID]
	if r == nil {
		return
	}
	n := r.nodes[res.job.TaskRunID]
	if n == nil || n.tr.State != state.Running {
		return
	}
	if res.handBack {
		// Shut down before it finished: back to CREATED, for the engine
		// that takes the execution over.
		n.tr.SetState(state.Created, s.now)
		s.touch(n)
		return
	}
	a := state.Attempt{State: res.st, Start: res.start, End: res.end}
	if res.err != nil {
		a.Error = res.err.Error()
	}
	s.touch(n)
	n.tr.Attempts = append(n.tr.Attempts, a)
	if res.out != nil {
		n.tr.Outputs = res.out
	}
	st := res.st
	if st == state.Failed && !r.killing {
		attempt := len(n.tr.Attempts)
		elapsed := s.now.Sub(n.tr.Attempts[0].Start)
		wait, ok := nextRetry(n.def.Retry, attempt, elapsed)
		if ok && plugin.IsPermanent(res.err) {
			// A template that does not render or a value that does not
			// convert fails the same way on every attempt.
			r.log(n).Warn("not retried: the error is in the flow or the data, not transient", "attempt", attempt)
			ok = false
		}
		if ok {
			r.log(n).Warn("attempt failed, retrying", "attempt", attempt, "wait", wait.String(), "error", res.err.Error())
			n.tr.RunAt = s.now.Add(wait)
			n.tr.SetState(state.Retrying, s.now)
			s.enqueue(r, n)
			return
		}
		if attempt > 1 {
			res.err = fmt.Errorf("after %d attempts: %w", attempt, res.err)
		}
	}
	if st == state.Success && len(n.tr.Attempts) > 1 && n.def.Retry != nil && n.def.Retry.WarningOnRetry {
		st = state.Warning
	}
	if r.killing && st == state.Failed {
		st = state.Killed
	}
	if res.err != nil {
		n.tr.Error = res.err.Error()
		if st == state.Failed {
			r.log(n).Error("task failed", "error", n.tr.Error)
		}
	}
	if st == state.Paused {
		// A leaf that paused: resuming ends it SUCCESS.
		n.fl = &flowState{planned: true, plan: &plugin.Plan{}}
		n.tr.SetState(state.Paused, s.now)
		r.busy--
		r.paused++
		s.settle(r)
		return
	}
	n.tr.SetState(st, s.now)
	s.leafEnded(n)
}
