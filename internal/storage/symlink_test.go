package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestLocalRefusesLinksOut plants symbolic links in the storage folder:
// `storage cat` used to follow them to any file of the machine. A link
// (to a file, or a folder on the way) that leaves the folder is refused;
// a link that stays inside is followed.
func TestLocalRefusesLinksOut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := filepath.Join(dir, "outside", "secret.txt")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("password"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := st.Create(ctx, URI{Path: "/ns/f/inside.txt"})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, "stored")
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(st.Root(), "ns", "f", name)); err != nil {
			t.Fatal(err)
		}
	}
	link(secret, "abs.txt")
	link("../../../outside/secret.txt", "rel.txt")
	link(filepath.Dir(secret), "dir")
	link("inside.txt", "ok.txt")
	link("/nonexistent/x", "dangling.txt")
	for _, name := range []string{"abs.txt", "rel.txt", "dir/secret.txt"} {
		u := URI{Path: "/ns/f/" + name}
		if f, err := st.Open(ctx, u); !errors.Is(err, ErrLinkEscapes) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open %s: %v, want ErrLinkEscapes", name, err)
		}
		if _, err := st.Stat(ctx, u); !errors.Is(err, ErrLinkEscapes) {
			t.Errorf("Stat %s: %v, want ErrLinkEscapes", name, err)
		}
	}
	f, err := st.Open(ctx, URI{Path: "/ns/f/ok.txt"})
	if err != nil {
		t.Fatalf("a link inside the folder: %v", err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "stored" {
		t.Fatalf("read %q", b)
	}
	if _, err := st.Open(ctx, URI{Path: "/ns/f/dangling.txt"}); err == nil {
		t.Fatal("a dangling link leading out opened")
	}
	if _, err := st.Open(ctx, URI{Path: "/ns/f/missing.txt"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
