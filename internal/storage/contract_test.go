package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLocalContract runs the Store contract on the local folder backend;
// blob_test.go (-tags cloud) runs it on the object-store backends.
func TestLocalContract(t *testing.T) {
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, s)
}

func mustURI(t *testing.T, p string) URI {
	t.Helper()
	u, err := NewURI(p)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func put(t *testing.T, s Store, u URI, content string) {
	t.Helper()
	if n, err := Put(context.Background(), s, u, strings.NewReader(content)); err != nil || n != int64(len(content)) {
		t.Fatalf("put %s: %d %v", u, n, err)
	}
}

func read(t *testing.T, s Store, u URI) string {
	t.Helper()
	r, err := s.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return string(b)
}

func listPaths(t *testing.T, s Store, prefix URI) []string {
	t.Helper()
	infos, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	var out []string
	for _, in := range infos {
		out = append(out, in.URI.Path)
	}
	return out
}

func notFound(t *testing.T, s Store, u URI) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, u); !errors.Is(err, ErrNotFound) {
		t.Errorf("stat %s: want ErrNotFound, got %v", u, err)
	}
	r, err := s.Open(ctx, u)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("open %s: want ErrNotFound, got %v", u, err)
	}
	if r != nil {
		r.Close()
	}
}

// tree is a layout whose path order differs from a folder walk's order
// ('-' and '.' sort before '/').
var tree = map[string]string{
	"a-z":       "1",
	"a.txt":     "22",
	"a/b.txt":   "333",
	"a/b/c":     "4444",
	"a/b/d/e":   "",
	"ab":        "666666",
	"a/b/d/e.f": "7",
}

func putTree(t *testing.T, s Store, root URI) {
	for p, c := range tree {
		put(t, s, root.Join(p), c)
	}
}

// storeContract is what every Store must do; see storage.go.
func storeContract(t *testing.T, s Store) {
	ctx := context.Background()

	t.Run("atomic publish", func(t *testing.T) {
		u := mustURI(t, "/ns/f/executions/e1/tasks/a/r/data.txt")
		dir := mustURI(t, "/ns/f/executions/e1")
		up, err := s.Create(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		// Past gocloud's 512-byte sniff buffer and the local bufio buffer,
		// so the bytes reach the driver or the disk.
		if _, err := up.Write(bytes.Repeat([]byte("partial "), 64<<10)); err != nil {
			t.Fatal(err)
		}
		notFound(t, s, u)
		if got := listPaths(t, s, dir); len(got) != 0 {
			t.Fatalf("in-flight upload listed: %v", got)
		}
		if err := up.Close(); err != nil {
			t.Fatalf("discard: %v", err)
		}
		notFound(t, s, u)
		if got := listPaths(t, s, dir); len(got) != 0 {
			t.Fatalf("discarded upload listed: %v", got)
		}
		if err := up.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := up.Write([]byte("x")); err == nil {
			t.Error("write after Close accepted")
		}
		if err := up.Commit(); err == nil {
			t.Error("commit after Close accepted")
		}

		put(t, s, u, "complete")
		// A second upload to the same URI leaves the first readable until
		// it commits, and a discarded one never replaces it.
		up2, err := s.Create(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(up2, strings.Repeat("v2", 1000))
		if got := read(t, s, u); got != "complete" {
			t.Fatalf("during overwrite read %q", got)
		}
		up2.Close()
		if got := read(t, s, u); got != "complete" {
			t.Fatalf("after discarded overwrite read %q", got)
		}
		up3, err := s.Create(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer up3.Close()
		io.WriteString(up3, "version 3")
		if err := up3.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := up3.Commit(); err == nil {
			t.Error("second Commit accepted")
		}
		if err := up3.Close(); err != nil {
			t.Errorf("Close after Commit: %v", err)
		}
		if got := read(t, s, u); got != "version 3" {
			t.Fatalf("after commit read %q", got)
		}
		if got := listPaths(t, s, dir); len(got) != 1 || got[0] != u.Path {
			t.Fatalf("list %v", got)
		}
	})

	t.Run("large streaming file", func(t *testing.T) {
		const size, chunk = 50 << 20, 32 << 10
		u := mustURI(t, "/big/file.bin")
		up, err := s.Create(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer up.Close()
		gen := rand.NewChaCha8([32]byte{1})
		buf := make([]byte, chunk)
		for written := 0; written < size; written += chunk {
			gen.Read(buf)
			if _, err := up.Write(buf); err != nil {
				t.Fatalf("at %d: %v", written, err)
			}
		}
		if err := up.Commit(); err != nil {
			t.Fatal(err)
		}
		info, err := s.Stat(ctx, u)
		if err != nil || info.Size != size || info.URI != u {
			t.Fatalf("stat %+v %v", info, err)
		}
		r, err := s.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		gen = rand.NewChaCha8([32]byte{1})
		got := make([]byte, chunk)
		for off := 0; off < size; off += chunk {
			gen.Read(buf)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatalf("read at %d: %v", off, err)
			}
			if !bytes.Equal(got, buf) {
				t.Fatalf("content differs in chunk at %d", off)
			}
		}
		if n, err := r.Read(got); n != 0 || err != io.EOF {
			t.Fatalf("past the end: %d %v", n, err)
		}
		if err := s.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("list order and recursion", func(t *testing.T) {
		root := mustURI(t, "/list")
		putTree(t, s, root)
		put(t, s, mustURI(t, "/list-sibling/x"), "not under /list")
		want := []string{"/list/a-z", "/list/a.txt", "/list/a/b.txt", "/list/a/b/c", "/list/a/b/d/e", "/list/a/b/d/e.f", "/list/ab"}
		infos, err := s.List(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != len(want) {
			t.Fatalf("list %v, want %v", listPaths(t, s, root), want)
		}
		for i, in := range infos {
			name := strings.TrimPrefix(in.URI.Path, "/list/")
			if in.URI.Path != want[i] || in.Size != int64(len(tree[name])) || in.ModTime.IsZero() {
				t.Errorf("entry %d: %+v, want %s of %d bytes", i, in, want[i], len(tree[name]))
			}
		}
		if got := fmt.Sprint(listPaths(t, s, root.Join("a"))); got != "[/list/a/b.txt /list/a/b/c /list/a/b/d/e /list/a/b/d/e.f]" {
			t.Errorf("list /list/a: %s", got)
		}
		if got := fmt.Sprint(listPaths(t, s, root.Join("ab"))); got != "[/list/ab]" {
			t.Errorf("list of a file: %s", got)
		}
		if got := listPaths(t, s, root.Join("nothing")); len(got) != 0 {
			t.Errorf("list of nothing: %v", got)
		}
	})

	t.Run("stat", func(t *testing.T) {
		for _, c := range []string{"", "x", strings.Repeat("y", 70000)} {
			u := mustURI(t, fmt.Sprintf("/stat/%d", len(c)))
			put(t, s, u, c)
			info, err := s.Stat(ctx, u)
			if err != nil || info.URI != u || info.Size != int64(len(c)) || info.ModTime.IsZero() {
				t.Errorf("stat %s: %+v %v", u, info, err)
			}
			if got := read(t, s, u); got != c {
				t.Errorf("%s: read %d bytes, want %d", u, len(got), len(c))
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		u := mustURI(t, "/missing/file")
		notFound(t, s, u)
		_, err := s.Stat(ctx, u)
		if err == nil || !strings.Contains(err.Error(), u.String()) {
			t.Errorf("error does not name the URI: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		u := mustURI(t, "/del/one")
		if err := s.Delete(ctx, u); err != nil {
			t.Fatalf("deleting a missing file: %v", err)
		}
		put(t, s, u, "x")
		put(t, s, mustURI(t, "/del/two"), "y")
		if err := s.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
		notFound(t, s, u)
		if err := s.Delete(ctx, u); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if got := fmt.Sprint(listPaths(t, s, mustURI(t, "/del"))); got != "[/del/two]" {
			t.Errorf("after delete: %s", got)
		}
	})

	t.Run("delete prefix", func(t *testing.T) {
		root := mustURI(t, "/purge")
		putTree(t, s, root)
		// More files than two listing pages of the object-store backend.
		for i := range 150 {
			put(t, s, root.Join("a", "many", fmt.Sprintf("%04d", i)), "z")
		}
		if err := s.DeletePrefix(ctx, root.Join("a")); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(listPaths(t, s, root)); got != "[/purge/a-z /purge/a.txt /purge/ab]" {
			t.Errorf("after DeletePrefix(/purge/a): %s", got)
		}
		if err := s.DeletePrefix(ctx, root.Join("a")); err != nil {
			t.Errorf("purging again: %v", err)
		}
		if err := s.DeletePrefix(ctx, root.Join("ab")); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(listPaths(t, s, root)); got != "[/purge/a-z /purge/a.txt]" {
			t.Errorf("after DeletePrefix(/purge/ab): %s", got)
		}
		if err := s.DeletePrefix(ctx, root); err != nil {
			t.Fatal(err)
		}
		if got := listPaths(t, s, root); len(got) != 0 {
			t.Errorf("after purge: %v", got)
		}
	})
}

// TestBlobKeys checks the URI → key mapping, so a bucket written by one
// sluice is laid out as documented in docs/storage.md.
