package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sluice runs the CLI in-process and returns stdout, stderr and exit code.
func sluice(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitInvalid
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFailRestart(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	marker := filepath.Join(dir, "ran.txt")
	broken := write(t, dir, "broken.yml", `id: restartable
namespace: cli.test
tasks:
  - id: first
    type: scripts.Shell
    commands:
      - echo ran >> `+marker+`
      - 'echo ''::{"outputs":{"rows":42}}::'''
      - echo data > f.txt
    outputFiles: [f.txt]
  - id: second
    type: core.Fail
    errorMessage: "broken after {{ outputs.first.vars.rows }} rows"
`)
	out, errOut, code := sluice(t, "run", broken)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "error in second: broken after 42 rows") || !strings.Contains(out, "sluice restart ") {
		t.Errorf("run output:\n%s", out)
	}
	id := strings.Fields(out)[1]

	fixed := write(t, dir, "fixed.yml", strings.Replace(string(mustRead(t, broken)), "type: core.Fail\n    errorMessage", "type: core.Return\n    format", 1))
	out, errOut, code = sluice(t, "restart", id[:8], "--flow", fixed)
	if code != exitOK {
		t.Fatalf("restart exit %d\n%s\n%s", code, out, errOut)
	}
	if got := string(mustRead(t, marker)); got != "ran\n" {
		t.Errorf("first task ran again on restart: %q", got)
	}
	if !strings.Contains(out, "value=broken after 42 rows") {
		t.Errorf("restart output:\n%s", out)
	}

	out, _, code = sluice(t, "executions", "list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "SUCCESS") {
		t.Errorf("list:\n%s", out)
	}
	out, _, code = sluice(t, "--log-format", "json", "executions", "show", id, "--logs")
	if code != 0 {
		t.Fatalf("show exit %d", code)
	}
	var ex jsonExecution
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&ex); err != nil || ex.ID != id || ex.Restarts != 1 || len(ex.TaskRuns) != 2 {
		t.Errorf("show json: %v %+v", err, ex)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "home", "storage", "cli", "test", "restartable", "executions")); len(entries) != 1 {
		t.Errorf("expected the execution's files in storage: %v", entries)
	}
	out, _, code = sluice(t, "executions", "delete", id)
	if code != 0 || !strings.Contains(out, "deleted "+id) {
		t.Errorf("delete: %d %s", code, out)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "home", "storage", "cli", "test", "restartable", "executions")); len(entries) != 0 {
		t.Errorf("storage not purged: %v", entries)
	}
	if _, _, code := sluice(t, "executions", "show", "nonexistent-id"); code != exitInvalid {
		t.Errorf("show of unknown id: exit %d", code)
	}
}

func TestValidateSeedTypo(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "seed.yml", `id: mysql-to-sqlserver
namespace: io.kestra.tests
tasks:
  - id: query
    type: core.Return
    format: select
  - id: load
    type: core.Log
    message: "{{ inputs.query.uri }}"
`)
	_, errOut, code := sluice(t, "validate", p)
	if code != exitInvalid {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut, p+`:9:18: task "load"`) || !strings.Contains(errOut, `did you mean "outputs.query.uri"?`) {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, _, code := sluice(t, "run", p); code != exitInvalid {
		t.Errorf("run of an invalid flow: exit %d, want 2", code)
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	p := write(t, dir, "in.yml", "id: f\nnamespace: n\ninputs: [{name: n, type: INT}]\ntasks: [{id: r, type: core.Return, format: \"{{ inputs.n }}\"}]\n")
	for _, args := range [][]string{
		{"run"}, {"run", p, "--input", "n=abc"}, {"run", p}, {"run", p, "--input", "nope"},
		{"--log-format", "xml", "run", p}, {"run", p, "--bogus"}, {"plugins", "doc", "no.Such"},
	} {
		if _, _, code := sluice(t, args...); code != exitInvalid {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	out, _, code := sluice(t, "--log-format", "json", "run", p, "-i", "n=7")
	var ex jsonExecution
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil || ex.TaskRuns[0].Outputs["value"] != "7" {
		t.Errorf("json run: %d %s", code, out)
	}
}

func TestPluginsCommands(t *testing.T) {
	out, _, code := sluice(t, "plugins", "list")
	if code != 0 || !strings.Contains(out, "io.kestra.core.tasks.debugs.Echo") {
		t.Errorf("list:\n%s", out)
	}
	out, _, _ = sluice(t, "plugins", "doc", "io.kestra.core.tasks.scripts.Bash")
	if !strings.HasPrefix(out, "# scripts.Shell") || !strings.Contains(out, "| `commands` | list of string | yes |") {
		t.Errorf("doc:\n%s", out)
	}
	out, _, _ = sluice(t, "plugins", "schema")
	var schema map[string]any
	if err := json.Unmarshal([]byte(out), &schema); err != nil || schema["$defs"] == nil {
		t.Errorf("schema: %v", err)
	}
	dir := t.TempDir()
	if _, _, code := sluice(t, "plugins", "doc", "--out", dir); code != 0 {
		t.Fatal("doc --out failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "core.Log.md")); err != nil {
		t.Error(err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigGlobalsVarsAndEnvs(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	t.Setenv("SLUICE_ENV_STAGE", "prod")
	cfg := write(t, dir, "config.yml", "globals:\n  region: eu\nvars:\n  a: from-config\n  b: from-config\n")
	p := write(t, dir, "f.yml", "id: f\nnamespace: n\nvariables:\n  b: from-flow\ntasks:\n  - id: r\n    type: core.Return\n    format: \"{{ globals.region }} {{ vars.a }} {{ vars.b }} {{ vars.c }} {{ envs.stage }}\"\n")
	out, errOut, code := sluice(t, "--config", cfg, "--log-format", "json", "run", p, "--var", "c=from-cli")
	var ex jsonExecution
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if got := ex.TaskRuns[0].Outputs["value"]; got != "eu from-config from-flow from-cli prod" {
		t.Errorf("got %q", got)
	}
	if _, _, code := sluice(t, "--config", filepath.Join(dir, "missing.yml"), "run", p); code != exitInvalid {
		t.Errorf("missing explicit config: exit %d", code)
	}
}

// TestQuickstart keeps the README's first command working.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	cfg := write(t, dir, "config.yml", "globals:\n  tmpdir: "+dir+"\n")
	out, errOut, code := sluice(t, "--config", cfg, "--log-format", "json", "run", "../../examples/quickstart/flow.yml")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var ex jsonExecution
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatal(err)
	}
	last := ex.TaskRuns[len(ex.TaskRuns)-1]
	if last.TaskID != "summary" || last.Outputs["value"] != "20 orders read; 20 rows and 101 items in SQLite" {
		t.Errorf("summary %+v", last)
	}
	for _, f := range []string{"../../examples/quickstart/flow.yml", "../../examples/mysql-to-postgres/flow.yml", "../../examples/mysql-to-sqlserver/flow.yml"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		if _, errOut, code := sluice(t, "validate", f); code != 0 {
			t.Errorf("%s does not validate:\n%s", f, errOut)
		}
	}
}

func TestFlowDepsAndDelete(t *testing.T) {
	dir := t.TempDir()
	leaf := write(t, dir, "leaf.yml", "id: leaf\nnamespace: d\ntasks: [{id: a, type: core.Return, format: x}]\n")
	write(t, dir, "mid.yml", "id: mid\nnamespace: d\ntasks: [{id: call, type: io.kestra.core.tasks.flows.Flow, namespace: d, flowId: leaf}]\n")
	write(t, dir, "top.yml", "id: top\nnamespace: d\ntasks: [{id: call, type: core.Subflow, namespace: d, flowId: mid}]\n")
	write(t, dir, "watcher.yml", "id: watcher\nnamespace: d\ntasks: [{id: a, type: core.Log, message: x}]\ntriggers:\n  - id: after-leaf\n    type: io.kestra.core.models.triggers.types.Flow\n    conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition\n        namespace: d\n        flowId: leaf\n")
	out, errOut, code := sluice(t, "flow", "deps", leaf, "--recursive")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"d.mid (its subflow task call runs d.leaf)", "d.top (its subflow task call runs d.mid)", "d.watcher (its trigger after-leaf runs d.leaf)"} {
		if !strings.Contains(out, want) {
			t.Errorf("deps lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := sluice(t, "flow", "delete", leaf); code != exitInvalid {
		t.Errorf("delete of a depended-on flow without --yes: exit %d", code)
	}
	if _, err := os.Stat(leaf); err != nil {
		t.Fatal("flow deleted without confirmation")
	}
	if _, _, code := sluice(t, "flow", "delete", leaf, "--yes"); code != 0 {
		t.Errorf("delete --yes: exit %d", code)
	}
	if _, err := os.Stat(leaf); err == nil {
		t.Error("not deleted")
	}
}

// TestPluginDocsUpToDate keeps docs/plugins in step with the registry:
// regenerate with `go run ./cmd/sluice plugins doc --out docs/plugins`.
func TestPluginDocsUpToDate(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := sluice(t, "plugins", "doc", "--out", dir); code != 0 {
		t.Fatal(errOut)
	}
	committed := "../../docs/plugins"
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	if len(want) != len(have) {
		t.Errorf("docs/plugins has %d pages, the registry makes %d: run go run ./cmd/sluice plugins doc --out docs/plugins", len(have), len(want))
	}
	for _, p := range want {
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(p)))
		if err != nil || !bytes.Equal(got, mustRead(t, p)) {
			t.Errorf("docs/plugins/%s is stale: run go run ./cmd/sluice plugins doc --out docs/plugins", filepath.Base(p))
		}
	}
}
