package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/storage"
)

// newEngineServer is a server with a running engine over a state file in
// dir (a second call on the same dir is the server after a restart).
func newEngineServer(t *testing.T, dir string) *testServer {
	t.Helper()
	repo, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	eng := &flows.Engine{Repo: repo, Store: store, Workers: 4, Progress: progress.NewHub(nil, nil, time.Hour)}
	s := &Server{Repo: repo, Flows: repo.(state.FlowStore), Engine: eng}
	s.Handler()
	eng.OnEnd(s.OnExecutionEnd)
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	var closed bool
	close := func() {
		if closed {
			return
		}
		closed = true
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
		repo.Close()
	}
	t.Cleanup(close)
	return &testServer{t: t, url: hs.URL, srv: s, repo: repo, close: close}
}

func kestraFlow(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "flows", "testdata", "kestra", "flows", "valids", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type execJSON struct {
	ID          string `json:"id"`
	FlowID      string `json:"flowId"`
	ParentID    string `json:"parentId"`
	TaskRunList []struct {
		ID      string         `json:"id"`
		TaskID  string         `json:"taskId"`
		Outputs map[string]any `json:"outputs"`
		State   struct {
			Current string `json:"current"`
		} `json:"state"`
	} `json:"taskRunList"`
	State struct {
		Current string `json:"current"`
	} `json:"state"`
	Trigger *struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		Variables map[string]any `json:"variables"`
	} `json:"trigger"`
}

// waitFor polls the API until cond holds for an execution matching the
// search, within a generous deadline (the machine may be loaded).
func (ts *testServer) waitFor(what string, cond func() bool) {
	ts.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			ts.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (ts *testServer) ended(id string) execJSON {
	ts.t.Helper()
	var ex execJSON
	ts.waitFor("execution "+id+" to end", func() bool {
		ex = execJSON{}
		ts.do("GET", "/api/v1/executions/"+id, "", "", &ex)
		switch ex.State.Current {
		case "SUCCESS", "WARNING", "FAILED", "KILLED":
			return true
		}
		return false
	})
	return ex
}

// executionsOf lists the executions of a flow.
func (ts *testServer) executionsOf(ns, flow string) []execJSON {
	ts.t.Helper()
	var page struct {
		Results []execJSON `json:"results"`
	}
	ts.do("GET", "/api/v1/executions/search?namespace="+ns+"&flowId="+flow+"&size=100", "", "", &page)
	return page.Results
}

func (ts *testServer) trigger(ns, flow string) execJSON {
	ts.t.Helper()
	var ex execJSON
	if code := ts.do("POST", "/api/v1/executions/trigger/"+ns+"/"+flow, "", "", &ex); code != 200 {
		ts.t.Fatalf("trigger %s.%s: %d", ns, flow, code)
	}
	return ts.ended(ex.ID)
}

// Kestra's FlowTriggerCaseTest through the API: trigger-flow ends, its two
// listeners run with the trigger's variables, the invalid one logs
// "Failed to trigger flow" and starts nothing.
func TestKestraFlowTrigger(t *testing.T) {
	ts := newEngineServer(t, t.TempDir())
	for _, name := range []string{"trigger-flow", "trigger-flow-listener", "trigger-flow-listener-no-inputs", "trigger-flow-listener-invalid"} {
		if code := ts.do("POST", "/api/v1/flows", yamlType, kestraFlow(t, name), nil); code != 200 {
			t.Fatalf("store %s: %d", name, code)
		}
	}
	parent := ts.trigger("io.kestra.tests", "trigger-flow")
	if len(parent.TaskRunList) != 1 || parent.State.Current != "SUCCESS" {
		t.Fatalf("trigger-flow: %+v", parent)
	}
	var listener, noInputs execJSON
	ts.waitFor("both listeners to succeed", func() bool {
		ls, ns := ts.executionsOf("io.kestra.tests", "trigger-flow-listener"), ts.executionsOf("io.kestra.tests", "trigger-flow-listener-no-inputs")
		if len(ls) == 0 || len(ns) == 0 {
			return false
		}
		listener, noInputs = ts.ended(ls[0].ID), ts.ended(ns[0].ID)
		return true
	})
	if listener.State.Current != "SUCCESS" || len(listener.TaskRunList) != 1 {
		t.Fatalf("listener: %+v", listener)
	}
	if got := listener.TaskRunList[0].Outputs["value"]; got != "childs: from parents: "+parent.ID {
		t.Errorf("listener output %q", got)
	}
	for _, ex := range []execJSON{listener, noInputs} {
		v := ex.Trigger.Variables
		if v["executionId"] != parent.ID || v["namespace"] != "io.kestra.tests" || v["flowId"] != "trigger-flow" || ex.ParentID != parent.ID {
			t.Errorf("%s trigger variables %v", ex.FlowID, v)
		}
	}
	if noInputs.State.Current != "SUCCESS" || noInputs.TaskRunList[0].Outputs["value"] != "v1: "+parent.ID {
		t.Errorf("no-inputs listener: %+v", noInputs)
	}
	if got := ts.executionsOf("io.kestra.tests", "trigger-flow-listener-invalid"); len(got) != 0 {
		t.Errorf("invalid listener started %d executions", len(got))
	}
	ts.waitFor("a 'Failed to trigger flow' log for listen-flow-invalid", func() bool {
		var logs []map[string]any
		ts.do("GET", "/api/v1/logs/"+parent.ID, "", "", &logs)
		for _, l := range logs {
			attrs, _ := l["attributes"].(map[string]any)
			if strings.Contains(fmt.Sprint(l["message"]), "Failed to trigger flow") && fmt.Sprint(attrs["triggerId"]) == "listen-flow-invalid" {
				return true
			}
		}
		return false
	})
}

// Kestra's MultipleConditionTriggerCaseTest: the listener runs once flow-a
// and flow-b have both succeeded, not after flow-a alone.
func TestKestraMultipleCondition(t *testing.T) {
	ts := newEngineServer(t, t.TempDir())
	for _, name := range []string{"trigger-multiplecondition-flow-a", "trigger-multiplecondition-flow-b", "trigger-multiplecondition-listener"} {
		if code := ts.do("POST", "/api/v1/flows", yamlType, kestraFlow(t, name), nil); code != 200 {
			t.Fatalf("store %s: %d", name, code)
		}
	}
	a := ts.trigger("io.kestra.tests", "trigger-multiplecondition-flow-a")
	if a.State.Current != "SUCCESS" {
		t.Fatalf("flow-a: %+v", a)
	}
	// The end hook of flow-a has run once the next execution's has: flow-b
	// ends after it, so checking after b's listener proves a alone fired none.
	b := ts.trigger("io.kestra.tests", "trigger-multiplecondition-flow-b")
	var ls []execJSON
	ts.waitFor("the listener", func() bool {
		ls = ts.executionsOf("io.kestra.tests", "trigger-multiplecondition-listener")
		return len(ls) > 0
	})
	if len(ls) != 1 {
		t.Fatalf("listener ran %d times", len(ls))
	}
	l := ts.ended(ls[0].ID)
	if l.State.Current != "SUCCESS" || len(l.TaskRunList) != 1 {
		t.Fatalf("listener: %+v", l)
	}
	v := l.Trigger.Variables
	if v["executionId"] != b.ID || v["namespace"] != "io.kestra.tests" || v["flowId"] != "trigger-multiplecondition-flow-b" {
		t.Errorf("trigger variables %v", v)
	}
}

// Kestra's webhook test flow: the execution's output is the trigger as
// JSON, body parsed, parameters as lists.
func TestKestraWebhook(t *testing.T) {
	ts := newEngineServer(t, t.TempDir())
	var f map[string]any
	if code := ts.do("POST", "/api/v1/flows", yamlType, kestraFlow(t, "webhook"), &f); code != 200 {
		t.Fatalf("store: %d", code)
	}
	key := f["triggers"].([]any)[0].(map[string]any)["key"].(string)
	var ex execJSON
	if code := ts.do("POST", "/api/v1/executions/webhook/io.kestra.tests/webhook/"+key+"?name=john&name=doe", "application/json", `{"a": 1, "b": "two"}`, &ex); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	ex = ts.ended(ex.ID)
	if ex.State.Current != "SUCCESS" {
		t.Fatalf("webhook execution: %+v", ex)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(fmt.Sprint(ex.TaskRunList[0].Outputs["value"])), &out); err != nil {
		t.Fatalf("output %v: %v", ex.TaskRunList[0].Outputs["value"], err)
	}
	body := out["body"].(map[string]any)
	if body["a"] != 1.0 || body["b"] != "two" || fmt.Sprint(out["parameters"].(map[string]any)["name"]) != "[john doe]" {
		t.Errorf("trigger seen by the flow: %v", out)
	}
	if code := ts.do("GET", "/api/v1/executions/webhook/io.kestra.tests/webhook/"+key+"x", "", "", &map[string]any{}); code != 404 {
		t.Errorf("wrong key: %d", code)
	}
	// A text body stays text; Authorization never reaches the execution.
	req, _ := http.NewRequest("PUT", ts.url+"/api/v1/executions/webhook/io.kestra.tests/webhook/"+key, strings.NewReader("plain text"))
	req.Header.Set("Authorization", "Bearer hunter2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&ex)
	resp.Body.Close()
	ex = ts.ended(ex.ID)
	if v := ex.Trigger.Variables; v["body"] != "plain text" || strings.Contains(fmt.Sprint(v), "hunter2") {
		t.Errorf("text body trigger %v", v)
	}
}

// The executions API: trigger with a FILE input (multipart), files,
// search, logs, follow, kill, restart, replay and markAs.
func TestExecutionsAPI(t *testing.T) {
	ts := newEngineServer(t, t.TempDir())
	flow := "id: files\nnamespace: api.tests\ninputs:\n  - name: name\n    type: STRING\n  - name: data\n    type: FILE\ntasks:\n  - id: hello\n    type: io.kestra.core.tasks.debugs.Return\n    format: \"{{ inputs.name }} {{ inputs.data }}\"\n"
	if code := ts.do("POST", "/api/v1/flows", yamlType, flow, nil); code != 200 {
		t.Fatalf("store: %d", code)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", "sluice")
	fw, _ := mw.CreateFormFile("data", "rows.csv")
	fw.Write([]byte("a,b\n1,2\n"))
	mw.Close()
	var ex execJSON
	if code := ts.do("POST", "/api/v1/executions/trigger/api.tests/files", mw.FormDataContentType(), body.String(), &ex); code != 200 {
		t.Fatalf("trigger: %d", code)
	}
	ex = ts.ended(ex.ID)
	value := fmt.Sprint(ex.TaskRunList[0].Outputs["value"])
	uri := strings.TrimPrefix(value, "sluice ")
	if ex.State.Current != "SUCCESS" || !strings.HasPrefix(uri, "sluice:///api/tests/files/executions/"+ex.ID+"/inputs/data/rows.csv") {
		t.Fatalf("execution %+v (%s)", ex, value)
	}
	resp, err := http.Get(ts.url + "/api/v1/executions/" + ex.ID + "/file?path=" + uri)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "a,b\n1,2\n" {
		t.Fatalf("file: %d %q", resp.StatusCode, b)
	}
	var metas map[string]any
	if ts.do("GET", "/api/v1/executions/"+ex.ID+"/file/metas?path="+uri, "", "", &metas); metas["size"] != 8.0 {
		t.Errorf("metas %v", metas)
	}
	var e map[string]any
	if code := ts.do("GET", "/api/v1/executions/"+ex.ID+"/file?path=sluice:///other/flow/executions/x/f", "", "", &e); code != 422 {
		t.Errorf("foreign file: %d", code)
	}
	if code := ts.do("POST", "/api/v1/executions/trigger/api.tests/files", "", "", &e); code != 422 {
		t.Errorf("missing inputs: %d %v", code, e)
	}
	if code := ts.do("POST", "/api/v1/executions/trigger/api.tests/nope", "", "", &e); code != 404 {
		t.Errorf("absent flow: %d", code)
	}
	var page struct {
		Total int `json:"total"`
	}
	if ts.do("GET", "/api/v1/executions/search?namespace=api.tests&state=SUCCESS", "", "", &page); page.Total != 1 {
		t.Errorf("search: %+v", page)
	}
	if ts.do("GET", "/api/v1/taskruns/search?q=hello", "", "", &page); page.Total != 1 {
		t.Errorf("taskruns: %+v", page)
	}
	if code := ts.do("GET", "/api/v1/executions/search?state=DONE", "", "", &e); code != 400 {
		t.Errorf("bad state: %d", code)
	}
	var graph map[string]any
	if code := ts.do("GET", "/api/v1/executions/"+ex.ID+"/graph", "", "", &graph); code != 200 || len(graph["nodes"].([]any)) != 1 {
		t.Errorf("graph: %d %v", code, graph)
	}
	// Follow an ended execution: one "end" event.
	resp, err = http.Get(ts.url + "/api/v1/executions/" + ex.ID + "/follow")
	if err != nil {
		t.Fatal(err)
	}
	events := readEvents(t, resp.Body)
	resp.Body.Close()
	if len(events) != 1 || events[0] != "end" {
		t.Errorf("follow of an ended execution: %v", events)
	}
	// markAs, replay, restart, and their refusals.
	if code := ts.do("POST", "/api/v1/executions/"+ex.ID+"/restart", "", "", &e); code != 409 {
		t.Errorf("restart of a success: %d", code)
	}
	if code := ts.do("POST", "/api/v1/executions/"+ex.ID+"/state", "application/json", `{"taskRunId":"`+ex.TaskRunList[0].ID+`","state":"FAILED"}`, &ex); code != 200 {
		t.Fatalf("markAs: %d", code)
	}
	ex = ts.ended(ex.ID)
	if ex.State.Current != "FAILED" {
		t.Fatalf("after markAs FAILED: %s", ex.State.Current)
	}
	var restarted execJSON
	if code := ts.do("POST", "/api/v1/executions/"+ex.ID+"/restart", "", "", &restarted); code != 200 || restarted.ID != ex.ID {
		t.Fatalf("restart: %d %+v", code, restarted)
	}
	if ex = ts.ended(ex.ID); ex.State.Current != "SUCCESS" {
		t.Fatalf("after restart: %s", ex.State.Current)
	}
	var replayed execJSON
	if code := ts.do("POST", "/api/v1/executions/"+ex.ID+"/replay?taskRunId="+ex.TaskRunList[0].ID, "", "", &replayed); code != 200 || replayed.ID == ex.ID {
		t.Fatalf("replay: %d %+v", code, replayed)
	}
	if r := ts.ended(replayed.ID); r.State.Current != "SUCCESS" || r.ParentID != ex.ID {
		t.Fatalf("replayed: %+v", r)
	}
	for _, bad := range []string{`{"taskRunId":"nope","state":"SUCCESS"}`, `{"taskRunId":"x","state":"RUNNING"}`, `{`} {
		if code := ts.do("POST", "/api/v1/executions/"+ex.ID+"/state", "application/json", bad, &e); code < 400 || code >= 500 {
			t.Errorf("markAs %s: %d", bad, code)
		}
	}
	if code := ts.do("DELETE", "/api/v1/executions/"+ex.ID+"/kill", "", "", &e); code != 409 {
		t.Errorf("kill of an ended execution: %d", code)
	}
	if code := ts.do("GET", "/api/v1/executions/nope", "", "", &e); code != 404 {
		t.Errorf("absent execution: %d", code)
	}
	resp, err = http.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`sluice_executions_ended_total{state="SUCCESS"}`, "sluice_queue_depth 0", "sluice_rows_moved_total", "sluice_bytes_moved_total", "sluice_task_start_delay_seconds_count", `sluice_http_requests_total{code="4xx"}`, `sluice_executions{state="RUNNING"} 0`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A running execution followed, then killed.
func TestFollowAndKill(t *testing.T) {
	ts := newEngineServer(t, t.TempDir())
	flow := "id: slow\nnamespace: api.tests\ntasks:\n  - id: wait\n    type: io.kestra.core.tasks.flows.Pause\n"
	if code := ts.do("POST", "/api/v1/flows", yamlType, flow, nil); code != 200 {
		t.Fatalf("store: %d", code)
	}
	var ex execJSON
	ts.do("POST", "/api/v1/executions/trigger/api.tests/slow", "", "", &ex)
	ts.waitFor("the pause", func() bool {
		var cur execJSON
		ts.do("GET", "/api/v1/executions/"+ex.ID, "", "", &cur)
		return cur.State.Current == "PAUSED"
	})
	mresp, err := http.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !bytes.Contains(mb, []byte(`sluice_executions{state="PAUSED"} 1`)) {
		t.Errorf("metrics do not count the paused execution")
	}
	resp, err := http.Get(ts.url + "/api/v1/executions/" + ex.ID + "/follow")
	if err != nil {
		t.Fatal(err)
	}
	if code := ts.do("DELETE", "/api/v1/executions/"+ex.ID+"/kill", "", "", nil); code != 204 {
		t.Fatalf("kill: %d", code)
	}
	events := readEvents(t, resp.Body)
	resp.Body.Close()
	if len(events) < 2 || events[0] != "progress" || events[len(events)-1] != "end" {
		t.Fatalf("follow events %v", events)
	}
	if got := ts.ended(ex.ID); got.State.Current != "KILLED" {
		t.Fatalf("killed execution is %s", got.State.Current)
	}
}

// readEvents reads SSE ids until the stream closes.
func readEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
		}
	}
	return ids
}
