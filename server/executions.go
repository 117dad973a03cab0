package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/storage"
)

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// stateJSON is Kestra's State: current, histories, dates and duration.
func stateJSON(current state.State, hist []state.StateChange, start, end time.Time) any {
	m := rows.NewOrderedMap(6)
	m.Set("current", string(current))
	hs := make([]any, 0, len(hist))
	for _, h := range hist {
		hs = append(hs, map[string]any{"state": string(h.State), "date": timeJSON(h.Date)})
	}
	m.Set("histories", hs)
	m.Set("startDate", timeJSON(start))
	m.Set("endDate", timeJSON(end))
	if !start.IsZero() {
		e := end
		if e.IsZero() {
			e = time.Now()
		}
		m.Set("duration", e.Sub(start).Seconds())
	}
	return m
}

// executionJSON is an execution as Kestra 0.4's API shows it.
func executionJSON(ex *state.Execution) any {
	m := rows.NewOrderedMap(12)
	m.Set("id", ex.ID)
	m.Set("namespace", ex.Namespace)
	m.Set("flowId", ex.FlowID)
	m.Set("flowRevision", ex.FlowRevision)
	trs := make([]any, 0, len(ex.TaskRuns))
	for _, tr := range ex.TaskRuns {
		trs = append(trs, taskRunJSON(ex, tr))
	}
	m.Set("taskRunList", trs)
	m.Set("inputs", ex.Inputs)
	m.Set("labels", ex.Labels)
	m.Set("state", stateJSON(ex.State, ex.Histories, ex.Start, ex.End))
	if ex.ParentID != "" {
		m.Set("parentId", ex.ParentID)
	}
	if ex.Trigger != nil {
		m.Set("trigger", map[string]any{"id": ex.Trigger.ID, "type": ex.Trigger.Type, "variables": ex.Trigger.Variables})
	}
	if ex.RestartCount > 0 {
		m.Set("restartCount", ex.RestartCount)
	}
	if ex.Error != "" {
		m.Set("error", ex.Error)
	}
	return m
}

func taskRunJSON(ex *state.Execution, tr *state.TaskRun) any {
	m := rows.NewOrderedMap(12)
	m.Set("id", tr.ID)
	m.Set("executionId", ex.ID)
	m.Set("namespace", ex.Namespace)
	m.Set("flowId", ex.FlowID)
	m.Set("taskId", tr.TaskID)
	if tr.ParentID != "" {
		m.Set("parentTaskRunId", tr.ParentID)
	}
	if tr.Value != "" {
		m.Set("value", tr.Value)
	}
	attempts := make([]any, 0, len(tr.Attempts))
	for _, a := range tr.Attempts {
		am := map[string]any{"state": stateJSON(a.State, nil, a.Start, a.End)}
		if a.Error != "" {
			am["error"] = a.Error
		}
		attempts = append(attempts, am)
	}
	m.Set("attempts", attempts)
	m.Set("outputs", tr.Outputs)
	m.Set("state", stateJSON(tr.State, tr.Histories, tr.Start, tr.End))
	if tr.Error != "" {
		m.Set("error", tr.Error)
	}
	return m
}

func (s *Server) needEngine() error {
	if s.Engine == nil {
		return errorf(http.StatusServiceUnavailable, "this server runs no executions (no engine)")
	}
	return nil
}

// execution loads an execution by its exact id (404 when absent).
func (s *Server) execution(ctx context.Context, id string) (*state.Execution, error) {
	ex, err := s.Repo.GetExecution(ctx, id)
	if errors.Is(err, state.ErrNotFound) || err == nil && ex.ID != id {
		return nil, errorf(http.StatusNotFound, "execution %s not found", id)
	}
	if errors.Is(err, state.ErrAmbiguous) {
		return nil, errorf(http.StatusNotFound, "execution %s not found", id)
	}
	return ex, err
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.execution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(ex))
	return nil
}

// statesParam reads state=A&state=B (or state=A,B).
func statesParam(r *http.Request) ([]state.State, error) {
	var out []state.State
	for _, v := range r.URL.Query()["state"] {
		for _, st := range strings.Split(v, ",") {
			switch ss := state.State(strings.ToUpper(strings.TrimSpace(st))); ss {
			case state.Created, state.Running, state.Success, state.Warning, state.Failed, state.Killed, state.Retrying, state.Paused, "RESTARTED", "KILLING":
				out = append(out, ss)
			default:
				return nil, errorf(http.StatusBadRequest, "state=%q is not an execution state", st)
			}
		}
	}
	return out, nil
}

// maxScan bounds how many executions a search reads: lists are newest
// first, so a search covers the most recent ones.
const maxScan = 10000

func (s *Server) findExecutions(r *http.Request) ([]*state.Execution, int, int, error) {
	page, size, err := pageParams(r)
	if err != nil {
		return nil, 0, 0, err
	}
	states, err := statesParam(r)
	if err != nil {
		return nil, 0, 0, err
	}
	qv := r.URL.Query()
	f := state.Filter{Namespace: qv.Get("namespace"), FlowID: qv.Get("flowId"), States: states, Limit: maxScan}
	list, err := s.Repo.ListExecutions(r.Context(), f)
	if err != nil {
		return nil, 0, 0, err
	}
	if text := strings.ToLower(strings.TrimSpace(qv.Get("q"))); text != "" && text != "*" {
		kept := list[:0]
		for _, ex := range list {
			if strings.Contains(strings.ToLower(ex.ID+" "+ex.Namespace+"."+ex.FlowID), text) {
				kept = append(kept, ex)
			}
		}
		list = kept
	}
	if spec := qv.Get("sort"); spec != "" {
		field, dir, _ := strings.Cut(spec, ":")
		var key func(*state.Execution) string
		switch field {
		case "state.startDate", "startDate":
			key = func(e *state.Execution) string { return e.Start.UTC().Format(time.RFC3339Nano) }
		case "state.endDate", "endDate":
			key = func(e *state.Execution) string { return e.End.UTC().Format(time.RFC3339Nano) }
		case "id":
			key = func(e *state.Execution) string { return e.ID }
		case "flowId":
			key = func(e *state.Execution) string { return e.FlowID }
		case "namespace":
			key = func(e *state.Execution) string { return e.Namespace }
		case "state.current", "state":
			key = func(e *state.Execution) string { return string(e.State) }
		default:
			return nil, 0, 0, errorf(http.StatusBadRequest, "sort=%q: sort by id, namespace, flowId, state or state.startDate", spec)
		}
		if dir != "" && dir != "asc" && dir != "desc" {
			return nil, 0, 0, errorf(http.StatusBadRequest, "sort=%q: direction is asc or desc", spec)
		}
		sort.SliceStable(list, func(i, j int) bool {
			if dir == "desc" {
				return key(list[j]) < key(list[i])
			}
			return key(list[i]) < key(list[j])
		})
	}
	return list, page, size, nil
}

func (s *Server) searchExecutions(w http.ResponseWriter, r *http.Request) error {
	list, page, size, err := s.findExecutions(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(list, page, size, func(ex *state.Execution) any { return executionJSON(ex) }))
	return nil
}

// searchTaskRuns lists the task runs of the executions a search finds
// (the most recent maxTaskRunScan of them), filtered by state.
func (s *Server) searchTaskRuns(w http.ResponseWriter, r *http.Request) error {
	page, size, err := pageParams(r)
	if err != nil {
		return err
	}
	states, err := statesParam(r)
	if err != nil {
		return err
	}
	qv := r.URL.Query()
	list, err := s.Repo.ListExecutions(r.Context(), state.Filter{Namespace: qv.Get("namespace"), FlowID: qv.Get("flowId"), Limit: maxTaskRunScan})
	if err != nil {
		return err
	}
	text := strings.ToLower(strings.TrimSpace(qv.Get("q")))
	type item struct {
		ex *state.Execution
		tr *state.TaskRun
	}
	var items []item
	for _, e := range list {
		ex, err := s.Repo.GetExecution(r.Context(), e.ID)
		if err != nil {
			continue // deleted meanwhile
		}
		for _, tr := range ex.TaskRuns {
			if len(states) > 0 && !containsState(states, tr.State) {
				continue
			}
			if text != "" && text != "*" && !strings.Contains(strings.ToLower(tr.TaskID+" "+ex.ID+" "+ex.Namespace+"."+ex.FlowID), text) {
				continue
			}
			items = append(items, item{ex, tr})
		}
	}
	writeJSON(w, http.StatusOK, pageOf(items, page, size, func(it item) any { return taskRunJSON(it.ex, it.tr) }))
	return nil
}

const maxTaskRunScan = 500

func containsState(list []state.State, s state.State) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) executionGraph(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.execution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := s.parse(flowFile(ex.Namespace, ex.FlowID, ex.FlowRevision), []byte(ex.FlowSource))
	if f == nil {
		return invalidFlow(err)
	}
	g := graphOf(f)
	states := map[string]string{}
	for _, tr := range ex.TaskRuns {
		states[tr.TaskID] = string(tr.State)
	}
	nodes := make([]any, len(g.Nodes))
	for i, n := range g.Nodes {
		nodes[i] = map[string]any{"uid": n.UID, "taskId": n.TaskID, "type": n.Type, "parent": n.Parent, "errors": n.Errors, "state": states[n.TaskID]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": nodes, "edges": g.Edges})
	return nil
}

// storedFlowFor finds the flow to run: the latest stored revision, or a
// given one.
func (s *Server) storedFlowFor(r *http.Request, namespace, id string, revision int) (*flows.Flow, int, error) {
	if revision == 0 {
		if sf, ok := s.catalog.get(flows.FlowRef{Namespace: namespace, ID: id}); ok {
			return sf.Flow, sf.Revision, nil
		}
		return nil, 0, errorf(http.StatusNotFound, "flow %s.%s not found", namespace, id)
	}
	if s.Flows == nil {
		return nil, 0, errorf(http.StatusNotFound, "flow %s.%s revision %d not found", namespace, id, revision)
	}
	rev, err := s.Flows.GetFlow(r.Context(), namespace, id, revision)
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, errorf(http.StatusNotFound, "flow %s.%s revision %d not found", namespace, id, revision)
	}
	if err != nil {
		return nil, 0, err
	}
	f, err := s.parse(flowFile(namespace, id, revision), []byte(rev.Source))
	if err != nil {
		return nil, 0, invalidFlow(err)
	}
	return f, revision, nil
}

// submit starts an execution of a stored flow; input errors are 422.
func (s *Server) submit(ctx context.Context, f *flows.Flow, revision int, inputs map[string]any, opts flows.SubmitOptions) (*state.Execution, error) {
	opts.FlowRevision = revision
	ex, err := s.Engine.Submit(ctx, f, inputs, opts)
	var ie *flows.InputError
	if errors.As(err, &ie) {
		return nil, &apiError{Status: http.StatusUnprocessableEntity, Message: "Invalid inputs: " + ie.Error(),
			Details: []errorDetail{{Message: ie.Error(), Path: "inputs"}}}
	}
	if err != nil {
		return nil, err
	}
	if opts.Trigger != nil {
		s.Metrics.Triggered.WithLabelValues(opts.Trigger.Type).Inc()
	}
	return ex, nil
}

// triggerExecution is POST /executions/trigger/{namespace}/{id}: inputs
// as multipart form fields, FILE inputs as file parts (stored in internal
// storage under the new execution), or none.
func (s *Server) triggerExecution(w http.ResponseWriter, r *http.Request) error {
	if err := s.needEngine(); err != nil {
		return err
	}
	f, rev, err := s.storedFlowFor(r, r.PathValue("namespace"), r.PathValue("id"), 0)
	if err != nil {
		return err
	}
	id := flows.NewID()
	inputs := map[string]any{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return errorf(http.StatusBadRequest, "multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return s.bodyError(err, "multipart body")
			}
			name := part.FormName()
			if name == "" {
				part.Close()
				continue
			}
			if part.FileName() == "" {
				b, err := io.ReadAll(io.LimitReader(part, 1<<20+1))
				if err != nil {
					return s.bodyError(err, "input "+name)
				}
				if len(b) > 1<<20 {
					return errorf(http.StatusRequestEntityTooLarge, "input %s: a text input is at most 1 MiB (send files as file parts)", name)
				}
				inputs[name] = string(b)
				continue
			}
			in := f.Input(name)
			if in == nil || in.Type != flows.InputFile {
				part.Close()
				return errorf(http.StatusUnprocessableEntity, "input %q: flow %s.%s declares no FILE input of that name", name, f.Namespace, f.ID)
			}
			u := storage.ExecutionPrefix(f.Namespace, f.ID, id).Join("inputs", name, path.Base("/"+part.FileName()))
			if _, err := storage.Put(r.Context(), s.Engine.Store, u, part); err != nil {
				return s.bodyError(err, "input "+name)
			}
			inputs[name] = u.String()
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return s.bodyError(err, "form body")
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				inputs[k] = v[len(v)-1]
			}
		}
	case "", "application/json":
		if r.ContentLength != 0 && mt == "application/json" {
			var body map[string]any
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
				return s.bodyError(err, "JSON inputs")
			}
			for k, v := range body {
				inputs[k] = v
			}
		}
	default:
		return errorf(http.StatusUnsupportedMediaType, "Content-Type %q: send inputs as multipart/form-data", mt)
	}
	ex, err := s.submit(r.Context(), f, rev, inputs, flows.SubmitOptions{ID: id})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(ex))
	return nil
}

// bodyError turns a failure reading the request into a 4xx (the body was
// too large or malformed); other errors stay internal.
func (s *Server) bodyError(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "%s: request body larger than %d bytes", what, mbe.Limit)
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "multipart") {
		return errorf(http.StatusBadRequest, "%s: %v", what, err)
	}
	return err
}

// ended answers 409 unless the execution has ended.
func ended(ex *state.Execution, action string) error {
	if !ex.State.Terminated() {
		return errorf(http.StatusConflict, "execution %s is %s: only an ended execution can be %s", ex.ID, ex.State, action)
	}
	return nil
}

func hasTaskRun(ex *state.Execution, id string) bool {
	for _, tr := range ex.TaskRuns {
		if tr.ID == id {
			return true
		}
	}
	return false
}

// engineExecution is the start of every action on one execution: it needs
// the engine and the execution named by the path's {id}.
func (s *Server) engineExecution(r *http.Request) (*state.Execution, error) {
	if err := s.needEngine(); err != nil {
		return nil, err
	}
	return s.execution(r.Context(), r.PathValue("id"))
}

// revisionFlow is the flow a restart or replay runs with: nil (the
// execution's own flow) unless ?revision= names a stored one.
func (s *Server) revisionFlow(r *http.Request, ex *state.Execution, revision int) (*flows.Flow, error) {
	if revision == 0 {
		return nil, nil
	}
	f, _, err := s.storedFlowFor(r, ex.Namespace, ex.FlowID, revision)
	return f, err
}

func (s *Server) restartExecution(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.engineExecution(r)
	if err != nil {
		return err
	}
	revision, err := intParam(r, "revision", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	if ex.State != state.Paused {
		if err := ended(ex, "restarted"); err != nil {
			return err
		}
		if ex.State == state.Success || ex.State == state.Warning {
			return errorf(http.StatusConflict, "execution %s is %s: nothing failed to restart (replay it instead)", ex.ID, ex.State)
		}
	}
	f, err := s.revisionFlow(r, ex, revision)
	if err != nil {
		return err
	}
	out, err := s.Engine.Restart(r.Context(), ex.ID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(out))
	return nil
}

func (s *Server) replayExecution(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.engineExecution(r)
	if err != nil {
		return err
	}
	revision, err := intParam(r, "revision", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	if err := ended(ex, "replayed"); err != nil {
		return err
	}
	taskRunID := r.URL.Query().Get("taskRunId")
	if taskRunID != "" && !hasTaskRun(ex, taskRunID) {
		return errorf(http.StatusUnprocessableEntity, "execution %s has no task run %s", ex.ID, taskRunID)
	}
	if taskRunID == "" && len(ex.TaskRuns) > 0 {
		taskRunID = ex.TaskRuns[0].ID
	}
	f, err := s.revisionFlow(r, ex, revision)
	if err != nil {
		return err
	}
	out, err := s.Engine.Replay(r.Context(), ex.ID, taskRunID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(out))
	return nil
}

func (s *Server) changeState(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.engineExecution(r)
	if err != nil {
		return err
	}
	var body struct {
		TaskRunID string `json:"taskRunId"`
		State     string `json:"state"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return errorf(http.StatusBadRequest, "body: want {\"taskRunId\": ..., \"state\": ...}: %v", err)
	}
	st := state.State(strings.ToUpper(body.State))
	switch st {
	case state.Success, state.Warning, state.Failed, state.Killed:
	default:
		return errorf(http.StatusUnprocessableEntity, "state %q: a task run can be marked SUCCESS, WARNING, FAILED or KILLED", body.State)
	}
	if err := ended(ex, "changed"); err != nil {
		return err
	}
	if !hasTaskRun(ex, body.TaskRunID) {
		return errorf(http.StatusUnprocessableEntity, "execution %s has no task run %q", ex.ID, body.TaskRunID)
	}
	out, err := s.Engine.MarkAs(r.Context(), ex.ID, body.TaskRunID, st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, executionJSON(out))
	return nil
}

func (s *Server) killExecution(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.engineExecution(r)
	if err != nil {
		return err
	}
	if ex.State.Terminated() {
		return errorf(http.StatusConflict, "execution %s has already ended (%s)", ex.ID, ex.State)
	}
	if err := s.Engine.Kill(r.Context(), ex.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// fileURI reads ?path= and checks it is a file of this execution: the API
// never serves another execution's files through this one.
func (s *Server) fileURI(r *http.Request) (*state.Execution, storage.URI, error) {
	ex, err := s.engineExecution(r)
	if err != nil {
		return nil, storage.URI{}, err
	}
	u, err := storage.ParseURI(r.URL.Query().Get("path"))
	if err != nil {
		return nil, storage.URI{}, errorf(http.StatusBadRequest, "path: %v", err)
	}
	prefix := storage.ExecutionPrefix(ex.Namespace, ex.FlowID, ex.ID).Path + "/"
	if !strings.HasPrefix(u.Path, prefix) {
		return nil, storage.URI{}, errorf(http.StatusUnprocessableEntity, "path %s is not a file of execution %s", u, ex.ID)
	}
	return ex, u, nil
}

func (s *Server) executionFile(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.fileURI(r)
	if err != nil {
		return err
	}
	rc, err := s.Engine.Store.Open(r.Context(), u)
	if errors.Is(err, storage.ErrNotFound) {
		return errorf(http.StatusNotFound, "file %s not found", u)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", u.Base()))
	_, _ = io.Copy(w, rc)
	return nil
}

func (s *Server) executionFileMetas(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.fileURI(r)
	if err != nil {
		return err
	}
	info, err := s.Engine.Store.Stat(r.Context(), u)
	if errors.Is(err, storage.ErrNotFound) {
		return errorf(http.StatusNotFound, "file %s not found", u)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"size": info.Size})
	return nil
}
