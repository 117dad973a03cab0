// Command sluice runs data-movement flows: declarative YAML files of tasks
// that read from databases, files, Kafka and Singer taps and write into
// databases, files, Kafka and Singer targets.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/mask"
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
		// ErrOrStderr is the masking writer set up by newRoot. Under
		// --log-format json the last line is a JSON log line too.
		if f := root.PersistentFlags().Lookup("log-format"); f != nil && f.Value.String() == "json" {
			b, _ := json.Marshal(struct {
				Time  time.Time `json:"time"`
				Level string    `json:"level"`
				Msg   string    `json:"msg"`
				Exit  int       `json:"exit_code"`
			}{time.Now(), "ERROR", err.Error(), code})
			fmt.Fprintln(root.ErrOrStderr(), string(b))
		} else {
			fmt.Fprintln(root.ErrOrStderr(), "sluice:", err)
		}
	}
	os.Exit(code)
}

func newRoot() *cobra.Command {
	g := &globalFlags{masker: mask.New()}
	root := &cobra.Command{
		Use:           "sluice",
		Short:         "Move data between databases, files, Kafka and Singer with declarative flows",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Everything printed goes through the masker: a secret resolved by any
	// command is hidden on stdout and stderr from then on.
	root.SetOut(g.masker.Writer(os.Stdout))
	root.SetErr(g.masker.Writer(os.Stderr))
	// One pre-run hook for every command (cobra runs only one: a
	// PersistentPreRunE would silently replace a PersistentPreRun).
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		r := cmd.Root()
		r.SetOut(maskedWriter(g.masker, r.OutOrStdout()))
		r.SetErr(maskedWriter(g.masker, r.ErrOrStderr()))
		// Limits on untrusted flows (docs/limits.md) hold for every command.
		return applyLimits()
	}
	root.PersistentFlags().StringVar(&g.storage, "storage", "", "internal storage: a folder or an object-store URL such as s3://bucket/prefix (default ~/.sluice/storage, or $SLUICE_STORAGE)")
	root.PersistentFlags().StringVar(&g.state, "state-db", "", "state database: a SQLite path (default ~/.sluice/sluice.db, or $SLUICE_STATE)")
	// --state was the flag's first name; it stays as a hidden alias so
	// that scripts keep working.
	root.PersistentFlags().StringVar(&g.state, "state", "", "")
	root.PersistentFlags().Lookup("state").Hidden = true
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "no colours in the output (also when $NO_COLOR is set)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print only errors and the result: no progress, no log lines below ERROR")
	root.PersistentFlags().StringVar(&g.config, "config", "", "configuration file with globals and vars (default ~/.sluice/config.yml when present)")
	root.PersistentFlags().StringArrayVar(&g.secrets, "secrets", nil, "where secret('NAME') looks after the environment: a secrets file (dotenv, or YAML for .yml), a folder of one file per secret, or a backend URL (repeatable; default $SLUICE_SECRETS)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "output for people (text) or machines (json)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "trace, debug, info, warn or error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return invalid(err) })
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		newRunCmd(g), newValidateCmd(g), newPluginsCmd(g), newExecutionsCmd(g),
		newStorageCmd(g), newFlowCmd(g), newRestartCmd(g, "restart"), newRestartCmd(g, "resume"), newReplayCmd(g), newServerCmd(g), newVersionCmd(),
	)
	return root
}

// maskedWriter wraps w with m unless it is wrapped already (tests set
// their own buffers after newRoot).
func maskedWriter(m *mask.Masker, w io.Writer) io.Writer {
	if _, ok := w.(interface{ Unwrap() io.Writer }); ok {
		return w
	}
	return m.Writer(w)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
		},
	}
}

// Set at build time: go build -ldflags "-X main.version=v1.2.3
// -X main.commit=abc123 -X main.buildDate=2024-01-31T10:00:00Z" (make
// build does). Without them, the module version and the VCS stamp
// the Go toolchain records stand in.
var (
	commit    = ""
	buildDate = ""
)

// versionLine is what --version and sluice version print: version,
// commit (with "-dirty" for a modified tree), build date and Go version.
func versionLine() string {
	v, rev, date, modified := version, commit, buildDate, false
	goVersion := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
					if len(rev) > 12 {
						rev = rev[:12]
					}
				}
			case "vcs.time":
				if date == "" {
					date = s.Value + " (commit)"
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	} else if modified {
		rev += "-dirty"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("sluice %s (commit %s, built %s, %s %s/%s)", v, rev, date, goVersion, runtime.GOOS, runtime.GOARCH)
}
