package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
)

// sse writes Server-Sent Events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) (*sse, error) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, errorf(http.StatusNotAcceptable, "this connection cannot stream events")
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	f.Flush()
	return &sse{w: w, f: f}, nil
}

// send writes one event with Kestra's id (progress, end) and JSON data.
func (e *sse) send(id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "id: %s\ndata: %s\n\n", id, b); err != nil {
		return err
	}
	e.f.Flush()
	return nil
}

// followInterval coalesces bursts of changes: a follower gets the
// execution at most this often while it runs (and always at its end).
const followInterval = 100 * time.Millisecond

// followExecution streams the execution as it changes (Kestra's follow:
// "progress" events, then one "end" event, then the stream closes).
func (s *Server) followExecution(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	id := r.PathValue("id")
	events, cancel := s.Engine.Subscribe(id)
	defer func() { cancel() }()
	ex, err := s.execution(r.Context(), id)
	if err != nil {
		return err
	}
	out, err := startSSE(w)
	if err != nil {
		return err
	}
	send := func(ex *state.Execution) (bool, error) {
		if ex.State.Terminated() {
			return true, out.send("end", executionJSON(ex))
		}
		return false, out.send("progress", executionJSON(ex))
	}
	if done, err := send(ex); done || err != nil {
		return nil
	}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	dirty := false
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.streams:
			return nil
		case _, ok := <-events:
			if !ok {
				// Dropped for falling behind: read the state again and
				// subscribe afresh.
				events, cancel = s.Engine.Subscribe(id)
			}
			dirty = true
		case <-tick.C:
			if !dirty {
				// Also catches an end this subscription missed.
				dirty = true
				continue
			}
			dirty = false
			ex, err := s.Repo.GetExecution(r.Context(), id)
			if err != nil {
				return nil
			}
			if done, err := send(ex); done || err != nil {
				return nil
			}
		}
	}
}

// logJSON is a log line as Kestra's LogEntry.
func logJSON(ex *state.Execution, l state.LogEntry) any {
	m := map[string]any{
		"executionId": l.ExecutionID, "taskRunId": l.TaskRunID, "taskId": l.TaskID,
		"timestamp": timeJSON(l.Time), "level": l.Level, "message": l.Message,
	}
	if ex != nil {
		m["namespace"], m["flowId"] = ex.Namespace, ex.FlowID
	}
	if len(l.Attrs) > 0 {
		m["attributes"] = l.Attrs
	}
	return m
}

var levels = map[string]slog.Level{"TRACE": slog.LevelDebug - 4, "DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "WARNING": slog.LevelWarn, "ERROR": slog.LevelError}

func levelOf(s string) slog.Level {
	if l, ok := levels[strings.ToUpper(s)]; ok {
		return l
	}
	return slog.LevelInfo
}

// logFilter reads minLevel, taskRunId and taskId.
func logFilter(r *http.Request) (func(state.LogEntry) bool, error) {
	qv := r.URL.Query()
	min := slog.Level(-100)
	if v := qv.Get("minLevel"); v != "" {
		l, ok := levels[strings.ToUpper(v)]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "minLevel=%q: TRACE, DEBUG, INFO, WARN or ERROR", v)
		}
		min = l
	}
	trID, taskID := qv.Get("taskRunId"), qv.Get("taskId")
	return func(l state.LogEntry) bool {
		return levelOf(l.Level) >= min && (trID == "" || l.TaskRunID == trID) && (taskID == "" || l.TaskID == taskID)
	}, nil
}

func (s *Server) executionLogs(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.execution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	keep, err := logFilter(r)
	if err != nil {
		return err
	}
	logs, err := s.Repo.Logs(r.Context(), ex.ID)
	if err != nil {
		return err
	}
	out := []any{}
	for _, l := range logs {
		if keep(l) {
			out = append(out, logJSON(ex, l))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// followLogs streams an execution's log lines: those stored so far, then
// new ones as they are stored, until the execution ends.
func (s *Server) followLogs(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var events <-chan flows.Event
	cancel := func() {}
	if s.Engine != nil {
		events, cancel = s.Engine.Subscribe(id)
	}
	defer func() { cancel() }()
	ex, err := s.execution(r.Context(), id)
	if err != nil {
		return err
	}
	keep, err := logFilter(r)
	if err != nil {
		return err
	}
	out, err := startSSE(w)
	if err != nil {
		return err
	}
	var after int64
	flush := func() error {
		for {
			logs, err := s.Repo.LogsAfter(r.Context(), id, after, 500)
			if err != nil {
				return err
			}
			for _, l := range logs {
				after = l.Seq
				if keep(l) {
					if err := out.send("progress", logJSON(ex, l)); err != nil {
						return err
					}
				}
			}
			if len(logs) < 500 {
				return nil
			}
		}
	}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		if err := flush(); err != nil {
			return nil
		}
		cur, err := s.Repo.GetExecution(r.Context(), id)
		if err != nil || cur.State.Terminated() {
			_ = flush()
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-s.streams:
			return nil
		case _, ok := <-events:
			if !ok && s.Engine != nil {
				events, cancel = s.Engine.Subscribe(id)
			}
		case <-tick.C:
		}
	}
}
