package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/storage"
)

type runFlags struct {
	inputs []string
	vars   []string
	out    outputFormat
}

// exitInterrupted is the exit code after Ctrl-C (or SIGTERM), as a shell's
// 128 + SIGINT: the execution was killed.
const exitInterrupted = 130

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
			return runEngine(cmd, g, rf.out, vars, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				return eng.Run(ctx, f, inputs)
			})
		},
	}
	cmd.Flags().StringArrayVarP(&rf.inputs, "input", "i", nil, "flow input as name=value, or name=@path to read the value from a file (repeatable; FILE inputs take a path)")
	cmd.Flags().StringArrayVar(&rf.vars, "var", nil, "variable as name=value, read as {{ vars.name }} (repeatable)")
	cmd.Flags().StringVar(&flowsDir, "flows", "", "folder of flow files where subflows are looked up (default: the flow's folder)")
	addOutputFlag(cmd, &rf.out)
	return cmd
}

func newRestartCmd(g *globalFlags, name string) *cobra.Command {
	var flowFile string
	var out outputFormat
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
			f, err := optionalFlow(cmd, flowFile)
			if err != nil {
				return err
			}
			return runEngine(cmd, g, out, nil, func(ctx context.Context, eng *flows.Engine) (*state.Execution, error) {
				ex, err := eng.Restart(ctx, args[0], f)
				return ex, cliError(err) // runEngine reads ex only without an error
			})
		},
	}
	cmd.Flags().StringVar(&flowFile, "flow", "", "use this (corrected) flow file instead of the one stored with the execution")
	addOutputFlag(cmd, &out)
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

// newEngine is the engine run and server share: the config's globals and
// variables, the secret resolver and masker, the log level and the
// environment; each sets what is its own (workers, vars, a flow loader).
func (g *globalFlags) newEngine(repo state.Repository, store storage.Store, logger *slog.Logger, hub *progress.Hub) (*flows.Engine, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	res, err := g.resolver()
	if err != nil {
		return nil, err
	}
	lvl, _ := g.level()
	return &flows.Engine{
		Secrets: res, Masker: g.masker,
		Repo: repo, Store: store, Logger: logger, LogLevel: lvl,
		Globals: cfg.Globals, DefaultVars: cfg.Vars, Envs: flows.EnvsFromEnviron(), Progress: hub,
	}, nil
}

func runEngine(cmd *cobra.Command, g *globalFlags, out outputFormat, vars map[string]any, start func(context.Context, *flows.Engine) (*state.Execution, error)) error {
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
	if g.quiet {
		hub = progress.NewHub(nil, nil, 0)
	} else if !g.json() && isTerminal(errOut) {
		hub = progress.NewHub(errOut, nil, 0)
		if th := textHandlerOf(logger); th != nil {
			th.before = hub.Clear
		}
	} else {
		hub = progress.NewHub(nil, logger, 10*time.Second)
	}
	eng, err := g.newEngine(repo, store, logger, hub)
	if err != nil {
		return err
	}
	eng.Vars = vars
	if flowsDir != "" {
		eng.Flows = flows.DirLoader(flowsDir)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ex, err := start(ctx, eng)
	interrupted := ctx.Err() != nil && cmd.Context().Err() == nil
	hub.Close()
	if err != nil && interrupted {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: %w", err)}
	}
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
	if err := printResult(cmd.OutOrStdout(), g, out, ex); err != nil {
		return err
	}
	switch {
	case interrupted:
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: execution %s %s", ex.ID, ex.State)}
	case ex.State == state.Failed || ex.State == state.Killed:
		return &exitError{code: exitFailed, err: fmt.Errorf("execution %s %s", ex.ID, ex.State)}
	}
	return nil
}

// printResult prints an execution as -o asks: the table (cut to the
// terminal's width; never cut when piped or with -o wide), or one JSON or
// YAML document (also with --log-format json and no -o, as before -o).
func printResult(w io.Writer, g *globalFlags, out outputFormat, ex *state.Execution) error {
	switch {
	case out.structured():
		return out.encode(w, toJSON(ex))
	case g.json() && out == outTable:
		return printExecutionJSON(w, ex)
	}
	width := -1
	if out != outWide {
		width = terminalWidth(w)
	}
	printExecution(w, ex, width)
	return nil
}

// terminalWidth is the width of w when it is a terminal, else -1 (no
// limit: a pipe or a file gets every character).
func terminalWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return -1
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return -1
	}
	return cols
}

// printExecution prints the execution id and one aligned line per task
// run, each line at most width characters (-1: no limit): only the
// outputs column is cut.
func printExecution(w io.Writer, ex *state.Execution, width int) {
	fmt.Fprintf(w, "execution %s  %s.%s  %s  %s\n", ex.ID, ex.Namespace, ex.FlowID, ex.State, dur(ex.Start, ex.End))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tVALUE\tSTATE\tDURATION\tOUTPUTS")
	var failed []*state.TaskRun
	nodes := treeOrder(ex.TaskRuns)
	outWidth := -1
	if width > 0 {
		// The other columns are as wide as their widest cell plus the
		// padding; what is left of the line is for the outputs.
		cols := []int{len("TASK"), len("VALUE"), len("STATE"), len("DURATION")}
		for _, n := range nodes {
			for i, c := range []string{strings.Repeat("  ", n.depth) + n.tr.TaskID, n.tr.Value, string(n.tr.State), dur(n.tr.Start, n.tr.End)} {
				cols[i] = max(cols[i], utf8.RuneCountInString(c))
			}
		}
		used := 0
		for _, c := range cols {
			used += c + 2
		}
		outWidth = max(width-used-1, 20)
	}
	for _, n := range nodes {
		tr, d := n.tr, n.depth
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", d), tr.TaskID, tr.Value, tr.State, dur(tr.Start, tr.End), summarize(tr.Outputs, outWidth))
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
		// Both ways on: a transient failure needs only the restart; a
		// mistake in the flow needs the fixed file, and the tasks whose
		// definition changed run again.
		fmt.Fprintf(w, "restart from the failed task:  sluice restart %s\n", ex.ID)
		flowFile := ex.FlowFile
		if flowFile == "" {
			flowFile = "FIXED.yml"
		}
		fmt.Fprintf(w, "after fixing the flow:         sluice restart %s --flow %s\n", ex.ID, flowFile)
		fmt.Fprintf(w, "or run again from one task:    sluice replay %s TASK_ID\n", ex.ID)
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

// summarize renders outputs as key=value pairs, cut to n characters (n < 0:
// not cut).
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
	if r := []rune(s); n > 0 && len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

type jsonTaskRun struct {
	ID       string         `json:"id" yaml:"id"`
	TaskID   string         `json:"taskId" yaml:"taskId"`
	ParentID string         `json:"parentTaskRunId,omitempty" yaml:"parentTaskRunId,omitempty"`
	Value    string         `json:"value,omitempty" yaml:"value,omitempty"`
	State    string         `json:"state" yaml:"state"`
	Start    *time.Time     `json:"startDate,omitempty" yaml:"startDate,omitempty"`
	End      *time.Time     `json:"endDate,omitempty" yaml:"endDate,omitempty"`
	Attempts int            `json:"attempts" yaml:"attempts"`
	Outputs  map[string]any `json:"outputs,omitempty" yaml:"outputs,omitempty"`
	Error    string         `json:"error,omitempty" yaml:"error,omitempty"`
}

type jsonExecution struct {
	ID        string            `json:"id" yaml:"id"`
	Namespace string            `json:"namespace" yaml:"namespace"`
	FlowID    string            `json:"flowId" yaml:"flowId"`
	State     string            `json:"state" yaml:"state"`
	Start     *time.Time        `json:"startDate,omitempty" yaml:"startDate,omitempty"`
	End       *time.Time        `json:"endDate,omitempty" yaml:"endDate,omitempty"`
	Inputs    map[string]any    `json:"inputs,omitempty" yaml:"inputs,omitempty"`
	Labels    map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Restarts  int               `json:"restarts" yaml:"restarts"`
	TaskRuns  []jsonTaskRun     `json:"taskRuns" yaml:"taskRuns"`
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
