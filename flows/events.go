package flows

import (
	"sync"

	"github.com/sluicehq/sluice/flows/state"
)

// EventKind says what an Event carries.
type EventKind int

const (
	// EventExecution: the execution's own record changed (state, end).
	EventExecution EventKind = iota + 1
	// EventTaskRun: a task run was created or changed state.
	EventTaskRun
	// EventLog: a log line was stored.
	EventLog
)

// Event is a committed change, for followers (the API's Server-Sent
// Events, a terminal display). Values are copies the receiver may keep.
type Event struct {
	Kind        EventKind
	ExecutionID string
	Execution   *state.Execution // EventExecution, without task runs
	TaskRun     *state.TaskRun   // EventTaskRun
	Log         *state.LogEntry  // EventLog
}

// Subscribe follows the events of one execution ("" for all of them). The
// channel is buffered; a subscriber that falls more than its buffer behind
// is dropped (its channel closed) rather than slowing the executor: it then
// reads the state from the repository and subscribes again. cancel ends the
// subscription and closes the channel.
func (e *Engine) Subscribe(executionID string) (events <-chan Event, cancel func()) {
	return e.subs.add(executionID)
}

type subscriber struct {
	id string
	ch chan Event
}

type subscribers struct {
	mu   sync.Mutex
	list map[*subscriber]struct{}
}

const subscriberBuffer = 4096

func (ss *subscribers) add(id string) (<-chan Event, func()) {
	s := &subscriber{id: id, ch: make(chan Event, subscriberBuffer)}
	ss.mu.Lock()
	if ss.list == nil {
		ss.list = map[*subscriber]struct{}{}
	}
	ss.list[s] = struct{}{}
	ss.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			ss.mu.Lock()
			if _, ok := ss.list[s]; ok {
				delete(ss.list, s)
				close(s.ch)
			}
			ss.mu.Unlock()
		})
	}
}

func (ss *subscribers) publish(ev Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for s := range ss.list {
		if s.id != "" && s.id != ev.ExecutionID {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(ss.list, s)
			close(s.ch)
		}
	}
}

// observeStart reports a task run's start delay (created → claimed by a
// worker) to StartDelay.
func (e *Engine) observeStart(w *workItem) {
	if e.StartDelay != nil && !w.created.IsZero() {
		e.StartDelay(w.started.Sub(w.created))
	}
}
