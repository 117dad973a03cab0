package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/server"
)

// flowTarget is what `flow deps|delete` act on: a flow file (its folder's
// files are the catalog) or NAMESPACE.FLOW of the state database's stored
// flows (what `sluice server` runs).
type flowTarget struct {
	catalog *flows.Catalog
	ref     flows.FlowRef
	file    string          // file mode
	store   state.FlowStore // repository mode
	close   func()
}

func isFlowFile(arg string) bool {
	if strings.HasSuffix(arg, ".yml") || strings.HasSuffix(arg, ".yaml") {
		return true
	}
	fi, err := os.Stat(arg)
	return err == nil && !fi.IsDir()
}

// parseRef reads NAMESPACE.FLOW: the flow id is after the last dot.
func parseRef(arg string) (flows.FlowRef, error) {
	i := strings.LastIndexByte(arg, '.')
	if i <= 0 || i == len(arg)-1 {
		return flows.FlowRef{}, invalid(fmt.Errorf("%q: name a flow as NAMESPACE.FLOW (company.team.my-flow) or give a flow file", arg))
	}
	return flows.FlowRef{Namespace: arg[:i], ID: arg[i+1:]}, nil
}

func newFlowCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "flow", Short: "Flow dependencies and deletion, over flow files or the stored flows"}
	var dir string
	target := func(cmd *cobra.Command, arg string) (*flowTarget, error) {
		if isFlowFile(arg) {
			f, err := parseFlow(cmd, arg)
			if err != nil {
				return nil, err
			}
			d := dir
			if d == "" {
				d = f.Dir()
			}
			c, err := flows.LoadCatalog(d)
			if err != nil {
				return nil, err
			}
			return &flowTarget{catalog: c, ref: flows.FlowRef{Namespace: f.Namespace, ID: f.ID}, file: arg, close: func() {}}, nil
		}
		ref, err := parseRef(arg)
		if err != nil {
			return nil, err
		}
		repo, err := g.openRepo()
		if err != nil {
			return nil, err
		}
		fs, ok := repo.(state.FlowStore)
		if !ok {
			repo.Close()
			return nil, errors.New("the state database does not store flows")
		}
		c, err := storedCatalog(cmd.Context(), fs, cmd.ErrOrStderr())
		if err != nil {
			repo.Close()
			return nil, err
		}
		if !c.Exists(ref) {
			repo.Close()
			return nil, invalid(fmt.Errorf("flow %s is not stored in %s (sluice server stores flows sent to its API or found in --flows)", ref, c.Dir))
		}
		return &flowTarget{catalog: c, ref: ref, store: fs, close: func() { repo.Close() }}, nil
	}
	var recursive bool
	var format string
	deps := &cobra.Command{
		Use:   "deps NAMESPACE.FLOW | FLOW.yml",
		Short: "Show the flows a flow uses (subflows, Flow triggers, conditions) and the flows that use it",
		Long: "With NAMESPACE.FLOW the stored flows of the state database are read, across namespaces; " +
			"with a flow file, the flow files of its folder (or --flows). --recursive follows dependencies transitively.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "text", "json", "dot":
			default:
				return invalid(fmt.Errorf("--format %q: text, json or dot", format))
			}
			t, err := target(cmd, args[0])
			if err != nil {
				return err
			}
			defer t.close()
			return printDependencies(cmd.OutOrStdout(), t.catalog, t.ref, recursive, format)
		},
	}
	deps.Flags().BoolVar(&recursive, "recursive", false, "follow dependencies transitively")
	deps.Flags().StringVar(&format, "format", "text", "text, json or dot (Graphviz)")
	var force bool
	del := &cobra.Command{
		Use:   "delete NAMESPACE.FLOW | FLOW.yml",
		Short: "Delete a stored flow (or a flow file); refused while other flows depend on it unless --force",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := target(cmd, args[0])
			if err != nil {
				return err
			}
			defer t.close()
			dependents := withoutSelf(t.catalog.Dependents(t.ref), t.ref)
			if len(dependents) > 0 && !force {
				w := cmd.ErrOrStderr()
				fmt.Fprintf(w, "%d flows depend on %s:\n", len(dependents), t.ref)
				printDeps(w, t.catalog, dependents, true)
				if t.store != nil || !isTerminal(os.Stdin) {
					return invalid(fmt.Errorf("not deleting %s: other flows depend on it (use --force to delete anyway)", t.ref))
				}
				fmt.Fprintf(w, "delete %s anyway? [y/N] ", args[0])
				line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
					return invalid(fmt.Errorf("not deleted"))
				}
			}
			if t.store != nil {
				rev, err := t.store.DeleteFlow(cmd.Context(), t.ref.Namespace, t.ref.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s (revision %d records the deletion; a running server sees it within seconds)\n", t.ref, rev.Revision)
				return nil
			}
			if err := os.Remove(t.file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s (%s)\n", filepath.Clean(t.file), t.ref)
			return nil
		},
	}
	del.Flags().BoolVar(&force, "force", false, "delete even when other flows depend on it")
	del.Flags().BoolVar(&force, "yes", false, "same as --force")
	cmd.PersistentFlags().StringVar(&dir, "flows", "", "folder of flow files to search, for a flow file (default: the flow's folder)")
	cmd.AddCommand(deps, del)
	return cmd
}

// storedCatalog parses the latest revision of every stored flow; those
// that no longer parse are reported and left out.
func storedCatalog(ctx context.Context, fs state.FlowStore, warn io.Writer) (*flows.Catalog, error) {
	list, err := fs.ListFlows(ctx, state.FlowFilter{})
	if err != nil {
		return nil, err
	}
	var parsed []*flows.Flow
	for _, rev := range list {
		f, err := flows.Parse(fmt.Sprintf("%s.%s@%d", rev.Namespace, rev.ID, rev.Revision), []byte(rev.Source))
		if err != nil {
			fmt.Fprintf(warn, "warning: stored flow %s.%s does not parse: %v\n", rev.Namespace, rev.ID, err)
			if f == nil {
				continue
			}
		}
		parsed = append(parsed, f)
	}
	return flows.NewCatalog("the state database", parsed), nil
}

func withoutSelf(ds []flows.Dependency, ref flows.FlowRef) []flows.Dependency {
	var out []flows.Dependency
	for _, d := range ds {
		if d.From != ref {
			out = append(out, d)
		}
	}
	return out
}

func printDependencies(w io.Writer, c *flows.Catalog, ref flows.FlowRef, recursive bool, format string) error {
	uses, usedBy := server.DependenciesOf(c, ref, recursive)
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"flow": ref.String(), "uses": uses, "usedBy": usedBy})
	case "dot":
		fmt.Fprintln(w, "digraph dependencies {")
		fmt.Fprintf(w, "  %q [style=bold];\n", ref.String())
		seen := map[string]bool{}
		var lines []string
		for _, d := range append(uses, usedBy...) {
			l := fmt.Sprintf("  %q -> %q [label=%q];", d.From, d.To, d.Via)
			if !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "}")
		return nil
	}
	down, up := c.Dependencies(ref), c.Dependents(ref)
	if !recursive {
		down, up = c.DirectDependencies(ref), c.DirectDependents(ref)
	}
	fmt.Fprintf(w, "%s\n", ref)
	fmt.Fprintln(w, "uses:")
	printDeps(w, c, down, false)
	fmt.Fprintln(w, "used by:")
	printDeps(w, c, up, true)
	return nil
}

func printDeps(w io.Writer, c *flows.Catalog, ds []flows.Dependency, up bool) {
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
