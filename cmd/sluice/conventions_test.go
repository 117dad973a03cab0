package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	ld := "-X main.version=v9.8.7 -X main.commit=0123456789ab -X main.buildDate=2024-01-31T10:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := "sluice v9.8.7 (commit 0123456789ab, built 2024-01-31T10:00:00Z, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil || string(out) != want {
			t.Errorf("%v: %q, %v; want %q", args, out, err, want)
		}
	}
	// A plain build still names its Go version.
	out, _, code := runBinary(t, dir, nil, "--version")
	if code != 0 || !strings.Contains(out, runtime.Version()) || !strings.HasPrefix(out, "sluice ") {
		t.Errorf("plain build: %q", out)
	}
}

func TestValidateJSON(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yml", "id: g\nnamespace: t\ntasks:\n  - id: l\n    type: core.Log\n    message: hi\n")
	bad := write(t, dir, "bad.yml", "id: b\nnamespace: t\ntasks:\n  - id: r\n    type: core.Retrun\n  - id: e\n    type: core.EachSequential\n    value: [1]\n    tasks:\n      - id: l\n        type: core.Log\n        message: \"{{ taskrun.valu }}\"\n")
	tab := write(t, dir, "tab.yml", "id: b\nnamespace: t\ntasks:\n  - id: x\n\ttype: core.Log\n")
	out, errOut, code := runBinary(t, dir, nil, "validate", "-o", "json", good, bad, tab)
	if code != exitInvalid || errOut != "" {
		t.Fatalf("exit %d, stderr %q (want 2 and nothing on stderr)", code, errOut)
	}
	var rep validateReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Valid || len(rep.Flows) != 3 || !rep.Flows[0].Valid || rep.Flows[0].Flow != "t.g" || rep.Flows[1].Valid {
		t.Errorf("flows: %+v", rep.Flows)
	}
	want := []problem{
		{File: bad, Line: 5, Column: 11, Severity: "error", Task: "r", Property: "type", Message: `unknown task type "core.Retrun"`, Suggestion: "core.Return"},
		{File: bad, Line: 12, Column: 22, Severity: "error", Task: "l", Property: "message", Message: `taskrun.valu: taskrun has no key "valu"; its keys are id, startDate, attemptsCount, parentId, value`, Suggestion: "taskrun.value"},
		{File: tab, Line: 5, Column: 1, Severity: "error", Message: "found a tab character that violates indentation", Hint: "YAML indents with spaces only: replace the tab with spaces"},
	}
	if len(rep.Problems) != len(want) {
		t.Fatalf("problems: %+v", rep.Problems)
	}
	for i, w := range want {
		if rep.Problems[i] != w {
			t.Errorf("problem %d:\n got %+v\nwant %+v", i, rep.Problems[i], w)
		}
	}
	if out, _, code := runBinary(t, dir, nil, "validate", "-o", "yaml", good); code != 0 || !strings.Contains(out, "valid: true") {
		t.Errorf("-o yaml: exit %d\n%s", code, out)
	}
}

func TestStateDBAndQuiet(t *testing.T) {
	dir := t.TempDir()
	flow := write(t, dir, "f.yml", "id: q\nnamespace: t\ntasks:\n  - id: l\n    type: core.Log\n    message: hello from the log\n")
	db := filepath.Join(dir, "elsewhere.db")
	out, errOut, code := runBinary(t, dir, nil, "--state-db", db, "-q", "run", flow)
	if code != 0 || strings.Contains(errOut, "hello from the log") || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("--state-db not used: %v", err)
	}
	out, _, _ = runBinary(t, dir, []string{"SLUICE_STATE=" + db}, "executions", "list")
	if !strings.Contains(out, "t.q") {
		t.Errorf("SLUICE_STATE not used:\n%s", out)
	}
	// --state stays as a hidden alias.
	other := filepath.Join(dir, "alias.db")
	if _, _, code := runBinary(t, dir, nil, "--state", other, "run", flow); code != 0 {
		t.Fatalf("--state alias: exit %d", code)
	}
	if out, _, _ = runBinary(t, dir, nil, "--state-db", other, "executions", "list"); !strings.Contains(out, "t.q") {
		t.Errorf("--state alias:\n%s", out)
	}
	if out, _, _ := runBinary(t, dir, nil, "--help"); strings.Contains(out, "--state ") || !strings.Contains(out, "--state-db") {
		t.Errorf("help:\n%s", out)
	}
}

// TestNoColor runs sluice on a pseudo-terminal (script(1)): colours there,
// none with NO_COLOR or --no-color.
func TestNoColor(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is needed for a pseudo-terminal")
	}
	dir := t.TempDir()
	flow := write(t, dir, "f.yml", "id: c\nnamespace: t\ntasks:\n  - id: f\n    type: core.Fail\n")
	bin := sluiceBinary(t)
	for _, tc := range []struct {
		name, env, flag string
		color           bool
	}{{"terminal", "", "", true}, {"NO_COLOR", "NO_COLOR=1", "", false}, {"--no-color", "", "--no-color", false}} {
		cmdline := bin + " " + tc.flag + " run " + flow
		cmd := exec.Command("script", "-qec", cmdline, "/dev/null")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLUICE_HOME=" + filepath.Join(dir, "home"), "TERM=xterm"}
		if tc.env != "" {
			cmd.Env = append(cmd.Env, tc.env)
		}
		out, _ := cmd.CombinedOutput()
		if got := strings.Contains(string(out), "\x1b["); got != tc.color {
			t.Errorf("%s: colour %v, want %v:\n%q", tc.name, got, tc.color, out)
		}
	}
}

// TestReadmeInstall keeps the README's install section true: the module
// is built from a clone (it is not published), with the Go of go.mod.
func TestReadmeInstall(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var goLine string
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			goLine = strings.TrimSpace(v)
		}
	}
	if goLine == "" || !strings.Contains(string(readme), "Go "+goLine+" or later (the `go` line of go.mod)") {
		t.Errorf("README does not state go.mod's Go version %q", goLine)
	}
	if strings.Contains(string(readme), "go install github.com/sluicehq/sluice/cmd/sluice@latest\n") || !strings.Contains(string(readme), "go build -o sluice ./cmd/sluice") {
		t.Error("README must say to build from a clone, not go install @latest")
	}
}
