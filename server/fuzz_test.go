package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
)

// FuzzAPI sends malformed requests over real HTTP: whatever the method,
// path, content type and body, the answer is never a 5xx, and an error
// always has a JSON body.
func FuzzAPI(f *testing.F) {
	for _, seed := range []struct{ method, path, ctype, body string }{
		{"POST", "/api/v1/flows", "application/json", `{"id":"a","namespace":"n","tasks":[{"id":"t","type":"io.kestra.core.tasks.debugs.Return","format":"x"}]}`},
		{"POST", "/api/v1/flows", "application/json", `{"id":`},
		{"POST", "/api/v1/flows", "application/json", `[]`},
		{"POST", "/api/v1/flows", "application/json", `"just a string"`},
		{"POST", "/api/v1/flows", "application/x-yaml", "id: a\nnamespace: n\ntasks: {}\n"},
		{"POST", "/api/v1/flows", "application/x-yaml", "&a [*a]"},
		{"POST", "/api/v1/flows", "application/x-yaml", "a: &a\n  b: *a\n"},
		{"POST", "/api/v1/flows", "application/x-yaml", "id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.core.tasks.debugs.Return\n    format: x\ntriggers:\n  - id: w\n    type: io.kestra.core.models.triggers.types.Webhook\n"},
		{"POST", "/api/v1/flows", "application/x-yaml", "id: a\nnamespace: n\ntasks: []\ntriggers:\n  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: '* * *'\n"},
		{"PUT", "/api/v1/flows/n/a", "application/x-yaml", "---\n---\n"},
		{"POST", "/api/v1/flows/n", "application/json", `[{"id":"a"},{}]`},
		{"POST", "/api/v1/flows/n", "application/x-yaml", "id: a\n---\nid: b\n"},
		{"GET", "/api/v1/flows/search?page=-1&size=abc&sort=:", "", ""},
		{"GET", "/api/v1/flows/n/a?revision=99999999999999999999", "", ""},
		{"GET", "/api/v1/flows/n/a/graph", "", ""},
		{"GET", "/api/v1/flows/%00/%ff/dependencies?recursive=maybe", "", ""},
		{"DELETE", "/api/v1/flows/n/a?force=sure", "", ""},
		{"GET", "/api/v1/../../etc/passwd", "", ""},
		{"POST", "/api/v1/executions/trigger/n/a", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"../../x\"\r\n\r\nzz\r\n--x--"},
		{"POST", "/api/v1/executions/trigger/n/a", "multipart/form-data", "garbage"},
		{"POST", "/api/v1/executions/trigger/n/a", "application/json", "[1,2"},
		{"POST", "/api/v1/executions/webhook/n/a/0123456789abcdef", "application/json", "{"},
		{"POST", "/api/v1/executions/x/state", "application/json", `{"taskRunId":1}`},
		{"POST", "/api/v1/executions/x/restart?revision=-1", "", ""},
		{"POST", "/api/v1/executions/x/replay?taskRunId=%00", "", ""},
		{"DELETE", "/api/v1/executions/x/kill", "", ""},
		{"GET", "/api/v1/executions/x/follow", "", ""},
		{"GET", "/api/v1/executions/x/file?path=file:///etc/passwd", "", ""},
		{"GET", "/api/v1/executions/search?state=a,b&sort=x:y", "", ""},
		{"GET", "/api/v1/taskruns/search?size=0", "", ""},
		{"GET", "/api/v1/logs/x?minLevel=LOUD", "", ""},
		{"GET", "/api/v1/logs/x/follow", "", ""},
	} {
		f.Add(seed.method, seed.path, seed.ctype, seed.body)
	}
	// One server with an engine for every input: its state grows as inputs
	// create flows and executions.
	dir := f.TempDir()
	repo, err := state.Open(filepath.Join(dir, "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	store, err := storage.NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		f.Fatal(err)
	}
	eng := &flows.Engine{Repo: repo, Store: store, Workers: 2}
	s := &Server{Repo: repo, Flows: repo.(state.FlowStore), Engine: eng, MaxBodyBytes: 64 << 10}
	s.Handler()
	eng.OnEnd(s.OnExecutionEnd)
	if err := eng.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	f.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
		repo.Close()
	})
	fuzzURL := hs.URL
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, method, path, ctype, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		default:
			method = "POST"
		}
		if strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return // not a request line: net/http refuses it before any handler
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, fuzzURL+path, strings.NewReader(body))
		if err != nil {
			return // not a URL a client can send
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil && strings.Contains(err.Error(), "net/http: invalid") {
			return // the client refuses to send it (a header with a newline)
		}
		if err != nil {
			t.Fatalf("%s %q: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q %q: %d %s", method, path, body, resp.StatusCode, b)
		}
		if resp.StatusCode >= 400 && method != "HEAD" {
			var e struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(b, &e); err != nil || e.Message == "" {
				t.Fatalf("%s %q: %d without a JSON error: %s", method, path, resp.StatusCode, b)
			}
		}
	})
}
