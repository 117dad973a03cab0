package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
)

// Kestra 0.4's storages.Size, Delete and PurgeExecution (SizeTest,
// DeleteTest).
func TestStorageSizeDeletePurge(t *testing.T) {
	env := flowtest.New(t)
	ex := env.Run(`id: f
namespace: t
tasks:
  - id: make
    type: io.kestra.core.tasks.scripts.Bash
    commands:
      - printf 12345 > a.txt
      - printf xy > b.txt
    outputFiles: [a.txt, b.txt]
  - id: size
    type: io.kestra.core.tasks.storages.Size
    uri: "{{ outputs.make.outputFiles['a.txt'] }}"
  - id: delete
    type: io.kestra.core.tasks.storages.Delete
    uri: "{{ outputs.make.outputFiles['a.txt'] }}"
  - id: again
    type: io.kestra.core.tasks.storages.Delete
    uri: "{{ outputs.make.outputFiles['a.txt'] }}"
  - id: purge
    type: io.kestra.core.tasks.storages.PurgeExecution
`, nil)
	env.RequireState(ex, state.Success)
	if got := fmt.Sprint(env.Output(ex, "size", "size")); got != "5" {
		t.Errorf("size %s, want 5", got)
	}
	if env.Output(ex, "delete", "deleted") != true || env.Output(ex, "again", "deleted") != false {
		t.Errorf("deleted: %v then %v, want true then false", env.Output(ex, "delete", "deleted"), env.Output(ex, "again", "deleted"))
	}
	uris := fmt.Sprint(env.Output(ex, "purge", "uris"))
	if !strings.Contains(uris, "/b.txt") || strings.Contains(uris, "/a.txt") {
		t.Errorf("purged %s, want b.txt only", uris)
	}
	left, err := env.Store.List(context.Background(), storage.ExecutionPrefix("t", "f", ex.ID))
	if err != nil || len(left) != 0 {
		t.Errorf("after purge: %v %v", left, err)
	}

	ex = env.Run(`id: f
namespace: t
tasks:
  - id: missing
    type: io.kestra.core.tasks.storages.Delete
    uri: sluice:///t/f/nothing.txt
    errorOnMissing: true
`, nil)
	env.RequireState(ex, state.Failed)
	if tr := env.TaskRun(ex, "missing"); !strings.Contains(tr.Error, "unable to find file sluice:///t/f/nothing.txt") {
		t.Errorf("error %q", tr.Error)
	}
}
