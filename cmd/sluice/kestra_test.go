package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Kestra 0.4's test flows, run through the CLI for what only the CLI does
// (the flows themselves are run by flows/kestra_test.go).
const kestraFlows = "../../flows/testdata/kestra/flows"

// RunContextTest.logs: Echo at TRACE is stored and shown with
// --log-level trace, under its name.
func TestKestraLogsAtTrace(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	_, errOut, code := sluice(t, "run", filepath.Join(kestraFlows, "valids/logs.yaml"), "--log-level", "trace",
		"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	for _, want := range []string{"TRACE t1", "first t1", "WARN  t2", "second io.kestra.core.tasks.debugs.Echo", "ERROR t3", "third logs"} {
		if !strings.Contains(strings.Join(strings.Fields(errOut), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, errOut)
		}
	}
	_, errOut, _ = sluice(t, "run", filepath.Join(kestraFlows, "valids/logs.yaml"),
		"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"))
	if strings.Contains(errOut, "first t1") {
		t.Errorf("TRACE line shown at the default level:\n%s", errOut)
	}
}

// RunContextTest.inputsLarge: a STRING input too large for a command line
// is read from a file with -i name=@path; @@ passes a literal @.
func TestKestraInputFromFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLUICE_HOME", filepath.Join(dir, "home"))
	large := strings.Repeat("a", 11*1024)
	p := write(t, dir, "large.txt", large)
	out, errOut, code := sluice(t, "run", filepath.Join(kestraFlows, "valids/inputs-large.yaml"), "-i", "string=@"+p,
		"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"), "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(out+errOut, large); n < 9 {
		t.Errorf("the file's content reached %d of the 9 task runs", n)
	}

	flow := write(t, dir, "at.yml", "id: at\nnamespace: cli.test\ninputs:\n  - name: s\n    type: STRING\ntasks:\n  - id: r\n    type: core.Return\n    format: \"{{ inputs.s }}\"\n")
	out, errOut, code = sluice(t, "run", flow, "-i", "s=@@handle",
		"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"), "--log-format", "json")
	if code != 0 || !strings.Contains(out+errOut, `"@handle"`) {
		t.Errorf("exit %d, @@ not passed as a literal @:\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = sluice(t, "run", flow, "-i", "s=@"+filepath.Join(dir, "missing.txt"),
		"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage"))
	if code == 0 || !strings.Contains(errOut, "missing.txt") || !strings.Contains(errOut, "s=@@") {
		t.Errorf("exit %d for a missing input file:\n%s", code, errOut)
	}
}
