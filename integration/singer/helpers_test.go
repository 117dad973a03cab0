// Package singer_test runs Singer flows end to end: the Kestra 0.4 seed
// examples, real taps and targets from PyPI against the local MariaDB and
// PostgreSQL (installed by integration/services/up singer), and typed
// output loaded by the JDBC tasks.
package singer_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

var (
	pyOnce sync.Once
	pyExe  string
)

// python returns the real interpreter path, or skips without python3.
func python(t testing.TB) string {
	t.Helper()
	pyOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			pyExe = strings.TrimSpace(string(out))
		}
	})
	if pyExe == "" {
		t.Skip("python3 is not installed: the Singer test programs need it")
	}
	return pyExe
}

// testdata is singer/testdata (the spec-following test programs).
func testdata(t testing.TB, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "singer", "testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// out returns a nested output, JSON-shaped.
func out(t testing.TB, env *flowtest.Env, ex *state.Execution, task string, path ...string) any {
	t.Helper()
	b, _ := json.Marshal(env.Output(ex, task, path[0]))
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("outputs.%s.%s: %v is not an object", task, strings.Join(path, "."), v)
		}
		v = m[k]
	}
	return v
}

func parseErr(src string) (*flows.Flow, error) { return flows.Parse("flow.yml", []byte(src)) }
