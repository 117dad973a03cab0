package kafka

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/storage"
)

// The trigger emits one event per batch of maxRecords, and commits a
// batch's offsets only once its execution is stored: a refused Emit makes
// the same records come again.
func TestTriggerCommitsAfterEmit(t *testing.T) {
	_, addr := fakeCluster(t)
	produceN(t, addr, "trig", 0, 5)
	store, err := storage.NewLocal(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trigger{Consume: Consume{
		Properties: map[string]any{"bootstrap.servers": addr}, Topic: "trig", GroupID: "g1",
		MaxRecords: 2, PollDuration: plugin.Duration(300 * time.Millisecond),
	}, Interval: plugin.Duration(50 * time.Millisecond)}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var counts []int64
	refused := false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	total := func() int64 {
		var n int64
		for _, c := range counts {
			n += c
		}
		return n
	}
	wc := &plugin.WatchContext{
		NewRun: func() (string, *plugin.RunContext) {
			return "exec", plugin.NewRunContext(plugin.RunConfig{Namespace: "n", FlowID: "f", ExecutionID: "exec", TaskID: "triggers", TaskRunID: "t", Store: store})
		},
		Emit: func(ctx context.Context, id string, vars map[string]any) error {
			mu.Lock()
			defer mu.Unlock()
			if !refused {
				refused = true
				return errors.New("state database unavailable")
			}
			counts = append(counts, vars["messagesCount"].(int64))
			if total() >= 5 {
				cancel()
			}
			return nil
		},
	}
	deadline := time.AfterFunc(60*time.Second, cancel)
	defer deadline.Stop()
	for ctx.Err() == nil {
		if err := tr.Watch(ctx, wc); err != nil && ctx.Err() == nil {
			if !refused {
				t.Fatal(err)
			}
			continue // the server starts a failed watcher again
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if total() != 5 {
		t.Fatalf("batches %v: want 5 records in all, each once", counts)
	}
	for _, c := range counts {
		if c > 2 {
			t.Fatalf("batch of %d records, maxRecords is 2", c)
		}
	}
	if err := (&Trigger{Consume: Consume{Properties: map[string]any{"bootstrap.servers": addr}, Topic: "x"}}).Validate(); err == nil {
		t.Fatal("trigger without groupId accepted")
	}
}
