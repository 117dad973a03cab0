package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHomeOwnerOnly: ~/.sluice was created 0755 (by the storage folder)
// with a 0644 state file in it.
func TestHomeOwnerOnly(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	t.Setenv("SLUICE_HOME", home)
	flow := write(t, t.TempDir(), "hello.yml", "id: hello\nnamespace: cli.test\ntasks:\n  - id: hi\n    type: core.Return\n    format: hi\n")
	if _, errs, code := sluice(t, "run", flow); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	for name, want := range map[string]os.FileMode{"": 0o700, "sluice.db": 0o600} {
		fi, err := os.Stat(filepath.Join(home, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Join(home, name), fi.Mode().Perm(), want)
		}
	}
}
