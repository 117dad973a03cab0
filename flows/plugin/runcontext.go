package plugin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sluicehq/sluice/internal/mask"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
	"github.com/sluicehq/sluice/internal/storage"
)

// KV is durable key/value state scoped to one flow (Singer bookmarks,
// trigger cursors). Keys are chosen by the task, e.g. its stateName.
type KV interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// RunConfig is what the engine (or a test) provides to build a RunContext.
type RunConfig struct {
	Namespace   string
	FlowID      string
	ExecutionID string
	TaskID      string
	TaskRunID   string
	// Value is the iteration value inside Each, "" elsewhere.
	Value   string
	Attempt int

	Store  storage.Store
	Logger *slog.Logger
	KV     KV
	// Render and Eval evaluate templates against the execution context.
	Render func(string) (string, error)
	Eval   func(string) (any, error)
	// Vars is the template context, read-only, for tasks that pass it on
	// (a subflow, a script's environment).
	Vars map[string]any
	// Progress receives counters; nil logs them through Logger.
	Progress *progress.Hub
	// TempDir is a private folder removed when the task run ends.
	TempDir string
	// BaseDir is the folder of the flow file: relative local paths given
	// to OpenFile resolve against it, so a flow runs the same from any
	// working directory.
	BaseDir string
	// Masker hides secret values; the engine shares one with every channel
	// it writes to. nil gives the run context a masker of its own.
	Masker *mask.Masker
}

// RunContext is what a running task may touch, and nothing else.
type RunContext struct {
	cfg    RunConfig
	mu     sync.Mutex
	masker *mask.Masker
	logger *slog.Logger
}

// NewRunContext builds a run context; zero fields get safe defaults.
func NewRunContext(cfg RunConfig) *RunContext {
	rc := &RunContext{cfg: cfg, masker: cfg.Masker}
	if rc.masker == nil {
		rc.masker = mask.New()
	}
	base := cfg.Logger
	if base == nil {
		base = slog.Default()
	}
	rc.logger = slog.New(rc.masker.Handler(base.Handler()))
	return rc
}

// Namespace, FlowID, ExecutionID, TaskID and TaskRunID identify the run.
func (rc *RunContext) Namespace() string   { return rc.cfg.Namespace }
func (rc *RunContext) FlowID() string      { return rc.cfg.FlowID }
func (rc *RunContext) ExecutionID() string { return rc.cfg.ExecutionID }
func (rc *RunContext) TaskID() string      { return rc.cfg.TaskID }
func (rc *RunContext) TaskRunID() string   { return rc.cfg.TaskRunID }
func (rc *RunContext) Attempt() int        { return rc.cfg.Attempt }

// Vars is the template context (read-only).
func (rc *RunContext) Vars() map[string]any { return rc.cfg.Vars }

// Render renders a template string. Properties are already rendered before
// Run; tasks call this for values they build themselves.
func (rc *RunContext) Render(s string) (string, error) {
	if rc.cfg.Render == nil || !strings.Contains(s, "{") {
		return s, nil
	}
	return rc.cfg.Render(s)
}

// Eval evaluates a template that is one expression into a typed value.
func (rc *RunContext) Eval(s string) (any, error) {
	if rc.cfg.Eval == nil {
		return s, nil
	}
	return rc.cfg.Eval(s)
}

// Storage is internal storage.
func (rc *RunContext) Storage() storage.Store { return rc.cfg.Store }

// Logger logs for this task run; registered secrets are masked.
func (rc *RunContext) Logger() *slog.Logger { return rc.logger }

// KV is the flow-scoped durable state.
func (rc *RunContext) KV() KV { return rc.cfg.KV }

// Secret registers a value that must never reach logs, outputs or errors
// returned by the task; it returns v for convenience. Values shorter than
// mask.MinSecret are not masked.
func (rc *RunContext) Secret(v string) string { return rc.masker.Add(v) }

// Mask replaces registered secrets in s with mask.Replacement.
func (rc *RunContext) Mask(s string) string { return rc.masker.String(s) }

// MaskError returns err with secrets masked in its message (the chain is
// not kept: a masked error must not leak through Unwrap).
func (rc *RunContext) MaskError(err error) error { return rc.masker.Error(err) }

// Masker is the masker of this run (shared with the engine).
func (rc *RunContext) Masker() *mask.Masker { return rc.masker }

// TempDir is a private folder for this run, removed when the run ends.
func (rc *RunContext) TempDir() (string, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.cfg.TempDir == "" {
		d, err := os.MkdirTemp("", "sluice-"+sanitize(rc.cfg.TaskID)+"-")
		if err != nil {
			return "", err
		}
		rc.cfg.TempDir = d
	}
	return rc.cfg.TempDir, nil
}

// Cleanup removes the temp dir; the engine calls it after Run.
func (rc *RunContext) Cleanup() {
	if rc.cfg.TempDir != "" {
		os.RemoveAll(rc.cfg.TempDir)
	}
}

// Progress returns a counter shown on a terminal or logged periodically.
func (rc *RunContext) Progress(name string) *progress.Counter {
	label := rc.cfg.TaskID
	if name != "" {
		label += " " + name
	}
	if rc.cfg.Progress == nil {
		return progress.NewCounter(label, nil)
	}
	return rc.cfg.Progress.Counter(label)
}

// FileURI is where a file named name of this task run goes.
func (rc *RunContext) FileURI(name string) storage.URI {
	run := rc.cfg.TaskRunID
	if run == "" {
		run = "run"
	}
	return storage.TaskRunURI(rc.cfg.Namespace, rc.cfg.FlowID, rc.cfg.ExecutionID, sanitize(rc.cfg.TaskID), run, name)
}

// CreateFile opens a file of this task run in storage; it is published by
// Commit and discarded by Close without Commit.
func (rc *RunContext) CreateFile(ctx context.Context, name string) (storage.Upload, storage.URI, error) {
	u := rc.FileURI(name)
	up, err := rc.cfg.Store.Create(ctx, u)
	return up, u, err
}

// OpenFile opens a storage URI, or a local path when location is not a URI
// (readers accept both, as Kestra's do).
func (rc *RunContext) OpenFile(ctx context.Context, location string) (io.ReadCloser, error) {
	if storage.IsURI(location) {
		u, err := storage.ParseURI(location)
		if err != nil {
			return nil, err
		}
		return rc.cfg.Store.Open(ctx, u)
	}
	if strings.Contains(location, "://") {
		return nil, fmt.Errorf("%q: only sluice:/// (or kestra:///) storage URIs and local paths can be read", location)
	}
	return os.Open(rc.LocalPath(location))
}

// LocalPath resolves a relative local path against the flow's folder.
func (rc *RunContext) LocalPath(p string) string {
	if filepath.IsAbs(p) || rc.cfg.BaseDir == "" {
		return p
	}
	return filepath.Join(rc.cfg.BaseDir, p)
}

// OpenRows opens a row file by storage URI.
func (rc *RunContext) OpenRows(ctx context.Context, location string) (rows.Reader, error) {
	f, err := rc.OpenFile(ctx, location)
	if err != nil {
		return nil, err
	}
	r, err := rowfile.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", location, err)
	}
	return &closingReader{Reader: r, c: f}, nil
}

type closingReader struct {
	rows.Reader
	c io.Closer
}

func (r *closingReader) Close() error {
	err := r.Reader.Close()
	if cerr := r.c.Close(); err == nil {
		err = cerr
	}
	return err
}

// RowsWriter writes a row file of this task run; URI is known from the
// start, the file appears there on Close.
type RowsWriter struct {
	up     storage.Upload
	w      *rowfile.Writer
	uri    storage.URI
	closed bool
}

// CreateRows starts a row file named name (".rows" is appended when it has
// no extension).
func (rc *RunContext) CreateRows(ctx context.Context, name string, schema *rows.Schema) (*RowsWriter, error) {
	if filepath.Ext(name) == "" {
		name += ".rows"
	}
	up, u, err := rc.CreateFile(ctx, name)
	if err != nil {
		return nil, err
	}
	w, err := rowfile.NewWriter(up, schema)
	if err != nil {
		up.Close()
		return nil, err
	}
	return &RowsWriter{up: up, w: w, uri: u}, nil
}

// URI is where the file will be published.
func (w *RowsWriter) URI() storage.URI { return w.uri }

// Bytes is the number of bytes of the file written so far (rows still
// buffered in the current block not counted): what a progress line shows.
func (w *RowsWriter) Bytes() int64 { return w.w.Bytes() }

// Rows is the number of rows written so far.
func (w *RowsWriter) Rows() int64 { return w.w.Rows() }

// Write appends a row.
func (w *RowsWriter) Write(r *rows.Row) error {
	if w.closed {
		return rows.ErrClosed
	}
	return w.w.Write(r)
}

// Close publishes the file.
func (w *RowsWriter) Close() error {
	if w.closed {
		return rows.ErrClosed
	}
	w.closed = true
	if err := w.w.Flush(); err != nil {
		w.up.Close()
		return err
	}
	return w.up.Commit()
}

// Abort discards the file; no-op after Close.
func (w *RowsWriter) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.up.Close()
}

var _ rows.Writer = (*RowsWriter)(nil)

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}
