package plugin

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// lifecycleTask records the calls Execute makes.
type lifecycleTask struct {
	calls                []string
	provisionErr, runErr error
	cleanupErr           error
}

func (l *lifecycleTask) Provision(context.Context, *RunContext) error {
	l.calls = append(l.calls, "provision")
	return l.provisionErr
}

func (l *lifecycleTask) Run(context.Context, *RunContext) (Outputs, error) {
	l.calls = append(l.calls, "run")
	return Outputs{"ok": true}, l.runErr
}

func (l *lifecycleTask) Cleanup() error {
	l.calls = append(l.calls, "cleanup")
	return l.cleanupErr
}

type runOnly struct{ ran bool }

func (r *runOnly) Run(context.Context, *RunContext) (Outputs, error) {
	r.ran = true
	return nil, nil
}

func TestExecuteLifecycle(t *testing.T) {
	boom, late := errors.New("boom"), errors.New("late")
	for _, tc := range []struct {
		name                 string
		provErr, runErr, cln error
		calls                string
		err                  string
	}{
		{name: "all succeed", calls: "provision,run,cleanup"},
		{name: "provision fails: no run, still cleaned up", provErr: boom, calls: "provision,cleanup", err: "provision: boom"},
		{name: "run fails: its error wins over cleanup's", runErr: boom, cln: late, calls: "provision,run,cleanup", err: "boom"},
		{name: "cleanup fails after a good run", cln: late, calls: "provision,run,cleanup", err: "cleanup: late"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task := &lifecycleTask{provisionErr: tc.provErr, runErr: tc.runErr, cleanupErr: tc.cln}
			rc := NewRunContext(RunConfig{TaskID: "t"})
			out, err := Execute(context.Background(), task, rc)
			if got := strings.Join(task.calls, ","); got != tc.calls {
				t.Errorf("calls %s, want %s", got, tc.calls)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err != "" && (err == nil || err.Error() != tc.err):
				t.Errorf("error %v, want %s", err, tc.err)
			}
			if tc.provErr == nil && out["ok"] != true {
				t.Errorf("outputs %v", out)
			}
		})
	}
	r := &runOnly{}
	if _, err := Execute(context.Background(), r, NewRunContext(RunConfig{TaskID: "t"})); err != nil || !r.ran {
		t.Errorf("a task without life-cycle methods: ran=%v err=%v", r.ran, err)
	}
}

func TestRegistryValue(t *testing.T) {
	base := NewRegistry()
	base.Register(Info{ID: "a.Task", Aliases: []string{"io.x.a.Task"}, New: func() any { return &runOnly{} }})
	own := base.Clone()
	own.Register(Info{ID: "test.Only", New: func() any { return &runOnly{} }})
	if _, ok := own.Lookup("io.x.a.Task"); !ok {
		t.Error("clone lost the base's alias")
	}
	if _, ok := base.Lookup("test.Only"); ok {
		t.Error("registering on a clone changed the base")
	}
	if got := strings.Join(own.Names(), ","); got != "a.Task,io.x.a.Task,test.Only" {
		t.Errorf("names %s", got)
	}
	if len(base.All()) != 1 || len(own.All()) != 2 {
		t.Errorf("all: %d %d", len(base.All()), len(own.All()))
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate alias accepted")
		}
	}()
	own.Register(Info{ID: "io.x.a.Task", New: func() any { return &runOnly{} }})
}
