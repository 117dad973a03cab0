package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Local stores files under a folder of the local file system.
type Local struct {
	root string
}

// NewLocal returns a store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("internal storage: %w", err)
	}
	return &Local{root: abs}, nil
}

// Root is the folder behind the store.
func (l *Local) Root() string { return l.root }

// File returns the local path of u; readers that need a real file (a
// subprocess, a bulk loader) may use it directly.
func (l *Local) File(u URI) string { return filepath.Join(l.root, filepath.FromSlash(u.Path)) }

type localUpload struct {
	f         *os.File
	w         *bufio.Writer
	final     string
	committed bool
	closed    bool
}

// Create opens an upload written to a temporary file beside the target and
// renamed into place on Commit, so readers never see a partial file.
func (l *Local) Create(_ context.Context, u URI) (Upload, error) {
	final := l.File(u)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", u, err)
	}
	f, err := os.CreateTemp(filepath.Dir(final), ".tmp-"+filepath.Base(final)+"-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", u, err)
	}
	return &localUpload{f: f, w: bufio.NewWriterSize(f, 256<<10), final: final}, nil
}

func (u *localUpload) Write(p []byte) (int, error) {
	if u.closed {
		return 0, errors.New("write to a closed upload")
	}
	return u.w.Write(p)
}

func (u *localUpload) Commit() error {
	if u.closed {
		return errors.New("commit of a closed upload")
	}
	u.closed = true
	err := u.w.Flush()
	if err == nil {
		err = u.f.Close()
	} else {
		u.f.Close()
	}
	if err == nil {
		err = os.Rename(u.f.Name(), u.final)
	}
	if err != nil {
		os.Remove(u.f.Name())
		return fmt.Errorf("publishing %s: %w", u.final, err)
	}
	u.committed = true
	return nil
}

func (u *localUpload) Close() error {
	if u.closed {
		return nil
	}
	u.closed = true
	u.f.Close()
	return os.Remove(u.f.Name())
}

// rel is u's path relative to the root, for os.Root.
func rel(u URI) string {
	r := filepath.FromSlash(strings.TrimPrefix(u.Path, "/"))
	if r == "" {
		return "."
	}
	return r
}

// Open streams a stored file. It is opened through os.Root, so symbolic
// links are followed only while they stay inside the storage folder.
func (l *Local) Open(_ context.Context, u URI) (io.ReadCloser, error) {
	f, err := os.OpenInRoot(l.root, rel(u))
	if err != nil {
		return nil, l.pathErr(u, err)
	}
	return f, nil
}

// Stat describes a stored file (links followed inside the folder only).
func (l *Local) Stat(_ context.Context, u URI) (Info, error) {
	root, err := os.OpenRoot(l.root)
	if err != nil {
		return Info{}, err
	}
	defer root.Close()
	st, err := root.Stat(rel(u))
	if err != nil {
		return Info{}, l.pathErr(u, err)
	}
	return Info{URI: u, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// pathErr names a missing file ErrNotFound and a path that os.Root
// refused because a link leaves the folder ErrLinkEscapes.
func (l *Local) pathErr(u URI, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", u, ErrNotFound)
	}
	if target, lerr := filepath.EvalSymlinks(l.File(u)); lerr == nil {
		root, rerr := filepath.EvalSymlinks(l.root)
		if r, rerr2 := filepath.Rel(root, target); rerr == nil && rerr2 == nil && (r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator))) {
			return fmt.Errorf("%s: %w (it points to %s)", u, ErrLinkEscapes, target)
		}
	}
	return fmt.Errorf("%s: %w", u, err)
}

// List walks prefix; temporary upload files are not listed.
func (l *Local) List(_ context.Context, prefix URI) ([]Info, error) {
	var out []Info
	root := l.File(prefix)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.root, p)
		out = append(out, Info{URI: URI{Path: "/" + filepath.ToSlash(rel)}, Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].URI.Path < out[j].URI.Path })
	return out, err
}

// Delete removes one file; a missing file is not an error.
func (l *Local) Delete(_ context.Context, u URI) error {
	err := os.Remove(l.File(u))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// DeletePrefix removes a folder and everything under it.
func (l *Local) DeletePrefix(_ context.Context, prefix URI) error {
	return os.RemoveAll(l.File(prefix))
}
