package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/server"
)

// A 3-level chain across namespaces, stored through the server's API:
// team.c.c listens to team.b.b, which runs team.a.a as a subflow. `flow
// deps` reads it from the repository; deleting the middle flow is refused
// with its dependent named.
func TestFlowDepsFromRepository(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	repo, err := state.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer((&server.Server{Repo: repo, Flows: repo.(state.FlowStore)}).Handler())
	for _, src := range []string{
		"id: a\nnamespace: team.a\ntasks:\n  - id: t\n    type: core.Return\n    format: x\n",
		"id: b\nnamespace: team.b\ntasks:\n  - id: call\n    type: io.kestra.core.tasks.flows.Flow\n    namespace: team.a\n    flowId: a\n",
		"id: c\nnamespace: team.c\ntasks:\n  - id: t\n    type: core.Return\n    format: x\ntriggers:\n  - id: after-b\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n        namespace: team.b\n        flowId: b\n",
	} {
		resp, err := http.Post(hs.URL+"/api/v1/flows", "application/x-yaml", strings.NewReader(src))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("store: %v %v", err, resp.Status)
		}
		resp.Body.Close()
	}
	hs.Close()
	repo.Close()

	out, errOut, code := sluice(t, "--state", db, "flow", "deps", "team.b.b")
	if code != 0 {
		t.Fatalf("deps: %d %s", code, errOut)
	}
	for _, want := range []string{"uses:\n  team.a.a (subflow task call)", "used by:\n  team.c.c (its trigger after-b runs team.b.b)"} {
		if !strings.Contains(out, want) {
			t.Errorf("deps lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = sluice(t, "--state", db, "flow", "deps", "team.a.a", "--recursive", "--format", "dot")
	for _, want := range []string{`"team.b.b" -> "team.a.a" [label="subflow task call"];`, `"team.c.c" -> "team.b.b" [label="trigger after-b"];`} {
		if !strings.Contains(out, want) {
			t.Errorf("dot lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = sluice(t, "--state", db, "flow", "deps", "team.a.a", "--format", "json")
	if !strings.Contains(out, `"from": "team.b.b"`) || strings.Contains(out, "team.c.c") {
		t.Errorf("json (direct only):\n%s", out)
	}
	_, errOut, code = sluice(t, "--state", db, "flow", "delete", "team.b.b")
	if code != exitInvalid || !strings.Contains(errOut, "team.c.c (its trigger after-b runs team.b.b)") {
		t.Fatalf("delete of the middle flow: exit %d\n%s", code, errOut)
	}
	if _, errOut, code = sluice(t, "--state", db, "flow", "deps", "team.b.b"); code != 0 {
		t.Fatalf("b deleted without --force: %s", errOut)
	}
	if _, errOut, code = sluice(t, "--state", db, "flow", "delete", "team.b.b", "--force"); code != 0 {
		t.Fatalf("delete --force: %s", errOut)
	}
	if _, _, code = sluice(t, "--state", db, "flow", "deps", "team.b.b"); code != exitInvalid {
		t.Fatalf("deleted flow still found")
	}
	if _, _, code = sluice(t, "--state", db, "flow", "deps", "nodot"); code != exitInvalid {
		t.Fatalf("bad ref accepted")
	}
}

// `sluice server` end to end: flows from --flows are stored and run
// through the API, and cancelling the command (SIGTERM does the same)
// shuts it down gracefully.
func TestServerCommand(t *testing.T) {
	dir := t.TempDir()
	flowsDir := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, flowsDir, "hello.yml", "id: hello\nnamespace: cli.server\ntasks:\n  - id: say\n    type: core.Return\n    format: hi\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	root := newRoot()
	var out, errb syncBuffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs([]string{"--state-db", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"), "server", "--listen", addr, "--flows", flowsDir, "--workers", "2"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Post(base+"/api/v1/executions/trigger/cli.server/hello", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		ID string `json:"id"`
	}
	json.NewDecoder(resp.Body).Decode(&ex)
	resp.Body.Close()
	if resp.StatusCode != 200 || ex.ID == "" {
		t.Fatalf("trigger: %d\n%s", resp.StatusCode, errb.String())
	}
	for {
		var got struct {
			State struct {
				Current string `json:"current"`
			} `json:"state"`
		}
		resp, err := http.Get(base + "/api/v1/executions/" + ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.State.Current == "SUCCESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution is %s", got.State.Current)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("server exited with %v\n%s", err, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("server did not shut down")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
