package main

// go run ./bench queue --jobs 10000
//
// The embedded queue seam, measured: the same trivial jobs through River on
// SQLite (riverdriver/riversqlite, modernc.org/sqlite, one connection as the
// driver asks) and through sluice's in-process queue.Local, each with 16
// workers. Jobs are inserted in batches of 100 (as the executor inserts the
// task runs of one step); a job's latency is insert → worked.

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite"

	"github.com/sluicehq/sluice/internal/queue"
)

func init() { scenarios["queue"] = runQueue }

type benchJobArgs struct {
	Inserted int64 `json:"inserted"`
}

func (benchJobArgs) Kind() string { return "sluice_bench" }

type benchJobWorker struct {
	river.WorkerDefaults[benchJobArgs]
	done func(inserted time.Time)
}

func (w *benchJobWorker) Work(_ context.Context, j *river.Job[benchJobArgs]) error {
	w.done(time.Unix(0, j.Args.Inserted))
	return nil
}

// latencies collects job latencies until n jobs are done.
type latencies struct {
	mu   sync.Mutex
	ds   []time.Duration
	n    int
	done chan struct{}
}

func newLatencies(n int) *latencies { return &latencies{n: n, done: make(chan struct{})} }

func (l *latencies) add(inserted time.Time) {
	d := time.Since(inserted)
	l.mu.Lock()
	l.ds = append(l.ds, d)
	if len(l.ds) == l.n {
		close(l.done)
	}
	l.mu.Unlock()
}

func runQueue(args []string) error {
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	jobs := fs.Int("jobs", 10000, "jobs through each queue")
	workers := fs.Int("workers", 16, "workers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := queueRiver(*jobs, *workers); err != nil {
		return fmt.Errorf("river: %w", err)
	}
	return queueLocal(*jobs, *workers)
}

func emitQueue(name string, jobs, workers int, d time.Duration, cpu time.Duration, l *latencies) {
	emit(map[string]any{
		"scenario": "queue", "queue": name, "jobs": jobs, "workers": workers,
		"seconds": round(d.Seconds(), 3), "jobs_per_second": round(float64(jobs)/d.Seconds(), 0),
		"p50_latency_ms": percentileMS(l.ds, 0.5), "p99_latency_ms": percentileMS(l.ds, 0.99),
		"cpu_seconds": round(cpu.Seconds(), 2),
	})
}

func queueRiver(jobs, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sluice-bench-river-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "river.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	l := newLatencies(jobs)
	ws := river.NewWorkers()
	river.AddWorker(ws, &benchJobWorker{done: l.add})
	client, err := river.NewClient(driver, &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:           ws,
		FetchCooldown:     time.Millisecond,
		FetchPollInterval: 5 * time.Millisecond,
		Logger:            nil,
	})
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	defer client.Stop(ctx) //nolint:errcheck // after the figures
	c0 := cpuTime()
	t0 := time.Now()
	for i := 0; i < jobs; i += 100 {
		batch := make([]river.InsertManyParams, 0, 100)
		for j := i; j < min(i+100, jobs); j++ {
			batch = append(batch, river.InsertManyParams{Args: benchJobArgs{Inserted: time.Now().UnixNano()}})
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return err
		}
	}
	select {
	case <-l.done:
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("%d of %d jobs worked in 5 minutes", len(l.ds), jobs)
	}
	emitQueue("river-sqlite", jobs, workers, time.Since(t0), cpuTime()-c0, l)
	return nil
}

func queueLocal(jobs, workers int) error {
	ctx := context.Background()
	q := queue.NewLocal()
	l := newLatencies(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err := q.Next(ctx)
				if err != nil {
					return
				}
				l.add(j.Inserted)
			}
		}()
	}
	c0 := cpuTime()
	t0 := time.Now()
	for i := 0; i < jobs; i += 100 {
		batch := make([]queue.Job, 0, 100)
		for j := i; j < min(i+100, jobs); j++ {
			batch = append(batch, queue.Job{TaskRunID: fmt.Sprint(j), Group: fmt.Sprint(j % 7)})
		}
		if err := q.Insert(ctx, batch...); err != nil {
			return err
		}
	}
	<-l.done
	d := time.Since(t0)
	q.Close()
	wg.Wait()
	emitQueue("local", jobs, workers, d, cpuTime()-c0, l)
	return nil
}
