package plugin

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Kind tells which registry a declared type belongs to.
type Kind string

// Kinds of declared types.
const (
	KindTask      Kind = ""
	KindTrigger   Kind = "trigger"
	KindCondition Kind = "condition"
)

// Condition is implemented by condition properties structs (Kestra's
// io.kestra.core.models.conditions.types.*). A condition is decoded once
// with its flow; template properties (a date, an expression) are rendered
// by the condition itself through ConditionContext.Render.
type Condition interface {
	Test(cc *ConditionContext) (bool, error)
}

// ExecutionView is what conditions may read of the execution that ended.
type ExecutionView struct {
	ID, Namespace, FlowID string
	State                 string
	// RetriedStates lists the states of the attempts of task runs that
	// were tried more than once (HasRetryAttemptCondition).
	RetriedStates []string
}

// ConditionContext is what a condition sees when it is evaluated.
type ConditionContext struct {
	// Namespace and FlowID name the flow whose trigger or listener is
	// evaluated (FlowCondition, FlowNamespaceCondition test these).
	Namespace, FlowID string
	// Execution is the execution that ended; nil when a Schedule evaluates
	// its scheduleConditions.
	Execution *ExecutionView
	// Render renders a template against the evaluation's variables
	// (trigger.date for a schedule, the ended execution otherwise).
	Render func(string) (string, error)
	// Now is the time of the evaluation.
	Now time.Time
	// KV is the durable state of the evaluated flow; MultipleCondition
	// keeps its time windows there. Nil where no state is kept (a
	// condition needing it then fails with a clear error).
	KV KV
}

// ConditionDef is one condition as a flow declares it.
type ConditionDef struct {
	Type  string // as written (may be a Kestra alias)
	Info  *Info
	Props Condition
	Pos   Pos
}

// Test evaluates the condition; the error names where it is declared.
func (c *ConditionDef) Test(cc *ConditionContext) (bool, error) {
	ok, err := c.Props.Test(cc)
	if err != nil {
		return false, fmt.Errorf("%s: condition %s: %w", c.Pos, c.Info.ID, err)
	}
	return ok, nil
}

// AllConditions reports whether every condition holds, evaluated in order
// and stopping at the first that does not (as Kestra's ConditionService).
func AllConditions(defs []*ConditionDef, cc *ConditionContext) (bool, error) {
	for _, c := range defs {
		ok, err := c.Test(cc)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// kindRegistry holds the trigger or the condition types.
type kindRegistry struct {
	kind  Kind
	mu    sync.RWMutex
	names map[string]*Info // IDs and aliases
}

var (
	triggers   = &kindRegistry{kind: KindTrigger, names: map[string]*Info{}}
	conditions = &kindRegistry{kind: KindCondition, names: map[string]*Info{}}
)

func (r *kindRegistry) register(info Info, check func(any) error) {
	if info.ID == "" || info.New == nil {
		panic(fmt.Sprintf("plugin.Register %s: ID and New are required", r.kind))
	}
	props := info.New()
	if err := check(props); err != nil {
		panic(fmt.Sprintf("plugin.Register %s %s: %v", r.kind, info.ID, err))
	}
	if _, err := SpecOf(reflect.TypeOf(props)); err != nil {
		panic(fmt.Sprintf("plugin.Register %s %s: %v", r.kind, info.ID, err))
	}
	info.Kind = r.kind
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range append([]string{info.ID}, info.Aliases...) {
		if _, dup := r.names[name]; dup {
			panic(fmt.Sprintf("plugin.Register: duplicate %s type %s", r.kind, name))
		}
	}
	in := &info
	for _, name := range append([]string{info.ID}, info.Aliases...) {
		r.names[name] = in
	}
}

func (r *kindRegistry) lookup(typ string) (*Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	in, ok := r.names[typ]
	return in, ok
}

func (r *kindRegistry) all() []*Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	seen := map[*Info]bool{}
	var out []*Info
	for _, in := range r.names {
		if !seen[in] {
			seen[in] = true
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (r *kindRegistry) allNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.names))
	for n := range r.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// RegisterTrigger adds a trigger type (Schedule, Flow, Webhook, a
// connector's polling trigger). Like Register it panics on a duplicate or
// a properties struct whose tags do not parse.
func RegisterTrigger(info Info) {
	triggers.register(info, func(any) error { return nil })
}

// LookupTrigger finds a trigger type by ID or alias.
func LookupTrigger(typ string) (*Info, bool) { return triggers.lookup(typ) }

// Triggers returns every trigger type sorted by ID.
func Triggers() []*Info { return triggers.all() }

// TriggerNames returns every trigger ID and alias, for suggestions.
func TriggerNames() []string { return triggers.allNames() }

// RegisterCondition adds a condition type; its properties struct must
// implement Condition.
func RegisterCondition(info Info) {
	conditions.register(info, func(props any) error {
		if _, ok := props.(Condition); !ok {
			return fmt.Errorf("%T does not implement plugin.Condition", props)
		}
		return nil
	})
}

// LookupCondition finds a condition type by ID or alias.
func LookupCondition(typ string) (*Info, bool) { return conditions.lookup(typ) }

// Conditions returns every condition type sorted by ID.
func Conditions() []*Info { return conditions.all() }

// ConditionNames returns every condition ID and alias, for suggestions.
func ConditionNames() []string { return conditions.allNames() }

// Watcher is implemented by trigger properties that watch a source
// outside sluice (a Kafka topic). The server runs Watch for each enabled
// trigger of each stored flow, cancelling ctx when the flow changes or is
// deleted, and runs it again when it returns an error.
type Watcher interface {
	Watch(ctx context.Context, wc *WatchContext) error
}

// WatchContext is what a watching trigger may use.
type WatchContext struct {
	Namespace, FlowID, TriggerID string
	Logger                       *slog.Logger
	// NewRun reserves the id of the next execution and returns the run
	// context its trigger files belong to (CreateRows stores them under
	// that execution).
	NewRun func() (executionID string, rc *RunContext)
	// Emit starts the reserved execution with these trigger variables
	// ({{ trigger.* }}). It returns once the execution is stored; after an
	// error nothing was started and the event must be delivered again
	// (a Kafka batch is not committed).
	Emit func(ctx context.Context, executionID string, vars map[string]any) error
}
