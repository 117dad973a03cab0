package flows

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Listener is one entry of a flow's listeners (Kestra 0.4): tasks run after
// an execution of the flow ends, when all its conditions hold. They are
// decoded and validated like the flow's tasks. The executor runs them after
// the flow's tasks (and errors branch), in declaration order, as task runs
// of the same execution; the execution's state is the one its tasks gave,
// whatever the listeners do.
type Listener struct {
	Description string
	Conditions  []*plugin.ConditionDef
	Tasks       []*plugin.TaskDef
	Pos         plugin.Pos
}

var listenerKeys = []string{"description", "conditions", "tasks"}

// listeners decodes the listeners list. As in Kestra, a listener must have
// tasks ("must not be empty"); conditions are optional.
func (d *decoder) listeners(n *yaml.Node) []*Listener {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "", "listeners", "expected a list of listeners, each with conditions and tasks")
		return nil
	}
	var out []*Listener
	for i, item := range n.Content {
		prop := fmt.Sprintf("listeners[%d]", i)
		if item.Kind != yaml.MappingNode {
			d.errorf(item, "", prop, "a listener is a mapping with conditions and tasks")
			continue
		}
		l := &Listener{Pos: d.pos(item)}
		var tasksNode *yaml.Node
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			switch k.Value {
			case "description":
				l.Description = d.str(v, "", prop+".description")
			case "conditions":
				d.into(v, reflect.ValueOf(&l.Conditions).Elem(), "", prop+".conditions")
			case "tasks":
				tasksNode = v
				if v.Kind != yaml.SequenceNode || len(v.Content) > 0 {
					l.Tasks = d.tasks(v, prop+".tasks")
				}
			default:
				d.unknownKey(k, "", "listener", listenerKeys)
			}
		}
		switch {
		case tasksNode == nil:
			d.errorf(item, "", prop+".tasks", "must not be empty: a listener needs tasks")
		case tasksNode.Kind == yaml.SequenceNode && len(tasksNode.Content) == 0:
			d.errorf(tasksNode, "", prop+".tasks", "must not be empty: a listener needs tasks")
		}
		out = append(out, l)
	}
	return out
}
