package fanout

import (
	"bytes"
	"sync"

	"github.com/sluicehq/sluice/singer/message"
)

// Tracker matches the states a target echoes on stdout with the STATE
// messages sent to it, to know the last one it acknowledged.
//
// A target echoes a STATE value once the records before it are loaded, so
// an echoed value acknowledges the earliest pending STATE equal to it (the
// conservative reading when a value repeats) and every STATE before it.
// Runs of equal consecutive states are kept as one (the latest), since
// restarting from any of them is the same for the tap. At most MaxPending
// unacknowledged states are remembered; older ones are forgotten, which can
// only delay acknowledgement, never overstate it.
type Tracker struct {
	mu      sync.Mutex
	pending []pending
	head    int
	sent    int64
	last    []byte // raw value of the last STATE sent
	acked   int64
	state   []byte
	// Unmatched counts echoed lines that matched no pending state.
	Unmatched int64
}

type pending struct {
	index int64
	canon []byte
	raw   []byte
}

// MaxPending bounds the memory of unacknowledged states.
const MaxPending = 100000

// NewTracker returns a tracker with nothing sent.
func NewTracker() *Tracker { return &Tracker{acked: -1} }

// Sent records the next STATE message (its raw "value") before it is
// written to the target. Values that are not valid JSON cannot be matched
// and are only counted.
func (t *Tracker) Sent(value []byte) {
	canon, err := message.Canonical(value)
	t.mu.Lock()
	defer t.mu.Unlock()
	idx := t.sent
	t.sent++
	t.last = append(t.last[:0], value...)
	if err != nil {
		return
	}
	live := t.pending[t.head:]
	if n := len(live); n > 0 && bytes.Equal(live[n-1].canon, canon) {
		live[n-1].index = idx
		live[n-1].raw = append(live[n-1].raw[:0], value...)
		return
	}
	if len(live) >= MaxPending {
		t.head++
	}
	if t.head > len(t.pending)/2 && t.head > 1024 {
		t.pending = append(t.pending[:0], t.pending[t.head:]...)
		t.head = 0
	}
	t.pending = append(t.pending, pending{index: idx, canon: canon, raw: append([]byte{}, value...)})
}

// Echoed records a line the target wrote on stdout; it reports whether the
// line acknowledged a state.
func (t *Tracker) Echoed(line []byte) bool {
	canon, err := message.Canonical(line)
	if err != nil {
		t.mu.Lock()
		t.Unmatched++
		t.mu.Unlock()
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := t.head; i < len(t.pending); i++ {
		if bytes.Equal(t.pending[i].canon, canon) {
			p := t.pending[i]
			t.acked, t.state = p.index, p.raw
			t.head = i + 1
			if t.head == len(t.pending) {
				t.pending, t.head = t.pending[:0], 0
			}
			return true
		}
	}
	t.Unmatched++
	return false
}

// AckAll acknowledges everything sent (the target exited 0 after reading
// the whole stream).
func (t *Tracker) AckAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sent > 0 {
		t.acked, t.state = t.sent-1, append([]byte{}, t.last...)
	}
	t.pending, t.head = t.pending[:0], 0
}

// Acked returns the index and raw value of the last acknowledged STATE
// (-1, nil when none).
func (t *Tracker) Acked() (int64, []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.acked, t.state
}

// Sent returns the number of STATE messages sent.
func (t *Tracker) SentCount() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}
