package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestRunOutputFormats(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 300)
	flow := write(t, dir, "f.yml", "id: out\nnamespace: t\ntasks:\n  - id: r\n    type: core.Return\n    format: "+long+"\n")
	// Piped, the table is never cut.
	out, _, code := runBinary(t, dir, nil, "run", flow)
	if code != 0 || !strings.Contains(out, "value="+long) {
		t.Fatalf("piped table cut or failed (exit %d):\n%s", code, out)
	}
	for _, format := range []string{"json", "yaml"} {
		out, _, code := runBinary(t, dir, nil, "run", "-o", format, flow)
		if code != 0 {
			t.Fatalf("-o %s: exit %d", format, code)
		}
		var doc map[string]any
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(out), &doc)
		} else {
			err = yaml.Unmarshal([]byte(out), &doc)
		}
		if err != nil || doc["state"] != "SUCCESS" || doc["flowId"] != "out" {
			t.Fatalf("-o %s: %v\n%s", format, err, out)
		}
		id := doc["id"].(string)
		for _, args := range [][]string{{"executions", "show", id, "-o", format}, {"executions", "list", "-o", format}} {
			o, e, c := runBinary(t, dir, nil, args...)
			if c != 0 || !strings.Contains(o, id) || !strings.Contains(o, "SUCCESS") {
				t.Errorf("%v: exit %d\n%s\n%s", args, c, o, e)
			}
		}
	}
	if _, errOut, code := runBinary(t, dir, nil, "run", "-o", "xml", flow); code != exitInvalid || !strings.Contains(errOut, "not wide, json or yaml") {
		t.Errorf("-o xml: exit %d %s", code, errOut)
	}
}

func TestJSONLogLinesAndStoredAttributes(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "f.yml", `id: logs
namespace: t
tasks:
  - id: each
    type: core.EachSequential
    value: ["a"]
    tasks:
      - id: flaky
        type: scripts.Shell
        retry: {type: constant, interval: PT0.01S, maxAttempt: 2}
        commands:
          - echo "try {{ taskrun.attemptsCount }}"
          - test -f MARKER || { touch MARKER; exit 3; }
`)
	flow = write(t, dir, "f.yml", strings.ReplaceAll(string(mustRead(t, flow)), "MARKER", filepath.Join(dir, "marker")))
	out, errOut, code := runBinary(t, dir, nil, "run", "--log-format", "json", flow)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	var sawTaskLine bool
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %q", l)
		}
		if m["execution_id"] == nil {
			t.Errorf("no execution_id: %s", l)
		}
		if m["task_id"] == "flaky" {
			sawTaskLine = true
			if m["task_run_id"] == nil || m["value"] != "a" || m["attempt"] == nil {
				t.Errorf("task line lacks task_run_id, value or attempt: %s", l)
			}
		}
	}
	if !sawTaskLine {
		t.Fatalf("no line of the task:\n%s", errOut)
	}
	var ex map[string]any
	json.Unmarshal([]byte(out), &ex)
	id := ex["id"].(string)
	// Stored lines keep their attributes: the retry's attempt, wait and
	// error, the iteration value.
	show, _, _ := runBinary(t, dir, nil, "executions", "show", id, "--logs")
	for _, want := range []string{"attempt failed, retrying", "attempt=1", "wait=10ms", "error=", "flaky[a]", "try 1"} { // attemptsCount: the attempts before this one, as Kestra
		if !strings.Contains(show, want) {
			t.Errorf("executions show --logs lacks %q:\n%s", want, show)
		}
	}
	logs, _, _ := runBinary(t, dir, nil, "--log-format", "json", "executions", "logs", id)
	if !strings.Contains(logs, `"wait":"10ms"`) || !strings.Contains(logs, `"task_id":"flaky"`) {
		t.Errorf("executions logs --log-format json:\n%s", logs)
	}

	// The final status line is JSON too.
	fail := write(t, dir, "fail.yml", "id: fail\nnamespace: t\ntasks:\n  - id: f\n    type: core.Fail\n")
	_, errOut, _ = runBinary(t, dir, nil, "run", "--log-format", "json", fail)
	last := lines[len(lines)-1]
	if l := strings.Split(strings.TrimSpace(errOut), "\n"); len(l) > 0 {
		last = l[len(l)-1]
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(last), &m); err != nil || m["level"] != "ERROR" || m["exit_code"] != float64(1) {
		t.Errorf("last stderr line: %q", last)
	}
}

func TestStatusFilter(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yml", "id: ok\nnamespace: t\ntasks:\n  - id: l\n    type: core.Log\n    message: hi\n")
	fail := write(t, dir, "fail.yml", "id: fail\nnamespace: t\ntasks:\n  - id: f\n    type: core.Fail\n")
	runBinary(t, dir, nil, "run", ok)
	runBinary(t, dir, nil, "run", fail)
	out, _, code := runBinary(t, dir, nil, "executions", "list", "--status", "failed")
	if code != 0 || !strings.Contains(out, "t.fail") || strings.Contains(out, "t.ok") {
		t.Errorf("--status failed:\n%s", out)
	}
	if _, errOut, code := runBinary(t, dir, nil, "executions", "list", "--status", "broken"); code != exitInvalid || !strings.Contains(errOut, "not one of") {
		t.Errorf("--status broken: %d %s", code, errOut)
	}
	_, errOut, code := runBinary(t, dir, nil, "executions", "list", "--state", "FAILED")
	if code != exitInvalid || !strings.Contains(errOut, "--status FAILED") {
		t.Errorf("--state FAILED: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "FAILED")); err == nil {
		t.Error("a database named FAILED was created")
	}
}

// waitFor polls cond until it holds or a minute has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startBinary starts the built sluice in the background.
func startBinary(t *testing.T, dir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(sluiceBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_HOME=" + filepath.Join(dir, "home")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &out
}

// runningID waits until an execution runs and returns its id.
func runningID(t *testing.T, dir string) string {
	var id string
	waitFor(t, "a RUNNING execution", func() bool {
		out, _, _ := runBinary(t, dir, nil, "executions", "list", "--status", "running", "-o", "json")
		var list []map[string]any
		if json.Unmarshal([]byte(out), &list) == nil && len(list) > 0 {
			id = list[0]["id"].(string)
			return true
		}
		return false
	})
	return id
}

// gateFlow logs, then waits for the file go to appear, then logs again.
const gateFlow = `id: gate
namespace: t
tasks:
  - id: wait
    type: scripts.Shell
    commands:
      - echo before the gate
      - while [ ! -f ../../go ]; do sleep 0.02; done
      - echo after the gate
`

func TestExecutionsLogsFollow(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "go")
	flow := write(t, dir, "gate.yml", strings.ReplaceAll(gateFlow, "../../go", gate))
	run, _ := startBinary(t, dir, "run", flow)
	id := runningID(t, dir)

	follow := exec.Command(sluiceBinary(t), "executions", "logs", id, "-f")
	follow.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_HOME=" + filepath.Join(dir, "home")}
	stdout, _ := follow.StdoutPipe()
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	next := func(want string) {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("logs -f ended before %q:\n%s", want, strings.Join(got, "\n"))
				}
				got = append(got, l)
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q from logs -f:\n%s", want, strings.Join(got, "\n"))
			}
		}
	}
	next("before the gate")
	// The execution is still waiting: following has printed its first
	// lines while it runs. Open the gate.
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	next("after the gate")
	next("execution ended")
	if err := follow.Wait(); err != nil {
		t.Fatalf("logs -f: %v", err)
	}
	if err := run.Wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestInterruptExits130(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "gate.yml", strings.ReplaceAll(gateFlow, "../../go", filepath.Join(dir, "never")))
	run, out := startBinary(t, dir, "run", flow)
	id := runningID(t, dir)
	if err := run.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := run.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want %d\n%s", err, exitInterrupted, out)
	}
	show, _, _ := runBinary(t, dir, nil, "executions", "show", id)
	if !strings.Contains(show, "KILLED") {
		t.Errorf("execution after Ctrl-C:\n%s", show)
	}
}

func TestStorageCatDecodesOrRefuses(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "in.jsonl", "{\"id\":1,\"name\":\"ann\"}\n{\"id\":2,\"name\":\"bob\"}\n")
	flow := write(t, dir, "f.yml", `id: files
namespace: t
tasks:
  - id: read
    type: serdes.json.Reader
    from: in.jsonl
  - id: avro
    type: serdes.avro.Writer
    from: "{{ outputs.read.uri }}"
  - id: bin
    type: scripts.Shell
    commands:
      - printf 'GIF89a\000\001\002\377' > blob.bin
    outputFiles: [blob.bin]
`)
	out, errOut, code := runBinary(t, dir, nil, "run", "-o", "json", flow)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var ex jsonExecution
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatal(err)
	}
	var avroURI, binURI string
	for _, tr := range ex.TaskRuns {
		switch tr.TaskID {
		case "avro":
			avroURI = tr.Outputs["uri"].(string)
		case "bin":
			binURI = tr.Outputs["outputFiles"].(map[string]any)["blob.bin"].(string)
		}
	}
	got, errOut, code := runBinary(t, dir, nil, "storage", "cat", avroURI)
	if code != 0 || got != "{\"id\":1,\"name\":\"ann\"}\n{\"id\":2,\"name\":\"bob\"}\n" {
		t.Errorf("storage cat of the Avro file: exit %d\n%q\n%s", code, got, errOut)
	}
	// Piped, a binary file comes out as its bytes (as cat would).
	if got, _, code := runBinary(t, dir, nil, "storage", "cat", binURI); code != 0 || got != "GIF89a\x00\x01\x02\xff" {
		t.Errorf("piped binary: exit %d %q", code, got)
	}
	list, _, code := runBinary(t, dir, nil, "storage", "ls", "-o", "json", "sluice:///t/files/executions/"+ex.ID)
	var files []map[string]any
	if code != 0 || json.Unmarshal([]byte(list), &files) != nil || len(files) < 3 {
		t.Errorf("storage ls -o json: exit %d\n%s", code, list)
	}
	// On a terminal it is refused without --raw.
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is needed for a pseudo-terminal")
	}
	term := func(args string) (string, int) {
		cmd := exec.Command("script", "-qec", sluiceBinary(t)+" "+args, "/dev/null")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_HOME=" + filepath.Join(dir, "home"), "TERM=xterm"}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		return string(out), 0
	}
	if out, code := term("storage cat " + binURI); code != exitInvalid || !strings.Contains(out, "is a binary file") || !strings.Contains(out, "--raw") {
		t.Errorf("binary on a terminal: exit %d\n%q", code, out)
	}
	if out, code := term("storage cat --raw " + binURI); code != 0 || !strings.Contains(out, "GIF89a") {
		t.Errorf("--raw on a terminal: exit %d\n%q", code, out)
	}
}
