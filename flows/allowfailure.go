package flows

import (
	"context"

	"github.com/sluicehq/sluice/flows/plugin"
)

// AllowFailure runs its tasks; their failure makes it WARNING, not FAILED.
type AllowFailure struct {
	Tasks []*plugin.TaskDef `yaml:"tasks" required:"true" doc:"Tasks whose failure does not fail the flow."`
}

func (a *AllowFailure) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{a.Tasks} }

func (a *AllowFailure) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	p := sequentialPlan(a.Tasks)
	p.AllowFailure = true
	return p, nil
}

func init() {
	registerFlowable("core.AllowFailure", "Run tasks whose failure only makes the flow end in WARNING.",
		[]string{"io.kestra.core.tasks.flows.AllowFailure"}, []plugin.Output{}, func() any { return &AllowFailure{} })
}
