package fanout

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin/plugintest"
)

func state(i int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"pos":%d}`, i)) }

func TestSettle(t *testing.T) {
	ctx := context.Background()
	type ack struct {
		member string
		run    string
		index  int64
	}
	cases := []struct {
		name      string
		members   []string // joined before acks (Join also records "nothing yet")
		declared  []string // Run.Targets
		acks      []ack
		want      string // committed state, "" for none
		wantMiss  string
		committed string // committed before the run (base)
	}{
		{name: "no members: base stays", want: ""},
		{name: "one target, all", members: []string{"a"}, acks: []ack{{"a", "r2", 9}}, want: `{"pos":9}`},
		{name: "two targets, min wins", members: []string{"a", "b"}, acks: []ack{{"a", "r2", 9}, {"b", "r2", 5}}, want: `{"pos":5}`},
		{name: "a member acknowledged nothing: base", committed: `{"pos":-1}`, members: []string{"a", "b"}, acks: []ack{{"a", "r2", 9}}, want: `{"pos":-1}`, wantMiss: "b"},
		{name: "ack of an older run does not count", committed: `{"pos":-1}`, members: []string{"a"}, acks: []ack{{"a", "r1", 9}}, want: `{"pos":-1}`, wantMiss: "a"},
		{name: "declared targets replace members", members: []string{"a", "old"}, declared: []string{"a"}, acks: []ack{{"a", "r2", 3}}, want: `{"pos":3}`},
		{name: "declared target that never ran holds the state", members: []string{"a"}, declared: []string{"a", "c"}, acks: []ack{{"a", "r2", 3}}, want: "", wantMiss: "c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := plugintest.New(t)
			s := New(env.KV, t.Name(), "st")
			if c.committed != "" {
				if err := env.KV.Put(ctx, "st", []byte(c.committed)); err != nil {
					t.Fatal(err)
				}
			}
			var base json.RawMessage
			if c.committed != "" {
				base = json.RawMessage(c.committed)
			}
			if err := s.BeginRun(ctx, Run{ID: "r2", Raw: "sluice:///raw", Base: base, States: 10, Last: state(9), Targets: c.declared}); err != nil {
				t.Fatal(err)
			}
			for _, m := range c.members {
				if err := s.Join(ctx, "r2", m); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range c.acks {
				if err := s.PutAck(ctx, a.member, Ack{Run: a.run, Index: a.index, State: state(int(a.index)), Done: true}); err != nil {
					t.Fatal(err)
				}
			}
			out, err := s.Settle(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(out.State) != c.want {
				t.Errorf("settled %s, want %s", out.State, c.want)
			}
			if got := fmt.Sprint(out.Missing); got != fmt.Sprint(splitOrNil(c.wantMiss)) {
				t.Errorf("missing %v, want %v", out.Missing, c.wantMiss)
			}
			got, _ := s.Committed(ctx)
			if string(got) != c.want {
				t.Errorf("committed %s, want %s", got, c.want)
			}
			// Settling twice changes nothing.
			if out2, _ := s.Settle(ctx); out2.Changed {
				t.Error("second settle changed the state")
			}
		})
	}
}

func splitOrNil(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestAckNeverMovesBackWithinARun(t *testing.T) {
	ctx := context.Background()
	env := plugintest.New(t)
	s := New(env.KV, t.Name(), "st")
	s.BeginRun(ctx, Run{ID: "r", States: 5})
	s.Join(ctx, "r", "a")
	s.PutAck(ctx, "a", Ack{Run: "r", Index: 3, State: state(3)})
	// A restarted target joins again and reports less: progress is kept.
	s.Join(ctx, "r", "a")
	s.PutAck(ctx, "a", Ack{Run: "r", Index: 1, State: state(1)})
	if out, _ := s.Settle(ctx); string(out.State) != `{"pos":3}` {
		t.Fatalf("settled %s", out.State)
	}
	// Commit (raw: false) forgets the run: a later settle keeps it.
	s.Commit(ctx, state(7))
	if out, _ := s.Settle(ctx); string(out.State) != `{"pos":7}` || out.Run != nil {
		t.Fatalf("after Commit: %+v", out)
	}
}

func TestTracker(t *testing.T) {
	tr := NewTracker()
	for _, v := range []string{`{"a":1}`, `{"a":1}`, `{"a":2}`, `{"a":1}`, `{"a":3}`} {
		tr.Sent([]byte(v))
	}
	// Index 0 and 1 are one run of equal states (kept as index 1).
	if !tr.Echoed([]byte(`{ "a" : 1 }`)) {
		t.Fatal("equal state not matched")
	}
	if i, st := tr.Acked(); i != 1 || string(st) != `{"a":1}` {
		t.Fatalf("acked %d %s", i, st)
	}
	if tr.Echoed([]byte(`not json`)) || tr.Echoed([]byte(`{"a":9}`)) {
		t.Fatal("unknown line matched")
	}
	// {"a":1} again is the later one (index 3).
	tr.Echoed([]byte(`{"a":1}`))
	if i, _ := tr.Acked(); i != 3 {
		t.Fatalf("acked %d, want 3", i)
	}
	// Going back is impossible: {"a":2} (index 2) is no longer pending.
	if tr.Echoed([]byte(`{"a":2}`)) {
		t.Fatal("an older state moved the acknowledgement")
	}
	tr.AckAll()
	if i, st := tr.Acked(); i != 4 || string(st) != `{"a":3}` || tr.Unmatched != 3 {
		t.Fatalf("after AckAll: %d %s unmatched %d", i, st, tr.Unmatched)
	}
}

func TestTrackerBoundedMemory(t *testing.T) {
	tr := NewTracker()
	for i := 0; i < MaxPending+10; i++ {
		tr.Sent(state(i))
	}
	if n := len(tr.pending) - tr.head; n != MaxPending {
		t.Fatalf("%d pending, want %d", n, MaxPending)
	}
	if tr.Echoed(state(0)) {
		t.Fatal("a forgotten state was matched")
	}
	if !tr.Echoed(state(MaxPending + 5)) {
		t.Fatal("a recent state was not matched")
	}
}
