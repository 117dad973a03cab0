// Package storage is sluice's internal storage: files passed between tasks,
// addressed by URIs of the form
//
//	sluice:///NAMESPACE/FLOW/executions/EXECUTION/tasks/TASK/TASKRUN/NAME
//
// (kestra:/// is accepted as a synonym). The default backend is a local
// folder; the Store interface is small enough for an object store
// (gocloud.dev/blob) to implement.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"
)

// Scheme is the URI scheme sluice writes.
const Scheme = "sluice"

// ErrNotFound is returned (wrapped) when a URI names no file.
var ErrNotFound = errors.New("not found in internal storage")

// ErrLinkEscapes is returned (wrapped) when a URI names a symbolic link,
// or passes through one, that leads out of the storage folder: storage
// never writes links, so one that leaves the folder was planted.
var ErrLinkEscapes = errors.New("a symbolic link leads out of the internal storage folder")

// URI is a parsed internal-storage address; Path is clean, absolute and
// never contains "..".
type URI struct {
	Path string
}

// ParseURI accepts sluice:///a/b and kestra:///a/b.
func ParseURI(s string) (URI, error) {
	u, err := url.Parse(s)
	if err != nil {
		return URI{}, fmt.Errorf("storage URI %q: %w", s, err)
	}
	if u.Scheme != Scheme && u.Scheme != "kestra" {
		return URI{}, fmt.Errorf("storage URI %q: scheme must be sluice:// (or kestra://), not %q", s, u.Scheme)
	}
	if u.Host != "" {
		return URI{}, fmt.Errorf("storage URI %q: expected three slashes (sluice:///namespace/...), got host %q", s, u.Host)
	}
	return NewURI(u.Path)
}

// IsURI reports whether s looks like an internal-storage URI.
func IsURI(s string) bool {
	return strings.HasPrefix(s, Scheme+":///") || strings.HasPrefix(s, "kestra:///")
}

// NewURI builds a URI from a slash-separated path.
func NewURI(p string) (URI, error) {
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return URI{}, fmt.Errorf("storage path %q: '..' is not allowed", p)
		}
	}
	c := path.Clean("/" + p)
	if c == "/" {
		return URI{}, fmt.Errorf("storage path %q: empty", p)
	}
	return URI{Path: c}, nil
}

// Join returns the URI of a child.
func (u URI) Join(elem ...string) URI {
	return URI{Path: path.Join(append([]string{u.Path}, elem...)...)}
}

// Base returns the last element of the path (the file name).
func (u URI) Base() string { return path.Base(u.Path) }

func (u URI) String() string { return Scheme + "://" + u.Path }

// ExecutionPrefix is where every file of one execution lives.
func ExecutionPrefix(namespace, flow, execution string) URI {
	return URI{Path: path.Join("/", strings.ReplaceAll(namespace, ".", "/"), flow, "executions", execution)}
}

// TaskRunURI is the conventional address of a file a task run writes.
func TaskRunURI(namespace, flow, execution, task, taskRun, name string) URI {
	return ExecutionPrefix(namespace, flow, execution).Join("tasks", task, taskRun, name)
}

// Info describes a stored file.
type Info struct {
	URI     URI
	Size    int64
	ModTime time.Time
}

// Upload is a file being written. Nothing is visible at its URI until Commit
// succeeds; Close without Commit discards it, so `defer up.Close()` is always
// safe.
type Upload interface {
	io.Writer
	// Commit flushes and publishes atomically.
	Commit() error
	// Close discards the upload unless it was committed.
	Close() error
}

// Store is an internal-storage backend.
type Store interface {
	Create(ctx context.Context, u URI) (Upload, error)
	Open(ctx context.Context, u URI) (io.ReadCloser, error)
	Stat(ctx context.Context, u URI) (Info, error)
	// List returns the files under prefix, recursively, sorted by path.
	List(ctx context.Context, prefix URI) ([]Info, error)
	Delete(ctx context.Context, u URI) error
	// DeletePrefix removes every file under prefix (purging an execution).
	DeletePrefix(ctx context.Context, prefix URI) error
}

// Put stores the content of r at u.
func Put(ctx context.Context, s Store, u URI, r io.Reader) (int64, error) {
	up, err := s.Create(ctx, u)
	if err != nil {
		return 0, err
	}
	defer up.Close()
	n, err := io.Copy(up, r)
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", u, err)
	}
	return n, up.Commit()
}
