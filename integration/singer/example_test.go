package singer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

// examples/singer-fanout runs as shipped (python3 only), twice: the second
// run resumes from the saved bookmark and moves nothing.
func TestExampleSingerFanout(t *testing.T) {
	python(t)
	path := filepath.Join("..", "..", "examples", "singer-fanout", "flow.yml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Parse(path, src)
	if err != nil {
		t.Fatal(err)
	}
	env := flowtest.New(t)
	env.Engine.Globals = map[string]any{"tmpdir": t.TempDir()}
	ex, err := env.Engine.Run(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	env.RequireState(ex, state.Success)
	got := env.Output(ex, "summary", "value").(string)
	want := "tap: 500 users and 500 orders; CSV files: orders, users; SQLite: 500 users, 500 orders (order 7: 7.0217)"
	if got != want {
		t.Fatalf("summary\n got %s\nwant %s", got, want)
	}
	csv := out(t, env, ex, "csv", "uris", "users").(string)
	if !strings.HasPrefix(csv, "sluice:///") {
		t.Fatalf("csv uri %s", csv)
	}

	ex, err = env.Engine.Run(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	env.RequireState(ex, state.Success)
	if got := env.Output(ex, "summary", "value").(string); !strings.HasPrefix(got, "tap: 0 users and 0 orders;") || !strings.Contains(got, "SQLite: 0 users, 0 orders") {
		t.Fatalf("second run summary: %s", got)
	}
}
