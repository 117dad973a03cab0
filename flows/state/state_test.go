package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/rows"
)

func openTemp(t testing.TB) (Repository, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, path
}

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

func sampleExecution(id string) *Execution {
	inner := rows.NewOrderedMap(3)
	inner.Set("zeta", "last key first")
	inner.Set("alpha", int64(1))
	inner.Set("list", []any{"a", int64(2), 3.5, nil, true})
	return &Execution{
		ID: id, Namespace: "io.kestra.tests", FlowID: "each",
		FlowSource: "id: each\nnamespace: io.kestra.tests\n", FlowFile: "flows/each.yml",
		State:  Failed,
		Inputs: map[string]any{"count": int64(9007199254740993), "name": "Zoë 🚀", "date": "2024-03-01"},
		Labels: map[string]string{"team": "data", "ünï": "cödé"},
		Start:  t0, End: t0.Add(3 * time.Second),
		ParentID: "parentExec", RestartCount: 2,
		TaskRuns: []*TaskRun{
			{ID: "tr-each", TaskID: "each", State: Failed, Start: t0, End: t0.Add(time.Second),
				Attempts: []Attempt{{State: Failed, Start: t0, End: t0.Add(time.Second)}}},
			{ID: "tr-a-1", TaskID: "a", ParentID: "tr-each", Value: "v1", State: Success, Start: t0,
				Attempts: []Attempt{
					{State: Failed, Start: t0, End: t0.Add(time.Millisecond), Error: "boom: connection reset"},
					{State: Success, Start: t0.Add(2 * time.Millisecond), End: t0.Add(3 * time.Millisecond)},
				},
				Outputs: map[string]any{
					"big":    int64(9223372036854775807),
					"neg":    int64(-9007199254740995),
					"float":  0.1,
					"text":   "日本語 \"quoted\" <b>&",
					"row":    inner,
					"nested": map[string]any{"x": map[string]any{"y": []any{int64(1), "two"}}},
					"empty":  map[string]any{},
					"none":   nil,
				}},
			{ID: "tr-a-2", TaskID: "a", ParentID: "tr-each", Value: "v2", State: Failed, Error: "exit status 1",
				Outputs: map[string]any{}},
		},
	}
}

// plain turns decoded values (json.Number, *rows.OrderedMap) and given
// values (int64, ordered maps) into one comparable form.
func plain(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func truncated(tm time.Time) time.Time {
	if tm.IsZero() {
		return tm
	}
	return tm.Truncate(time.Microsecond).UTC()
}

func checkSame(t *testing.T, want, got *Execution, withTaskRuns, withSource bool) {
	t.Helper()
	if got.ID != want.ID || got.Namespace != want.Namespace || got.FlowID != want.FlowID ||
		got.FlowFile != want.FlowFile || got.State != want.State || got.ParentID != want.ParentID ||
		got.RestartCount != want.RestartCount {
		t.Errorf("scalar fields differ:\n got %+v\nwant %+v", got, want)
	}
	if withSource && got.FlowSource != want.FlowSource {
		t.Errorf("flow source = %q, want %q", got.FlowSource, want.FlowSource)
	}
	if !got.Start.Equal(truncated(want.Start)) || got.Start.Location() != time.UTC || !got.End.Equal(truncated(want.End)) {
		t.Errorf("times = %v..%v, want %v..%v in UTC", got.Start, got.End, truncated(want.Start), truncated(want.End))
	}
	if !reflect.DeepEqual(plain(t, got.Inputs), plain(t, want.Inputs)) {
		t.Errorf("inputs = %#v, want %#v", got.Inputs, want.Inputs)
	}
	if !reflect.DeepEqual(got.Labels, want.Labels) {
		t.Errorf("labels = %v, want %v", got.Labels, want.Labels)
	}
	if !withTaskRuns {
		if got.TaskRuns != nil {
			t.Errorf("task runs loaded: %v", got.TaskRuns)
		}
		return
	}
	if len(got.TaskRuns) != len(want.TaskRuns) {
		t.Fatalf("%d task runs, want %d", len(got.TaskRuns), len(want.TaskRuns))
	}
	for i, w := range want.TaskRuns {
		g := got.TaskRuns[i]
		if g.ID != w.ID || g.TaskID != w.TaskID || g.ParentID != w.ParentID || g.Value != w.Value ||
			g.State != w.State || g.Error != w.Error ||
			!g.Start.Equal(truncated(w.Start)) || !g.End.Equal(truncated(w.End)) {
			t.Errorf("task run %d:\n got %+v\nwant %+v", i, g, w)
		}
		if len(g.Attempts) != len(w.Attempts) {
			t.Fatalf("task run %s: %d attempts, want %d", w.ID, len(g.Attempts), len(w.Attempts))
		}
		for j, wa := range w.Attempts {
			ga := g.Attempts[j]
			if ga.State != wa.State || ga.Error != wa.Error || !ga.Start.Equal(truncated(wa.Start)) || !ga.End.Equal(truncated(wa.End)) {
				t.Errorf("task run %s attempt %d = %+v, want %+v", w.ID, j, ga, wa)
			}
		}
		if (g.Outputs == nil) != (w.Outputs == nil) {
			t.Errorf("task run %s: outputs nil-ness differs: got %v want %v", w.ID, g.Outputs, w.Outputs)
		}
		if !reflect.DeepEqual(plain(t, g.Outputs), plain(t, w.Outputs)) {
			t.Errorf("task run %s outputs = %#v, want %#v", w.ID, g.Outputs, w.Outputs)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	want := sampleExecution("3mXkQ9abcdef")
	if err := r.SaveExecution(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetExecution(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, want, got, true, true)

	out := got.TaskRuns[1].Outputs
	// Integers beyond 2^53 come back exact, as json.Number.
	if n, ok := out["big"].(json.Number); !ok || n.String() != "9223372036854775807" {
		t.Errorf("big = %#v", out["big"])
	}
	if n, ok := got.Inputs["count"].(json.Number); !ok || n.String() != "9007199254740993" {
		t.Errorf("count = %#v", got.Inputs["count"])
	}
	// An ordered map keeps its key order.
	row, ok := out["row"].(*rows.OrderedMap)
	if !ok {
		t.Fatalf("row = %T, want *rows.OrderedMap", out["row"])
	}
	if keys := row.Keys(); !reflect.DeepEqual(keys, []string{"zeta", "alpha", "list"}) {
		t.Errorf("row keys = %v", keys)
	}
	if s := out["text"]; s != "日本語 \"quoted\" <b>&" {
		t.Errorf("text = %q", s)
	}
	if got.TaskRuns[2].Outputs == nil || len(got.TaskRuns[2].Outputs) != 0 {
		t.Errorf("empty outputs = %#v, want empty non-nil", got.TaskRuns[2].Outputs)
	}
	if got.TaskRuns[0].Outputs != nil {
		t.Errorf("nil outputs = %#v, want nil", got.TaskRuns[0].Outputs)
	}

	// Saving again replaces the task run set and updates fields.
	want.State = Running
	want.RestartCount = 3
	want.End = time.Time{}
	want.TaskRuns = []*TaskRun{want.TaskRuns[2], {ID: "tr-b", TaskID: "b", State: Created}}
	if err := r.SaveExecution(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err = r.GetExecution(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, want, got, true, true)
	if !got.End.IsZero() {
		t.Errorf("end = %v, want zero", got.End)
	}
}

func TestSaveErrors(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	for name, tc := range map[string]struct {
		e    *Execution
		want string
	}{
		"no id":          {&Execution{}, "empty execution id"},
		"dup task run":   {&Execution{ID: "e1", TaskRuns: []*TaskRun{{ID: "x", TaskID: "a"}, {ID: "x", TaskID: "b"}}}, "execution e1: duplicate task run id x (task b)"},
		"no task run id": {&Execution{ID: "e2", TaskRuns: []*TaskRun{{TaskID: "a"}}}, "execution e2: task run 0 (task a) has no id"},
		"bad output": {&Execution{ID: "e3", TaskRuns: []*TaskRun{{ID: "t", TaskID: "a", Outputs: map[string]any{"c": make(chan int)}}}},
			"task run t (task a) of e3: outputs: json: unsupported type"},
	} {
		t.Run(name, func(t *testing.T) {
			err := r.SaveExecution(ctx, tc.e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A failed save leaves nothing behind.
	if _, err := r.GetExecution(ctx, "e1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("e1 after failed save: %v", err)
	}
}

func TestListExecutions(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	save := func(id, ns, flow string, st State, start time.Time) {
		t.Helper()
		e := &Execution{ID: id, Namespace: ns, FlowID: flow, State: st, Start: start, FlowSource: "big yaml",
			TaskRuns: []*TaskRun{{ID: id + "-t", TaskID: "t", State: st}}}
		if err := r.SaveExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	save("e1", "ns", "a", Success, base)
	save("e2", "ns", "a", Failed, base.Add(time.Hour))
	save("e3", "ns", "b", Success, base.Add(2*time.Hour))
	save("e4", "other", "a", Success, base.Add(30*time.Minute))
	save("e5", "ns", "a", Created, time.Time{}) // queued, not started: newest
	save("e6", "ns", "a", Success, base)        // same start as e1: id breaks the tie

	ids := func(es []*Execution) string {
		var s []string
		for _, e := range es {
			s = append(s, e.ID)
			if e.TaskRuns != nil || e.FlowSource != "" {
				t.Errorf("list of %s carries task runs or flow source", e.ID)
			}
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		f    Filter
		want string
	}{
		{Filter{}, "e5,e3,e2,e4,e6,e1"},
		{Filter{Limit: 2}, "e5,e3"},
		{Filter{Namespace: "ns"}, "e5,e3,e2,e6,e1"},
		{Filter{Namespace: "ns", FlowID: "a"}, "e5,e2,e6,e1"},
		{Filter{FlowID: "a", State: Success}, "e4,e6,e1"},
		{Filter{State: Killed}, ""},
		{Filter{Namespace: "ns", FlowID: "a", State: Success, Limit: 1}, "e6"},
	} {
		got, err := r.ListExecutions(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if s := ids(got); s != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.f, s, tc.want)
		}
	}
}

func TestPrefixLookup(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	for _, id := range []string{"7fQxA1bbbb", "7fQxA1bccc", "7fQxA2zzzz", "7fQ", "Zz9abcdef0"} {
		if err := r.SaveExecution(ctx, &Execution{ID: id, State: Success}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		in, want string
		err      error
		msg      string
	}{
		{in: "7fQxA2", want: "7fQxA2zzzz"},
		{in: "7fQxA1bb", want: "7fQxA1bbbb"},
		{in: "7fQxA1bccc", want: "7fQxA1bccc"},
		{in: "7fQ", want: "7fQ"}, // an exact short id is fine
		{in: "Zz9abc", want: "Zz9abcdef0"},
		{in: "zz9abc", err: ErrNotFound}, // case sensitive
		{in: "7fQxA1", err: ErrAmbiguous, msg: "matches 7fQxA1bbbb, 7fQxA1bccc"},
		{in: "7fQx", err: ErrNotFound, msg: "at least 6 characters"},
		{in: "nothere", err: ErrNotFound, msg: "execution nothere: not found"},
		{in: "", err: ErrNotFound},
	} {
		got, err := r.GetExecution(ctx, tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%q: err = %v, want %v containing %q", tc.in, err, tc.err, tc.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got.ID != tc.want {
			t.Errorf("%q resolved to %s, want %s", tc.in, got.ID, tc.want)
		}
	}
}

func TestLogs(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	// Logs may arrive before the execution is saved.
	var batch1, batch2 []LogEntry
	for i := range 5 {
		batch1 = append(batch1, LogEntry{ExecutionID: "ex1", TaskRunID: "tr1", TaskID: "a",
			Time: t0.Add(time.Duration(5-i) * time.Second), Level: "INFO", Message: fmt.Sprintf("line %d", i)})
	}
	batch2 = []LogEntry{
		{ExecutionID: "ex1", TaskRunID: "tr2", TaskID: "b", Time: t0, Level: "ERROR", Message: "ünïcode ✓",
			Attrs: map[string]any{"rows": int64(1) << 60, "table": "t"}},
		{ExecutionID: "ex2", TaskID: "c", Level: "DEBUG", Message: "other execution"},
	}
	if err := r.AppendLogs(ctx, batch1); err != nil {
		t.Fatal(err)
	}
	if err := r.AppendLogs(ctx, batch2); err != nil {
		t.Fatal(err)
	}
	if err := r.AppendLogs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, err := r.Logs(ctx, "ex1")
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]LogEntry{}, batch1...), batch2[0])
	if len(got) != len(want) {
		t.Fatalf("%d logs, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ExecutionID != w.ExecutionID || g.TaskRunID != w.TaskRunID || g.TaskID != w.TaskID ||
			g.Level != w.Level || g.Message != w.Message || !g.Time.Equal(truncated(w.Time)) ||
			!reflect.DeepEqual(plain(t, g.Attrs), plain(t, w.Attrs)) {
			t.Errorf("log %d = %+v, want %+v", i, g, w)
		}
	}

	// Deleting the execution deletes its logs, not the others'.
	if err := r.SaveExecution(ctx, &Execution{ID: "ex1", TaskRuns: []*TaskRun{{ID: "tr1", TaskID: "a"}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteExecution(ctx, "ex1"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Logs(ctx, "ex1"); err != nil || len(got) != 0 {
		t.Errorf("logs after delete: %v, %v", got, err)
	}
	if got, err := r.Logs(ctx, "ex2"); err != nil || len(got) != 1 {
		t.Errorf("other execution's logs: %v, %v", got, err)
	}
	if _, err := r.GetExecution(ctx, "ex1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if err := r.DeleteExecution(ctx, "ex1"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "ex1") {
		t.Errorf("second delete: %v", err)
	}
}

func TestDeleteCascadesTaskRuns(t *testing.T) {
	ctx := context.Background()
	r, path := openTemp(t)
	if err := r.SaveExecution(ctx, sampleExecution("exdel1")); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteExecution(ctx, "exdel1"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM task_runs`).Scan(&n); err != nil || n != 0 {
		t.Errorf("task runs left: %d, %v", n, err)
	}
}

func TestKV(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	a, b, c := r.KV("ns", "flowA"), r.KV("ns", "flowB"), r.KV("ns2", "flowA")
	for i, kv := range []KV{a, b, c} {
		if err := kv.Put(ctx, "bookmark", []byte(fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, kv := range []KV{a, b, c} {
		v, ok, err := kv.Get(ctx, "bookmark")
		if err != nil || !ok || string(v) != fmt.Sprintf("v%d", i) {
			t.Errorf("kv %d: %q %v %v", i, v, ok, err)
		}
	}
	if err := a.Put(ctx, "bookmark", []byte{0, 1, 0xff}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := a.Get(ctx, "bookmark"); string(v) != "\x00\x01\xff" {
		t.Errorf("overwrite: %q", v)
	}
	if err := a.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := a.Get(ctx, "empty"); err != nil || !ok || v == nil || len(v) != 0 {
		t.Errorf("empty value: %q %v %v", v, ok, err)
	}
	if err := a.Delete(ctx, "bookmark"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Get(ctx, "bookmark"); ok || err != nil {
		t.Errorf("after delete: %v %v", ok, err)
	}
	if v, ok, _ := b.Get(ctx, "bookmark"); !ok || string(v) != "v1" {
		t.Errorf("delete leaked into another flow: %q %v", v, ok)
	}
	if err := a.Delete(ctx, "never-there"); err != nil {
		t.Errorf("delete absent: %v", err)
	}
}

func TestConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	r, _ := openTemp(t)
	const workers, rounds = 8, 4
	shared := &Execution{ID: "shared", State: Running}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kv := r.KV("ns", fmt.Sprintf("flow%d", w))
			for i := range rounds {
				e := sampleExecution(fmt.Sprintf("exec-%d", w))
				e.RestartCount = i
				if err := r.SaveExecution(ctx, e); err != nil {
					errs <- err
				}
				// Each goroutine saves its own copy of the shared execution, as
				// the executor does from parallel tasks.
				s := &Execution{ID: shared.ID, State: Running, TaskRuns: []*TaskRun{{ID: fmt.Sprintf("w%d", w), TaskID: "t", State: Success}}}
				if err := r.SaveExecution(ctx, s); err != nil {
					errs <- err
				}
				if _, err := r.GetExecution(ctx, "shared"); err != nil {
					errs <- err
				}
				if err := r.AppendLogs(ctx, []LogEntry{{ExecutionID: "shared", Message: fmt.Sprintf("w%d i%d", w, i)}}); err != nil {
					errs <- err
				}
				if err := kv.Put(ctx, "k", []byte{byte(i)}); err != nil {
					errs <- err
				}
				if _, err := r.ListExecutions(ctx, Filter{Limit: 3}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range workers {
		e, err := r.GetExecution(ctx, fmt.Sprintf("exec-%d", w))
		if err != nil {
			t.Fatal(err)
		}
		if e.RestartCount != rounds-1 || len(e.TaskRuns) != 3 {
			t.Errorf("exec-%d: restart count %d, %d task runs", w, e.RestartCount, len(e.TaskRuns))
		}
	}
	// The last save wins whole: exactly one goroutine's task run set.
	e, err := r.GetExecution(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.TaskRuns) != 1 {
		t.Errorf("shared: %d task runs, want 1", len(e.TaskRuns))
	}
	logs, err := r.Logs(ctx, "shared")
	if err != nil || len(logs) != workers*rounds {
		t.Errorf("shared logs: %d, %v", len(logs), err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir?#%", "state.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, dsn := range []string{path, "sqlite:" + path} {
		r, err := Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := r.SaveExecution(ctx, sampleExecution("reopen1")); err != nil {
				t.Fatal(err)
			}
			if err := r.KV("ns", "f").Put(ctx, "k", []byte("v")); err != nil {
				t.Fatal(err)
			}
		} else {
			got, err := r.GetExecution(ctx, "reopen")
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, sampleExecution("reopen1"), got, true, true)
			if v, ok, err := r.KV("ns", "f").Get(ctx, "k"); err != nil || !ok || string(v) != "v" {
				t.Errorf("kv after reopen: %q %v %v", v, ok, err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// The file is where the path says, with its odd characters intact.
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestWALAndPragmas(t *testing.T) {
	r, _ := openTemp(t)
	s := r.(*sqliteRepo)
	for _, tc := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.w, "synchronous", "1"},
		{s.r, "busy_timeout", "10000"},
		{s.r, "query_only", "1"},
	} {
		var got string
		if err := tc.db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SaveExecution(ctx, &Execution{ID: "old-exec", State: Success}); err != nil {
		t.Fatal(err)
	}
	r.Close()

	db, err := sql.Open("sqlite", "file:"+path+"?"+writerParams)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	versions := func() string {
		t.Helper()
		rs, err := db.Query(`SELECT version FROM schema_version ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var vs []string
		for rs.Next() {
			var v int
			if err := rs.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, fmt.Sprint(v))
		}
		return strings.Join(vs, ",")
	}
	upTo := func(n int) string {
		var vs []string
		for v := 1; v <= n; v++ {
			vs = append(vs, fmt.Sprint(v))
		}
		return strings.Join(vs, ",")
	}
	n := len(migrations)
	// Idempotent: running again (as every Open does) changes nothing.
	for range 2 {
		if err := migrate(ctx, db, migrations); err != nil {
			t.Fatal(err)
		}
		if v := versions(); v != upTo(n) {
			t.Fatalf("versions = %s, want %s", v, upTo(n))
		}
	}
	// A future migration upgrades the old file and keeps its data.
	next := append(append([][]string{}, migrations...), []string{`ALTER TABLE executions ADD COLUMN note TEXT NOT NULL DEFAULT ''`})
	if err := migrate(ctx, db, next); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, next); err != nil {
		t.Fatal(err)
	}
	if v := versions(); v != upTo(n+1) {
		t.Fatalf("versions = %s, want %s", v, upTo(n+1))
	}
	var note string
	if err := db.QueryRow(`SELECT note FROM executions WHERE id = 'old-exec'`).Scan(&note); err != nil {
		t.Fatal(err)
	}
	// A file from a newer build is refused, not damaged.
	err = migrate(ctx, db, migrations)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d, newer than this build supports (%d)", n+1, n)) {
		t.Errorf("older build on newer file: %v", err)
	}
	// A failing migration rolls back whole.
	bad := append(append([][]string{}, next...), []string{`CREATE TABLE extra (x INTEGER)`, `THIS IS NOT SQL`})
	if err := migrate(ctx, db, bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migration %d, statement 2", n+2)) {
		t.Errorf("bad migration: %v", err)
	}
	if v := versions(); v != upTo(n+1) {
		t.Errorf("versions after failed migration = %s", v)
	}
	var extra int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'extra'`).Scan(&extra); err != nil || extra != 0 {
		t.Errorf("half-applied migration left table extra: %d %v", extra, err)
	}
}

func TestParseDSN(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := t.TempDir()
	for _, tc := range []struct {
		dsn, uri, err string
		memory        bool
	}{
		{dsn: "", uri: "file:" + home + "/.sluice/sluice.db"},
		{dsn: dir + "/a.db", uri: "file:" + dir + "/a.db"},
		{dsn: "sqlite:" + dir + "/a.db", uri: "file:" + dir + "/a.db"},
		{dsn: "sqlite://" + dir + "/a.db", uri: "file:" + dir + "/a.db"},
		{dsn: "~/x.db", uri: "file:" + home + "/x.db"},
		{dsn: dir + "/what?#.db", uri: "file:" + dir + "/what%3F%23.db"},
		{dsn: "file:" + dir + "/a.db?cache=private", uri: "file:" + dir + "/a.db?cache=private"},
		{dsn: ":memory:", uri: ":memory:", memory: true},
		{dsn: "file:mem1?mode=memory&cache=shared", uri: "file:mem1?mode=memory&cache=shared", memory: true},
		{dsn: "postgres://user:secret@db/sluice", err: "PostgreSQL state is not implemented yet in this build"},
		{dsn: "postgresql://db/sluice", err: "not implemented yet"},
		{dsn: "mysql://db/x", err: `unsupported state DSN scheme "mysql"`},
		{dsn: dir + "/missing/a.db", err: "directory of " + dir + "/missing/a.db"},
	} {
		got, err := parseDSN(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.dsn, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: error leaks the password: %v", tc.dsn, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.dsn, err)
			continue
		}
		if got.uri != tc.uri || got.memory != tc.memory {
			t.Errorf("%q: got %+v, want uri %s memory %v", tc.dsn, got, tc.uri, tc.memory)
		}
	}
	if fi, err := os.Stat(filepath.Join(home, ".sluice")); err != nil || !fi.IsDir() {
		t.Errorf("default directory not created: %v", err)
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	r, err := Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := sampleExecution("memexec1")
	if err := r.SaveExecution(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetExecution(ctx, "memexe")
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, want, got, true, true)
	list, err := r.ListExecutions(ctx, Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	checkSame(t, want, list[0], false, false)
}

func TestTerminated(t *testing.T) {
	for s, want := range map[State]bool{
		Created: false, Running: false, Retrying: false, Paused: false,
		Success: true, Warning: true, Failed: true, Killed: true,
	} {
		if s.Terminated() != want {
			t.Errorf("%s.Terminated() = %v", s, !want)
		}
	}
}

func BenchmarkGetExecution50(b *testing.B) {
	ctx := context.Background()
	r, _ := openTemp(b)
	e := &Execution{ID: "bench", State: Running}
	for i := range 50 {
		e.TaskRuns = append(e.TaskRuns, &TaskRun{ID: fmt.Sprintf("tr%02d", i), TaskID: "t", State: Success,
			Outputs: map[string]any{"uri": "kestra:///x", "size": int64(i)}})
	}
	if err := r.SaveExecution(ctx, e); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.GetExecution(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
