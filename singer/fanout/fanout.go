// Package fanout is how one Singer tap run feeding several targets agrees
// on the bookmark state, through the flow's durable key/value store.
//
// The rule: the state saved under stateName (the one the tap gets as
// --state next time) only ever moves to a STATE message that every target
// of the fan-out has acknowledged, that is, echoed on its stdout after
// loading the records before it (the Singer target contract), or implied
// by exiting 0 after reading the whole stream.
//
// Keys, for a stateName S:
//
//	S          the committed state (JSON), null/absent at first
//	S/run      the latest tap run with raw output: its id, raw URI, the
//	           committed state it started from (base), the number of
//	           STATE messages and the last one
//	S/targets  the members: IDs of the target tasks that ever started on
//	           a raw stream of S (or the list the tap declares)
//	S/ack/ID   a member's acknowledgement: tap run id, index of the last
//	           acknowledged STATE message (0-based, -1 none) and its value
//
// The committed state is a pure function of those keys (Settle): the STATE
// at the smallest index acknowledged for the latest run by every member;
// base when any member has acknowledged nothing of it. Targets settle when
// they end, the tap settles before it starts (which also repairs a settle
// lost in a crash), so any order of completion gives the same result.
package fanout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Run describes a tap run whose raw output feeds targets.
type Run struct {
	ID      string          `json:"id"`
	Raw     string          `json:"raw"`
	Base    json.RawMessage `json:"base"`
	States  int64           `json:"states"`
	Last    json.RawMessage `json:"last,omitempty"`
	Targets []string        `json:"targets,omitempty"`
	Time    time.Time       `json:"time"`
}

// Ack is one member's acknowledgement of a run.
type Ack struct {
	Run   string          `json:"run"`
	Index int64           `json:"index"`
	State json.RawMessage `json:"state,omitempty"`
	Done  bool            `json:"done"`
	Time  time.Time       `json:"time"`
}

// Store reads and writes the keys of one stateName.
type Store struct {
	kv   plugin.KV
	name string
	mu   *sync.Mutex
}

var (
	locksMu sync.Mutex
	locks   = map[string]*sync.Mutex{}
)

// New returns the store of stateName in kv; scope identifies the KV
// (namespace and flow) so that read-modify-write sequences on the same
// keys are serialised within this process.
func New(kv plugin.KV, scope, stateName string) *Store {
	key := scope + "\x00" + stateName
	locksMu.Lock()
	mu, ok := locks[key]
	if !ok {
		mu = &sync.Mutex{}
		locks[key] = mu
	}
	locksMu.Unlock()
	return &Store{kv: kv, name: stateName, mu: mu}
}

// Name is the stateName.
func (s *Store) Name() string { return s.name }

func (s *Store) runKey() string              { return s.name + "/run" }
func (s *Store) targetsKey() string          { return s.name + "/targets" }
func (s *Store) ackKey(member string) string { return s.name + "/ack/" + member }

func (s *Store) getJSON(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := s.kv.Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("state key %q holds invalid JSON: %w", key, err)
	}
	return true, nil
}

func (s *Store) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.kv.Put(ctx, key, b)
}

// Committed returns the committed state, nil when there is none.
func (s *Store) Committed(ctx context.Context) (json.RawMessage, error) {
	b, ok, err := s.kv.Get(ctx, s.name)
	if err != nil || !ok || isNull(b) {
		return nil, err
	}
	return json.RawMessage(b), nil
}

func isNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// Commit sets the committed state directly and forgets the fan-out run:
// used when the tap itself is the only consumer (raw: false).
func (s *Store) Commit(ctx context.Context, state json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.kv.Delete(ctx, s.runKey()); err != nil {
		return err
	}
	if state == nil {
		return nil
	}
	return s.kv.Put(ctx, s.name, state)
}

// BeginRun records a tap run whose raw output targets will read. The
// committed state is not changed: targets move it.
func (s *Store) BeginRun(ctx context.Context, r Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	if len(r.Base) == 0 {
		r.Base = json.RawMessage("null")
	}
	return s.putJSON(ctx, s.runKey(), r)
}

// CurrentRun returns the latest tap run.
func (s *Store) CurrentRun(ctx context.Context) (*Run, error) {
	var r Run
	ok, err := s.getJSON(ctx, s.runKey(), &r)
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

// Join makes member a member of the fan-out (before it reads anything) and
// records that it has acknowledged nothing of run yet, unless it already
// acknowledged part of it (a restarted target keeps its progress).
func (s *Store) Join(ctx context.Context, run, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var members []string
	if _, err := s.getJSON(ctx, s.targetsKey(), &members); err != nil {
		return err
	}
	if !contains(members, member) {
		members = append(members, member)
		sort.Strings(members)
		if err := s.putJSON(ctx, s.targetsKey(), members); err != nil {
			return err
		}
	}
	var a Ack
	ok, err := s.getJSON(ctx, s.ackKey(member), &a)
	if err != nil {
		return err
	}
	if ok && a.Run == run {
		return nil
	}
	return s.putJSON(ctx, s.ackKey(member), Ack{Run: run, Index: -1, Time: time.Now().UTC()})
}

// Members lists the members (the run's declared targets win).
func (s *Store) Members(ctx context.Context, r *Run) ([]string, error) {
	if r != nil && len(r.Targets) > 0 {
		return r.Targets, nil
	}
	var members []string
	_, err := s.getJSON(ctx, s.targetsKey(), &members)
	return members, err
}

// PutAck records member's progress on a run. Acknowledgements never move
// back within a run.
func (s *Store) PutAck(ctx context.Context, member string, a Ack) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old Ack
	ok, err := s.getJSON(ctx, s.ackKey(member), &old)
	if err != nil {
		return err
	}
	if ok && old.Run == a.Run && old.Index > a.Index {
		a.Index, a.State = old.Index, old.State
	}
	if a.Time.IsZero() {
		a.Time = time.Now().UTC()
	}
	return s.putJSON(ctx, s.ackKey(member), a)
}

// Outcome is the result of Settle.
type Outcome struct {
	State json.RawMessage // committed state (nil: none)
	// Index is the index of the committed STATE in the run, -1 for the
	// run's base; Run is nil when there is no fan-out run.
	Index   int64
	Run     *Run
	Missing []string // members that acknowledged nothing of the run
	Changed bool
}

// Settle recomputes the committed state from the latest run and the
// members' acknowledgements, and writes it when it changed.
func (s *Store) Settle(ctx context.Context) (Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	committed, err := s.Committed(ctx)
	if err != nil {
		return Outcome{}, err
	}
	r, err := s.CurrentRun(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if r == nil {
		return Outcome{State: committed, Index: -1}, nil
	}
	members, err := s.Members(ctx, r)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Run: r, Index: -1, State: r.Base}
	if len(members) > 0 && r.States > 0 {
		min := int64(1<<63 - 1)
		var minState json.RawMessage
		for _, m := range members {
			var a Ack
			ok, err := s.getJSON(ctx, s.ackKey(m), &a)
			if err != nil {
				return Outcome{}, err
			}
			idx := int64(-1)
			if ok && a.Run == r.ID {
				idx = a.Index
			}
			if idx < 0 {
				out.Missing = append(out.Missing, m)
			}
			if idx < min {
				min, minState = idx, a.State
			}
		}
		if min >= 0 {
			out.Index, out.State = min, minState
		}
	}
	if isNull(out.State) {
		out.State = nil
	}
	if !bytes.Equal(out.State, committed) {
		out.Changed = true
		if out.State == nil {
			err = s.kv.Delete(ctx, s.name)
		} else {
			err = s.kv.Put(ctx, s.name, out.State)
		}
		if err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ErrNotFanout is returned when a target reads a raw stream that is not
// the latest tap run of its stateName.
var ErrNotFanout = errors.New("not the latest tap run of this stateName")
