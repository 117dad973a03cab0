// Package queue is the seam between the executor, which creates task runs,
// and the workers that run them.
//
// A job names one task run. The executor inserts jobs once the step that
// created (or rescheduled) their task runs has committed; a worker takes
// the next due job, runs the task run and reports the result to the
// executor. In a cluster the queue is River on PostgreSQL, whose InsertTx
// puts the job in the very transaction that creates the task run; the
// embedded default is Local, in this process. Delivery is at least once: a
// worker claims its task run with a compare-and-set on the task run's state
// before running it, so a job delivered twice runs once.
package queue

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// Job is one task run to run.
type Job struct {
	ExecutionID string
	TaskRunID   string
	// Group is what fair sharing is fair between: jobs of different groups
	// (flows) are taken in turn, so one flow's burst does not starve the
	// others.
	Group string
	// RunAt is when the job is due (a retry's backoff); zero: now.
	RunAt time.Time
	// Inserted is set by Insert: the start delay of a task run is measured
	// from it.
	Inserted time.Time
}

// Queue holds jobs until workers take them.
type Queue interface {
	// Insert adds jobs.
	Insert(ctx context.Context, jobs ...Job) error
	// Next blocks until a job is due and returns it, or returns ctx's error
	// or ErrClosed.
	Next(ctx context.Context) (Job, error)
	// Len is the number of jobs waiting, due or not (the queue depth).
	Len() int
	// Close wakes every Next with ErrClosed; jobs left are dropped (their
	// task runs are in the state, a restarted executor inserts them again).
	Close() error
}

// ErrClosed is returned by Next once the queue is closed.
var ErrClosed = errors.New("queue closed")

// Local is the in-process queue: a FIFO per group, served round robin,
// and a timer heap for jobs not yet due. It is safe for concurrent use.
type Local struct {
	mu      sync.Mutex
	cond    chan struct{} // closed and replaced to wake waiters
	groups  map[string]*fifo
	ring    []string // groups with due jobs, in turn order
	later   delayed
	timer   *time.Timer
	timerAt time.Time
	n       int
	closed  bool
	now     func() time.Time
}

type fifo struct {
	jobs []Job
	head int
}

// NewLocal returns an empty in-process queue.
func NewLocal() *Local {
	return &Local{cond: make(chan struct{}), groups: map[string]*fifo{}, now: time.Now}
}

func (q *Local) Insert(_ context.Context, jobs ...Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	now := q.now()
	for _, j := range jobs {
		j.Inserted = now
		q.n++
		if j.RunAt.After(now) {
			heap.Push(&q.later, j)
			continue
		}
		q.pushDue(j)
	}
	q.armTimer(now)
	q.wake()
	return nil
}

func (q *Local) pushDue(j Job) {
	f := q.groups[j.Group]
	if f == nil {
		f = &fifo{}
		q.groups[j.Group] = f
	}
	if len(f.jobs) == f.head {
		q.ring = append(q.ring, j.Group)
	}
	f.jobs = append(f.jobs, j)
}

// armTimer makes sure the next delayed job wakes the waiters when due.
func (q *Local) armTimer(now time.Time) {
	if len(q.later) == 0 {
		return
	}
	at := q.later[0].RunAt
	if q.timer != nil && !q.timerAt.IsZero() && !at.Before(q.timerAt) {
		return
	}
	if q.timer != nil {
		q.timer.Stop()
	}
	q.timerAt = at
	q.timer = time.AfterFunc(at.Sub(now), func() {
		q.mu.Lock()
		q.timerAt = time.Time{}
		q.promote(q.now())
		q.armTimer(q.now())
		q.wake()
		q.mu.Unlock()
	})
}

// promote moves due delayed jobs to their group's FIFO.
func (q *Local) promote(now time.Time) {
	for len(q.later) > 0 && !q.later[0].RunAt.After(now) {
		q.pushDue(heap.Pop(&q.later).(Job))
	}
}

func (q *Local) wake() {
	close(q.cond)
	q.cond = make(chan struct{})
}

func (q *Local) Next(ctx context.Context) (Job, error) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return Job{}, ErrClosed
		}
		q.promote(q.now())
		if len(q.ring) > 0 {
			g := q.ring[0]
			q.ring = q.ring[1:]
			f := q.groups[g]
			j := f.jobs[f.head]
			f.jobs[f.head] = Job{}
			f.head++
			if f.head == len(f.jobs) {
				delete(q.groups, g)
			} else {
				q.ring = append(q.ring, g) // its turn comes again after the others
			}
			q.n--
			q.mu.Unlock()
			return j, nil
		}
		wait := q.cond
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return Job{}, ctx.Err()
		case <-wait:
		}
	}
}

func (q *Local) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *Local) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		if q.timer != nil {
			q.timer.Stop()
		}
		q.wake()
	}
	return nil
}

// delayed is a min-heap of jobs by RunAt.
type delayed []Job

func (d delayed) Len() int           { return len(d) }
func (d delayed) Less(i, j int) bool { return d[i].RunAt.Before(d[j].RunAt) }
func (d delayed) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *delayed) Push(x any)        { *d = append(*d, x.(Job)) }
func (d *delayed) Pop() any {
	old := *d
	j := old[len(old)-1]
	*d = old[:len(old)-1]
	return j
}

var _ Queue = (*Local)(nil)
