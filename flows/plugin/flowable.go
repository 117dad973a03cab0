package plugin

import (
	"context"
	"time"
)

// Flowable is implemented by the properties struct of a task that holds
// other tasks (Sequential, Parallel, EachSequential, EachParallel, Switch,
// AllowFailure, Pause, Subflow, ...), Kestra's FlowableTask. Such a task is
// registered with Info.Flowable set; the executor never calls Run on it.
//
// Kestra's FlowableTask answers childTasks / resolveNexts / resolveState
// against the whole execution at every step. Here a flowable answers once,
// when its task run starts, with a Plan; the executor stores the plan's
// groups on the task run (every executor sees the same Each values) and
// resolves the children of every flowable with the same rules, incrementally
// (a step's cost does not grow with the number of children). A new flowable
// is one file: a struct, ChildTasks and Plan.
type Flowable interface {
	// ChildTasks returns every group of child tasks it may run, for walking
	// the flow (validation, graphs, dependencies), whatever the plan.
	ChildTasks() [][]*TaskDef
	// Plan decides what to run. It is called on a fresh copy of the
	// properties whose templates are rendered (child task lists are not);
	// rc's Logger logs on the flowable's task run.
	Plan(ctx context.Context, rc *RunContext) (*Plan, error)
}

// Plan is what a flowable task run runs.
//
// Groups run their tasks in order, the first failure stopping the group; at
// most Concurrent groups run at once (0: all; 1: one after the other). After
// a failure no new group starts and the running ones finish. The task run
// ends FAILED if a group failed (WARNING instead with AllowFailure), KILLED
// if one was killed, WARNING if a task warned, SUCCESS otherwise; a FAILED
// end runs the task's errors branch first.
type Plan struct {
	Groups     []Group
	Concurrent int
	// AllowFailure turns a failure of the children into WARNING.
	AllowFailure bool
	// Outputs are the flowable's own outputs ({{ outputs.ID.* }}).
	Outputs Outputs
	// Pause suspends the task run (PAUSED) before its groups run, until
	// the execution is resumed; Delay instead waits that long (scheduled,
	// no worker waits).
	Pause bool
	Delay time.Duration
	// Execution, when set, runs a child execution instead of groups (a
	// subflow); the task run ends with the child, or at once when Wait is
	// false.
	Execution *ChildExecution
}

// Group is a list of tasks run in order, under an iteration value ("" out
// of Each; nested tasks inherit it as {{ taskrun.value }}).
type Group struct {
	Value string
	Tasks []*TaskDef
}

// ChildExecution is a subflow call.
type ChildExecution struct {
	Namespace, FlowID string
	Inputs            map[string]any
	// Wait: end the task with the child execution (otherwise at once).
	Wait bool
	// TransmitFailed: a FAILED or KILLED child fails the task.
	TransmitFailed bool
}
