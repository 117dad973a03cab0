package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/plugin"
)

func newValidateCmd(g *globalFlags) *cobra.Command {
	var skipSecrets bool
	cmd := &cobra.Command{
		Use:   "validate FLOW.yml...",
		Short: "Check flows without running them (exit 2 when one is invalid)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			bad := 0
			for _, path := range args {
				f, err := flows.ParseFile(path)
				if f != nil {
					for _, w := range f.Warnings {
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
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
				if err != nil {
					bad++
					var errs flows.Errors
					if errors.As(err, &errs) {
						for _, e := range errs {
							fmt.Fprintln(cmd.ErrOrStderr(), e)
						}
					} else {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", path, err)
					}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (flow %s.%s, %d tasks)\n", path, f.Namespace, f.ID, countTasks(f))
			}
			if bad > 0 {
				return invalid(fmt.Errorf("%d of %d flows invalid", bad, len(args)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipSecrets, "skip-secrets", false, "do not check that every secret('NAME') the flows read is set (for a CI without the production secrets)")
	return cmd
}

func countTasks(f *flows.Flow) int {
	n := 0
	f.Walk(func(*plugin.TaskDef, []*plugin.TaskDef) { n++ })
	return n
}
