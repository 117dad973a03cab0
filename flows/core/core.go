// Package core holds sluice's built-in tasks: logging, returning values,
// failing, waiting and pausing, and running shell scripts. Kestra 0.4's core
// type names are their aliases.
package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/internal/loglevel"
)

// Log writes a message to the task's log.
type Log struct {
	Message string `yaml:"message" doc:"The message (templates allowed)."`
	Format  string `yaml:"format" doc:"Kestra 0.4's name for message (Echo)."`
	Level   string `yaml:"level" default:"INFO" enum:"TRACE,DEBUG,INFO,WARN,ERROR" doc:"Log level."`
}

// Validate requires one of message and format.
func (l *Log) Validate() error {
	if l.Message == "" && l.Format == "" {
		return errors.New("set message (or format)")
	}
	return nil
}

// Run logs the message.
func (l *Log) Run(ctx context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	msg := l.Message
	if msg == "" {
		msg = l.Format
	}
	lvl := map[string]slog.Level{"TRACE": loglevel.Trace, "DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError}[l.Level]
	rc.Logger().Log(ctx, lvl, msg)
	return nil, nil
}

// Return renders a value and returns it as an output.
type Return struct {
	Format string `yaml:"format" required:"true" doc:"The value to return (templates allowed)."`
}

// Run returns the rendered format as output value.
func (r *Return) Run(context.Context, *plugin.RunContext) (plugin.Outputs, error) {
	return plugin.Outputs{"value": r.Format}, nil
}

// Fail fails the execution with a message.
type Fail struct {
	ErrorMessage string `yaml:"errorMessage" default:"Task failure" doc:"The failure message (templates allowed)."`
	Condition    string `yaml:"condition" doc:"Fail only when this renders to true (empty: always)."`
}

// Run fails unless the condition is false.
func (f *Fail) Run(_ context.Context, rc *plugin.RunContext) (plugin.Outputs, error) {
	if f.Condition != "" {
		switch strings.ToLower(strings.TrimSpace(f.Condition)) {
		case "true", "1", "yes":
		case "false", "0", "no", "":
			rc.Logger().Info("condition is false, not failing")
			return nil, nil
		default:
			return nil, fmt.Errorf("condition rendered to %q: expected true or false", f.Condition)
		}
	}
	return nil, errors.New(f.ErrorMessage)
}

// Sleep waits.
type Sleep struct {
	Duration plugin.Duration `yaml:"duration" required:"true" doc:"How long to wait (PT5S, 5s)."`
}

// Run waits for the duration or until the execution is killed.
func (s *Sleep) Run(ctx context.Context, _ *plugin.RunContext) (plugin.Outputs, error) {
	t := time.NewTimer(s.Duration.D())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, nil
	}
}

// Pause waits for a delay, or without one suspends the execution until
// `sluice resume` (or `restart`) continues it; its tasks run after that, in
// order (Kestra 0.4's Pause is a Sequential that pauses first).
type Pause struct {
	Delay plugin.Duration   `yaml:"delay" doc:"Wait this long and continue (no worker waits); without it the execution pauses until resumed."`
	Tasks []*plugin.TaskDef `yaml:"tasks" doc:"Tasks run in order once the pause is over."`
}

// ChildTasks is the tasks run after the pause.
func (p *Pause) ChildTasks() [][]*plugin.TaskDef { return [][]*plugin.TaskDef{p.Tasks} }

// Plan pauses (or waits the delay), then runs the tasks.
func (p *Pause) Plan(context.Context, *plugin.RunContext) (*plugin.Plan, error) {
	return &plugin.Plan{Groups: []plugin.Group{{Tasks: p.Tasks}}, Concurrent: 1, Pause: p.Delay <= 0, Delay: p.Delay.D()}, nil
}

func init() {
	plugin.Register(plugin.Info{
		ID: "core.Log", Aliases: []string{"io.kestra.core.tasks.debugs.Echo", "io.kestra.core.tasks.log.Log", "io.kestra.plugin.core.log.Log"},
		Title: "Write a message to the log.", New: func() any { return &Log{} }, Outputs: []plugin.Output{},
		Examples: []plugin.Example{{Title: "Log an input", YAML: "id: hello\ntype: core.Log\nmessage: \"Hello {{ inputs.name }}\""}},
	})
	plugin.Register(plugin.Info{
		ID: "core.Return", Aliases: []string{"io.kestra.core.tasks.debugs.Return", "io.kestra.plugin.core.debug.Return"},
		Title: "Render a value and return it as output value.", New: func() any { return &Return{} },
		Outputs: []plugin.Output{{Name: "value", Doc: "The rendered format."}},
	})
	plugin.Register(plugin.Info{
		ID: "core.Fail", Aliases: []string{"io.kestra.core.tasks.executions.Fail", "io.kestra.plugin.core.execution.Fail"},
		Title: "Fail the execution.", New: func() any { return &Fail{} }, Outputs: []plugin.Output{},
	})
	plugin.Register(plugin.Info{
		ID: "core.Sleep", Aliases: []string{"io.kestra.core.tasks.flows.Sleep", "io.kestra.plugin.core.flow.Sleep"},
		Title: "Wait for a duration.", New: func() any { return &Sleep{} }, Outputs: []plugin.Output{},
	})
	plugin.Register(plugin.Info{
		ID: "core.Pause", Aliases: []string{"io.kestra.core.tasks.flows.Pause", "io.kestra.plugin.core.flow.Pause"},
		Title: "Pause the execution for a delay, or until resumed, then run tasks.", New: func() any { return &Pause{} }, Outputs: []plugin.Output{},
		Flowable: true,
	})
}
