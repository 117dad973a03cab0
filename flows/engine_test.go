package flows_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// flaky fails until it has been called failures+1 times for its key.
type flaky struct {
	Key      string `yaml:"key" required:"true"`
	Failures int    `yaml:"failures"`
	Block    bool   `yaml:"block" doc:"wait for cancellation"`
	// BlockFirst blocks on the first call only (a run handed back at
	// shutdown that the next engine runs to its end).
	BlockFirst bool `yaml:"blockFirst"`
}

var (
	callsMu sync.Mutex
	calls   = map[string]int{}
	running atomic.Int32
	peak    atomic.Int32
)

func callCount(key string) int {
	callsMu.Lock()
	defer callsMu.Unlock()
	return calls[key]
}

func (f *flaky) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	n := running.Add(1)
	defer running.Add(-1)
	for {
		p := peak.Load()
		if n <= p || peak.CompareAndSwap(p, n) {
			break
		}
	}
	callsMu.Lock()
	calls[f.Key]++
	c := calls[f.Key]
	callsMu.Unlock()
	if f.Block || (f.BlockFirst && c == 1) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	time.Sleep(5 * time.Millisecond)
	if c <= f.Failures {
		return nil, fmt.Errorf("boom %d", c)
	}
	return plugin.Outputs{"calls": c, "attempt": rc.Attempt()}, nil
}

// testTasks is the shipped task types plus this file's own, kept out of
// plugin.Default so that no other test (or `sluice plugins list`) sees them.
// Built on first use: this package's own init() registers the flowable
// tasks after package variables are initialised.
var testTasks = sync.OnceValue(func() *plugin.Registry {
	r := plugin.Default.Clone()
	r.Register(plugin.Info{ID: "test.Flaky", New: func() any { return &flaky{} },
		Outputs: []plugin.Output{{Name: "calls"}, {Name: "attempt"}}})
	return r
})

func states(ex *state.Execution) map[string]state.State {
	out := map[string]state.State{}
	for _, tr := range ex.TaskRuns {
		k := tr.TaskID
		if tr.Value != "" {
			k += "[" + tr.Value + "]"
		}
		out[k] = tr.State
	}
	return out
}

func TestOutputsEachAndParents(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: outer
    type: core.EachSequential
    value: ["a", "b"]
    tasks:
      - id: inner
        type: core.EachParallel
        value: '[1, 2]'
        tasks:
          - id: leaf
            type: core.Return
            format: "{{ parent.taskrun.value }}-{{ taskrun.value }}-{{ parents[0].taskrun.value }}"
  - id: pick
    type: core.Return
    format: "{{ outputs.leaf['b']['2'].value }}"
  - id: sw
    type: core.Switch
    value: "{{ outputs.pick.value }}"
    cases:
      b-2-b:
        - id: matched
          type: core.Return
          format: yes
    defaults:
      - id: nomatch
        type: core.Return
        format: no
`, nil)
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "pick", "value"); got != "b-2-b" {
		t.Errorf("pick = %v", got)
	}
	if env.TaskRun(ex, "matched") == nil || env.TaskRun(ex, "nomatch") != nil {
		t.Errorf("switch ran the wrong branch: %v", states(ex))
	}
	if n := len(ex.TaskRuns); n != 1+2+4+1+1+1 {
		t.Errorf("%d task runs", n)
	}
}

func TestRetryAndWarningOnRetry(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: r
    type: test.Flaky
    key: retry1
    failures: 2
    retry:
      type: constant
      interval: 10ms
      maxAttempt: 5
      warningOnRetry: true
`, nil)
	env.RequireState(ex, state.Warning)
	tr := env.TaskRun(ex, "r")
	if len(tr.Attempts) != 3 || tr.Attempts[0].State != state.Failed || tr.Attempts[2].State != state.Success {
		t.Errorf("attempts: %+v", tr.Attempts)
	}
	if fmt.Sprint(tr.Outputs["attempt"]) != "3" {
		t.Errorf("outputs %v", tr.Outputs)
	}

	ex = env.Run(`id: f
namespace: t
tasks:
  - id: r
    type: test.Flaky
    key: retry2
    failures: 10
    retry:
      type: exponential
      interval: 5ms
      maxInterval: 10ms
      maxAttempt: 3
`, nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "r"); len(tr.Attempts) != 3 || tr.Error != "after 3 attempts: boom 3" {
		t.Errorf("attempts %d, error %q", len(tr.Attempts), tr.Error)
	}
}

func TestTimeoutFailsAndCancels(t *testing.T) {
	env := flowtest.New(t, testTasks())
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: slow
    type: test.Flaky
    key: timeout
    block: true
    timeout: 50ms
  - id: never
    type: core.Return
    format: x
`, nil)
	env.RequireState(ex, state.Failed)
	tr := env.TaskRun(ex, "slow")
	if tr.State != state.Failed || tr.Error == "" || env.TaskRun(ex, "never") != nil {
		t.Errorf("slow %s %q; never ran: %v", tr.State, tr.Error, env.TaskRun(ex, "never") != nil)
	}
}

func TestParallelConcurrencyAndFailure(t *testing.T) {
	env := flowtest.New(t, testTasks())
	peak.Store(0)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: p
    type: core.EachParallel
    concurrent: 2
    value: [1, 2, 3, 4, 5, 6]
    tasks:
      - id: w
        type: test.Flaky
        key: par
`, nil)
	env.RequireState(ex, state.Success)
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
	ex = env.Run(`id: f
namespace: t
tasks:
  - id: af
    type: core.AllowFailure
    tasks:
      - id: bad
        type: core.Fail
        errorMessage: nope
  - id: after
    type: core.Return
    format: ok
  - id: seq
    type: core.Sequential
    tasks:
      - id: bad2
        type: core.Fail
    errors:
      - id: handler
        type: core.Return
        format: handled
errors:
  - id: flowHandler
    type: core.Return
    format: "{{ execution.id }}"
`, nil)
	env.RequireState(ex, state.Failed)
	s := states(ex)
	if s["af"] != state.Warning || s["after"] != state.Success || s["handler"] != state.Success || s["flowHandler"] != state.Success || s["bad2"] != state.Failed {
		t.Errorf("states %v", s)
	}
}

func TestRestartReusesSucceededTasks(t *testing.T) {
	env := flowtest.New(t, testTasks())
	broken := `id: f
namespace: t
tasks:
  - id: first
    type: test.Flaky
    key: restart-first
  - id: second
    type: core.Fail
    errorMessage: "{{ outputs.first.calls }} broken"
`
	ex := env.Run(broken, nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "second"); tr.Error != "1 broken" {
		t.Fatalf("error %q", tr.Error)
	}
	fixed := `id: f
namespace: t
tasks:
  - id: first
    type: test.Flaky
    key: restart-first
  - id: second
    type: core.Return
    format: "{{ outputs.first.calls }} fixed"
`
	re := env.Restart(ex.ID, fixed)
	env.RequireState(re, state.Success)
	if re.ID != ex.ID || re.RestartCount != 1 {
		t.Errorf("restart id %s count %d", re.ID, re.RestartCount)
	}
	if c := callCount("restart-first"); c != 1 {
		t.Errorf("first ran %d times, want 1", c)
	}
	if got := env.Output(re, "second", "value"); got != "1 fixed" {
		t.Errorf("second = %v", got)
	}
	// The stored execution is the restarted one.
	got, err := env.Repo.GetExecution(context.Background(), ex.ID)
	if err != nil || got.State != state.Success {
		t.Fatalf("stored %v %v", got, err)
	}
}

func TestPauseAndResume(t *testing.T) {
	env := flowtest.New(t, testTasks())
	src := `id: f
namespace: t
tasks:
  - id: wait
    type: core.Pause
  - id: after
    type: core.Return
    format: resumed
`
	ex := env.Run(src, nil)
	env.RequireState(ex, state.Paused)
	if env.TaskRun(ex, "after") != nil {
		t.Fatal("ran past the pause")
	}
	re := env.Restart(ex.ID, "")
	env.RequireState(re, state.Success)
	if env.Output(re, "after", "value") != "resumed" {
		t.Error("after did not run")
	}
}

func TestInputsTyped(t *testing.T) {
	env := flowtest.New(t, testTasks())
	f := env.Parse(`id: f
namespace: t
inputs:
  - name: n
    type: INT
  - name: when
    type: DATETIME
    defaults: "2024-01-02T03:04:05Z"
  - name: j
    type: JSON
    required: false
tasks:
  - id: r
    type: core.Return
    format: "{{ inputs.n + 1 }} {{ inputs.when | date('yyyy-MM-dd') }} {{ inputs.j.a ?? 'none' }}"
`)
	ex, err := env.Engine.Run(context.Background(), f, map[string]any{"n": "41", "j": `{"a": 7}`})
	if err != nil {
		t.Fatal(err)
	}
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "r", "value"); got != "42 2024-01-02 7" {
		t.Errorf("got %q", got)
	}
	_, err = env.Engine.Run(context.Background(), f, map[string]any{"n": "x"})
	if err == nil || err.Error() != `input "n" (INT): "x" is not an integer` {
		t.Errorf("bad input error: %v", err)
	}
	_, err = env.Engine.Run(context.Background(), f, map[string]any{})
	if err == nil || err.Error() != `input "n" (INT) is required: pass --input n=VALUE` {
		t.Errorf("missing input error: %v", err)
	}
	_, err = env.Engine.Run(context.Background(), f, map[string]any{"n": "1", "m": "2"})
	if err == nil {
		t.Error("undeclared input accepted")
	}
}

func TestKillMarksKilled(t *testing.T) {
	env := flowtest.New(t, testTasks())
	f := env.Parse(`id: f
namespace: t
tasks:
  - id: block
    type: test.Flaky
    key: kill
    block: true
`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ex, err := env.Engine.Run(ctx, f, nil)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	env.RequireState(ex, state.Killed)
}

func TestSubflow(t *testing.T) {
	env := flowtest.New(t, testTasks())
	dir := t.TempDir()
	child := "id: child\nnamespace: t\ninputs:\n  - name: x\n    type: INT\ntasks:\n  - id: double\n    type: core.Return\n    format: \"{{ inputs.x * 2 }}\"\n  - id: maybe\n    type: core.Fail\n    condition: \"{{ inputs.x > 100 }}\"\n"
	if err := os.WriteFile(filepath.Join(dir, "child.yml"), []byte(child), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Engine.Flows = flows.DirLoader(dir)
	ex := env.Run(`id: parent
namespace: t
tasks:
  - id: call
    type: io.kestra.core.tasks.flows.Flow
    namespace: t
    flowId: child
    inputs:
      x: "{{ 20 + 1 }}"
  - id: show
    type: core.Return
    format: "{{ outputs.call.outputs.double.value }}"
  - id: failing
    type: core.Subflow
    namespace: t
    flowId: child
    inputs: {x: 500}
`, nil)
	env.RequireState(ex, state.Failed)
	if got := env.Output(ex, "show", "value"); got != "42" {
		t.Errorf("show = %v", got)
	}
	childID := env.Output(ex, "call", "executionId").(string)
	cex, err := env.Repo.GetExecution(context.Background(), childID)
	if err != nil || cex.ParentID != ex.ID || cex.State != state.Success {
		t.Errorf("child execution %+v %v", cex, err)
	}
	if tr := env.TaskRun(ex, "failing"); !strings.Contains(tr.Error, "ended FAILED") {
		t.Errorf("failing subflow error %q", tr.Error)
	}
}
