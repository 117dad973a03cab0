package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
)

// findTaskRun resolves what a user names a task run by: its id, or a task
// id (with --value inside Each; the last run of that task otherwise).
func findTaskRun(ex *state.Execution, ref, value string) (*state.TaskRun, error) {
	var found *state.TaskRun
	for _, tr := range ex.TaskRuns {
		if tr.ID == ref {
			return tr, nil
		}
		if tr.TaskID == ref && (value == "" || tr.Value == value) {
			found = tr
		}
	}
	if found == nil {
		var ids []string
		seen := map[string]bool{}
		for _, tr := range ex.TaskRuns {
			if !seen[tr.TaskID] {
				seen[tr.TaskID] = true
				ids = append(ids, tr.TaskID)
			}
		}
		what := fmt.Sprintf("task %q", ref)
		if value != "" {
			what += fmt.Sprintf(" with value %q", value)
		}
		return nil, fmt.Errorf("execution %s has no task run %s (tasks that ran: %s)", ex.ID, what, strings.Join(ids, ", "))
	}
	return found, nil
}

// storedTaskRun reads an execution (by id or unique prefix) and finds one
// of its task runs by id, or by task id and iteration value: what replay
// and mark act on.
func storedTaskRun(ctx context.Context, eng *flows.Engine, executionID, task, value string) (*state.Execution, *state.TaskRun, error) {
	ex, err := eng.Repo.GetExecution(ctx, executionID)
	if err != nil {
		return nil, nil, cliError(err)
	}
	tr, err := findTaskRun(ex, task, value)
	if err != nil {
		return nil, nil, invalid(err)
	}
	return ex, tr, nil
}

// optionalFlow parses --flow FILE when it is given; nil means "the flow
// stored with the execution".
func optionalFlow(cmd *cobra.Command, flowFile string) (*flows.Flow, error) {
	if flowFile == "" {
		return nil, nil
	}
	return parseFlow(cmd, flowFile)
}

func newReplayCmd(g *globalFlags) *cobra.Command {
	var flowFile, value string
	cmd := &cobra.Command{
		Use:   "replay EXECUTION_ID TASK",
		Short: "Run an ended execution again from one task run, as a new execution (TASK: a task run id, or a task id with --value inside Each)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			f, err := optionalFlow(cmd, flowFile)
			if err != nil {
				return err
			}
			return runEngine(cmd, g, outTable, nil, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				ex, tr, err := storedTaskRun(ctx, eng, args[0], args[1], value)
				if err != nil {
					return nil, err
				}
				return eng.Replay(ctx, ex.ID, tr.ID, f)
			})
		},
	}
	cmd.Flags().StringVar(&flowFile, "flow", "", "use this flow file instead of the one stored with the execution")
	cmd.Flags().StringVar(&value, "value", "", "the iteration value of the task run inside an Each")
	return cmd
}

func newMarkCmd(g *globalFlags) *cobra.Command {
	var value string
	cmd := &cobra.Command{
		Use:   "mark EXECUTION_ID TASK STATE",
		Short: "Set a task run of an ended execution to SUCCESS, WARNING, FAILED or KILLED and let the execution go on from there",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			st := state.State(strings.ToUpper(args[2]))
			if !st.Terminated() {
				return invalid(fmt.Errorf("state %q: want SUCCESS, WARNING, FAILED or KILLED", args[2]))
			}
			return runEngine(cmd, g, outTable, nil, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				ex, tr, err := storedTaskRun(ctx, eng, args[0], args[1], value)
				if err != nil {
					return nil, err
				}
				return eng.MarkAs(ctx, ex.ID, tr.ID, st)
			})
		},
	}
	cmd.Flags().StringVar(&value, "value", "", "the iteration value of the task run inside an Each")
	return cmd
}

// storedExecution opens the state database and finds the execution id
// names (a wrong id is a usage error); the caller closes the repository.
func (g *globalFlags) storedExecution(ctx context.Context, id string) (state.Repository, *state.Execution, error) {
	if err := g.validate(); err != nil {
		return nil, nil, err
	}
	repo, err := g.openRepo()
	if err != nil {
		return nil, nil, err
	}
	ex, err := repo.GetExecution(ctx, id)
	if err != nil {
		repo.Close()
		return nil, nil, cliError(err)
	}
	return repo, ex, nil
}

// cliError marks a wrong execution id as a usage error.
func cliError(err error) error {
	if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrAmbiguous) {
		return invalid(err)
	}
	return err
}
