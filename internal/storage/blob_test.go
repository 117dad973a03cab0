//go:build cloud

package storage

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// Small pages let the purge test cross page boundaries with 150 files.
func init() { deletePageSize = 64 }

// TestStoreContract runs the one Store contract against every backend that
// works without a network.
func TestStoreContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) Store
	}{
		{"memblob", func(t *testing.T) Store { return NewBlob(memblob.OpenBucket(nil), "") }},
		{"memblob-prefix", func(t *testing.T) Store { return NewBlob(memblob.OpenBucket(nil), "/tenant/a/") }},
		{"fileblob", func(t *testing.T) Store { return NewBlob(openFileblob(t, t.TempDir()), "storage") }},
	} {
		t.Run(tc.name, func(t *testing.T) { storeContract(t, tc.open(t)) })
	}
}

func openFileblob(t *testing.T, dir string) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBlobKeys(t *testing.T) {
	ctx := context.Background()
	for prefix, want := range map[string]string{
		"":            "ns/f/x.txt",
		"runs":        "runs/ns/f/x.txt",
		"/runs/prod/": "runs/prod/ns/f/x.txt",
	} {
		bucket := memblob.OpenBucket(nil)
		put(t, NewBlob(bucket, prefix), mustURI(t, "/ns/f/x.txt"), "x")
		obj, err := bucket.List(nil).Next(ctx)
		if err != nil || obj.Key != want {
			t.Errorf("prefix %q: key %v %v, want %s", prefix, obj, err, want)
		}
	}
}

// TestBlobCallerCancelAborts: cancelling the context given to Create aborts
// the upload like Close does.
func TestBlobCallerCancelAborts(t *testing.T) {
	for name, s := range map[string]Store{
		"memblob":  NewBlob(memblob.OpenBucket(nil), ""),
		"fileblob": NewBlob(openFileblob(t, t.TempDir()), ""),
	} {
		ctx, cancel := context.WithCancel(context.Background())
		u := mustURI(t, "/c/x")
		up, err := s.Create(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(up, "data")
		cancel()
		if err := up.Commit(); err == nil {
			t.Errorf("%s: commit under a cancelled context succeeded", name)
		}
		notFound(t, s, u)
	}
}

// TestFileblobDiscardLeavesNothing: fileblob stages uploads in os.TempDir;
// a discarded upload must leave neither a temporary file there nor a data
// or attributes file in the bucket.
func TestFileblobDiscardLeavesNothing(t *testing.T) {
	tmp, dir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := NewBlob(openFileblob(t, dir), "")
	up, err := s.Create(context.Background(), mustURI(t, "/e/x.bin"))
	if err != nil {
		t.Fatal(err)
	}
	up.Write(make([]byte, 100<<10))
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Fatalf("expected one staging file in TMPDIR, got %v", entries)
	}
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("staging files left: %v", entries)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file left in the bucket: %s", p)
		}
		return nil
	})
}
