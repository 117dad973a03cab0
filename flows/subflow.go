package flows

import (
	"context"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/state"
)

// Subflow runs another flow as a child execution (Kestra's flows.Flow).
type Subflow struct {
	Namespace      string         `yaml:"namespace" required:"true" doc:"Namespace of the flow to run."`
	FlowID         string         `yaml:"flowId" required:"true" doc:"Id of the flow to run."`
	Inputs         map[string]any `yaml:"inputs" doc:"Inputs of the child execution (templates allowed)."`
	Wait           bool           `yaml:"wait" default:"true" doc:"Wait for the child execution to end (sluice always runs it to its end; false only stops its failure from failing this task)."`
	TransmitFailed bool           `yaml:"transmitFailed" default:"true" doc:"Fail this task when the child execution fails."`
	Revision       int            `yaml:"revision" doc:"Accepted for compatibility; sluice runs the flow file as it is."`
}

func init() {
	plugin.Register(plugin.Info{
		ID: "core.Subflow", Aliases: []string{"io.kestra.core.tasks.flows.Flow", "io.kestra.plugin.core.flow.Subflow"},
		Title: "Run another flow as a child execution.",
		Doc: "The child flow is looked up by namespace and id among the flow files of the flow " +
			"directory (the running flow's folder and its subfolders, or `--flows DIR`).",
		New: func() any { return &Subflow{Wait: true, TransmitFailed: true} },
		Outputs: []plugin.Output{
			{Name: "executionId", Doc: "Id of the child execution."},
			{Name: "state", Doc: "Its final state."},
			{Name: "outputs", Doc: "Outputs of its tasks, by task id.", Dynamic: true},
		},
	})
}

// Run is not called: the engine runs subflows itself (it needs the engine).
func (s *Subflow) Run(context.Context, *plugin.RunContext) (plugin.Outputs, error) {
	return nil, fmt.Errorf("core.Subflow runs only inside the sluice engine")
}

func (x *execution) runSubflow(ctx context.Context, s *Subflow, tr *state.TaskRun) (plugin.Outputs, error) {
	if x.depth >= 10 {
		return nil, fmt.Errorf("subflows nested more than 10 deep (a flow calling itself?)")
	}
	loader := x.eng.Flows
	if loader == nil {
		loader = DirLoader(x.flow.Dir())
	}
	child, err := loader.Load(s.Namespace, s.FlowID)
	if err != nil {
		return nil, err
	}
	e := x.eng
	sub := &Engine{
		Repo: e.Repo, Store: e.Store, Logger: e.Logger, LogLevel: e.LogLevel,
		Globals: e.Globals, DefaultVars: e.DefaultVars, Vars: e.Vars, Envs: e.Envs,
		Progress: e.Progress, Flows: loader,
		depth: x.depth + 1, parentExecution: x.ex.ID,
	}
	ex, err := sub.Run(ctx, child, s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("subflow %s.%s: %w", s.Namespace, s.FlowID, err)
	}
	outs := map[string]any{}
	for _, ctr := range ex.TaskRuns {
		if ctr.Outputs != nil && ctr.Value == "" {
			outs[ctr.TaskID] = ctr.Outputs
		}
	}
	res := plugin.Outputs{"executionId": ex.ID, "state": string(ex.State), "outputs": outs}
	x.log(tr).Info("subflow ended", "execution", ex.ID, "state", string(ex.State))
	if (ex.State == state.Failed || ex.State == state.Killed) && s.TransmitFailed {
		return res, fmt.Errorf("subflow %s.%s execution %s ended %s", s.Namespace, s.FlowID, ex.ID, ex.State)
	}
	return res, nil
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
