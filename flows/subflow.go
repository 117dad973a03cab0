package flows

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
)

// Subflow runs another flow as a child execution (Kestra's flows.Flow).
type Subflow struct {
	Namespace      string         `yaml:"namespace" required:"true" doc:"Namespace of the flow to run."`
	FlowID         string         `yaml:"flowId" required:"true" doc:"Id of the flow to run."`
	Inputs         map[string]any `yaml:"inputs" doc:"Inputs of the child execution (templates allowed)."`
	Wait           bool           `yaml:"wait" default:"true" doc:"Wait for the child execution to end; false ends this task as soon as the child is created."`
	TransmitFailed bool           `yaml:"transmitFailed" default:"true" doc:"Fail this task when the child execution fails."`
	Revision       int            `yaml:"revision" doc:"Accepted for compatibility; sluice runs the flow file as it is."`
	Outputs        map[string]any `yaml:"outputs" template:"false" doc:"Outputs extracted from the ended child execution (Kestra's): name → template rendered against the child's outputs, inputs and variables, read as {{ outputs.ID.outputs.NAME }} instead of the child's outputs by task id. A template that fails to render fails this task."`
}

// extractOutputs renders the outputs property against the ended child
// execution, as Kestra's Flow task does.
func (s *Subflow) extractOutputs(child *run) (map[string]any, error) {
	vars := make(map[string]any, len(child.base)+1)
	for k, v := range child.base {
		vars[k] = v
	}
	vars["execution"] = map[string]any{"id": child.ex.ID, "startDate": child.ex.Start, "state": string(child.ex.State)}
	out := make(map[string]any, len(s.Outputs))
	for _, k := range keys(s.Outputs) {
		v := reflect.New(reflect.TypeOf((*any)(nil)).Elem()).Elem()
		v.Set(reflect.ValueOf(copyValue(s.Outputs[k])))
		if err := child.renderValue(context.Background(), v, vars); err != nil {
			return nil, fmt.Errorf("outputs.%s: %w", k, err)
		}
		out[k] = v.Interface()
	}
	return out, nil
}

// copyValue deep-copies the lists and maps of a decoded YAML value, so
// that rendering never changes the declaration.
func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = copyValue(e)
		}
		return l
	}
	return v
}

func init() {
	plugin.Register(plugin.Info{
		ID: "core.Subflow", Aliases: []string{"io.kestra.core.tasks.flows.Flow", "io.kestra.plugin.core.flow.Subflow"},
		Title: "Run another flow as a child execution.",
		Doc: "The child flow is looked up by namespace and id among the flow files of the flow " +
			"directory (the running flow's folder and its subfolders, or `--flows DIR`).",
		New:      func() any { return &Subflow{Wait: true, TransmitFailed: true} },
		Flowable: true,
		Outputs: []plugin.Output{
			{Name: "executionId", Doc: "Id of the child execution."},
			{Name: "state", Doc: "Its final state."},
			{Name: "outputs", Doc: "Outputs of its tasks, by task id.", Dynamic: true},
		},
	})
}

// ChildTasks: a subflow holds no tasks of this flow.
func (s *Subflow) ChildTasks() [][]*plugin.TaskDef { return nil }

// Plan runs the child flow as a child execution (ParentID: this one); the
// task run ends with it, outputs executionId, state and outputs.
func (s *Subflow) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	return &plugin.Plan{Execution: &plugin.ChildExecution{
		Namespace: s.Namespace, FlowID: s.FlowID, Inputs: s.Inputs, Wait: s.Wait, TransmitFailed: s.TransmitFailed,
	}}, nil
}

// FlowLoader finds flows by namespace and id.
type FlowLoader interface {
	Load(namespace, id string) (*Flow, error)
}

// DirLoader finds flows among the *.yml and *.yaml files under dir.
func DirLoader(dir string) FlowLoader { return &dirLoader{dir: dir} }

type dirLoader struct {
	dir   string
	once  sync.Once
	index map[string]string
	err   error
}

func (l *dirLoader) Load(namespace, id string) (*Flow, error) {
	l.once.Do(l.scan)
	if l.err != nil {
		return nil, l.err
	}
	path, ok := l.index[namespace+"/"+id]
	if !ok {
		return nil, fmt.Errorf("flow %s.%s not found among the flow files under %s", namespace, id, l.dir)
	}
	return ParseFile(path)
}

func (l *dirLoader) scan() {
	l.index = map[string]string{}
	l.err = walkFlowFiles(l.dir, func(p string, b []byte) {
		var head struct {
			ID        string `yaml:"id"`
			Namespace string `yaml:"namespace"`
		}
		if yaml.Unmarshal(b, &head) == nil && head.ID != "" {
			key := head.Namespace + "/" + head.ID
			if _, dup := l.index[key]; !dup {
				l.index[key] = p
			}
		}
	})
}
