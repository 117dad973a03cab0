package flows

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/loglevel"
)

// Attributes of every line the engine's Logger receives (attempt is set on
// the lines of a task's attempt).
const (
	LogExecutionID = "execution_id"
	LogTaskRunID   = "task_run_id"
	LogTaskID      = "task_id"
	LogValue       = "value"
	LogAttempt     = "attempt"
)

// runHandler sends a task run's log records to the engine's logger and to
// the repository.
type runHandler struct {
	r         *run
	level     slog.Level
	taskID    string
	taskRunID string
	value     string // the Each iteration, "" elsewhere
	attrs     []slog.Attr
	group     string
}

func (h *runHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *runHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := map[string]any{}
	for _, a := range h.attrs {
		attrs[a.Key] = a.Value.Resolve().Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.Resolve().Any()
		return true
	})
	if h.value != "" {
		attrs[LogValue] = h.value
	}
	for k, v := range attrs {
		if err, ok := v.(error); ok {
			attrs[k] = err.Error()
		}
		if d, ok := v.(time.Duration); ok {
			attrs[k] = d.String()
		}
	}
	h.r.x.logs.add(state.LogEntry{
		ExecutionID: h.r.ex.ID, TaskRunID: h.taskRunID, TaskID: h.taskID,
		Time: r.Time, Level: loglevel.Name(r.Level), Message: r.Message, Attrs: attrs,
	})
	if l := h.r.x.e.Logger; l != nil && l.Enabled(ctx, r.Level) {
		// The line names its execution, task run, task and iteration, so
		// that one log stream of many executions can be filtered.
		out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
		out.AddAttrs(slog.String(LogExecutionID, h.r.ex.ID))
		if h.taskID != "" {
			out.AddAttrs(slog.String(LogTaskRunID, h.taskRunID), slog.String(LogTaskID, h.taskID))
		}
		if h.value != "" {
			out.AddAttrs(slog.String(LogValue, h.value))
		}
		out.AddAttrs(h.attrs...)
		r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
		return l.Handler().Handle(ctx, out)
	}
	return nil
}

func (h *runHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

func (h *runHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.group = name
	return &c
}

// logSink batches the log entries of every execution of the engine into
// the repository from one goroutine, so that a chatty task never waits on
// the database; stored lines are published to subscribers.
type logSink struct {
	repo    state.Repository
	subs    *subscribers
	mu      sync.Mutex
	buf     []state.LogEntry
	wake    chan struct{}
	done    chan struct{}
	closing sync.Once
	closed  bool
}

func newLogSink(repo state.Repository, subs *subscribers) *logSink {
	s := &logSink{repo: repo, subs: subs, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *logSink) add(e state.LogEntry) {
	s.mu.Lock()
	s.buf = append(s.buf, e)
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.flush()
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *logSink) loop() {
	defer close(s.done)
	for {
		_, open := <-s.wake
		s.flush()
		if !open {
			return
		}
		// Let lines gather: one transaction for many of them.
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *logSink) flush() {
	s.mu.Lock()
	batch := s.buf
	s.buf = nil
	s.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := s.repo.AppendLogs(context.Background(), batch); err != nil {
		return
	}
	for i := range batch {
		l := batch[i]
		s.subs.publish(Event{Kind: EventLog, ExecutionID: l.ExecutionID, Log: &l})
	}
}

// close flushes what is left; later entries are stored synchronously.
func (s *logSink) close() {
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.wake)
		<-s.done
	})
	s.flush()
}
