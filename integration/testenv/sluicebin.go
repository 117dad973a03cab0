package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// MainWithSluice is the whole TestMain of a package whose tests run the
// built sluice binary (a crash or a memory ceiling can only be seen from
// outside the process): it builds cmd/sluice into a temporary folder, sets
// *bin to the binary's path, runs the tests, removes the folder and exits
// with the tests' code. A failed build exits 1 with go build's output.
func MainWithSluice(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "sluice-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-o", *bin, "github.com/sluicehq/sluice/cmd/sluice").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
