package flows

import "github.com/sluicehq/sluice/flows/plugin"

// The flowable tasks: they hold other tasks and the executor runs them
// itself. They are registered like any task so that decoding, docs and the
// JSON Schema treat them the same way.

// Sequential runs its tasks one after the other.
type Sequential struct {
	Tasks []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks run in order; the first failure stops the rest."`
}

// Parallel runs its tasks at the same time.
type Parallel struct {
	Tasks      []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks started together."`
	Concurrent int               `yaml:"concurrent" doc:"Most tasks running at once; 0 = all."`
}

// EachSequential runs its tasks once per value, one value after the other.
type EachSequential struct {
	Value any               `yaml:"value" required:"true" doc:"A list, or a JSON array in a string (templates allowed): one iteration per item, read as {{ taskrun.value }}."`
	Tasks []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks run for each value."`
}

// EachParallel runs its tasks once per value, values in parallel.
type EachParallel struct {
	Value      any               `yaml:"value" required:"true" doc:"A list, or a JSON array in a string: one iteration per item."`
	Tasks      []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks run for each value (sequentially within one value)."`
	Concurrent int               `yaml:"concurrent" doc:"Most values running at once; 0 = all."`
}

// Switch runs the tasks of the case matching its value.
type Switch struct {
	Value    string                       `yaml:"value" required:"true" doc:"Rendered and compared with the case keys."`
	Cases    map[string][]*plugin.TaskDef `yaml:"cases" doc:"Tasks per value."`
	Defaults []*plugin.TaskDef            `yaml:"defaults" doc:"Tasks run when no case matches."`
}

// AllowFailure runs its tasks; their failure makes it WARNING, not FAILED.
type AllowFailure struct {
	Tasks []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks whose failure does not fail the flow."`
}

func init() {
	reg := func(id, title string, aliases []string, outputs []plugin.Output, newFn func() any) {
		plugin.Register(plugin.Info{ID: id, Aliases: aliases, Title: title, New: newFn, Flowable: true, Outputs: outputs})
	}
	reg("core.Sequential", "Run tasks one after the other.",
		[]string{"io.kestra.core.tasks.flows.Sequential"}, []plugin.Output{}, func() any { return &Sequential{} })
	reg("core.Parallel", "Run tasks in parallel.",
		[]string{"io.kestra.core.tasks.flows.Parallel"}, []plugin.Output{}, func() any { return &Parallel{} })
	reg("core.EachSequential", "Run tasks for each value of a list, in order.",
		[]string{"io.kestra.core.tasks.flows.EachSequential"}, []plugin.Output{}, func() any { return &EachSequential{} })
	reg("core.EachParallel", "Run tasks for each value of a list, in parallel.",
		[]string{"io.kestra.core.tasks.flows.EachParallel"}, []plugin.Output{}, func() any { return &EachParallel{} })
	reg("core.Switch", "Run the tasks of the case matching a value.",
		[]string{"io.kestra.core.tasks.flows.Switch"},
		[]plugin.Output{{Name: "value", Doc: "The rendered value."}, {Name: "defaults", Doc: "True when no case matched."}},
		func() any { return &Switch{} })
	reg("core.AllowFailure", "Run tasks whose failure only makes the flow end in WARNING.",
		[]string{"io.kestra.core.tasks.flows.AllowFailure"}, []plugin.Output{}, func() any { return &AllowFailure{} })
}

// Children returns the child task groups of a flowable task (nil for other
// tasks). Switch yields its cases in key order, then defaults.
func Children(t *plugin.TaskDef) [][]*plugin.TaskDef {
	switch p := t.Props.(type) {
	case *Sequential:
		return [][]*plugin.TaskDef{p.Tasks}
	case *Parallel:
		return [][]*plugin.TaskDef{p.Tasks}
	case *EachSequential:
		return [][]*plugin.TaskDef{p.Tasks}
	case *EachParallel:
		return [][]*plugin.TaskDef{p.Tasks}
	case *AllowFailure:
		return [][]*plugin.TaskDef{p.Tasks}
	case *Switch:
		var out [][]*plugin.TaskDef
		for _, k := range keys(p.Cases) {
			out = append(out, p.Cases[k])
		}
		return append(out, p.Defaults)
	}
	return nil
}

func isEach(t *plugin.TaskDef) bool {
	switch t.Props.(type) {
	case *EachSequential, *EachParallel:
		return true
	}
	return false
}
