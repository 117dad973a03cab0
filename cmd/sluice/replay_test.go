package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/state"
)

func TestReplayAndMark(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	flow := write(t, dir, "each.yml", `id: replayable
namespace: cli.test
tasks:
  - id: each
    type: core.EachSequential
    value: '["a", "b"]'
    tasks:
      - id: check
        type: core.Fail
        condition: "{{ taskrun.value == 'b' }}"
        errorMessage: "value {{ taskrun.value }}"
  - id: after
    type: core.Return
    format: done
`)
	out, errOut, code := sluice(t, "--log-format", "json", "run", flow)
	if code != exitFailed {
		t.Fatalf("run exit %d\n%s\n%s", code, out, errOut)
	}
	id := jsonID(t, out)

	// mark the failed iteration SUCCESS: the execution goes on to "after".
	out, errOut, code = sluice(t, "executions", "mark", id, "check", "success", "--value", "b")
	if code != exitOK {
		t.Fatalf("mark exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "SUCCESS") || !strings.Contains(out, "value=done") {
		t.Errorf("mark output:\n%s", out)
	}
	if _, errOut, code := sluice(t, "executions", "mark", id, "nope", "success"); code != exitInvalid || !strings.Contains(errOut, "tasks that ran: each, check, after") {
		t.Errorf("mark of an unknown task: exit %d %s", code, errOut)
	}
	if _, _, code := sluice(t, "executions", "mark", id, "check", "running"); code != exitInvalid {
		t.Errorf("mark RUNNING: exit %d", code)
	}

	// replay from the first iteration: a new execution, parent = id, in
	// which b fails again.
	out, errOut, code = sluice(t, "--log-format", "json", "replay", id, "check", "--value", "a")
	if code != exitFailed {
		t.Fatalf("replay exit %d\n%s\n%s", code, out, errOut)
	}
	rid := jsonID(t, out)
	if rid == id {
		t.Fatal("replay kept the execution id")
	}
	repo, err := state.Open(filepath.Join(dir, "home", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	rex, err := repo.GetExecution(context.Background(), rid)
	if err != nil {
		t.Fatal(err)
	}
	if rex.ParentID != id || rex.State != state.Failed {
		t.Errorf("replay: parent %q state %s", rex.ParentID, rex.State)
	}
}

func TestOrphanedExecutionKilled(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A process that ran and is gone: its pid is not alive any more.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no 'true' command to get a dead pid from")
	}
	dead := cmd.ProcessState.Pid()
	repo, err := state.Open(filepath.Join(dir, "home", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	host := hostname(t)
	now := time.Now()
	ex := &state.Execution{ID: "orphan000001", Namespace: "cli.test", FlowID: "f", FlowSource: "id: f\nnamespace: cli.test\ntasks: []\n",
		Start: now, Owner: &state.Owner{Host: host, PID: dead, Started: now, Heartbeat: now},
		TaskRuns: []*state.TaskRun{{ID: "tr1", TaskID: "t", State: state.Running}}}
	ex.SetState(state.Running, now)
	if err := repo.Tx(context.Background(), func(tx state.Tx) error { return tx.CreateExecution(context.Background(), ex) }); err != nil {
		t.Fatal(err)
	}
	repo.Close()
	out, errOut, code := sluice(t, "executions", "list")
	if code != exitOK || !strings.Contains(errOut, "orphan000001 (cli.test.f) marked KILLED") || !strings.Contains(out, "KILLED") {
		t.Fatalf("list: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, _ = sluice(t, "--log-format", "json", "executions", "show", "orphan000001")
	if !strings.Contains(out, `"state": "KILLED"`) {
		t.Errorf("show after reaping:\n%s", out)
	}
}

// jsonID reads the execution id of `--log-format json run|restart|replay`.
func jsonID(t *testing.T, out string) string {
	t.Helper()
	var ex jsonExecution
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&ex); err != nil || ex.ID == "" {
		t.Fatalf("no execution in output: %v\n%s", err, out)
	}
	return ex.ID
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Skip("no host name")
	}
	return h
}
