package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows/state"
)

// jsonLogLine is a stored log line as executions show --logs -o json and
// executions logs --log-format json print it: every attribute kept.
type jsonLogLine struct {
	Time        time.Time      `json:"time" yaml:"time"`
	Level       string         `json:"level" yaml:"level"`
	Msg         string         `json:"msg" yaml:"msg"`
	ExecutionID string         `json:"execution_id" yaml:"execution_id"`
	TaskRunID   string         `json:"task_run_id,omitempty" yaml:"task_run_id,omitempty"`
	TaskID      string         `json:"task_id,omitempty" yaml:"task_id,omitempty"`
	Attrs       map[string]any `json:"attrs,omitempty" yaml:"attrs,omitempty"`
}

func toJSONLog(e state.LogEntry) jsonLogLine {
	return jsonLogLine{Time: e.Time, Level: e.Level, Msg: e.Message, ExecutionID: e.ExecutionID, TaskRunID: e.TaskRunID, TaskID: e.TaskID, Attrs: e.Attrs}
}

// printLogs prints stored log lines: aligned text with every attribute as
// key=value, or one JSON object per line.
func printLogs(w io.Writer, asJSON bool, entries []state.LogEntry) {
	for _, e := range entries {
		if asJSON {
			b, _ := json.Marshal(toJSONLog(e))
			fmt.Fprintln(w, string(b))
			continue
		}
		task := e.TaskID
		keys := make([]string, 0, len(e.Attrs))
		for k := range e.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			v := fmt.Sprint(e.Attrs[k])
			if k == "value" {
				task += "[" + v + "]"
				continue
			}
			if strings.ContainsAny(v, " \t\n\"=") {
				v = fmt.Sprintf("%q", v)
			}
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
		fmt.Fprintf(w, "%s %-5s %-14s %s%s\n", e.Time.Local().Format("15:04:05.000"), e.Level, task, e.Message, b.String())
	}
}

// statusNames lists the execution states --status accepts.
func statusNames() []string {
	return []string{"CREATED", "RUNNING", "SUCCESS", "WARNING", "FAILED", "KILLED", "RETRYING", "PAUSED", "RESTARTED"}
}

// parseStatus reads a state name in any case.
func parseStatus(s string) (state.State, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	for _, n := range statusNames() {
		if n == up {
			return state.State(n), nil
		}
	}
	return "", fmt.Errorf("--status %q: not one of %s", s, strings.Join(statusNames(), ", "))
}

// followInterval is how often executions logs -f looks for new lines: the
// execution may run in another process, which shares only the database.
const followInterval = 250 * time.Millisecond

func newLogsCmd(g *globalFlags) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs EXECUTION_ID",
		Short: "Print an execution's logs; -f follows a running execution (from another terminal) until it ends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			repo, ex, err := g.storedExecution(ctx, args[0])
			if err != nil {
				return err
			}
			defer repo.Close()
			seen := 0
			for {
				entries, err := repo.Logs(ctx, ex.ID)
				if err != nil {
					return err
				}
				if len(entries) > seen {
					printLogs(cmd.OutOrStdout(), g.json(), entries[seen:])
					seen = len(entries)
				}
				if !follow || ex.State.Terminated() {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(followInterval):
				}
				// Read the state after the logs: lines written before the
				// end are printed by the next pass, which is the last.
				if ex, err = repo.GetExecution(ctx, ex.ID); err != nil {
					return err
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until the execution ends")
	return cmd
}
