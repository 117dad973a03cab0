package flows

import (
	"context"
	"fmt"
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
