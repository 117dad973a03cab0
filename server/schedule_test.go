package server

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/sluicehq/sluice/flows/state"
)

// A schedule with backfill over a server restart fires each slot exactly
// once: slots since backfill.start fire in order at the first pass, the
// slots missed while the server was down fire after the restart, and a
// lost cursor write (a crash between storing an execution and moving the
// cursor) does not fire a slot twice.
func TestScheduleBackfillOverRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	flow := "id: nightly\nnamespace: sched.tests\ntasks:\n  - id: date\n    type: io.kestra.core.tasks.debugs.Return\n    format: \"{{ trigger.date }}\"\ntriggers:\n  - id: hourly\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"0 * * * *\"\n    backfill:\n      start: 2024-03-01T00:00:00Z\n"
	t0 := time.Date(2024, 3, 1, 5, 30, 0, 0, time.UTC)

	first := newEngineServer(t, dir)
	if code := first.do("POST", "/api/v1/flows", yamlType, flow, nil); code != 200 {
		t.Fatalf("store: %d", code)
	}
	if err := first.srv.RunSchedules(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := first.srv.RunSchedules(ctx, t0.Add(10*time.Minute)); err != nil { // nothing new is due
		t.Fatal(err)
	}
	slots := func(ts *testServer) []string {
		t.Helper()
		list, err := ts.repo.ListExecutions(ctx, state.Filter{Namespace: "sched.tests", FlowID: "nightly"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range list {
			ex := ts.ended(e.ID)
			if ex.Trigger == nil || ex.TaskRunList[0].Outputs["value"] != ex.Trigger.Variables["date"] {
				t.Fatalf("execution %s: %+v", e.ID, ex)
			}
			out = append(out, ex.Trigger.Variables["date"].(string))
		}
		sort.Strings(out)
		return out
	}
	want := []string{"2024-03-01T00:00:00Z", "2024-03-01T01:00:00Z", "2024-03-01T02:00:00Z", "2024-03-01T03:00:00Z", "2024-03-01T04:00:00Z", "2024-03-01T05:00:00Z"}
	if got := slots(first); !equal(got, want) {
		t.Fatalf("before restart: %v, want %v", got, want)
	}
	// The cursor write of the last slot is lost, as if the server crashed
	// between storing the execution and saving the cursor.
	kv := first.repo.KV("sched.tests", "nightly")
	if err := first.srv.saveCursor(ctx, kv, cursorKey("hourly"), scheduleCursor{Next: time.Date(2024, 3, 1, 5, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	first.close()

	// Restart three hours later: 06:00, 07:00 and 08:00 fire, once each.
	second := newEngineServer(t, dir)
	if err := second.srv.RunSchedules(ctx, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want = append(want, "2024-03-01T06:00:00Z", "2024-03-01T07:00:00Z", "2024-03-01T08:00:00Z")
	if got := slots(second); !equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
