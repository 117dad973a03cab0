package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leakSecret is distinctive, and changes under base64 and URL encoding.
const leakSecret = "Lk9$Qz!m@Wp3#Xv7/rT"

// leakForms are the forms of leakSecret that must appear nowhere.
func leakForms() map[string]string {
	return map[string]string{
		"plain":       leakSecret,
		"base64":      base64.StdEncoding.EncodeToString([]byte(leakSecret)),
		"url-encoded": url.QueryEscape(leakSecret),
		"substring":   leakSecret[2:10],
		"basic-auth":  base64.StdEncoding.EncodeToString([]byte("loader:" + leakSecret))[12:24],
	}
}

const leakFlow = `id: leaky
namespace: secrets.test
tasks:
  - id: log
    type: core.Log
    message: "pw {{ secret('LEAK_PW') }} b64 {{ secret('LEAK_PW') | base64encode }} url {{ secret('LEAK_PW') | urlencode }} part {{ secret('LEAK_PW') | slice(2, 10) }} basic {{ ('loader:' ~ secret('LEAK_PW')) | base64encode }}"
  - id: dsn
    type: core.Return
    format: "jdbc:mysql://loader:{{ secret('LEAK_PW') | urlencode }}@db:3306/shop"
  - id: shell
    type: scripts.Shell
    env:
      PW: "{{ secret('LEAK_PW') }}"
    commands:
      - echo "stdout $PW"
      - echo "stderr $PW" >&2
      - printf '%s' "$PW" | base64
      - 'echo "::{\"outputs\":{\"pw\":\"$PW\"}}::"'
      - echo "not the secret" > out.txt
    outputFiles: [out.txt]
  - id: fail
    type: core.Fail
    retry:
      type: constant
      interval: PT0.01S
      maxAttempt: 2
    errorMessage: "cannot connect to mysql://loader:{{ secret('LEAK_PW') }}@db: access denied"
`

// TestSecretsNeverLeak runs a flow that prints, encodes, cuts and fails with
// a secret through the built binary, then greps every channel: stdout and
// stderr of text and JSON runs, the state database, internal storage, and
// what executions show prints back.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "leaky.yml", strings.ReplaceAll(leakFlow, "~", "~"))
	env := []string{"SLUICE_SECRET_LEAK_PW=" + leakSecret}
	var outputs []string
	for _, format := range []string{"text", "json"} {
		out, errOut, code := runBinary(t, dir, env, "run", "--log-format", format, flow)
		if code != exitFailed {
			t.Fatalf("%s run: exit %d, want 1 (the last task fails)\n%s\n%s", format, code, out, errOut)
		}
		if !strings.Contains(out+errOut, "******") {
			t.Errorf("%s run shows no mask at all; did the flow run?\n%s\n%s", format, out, errOut)
		}
		outputs = append(outputs, out, errOut)
		id := executionID(t, out, format)
		for _, args := range [][]string{{"executions", "show", id, "--logs"}, {"--log-format", "json", "executions", "show", id, "--logs"}, {"executions", "list"}} {
			o, e, c := runBinary(t, dir, env, args...)
			if c != 0 {
				t.Fatalf("%v: exit %d\n%s\n%s", args, c, o, e)
			}
			outputs = append(outputs, o, e)
		}
	}
	files := map[string][]byte{}
	filepath.WalkDir(filepath.Join(dir, "home"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, rerr := os.ReadFile(p)
			if rerr == nil {
				files[p] = b
			}
		}
		return nil
	})
	if len(files) < 2 {
		t.Fatalf("found %d files under the state and storage folders", len(files))
	}
	for name, form := range leakForms() {
		for i, o := range outputs {
			if strings.Contains(o, form) {
				t.Errorf("%s form of the secret in output %d:\n%s", name, i, o)
			}
		}
		for p, b := range files {
			if strings.Contains(string(b), form) {
				t.Errorf("%s form of the secret in %s", name, p)
			}
		}
	}
}

func executionID(t *testing.T, out, format string) string {
	t.Helper()
	if format == "json" {
		i := strings.Index(out, `"id": "`)
		if i < 0 {
			t.Fatalf("no execution id in\n%s", out)
		}
		return strings.SplitN(out[i+len(`"id": "`):], `"`, 2)[0]
	}
	f := strings.Fields(out)
	if len(f) < 2 || f[0] != "execution" {
		t.Fatalf("no execution id in\n%s", out)
	}
	return f[1]
}

func TestMissingSecretIsAValidationError(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "needs.yml", `id: needs
namespace: secrets.test
tasks:
  - id: q
    type: core.Log
    message: "{{ secret('ABSENT_PW') }}"
`)
	secretsDir := filepath.Join(dir, "mounted")
	os.Mkdir(secretsDir, 0o755)
	for _, cmd := range [][]string{{"validate", flow}, {"run", flow}, {"--secrets", secretsDir, "validate", flow}} {
		out, errOut, code := runBinary(t, dir, nil, cmd...)
		if code != exitInvalid {
			t.Fatalf("%v: exit %d, want 2\n%s\n%s", cmd, code, out, errOut)
		}
		for _, want := range []string{flow + ":6:18:", `task "q"`, `secret "ABSENT_PW" is not set`, "SLUICE_SECRET_ABSENT_PW"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", cmd, want, errOut)
			}
		}
		if cmd[0] == "--secrets" && !strings.Contains(errOut, filepath.Join(secretsDir, "ABSENT_PW")) {
			t.Errorf("the folder looked in is not named:\n%s", errOut)
		}
	}
	if out, errOut, code := runBinary(t, dir, nil, "validate", "--skip-secrets", flow); code != 0 {
		t.Fatalf("--skip-secrets: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "src.yml", `id: sources
namespace: secrets.test
tasks:
  - id: r
    type: core.Return
    format: "{{ secret('FROM_ENV') | length }} {{ secret('FROM_KESTRA') | length }} {{ secret('FROM_FILE') | length }} {{ secret('FROM_YAML') | length }} {{ secret('db_password') | length }}"
`)
	dotenv := filepath.Join(dir, "s.env")
	os.WriteFile(dotenv, []byte("FROM_FILE=abcdefgh\n"), 0o600)
	yml := filepath.Join(dir, "s.yml")
	os.WriteFile(yml, []byte("FROM_YAML: \"1234567890\"\n"), 0o600)
	mounted := filepath.Join(dir, "run-secrets")
	os.Mkdir(mounted, 0o755)
	os.WriteFile(filepath.Join(mounted, "db-password"), []byte("twelve-chars\n"), 0o644)
	env := []string{"SLUICE_SECRET_FROM_ENV=xyz", "SECRET_FROM_KESTRA=" + base64.StdEncoding.EncodeToString([]byte("kestra"))}
	out, errOut, code := runBinary(t, dir, env, "--secrets", dotenv, "--secrets", yml, "--secrets", mounted, "run", flow)
	if code != 0 || !strings.Contains(out, "value=3 6 8 10 12") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}

	os.Chmod(dotenv, 0o644)
	_, errOut, code = runBinary(t, dir, env, "--secrets", dotenv, "run", flow)
	if code != exitInvalid || !strings.Contains(errOut, "readable or writable by other users") {
		t.Fatalf("a world-readable secrets file was accepted: exit %d\n%s", code, errOut)
	}
}

func TestPluginsDocDidYouMean(t *testing.T) {
	_, errOut, code := sluice(t, "plugins", "doc", "core.Retrun")
	if code != exitInvalid || !strings.Contains(errOut, `unknown task type "core.Retrun" (did you mean "core.Return"?)`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestSecretsNeverLeakThroughTheServer runs the same flow in `sluice
// server` (which resolves the secret from its own environment) and greps
// every API answer about it, the server's output and its files.
func TestSecretsNeverLeakThroughTheServer(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(sluiceBinary(t), "server", "--listen", "127.0.0.1:0", "--workers", "2", "--shutdown-grace", "5s")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_HOME=" + filepath.Join(dir, "home"), "SLUICE_SECRET_LEAK_PW=" + leakSecret}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var serverLog bytes.Buffer
	addr := make(chan string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			serverLog.WriteString(line + "\n")
			if i := strings.Index(line, "addr=http://"); i >= 0 {
				addr <- strings.Fields(line[i+len("addr="):])[0]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(time.Minute):
		t.Fatal("the server did not say where it listens")
	}
	var answers []string
	call := func(method, path, contentType, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %s\n%s", method, path, resp.Status, b)
		}
		answers = append(answers, string(b))
		return string(b)
	}
	call("POST", "/api/v1/flows", "application/x-yaml", leakFlow)
	var ex struct {
		ID    string `json:"id"`
		State struct {
			Current string `json:"current"`
		} `json:"state"`
	}
	if err := json.Unmarshal([]byte(call("POST", "/api/v1/executions/trigger/secrets.test/leaky", "", "")), &ex); err != nil || ex.ID == "" {
		t.Fatalf("trigger: %v %+v", err, ex)
	}
	id := ex.ID
	waitFor(t, "the execution to end", func() bool {
		json.Unmarshal([]byte(call("GET", "/api/v1/executions/"+id, "", "")), &ex)
		return ex.State.Current == "FAILED" || ex.State.Current == "SUCCESS" || ex.State.Current == "KILLED"
	})
	if ex.State.Current != "FAILED" {
		t.Fatalf("execution ended %s, want FAILED (the last task fails)", ex.State.Current)
	}
	for _, p := range []string{"/api/v1/logs/" + id, "/api/v1/executions/" + id + "/graph", "/api/v1/executions/search?namespace=secrets.test",
		"/api/v1/taskruns/search?namespace=secrets.test", "/api/v1/flows/secrets.test/leaky", "/metrics"} {
		call("GET", p, "", "")
	}
	if all := strings.Join(answers, "\n"); !strings.Contains(all, "******") {
		t.Errorf("no masked value in any answer; did the flow log its secret?\n%s", all)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	<-logDone
	cmd.Wait()
	outputs := append(answers, stdout.String(), serverLog.String())
	for name, form := range leakForms() {
		for i, o := range outputs {
			if strings.Contains(o, form) {
				t.Errorf("%s form of the secret in answer/output %d:\n%s", name, i, o)
			}
		}
		filepath.WalkDir(filepath.Join(dir, "home"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, rerr := os.ReadFile(p); rerr == nil && strings.Contains(string(b), form) {
					t.Errorf("%s form of the secret in %s", name, p)
				}
			}
			return nil
		})
	}
}
