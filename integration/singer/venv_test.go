package singer_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/flowtest"
	"github.com/sluicehq/sluice/flows/state"
)

// pipPackages builds a virtualenv once under $SLUICE_CACHE/venvs, reuses
// it, and rebuilds it when it is broken. The package is a local folder
// (pip still fetches setuptools from the index for the build).
func TestPipPackagesVirtualenvCache(t *testing.T) {
	python(t)
	if testing.Short() {
		t.Skip("builds a virtualenv with pip")
	}
	cache := t.TempDir()
	t.Setenv("SLUICE_CACHE", cache)
	pkg, err := filepath.Abs(filepath.Join("testdata", "sluice-test-tap"))
	if err != nil {
		t.Fatal(err)
	}
	flow := fmt.Sprintf(`id: venv
namespace: sluice.tests
tasks:
  - id: tap
    type: singer.Tap
    pipPackages: [%q]
    command: sluice-test-tap
    features: [STATE]
    raw: false
`, pkg)
	env := flowtest.New(t)
	run := func() {
		t.Helper()
		ex := env.Run(flow, nil)
		env.RequireState(ex, state.Success)
		if n := out(t, env, ex, "tap", "records", "s"); n != float64(3) {
			t.Fatalf("records = %v", n)
		}
	}
	run()
	venvs, _ := filepath.Glob(filepath.Join(cache, "venvs", "*", ".sluice-stamp"))
	if len(venvs) != 1 {
		t.Fatalf("virtualenvs built: %v", venvs)
	}
	stamp := venvs[0]
	dir := filepath.Dir(stamp)
	first, _ := os.Stat(stamp)

	time.Sleep(10 * time.Millisecond) // mtime granularity, not a timing assertion
	run()
	again, _ := os.Stat(stamp)
	if !again.ModTime().Equal(first.ModTime()) {
		t.Fatal("the virtualenv was rebuilt although it was intact")
	}

	// Break it: the next run rebuilds it.
	if err := os.Remove(filepath.Join(dir, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	run()
	rebuilt, err := os.Stat(stamp)
	if err != nil || rebuilt.ModTime().Equal(first.ModTime()) {
		t.Fatalf("a broken virtualenv was not rebuilt (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "sluice-test-tap")); err != nil {
		t.Fatal(err)
	}
}
