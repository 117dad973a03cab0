package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/progress"
)

type runFlags struct {
	inputs []string
	vars   []string
}

// exitStateLost is the exit code when the state database stopped taking
// writes during a run: the execution was failed at the first lost write
// (or, if even that could not be written, is killed as an orphan by the
// next command that looks at it).
const exitStateLost = 4

// flowsDir is --flows: where core.Subflow looks for flows.
var flowsDir string

func newRunCmd(g *globalFlags) *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run FLOW.yml",
		Short: "Run a flow and wait for its end (exit 1 when it fails)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			f, err := parseFlow(cmd, args[0])
			if err != nil {
				return err
			}
			if err := g.requireSecrets(cmd, f); err != nil {
				return err
			}
			inputs, err := parseKV("input", rf.inputs)
			if err != nil {
				return err
			}
			if err := inputsFromFiles(f, inputs); err != nil {
				return err
			}
			vars, err := parseKV("var", rf.vars)
			if err != nil {
				return err
			}
			return runEngine(cmd, g, vars, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				return eng.Run(ctx, f, inputs)
			})
		},
	}
	cmd.Flags().StringArrayVarP(&rf.inputs, "input", "i", nil, "flow input as name=value, or name=@path to read the value from a file (repeatable; FILE inputs take a path)")
	cmd.Flags().StringArrayVar(&rf.vars, "var", nil, "variable as name=value, read as {{ vars.name }} (repeatable)")
	cmd.Flags().StringVar(&flowsDir, "flows", "", "folder of flow files where subflows are looked up (default: the flow's folder)")
	return cmd
}

func newRestartCmd(g *globalFlags, name string) *cobra.Command {
	var flowFile string
	short := "Run a failed execution again from its failed task, reusing the outputs of the tasks that succeeded"
	if name == "resume" {
		short = "Continue a paused execution (same as restart)"
	}
	cmd := &cobra.Command{
		Use:   name + " EXECUTION_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			var f *flows.Flow
			if flowFile != "" {
				var err error
				if f, err = parseFlow(cmd, flowFile); err != nil {
					return err
				}
			}
			return runEngine(cmd, g, nil, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				ex, err := eng.Restart(ctx, args[0], f)
				if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrAmbiguous) {
					return nil, invalid(err)
				}
				return ex, err
			})
		},
	}
	cmd.Flags().StringVar(&flowFile, "flow", "", "use this (corrected) flow file instead of the one stored with the execution")
	return cmd
}

func parseFlow(cmd *cobra.Command, path string) (*flows.Flow, error) {
	f, err := flows.ParseFile(path)
	if f != nil {
		for _, w := range f.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
		}
	}
	if err != nil {
		var errs flows.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), e)
			}
			return nil, invalid(fmt.Errorf("%s is invalid (%d problems)", path, len(errs)))
		}
		return nil, invalid(err)
	}
	return f, nil
}

func runEngine(cmd *cobra.Command, g *globalFlags, vars map[string]any, start func(context.Context, *flows.Engine) (*state.Execution, error)) error {
	store, err := g.openStore()
	if err != nil {
		return err
	}
	repo, err := g.openRepo()
	if err != nil {
		return err
	}
	defer repo.Close()
	errOut := cmd.ErrOrStderr()
	logger := g.logger(errOut)
	var hub *progress.Hub
	if !g.json() && isTerminal(errOut) {
		hub = progress.NewHub(errOut, nil, 0)
		if th := textHandlerOf(logger); th != nil {
			th.before = hub.Clear
		}
	} else {
		hub = progress.NewHub(nil, logger, 10*time.Second)
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	res, err := g.resolver()
	if err != nil {
		return err
	}
	lvl, _ := g.level()
	eng := &flows.Engine{
		Secrets: res, Masker: g.masker,
		Repo: repo, Store: store, Logger: logger, LogLevel: lvl,
		Globals: cfg.Globals, DefaultVars: cfg.Vars, Vars: vars, Envs: flows.EnvsFromEnviron(), Progress: hub,
	}
	if flowsDir != "" {
		eng.Flows = flows.DirLoader(flowsDir)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ex, err := start(ctx, eng)
	hub.Close()
	if err != nil {
		var ie *flows.InputError
		if errors.As(err, &ie) {
			return invalid(err)
		}
		var we *state.WriteError
		if errors.As(err, &we) {
			return &exitError{code: exitStateLost, err: err}
		}
		return err
	}
	if g.json() {
		if err := printExecutionJSON(cmd.OutOrStdout(), ex); err != nil {
			return err
		}
	} else {
		printExecution(cmd.OutOrStdout(), ex)
	}
	switch ex.State {
	case state.Failed, state.Killed:
		return &exitError{code: exitFailed, err: fmt.Errorf("execution %s %s", ex.ID, ex.State)}
	}
	return nil
}

// printExecution prints the execution id and one aligned line per task run.
func printExecution(w io.Writer, ex *state.Execution) {
	fmt.Fprintf(w, "execution %s  %s.%s  %s  %s\n", ex.ID, ex.Namespace, ex.FlowID, ex.State, dur(ex.Start, ex.End))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tVALUE\tSTATE\tDURATION\tOUTPUTS")
	var failed []*state.TaskRun
	for _, n := range treeOrder(ex.TaskRuns) {
		tr, d := n.tr, n.depth
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", d), tr.TaskID, tr.Value, tr.State, dur(tr.Start, tr.End), summarize(tr.Outputs, 100))
		// A flowable's own error only says a child failed; the child's
		// error is the one to read.
		if tr.Error != "" && tr.Error != "a child task failed" && (tr.State == state.Failed || tr.State == state.Killed) {
			failed = append(failed, tr)
		}
	}
	tw.Flush()
	// Errors go below the table: a long message in a column would push
	// every other column off the screen.
	for _, tr := range failed {
		name := tr.TaskID
		if tr.Value != "" {
			name += "[" + tr.Value + "]"
		}
		fmt.Fprintf(w, "error in %s: %s\n", name, tr.Error)
	}
	switch ex.State {
	case state.Failed, state.Killed:
		fmt.Fprintf(w, "restart from the failed task with: sluice restart %s\n", ex.ID)
	case state.Paused:
		fmt.Fprintf(w, "paused; continue with: sluice resume %s\n", ex.ID)
	}
}

type treeNode struct {
	tr    *state.TaskRun
	depth int
}

// treeOrder lists task runs depth first, children under their flowable
// parent in the order they started, so parallel branches do not interleave.
func treeOrder(trs []*state.TaskRun) []treeNode {
	known := map[string]bool{}
	for _, tr := range trs {
		known[tr.ID] = true
	}
	children := map[string][]*state.TaskRun{}
	var roots []*state.TaskRun
	for _, tr := range trs {
		if tr.ParentID != "" && known[tr.ParentID] {
			children[tr.ParentID] = append(children[tr.ParentID], tr)
		} else {
			roots = append(roots, tr)
		}
	}
	var out []treeNode
	var walk func(list []*state.TaskRun, depth int)
	walk = func(list []*state.TaskRun, depth int) {
		for _, tr := range list {
			out = append(out, treeNode{tr, depth})
			walk(children[tr.ID], depth+1)
		}
	}
	walk(roots, 0)
	return out
}

func dur(a, b time.Time) string {
	if a.IsZero() {
		return "-"
	}
	if b.IsZero() {
		b = time.Now()
	}
	d := b.Sub(a)
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// summarize renders outputs as key=value pairs, cut to n characters.
func summarize(out map[string]any, n int) string {
	if len(out) == 0 {
		return ""
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := out[k]
		var s string
		switch t := v.(type) {
		case string:
			s = t
		default:
			b, _ := json.Marshal(t)
			s = string(b)
		}
		parts = append(parts, k+"="+s)
	}
	s := strings.Join(parts, " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

type jsonTaskRun struct {
	ID       string         `json:"id"`
	TaskID   string         `json:"taskId"`
	ParentID string         `json:"parentTaskRunId,omitempty"`
	Value    string         `json:"value,omitempty"`
	State    string         `json:"state"`
	Start    *time.Time     `json:"startDate,omitempty"`
	End      *time.Time     `json:"endDate,omitempty"`
	Attempts int            `json:"attempts"`
	Outputs  map[string]any `json:"outputs,omitempty"`
	Error    string         `json:"error,omitempty"`
}

type jsonExecution struct {
	ID        string            `json:"id"`
	Namespace string            `json:"namespace"`
	FlowID    string            `json:"flowId"`
	State     string            `json:"state"`
	Start     *time.Time        `json:"startDate,omitempty"`
	End       *time.Time        `json:"endDate,omitempty"`
	Inputs    map[string]any    `json:"inputs,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Restarts  int               `json:"restarts"`
	TaskRuns  []jsonTaskRun     `json:"taskRuns"`
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toJSON(ex *state.Execution) jsonExecution {
	je := jsonExecution{ID: ex.ID, Namespace: ex.Namespace, FlowID: ex.FlowID, State: string(ex.State),
		Start: tptr(ex.Start), End: tptr(ex.End), Inputs: ex.Inputs, Labels: ex.Labels, Restarts: ex.RestartCount,
		TaskRuns: []jsonTaskRun{}}
	for _, tr := range ex.TaskRuns {
		je.TaskRuns = append(je.TaskRuns, jsonTaskRun{ID: tr.ID, TaskID: tr.TaskID, ParentID: tr.ParentID, Value: tr.Value,
			State: string(tr.State), Start: tptr(tr.Start), End: tptr(tr.End), Attempts: len(tr.Attempts), Outputs: tr.Outputs, Error: tr.Error})
	}
	return je
}

func printExecutionJSON(w io.Writer, ex *state.Execution) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(ex))
}
