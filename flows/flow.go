// Package flows is the flow model of sluice: strict YAML decoding of Kestra
// 0.4-shaped flows, their validation (properties, task references,
// templates), and the executor that runs them.
package flows

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Flow is a decoded flow.
type Flow struct {
	ID          string
	Namespace   string
	Description string
	Labels      map[string]string
	Inputs      []*Input
	Variables   map[string]any
	Tasks       []*plugin.TaskDef
	Errors      []*plugin.TaskDef
	Triggers    []*Trigger
	Listeners   []*Listener
	// Concurrency limits the executions of this flow running at once
	// (nil: no limit).
	Concurrency *Concurrency
	Disabled    bool

	File   string // path it was read from, for messages
	Source []byte // the YAML as read

	// Warnings are non-fatal findings of validation.
	Warnings []*Error
	// Secrets are the secret('NAME') calls of the flow's templates, for
	// CheckSecrets.
	Secrets []SecretUse
}

// Concurrency is a flow's `concurrency:` (the shape of later Kestra
// versions).
type Concurrency struct {
	Limit    int    `yaml:"limit" required:"true" doc:"Most executions of this flow running at once (at least 1)."`
	Behavior string `yaml:"behavior" default:"QUEUE" enum:"QUEUE,CANCEL,FAIL" doc:"Beyond the limit: QUEUE waits (state QUEUED) until a running execution ends; CANCEL ends the new execution KILLED; FAIL ends it FAILED."`
}

// Validate requires a positive limit.
func (c *Concurrency) Validate() error {
	if c.Limit < 1 {
		return fmt.Errorf("concurrency.limit must be at least 1, got %d", c.Limit)
	}
	return nil
}

// InputType is the type of a flow input.
type InputType string

// Input types, Kestra's names.
const (
	InputString   InputType = "STRING"
	InputInt      InputType = "INT"
	InputFloat    InputType = "FLOAT"
	InputBoolean  InputType = "BOOLEAN"
	InputDateTime InputType = "DATETIME"
	InputDate     InputType = "DATE"
	InputFile     InputType = "FILE"
	InputJSON     InputType = "JSON"
)

// Input declares a flow input.
type Input struct {
	Name        string    `yaml:"name" required:"true" doc:"Input name, used as {{ inputs.NAME }}."`
	Type        InputType `yaml:"type" required:"true" enum:"STRING,INT,FLOAT,BOOLEAN,DATETIME,DATE,FILE,JSON" doc:"Input type."`
	Description string    `yaml:"description" doc:"What the input is for."`
	Required    *bool     `yaml:"required" doc:"Required unless a default is given (default true)."`
	Default     any       `yaml:"defaults" doc:"Value used when none is given (Kestra's 'defaults')."`
	Pos         plugin.Pos
}

// IsRequired applies Kestra's rule: required by default, unless it has a
// default value.
func (in *Input) IsRequired() bool {
	if in.Required != nil {
		return *in.Required
	}
	return in.Default == nil
}

// Trigger is a declared trigger: the properties every trigger has and its
// decoded type-specific properties (a registered trigger type, see
// plugin.RegisterTrigger). `sluice run` ignores triggers; `sluice server`
// runs them.
type Trigger struct {
	ID          string
	Type        string // as written (may be a Kestra alias)
	Description string
	Disabled    bool
	Info        *plugin.Info
	// Props is the decoded properties struct; templates in it are
	// rendered when the trigger fires.
	Props any
	// Conditions must all hold for the trigger to fire.
	Conditions []*plugin.ConditionDef
	Pos        plugin.Pos
	// Raw is the trigger as plain YAML data, for display.
	Raw map[string]any
}

// Dir is the folder of the flow file ("" when it was not read from a file).
func (f *Flow) Dir() string {
	if f.File == "" {
		return ""
	}
	abs, err := filepath.Abs(f.File)
	if err != nil {
		return filepath.Dir(f.File)
	}
	return filepath.Dir(abs)
}

// Walk calls fn for every task of the flow, depth first, flowable children
// and errors branches included.
func (f *Flow) Walk(fn func(t *plugin.TaskDef, parents []*plugin.TaskDef)) {
	walkTasks(f.Tasks, nil, fn)
	walkTasks(f.Errors, nil, fn)
}

// walkTasks calls fn for ts and their descendants, depth first.
func walkTasks(ts, parents []*plugin.TaskDef, fn func(t *plugin.TaskDef, parents []*plugin.TaskDef)) {
	for _, t := range ts {
		fn(t, parents)
		ps := append(append([]*plugin.TaskDef{}, parents...), t)
		for _, group := range Children(t) {
			walkTasks(group, ps, fn)
		}
		walkTasks(t.Errors, ps, fn)
	}
}

// Task finds a task by id anywhere in the flow.
func (f *Flow) Task(id string) *plugin.TaskDef {
	var found *plugin.TaskDef
	f.Walk(func(t *plugin.TaskDef, _ []*plugin.TaskDef) {
		if t.ID == id && found == nil {
			found = t
		}
	})
	return found
}

// Input finds an input by name.
func (f *Flow) Input(name string) *Input {
	for _, in := range f.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Error is a problem in a flow, located.
type Error struct {
	Pos        plugin.Pos
	TaskID     string
	Property   string
	Msg        string
	Suggestion string // "did you mean" text, already formatted
	// Context is the offending source line with a caret under the column
	// (YAML syntax errors); Hint says how to fix it.
	Context, Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.TaskID != "" {
		fmt.Fprintf(&b, "task %s: ", quote(e.TaskID))
	}
	if e.Property != "" {
		fmt.Fprintf(&b, "property %q: ", e.Property)
	}
	b.WriteString(e.Msg)
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %s?)", e.Suggestion)
	}
	if e.Context != "" {
		b.WriteString("\n" + e.Context)
	}
	if e.Hint != "" {
		b.WriteString("\n  hint: " + e.Hint)
	}
	return b.String()
}

// Errors is every problem found in a flow, in file order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

var (
	idPattern        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)
