// Package state persists executions, task runs, logs, outputs and
// flow-scoped key/value state behind a small Repository interface.
//
// The embedded default is SQLite (modernc.org/sqlite, pure Go). The SQL is
// kept portable enough that a PostgreSQL implementation can follow for
// clusters: times are unix microseconds in BIGINT-sized columns, JSON is
// plain text, no SQLite-only types.
//
// Restart semantics: restarting a failed execution keeps its ID (as Kestra
// does) and increments RestartCount; ParentID is not used for restarts but
// names the execution that caused this one (a Flow trigger or a subflow
// call), "" otherwise.
package state

import (
	"context"
	"errors"
	"time"
)

// State is the state of an execution, a task run or an attempt.
type State string

const (
	Created  State = "CREATED"
	Running  State = "RUNNING"
	Success  State = "SUCCESS"
	Warning  State = "WARNING"
	Failed   State = "FAILED"
	Killed   State = "KILLED"
	Retrying State = "RETRYING"
	Paused   State = "PAUSED"
)

// Terminated reports whether s is final: nothing runs any more.
func (s State) Terminated() bool {
	switch s {
	case Success, Warning, Failed, Killed:
		return true
	}
	return false
}

// Execution is one run of a flow.
//
// Stored times are truncated to microseconds and read back in UTC; a zero
// time stays zero. Inputs, task run outputs and log attributes are stored as
// the JSON encoding/json produces and read back with numbers as json.Number
// (int64 above 2^53 stays exact), nested objects as *rows.OrderedMap (so
// ordered maps keep their key order) and lists as []any.
type Execution struct {
	ID, Namespace, FlowID string
	// FlowSource is the flow YAML as run; a restart re-parses it unless a
	// newer file is given.
	FlowSource string
	// FlowFile is the path the flow came from, informational.
	FlowFile string
	State    State
	Inputs   map[string]any
	Labels   map[string]string
	Start    time.Time
	End      time.Time
	// TaskRuns keep their order through a save and load.
	TaskRuns []*TaskRun
	// ParentID is the execution that caused this one (Flow trigger,
	// subflow), "" otherwise. A restart keeps ID and bumps RestartCount.
	ParentID     string
	RestartCount int
}

// TaskRun is one run of one task (per iteration value inside Each).
type TaskRun struct {
	ID     string
	TaskID string
	// ParentID is the task run of the flowable task containing this one.
	ParentID string
	// Value is the iteration value inside Each, "" elsewhere.
	Value    string
	State    State
	Attempts []Attempt
	// Outputs is stored as the JSON encoding/json produces for it; values
	// that marshal in order (an ordered map) keep their key order. A nil map
	// reads back as nil, an empty one as empty.
	Outputs map[string]any
	Start   time.Time
	End     time.Time
	Error   string
}

// Attempt is one try of a task run (retries add attempts).
type Attempt struct {
	State State
	Start time.Time
	End   time.Time
	Error string
}

// LogEntry is one log line of an execution.
type LogEntry struct {
	ExecutionID string
	TaskRunID   string
	TaskID      string
	Time        time.Time
	Level       string
	Message     string
	Attrs       map[string]any
}

// Filter selects executions for ListExecutions; zero fields match all.
type Filter struct {
	Namespace string
	FlowID    string
	State     State
	// Limit caps the number of executions returned; 0 means no limit.
	Limit int
}

// KV is durable key/value state scoped to one flow (Singer bookmarks,
// trigger cursors). It satisfies plugin.KV.
type KV interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// Repository stores executions, logs and KV state. It is safe for use from
// many goroutines.
type Repository interface {
	// SaveExecution inserts or replaces e with its task runs (the stored set
	// becomes exactly e.TaskRuns) in one transaction. The caller must not
	// mutate e while the call runs.
	SaveExecution(ctx context.Context, e *Execution) error
	// GetExecution returns the execution with this ID, or with this unique
	// ID prefix of at least MinPrefix characters. Absent: an error wrapping
	// ErrNotFound; ambiguous prefix: an error wrapping ErrAmbiguous.
	GetExecution(ctx context.Context, id string) (*Execution, error)
	// ListExecutions returns executions newest first (by Start; not yet
	// started ones first), without TaskRuns and FlowSource, which keeps it
	// cheap. Use GetExecution for the full record.
	ListExecutions(ctx context.Context, f Filter) ([]*Execution, error)
	// DeleteExecution removes an execution (exact ID), its task runs and its
	// logs. Absent: an error wrapping ErrNotFound.
	DeleteExecution(ctx context.Context, id string) error
	// AppendLogs stores entries in order; logs may be appended before their
	// execution is first saved.
	AppendLogs(ctx context.Context, entries []LogEntry) error
	// Logs returns an execution's logs in the order they were appended.
	Logs(ctx context.Context, executionID string) ([]LogEntry, error)
	// KV returns the key/value state of one flow; flows never see each
	// other's keys.
	KV(namespace, flowID string) KV
	Close() error
}

// MinPrefix is the shortest ID prefix GetExecution resolves.
const MinPrefix = 6

var (
	// ErrNotFound is wrapped by errors for absent executions.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous is wrapped when an ID prefix matches several executions.
	ErrAmbiguous = errors.New("ambiguous execution id prefix")
)
