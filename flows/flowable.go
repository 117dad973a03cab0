package flows

import "github.com/sluicehq/sluice/flows/plugin"

// The flowable tasks hold other tasks; each implements plugin.Flowable in
// its own file (sequential.go, parallel.go, each.go, switch.go,
// allowfailure.go, subflow.go; core.Pause in flows/core). They are
// registered like any task so that decoding, docs and the JSON Schema treat
// them the same way.

func registerFlowable(id, title string, aliases []string, outputs []plugin.Output, newFn func() any) {
	plugin.Register(plugin.Info{ID: id, Aliases: aliases, Title: title, New: newFn, Flowable: true, Outputs: outputs})
}

// Children returns the child task groups of a flowable task (nil for other
// tasks).
func Children(t *plugin.TaskDef) [][]*plugin.TaskDef {
	if f, ok := t.Props.(plugin.Flowable); ok {
		return f.ChildTasks()
	}
	return nil
}

// iterating is implemented by the flowables whose children run once per
// value ({{ taskrun.value }} is defined below them).
type iterating interface{ iterates() }

func isEach(t *plugin.TaskDef) bool {
	_, ok := t.Props.(iterating)
	return ok
}

// sequentialPlan is one group run in order.
func sequentialPlan(tasks []*plugin.TaskDef) *plugin.Plan {
	return &plugin.Plan{Groups: []plugin.Group{{Tasks: tasks}}, Concurrent: 1}
}
