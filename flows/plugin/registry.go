// Package plugin is sluice's task registry and the contract between the
// engine and the tasks it runs.
//
// A task package declares each task type once, in init():
//
//	func init() {
//		plugin.Register(plugin.Info{
//			ID:      "jdbc.mysql.Query",
//			Aliases: []string{"io.kestra.plugin.jdbc.mysql.Query"},
//			Title:   "Run a query on MySQL or MariaDB.",
//			New:     func() any { return &Query{FetchSize: 10000} },
//			Outputs: []plugin.Output{{Name: "uri", Doc: "row file of the result"}},
//		})
//	}
//
// The properties struct (the value New returns) carries `yaml`, `doc`,
// `default`, `required`, `enum` and `secret` tags. From that one declaration
// come strict decoding, defaults, required checks, template rendering of
// string properties, `sluice plugins doc`, docs/plugins/*.md and the JSON
// Schema editors use.
package plugin

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Task is a runnable task: a pointer to its properties struct, decoded and
// rendered, with the code that runs it.
type Task interface {
	Run(ctx context.Context, rc *RunContext) (Outputs, error)
}

// Validator is implemented by properties structs that check combinations of
// properties after decoding (before any template is rendered, so checks
// must tolerate template strings).
type Validator interface {
	Validate() error
}

// Outputs is what {{ outputs.TASK.* }} sees. Files are storage URI strings.
type Outputs map[string]any

// Output documents one output key.
type Output struct {
	Name string
	Doc  string
	// Dynamic outputs have keys chosen at run time below Name (for example
	// streams.STREAM), so validation does not check what follows Name.
	Dynamic bool
	// When is the property setting under which the task produces this
	// output, "PROPERTY: VALUE" ("store: true", "fetchOne: true"), or
	// alternatives joined by " or " ("raw: true or storeRaw: true"); empty
	// means always. Validation rejects a reference to an output the
	// task's properties rule out; docs show the condition.
	When string
}

// Info declares a task type.
type Info struct {
	ID      string   // sluice's short ID, "jdbc.mysql.Query"
	Aliases []string // Kestra type names and older IDs
	Title   string   // one sentence
	Doc     string   // Markdown, may be long
	// New returns a pointer to a fresh properties struct holding defaults
	// set in code; `default` tags are applied on top for zero fields.
	New func() any
	// Outputs lists the output keys; nil means undeclared (not checked).
	Outputs []Output
	// Flowable tasks contain other tasks and are run by the engine itself.
	Flowable bool
	// Examples are YAML snippets shown in docs.
	Examples []Example
	// Kind is what the type declares: a task (the zero value), a trigger
	// or a condition. Each kind has its own registry (RegisterTrigger,
	// RegisterCondition) and its own names.
	Kind Kind
}

// Example is a documented use of a task.
type Example struct {
	Title string
	YAML  string
}

// Registry holds task types by ID and alias. Default is the one every task
// package registers into from init() and that sluice runs with; a test that
// needs its own task types builds a Registry (NewRegistry, or Default.Clone()
// to keep the shipped ones) instead of registering them globally.
type Registry struct {
	mu      sync.RWMutex
	byID    map[string]*Info
	byAlias map[string]*Info
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byID: map[string]*Info{}, byAlias: map[string]*Info{}}
}

// Default is the process-wide registry the package-level functions use.
var Default = NewRegistry()

// Register adds a task type to Default. See (*Registry).Register.
func Register(info Info) { Default.Register(info) }

// Lookup finds a task type in Default by ID or alias.
func Lookup(typ string) (*Info, bool) { return Default.Lookup(typ) }

// All returns every task type in Default sorted by ID.
func All() []*Info { return Default.All() }

// Names returns every ID and alias in Default.
func Names() []string { return Default.Names() }

// Clone returns a registry holding the same task types, to which a test can
// add its own without touching r.
func (r *Registry) Clone() *Registry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c := NewRegistry()
	for k, v := range r.byID {
		c.byID[k] = v
	}
	for k, v := range r.byAlias {
		c.byAlias[k] = v
	}
	return c
}

// Register adds a task type. It panics on a duplicate ID or alias, or on a
// properties struct whose tags do not parse: both are programming errors
// that must fail at start-up, not in a user's flow.
func (r *Registry) Register(info Info) {
	if info.ID == "" || info.New == nil {
		panic("plugin.Register: ID and New are required")
	}
	props := info.New()
	if _, ok := props.(Task); !ok && !info.Flowable {
		panic(fmt.Sprintf("plugin.Register(%s): %T does not implement plugin.Task", info.ID, props))
	}
	if _, err := SpecOf(reflect.TypeOf(props)); err != nil {
		panic(fmt.Sprintf("plugin.Register(%s): %v", info.ID, err))
	}
	if err := info.validateOutputs(); err != nil {
		panic("plugin.Register: " + err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	in := info
	for _, name := range append([]string{info.ID}, info.Aliases...) {
		if _, dup := r.byID[name]; dup {
			panic("plugin.Register: duplicate task type " + name)
		}
		if _, dup := r.byAlias[name]; dup {
			panic("plugin.Register: duplicate task type " + name)
		}
	}
	r.byID[info.ID] = &in
	for _, a := range info.Aliases {
		r.byAlias[a] = &in
	}
}

// Lookup finds a task type by ID or alias.
func (r *Registry) Lookup(typ string) (*Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if in, ok := r.byID[typ]; ok {
		return in, true
	}
	in, ok := r.byAlias[typ]
	return in, ok
}

// All returns every registered task type sorted by ID.
func (r *Registry) All() []*Info {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Info, 0, len(r.byID))
	for _, in := range r.byID {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Names returns every ID and alias, for did-you-mean suggestions.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.byID)+len(r.byAlias))
	for id := range r.byID {
		out = append(out, id)
	}
	for a := range r.byAlias {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Output returns the declared output named name, if the task declares it.
func (in *Info) Output(name string) (Output, bool) {
	for _, o := range in.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// ShortDoc is the first line of the doc, for listings.
func (in *Info) ShortDoc() string {
	if in.Title != "" {
		return in.Title
	}
	line, _, _ := strings.Cut(in.Doc, "\n")
	return line
}
