package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sluicehq/sluice/flows"
	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/loglevel"
	"github.com/sluicehq/sluice/internal/mask"
	"github.com/sluicehq/sluice/internal/secrets"
	"github.com/sluicehq/sluice/internal/storage"
)

type globalFlags struct {
	storage, state, logFormat, logLevel, config string
	noColor, quiet                              bool
	// secrets are the --secrets locations, in the order given.
	secrets []string
	// masker hides every secret value resolved in this process in
	// everything it prints and stores.
	masker *mask.Masker
	res    *secrets.Resolver
}

// resolver returns the secret resolver: the environment first, then each
// --secrets location (or those of $SLUICE_SECRETS, separated by the path
// list separator) in order.
func (g *globalFlags) resolver() (*secrets.Resolver, error) {
	if g.res != nil {
		return g.res, nil
	}
	locs := g.secrets
	if len(locs) == 0 {
		if v := os.Getenv("SLUICE_SECRETS"); v != "" {
			locs = filepath.SplitList(v)
		}
	}
	backends := []secrets.Backend{secrets.Env{}}
	for _, loc := range locs {
		b, err := secrets.Open(loc)
		if err != nil {
			return nil, invalid(fmt.Errorf("--secrets: %w", err))
		}
		backends = append(backends, b)
	}
	g.res = secrets.NewResolver(g.masker, backends...)
	return g.res, nil
}

// requireSecrets prints the secrets f reads that no source holds and
// fails: a flow is not started with a secret missing.
func (g *globalFlags) requireSecrets(cmd *cobra.Command, f *flows.Flow) error {
	errs, err := g.checkSecrets(f)
	if err != nil {
		return err
	}
	for _, e := range errs {
		fmt.Fprintln(cmd.ErrOrStderr(), e)
	}
	if len(errs) > 0 {
		return invalid(fmt.Errorf("%s: %d secrets not set", f.File, len(errs)))
	}
	return nil
}

// checkSecrets reports the secrets f reads that no source holds, at the
// place each is read.
func (g *globalFlags) checkSecrets(f *flows.Flow) (flows.Errors, error) {
	res, err := g.resolver()
	if err != nil {
		return nil, err
	}
	return f.CheckSecrets(func(name string) error {
		_, err := res.Get(context.Background(), name)
		return err
	}), nil
}

func (g *globalFlags) home() string {
	if h := os.Getenv("SLUICE_HOME"); h != "" {
		return h
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return ".sluice"
	}
	return filepath.Join(h, ".sluice")
}

// openStore opens internal storage: a folder, or an object-store URL
// (file://, mem://, and s3://, gs://, azblob:// in builds with -tags cloud).
func (g *globalFlags) openStore() (storage.Store, error) {
	loc := g.storage
	if loc == "" {
		loc = os.Getenv("SLUICE_STORAGE")
	}
	if loc == "" {
		if err := g.makeHome(); err != nil {
			return nil, err
		}
		loc = filepath.Join(g.home(), "storage")
	}
	st, err := storage.Open(context.Background(), loc)
	if err != nil {
		return nil, invalid(fmt.Errorf("--storage: %w", err))
	}
	return st, nil
}

func (g *globalFlags) openRepo() (state.Repository, error) {
	dsn := g.state
	if _, err := parseStatus(dsn); err == nil && dsn != "" {
		// executions list --state FAILED meant the filter, which is
		// --status now: never create a database named FAILED.
		return nil, invalid(fmt.Errorf("--state %s: --state is the state database path (--state-db); filter executions by state with --status %s", dsn, dsn))
	}
	if dsn == "" {
		dsn = os.Getenv("SLUICE_STATE")
	}
	if dsn == "" {
		if err := g.makeHome(); err != nil {
			return nil, err
		}
		dsn = filepath.Join(g.home(), "sluice.db")
	}
	return state.Open(dsn)
}

// makeHome creates ~/.sluice readable by its owner only: it holds the
// state (flow sources, inputs, outputs) and the stored data.
func (g *globalFlags) makeHome() error {
	if err := os.MkdirAll(g.home(), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", g.home(), err)
	}
	return nil
}

func (g *globalFlags) json() bool { return g.logFormat == "json" }

func (g *globalFlags) validate() error {
	if g.logFormat != "text" && g.logFormat != "json" {
		return invalid(fmt.Errorf("--log-format must be text or json, not %q", g.logFormat))
	}
	if _, err := g.level(); err != nil {
		return invalid(err)
	}
	return nil
}

func (g *globalFlags) level() (slog.Level, error) {
	l, err := loglevel.Parse(g.logLevel)
	if err != nil {
		return l, fmt.Errorf("--log-level: %w", err)
	}
	if g.quiet && l < slog.LevelError {
		l = slog.LevelError
	}
	return l, nil
}

// logger writes log lines to w: aligned text for people, JSON lines with
// --log-format json.
func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	lvl, _ := g.level()
	if g.json() {
		return slog.New(g.masker.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: loglevel.ReplaceAttr})))
	}
	return slog.New(g.masker.Handler(&textHandler{mu: &sync.Mutex{}, w: w, level: lvl, color: g.color(w)}))
}

// color reports whether w gets ANSI colours: a terminal, unless
// --no-color or $NO_COLOR (https://no-color.org: set and not empty).
func (g *globalFlags) color(w io.Writer) bool {
	return !g.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}

// textHandlerOf returns the text handler under a logger's masking handler.
func textHandlerOf(l *slog.Logger) *textHandler {
	if u, ok := l.Handler().(interface{ Unwrap() slog.Handler }); ok {
		th, _ := u.Unwrap().(*textHandler)
		return th
	}
	th, _ := l.Handler().(*textHandler)
	return th
}

// isTerminal reports whether w (or the file under a masking writer) is a
// terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseKV splits name=value arguments.
func parseKV(flag string, items []string) (map[string]any, error) {
	out := map[string]any{}
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok || k == "" {
			return nil, invalid(fmt.Errorf("--%s %q: expected name=value", flag, it))
		}
		out[k] = v
	}
	return out, nil
}
