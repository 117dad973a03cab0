// Command sluice runs data-movement flows: declarative YAML files of tasks
// that read from databases, files, Kafka and Singer taps and write into
// databases, files, Kafka and Singer targets.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the execution failed
	exitInvalid = 2 // the flow or the command line is invalid
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func invalid(err error) error { return &exitError{code: exitInvalid, err: err} }

var version = "dev"

func main() {
	root := newRoot()
	err := root.Execute()
	if err == nil {
		return
	}
	code := exitInvalid
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if err.Error() != "" {
		fmt.Fprintln(os.Stderr, "sluice:", err)
	}
	os.Exit(code)
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "Move data between databases, files, Kafka and Singer with declarative flows",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.storage, "storage", "", "internal storage: a folder or an object-store URL such as s3://bucket/prefix (default ~/.sluice/storage, or $SLUICE_STORAGE)")
	root.PersistentFlags().StringVar(&g.state, "state", "", "state database: a SQLite path (default ~/.sluice/sluice.db, or $SLUICE_STATE)")
	root.PersistentFlags().StringVar(&g.config, "config", "", "configuration file with globals and vars (default ~/.sluice/config.yml when present)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "output for people (text) or machines (json)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return invalid(err) })
	root.AddCommand(
		newRunCmd(g), newValidateCmd(g), newPluginsCmd(g), newExecutionsCmd(g),
		newStorageCmd(g), newFlowCmd(g), newRestartCmd(g, "restart"), newRestartCmd(g, "resume"), newVersionCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "sluice", version)
		},
	}
}
