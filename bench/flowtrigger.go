package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/server"
)

func init() { scenarios["flowtrigger"] = runFlowTrigger }

// runFlowTrigger measures real Flow triggers (the server's end hook: the
// listener index, conditions, input rendering, the triggered execution's
// creation): upstream executions end at once, each starts the listening
// flows, and flow_trigger_p99_ms is execution end → triggered execution
// created. It runs once with only the listening flows stored and once with
// --noise more flows that listen to other flows, to show that the cost does
// not grow with the number of stored flows (the index is keyed by the flow
// that ended).
func runFlowTrigger(args []string) error {
	fs := flag.NewFlagSet("flowtrigger", flag.ContinueOnError)
	nEx := fs.Int("executions", 1000, "upstream executions ending at once")
	nListen := fs.Int("listeners", 2, "flows listening to the upstream flow")
	noise := fs.Int("noise", 10000, "stored flows listening to other flows (second run)")
	workers := fs.Int("workers", 16, "worker pool size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, n := range []int{0, *noise} {
		if err := flowTriggerRun(*nEx, *nListen, n, *workers); err != nil {
			return err
		}
	}
	return nil
}

func listenerFlow(id, upNS, upID string) string {
	return fmt.Sprintf(`id: %s
namespace: bench.listen
inputs:
  - name: from
    type: STRING
tasks:
  - id: t
    type: core.Return
    format: "{{ inputs.from }}"
triggers:
  - id: after
    type: io.kestra.core.models.triggers.types.Flow
    inputs:
      from: "{{ outputs.t.value }}"
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
      - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
        namespace: %s
        flowId: %s
`, id, upNS, upID)
}

func flowTriggerRun(nEx, nListen, noise, workers int) error {
	b, err := newBenchEngine(workers)
	if err != nil {
		return err
	}
	defer b.close()
	ctx := context.Background()
	store := b.repo.(state.FlowStore)
	upSrc := "id: up\nnamespace: bench.up\ntasks:\n  - id: t\n    type: core.Return\n    format: x\n"
	srcs := map[[2]string]string{{"bench.up", "up"}: upSrc}
	for i := range nListen {
		srcs[[2]string{"bench.listen", fmt.Sprintf("down-%d", i)}] = listenerFlow(fmt.Sprintf("down-%d", i), "bench.up", "up")
	}
	for i := range noise {
		srcs[[2]string{"bench.listen", fmt.Sprintf("noise-%d", i)}] = listenerFlow(fmt.Sprintf("noise-%d", i), "bench.other", fmt.Sprintf("other-%d", i))
	}
	for k, src := range srcs {
		if _, _, err := store.SaveFlow(ctx, k[0], k[1], src); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	srv := &server.Server{Repo: b.repo, Flows: store, Engine: b.eng, OnFlowTrigger: func(d time.Duration) {
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	}}
	t0 := time.Now()
	srv.Handler() // parses and indexes the stored flows
	loadSeconds := time.Since(t0).Seconds()
	want := nEx * (1 + nListen)
	var ended int
	var firstErr error
	done := make(chan struct{})
	b.eng.OnEnd(srv.OnExecutionEnd)
	b.eng.OnEnd(func(_ context.Context, ex *state.Execution) {
		mu.Lock()
		defer mu.Unlock()
		if ex.State != state.Success && firstErr == nil {
			firstErr = fmt.Errorf("execution %s of %s ended %s", ex.ID, ex.FlowID, ex.State)
		}
		if strings.HasPrefix(ex.FlowID, "down-") && len(ex.TaskRuns) > 0 && firstErr == nil {
			if v := fmt.Sprint(ex.TaskRuns[0].Outputs["value"]); v != "x" {
				firstErr = fmt.Errorf("listener %s rendered %q", ex.ID, v)
			}
		}
		ended++
		if ended == want {
			close(done)
		}
	})
	if err := b.eng.Start(ctx); err != nil {
		return err
	}
	defer b.eng.Shutdown(ctx) //nolint:errcheck // figures are taken before
	up, err := parseFlow("up", upSrc)
	if err != nil {
		return err
	}
	c0 := cpuTime()
	t1 := time.Now()
	for range nEx {
		if _, err := b.eng.Submit(ctx, up, nil, flows.SubmitOptions{}); err != nil {
			return err
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		return fmt.Errorf("timed out: %d of %d executions ended", ended, want)
	}
	secs := time.Since(t1).Seconds()
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	if len(lat) != nEx*nListen {
		return fmt.Errorf("%d flow triggers fired, want %d", len(lat), nEx*nListen)
	}
	fmt.Fprintf(os.Stderr, "flowtrigger: %d upstream executions, %d listeners, %d other stored flows\n", nEx, nListen, noise)
	emit(map[string]any{
		"bench": "flowtrigger", "executions": nEx, "listeners": nListen, "stored_flows": len(srcs), "workers": workers,
		"seconds": round(secs, 2), "flows_load_seconds": round(loadSeconds, 2),
		"flow_trigger_p50_ms": percentileMS(lat, 0.50), "flow_trigger_p99_ms": percentileMS(lat, 0.99),
		"cpu_seconds": round((cpuTime() - c0).Seconds(), 2), "peak_rss_mb": peakRSSMB(),
	})
	return nil
}
