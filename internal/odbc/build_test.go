package odbc

import (
	"os"
	"os/exec"
	"testing"
)

// The default build must need no C compiler: the package builds and vets
// with cgo disabled (purego loads libodbc at run time).
func TestBuildsWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	for _, args := range [][]string{{"build", "."}, {"vet", "."}} {
		cmd := exec.Command(goTool, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "CC=/nonexistent-c-compiler")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("CGO_ENABLED=0 go %v: %v\n%s", args, err, out)
		}
	}
}
