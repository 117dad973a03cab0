package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/flows/trigger"
)

func TestDirSync(t *testing.T) {
	ts := newTestServer(t)
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yml", flowYAML("folder", "a", ""))
	write("notes.yml", "just: some yaml\n")
	d := &DirSync{Server: ts.srv, Dir: dir}
	ctx := context.Background()
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	fs := ts.srv.Flows
	if rev, err := fs.GetFlow(ctx, "folder", "a", 0); err != nil || rev.Revision != 1 {
		t.Fatalf("stored: %v %v", rev, err)
	}
	// Unchanged: no new revision. Changed: one. Broken: the last good one stays.
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	write("a.yml", flowYAML("folder", "a", "description: changed\n"))
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	write("a.yml", flowYAML("folder", "a", "descripton: typo\n"))
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if rev, err := fs.GetFlow(ctx, "folder", "a", 0); err != nil || rev.Revision != 2 {
		t.Fatalf("after change and typo: %v %v", rev, err)
	}
	var f map[string]any
	if code := ts.do("GET", "/api/v1/flows/folder/a", "", "", &f); code != 200 || f["description"] != "changed" {
		t.Fatalf("API sees %d %v", code, f)
	}
	if err := os.Remove(filepath.Join(dir, "a.yml")); err != nil {
		t.Fatal(err)
	}
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.GetFlow(ctx, "folder", "a", 0); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("file removed, flow kept: %v", err)
	}
	if _, ok := ts.srv.catalog.get(flowRef("folder", "a")); ok {
		t.Fatal("catalog keeps a deleted flow")
	}
	// A webhook without key in a file gets one, kept when the file changes.
	hook := "triggers:\n  - id: hook\n    type: io.kestra.core.models.triggers.types.Webhook\n"
	write("hook.yml", flowYAML("folder", "hook", hook))
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	key := func() string {
		sf, ok := ts.srv.catalog.get(flowRef("folder", "hook"))
		if !ok {
			t.Fatal("hook flow not stored")
		}
		return sf.Flow.Triggers[0].Props.(*trigger.Webhook).Key
	}
	k1 := key()
	if _, ok := ts.srv.catalog.webhook(flowRef("folder", "hook"), k1); !ok || len(k1) < 16 {
		t.Fatalf("no usable key: %q", k1)
	}
	write("hook.yml", flowYAML("folder", "hook", "description: v2\n"+hook))
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if k2 := key(); k2 != k1 {
		t.Fatalf("key changed with the file: %q → %q", k1, k2)
	}
}

// Changes another process makes to the store reach the server's triggers:
// a newer revision replaces the one it has, a deletion removes it, and a
// revision the server stored itself meanwhile is not undone.
func TestRefreshFlows(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.do("POST", "/api/v1/flows", yamlType, flowYAML("other", "proc", ""), nil)
	fs := ts.srv.Flows
	if _, _, err := fs.SaveFlow(ctx, "other", "proc", flowYAML("other", "proc", "description: from elsewhere\n")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.SaveFlow(ctx, "other", "new", flowYAML("other", "new", "")); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.RefreshFlows(ctx); err != nil {
		t.Fatal(err)
	}
	if sf, ok := ts.srv.catalog.get(flowRef("other", "proc")); !ok || sf.Revision != 2 || sf.Flow.Description != "from elsewhere" {
		t.Fatalf("newer revision not taken: %+v", sf)
	}
	if _, ok := ts.srv.catalog.get(flowRef("other", "new")); !ok {
		t.Fatal("flow stored elsewhere not seen")
	}
	if _, err := fs.DeleteFlow(ctx, "other", "new"); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.RefreshFlows(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := ts.srv.catalog.get(flowRef("other", "new")); ok {
		t.Fatal("flow deleted elsewhere still served")
	}
	// An older revision never replaces a newer one.
	ts.srv.catalog.putIfNewer(flowRef("other", "proc"), nil, 1)
	if sf, _ := ts.srv.catalog.get(flowRef("other", "proc")); sf == nil || sf.Revision != 2 {
		t.Fatalf("older revision taken: %+v", sf)
	}
}
