package state

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPath is where the state lives when no DSN is given, relative to the
// user's home directory.
const DefaultPath = ".sluice/sluice.db"

// Open opens (creating and migrating when needed) a state repository.
//
//	""                      ~/.sluice/sluice.db (the directory is created)
//	PATH, sqlite:PATH       a SQLite file ("~/" is expanded)
//	file:PATH?query         a SQLite URI, passed on as given
//	:memory:                a private in-memory database (tests, dry runs)
//	postgres://...          not implemented yet in this build
func Open(dsn string) (Repository, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if t.path != "" {
		if err := ownerOnly(t.path); err != nil {
			return nil, err
		}
	}
	return openSQLite(t)
}

// ownerOnly creates a new state file readable by its owner only (SQLite
// gives its -wal and -shm files the database file's mode), and warns when
// an existing one is readable by others: the state holds flow sources,
// inputs and outputs.
func ownerOnly(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return nil // created meanwhile by another process
		}
		if err != nil {
			return fmt.Errorf("state: create %s: %w", path, err)
		}
		return f.Close()
	}
	if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		slog.Warn(fmt.Sprintf("state file %s is readable by other users (mode %04o): it holds flow sources, inputs and outputs; chmod 600 it", path, fi.Mode().Perm()))
	}
	return nil
}

// sqliteTarget is a parsed DSN: a SQLite URI without our parameters.
type sqliteTarget struct {
	uri    string // "file:/abs/path", "file:...?user=params" or ":memory:"
	path   string // the file, for a path DSN
	memory bool
	label  string // what errors call it
}

func parseDSN(dsn string) (sqliteTarget, error) {
	switch {
	case dsn == "":
		home, err := os.UserHomeDir()
		if err != nil {
			return sqliteTarget{}, fmt.Errorf("state: no --state given and no home directory for the default %s: %w", DefaultPath, err)
		}
		p := filepath.Join(home, DefaultPath)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return sqliteTarget{}, fmt.Errorf("state: create %s: %w", filepath.Dir(p), err)
		}
		return pathTarget(p)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		// The DSN is not echoed: it usually carries a password.
		return sqliteTarget{}, errors.New("state: PostgreSQL state is not implemented yet in this build; use a SQLite path (or no --state for ~/.sluice/sluice.db)")
	case dsn == ":memory:", dsn == "sqlite::memory:":
		return sqliteTarget{uri: ":memory:", memory: true, label: ":memory:"}, nil
	case strings.HasPrefix(dsn, "file:"):
		return sqliteTarget{
			uri:    dsn,
			memory: strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory"),
			label:  dsn,
		}, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return pathTarget(strings.TrimPrefix(dsn, "sqlite://"))
	case strings.HasPrefix(dsn, "sqlite:"):
		return pathTarget(strings.TrimPrefix(dsn, "sqlite:"))
	}
	if i := strings.Index(dsn, "://"); i > 0 && !strings.ContainsAny(dsn[:i], `/\`) {
		return sqliteTarget{}, fmt.Errorf("state: unsupported state DSN scheme %q (want a SQLite path, sqlite:PATH, file:URI or postgres://)", dsn[:i])
	}
	return pathTarget(dsn)
}

// pathTarget turns a file path into a SQLite URI. Going through a URI (and
// escaping) keeps paths containing '?', '#' or '%' intact.
func pathTarget(p string) (sqliteTarget, error) {
	if p == "" {
		return sqliteTarget{}, errors.New("state: empty SQLite path")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return sqliteTarget{}, fmt.Errorf("state: expand %s: %w", p, err)
		}
		p = filepath.Join(home, p[1:])
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return sqliteTarget{}, fmt.Errorf("state: %s: %w", p, err)
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil {
		return sqliteTarget{}, fmt.Errorf("state: directory of %s: %w", p, err)
	} else if !fi.IsDir() {
		return sqliteTarget{}, fmt.Errorf("state: %s: %s is not a directory", p, dir)
	}
	slashed := filepath.ToSlash(abs)
	if !strings.HasPrefix(slashed, "/") {
		slashed = "/" + slashed // C:/x → file:/C:/x, what SQLite expects
	}
	u := url.URL{Path: slashed}
	return sqliteTarget{uri: "file:" + u.EscapedPath(), path: abs, label: p}, nil
}

// withParams appends query parameters to a SQLite URI.
func (t sqliteTarget) withParams(params string) string {
	sep := "?"
	if strings.Contains(t.uri, "?") {
		sep = "&"
	}
	return t.uri + sep + params
}
