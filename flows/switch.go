package flows

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Switch runs the tasks of the case matching its value.
type Switch struct {
	Value    string                       `yaml:"value" required:"true" doc:"Rendered and compared with the case keys."`
	Cases    map[string][]*plugin.TaskDef `yaml:"cases" doc:"Tasks per value."`
	Defaults []*plugin.TaskDef            `yaml:"defaults" doc:"Tasks run when no case matches."`
}

// ChildTasks yields the cases in key order, then defaults.
func (s *Switch) ChildTasks() [][]*plugin.TaskDef {
	var out [][]*plugin.TaskDef
	for _, k := range keys(s.Cases) {
		out = append(out, s.Cases[k])
	}
	return append(out, s.Defaults)
}

func (s *Switch) Plan(_ context.Context, rc *plugin.RunContext) (*plugin.Plan, error) {
	tasks, ok := s.Cases[s.Value]
	if !ok {
		tasks = s.Defaults
		cases := make([]string, 0, len(s.Cases))
		for k := range s.Cases {
			cases = append(cases, k)
		}
		sort.Strings(cases)
		if len(s.Defaults) == 0 {
			// Kestra fails such a Switch (switch-impossible): nothing
			// was meant to happen for this value.
			return nil, fmt.Errorf("no case matches value %q (cases: %s) and there are no defaults", s.Value, strings.Join(cases, ", "))
		}
		rc.Logger().Info("no case matched, running defaults", "value", s.Value, "cases", strings.Join(cases, ","))
	}
	p := sequentialPlan(tasks)
	p.Outputs = plugin.Outputs{"value": s.Value, "defaults": !ok}
	return p, nil
}

func init() {
	registerFlowable("core.Switch", "Run the tasks of the case matching a value.",
		[]string{"io.kestra.core.tasks.flows.Switch"},
		[]plugin.Output{{Name: "value", Doc: "The rendered value."}, {Name: "defaults", Doc: "True when no case matched."}},
		func() any { return &Switch{} })
}
