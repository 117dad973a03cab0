package singer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// sluiceCLI builds cmd/sluice once for the package's tests.
func sluiceCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sluice-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "sluice")
		out, err := exec.Command("go", "build", "-o", cliPath, "../../cmd/sluice").CombinedOutput()
		if err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

const cliFlow = `id: cli-fanout
namespace: sluice.tests
inputs:
  - name: failAfter
    type: INT
    defaults: 0
tasks:
  - id: tap
    type: io.kestra.plugin.singer.taps.GenericTap
    command: %[1]s %[2]s
    features: [STATE]
    configs: {records: 50}
  - id: load
    type: io.kestra.core.tasks.flows.Parallel
    tasks:
      - id: a
        type: io.kestra.plugin.singer.targets.GenericTarget
        command: %[1]s %[3]s
        from: "{{ outputs.tap.raw }}"
        configs: {destination_path: %[4]s/a, flush_every: 7}
      - id: b
        type: io.kestra.plugin.singer.targets.GenericTarget
        command: %[1]s %[3]s
        from: "{{ outputs.tap.raw }}"
        configs: {destination_path: %[4]s/b, flush_every: 7, dedupe: true, fail_after: %[5]s}
`

// The fan-out through the CLI: b fails at 60 %, `sluice restart` with a
// corrected flow reruns only b on the stored stream, and the state then
// commits the whole run; a holds each record once (it ran once), b too.
func TestCLIFanoutFailRestart(t *testing.T) {
	py := python(t)
	bin := sluiceCLI(t)
	dir := t.TempDir()
	write := func(name, failAfter string) string {
		p := filepath.Join(dir, name)
		src := fmt.Sprintf(cliFlow, py, testdata(t, "tap.py"), testdata(t, "target.py"), dir, failAfter)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sluice := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"--state", filepath.Join(dir, "state.db"), "--storage", filepath.Join(dir, "storage")}, args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := sluice("run", write("flow.yml", `"{{ inputs.failAfter }}"`), "-i", "failAfter=60")
	if code != 1 || !strings.Contains(out, "CRITICAL target giving up at record 60") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	m := regexp.MustCompile(`sluice restart (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no restart hint in\n%s", out)
	}
	out, code = sluice("restart", m[1], "--flow", write("fixed.yml", "0"))
	if code != 0 {
		t.Fatalf("restart: exit %d\n%s", code, out)
	}
	for _, target := range []string{"a", "b"} {
		for _, stream := range []string{"users", "orders"} {
			var ids []int
			if target == "a" {
				for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "a", stream+".jsonl"))), "\n") {
					var r struct{ ID int }
					json.Unmarshal([]byte(line), &r)
					ids = append(ids, r.ID)
				}
			} else {
				var recs map[string]struct{ ID int }
				json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "b", stream+".json"))), &recs)
				for _, r := range recs {
					ids = append(ids, r.ID)
				}
			}
			seen := map[int]int{}
			for _, id := range ids {
				seen[id]++
			}
			if len(ids) != 50 || len(seen) != 50 {
				t.Errorf("%s holds %d %s (%d distinct), want 50 once each", target, len(ids), stream, len(seen))
			}
		}
	}
	// The next run starts from the committed end of the first: nothing new.
	out, code = sluice("run", write("flow.yml", "0"))
	if code != 0 || !strings.Contains(out, `count={"SCHEMA":2,"STATE":2}`) {
		t.Fatalf("third run: exit %d\n%s", code, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliPath != "" {
		os.RemoveAll(filepath.Dir(cliPath))
	}
	os.Exit(code)
}
