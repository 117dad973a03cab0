package state

import (
	"path/filepath"
	"sync"
	"testing"
)

// Commands started together on a fresh state file (a run and an
// `executions list` from another terminal) all open it: none may fail with
// "database is locked" while another one switches it to WAL or migrates it.
func TestConcurrentOpensOfAFreshFile(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "sluice.db")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		repos := make([]Repository, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				repos[i], errs[i] = Open(path)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, open %d: %v", round, i, err)
			}
			if err := repos[i].Close(); err != nil {
				t.Fatalf("round %d, close %d: %v", round, i, err)
			}
		}
	}
}
