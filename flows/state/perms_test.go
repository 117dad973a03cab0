package state

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateFileOwnerOnly: the state file was created 0644 (readable by
// every user of the machine, with the flow sources and inputs in it).
func TestStateFileOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.db")
	repo, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.ListExecutions(context.Background(), Filter{}); err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	// Read while open, so that the -wal and -shm files are there too.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 {
		t.Logf("files: %v", entries)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

func TestStateFileReadableByOthersWarns(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	path := filepath.Join(t.TempDir(), "shared.db")
	repo, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	repo.Close()
	if logs.Len() != 0 {
		t.Fatalf("a new file warned: %s", logs.String())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if repo, err = Open(path); err != nil {
		t.Fatal(err)
	}
	repo.Close()
	if !strings.Contains(logs.String(), "is readable by other users (mode 0644)") || !strings.Contains(logs.String(), "chmod 600") {
		t.Fatalf("no warning: %q", logs.String())
	}
}
