package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/state"
)

type testServer struct {
	t    *testing.T
	url  string
	srv  *Server
	repo state.Repository
	// close stops a server with an engine before the test ends (a restart).
	close func()
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	repo, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	s := &Server{Repo: repo, Flows: repo.(state.FlowStore), MaxBodyBytes: 1 << 20}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, url: hs.URL, srv: s, repo: repo}
}

// do sends a request and decodes a JSON answer into out (when non-nil);
// it returns the status.
func (ts *testServer) do(method, path, contentType, body string, out any) int {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var e struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Message == "" || resp.Header.Get("Content-Type") != "application/json" {
			ts.t.Errorf("%s %s: error %d without a JSON error body: %s", method, path, resp.StatusCode, b)
		}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			ts.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

const yamlType = "application/x-yaml"

func flowYAML(ns, id string, extra string) string {
	return "id: " + id + "\nnamespace: " + ns + "\ntasks:\n  - id: only\n    type: io.kestra.core.tasks.debugs.Return\n    format: \"from {{ execution.id }}\"\n" + extra
}

func TestFlowsAPI(t *testing.T) {
	ts := newTestServer(t)
	var f map[string]any
	if code := ts.do("POST", "/api/v1/flows", yamlType, flowYAML("company.team", "hello", ""), &f); code != 200 {
		t.Fatalf("create: %d %v", code, f)
	}
	if f["id"] != "hello" || f["namespace"] != "company.team" || f["revision"] != 1.0 {
		t.Fatalf("created %v", f)
	}
	// JSON as Kestra 0.4's API takes it.
	body := `{"id":"json-flow","namespace":"company.team","revision":7,"tasks":[{"id":"t","type":"io.kestra.core.tasks.debugs.Return","format":"x"}]}`
	if code := ts.do("POST", "/api/v1/flows", "application/json", body, &f); code != 200 || f["revision"] != 1.0 {
		t.Fatalf("create json: %d %v", code, f)
	}
	var e map[string]any
	if code := ts.do("POST", "/api/v1/flows", yamlType, flowYAML("company.team", "hello", ""), &e); code != 422 {
		t.Fatalf("create twice: %d %v", code, e)
	}
	// Update: a change is a new revision, an identical body is not.
	if code := ts.do("PUT", "/api/v1/flows/company.team/hello", yamlType, flowYAML("company.team", "hello", "description: two\n"), &f); code != 200 || f["revision"] != 2.0 {
		t.Fatalf("update: %d %v", code, f)
	}
	if code := ts.do("PUT", "/api/v1/flows/company.team/hello", yamlType, flowYAML("company.team", "hello", "description: two\n"), &f); code != 200 || f["revision"] != 2.0 {
		t.Fatalf("same update: %d %v", code, f)
	}
	if code := ts.do("PUT", "/api/v1/flows/company.team/hello", yamlType, flowYAML("company.team", "other", ""), &e); code != 422 {
		t.Fatalf("update with another id: %d", code)
	}
	if code := ts.do("PUT", "/api/v1/flows/company.team/nope", yamlType, flowYAML("company.team", "nope", ""), &e); code != 404 {
		t.Fatalf("update absent: %d", code)
	}
	var r1 map[string]any
	if code := ts.do("GET", "/api/v1/flows/company.team/hello?revision=1", "", "", &r1); code != 200 || r1["revision"] != 1.0 || r1["description"] != nil {
		t.Fatalf("get revision 1: %d %v", code, r1)
	}
	var revs []map[string]any
	if code := ts.do("GET", "/api/v1/flows/company.team/hello/revisions", "", "", &revs); code != 200 || len(revs) != 2 {
		t.Fatalf("revisions: %d %v", code, revs)
	}
	// Validation errors are 422 with each error located.
	var ve struct {
		Message  string `json:"message"`
		Embedded struct {
			Errors []errorDetail `json:"errors"`
		} `json:"_embedded"`
	}
	bad := "id: bad\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.core.tasks.debugs.Retrun\n"
	if code := ts.do("POST", "/api/v1/flows", yamlType, bad, &ve); code != 422 || len(ve.Embedded.Errors) != 2 ||
		!strings.Contains(ve.Embedded.Errors[1].Message, `did you mean "io.kestra.core.tasks.debugs.Return"`) || ve.Embedded.Errors[1].Path != "5:11 task t property type" {
		t.Fatalf("invalid flow: %d %+v", code, ve)
	}
	// Search with paging.
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("company.team.sub", "deep", ""), nil)
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("other", "else", ""), nil)
	var page paged
	if code := ts.do("GET", "/api/v1/flows/search?namespace=company.team&size=2&page=1&sort=id:desc", "", "", &page); code != 200 || page.Total != 3 || len(page.Results) != 2 {
		t.Fatalf("search: %d %+v", code, page)
	}
	if first := page.Results[0].(map[string]any); first["id"] != "json-flow" {
		t.Fatalf("sorted by id desc: %v", first)
	}
	if code := ts.do("GET", "/api/v1/flows/search?q=els", "", "", &page); code != 200 || page.Total != 1 {
		t.Fatalf("search q: %d %+v", code, page)
	}
	for _, p := range []string{"?page=0", "?size=100000", "?page=x", "?sort=size:up", "?sort=color"} {
		if code := ts.do("GET", "/api/v1/flows/search"+p, "", "", &e); code != 400 {
			t.Errorf("search%s: %d", p, code)
		}
	}
	var nss []string
	if ts.do("GET", "/api/v1/flows/distinct-namespaces", "", "", &nss); strings.Join(nss, ",") != "company.team,company.team.sub,other" {
		t.Errorf("namespaces %v", nss)
	}
	var graph flowGraph
	if code := ts.do("GET", "/api/v1/flows/company.team/hello/graph", "", "", &graph); code != 200 || len(graph.Nodes) != 1 {
		t.Fatalf("graph: %d %+v", code, graph)
	}
	if code := ts.do("DELETE", "/api/v1/flows/company.team/hello", "", "", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code := ts.do("GET", "/api/v1/flows/company.team/hello", "", "", &e); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
	if code := ts.do("DELETE", "/api/v1/flows/company.team/hello", "", "", &e); code != 404 {
		t.Fatalf("delete twice: %d", code)
	}
}

func TestSecretsAreMasked(t *testing.T) {
	ts := newTestServer(t)
	src := "id: db\nnamespace: company.team\ntasks:\n  - id: q\n    type: io.kestra.core.tasks.scripts.Bash\n    commands: [\"echo\"]\n"
	var f map[string]any
	// Any task with a secret property will do; core's are enough to
	// exercise the walk when one exists.
	if code := ts.do("POST", "/api/v1/flows", yamlType, src, &f); code != 200 && code != 422 {
		t.Fatalf("create: %d", code)
	}
	secrets := map[string][]string{"q": {"password"}}
	out, _ := json.Marshal(jsonValue(mustNode(t, "id: q\ntype: x\npassword: hunter2\nuser: me\n"), secrets))
	if bytes.Contains(out, []byte("hunter2")) || !bytes.Contains(out, []byte(`"password":"******"`)) || !bytes.Contains(out, []byte(`"user":"me"`)) {
		t.Fatalf("not masked: %s", out)
	}
	out, _ = json.Marshal(jsonValue(mustNode(t, "id: q\ntype: x\npassword: \"{{ secret('DB') }}\"\n"), secrets))
	if !bytes.Contains(out, []byte(`{{ secret('DB') }}`)) {
		t.Fatalf("template masked: %s", out)
	}
}

func TestNamespaceUpdate(t *testing.T) {
	ts := newTestServer(t)
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("ns", "a", ""), nil)
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("ns", "b", ""), nil)
	var out []map[string]any
	body := flowYAML("ns", "b", "description: new\n") + "---\n" + flowYAML("ns", "c", "")
	if code := ts.do("POST", "/api/v1/flows/ns", yamlType, body, &out); code != 200 || len(out) != 2 {
		t.Fatalf("namespace update: %d %v", code, out)
	}
	var e map[string]any
	if code := ts.do("GET", "/api/v1/flows/ns/a", "", "", &e); code != 404 {
		t.Fatalf("a not deleted: %d", code)
	}
	if code := ts.do("POST", "/api/v1/flows/ns", yamlType, flowYAML("other", "x", ""), &e); code != 422 {
		t.Fatalf("wrong namespace: %d", code)
	}
	if code := ts.do("POST", "/api/v1/flows/ns", "application/json", `[`+jsonFlow("ns", "d")+`,`+jsonFlow("ns", "d")+`]`, &e); code != 422 {
		t.Fatalf("duplicate: %d", code)
	}
}

func jsonFlow(ns, id string) string {
	return `{"id":"` + id + `","namespace":"` + ns + `","tasks":[{"id":"t","type":"io.kestra.core.tasks.debugs.Return","format":"x"}]}`
}

func TestDependenciesAndRefusedDelete(t *testing.T) {
	ts := newTestServer(t)
	// A 3-level chain across namespaces: c (team.c) listens to b
	// (team.b), which listens to a (team.a).
	listen := func(ns, id string) string {
		return "triggers:\n  - id: after\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n        namespace: " + ns + "\n        flowId: " + id + "\n"
	}
	for _, src := range []string{flowYAML("team.a", "a", ""), flowYAML("team.b", "b", listen("team.a", "a")), flowYAML("team.c", "c", listen("team.b", "b"))} {
		if code := ts.do("POST", "/api/v1/flows", yamlType, src, nil); code != 200 {
			t.Fatalf("create: %d", code)
		}
	}
	var deps struct {
		Uses   []depJSON `json:"uses"`
		UsedBy []depJSON `json:"usedBy"`
	}
	if code := ts.do("GET", "/api/v1/flows/team.b/b/dependencies", "", "", &deps); code != 200 || len(deps.Uses) != 1 || deps.Uses[0].To != "team.a.a" || len(deps.UsedBy) != 1 || deps.UsedBy[0].From != "team.c.c" {
		t.Fatalf("deps of b: %d %+v", code, deps)
	}
	if code := ts.do("GET", "/api/v1/flows/team.a/a/dependencies", "", "", &deps); code != 200 || len(deps.UsedBy) != 2 {
		t.Fatalf("recursive dependents of a: %+v", deps)
	}
	if code := ts.do("GET", "/api/v1/flows/team.a/a/dependencies?recursive=false", "", "", &deps); code != 200 || len(deps.UsedBy) != 1 {
		t.Fatalf("direct dependents of a: %+v", deps)
	}
	var e struct {
		Message  string `json:"message"`
		Embedded struct {
			Errors []errorDetail `json:"errors"`
		} `json:"_embedded"`
	}
	if code := ts.do("DELETE", "/api/v1/flows/team.b/b", "", "", &e); code != 409 || len(e.Embedded.Errors) != 1 || e.Embedded.Errors[0].Path != "team.c.c" {
		t.Fatalf("delete middle: %d %+v", code, e)
	}
	if !strings.Contains(e.Message, "team.b.b is used by 1 other flows") {
		t.Errorf("message %q", e.Message)
	}
	if code := ts.do("DELETE", "/api/v1/flows/team.b/b?force=true", "", "", nil); code != 204 {
		t.Fatalf("forced delete: %d", code)
	}
}

func TestMiscEndpoints(t *testing.T) {
	ts := newTestServer(t)
	var h map[string]any
	if code := ts.do("GET", "/health", "", "", &h); code != 200 || h["status"] != "UP" {
		t.Fatalf("health %d %v", code, h)
	}
	var doc map[string]any
	if code := ts.do("GET", "/api/v1/openapi.json", "", "", &doc); code != 200 {
		t.Fatalf("openapi %d", code)
	}
	paths := doc["paths"].(map[string]any)
	for _, rt := range ts.srv.routes() {
		if _, ok := paths[rt.path].(map[string]any)[strings.ToLower(rt.method)]; !ok {
			t.Errorf("openapi lacks %s %s", rt.method, rt.path)
		}
	}
	resp, err := http.Get(ts.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"sluice_task_start_delay_seconds", "go_goroutines"} {
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("metrics lack %s", name)
		}
	}
	var e map[string]any
	if code := ts.do("GET", "/api/v1/nothing", "", "", &e); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	if code := ts.do("PATCH", "/api/v1/flows", "", "", &e); code != 405 && code != 404 {
		t.Errorf("bad method: %d", code)
	}
}

func TestBodyBounded(t *testing.T) {
	ts := newTestServer(t)
	big := flowYAML("ns", "big", "description: "+strings.Repeat("x", 2<<20)+"\n")
	var e map[string]any
	if code := ts.do("POST", "/api/v1/flows", yamlType, big, &e); code != 413 {
		t.Fatalf("big body: %d %v", code, e)
	}
}

func mustNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}
