package jdbc_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/batch/dialect"
	"github.com/sluicehq/sluice/connectors/jdbc"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/connpool"
	"github.com/sluicehq/sluice/internal/rows"
)

// TestQueryRunsShareConnections: 1,000 short Query task runs in one
// process, 16 at a time, reach PostgreSQL through the process's pool: the
// server sees at most the pool's bound of sessions (backend process ids),
// not one per run.
func TestQueryRunsShareConnections(t *testing.T) {
	url, _ := server(t, dialect.Postgres)
	env := plugintest.New(t)
	const runs, workers = 1000, 16
	bound := 8 // connpool.Default's MaxOpen
	var (
		mu   sync.Mutex
		pids = map[int64]int{}
		wg   sync.WaitGroup
		errs = make(chan error, runs)
		next = make(chan int)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				// A fresh task per run, as the engine makes one per task run.
				task := jdbc.NewQuery(dialect.Postgres, jdbc.Query{Connection: jdbc.Connection{URL: url},
					SQL: fmt.Sprintf("select pg_backend_pid() as pid, %d as run", i), FetchOne: true})
				out, err := env.Run(task, fmt.Sprintf("q%d", i))
				if err != nil {
					errs <- err
					continue
				}
				pid, _ := out["row"].(*rows.OrderedMap).Get("pid")
				mu.Lock()
				pids[pid.(int64)]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < runs; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, n := range pids {
		total += n
	}
	if total != runs {
		t.Fatalf("%d runs answered, want %d", total, runs)
	}
	if len(pids) > bound {
		t.Errorf("%d runs used %d server sessions, want at most the pool's %d", runs, len(pids), bound)
	}
	t.Logf("%d Query runs, %d at a time, used %d PostgreSQL sessions; pool %+v", runs, workers, len(pids), connpool.Default.Stats())
}
