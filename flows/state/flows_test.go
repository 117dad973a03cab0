package state

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestFlowRevisions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flows.db")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fs := r.(FlowStore)
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

	got, err := fs.GetFlow(ctx, "a.b", "f", 0)
	if err != nil || got.Revision != 2 || got.Source != "v2" {
		t.Fatalf("latest: %+v %v", got, err)
	}
	if got, err := fs.GetFlow(ctx, "a.b", "f", 1); err != nil || got.Source != "v1" {
		t.Fatalf("revision 1: %+v %v", got, err)
	}
	if _, err := fs.GetFlow(ctx, "a.b", "f", 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent revision: %v", err)
	}
	list := func(ns string) string {
		t.Helper()
		fl, err := fs.ListFlows(ctx, FlowFilter{Namespace: ns})
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
	if _, err := fs.DeleteFlow(ctx, "a.b", "f"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := fs.DeleteFlow(ctx, "nope", "f"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete absent: %v", err)
	}
	if _, err := fs.GetFlow(ctx, "a.b", "f", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if got := list("a.b"); got != "[a.b.c.g@1]" {
		t.Errorf("list after delete: %s", got)
	}
	r.Close()

	// Reopened: everything is still there, and saving revives the flow.
	r, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fs = r.(FlowStore)
	revs, err := fs.FlowRevisions(ctx, "a.b", "f")
	if err != nil || len(revs) != 3 || revs[0].Revision != 1 || !revs[2].Deleted {
		t.Fatalf("revisions: %v %v", revs, err)
	}
	save("a.b", "f", "v2", 4, true)
	if _, err := fs.FlowRevisions(ctx, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revisions of absent: %v", err)
	}
}
