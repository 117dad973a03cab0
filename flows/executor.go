package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/queue"
)

// The executor is one goroutine that owns the in-memory mirror of every
// execution this engine runs. Everything that changes an execution (a
// submission, a worker's start or result, a kill, a resume, a timer) is an
// event: a function run on that goroutine against a step. The executor
// takes the events waiting (up to maxBatch), runs them, and commits the
// writes of all of them in one transaction (group commit): compare-and-set
// updates from the stored state each task run had at the start of the
// step, inserts in creation order. Only after the commit are jobs inserted
// into the queue, waiters woken, subscribers and end hooks told. A failed
// commit is a lost write: every execution is failed (best effort) and the
// engine stops with a *state.WriteError.
type executor struct {
	e     *Engine
	repo  state.Repository
	queue queue.Queue
	owner *state.Owner
	inbox chan event
	runs  map[string]*run // executor goroutine only
	// queued counts leaf task runs created and queued, not yet claimed;
	// past maxQueued new ones wait in pending (executor goroutine only).
	queued    int
	maxQueued int
	pending   pendingQueue
	// concurrency: executions running by flow and by namespace, and the
	// QUEUED ones waiting for a slot (executor goroutine only)
	activeFlow map[string]int
	activeNS   map[string]int
	waiting    waitingRuns
	stop       chan struct{}
	done       chan struct{}
	logs       *logSink
	hooks      chan *state.Execution
	hookWG     sync.WaitGroup

	// workers
	workCtx    context.Context
	cancelWork context.CancelFunc
	workWG     sync.WaitGroup
	handing    bool // shutdown past its deadline: running task runs are handed back

	mu      sync.Mutex // guards the fields below (read outside the loop)
	fatal   error
	waiters map[string][]chan struct{}
	running map[string]context.CancelFunc // task run id → cancel of its attempt
	live    map[string]bool               // executions in memory
}

// event is a change run on the executor goroutine; done (optional) runs
// there after the commit with its outcome and must not block.
type event struct {
	fn   func(s *step)
	done func(err error)
}

const maxBatch = 1024

func newExecutor(e *Engine) (*executor, error) {
	if e.Repo == nil {
		return nil, errors.New("engine: no state repository")
	}
	q := e.Queue
	if q == nil {
		q = queue.NewLocal()
	}
	host, _ := os.Hostname()
	now := time.Now()
	x := &executor{
		e: e, repo: e.Repo, queue: q,
		owner: &state.Owner{Host: host, PID: os.Getpid(), Started: now.Truncate(time.Microsecond), Heartbeat: now},
		inbox: make(chan event, 4096), runs: map[string]*run{},
		activeFlow: map[string]int{}, activeNS: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{}),
		hooks:   make(chan *state.Execution, 1024),
		waiters: map[string][]chan struct{}{}, running: map[string]context.CancelFunc{}, live: map[string]bool{},
	}
	x.logs = newLogSink(e.Repo, &e.subs)
	x.maxQueued = e.MaxQueued
	if x.maxQueued <= 0 {
		x.maxQueued = 4 * e.workers()
	}
	x.workCtx, x.cancelWork = context.WithCancel(context.Background())
	return x, nil
}

func (x *executor) lease() time.Duration {
	if x.e.Lease > 0 {
		return x.e.Lease
	}
	return time.Minute
}

func (x *executor) start() {
	go x.loop()
	for range x.e.workers() {
		x.workWG.Add(1)
		go x.worker()
	}
	x.hookWG.Add(1)
	go x.runHooks()
	go x.heartbeat()
	x.reapOrphans()
	if x.e.TakeOver {
		go x.takeOver()
	}
}

// send queues an event; it fails once the executor has stopped.
func (x *executor) send(ev event) error {
	select {
	case <-x.done:
		return x.stopErr()
	default:
	}
	select {
	case x.inbox <- ev:
		return nil
	case <-x.done:
		return x.stopErr()
	}
}

// call runs fn on the executor goroutine and waits for its commit.
func (x *executor) call(ctx context.Context, fn func(s *step) error) error {
	res := make(chan error, 1)
	var fnErr error
	err := x.send(event{
		fn: func(s *step) { fnErr = fn(s) },
		done: func(err error) {
			if fnErr != nil {
				err = fnErr
			}
			res <- err
		},
	})
	if err != nil {
		return err
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (x *executor) stopErr() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fatal != nil {
		return x.fatal
	}
	return ErrNotRunning
}

func (x *executor) loop() {
	defer close(x.done)
	batch := make([]event, 0, maxBatch)
	for {
		select {
		case ev := <-x.inbox:
			batch = append(batch[:0], ev)
		case <-x.stop:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case ev := <-x.inbox:
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		s := newStep(x)
		for _, ev := range batch {
			s.run(ev.fn)
		}
		s.admitQueued()
		s.admitPending()
		err := s.commit()
		for _, ev := range batch {
			if ev.done != nil {
				ev.done(err)
			}
		}
		if err != nil {
			x.lostWrite(err)
			return
		}
		s.publish()
		clear(batch)
	}
}

// lostWrite handles a commit that failed: the state database no longer
// takes writes. Every execution in memory is failed with the reason (each
// in its own transaction, best effort: if these fail too, the owner's
// heartbeat stops and the next process to look kills them as orphans), and
// the engine stops.
func (x *executor) lostWrite(err error) {
	var we *state.WriteError
	if !errors.As(err, &we) {
		err = &state.WriteError{Err: err}
	}
	x.mu.Lock()
	x.fatal = err
	x.mu.Unlock()
	x.cancelWork()
	now := time.Now()
	for _, r := range x.runs {
		from := r.stored
		ex := r.row()
		ex.SetState(state.Failed, now)
		ex.End = now
		ex.Owner = nil
		ex.Error = err.Error()
		_ = x.repo.Tx(context.Background(), func(tx state.Tx) error { return tx.UpdateExecution(context.Background(), ex, from) })
		x.wake(r.ex.ID)
	}
	x.queue.Close()
}

func (x *executor) wake(id string) {
	x.mu.Lock()
	ws := x.waiters[id]
	delete(x.waiters, id)
	x.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// wait blocks until the execution is not in memory any more (ended or
// paused) and returns its stored record.
func (x *executor) wait(ctx context.Context, id string) (*state.Execution, error) {
	for {
		x.mu.Lock()
		fatal := x.fatal
		live := x.live[id]
		var w chan struct{}
		if live && fatal == nil {
			w = make(chan struct{})
			x.waiters[id] = append(x.waiters[id], w)
		}
		x.mu.Unlock()
		if w == nil {
			ex, err := x.repo.GetExecution(ctx, id)
			if fatal != nil {
				return ex, fatal
			}
			return ex, err
		}
		select {
		case <-w:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (x *executor) shutdown(ctx context.Context) error {
	// No new task run starts; running ones finish, or are handed back
	// once ctx is done.
	x.queue.Close()
	finished := make(chan struct{})
	go func() { x.workWG.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		x.mu.Lock()
		x.handing = true
		x.mu.Unlock()
		x.cancelWork()
		<-finished
	}
	// Release the executions still in memory: no owner, so the next
	// engine takes them over.
	_ = x.call(context.Background(), func(s *step) error {
		for _, r := range x.runs {
			r.ex.Owner = nil
			s.touchExec(r)
		}
		return nil
	})
	close(x.stop)
	<-x.done
	close(x.hooks)
	x.hookWG.Wait()
	x.logs.close()
	return x.stopErr2()
}

func (x *executor) stopErr2() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.fatal
}

// heartbeat refreshes the lease of every execution this engine owns.
func (x *executor) heartbeat() {
	t := time.NewTicker(x.lease() / 4)
	defer t.Stop()
	for {
		select {
		case <-x.done:
			return
		case now := <-t.C:
			if err := x.repo.Heartbeat(context.Background(), x.owner, now); err != nil {
				x.e.logger().Warn("heartbeat failed", "error", err)
			}
		}
	}
}

func (x *executor) runHooks() {
	defer x.hookWG.Done()
	for ex := range x.hooks {
		x.e.mu.Lock()
		hooks := append([]EndHook(nil), x.e.hooks...)
		x.e.mu.Unlock()
		for _, h := range hooks {
			func() {
				defer func() {
					if p := recover(); p != nil {
						x.e.logger().Error("execution end hook panicked", "execution", ex.ID, "panic", fmt.Sprint(p))
					}
				}()
				h(context.Background(), ex)
			}()
		}
	}
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(discardHandler{})
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// step collects the writes of one batch of events.
type step struct {
	x   *executor
	now time.Time
	// task runs: first state seen in the step (the stored one), creation
	// order of the new ones
	from    map[*node]state.State
	created []*node
	isNew   map[*node]bool
	// executions: the stored state at the start of the step
	execFrom map[*run]state.State
	newRuns  []*run
	jobs     []queue.Job
	changed  []*node
	ended    []*run
	deletes  []deletion
	work     []workItem0
}

func newStep(x *executor) *step {
	return &step{x: x, now: time.Now(), from: map[*node]state.State{}, isNew: map[*node]bool{}, execFrom: map[*run]state.State{}}
}

// run runs an event, turning a panic into a logged error (a bug must not
// take the executor down with every execution).
func (s *step) run(fn func(*step)) {
	defer func() {
		if p := recover(); p != nil {
			s.x.e.logger().Error("executor event panicked", "panic", fmt.Sprint(p))
		}
	}()
	fn(s)
}

// touch records that n changed in this step.
func (s *step) touch(n *node) {
	if _, ok := s.from[n]; !ok && !s.isNew[n] {
		s.from[n] = n.stored
	}
	s.changed = append(s.changed, n)
}

func (s *step) create(n *node) {
	s.isNew[n] = true
	s.created = append(s.created, n)
	s.changed = append(s.changed, n)
}

func (s *step) touchExec(r *run) {
	if _, ok := s.execFrom[r]; !ok && !r.isNew {
		s.execFrom[r] = r.stored
	}
}

func (s *step) enqueue(r *run, n *node) {
	s.jobs = append(s.jobs, queue.Job{ExecutionID: r.ex.ID, TaskRunID: n.tr.ID, Group: r.ex.Namespace + "." + r.ex.FlowID, RunAt: n.tr.RunAt})
}

// commit writes the step in one transaction.
func (s *step) commit() error {
	if len(s.from) == 0 && len(s.created) == 0 && len(s.execFrom) == 0 && len(s.newRuns) == 0 && len(s.deletes) == 0 {
		return nil
	}
	ctx := context.Background()
	err := s.x.repo.Tx(ctx, func(tx state.Tx) error {
		for _, r := range s.newRuns {
			if err := tx.CreateExecution(ctx, r.row()); err != nil {
				return err
			}
		}
		for _, d := range s.deletes {
			if err := tx.DeleteTaskRuns(ctx, d.r.ex.ID, d.id); err != nil {
				return err
			}
		}
		// Creations first (in order), grouped by execution.
		for i := 0; i < len(s.created); {
			r := s.created[i].run
			j := i
			var trs []*state.TaskRun
			for j < len(s.created) && s.created[j].run == r {
				trs = append(trs, s.created[j].tr)
				j++
			}
			if err := tx.CreateTaskRuns(ctx, r.ex.ID, trs...); err != nil {
				return err
			}
			i = j
		}
		for n, from := range s.from {
			if err := tx.UpdateTaskRun(ctx, n.run.ex.ID, n.tr, from); err != nil {
				return err
			}
		}
		for r, from := range s.execFrom {
			if err := tx.UpdateExecution(ctx, r.row(), from); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range s.created {
		n.stored = n.tr.State
	}
	for n := range s.from {
		n.stored = n.tr.State
	}
	for _, r := range s.newRuns {
		r.isNew = false
		r.stored = r.ex.State
	}
	for r := range s.execFrom {
		r.stored = r.ex.State
	}
	return nil
}

// publish tells the world what committed: jobs to the queue, events to
// subscribers and OnTaskRun, waiters and end hooks.
func (s *step) publish() {
	x := s.x
	if len(s.jobs) > 0 {
		if err := x.queue.Insert(context.Background(), s.jobs...); err != nil && !errors.Is(err, queue.ErrClosed) {
			x.e.logger().Error("queue insert failed", "error", err)
		}
	}
	seen := map[*node]bool{}
	rows := map[*run]*state.Execution{}
	for _, n := range s.changed {
		if seen[n] {
			continue
		}
		seen[n] = true
		cp := n.tr.Clone()
		if h := x.e.OnTaskRun; h != nil {
			row := rows[n.run]
			if row == nil {
				row = n.run.row()
				rows[n.run] = row
			}
			h(row, cp)
		}
		x.e.subs.publish(Event{Kind: EventTaskRun, ExecutionID: n.run.ex.ID, TaskRun: cp})
	}
	for r := range s.execFrom {
		x.e.subs.publish(Event{Kind: EventExecution, ExecutionID: r.ex.ID, Execution: r.row()})
	}
	for _, r := range s.newRuns {
		x.e.subs.publish(Event{Kind: EventExecution, ExecutionID: r.ex.ID, Execution: r.row()})
	}
	for _, r := range s.ended {
		x.forget(r)
		if r.ex.State.Terminated() {
			snap := r.snapshot()
			select {
			case x.hooks <- snap:
			default:
				// Hooks are behind by a full buffer: wait rather than lose
				// an end (Flow triggers depend on it).
				x.hooks <- snap
			}
		}
	}
}

// forget drops an ended (or paused) execution from memory.
func (x *executor) forget(r *run) {
	x.uncount(r)
	delete(x.runs, r.ex.ID)
	x.mu.Lock()
	delete(x.live, r.ex.ID)
	x.mu.Unlock()
	x.wake(r.ex.ID)
}

// adopt puts a run in memory (new or loaded).
func (x *executor) adopt(r *run) {
	x.runs[r.ex.ID] = r
	x.mu.Lock()
	x.live[r.ex.ID] = true
	x.mu.Unlock()
}

// submit creates an execution; parent, when set, is the subflow task run
// waiting for it (called on the executor goroutine then).
func (x *executor) submit(ctx context.Context, f *Flow, raw map[string]any, opts SubmitOptions, _ *node) (*state.Execution, error) {
	r, err := x.newRun(ctx, f, raw, opts)
	if err != nil {
		return nil, err
	}
	var out *state.Execution
	if err := x.call(ctx, func(s *step) error {
		s.startRun(r)
		out = r.snapshot()
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// newRun prepares a new execution of f (inputs parsed, files uploaded),
// not yet stored.
func (x *executor) newRun(ctx context.Context, f *Flow, raw map[string]any, opts SubmitOptions) (*run, error) {
	if f.Disabled {
		return nil, &InputError{fmt.Errorf("flow %s.%s is disabled", f.Namespace, f.ID)}
	}
	id := opts.ID
	if id == "" {
		id = NewID()
	}
	inputs, err := ParseInputs(ctx, f, raw, x.e.Store, id)
	if err != nil {
		return nil, &InputError{err}
	}
	labels := map[string]string{}
	for k, v := range f.Labels {
		labels[k] = v
	}
	for k, v := range opts.Labels {
		labels[k] = v
	}
	if len(labels) == 0 {
		labels = nil
	}
	ex := &state.Execution{
		ID: id, Namespace: f.Namespace, FlowID: f.ID, FlowRevision: opts.FlowRevision,
		FlowSource: string(f.Source), FlowFile: f.File,
		Inputs: inputs, Labels: labels, ParentID: opts.ParentID, Trigger: opts.Trigger,
	}
	return newRun(x, f, ex), nil
}

// startRun stores a new execution and starts its first tasks.
func (s *step) startRun(r *run) {
	x := s.x
	r.isNew = true
	r.ex.Owner = x.owner
	r.ex.SetState(state.Created, s.now)
	r.ex.Start = s.now
	s.newRuns = append(s.newRuns, r)
	x.adopt(r)
	if why, full := x.full(r); full {
		behavior := "QUEUE"
		if c := r.flow.Concurrency; c != nil && c.Behavior != "" && why == "flow" {
			behavior = c.Behavior
		}
		switch behavior {
		case "CANCEL", "FAIL":
			st := state.Killed
			if behavior == "FAIL" {
				st = state.Failed
			}
			r.ex.Error = fmt.Sprintf("the %s's concurrency limit is reached (%s)", why, behavior)
			r.log(nil).Warn(r.ex.Error)
			r.root.fl.ended = true
			r.ex.SetState(st, s.now)
			r.ex.End = s.now
			r.ex.Owner = nil
			s.ended = append(s.ended, r)
			return
		}
		r.ex.SetState(state.Queued, s.now)
		r.log(nil).Info("execution queued: the " + why + "'s concurrency limit is reached")
		x.waiting.push(r)
		return
	}
	s.begin(r)
}

// begin runs an execution that may run now.
func (s *step) begin(r *run) {
	x := s.x
	x.count(r)
	r.ex.SetState(state.Running, s.now)
	s.touchExec(r)
	r.log(nil).Info("execution started", "flow", r.flow.Namespace+"."+r.flow.ID, "restart", r.ex.RestartCount)
	s.kick(r.root)
	s.settle(r)
}

// full reports whether r's flow ("flow") or namespace ("namespace") has
// its concurrency limit of running executions reached.
func (x *executor) full(r *run) (string, bool) {
	if c := r.flow.Concurrency; c != nil && c.Limit > 0 && x.activeFlow[flowKey(r)] >= c.Limit {
		return "flow", true
	}
	if lim := x.e.NamespaceLimits[r.ex.Namespace]; lim > 0 && x.activeNS[r.ex.Namespace] >= lim {
		return "namespace", true
	}
	return "", false
}

func flowKey(r *run) string { return r.ex.Namespace + "." + r.ex.FlowID }

func (x *executor) count(r *run) {
	if !r.counted {
		r.counted = true
		x.activeFlow[flowKey(r)]++
		x.activeNS[r.ex.Namespace]++
	}
}

func (x *executor) uncount(r *run) {
	if r.counted {
		r.counted = false
		x.activeFlow[flowKey(r)]--
		x.activeNS[r.ex.Namespace]--
	}
}

// admitQueued starts the QUEUED executions that fit now, flows in turn.
func (s *step) admitQueued() {
	s.x.waiting.admit(func(r *run) (ok, drop bool) {
		if s.x.runs[r.ex.ID] != r || r.root.fl.ended || r.ex.State != state.Queued {
			return false, true
		}
		if _, full := s.x.full(r); full {
			return false, false
		}
		s.begin(r)
		return true, false
	})
}

// waitingRuns are QUEUED executions, a FIFO per flow.
type waitingRuns struct {
	byFlow map[string][]*run
	order  []string
}

func (w *waitingRuns) push(r *run) {
	if w.byFlow == nil {
		w.byFlow = map[string][]*run{}
	}
	k := flowKey(r)
	if len(w.byFlow[k]) == 0 {
		w.order = append(w.order, k)
	}
	w.byFlow[k] = append(w.byFlow[k], r)
}

// admit offers each flow's oldest waiting execution to try, in turn, until
// no flow can start one; try says whether it started (or is to be
// dropped).
func (w *waitingRuns) admit(try func(*run) (ok, drop bool)) {
	for progress := true; progress && len(w.order) > 0; {
		progress = false
		keep := w.order[:0]
		for _, k := range w.order {
			list := w.byFlow[k]
			for len(list) > 0 {
				ok, drop := try(list[0])
				if !ok && !drop {
					break
				}
				list[0] = nil
				list = list[1:]
				if ok {
					progress = true
					break // others' turn
				}
			}
			if len(list) == 0 {
				delete(w.byFlow, k)
				continue
			}
			w.byFlow[k] = list
			keep = append(keep, k)
		}
		w.order = keep
	}
}

// kill stops an execution this engine runs.
func (x *executor) kill(ctx context.Context, id string) error {
	return x.call(ctx, func(s *step) error {
		r := x.runs[id]
		if r == nil {
			ex, err := x.repo.GetExecution(ctx, id)
			if err != nil {
				return err
			}
			if ex.State.Terminated() {
				return fmt.Errorf("execution %s already ended %s", ex.ID, ex.State)
			}
			if ex.State != state.Paused {
				return fmt.Errorf("execution %s is %s but not run by this engine (owner %v)", ex.ID, ex.State, ex.Owner)
			}
			f, err := x.e.parseStored(ex)
			if err != nil {
				return err
			}
			if r, err = x.load(s, f, ex); err != nil {
				return err
			}
			s.touchExec(r)
		}
		s.killRun(r)
		return nil
	})
}

// resume continues a paused execution.
func (x *executor) resume(ctx context.Context, id string) (*state.Execution, error) {
	ex, err := x.repo.GetExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	if ex.State != state.Paused {
		return nil, fmt.Errorf("execution %s is %s: only a PAUSED execution can be resumed", ex.ID, ex.State)
	}
	f, err := x.e.parseStored(ex)
	if err != nil {
		return nil, err
	}
	var out *state.Execution
	err = x.call(ctx, func(s *step) error {
		r, err := x.load(s, f, ex)
		if err != nil {
			return err
		}
		s.touchExec(r)
		r.ex.Owner = x.owner
		r.ex.SetState(state.Running, s.now)
		s.resumePaused(r)
		s.settle(r)
		out = r.snapshot()
		return nil
	})
	return out, err
}

var errStale = errors.New("task run is not runnable any more")

// claim marks a queued task run RUNNING for a worker (on the executor
// goroutine) and returns what the worker needs.
func (s *step) claim(job queue.Job) (*workItem, error) {
	r := s.x.runs[job.ExecutionID]
	if r == nil {
		return nil, errStale
	}
	n := r.nodes[job.TaskRunID]
	if n == nil || (n.tr.State != state.Created && n.tr.State != state.Retrying) || r.killing {
		return nil, errStale
	}
	if n.counted {
		n.counted = false
		s.x.queued--
	}
	s.touch(n)
	n.tr.RunAt = time.Time{}
	n.tr.SetState(state.Running, s.now)
	return r.workItem(n, len(n.tr.Attempts)+1, job.Inserted), nil
}

func (x *executor) checkDef(n *node) error {
	if n.def == nil {
		return fmt.Errorf("task %q is not in the flow", n.tr.TaskID)
	}
	if _, ok := n.def.Props.(plugin.Flowable); ok {
		return fmt.Errorf("task %q is flowable", n.tr.TaskID)
	}
	return nil
}
