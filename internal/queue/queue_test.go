package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func next(t *testing.T, q Queue) Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err := q.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestFairShareBetweenGroups(t *testing.T) {
	q := NewLocal()
	ctx := context.Background()
	var jobs []Job
	for i := range 5 {
		jobs = append(jobs, Job{TaskRunID: fmt.Sprintf("burst%d", i), Group: "burst"})
	}
	if err := q.Insert(ctx, jobs...); err != nil {
		t.Fatal(err)
	}
	if err := q.Insert(ctx, Job{TaskRunID: "small0", Group: "small"}, Job{TaskRunID: "small1", Group: "small"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 7 {
		got = append(got, next(t, q).TaskRunID)
	}
	want := "[burst0 small0 burst1 small1 burst2 burst3 burst4]"
	if fmt.Sprint(got) != want {
		t.Errorf("order %v, want %s (groups in turn, FIFO within a group)", got, want)
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d after draining", q.Len())
	}
}

func TestDelayedJobsWaitForRunAt(t *testing.T) {
	q := NewLocal()
	ctx := context.Background()
	now := time.Now()
	if err := q.Insert(ctx, Job{TaskRunID: "later", RunAt: now.Add(80 * time.Millisecond)}, Job{TaskRunID: "sooner", RunAt: now.Add(20 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	if err := q.Insert(ctx, Job{TaskRunID: "now"}); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 3 {
		t.Errorf("Len = %d, want 3 (delayed jobs count)", q.Len())
	}
	for _, want := range []string{"now", "sooner", "later"} {
		j := next(t, q)
		if j.TaskRunID != want {
			t.Fatalf("got %s, want %s", j.TaskRunID, want)
		}
		if !j.RunAt.IsZero() && time.Now().Before(j.RunAt) {
			t.Errorf("%s delivered before its run-at time", j.TaskRunID)
		}
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	q := NewLocal()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := q.Next(context.Background())
			errs <- err
		}()
	}
	q.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	}
	if err := q.Insert(context.Background(), Job{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Insert after Close: %v", err)
	}
}

func TestNextHonoursContext(t *testing.T) {
	q := NewLocal()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on a cancelled context: %v", err)
	}
}

func TestConcurrentProducersConsumers(t *testing.T) {
	q := NewLocal()
	const producers, each = 4, 500
	ctx := context.Background()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := q.Insert(ctx, Job{TaskRunID: fmt.Sprintf("%d-%d", p, i), Group: fmt.Sprint(p)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	seen := make(chan string, producers*each)
	var cw sync.WaitGroup
	for range 3 {
		cw.Add(1)
		go func() {
			defer cw.Done()
			for {
				j, err := q.Next(ctx)
				if err != nil {
					return
				}
				seen <- j.TaskRunID
			}
		}()
	}
	wg.Wait()
	got := map[string]bool{}
	for len(got) < producers*each {
		id := <-seen
		if got[id] {
			t.Fatalf("job %s delivered twice", id)
		}
		got[id] = true
	}
	q.Close()
	cw.Wait()
}
