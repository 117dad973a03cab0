package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStorageCatRefusesLinksOut: `storage cat` followed a symbolic link
// planted in the storage folder to any file of the machine.
func TestStorageCatRefusesLinksOut(t *testing.T) {
	dir := t.TempDir()
	secret := write(t, dir, "secret.txt", "password")
	store := filepath.Join(dir, "storage")
	if err := os.MkdirAll(filepath.Join(store, "ns", "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(store, "ns", "f"), "inside.txt", "stored")
	if err := os.Symlink(secret, filepath.Join(store, "ns", "f", "planted.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inside.txt", filepath.Join(store, "ns", "f", "alias.txt")); err != nil {
		t.Fatal(err)
	}
	out, errs, code := sluice(t, "--storage", store, "storage", "cat", "sluice:///ns/f/planted.txt")
	if code != exitInvalid || strings.Contains(out, "password") || !strings.Contains(errs, "a symbolic link leads out of the internal storage folder") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	out, errs, code = sluice(t, "--storage", store, "storage", "cat", "sluice:///ns/f/alias.txt")
	if code != exitOK || out != "stored" {
		t.Fatalf("a link inside the folder: exit %d, out %q, err %q", code, out, errs)
	}
}
