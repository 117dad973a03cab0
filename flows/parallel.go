package flows

import (
	"context"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Parallel runs its tasks at the same time.
type Parallel struct {
	Tasks      []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks started together."`
	Concurrent int               `yaml:"concurrent" doc:"Most tasks running at once; 0 = all."`
}

func (p *Parallel) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{p.Tasks} }

// Plan makes each task its own group: they start together (up to
// concurrent); after a failure no new one starts.
func (p *Parallel) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	groups := make([]plugin.Group, len(p.Tasks))
	for i, t := range p.Tasks {
		groups[i] = plugin.Group{Tasks: []*plugin.TaskDef{t}}
	}
	return &plugin.Plan{Groups: groups, Concurrent: p.Concurrent}, nil
}

func init() {
	registerFlowable("core.Parallel", "Run tasks in parallel.",
		[]string{"io.kestra.core.tasks.flows.Parallel"}, []plugin.Output{}, func() any { return &Parallel{} })
}
