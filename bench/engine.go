package main

// The executor benchmarks (issue 9):
//
//	go run ./bench burst --executions 3000 --tasks 35000
//	go run ./bench chain --tasks 10000
//	go run ./bench each --values 10000
//
// Each runs the real engine in this process on a fresh SQLite state file
// and local storage, with trivial tasks (core.Return), and prints one JSON
// line. chain and each also run a quarter of the size in the same process
// and report per_task_ratio (per-task-run cost at full size / at a quarter):
// 1.0 is linear.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows"
	_ "github.com/sluicehq/sluice/flows/core" // core.Return
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
	"github.com/sluicehq/sluice/server"
)

func init() {
	scenarios["burst"] = runBurst
	scenarios["chain"] = runChain
	scenarios["each"] = runEach
}

// benchEngine is an engine on a fresh state file and storage folder.
type benchEngine struct {
	eng    *flows.Engine
	repo   state.Repository
	dir    string
	mu     sync.Mutex
	delays []time.Duration
}

func newBenchEngine(workers int) (*benchEngine, error) {
	dir, err := os.MkdirTemp("", "sluice-bench-engine-")
	if err != nil {
		return nil, err
	}
	repo, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		return nil, err
	}
	store, err := storage.NewLocal(filepath.Join(dir, "storage"))
	if err != nil {
		return nil, err
	}
	b := &benchEngine{repo: repo, dir: dir}
	b.eng = &flows.Engine{Repo: repo, Store: store, Workers: workers, LogLevel: slog.LevelWarn,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	b.eng.StartDelay = func(d time.Duration) {
		b.mu.Lock()
		b.delays = append(b.delays, d)
		b.mu.Unlock()
	}
	return b, nil
}

func (b *benchEngine) close() {
	b.repo.Close()
	os.RemoveAll(b.dir)
}

func percentileMS(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return round(float64(s[i])/float64(time.Millisecond), 2)
}

func parseFlow(name, src string) (*flows.Flow, error) {
	f, err := flows.Parse(name+".yml", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func chainFlow(n int) string {
	var b strings.Builder
	b.WriteString("id: chain\nnamespace: bench\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: t%d\n    type: core.Return\n    format: \"%d\"\n", i, i)
	}
	return b.String()
}

func eachFlow(id string, n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	return fmt.Sprintf("id: %s\nnamespace: bench\ntasks:\n  - id: each\n    type: core.EachParallel\n    value: '[%s]'\n    tasks:\n      - id: ret\n        type: core.Return\n        format: \"{{ taskrun.value }}\"\n",
		id, strings.Join(vals, ","))
}

// runOne runs one execution of src and returns its wall time.
func runOne(name, src string, workers int) (time.Duration, int, error) {
	f, err := parseFlow(name, src)
	if err != nil {
		return 0, 0, err
	}
	b, err := newBenchEngine(workers)
	if err != nil {
		return 0, 0, err
	}
	defer b.close()
	t0 := time.Now()
	ex, err := b.eng.Run(context.Background(), f, nil)
	if err != nil {
		return 0, 0, err
	}
	d := time.Since(t0)
	if ex.State != state.Success {
		return 0, 0, fmt.Errorf("%s ended %s", name, ex.State)
	}
	return d, len(ex.TaskRuns), nil
}

// scaling runs size/4 then size and prints one line with the ratio of
// per-task-run costs.
func scaling(scenario string, size int, workers int, src func(int) string) error {
	small := max(size/4, 1)
	cs0 := cpuTime()
	ds, ns, err := runOne(scenario, src(small), workers)
	if err != nil {
		return err
	}
	cpuSmall := cpuTime() - cs0
	resetPeakRSS()
	c0 := cpuTime()
	d, n, err := runOne(scenario, src(size), workers)
	if err != nil {
		return err
	}
	cpu := cpuTime() - c0
	perSmall := ds.Seconds() / float64(ns)
	per := d.Seconds() / float64(n)
	emit(map[string]any{
		"scenario": scenario, "size": size, "task_runs": n, "workers": workers,
		"seconds": round(d.Seconds(), 3), "ms_per_task_run": round(per*1000, 4),
		"small_size": small, "small_seconds": round(ds.Seconds(), 3),
		"per_task_ratio": round(per/perSmall, 2),
		// CPU per task run at full size / at a quarter: linear is 1.0
		// whatever else runs on the machine.
		"cpu_per_task_ratio": round((cpu.Seconds()/float64(n))/(cpuSmall.Seconds()/float64(ns)), 2),
		"cpu_seconds":        round(cpu.Seconds(), 2), "peak_rss_mb": peakRSSMB(),
	})
	return nil
}

func runChain(args []string) error {
	fs := flag.NewFlagSet("chain", flag.ContinueOnError)
	n := fs.Int("tasks", 10000, "sequential core.Return tasks in the one execution")
	workers := fs.Int("workers", 16, "worker pool size")
	profile := fs.String("cpuprofile", "", "write a CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stop()
	return scaling("chain", *n, *workers, chainFlow)
}

func runEach(args []string) error {
	fs := flag.NewFlagSet("each", flag.ContinueOnError)
	n := fs.Int("values", 10000, "values of the one EachParallel")
	workers := fs.Int("workers", 16, "worker pool size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return scaling("each", *n, *workers, func(k int) string { return eachFlow("each", k) })
}

// runBurst creates every execution at once: a mix of 1-task flows, 10-task
// flows (a Parallel of 9) and 30-task flows (an EachParallel over 29
// values) sized to the totals asked. A tenth of the executions belong to
// flows that a stored flow listens to with a Flow trigger: the server's
// execution-end hook (listener index, conditions, the triggered
// execution's creation) starts it, and its latency (end committed →
// triggered execution created) is flow_trigger_p99_ms.
// burstListener is a flow started by a Flow trigger on each successful
// execution of bench.upstream.
func burstListener(id, upstream string) string {
	return fmt.Sprintf(`id: %s
namespace: bench
tasks:
  - id: r
    type: core.Return
    format: "{{ trigger.executionId }}"
triggers:
  - id: after
    type: io.kestra.core.models.triggers.types.Flow
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
        namespace: bench
        flowId: %s
`, id, upstream)
}

func runBurst(args []string) error {
	fs := flag.NewFlagSet("burst", flag.ContinueOnError)
	nEx := fs.Int("executions", 3000, "executions created at once")
	nTasks := fs.Int("tasks", 35000, "task runs in all (without the triggered ones)")
	workers := fs.Int("workers", 16, "worker pool size")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the burst here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stop()
	n30 := *nEx * 7 / 30
	n10 := (*nTasks - *nEx - 29*n30) / 9
	if n10 < 0 {
		n10 = 0
	}
	n1 := *nEx - n10 - n30
	if n1 < 0 {
		return errors.New("too few executions for that many tasks: use --tasks ≤ 30 × --executions")
	}
	one := "id: one%s\nnamespace: bench\ntasks:\n  - id: r\n    type: core.Return\n    format: \"{{ execution.id }}\"\n"
	var par strings.Builder
	par.WriteString("id: ten%s\nnamespace: bench\ntasks:\n  - id: p\n    type: core.Parallel\n    tasks:\n")
	for i := range 9 {
		fmt.Fprintf(&par, "      - id: r%d\n        type: core.Return\n        format: \"%d\"\n", i, i)
	}
	srcs := map[string]string{
		"one": fmt.Sprintf(one, ""), "oneT": fmt.Sprintf(one, "-upstream"),
		"ten": fmt.Sprintf(par.String(), ""), "tenT": fmt.Sprintf(par.String(), "-upstream"),
		"thirty": eachFlow("thirty", 29), "thirtyT": eachFlow("thirty-upstream", 29),
	}
	fl := map[string]*flows.Flow{}
	for k, s := range srcs {
		f, err := parseFlow(k, s)
		if err != nil {
			return err
		}
		fl[k] = f
	}
	// The plan: which flow each execution runs, kinds interleaved (a mix,
	// not three waves), a tenth of each kind upstream of a Flow trigger.
	counts := map[string]int{"one": n1, "ten": n10, "thirty": n30}
	made := map[string]int{}
	var plan []*flows.Flow
	for len(plan) < n1+n10+n30 {
		for _, k := range []string{"one", "ten", "thirty"} {
			if made[k] < counts[k] {
				kind := k
				if made[k]%10 == 0 {
					kind += "T"
				}
				plan = append(plan, fl[kind])
				made[k]++
			}
		}
	}

	b, err := newBenchEngine(*workers)
	if err != nil {
		return err
	}
	defer b.close()
	ctx := context.Background()
	store := b.repo.(state.FlowStore)
	for _, up := range []string{"one-upstream", "ten-upstream", "thirty-upstream"} {
		if _, _, err := store.SaveFlow(ctx, "bench", "down-"+up, burstListener("down-"+up, up)); err != nil {
			return err
		}
	}
	var (
		mu        sync.Mutex
		hookLat   []time.Duration
		firstRun  []time.Duration
		ended     = map[string]time.Time{}
		remaining = len(plan)
		upstream  int
		allDone   = make(chan struct{})
		firstErr  error
	)
	for _, f := range plan {
		if strings.HasSuffix(f.ID, "-upstream") {
			upstream++
		}
	}
	remaining += upstream // the triggered executions
	srv := &server.Server{Repo: b.repo, Flows: store, Engine: b.eng, OnFlowTrigger: func(d time.Duration) {
		mu.Lock()
		hookLat = append(hookLat, d)
		mu.Unlock()
	}}
	srv.Handler() // parses and indexes the stored listeners
	b.eng.OnEnd(srv.OnExecutionEnd)
	finish := func() {
		remaining--
		if remaining == 0 {
			close(allDone)
		}
	}
	b.eng.OnEnd(func(ctx context.Context, ex *state.Execution) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		var first time.Time
		for _, tr := range ex.TaskRuns {
			if len(tr.Attempts) > 0 && (first.IsZero() || tr.Start.Before(first)) {
				first = tr.Start
			}
		}
		if !first.IsZero() {
			firstRun = append(firstRun, first.Sub(ex.Start))
		}
		if ex.State != state.Success && firstErr == nil {
			firstErr = fmt.Errorf("execution %s of %s ended %s", ex.ID, ex.FlowID, ex.State)
		}
		ended[ex.ID] = now
		finish()
	})
	if err := b.eng.Start(ctx); err != nil {
		return err
	}
	defer b.eng.Shutdown(ctx) //nolint:errcheck // figures are taken before
	resetPeakRSS()
	c0 := cpuTime()
	t0 := time.Now()
	// Create every execution at once, from 8 goroutines (an API under
	// load).
	var wg sync.WaitGroup
	next := make(chan *flows.Flow, len(plan))
	for _, f := range plan {
		next <- f
	}
	close(next)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if _, err := b.eng.Submit(ctx, f, nil, flows.SubmitOptions{}); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	created := time.Now()
	select {
	case <-allDone:
	case <-time.After(10 * time.Minute):
		return fmt.Errorf("burst did not end in 10 minutes (%d executions left)", remaining)
	}
	d := time.Since(t0)
	cpu := cpuTime() - c0
	if firstErr != nil {
		return firstErr
	}
	b.mu.Lock()
	delays := b.delays
	b.mu.Unlock()
	emit(map[string]any{
		"scenario": "burst", "executions": len(plan), "task_runs": n1 + 10*n10 + 30*n30,
		"triggered_executions": upstream, "workers": *workers,
		"seconds":             round(d.Seconds(), 3),
		"create_seconds":      round(created.Sub(t0).Seconds(), 3),
		"p50_start_delay_ms":  percentileMS(delays, 0.50),
		"p99_start_delay_ms":  percentileMS(delays, 0.99),
		"flow_trigger_p99_ms": percentileMS(hookLat, 0.99),
		"p50_first_start_ms":  percentileMS(firstRun, 0.50),
		"p99_first_start_ms":  percentileMS(firstRun, 0.99),
		"flow_trigger_p50_ms": percentileMS(hookLat, 0.50),
		"flow_triggers":       len(hookLat),
		"cpu_seconds":         round(cpu.Seconds(), 2), "peak_rss_mb": peakRSSMB(),
	})
	return nil
}
