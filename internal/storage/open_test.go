package storage

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
)

func TestOpenLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, loc := range []string{dir, "file://" + dir, "file://localhost" + dir} {
		s, err := Open(ctx, loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		l, ok := s.(*Local)
		if !ok || l.Root() != dir {
			t.Errorf("%s: got %T %v", loc, s, s)
		}
	}
	// A relative folder is relative to the working directory.
	t.Chdir(dir)
	s, err := Open(ctx, "rel/storage")
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := s.(*Local); !ok || l.Root() != filepath.Join(dir, "rel", "storage") {
		t.Errorf("relative: got %T %v", s, s)
	}
}

func TestOpenMem(t *testing.T) {
	s, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	b, ok := s.(*Blob)
	if !ok {
		t.Fatalf("mem:// opened %T", s)
	}
	defer b.Close()
	storeContract(t, s)

	s, err = Open(context.Background(), "mem:///tenant/x")
	if err != nil {
		t.Fatal(err)
	}
	if p := s.(*Blob).Prefix(); p != "tenant/x/" {
		t.Errorf("mem prefix %q", p)
	}
	if _, ok := s.(io.Closer); !ok {
		t.Error("a bucket store must be closable")
	}
}

func TestOpenErrors(t *testing.T) {
	for loc, want := range map[string]string{
		"":                    "empty location",
		"ftp://host/x":        `unknown scheme "ftp"`,
		"file://otherhost/x":  "three slashes",
		"file://":             "no folder",
		"s3://%zz":            "invalid URL escape",
		"gs://bucket\x7f/pre": "invalid control character",
	} {
		_, err := Open(context.Background(), loc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", loc, err, want)
		}
	}
}

// TestOpenCloudScheme: without -tags cloud a bucket URL names the build
// that can open it; with it, s3:// opens (no request is made until use).
func TestOpenCloudScheme(t *testing.T) {
	ctx := context.Background()
	if !blob.DefaultURLMux().ValidBucketScheme("s3") {
		for _, scheme := range []string{"s3", "gs", "azblob"} {
			_, err := Open(ctx, scheme+"://bucket/prefix")
			want := scheme + ":// storage needs a build with -tags cloud (go build -tags cloud ./cmd/sluice)"
			if err == nil || err.Error() != want {
				t.Errorf("%s: error %v, want %q", scheme, err, want)
			}
		}
		return
	}
	s, err := Open(ctx, "s3://bucket/runs/prod?region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	b := s.(*Blob)
	defer b.Close()
	if b.Prefix() != "runs/prod/" {
		t.Errorf("prefix %q", b.Prefix())
	}
}
