package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
)

// problem is one finding of validate -o json|yaml, for an editor or a CI
// annotator.
type problem struct {
	File       string `json:"file" yaml:"file"`
	Line       int    `json:"line,omitempty" yaml:"line,omitempty"`
	Column     int    `json:"column,omitempty" yaml:"column,omitempty"`
	Severity   string `json:"severity" yaml:"severity"` // error or warning
	Task       string `json:"task,omitempty" yaml:"task,omitempty"`
	Property   string `json:"property,omitempty" yaml:"property,omitempty"`
	Message    string `json:"message" yaml:"message"`
	Suggestion string `json:"suggestion,omitempty" yaml:"suggestion,omitempty"`
	Hint       string `json:"hint,omitempty" yaml:"hint,omitempty"`
}

type validatedFlow struct {
	File  string `json:"file" yaml:"file"`
	Valid bool   `json:"valid" yaml:"valid"`
	Flow  string `json:"flow,omitempty" yaml:"flow,omitempty"`
	Tasks int    `json:"tasks,omitempty" yaml:"tasks,omitempty"`
}

type validateReport struct {
	Valid    bool            `json:"valid" yaml:"valid"`
	Flows    []validatedFlow `json:"flows" yaml:"flows"`
	Problems []problem       `json:"problems" yaml:"problems"`
}

func toProblem(path, severity string, e *flows.Error) problem {
	sug := e.Suggestion
	if u, err := strconv.Unquote(sug); err == nil {
		sug = u
	}
	file := e.Pos.File
	if file == "" {
		file = path
	}
	return problem{File: file, Line: e.Pos.Line, Column: e.Pos.Col, Severity: severity, Task: e.TaskID, Property: e.Property,
		Message: e.Msg, Suggestion: sug, Hint: e.Hint}
}

func newValidateCmd(g *globalFlags) *cobra.Command {
	var skipSecrets bool
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "validate FLOW.yml...",
		Short: "Check flows without running them (exit 2 when one is invalid)",
		Long: `Check flows without running them (exit 2 when one is invalid).

With -o json (or yaml) the result is one document on stdout: valid, the flows,
and every problem with file, line, column, severity, task, property, message,
suggestion and hint, for an editor or a CI annotator.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			report := validateReport{Valid: true, Flows: []validatedFlow{}, Problems: []problem{}}
			bad := 0
			for _, path := range args {
				f, err := flows.ParseFile(path)
				if f != nil {
					for _, w := range f.Warnings {
						report.Problems = append(report.Problems, toProblem(path, "warning", w))
						if !out.structured() {
							fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
						}
					}
				}
				if err == nil && !skipSecrets {
					var serrs flows.Errors
					if serrs, err = g.checkSecrets(f); err != nil {
						return err
					}
					if len(serrs) > 0 {
						err = serrs
					}
				}
				vf := validatedFlow{File: path, Valid: err == nil}
				if f != nil {
					vf.Flow, vf.Tasks = f.Namespace+"."+f.ID, countTasks(f)
				}
				report.Flows = append(report.Flows, vf)
				if err != nil {
					bad++
					var errs flows.Errors
					if errors.As(err, &errs) {
						for _, e := range errs {
							report.Problems = append(report.Problems, toProblem(path, "error", e))
							if !out.structured() {
								fmt.Fprintln(cmd.ErrOrStderr(), e)
							}
						}
					} else {
						report.Problems = append(report.Problems, problem{File: path, Severity: "error", Message: err.Error()})
						if !out.structured() {
							fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", path, err)
						}
					}
					continue
				}
				if !out.structured() {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (flow %s.%s, %d tasks)\n", path, f.Namespace, f.ID, vf.Tasks)
				}
			}
			report.Valid = bad == 0
			if out.structured() {
				if err := out.encode(cmd.OutOrStdout(), report); err != nil {
					return err
				}
				if bad > 0 {
					// The document says it all; exit 2 without a message.
					return &exitError{code: exitInvalid, err: errors.New("")}
				}
				return nil
			}
			if bad > 0 {
				return invalid(fmt.Errorf("%d of %d flows invalid", bad, len(args)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipSecrets, "skip-secrets", false, "do not check that every secret('NAME') the flows read is set (for a CI without the production secrets)")
	addOutputFlag(cmd, &out)
	return cmd
}

func countTasks(f *flows.Flow) int {
	n := 0
	f.Walk(func(*plugin.TaskDef, []*plugin.TaskDef) { n++ })
	return n
}
