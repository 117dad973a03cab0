package core_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	_ "github.com/sluicehq/sluice/flows/core"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/rows"
)

func TestShellFilesOutputsAndErrors(t *testing.T) {
	env := flowtest.New(t)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: make
    type: io.kestra.core.tasks.scripts.Bash
    inputFiles:
      in.txt: "a\nb\nc\n"
    commands:
      - tr a-z A-Z < in.txt > out.txt
      - 'echo ''::{"outputs":{"lines":3}}::'''
      - echo to stderr >&2
    outputFiles: [out.txt]
  - id: copy
    type: scripts.Shell
    inputFiles:
      data.txt: "{{ outputs.make.outputFiles['out.txt'] }}"
    commands:
      - cat data.txt data.txt > twice.txt
    outputFiles: [twice.txt]
  - id: split
    type: io.kestra.core.tasks.storages.Split
    from: "{{ outputs.copy.outputFiles['twice.txt'] }}"
    rows: 4
  - id: concat
    type: io.kestra.core.tasks.storages.Concat
    files: "{{ outputs.split.uris }}"
`, nil)
	env.RequireState(ex, state.Warning) // make wrote to stderr
	if st := env.TaskRun(ex, "make").State; st != state.Warning {
		t.Errorf("make ended %s, want WARNING (it wrote to stderr)", st)
	}
	if v, _ := env.Output(ex, "make", "vars").(*rows.OrderedMap).Get("lines"); fmt.Sprint(v) != "3" || fmt.Sprint(env.Output(ex, "make", "stdErrLineCount")) != "1" {
		t.Errorf("vars %v", v)
	}
	uris := env.Output(ex, "split", "uris").([]any)
	if len(uris) != 2 {
		t.Fatalf("split into %d parts", len(uris))
	}
	if size := env.Output(ex, "concat", "size"); size == nil || size.(interface{ String() string }).String() != "12" {
		t.Errorf("concat size %v", size)
	}

	ex = env.Run(`id: f
namespace: t
tasks:
  - id: quiet
    type: io.kestra.core.tasks.scripts.Bash
    warningOnStdErr: false
    commands:
      - echo progress >&2
`, nil)
	env.RequireState(ex, state.Success)

	ex = env.Run(`id: f
namespace: t
tasks:
  - id: bad
    type: scripts.Shell
    commands:
      - echo working
      - echo "disk full" >&2
      - exit 3
      - echo never
`, nil)
	env.RequireState(ex, state.Failed)
	tr := env.TaskRun(ex, "bad")
	if !strings.Contains(tr.Error, "exited with code 3") || !strings.Contains(tr.Error, "disk full") {
		t.Errorf("error %q", tr.Error)
	}
	if tr.Outputs["exitCode"].(interface{ String() string }).String() != "3" {
		t.Errorf("outputs %v", tr.Outputs)
	}
}

func TestShellTimeoutKillsProcessGroup(t *testing.T) {
	env := flowtest.New(t)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: slow
    type: scripts.Shell
    timeout: 200ms
    commands:
      - sleep 30 &
      - sleep 30
`, nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "slow"); !strings.Contains(tr.Error, "timed out") || tr.End.Sub(tr.Start) > 5e9 {
		t.Errorf("error %q after %v", tr.Error, tr.End.Sub(tr.Start))
	}
}

func TestPythonAndLogAndFail(t *testing.T) {
	env := flowtest.New(t)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: py
    type: io.kestra.core.tasks.scripts.Python
    inputFiles:
      main.py: |
        import json
        print("::" + json.dumps({"outputs": {"sum": 1 + 2}}) + "::")
    commands: [python3 main.py]
  - id: log
    type: core.Log
    message: "sum is {{ outputs.py.vars.sum }}"
  - id: maybe
    type: core.Fail
    condition: "{{ outputs.py.vars.sum == 4 }}"
`, nil)
	env.RequireState(ex, state.Success)
}

func TestNode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	env := flowtest.New(t)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: js
    type: io.kestra.core.tasks.scripts.Node
    inputFiles:
      main.js: |
        console.log("::" + JSON.stringify({outputs: {n: [1, 2].length}}) + "::");
    commands: [node main.js]
`, nil)
	env.RequireState(ex, state.Success)
	if v, _ := env.Output(ex, "js", "vars").(*rows.OrderedMap).Get("n"); fmt.Sprint(v) != "2" {
		t.Errorf("n = %v", v)
	}
}
