package singer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
	_ "github.com/sluicehq/sluice/singer"
)

var (
	pyOnce sync.Once
	pyExe  string
)

// python returns the interpreter's real path (skipping slow launcher
// shims), or skips the test when there is no python3.
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

// out returns a nested output (outputs are JSON-shaped after a run).
func out(t testing.TB, env *flowtest.Env, ex *state.Execution, task string, path ...string) any {
	t.Helper()
	b, _ := json.Marshal(env.Output(ex, task, path[0]))
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path[1:] {
		b, _ := json.Marshal(v)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("outputs.%s.%s is not an object: %s", task, strings.Join(path, "."), b)
		}
		v = m[k]
	}
	return v
}

// readJSONL returns the "id" of every line of a target.py output file.
func readIDs(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var r struct{ ID int }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// readDeduped returns the ids held by a dedupe-mode target.py file.
func readDeduped(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct{ ID int }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, r := range m {
		ids = append(ids, r.ID)
	}
	sort.Ints(ids)
	return ids
}

func countIDs(ids []int) map[int]int {
	m := map[int]int{}
	for _, id := range ids {
		m[id]++
	}
	return m
}

const fanoutFlow = `id: fanout
namespace: sluice.tests
inputs:
  - name: failAfter
    type: INT
    required: false
tasks:
  - id: tap
    type: io.kestra.plugin.singer.taps.GenericTap
    command: %[1]s testdata/tap.py
    features: [CATALOG, DISCOVER, STATE]
    configs:
      records: %[2]d
      state_every: 5
    streamsConfigurations:
      - replicationMethod: INCREMENTAL
        selected: true
  - id: load
    type: io.kestra.core.tasks.flows.Parallel
    tasks:
      - id: a
        type: io.kestra.plugin.singer.targets.GenericTarget
        command: %[1]s testdata/target.py
        from: "{{ outputs.tap.raw }}"
        configs:
          destination_path: %[3]s
          flush_every: 7
      - id: b
        type: singer.Target
        command: %[1]s testdata/target.py
        from: "{{ outputs.tap.raw }}"
        configs:
          destination_path: %[4]s
          flush_every: 7
          dedupe: true
          fail_after: %[5]s
`

func TestFanoutStateAdvancesToCommonPoint(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	dir := t.TempDir()
	da, db := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	const n = 50 // records per stream: 100 in all
	flow := func(failAfter string) string { return fmt.Sprintf(fanoutFlow, py, n, da, db, failAfter) }

	// Run 1: b gives up at its 60th record (60%).
	ex := env.Run(flow("60"), nil)
	env.RequireState(ex, state.Failed)
	if got := fmt.Sprint(out(t, env, ex, "tap", "records", "users"), out(t, env, ex, "tap", "records", "orders")); got != "50 50" {
		t.Fatalf("tap records = %v", got)
	}
	b := env.TaskRun(ex, "b")
	if !strings.Contains(b.Error, "CRITICAL target giving up at record 60") || !strings.Contains(b.Error, "exited with code 4") {
		t.Fatalf("b's error should carry its exit code and stderr tail, got %q", b.Error)
	}
	kv := env.Repo.KV("sluice.tests", "fanout")
	committed, ok, err := kv.Get(t.Context(), "singer-state")
	if err != nil || !ok {
		t.Fatalf("no committed state after run 1 (ok=%v, err=%v)", ok, err)
	}
	// b flushed (and acknowledged) after records 7..56 of 100; the tap's
	// STATE after users 50 and orders 5 is the last one b saw before
	// flushing at record 56: users complete, orders up to 5.
	var st struct {
		Bookmarks map[string]struct {
			Value int `json:"replication_key_value"`
		} `json:"bookmarks"`
	}
	if err := json.Unmarshal(committed, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bookmarks["users"].Value != 50 || st.Bookmarks["orders"].Value != 5 {
		t.Fatalf("committed state after run 1 = %s, want users 50 and orders 5 (b's last acknowledgement)", committed)
	}
	if got := len(readIDs(t, filepath.Join(da, "orders.jsonl"))); got != 50 {
		t.Fatalf("a loaded %d orders in run 1, want 50", got)
	}

	// Run 2: both succeed; the tap resumes after orders 5.
	ex = env.Run(flow("null"), nil)
	env.RequireState(ex, state.Success)
	if got := fmt.Sprint(out(t, env, ex, "tap", "records", "users"), out(t, env, ex, "tap", "records", "orders")); got != "<nil> 45" {
		t.Fatalf("run 2 tap records = %v, want only orders 6..50", got)
	}
	committed, _, _ = kv.Get(t.Context(), "singer-state")
	if err := json.Unmarshal(committed, &st); err != nil {
		t.Fatal(err)
	}
	if st.Bookmarks["users"].Value != 50 || st.Bookmarks["orders"].Value != 50 {
		t.Fatalf("committed state after run 2 = %s, want both complete", committed)
	}

	// a appends: every record at least once (orders 6..50 twice).
	for _, stream := range []string{"users", "orders"} {
		c := countIDs(readIDs(t, filepath.Join(da, stream+".jsonl")))
		for id := 1; id <= n; id++ {
			if c[id] < 1 {
				t.Fatalf("a lost %s %d", stream, id)
			}
		}
	}
	// b dedupes by key: every record exactly once.
	for _, stream := range []string{"users", "orders"} {
		ids := readDeduped(t, filepath.Join(db, stream+".json"))
		if len(ids) != n || ids[0] != 1 || ids[n-1] != n {
			t.Fatalf("b holds %d %s (%v), want 1..%d once", len(ids), stream, ids, n)
		}
	}
}

func mustURI(t testing.TB, s string) storage.URI {
	t.Helper()
	u, err := storage.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func committedBookmarks(t *testing.T, env *flowtest.Env, flow string) string {
	t.Helper()
	b, ok, err := env.Repo.KV("sluice.tests", flow).Get(t.Context(), "singer-state")
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "none"
	}
	var st struct {
		Bookmarks map[string]struct {
			Value int `json:"replication_key_value"`
		} `json:"bookmarks"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("users=%d orders=%d", st.Bookmarks["users"].Value, st.Bookmarks["orders"].Value)
}

// A target that an earlier failure kept from starting (a Sequential) has
// acknowledged nothing of the run: the state stays where it was.
func TestSkippedTargetHoldsState(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	dir := t.TempDir()
	flow := func(n int, aFails string) string {
		return fmt.Sprintf(`id: seq
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %[1]s testdata/tap.py
    features: [STATE]
    configs: {records: %[2]d, state_every: 3}
  - id: a
    type: singer.Target
    command: %[1]s testdata/target.py
    from: "{{ outputs.tap.raw }}"
    configs: {destination_path: %[3]s/a, flush_every: 2, fail_after: %[4]s}
  - id: b
    type: singer.Target
    command: %[1]s testdata/target.py
    from: "{{ outputs.tap.raw }}"
    configs: {destination_path: %[3]s/b}
`, py, n, dir, aFails)
	}
	env.RequireState(env.Run(flow(10, "null"), nil), state.Success)
	if got := committedBookmarks(t, env, "seq"); got != "users=10 orders=10" {
		t.Fatalf("after run 1: %s", got)
	}
	ex := env.Run(flow(20, "5"), nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "b"); tr != nil {
		t.Fatalf("b ran: %v", tr.State)
	}
	if got := committedBookmarks(t, env, "seq"); got != "users=10 orders=10" {
		t.Fatalf("b did not run, yet the state moved: %s", got)
	}
	env.RequireState(env.Run(flow(20, "null"), nil), state.Success)
	if got := committedBookmarks(t, env, "seq"); got != "users=20 orders=20" {
		t.Fatalf("after run 3: %s", got)
	}
	c := countIDs(readIDs(t, filepath.Join(dir, "b", "orders.jsonl")))
	for id := 1; id <= 20; id++ {
		if c[id] != 1 {
			t.Fatalf("b holds orders %d %d times", id, c[id])
		}
	}
}

// One Target task feeding a list of targets from one read; one fails.
func TestTargetList(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	dir := t.TempDir()
	ex := env.Run(fmt.Sprintf(`id: list
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %[1]s testdata/tap.py
    features: [STATE]
    configs: {records: 30, state_every: 5}
  - id: load
    type: singer.Target
    from: "{{ outputs.tap.raw }}"
    targets:
      - id: good
        command: %[1]s testdata/target.py
        configs: {destination_path: %[2]s/good}
      - id: bad
        command: %[1]s testdata/target.py
        configs: {destination_path: %[2]s/bad, flush_every: 10, fail_after: 25}
`, py, dir), nil)
	env.RequireState(ex, state.Failed)
	if e := out(t, env, ex, "load", "targets", "bad", "error"); !strings.Contains(fmt.Sprint(e), "exited with code 4") {
		t.Fatalf("bad error = %v", e)
	}
	if n := out(t, env, ex, "load", "targets", "good", "acknowledged"); n != float64(14) {
		t.Fatalf("good acknowledged %v of 14 states", n)
	}
	if got := len(readIDs(t, filepath.Join(dir, "good", "orders.jsonl"))); got != 30 {
		t.Fatalf("good got %d orders", got)
	}
	// bad flushed on its 10th and 20th records, echoing the last state it
	// had received then: the STATE after users 15 (the one after 20 comes
	// after the 20th record).
	if got := committedBookmarks(t, env, "list"); got != "users=15 orders=0" {
		t.Fatalf("committed %s", got)
	}
}
