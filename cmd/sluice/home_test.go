package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/template"
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

// TestLimitsFromEnvironment: the SLUICE_LIMIT_* variables reach decoding
// and rendering (and the pre-run hook that reads them is the one cobra
// runs, beside the output masking).
func TestLimitsFromEnvironment(t *testing.T) {
	t.Cleanup(func() { flows.SetLimits(flows.DefaultLimits); template.SetLimits(template.DefaultLimits) })
	t.Setenv("SLUICE_HOME", filepath.Join(t.TempDir(), "home"))
	dir := t.TempDir()
	aliases := write(t, dir, "aliases.yml", "id: a\nnamespace: cli.test\nvariables:\n  x: &x 1\n  y: [*x, *x]\ntasks:\n  - id: hi\n    type: core.Return\n    format: hi\n")
	t.Setenv("SLUICE_LIMIT_YAML_ALIASES", "1")
	if out, errs, code := sluice(t, "validate", aliases); code != exitInvalid || !strings.Contains(out+errs, "more than 1 YAML aliases") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	t.Setenv("SLUICE_LIMIT_YAML_ALIASES", "")
	long := write(t, dir, "long.yml", "id: l\nnamespace: cli.test\ntasks:\n  - id: hi\n    type: core.Return\n    format: \"{% for i in range(1, 100) %}0123456789{% endfor %}\"\n")
	t.Setenv("SLUICE_LIMIT_TEMPLATE_OUTPUT_BYTES", "100B")
	if out, errs, code := sluice(t, "run", long); code != exitFailed || !strings.Contains(out+errs, "template output limit of 100 bytes") {
		t.Fatalf("run: exit %d\n%s%s", code, out, errs)
	}
	t.Setenv("SLUICE_LIMIT_TEMPLATE_OUTPUT_BYTES", "lots")
	if _, errs, code := sluice(t, "validate", long); code != exitInvalid || !strings.Contains(errs, "SLUICE_LIMIT_TEMPLATE_OUTPUT_BYTES") {
		t.Fatalf("bad value: exit %d: %s", code, errs)
	}
}
