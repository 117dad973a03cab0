// Package state persists executions, task runs, logs, outputs and
// flow-scoped key/value state behind one Repository contract.
//
// The contract is what the executor needs to be a state machine over
// stored state: every task run is its own record, updated with
// compare-and-set on its state (an update succeeds only from the state the
// writer read, ErrConflict otherwise), and the changes of one step (finish a
// task run, create the next ones, settle a parent, end the execution) commit
// in one transaction (Repository.Tx). The cost of a step does not depend on
// the size of the execution.
//
// The embedded default is SQLite (modernc.org/sqlite, pure Go). The SQL is
// kept portable so that a PostgreSQL backend only adds a file: times are unix
// microseconds in BIGINT-sized columns, JSON is plain text, no SQLite-only
// types. Every backend must pass the shared behaviour suite in
// flows/state/statetest (as River's riverdrivertest does for its drivers).
//
// Restart semantics follow Kestra's ExecutionService: a restart keeps the
// execution's ID (RestartCount counts them, Histories shows RESTARTED);
// replay creates a new execution whose ParentID names the replayed one;
// ParentID also names the execution that caused this one (a Flow trigger or
// a subflow call, with ParentTaskRunID the calling task run).
package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is the state of an execution, a task run or an attempt (Kestra's
// names).
type State string

const (
	Created   State = "CREATED"
	Queued    State = "QUEUED" // waiting for a concurrency slot of its flow or namespace
	Running   State = "RUNNING"
	Paused    State = "PAUSED"
	Restarted State = "RESTARTED"
	Killing   State = "KILLING"
	Retrying  State = "RETRYING"
	Success   State = "SUCCESS"
	Warning   State = "WARNING"
	Failed    State = "FAILED"
	Killed    State = "KILLED"
)

// Terminated reports whether s is final: nothing runs any more.
func (s State) Terminated() bool {
	switch s {
	case Success, Warning, Failed, Killed:
		return true
	}
	return false
}

// Failure reports whether s is a failed end (FAILED or KILLED).
func (s State) Failure() bool { return s == Failed || s == Killed }

// Valid reports whether s is one of the states above.
func (s State) Valid() bool {
	switch s {
	case Created, Queued, Running, Paused, Restarted, Killing, Retrying, Success, Warning, Failed, Killed:
		return true
	}
	return false
}

// StateChange is one entry of a state history.
type StateChange struct {
	State State
	Date  time.Time
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
	// FlowRevision is the revision of a stored flow (0: a flow file).
	FlowRevision int
	// FlowSource is the flow YAML as run; a restart re-parses it unless a
	// newer file is given.
	FlowSource string
	// FlowFile is the path the flow came from, informational.
	FlowFile string
	State    State
	// Histories are the execution's states in order, the current one last.
	Histories []StateChange
	Inputs    map[string]any
	Labels    map[string]string
	Start     time.Time
	End       time.Time
	// TaskRuns keep their creation order. ListExecutions leaves them nil.
	TaskRuns []*TaskRun
	// ParentID is the execution that caused this one (Flow trigger,
	// subflow, replay), "" otherwise; ParentTaskRunID the subflow task run
	// waiting for it. A restart keeps ID and bumps RestartCount.
	ParentID        string
	ParentTaskRunID string
	RestartCount    int
	// Owner is the process running the execution (nil when none does); a
	// process that finds an owner gone kills the execution (see Owner).
	Owner *Owner
	// Error says why the execution ended as it did when no task run says it
	// (its owner died, the state database could not be written).
	Error string
	// Trigger is what started the execution (a Schedule slot, a Flow
	// trigger's ended execution, a webhook request); nil when it was
	// started by hand. Its variables are {{ trigger.* }}.
	Trigger *ExecutionTrigger
}

// ExecutionTrigger is Kestra's ExecutionTrigger: the trigger's id, type and
// the variables it gives the execution.
type ExecutionTrigger struct {
	ID        string
	Type      string
	Variables map[string]any
}

// SetState changes the state and appends it to the history.
func (e *Execution) SetState(s State, now time.Time) {
	e.State = s
	e.Histories = append(e.Histories, StateChange{State: s, Date: now})
}

// Owner identifies the process that runs an execution. Heartbeat is
// refreshed while it runs; an owner whose process is gone (same host, pid
// not alive) or whose heartbeat is older than the lease is dead. The same
// record serves `sluice run` and a server's lease.
type Owner struct {
	Host      string
	PID       int
	Started   time.Time // process start, tells a reused pid apart
	Heartbeat time.Time
}

// Key is the owner's identity as stored.
func (o *Owner) Key() string {
	return fmt.Sprintf("%s/%d/%d", o.Host, o.PID, o.Started.UnixMicro())
}

func (o *Owner) String() string {
	return fmt.Sprintf("%s pid %d (started %s)", o.Host, o.PID, o.Started.UTC().Format(time.RFC3339))
}

// TaskRun is one run of one task (per iteration value inside Each).
type TaskRun struct {
	ID     string
	TaskID string
	// ParentID is the task run of the flowable task containing this one.
	ParentID string
	// Value is the iteration value inside Each (inherited by the tasks
	// nested below it), "" elsewhere.
	Value     string
	State     State
	Histories []StateChange
	Attempts  []Attempt
	// Outputs is stored as the JSON encoding/json produces for it; values
	// that marshal in order (an ordered map) keep their key order. A nil map
	// reads back as nil, an empty one as empty.
	Outputs map[string]any
	// Iterations is the plan of a flowable task run, stored once when it
	// starts (the rendered Each values, the Switch case): every executor
	// resolving its children sees the same groups.
	Iterations []Iteration
	// RunAt is when a RETRYING (or delayed) task run is due; zero: now.
	RunAt time.Time
	Start time.Time
	End   time.Time
	Error string
}

// SetState changes the state and appends it to the history.
func (tr *TaskRun) SetState(s State, now time.Time) {
	tr.State = s
	tr.Histories = append(tr.Histories, StateChange{State: s, Date: now})
	if s == Running && tr.Start.IsZero() {
		tr.Start = now
	}
	if s.Terminated() || s == Paused {
		tr.End = now
	} else {
		tr.End = time.Time{}
	}
}

// Clone copies a task run deep enough that the copy's slices can be
// appended to without touching the original (outputs are shared: they are
// never modified once set).
func (tr *TaskRun) Clone() *TaskRun {
	c := *tr
	c.Histories = append([]StateChange(nil), tr.Histories...)
	c.Attempts = append([]Attempt(nil), tr.Attempts...)
	c.Iterations = append([]Iteration(nil), tr.Iterations...)
	return &c
}

// Iteration is one group of child tasks of a flowable task run: the task
// ids run in order, under an iteration value ("" outside Each).
type Iteration struct {
	Value string
	Tasks []string
}

// Attempt is one try of a task run (retries add attempts).
type Attempt struct {
	State State
	Start time.Time
	End   time.Time
	Error string
}

// LogEntry is one log line of an execution. Seq orders the lines of the
// repository (set when stored).
type LogEntry struct {
	Seq         int64
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
	// States matches any of these states (with State, if set, too).
	States []State
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

// Repository stores executions, task runs, logs and KV state. It is safe
// for use from many goroutines.
type Repository interface {
	// Tx runs fn in one write transaction, committed when fn returns nil
	// and rolled back otherwise (fn's error is returned as it is). The Tx
	// must not be used after fn returns.
	Tx(ctx context.Context, fn func(Tx) error) error
	// SaveExecution inserts or replaces e with its task runs (the stored set
	// becomes exactly e.TaskRuns) in one transaction. It writes the whole
	// execution: the executor never calls it per state change (it uses Tx);
	// it is for imports and tests.
	SaveExecution(ctx context.Context, e *Execution) error
	// GetExecution returns the execution with this ID, or with this unique
	// ID prefix of at least MinPrefix characters, with its task runs.
	// Absent: an error wrapping ErrNotFound; ambiguous prefix: an error
	// wrapping ErrAmbiguous.
	GetExecution(ctx context.Context, id string) (*Execution, error)
	// ListExecutions returns executions newest first (by Start; not yet
	// started ones first), without TaskRuns and FlowSource, which keeps it
	// cheap. Use GetExecution for the full record.
	ListExecutions(ctx context.Context, f Filter) ([]*Execution, error)
	// DeleteExecution removes an execution (exact ID), its task runs and its
	// logs. Absent: an error wrapping ErrNotFound.
	DeleteExecution(ctx context.Context, id string) error
	// Heartbeat refreshes the heartbeat of every execution owned by o.
	Heartbeat(ctx context.Context, o *Owner, now time.Time) error
	// AppendLogs stores entries in order; logs may be appended before their
	// execution is first saved.
	AppendLogs(ctx context.Context, entries []LogEntry) error
	// Logs returns an execution's logs in the order they were appended.
	Logs(ctx context.Context, executionID string) ([]LogEntry, error)
	// LogsAfter returns an execution's logs with Seq > after, in order, at
	// most limit of them (0: all): what a follower asks repeatedly.
	LogsAfter(ctx context.Context, executionID string, after int64, limit int) ([]LogEntry, error)
	// KV returns the key/value state of one flow; flows never see each
	// other's keys.
	KV(namespace, flowID string) KV
	Close() error
}

// Tx is one write transaction. Updates are compare-and-set: they apply only
// when the stored state is from, and return an error wrapping ErrConflict
// otherwise (nothing written).
type Tx interface {
	// CreateExecution inserts e and its task runs; an existing ID is an
	// error wrapping ErrConflict.
	CreateExecution(ctx context.Context, e *Execution) error
	// UpdateExecution writes e's own fields (not its task runs) when the
	// stored state is from.
	UpdateExecution(ctx context.Context, e *Execution, from State) error
	// CreateTaskRuns appends task runs to an execution, after those it has.
	CreateTaskRuns(ctx context.Context, executionID string, trs ...*TaskRun) error
	// UpdateTaskRun writes tr when its stored state is from.
	UpdateTaskRun(ctx context.Context, executionID string, tr *TaskRun, from State) error
	// DeleteTaskRuns removes task runs of an execution (absent ids are
	// ignored).
	DeleteTaskRuns(ctx context.Context, executionID string, ids ...string) error
	// GetExecution reads an execution (exact ID) with its task runs inside
	// the transaction.
	GetExecution(ctx context.Context, id string) (*Execution, error)
}

// MinPrefix is the shortest ID prefix GetExecution resolves.
const MinPrefix = 6

var (
	// ErrNotFound is wrapped by errors for absent executions.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous is wrapped when an ID prefix matches several executions.
	ErrAmbiguous = errors.New("ambiguous execution id prefix")
	// ErrConflict is wrapped when a compare-and-set update finds another
	// state than the one the writer read (or a create finds the record).
	ErrConflict = errors.New("state changed concurrently")
)

// WriteError is an error of the state database itself (a write that did
// not commit: disk full, file removed, lock timeout), as opposed to a
// conflict. The executor fails the execution at the first one and
// `sluice run` exits with its own code.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "state database write failed: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }
