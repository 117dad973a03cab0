package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
)

func newExecutionsCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "executions", Short: "List and inspect executions"}
	var f state.Filter
	var st string
	var listOut, showOut outputFormat
	list := &cobra.Command{
		Use:   "list",
		Short: "List executions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			repo, err := g.openRepo()
			if err != nil {
				return err
			}
			defer repo.Close()
			reapOrphans(cmd, repo)
			if st != "" {
				s, err := parseStatus(st)
				if err != nil {
					return invalid(err)
				}
				f.State = s
			}
			exs, err := repo.ListExecutions(cmd.Context(), f)
			if err != nil {
				return err
			}
			if listOut.structured() || g.json() && listOut == outTable {
				out := make([]jsonExecution, len(exs))
				for i, ex := range exs {
					out[i] = toJSON(ex)
				}
				if listOut == outTable {
					listOut = outJSON
				}
				return listOut.encode(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFLOW\tSTATE\tSTARTED\tDURATION")
			for _, ex := range exs {
				fmt.Fprintf(tw, "%s\t%s.%s\t%s\t%s\t%s\n", ex.ID, ex.Namespace, ex.FlowID, ex.State, ex.Start.Local().Format("2006-01-02 15:04:05"), dur(ex.Start, ex.End))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&f.Namespace, "namespace", "", "only this namespace")
	list.Flags().StringVar(&f.FlowID, "flow", "", "only this flow id")
	list.Flags().StringVar(&st, "status", "", "only executions in this state: "+strings.Join(statusNames(), ", ")+" (any case)")
	addOutputFlag(list, &listOut)
	list.Flags().IntVar(&f.Limit, "limit", 50, "at most this many (0 = all)")
	var logs bool
	show := &cobra.Command{
		Use:   "show EXECUTION_ID",
		Short: "Show an execution's task runs and outputs (and logs with --logs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, ex, err := g.storedExecution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer repo.Close()
			var entries []state.LogEntry
			if logs {
				if entries, err = repo.Logs(cmd.Context(), ex.ID); err != nil {
					return err
				}
			}
			if showOut.structured() {
				doc := struct {
					jsonExecution `yaml:",inline"`
					Logs          []jsonLogLine `json:"logs,omitempty" yaml:"logs,omitempty"`
				}{jsonExecution: toJSON(ex)}
				for _, e := range entries {
					doc.Logs = append(doc.Logs, toJSONLog(e))
				}
				if showOut == outJSON {
					// encoding/json does not inline: one level for the logs.
					m := map[string]any{}
					b, _ := json.Marshal(doc.jsonExecution)
					json.Unmarshal(b, &m)
					if len(doc.Logs) > 0 {
						m["logs"] = doc.Logs
					}
					return showOut.encode(cmd.OutOrStdout(), m)
				}
				return showOut.encode(cmd.OutOrStdout(), doc)
			}
			if err := printResult(cmd.OutOrStdout(), g, showOut, ex); err != nil {
				return err
			}
			printLogs(cmd.OutOrStdout(), g.json(), entries)
			return nil
		},
	}
	show.Flags().BoolVar(&logs, "logs", false, "print the execution's logs too (every attribute of each line)")
	addOutputFlag(show, &showOut)
	del := &cobra.Command{
		Use:   "delete EXECUTION_ID...",
		Short: "Delete executions with their logs and purge their files from internal storage",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, err := g.openRepo()
			if err != nil {
				return err
			}
			defer repo.Close()
			reapOrphans(cmd, repo)
			store, err := g.openStore()
			if err != nil {
				return err
			}
			for _, id := range args {
				ex, err := repo.GetExecution(cmd.Context(), id)
				if err != nil {
					return cliError(err)
				}
				if !ex.State.Terminated() && ex.State != state.Paused {
					return invalid(fmt.Errorf("execution %s is %s; delete it once it has ended", ex.ID, ex.State))
				}
				if err := store.DeletePrefix(cmd.Context(), storage.ExecutionPrefix(ex.Namespace, ex.FlowID, ex.ID)); err != nil {
					return fmt.Errorf("purging files of %s: %w", ex.ID, err)
				}
				if err := repo.DeleteExecution(cmd.Context(), ex.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s (%s.%s)\n", ex.ID, ex.Namespace, ex.FlowID)
			}
			return nil
		},
	}
	cmd.AddCommand(list, show, del, newMarkCmd(g), newLogsCmd(g))
	return cmd
}

// reapOrphans kills the executions whose owning process is gone (a crash,
// kill -9) so that no record claims to run; each is reported on stderr.
func reapOrphans(cmd *cobra.Command, repo state.Repository) {
	reaped, err := flows.ReapOrphans(cmd.Context(), repo, flows.DefaultLease)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: looking for orphaned executions: %v\n", err)
	}
	for _, ex := range reaped {
		fmt.Fprintf(cmd.ErrOrStderr(), "execution %s (%s.%s) marked KILLED: %s\n", ex.ID, ex.Namespace, ex.FlowID, ex.Error)
	}
}
