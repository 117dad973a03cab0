package flows

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sluicehq/sluice/flows/plugin"
)

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

func (e *EachSequential) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{e.Tasks} }
func (e *EachParallel) ChildTasks() [][]*plugin.TaskDef   { return [][]*plugin.TaskDef{e.Tasks} }

func (*EachSequential) iterates() {}
func (*EachParallel) iterates()   {}

func (e *EachSequential) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	return eachPlan(e.Value, e.Tasks, 1)
}

func (e *EachParallel) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	return eachPlan(e.Value, e.Tasks, e.Concurrent)
}

// eachPlan makes one group per distinct value (as Kestra, duplicates run
// once: outputs are keyed by value); a null value is an error.
func eachPlan(value any, tasks []*plugin.TaskDef, concurrent int) (*plugin.Plan, error) {
	items, err := listValues(value)
	if err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	nulls := 0
	for _, it := range items {
		if it == nil {
			nulls++
		}
	}
	if nulls > 0 {
		b, _ := json.Marshal(items)
		//lint:ignore ST1005 Kestra's message, which flows and tests match
		return nil, fmt.Errorf("Found '%d' null values on Each, with values=%s", nulls, b)
	}
	seen := make(map[string]bool, len(items))
	groups := make([]plugin.Group, 0, len(items))
	for _, it := range items {
		v := valueString(it)
		if seen[v] {
			continue
		}
		seen[v] = true
		groups = append(groups, plugin.Group{Value: v, Tasks: tasks})
	}
	return &plugin.Plan{Groups: groups, Concurrent: concurrent}, nil
}

func init() {
	registerFlowable("core.EachSequential", "Run tasks for each value of a list, in order.",
		[]string{"io.kestra.core.tasks.flows.EachSequential"}, []plugin.Output{}, func() any { return &EachSequential{} })
	registerFlowable("core.EachParallel", "Run tasks for each value of a list, in parallel.",
		[]string{"io.kestra.core.tasks.flows.EachParallel"}, []plugin.Output{}, func() any { return &EachParallel{} })
}
