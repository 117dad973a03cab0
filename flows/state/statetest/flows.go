package statetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/flows/state"
)

// executionTrigger: what started an execution reads back as written,
// through a create and an update.
func executionTrigger(t *testing.T, r state.Repository) {
	ctx := context.Background()
	e := newExecution("triggered")
	e.Trigger = &state.ExecutionTrigger{ID: "listen", Type: "io.kestra.core.models.triggers.types.Flow",
		Variables: map[string]any{"executionId": "up1", "namespace": "a.b", "flowId": "up", "outputs": map[string]any{"only": map[string]any{"value": "x"}}}}
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, e) })
	got := get(t, r, "triggered")
	if got.Trigger == nil || got.Trigger.ID != "listen" || got.Trigger.Type != e.Trigger.Type ||
		got.Trigger.Variables["executionId"] != "up1" || got.Trigger.Variables["flowId"] != "up" {
		t.Fatalf("trigger read back as %+v", got.Trigger)
	}
	if b := fmt.Sprint(got.Trigger.Variables["outputs"]); b == "" || b == "<nil>" {
		t.Fatalf("nested trigger variables lost: %+v", got.Trigger.Variables)
	}
	from := e.State
	e.SetState(state.Success, t0)
	mustTx(t, r, func(tx state.Tx) error { return tx.UpdateExecution(ctx, e, from) })
	if got := get(t, r, "triggered"); got.Trigger == nil || got.Trigger.ID != "listen" {
		t.Fatalf("trigger lost by an update: %+v", got.Trigger)
	}
	plain := newExecution("by-hand")
	mustTx(t, r, func(tx state.Tx) error { return tx.CreateExecution(ctx, plain) })
	if got := get(t, r, "by-hand"); got.Trigger != nil {
		t.Fatalf("execution started by hand has trigger %+v", got.Trigger)
	}
}

// flowRevisions: a backend that stores flows (state.FlowStore) keeps each
// change as a revision, lists the latest by namespace prefix, records a
// deletion as a revision and revives a deleted flow on save.
func flowRevisions(t *testing.T, r state.Repository) {
	fs, ok := r.(state.FlowStore)
	if !ok {
		t.Skip("this backend does not store flows")
	}
	ctx := context.Background()
	save := func(ns, id, src string, wantRev int, wantCreated bool) {
		t.Helper()
		rev, created, err := fs.SaveFlow(ctx, ns, id, src)
		if err != nil {
			t.Fatal(err)
		}
		if rev.Revision != wantRev || created != wantCreated || rev.Source != src {
			t.Fatalf("save %s.%s: revision %d created %v, want %d %v", ns, id, rev.Revision, created, wantRev, wantCreated)
		}
	}
	save("a.b", "f", "v1", 1, true)
	save("a.b", "f", "v1", 1, false) // unchanged: no new revision
	save("a.b", "f", "v2", 2, true)
	save("a.b.c", "g", "g1", 1, true)
	save("a.bc", "h", "h1", 1, true)
	save("z", "k", "k1", 1, true)
	if _, _, err := fs.SaveFlow(ctx, "", "x", "v"); err == nil {
		t.Fatal("empty namespace accepted")
	}

	got, err := fs.GetFlow(ctx, "a.b", "f", 0)
	if err != nil || got.Revision != 2 || got.Source != "v2" {
		t.Fatalf("latest: %+v %v", got, err)
	}
	if got, err := fs.GetFlow(ctx, "a.b", "f", 1); err != nil || got.Source != "v1" {
		t.Fatalf("revision 1: %+v %v", got, err)
	}
	if _, err := fs.GetFlow(ctx, "a.b", "f", 9); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("absent revision: %v", err)
	}
	list := func(ns string) string {
		t.Helper()
		fl, err := fs.ListFlows(ctx, state.FlowFilter{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fl {
			out = append(out, fmt.Sprintf("%s.%s@%d", f.Namespace, f.ID, f.Revision))
		}
		return fmt.Sprint(out)
	}
	if got := list(""); got != "[a.b.f@2 a.b.c.g@1 a.bc.h@1 z.k@1]" {
		t.Errorf("list all: %s", got)
	}
	if got := list("a.b"); got != "[a.b.f@2 a.b.c.g@1]" {
		t.Errorf("list a.b: %s", got)
	}

	del, err := fs.DeleteFlow(ctx, "a.b", "f")
	if err != nil || del.Revision != 3 || !del.Deleted {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if _, err := fs.DeleteFlow(ctx, "a.b", "f"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := fs.DeleteFlow(ctx, "nope", "f"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("delete absent: %v", err)
	}
	if _, err := fs.GetFlow(ctx, "a.b", "f", 0); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if got := list("a.b"); got != "[a.b.c.g@1]" {
		t.Errorf("list after delete: %s", got)
	}
	revs, err := fs.FlowRevisions(ctx, "a.b", "f")
	if err != nil || len(revs) != 3 || revs[0].Revision != 1 || !revs[2].Deleted {
		t.Fatalf("revisions: %v %v", revs, err)
	}
	save("a.b", "f", "v2", 4, true)
	if _, err := fs.FlowRevisions(ctx, "nope", "x"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("revisions of absent: %v", err)
	}
}
