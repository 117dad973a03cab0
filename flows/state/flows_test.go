package state

import (
	"context"
	"path/filepath"
	"testing"
)

// Stored flows outlive the process (the suite's FlowRevisions tests the
// behaviour; this one the file).
func TestFlowsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flows.db")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.(FlowStore).SaveFlow(ctx, "a", "f", "v1"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	r, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.(FlowStore).GetFlow(ctx, "a", "f", 0); err != nil || got.Source != "v1" || got.Revision != 1 {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
}
