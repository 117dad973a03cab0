package flows

import (
	"context"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Sequential runs its tasks one after the other.
type Sequential struct {
	Tasks []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks run in order; the first failure stops the rest."`
}

func (s *Sequential) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{s.Tasks} }

func (s *Sequential) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	return sequentialPlan(s.Tasks), nil
}

func init() {
	registerFlowable("core.Sequential", "Run tasks one after the other.",
		[]string{"io.kestra.core.tasks.flows.Sequential"}, []plugin.Output{}, func() any { return &Sequential{} })
}
