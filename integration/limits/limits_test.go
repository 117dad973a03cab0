// Package limits_test runs the built sluice binary on hostile flows and a
// generated corpus of alias and template abuse, and checks that `validate`
// and `run` stay under the memory ceiling and time limit docs/limits.md
// promises: each stops at a limit with an error that names it. It needs no
// server.
package limits_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/integration/testenv"
)

const (
	// memoryCeiling is the peak resident size a command may reach on any
	// file of the corpus (docs/limits.md).
	memoryCeiling = 512 << 20
	// timeLimit is the wall time a command may take: the template time
	// limit, lowered to 3 s for this test, plus start-up and slack for a
	// loaded machine.
	timeLimit = 60 * time.Second
	// addressSpace caps each process so that a regression fails the test
	// instead of taking the machine down.
	addressSpaceKB = 4 << 20
)

var bin string

func TestMain(m *testing.M) { testenv.MainWithSluice(m, &bin) }

type result struct {
	code           int
	stdout, stderr string
	peakRSS        int64 // bytes
	elapsed        time.Duration
}

// sluice runs the binary under the address-space cap and measures its peak
// resident size (getrusage of the child).
func sluice(t *testing.T, home string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpaceKB), bin}, args...)...)
	cmd.Env = append(append(os.Environ(), "SLUICE_HOME="+home, "SLUICE_LIMIT_TEMPLATE_TIME=3s"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(2*timeLimit, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	timer.Stop()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	r.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSS = ru.Maxrss << 10
	}
	return r
}

// check asserts the ceiling, the time limit and a clean exit (0, 1 for a
// failed execution, 2 for an invalid flow; never a crash).
func check(t *testing.T, name string, r result) {
	t.Helper()
	if r.peakRSS > memoryCeiling {
		t.Errorf("%s: peak RSS %d MB is over the %d MB ceiling", name, r.peakRSS>>20, memoryCeiling>>20)
	}
	if r.elapsed > timeLimit {
		t.Errorf("%s: took %s, over %s", name, r.elapsed, timeLimit)
	}
	if r.code < 0 || r.code > 2 || strings.Contains(r.stderr, "fatal error") || strings.Contains(r.stderr, "panic") {
		t.Errorf("%s: exit %d\n%s", name, r.code, tail(r.stderr))
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// TestHostileFlows: every file of testdata took a process past 900 MB,
// 3 GB or 4 GB (out of memory), or ran for its whole jq timeout, before
// decoding and rendering had limits.
func TestHostileFlows(t *testing.T) {
	cases := []struct {
		file string
		// validateCode is validate's exit code: 2 when decoding refuses
		// the flow, 0 when only rendering can find the problem.
		validateCode int
		// want matches the error of `run`. On a loaded machine any render
		// may reach the time limit first (3 s here): that is accepted,
		// the unit tests of flows/template pin each limit.
		want string
	}{
		{"bomb464.yml", 2, `bomb464.yml:10:31: YAML aliases expand the flow past 16 MiB`},
		{"bomb645.yml", 2, `bomb645.yml:10:31: YAML aliases expand the flow past 16 MiB`},
		{"jq-range.yml", 0, `explode.*property "format": 1:\d+: filter jq: .*template value limit of 32 MiB`},
		{"jq-string-doubling.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"jq-recursion.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"jq-endless.yml", 0, `explode.*property "format": .*template time limit of 3s`},
		{"list-doubling.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"nested-doubling-json.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"map-doubling.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"string-doubling.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"long-loop-output.yml", 0, `explode.*property "format": .*template output limit of 32 MiB`},
		{"replace-loop.yml", 0, `explode.*property "format": .*template value limit of 32 MiB`},
		{"endless-loop.yml", 0, `explode.*property "format": .*template (steps limit of 20000000 steps|time limit of 3s)`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			home := t.TempDir()
			file := filepath.Join("testdata", c.file)
			v := sluice(t, home, nil, "validate", file)
			check(t, "validate", v)
			if v.code != c.validateCode {
				t.Errorf("validate: exit %d, want %d\n%s", v.code, c.validateCode, tail(v.stderr))
			}
			r := sluice(t, home, nil, "run", file)
			check(t, "run", r)
			wantCode := 1
			if c.validateCode != 0 {
				wantCode = c.validateCode
			}
			want := c.want
			if c.validateCode == 0 {
				want = `(` + want + `|explode.*property "format": .*template time limit of 3s)`
			}
			if r.code != wantCode || !regexp.MustCompile(want).MatchString(r.stderr+r.stdout) {
				t.Errorf("run: exit %d, want %d and an error matching %s\n%s", r.code, wantCode, want, tail(r.stderr))
			}
			t.Logf("validate %s %d MB, run %s %d MB", v.elapsed.Round(time.Millisecond), v.peakRSS>>20, r.elapsed.Round(time.Millisecond), r.peakRSS>>20)
		})
	}
}

// templateBlocks build hostile templates: a start, loops of operations
// that grow values, and a sink that prints, serializes or queries them.
var (
	starts = []string{"{% set l = [1, 2] %}{% set s = 'ab' %}{% set m = {'a': 1} %}"}
	ops    = []string{
		"{% set l = l + l %}", "{% set l = [l, l] %}", "{% set l = [l, l, l] %}", "{% set m = {'a': m, 'b': m} %}",
		"{% set s = s ~ s %}", "{% set s = s | replace('a', 'aa') %}", "{% set s = s | replace('', 'xy') %}",
		"{% set s = s | base64encode %}", "{% set l = s | split('') %}", "{% set l = l | jq('[.[], .[]]') %}",
		"{% set s = l | join(s) %}", "{% set s = m | json %}", "{% set l = json(l | json) %}", "{{ s }}", "{{ l | length }}",
	}
	sinks = []string{"{{ l }}", "{{ l | json }}", "{{ m | json }}", "{{ l | jq('length') }}", "{{ s | length }}", "{{ s }}", "{{ l | join(',') }}", "{{ m | jq('[paths]') }}", ""}
)

func hostileTemplate(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(starts[0])
	depth := 1 + r.IntN(3)
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "{%% for i%d in range(1, %d) %%}", i, []int{5, 30, 100, 100000}[r.IntN(4)])
		for j := 0; j < 1+r.IntN(2); j++ {
			b.WriteString(ops[r.IntN(len(ops))])
		}
	}
	for i := 0; i < depth; i++ {
		b.WriteString("{% endfor %}")
	}
	b.WriteString(sinks[r.IntN(len(sinks))])
	return b.String()
}

func aliasFlow(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("id: alias-fuzz\nnamespace: hostile\nvariables:\n  l0: &l0 lol\n")
	levels := 2 + r.IntN(14)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [", i, i)
		for j := 0; j < 2+r.IntN(12); j++ {
			fmt.Fprintf(&b, "*l%d,", max(0, i-1-r.IntN(2)))
		}
		b.WriteString("]\n")
	}
	fmt.Fprintf(&b, "tasks:\n  - id: use\n    type: core.Return\n    format: \"{{ vars.l%d | json | length }}\"\n", levels)
	return b.String()
}

// TestGeneratedCorpus runs validate and run on flows generated from a
// fixed seed: alias bombs of random shapes and templates made of random
// growth operations in random loops. Whatever each one does, it must stay
// under the ceiling and the time limit and end cleanly.
func TestGeneratedCorpus(t *testing.T) {
	n := 8
	if testing.Short() {
		n = 2
	}
	r := rand.New(rand.NewPCG(11, 2026))
	dir := t.TempDir()
	home := t.TempDir()
	for i := 0; i < n; i++ {
		flows := map[string]string{
			fmt.Sprintf("alias-%02d.yml", i):    aliasFlow(r),
			fmt.Sprintf("template-%02d.yml", i): fmt.Sprintf("id: template-fuzz\nnamespace: hostile\ntasks:\n  - id: render\n    type: core.Return\n    format: %q\n", hostileTemplate(r)),
		}
		for name, src := range flows {
			file := filepath.Join(dir, name)
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"validate", "run"} {
				res := sluice(t, home, nil, cmd, file)
				check(t, cmd+" "+name, res)
				if t.Failed() {
					t.Fatalf("%s %s failed on\n%s", cmd, name, src)
				}
			}
		}
	}
}

// TestSIGTERMStopsRendering: a run sent SIGTERM while a template renders
// used to go on until the render's end (7 to 10 s, a jq query its whole
// 30 s limit). Rendering now watches the run's context: once the task is
// RUNNING (read from the state, so that the signal lands inside the
// render) the process ends long before the 60 s time limit the test sets,
// with the task KILLED by the stopped render.
func TestSIGTERMStopsRendering(t *testing.T) {
	for _, file := range []string{"endless-loop.yml", "jq-endless.yml"} {
		t.Run(file, func(t *testing.T) {
			home := t.TempDir()
			env := append(os.Environ(), "SLUICE_HOME="+home, "SLUICE_LIMIT_TEMPLATE_TIME=60s", "SLUICE_LIMIT_TEMPLATE_STEPS=1000000000000")
			cmd := exec.Command(bin, "run", filepath.Join("testdata", file))
			cmd.Env = env
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			state := func(args ...string) string {
				c := exec.Command(bin, args...)
				c.Env = env
				b, _ := c.Output()
				return string(b)
			}
			running := regexp.MustCompile(`(?m)^explode\s+RUNNING`)
			deadline := time.Now().Add(60 * time.Second)
			for {
				select {
				case err := <-done:
					t.Fatalf("ended before the signal: %v\n%s", err, errb.String())
				default:
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("the task never ran\n%s", errb.String())
				}
				if f := strings.Fields(state("executions", "list")); len(f) > 5 && running.MatchString(state("executions", "show", f[5])) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still rendering 30 s after SIGTERM\n%s", errb.String())
			}
			t.Logf("ended %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
			all := errb.String() + out.String()
			if !strings.Contains(all, "KILLED") || !strings.Contains(all, "rendering stopped: context canceled") {
				t.Errorf("run did not end KILLED by the stopped render:\n%s", all)
			}
		})
	}
}
