package singer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

func tapFlow(py, configs string, raw bool) string {
	return fmt.Sprintf(`id: robust
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %s testdata/tap.py
    features: [STATE]
    raw: %v
    configs: %s
`, py, raw, configs)
}

func TestTapProtocolRobustness(t *testing.T) {
	py := python(t)
	cases := []struct {
		name    string
		configs string
		raw     bool
		wantErr []string // empty: success
		check   func(t *testing.T, env *flowtest.Env, ex *state.Execution)
	}{
		{
			name: "2 MB line raw", configs: `{records: 3, big_line_bytes: 2000000}`, raw: true,
			check: func(t *testing.T, env *flowtest.Env, ex *state.Execution) {
				uri := env.Output(ex, "tap", "raw").(string)
				rc, err := env.Store.Open(t.Context(), mustURI(t, uri))
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b := make([]byte, 0, 3<<20)
				buf := make([]byte, 1<<20)
				for {
					n, err := rc.Read(buf)
					b = append(b, buf[:n]...)
					if err != nil {
						break
					}
				}
				if !strings.Contains(string(b), strings.Repeat("x", 2000000)) {
					t.Fatal("the 2 MB record is not in the raw output")
				}
			},
		},
		{
			name: "2 MB line typed", configs: `{records: 3, big_line_bytes: 2000000, streams: [users]}`, raw: false,
			check: func(t *testing.T, env *flowtest.Env, ex *state.Execution) {
				_, rs := env.ReadRows(out(t, env, ex, "tap", "streams", "users").(string))
				if len(rs) != 3 || len(rs[0].Values[1].AsString()) != 2000000 {
					t.Fatalf("got %d rows", len(rs))
				}
			},
		},
		{
			name: "invalid UTF-8", configs: `{records: 3, invalid_utf8: true}`, raw: true,
			wantErr: []string{"line 3: not valid UTF-8", "column 53"},
		},
		{
			name: "tap exits non-zero", configs: `{records: 10, fail_after: 4}`, raw: true,
			wantErr: []string{"exited with code 3", "CRITICAL source connection lost after 4 records"},
		},
		{
			name: "unknown types raw", configs: `{records: 2, unknown_messages: true}`, raw: true,
			check: func(t *testing.T, env *flowtest.Env, ex *state.Execution) {
				if got := fmt.Sprint(out(t, env, ex, "tap", "count", "SURPRISE"), out(t, env, ex, "tap", "count", "ACTIVATE_VERSION")); got != "2 2" {
					t.Fatalf("count SURPRISE, ACTIVATE_VERSION = %s", got)
				}
			},
		},
		{
			name: "unknown types typed", configs: `{records: 2, unknown_messages: true}`, raw: false,
			check: func(t *testing.T, env *flowtest.Env, ex *state.Execution) {
				if got := fmt.Sprint(out(t, env, ex, "tap", "count", "SURPRISE"), out(t, env, ex, "tap", "count", "RECORD")); got != "2 4" {
					t.Fatalf("count SURPRISE, RECORD = %s", got)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := flowtest.New(t)
			ex := env.Run(tapFlow(py, c.configs, c.raw), nil)
			if len(c.wantErr) == 0 {
				env.RequireState(ex, state.Success)
				c.check(t, env, ex)
				return
			}
			env.RequireState(ex, state.Failed)
			msg := env.TaskRun(ex, "tap").Error
			for _, w := range c.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			// Nothing published, no state saved.
			files, err := env.Store.List(t.Context(), mustURI(t, "sluice:///sluice/tests"))
			if err == nil && len(files) > 0 {
				t.Errorf("a failed tap left files: %v", files)
			}
			if _, ok, _ := env.Repo.KV("sluice.tests", "robust").Get(t.Context(), "singer-state"); ok {
				t.Error("a failed tap saved a state")
			}
		})
	}
}

func TestTargetGetsLongLinesAndUnknownTypes(t *testing.T) {
	py := python(t)
	env := flowtest.New(t)
	dest := t.TempDir()
	ex := env.Run(fmt.Sprintf(`id: long
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    command: %[1]s testdata/tap.py
    features: [STATE]
    configs: {records: 4, big_line_bytes: 1500000, unknown_messages: true}
  - id: jsonl
    type: singer.Target
    command: %[1]s testdata/target.py
    from: "{{ outputs.tap.raw }}"
    configs: {destination_path: %[2]s}
`, py, dest), nil)
	env.RequireState(ex, state.Success)
	b, err := os.ReadFile(filepath.Join(dest, "users.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), strings.Repeat("x", 1500000)) {
		t.Fatal("the long record did not reach the target")
	}
	if got := fmt.Sprint(out(t, env, ex, "jsonl", "acknowledged"), out(t, env, ex, "jsonl", "states")); got != "2 2" {
		t.Fatalf("acknowledged/states = %s", got)
	}
}
