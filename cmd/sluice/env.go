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

	"golang.org/x/term"

	"github.com/sluicehq/sluice/flows/state"
	"github.com/sluicehq/sluice/internal/storage"
)

type globalFlags struct {
	storage, state, logFormat, logLevel, config string
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
	if dsn == "" {
		dsn = os.Getenv("SLUICE_STATE")
	}
	if dsn == "" {
		dsn = filepath.Join(g.home(), "sluice.db")
	}
	return state.Open(dsn)
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
	var l slog.Level
	if err := l.UnmarshalText([]byte(g.logLevel)); err != nil {
		return l, fmt.Errorf("--log-level: %q is not debug, info, warn or error", g.logLevel)
	}
	return l, nil
}

// logger writes log lines to w: aligned text for people, JSON lines with
// --log-format json.
func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	lvl, _ := g.level()
	if g.json() {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
	}
	return slog.New(&textHandler{mu: &sync.Mutex{}, w: w, level: lvl, color: isTerminal(w)})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
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
