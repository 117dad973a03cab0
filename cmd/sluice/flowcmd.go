package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
)

func newFlowCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "flow", Short: "Flow dependencies and deletion"}
	var dir string
	catalogFor := func(cmd *cobra.Command, path string) (*flows.Catalog, flows.FlowRef, error) {
		f, err := parseFlow(cmd, path)
		if err != nil {
			return nil, flows.FlowRef{}, err
		}
		d := dir
		if d == "" {
			d = f.Dir()
		}
		c, err := flows.LoadCatalog(d)
		if err != nil {
			return nil, flows.FlowRef{}, err
		}
		return c, flows.FlowRef{Namespace: f.Namespace, ID: f.ID}, nil
	}
	deps := &cobra.Command{
		Use:   "deps FLOW.yml",
		Short: "Show the flows a flow depends on and the flows that depend on it, recursively",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ref, err := catalogFor(cmd, args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s\n", ref)
			fmt.Fprintln(w, "uses:")
			printDeps(w, c, c.Dependencies(ref), false)
			fmt.Fprintln(w, "used by:")
			printDeps(w, c, c.Dependents(ref), true)
			return nil
		},
	}
	var yes bool
	del := &cobra.Command{
		Use:   "delete FLOW.yml",
		Short: "Delete a flow file, after confirmation when other flows depend on it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ref, err := catalogFor(cmd, args[0])
			if err != nil {
				return err
			}
			dependents := c.Dependents(ref)
			if len(dependents) > 0 && !yes {
				w := cmd.ErrOrStderr()
				fmt.Fprintf(w, "%d flows depend on %s:\n", len(dependents), ref)
				printDeps(w, c, dependents, true)
				if !isTerminal(os.Stdin) {
					return invalid(fmt.Errorf("not deleting %s: other flows depend on it (use --yes to delete anyway)", args[0]))
				}
				fmt.Fprintf(w, "delete %s anyway? [y/N] ", args[0])
				line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return invalid(fmt.Errorf("not deleted"))
				}
			}
			if err := os.Remove(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s (%s)\n", filepath.Clean(args[0]), ref)
			return nil
		},
	}
	del.Flags().BoolVar(&yes, "yes", false, "delete without asking even when other flows depend on it")
	cmd.PersistentFlags().StringVar(&dir, "flows", "", "folder of flow files to search (default: the flow's folder)")
	cmd.AddCommand(deps, del)
	return cmd
}

func printDeps(w interface{ Write([]byte) (int, error) }, c *flows.Catalog, ds []flows.Dependency, up bool) {
	if len(ds) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	for _, d := range ds {
		missing := ""
		if !up && !c.Exists(d.To) {
			missing = "  [not found in " + c.Dir + "]"
		}
		fmt.Fprintf(w, "  %s%s\n", d.Describe(up), missing)
	}
}
