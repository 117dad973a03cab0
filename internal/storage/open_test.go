package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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

func TestOpenErrors(t *testing.T) {
	for loc, want := range map[string]string{
		"":                    "empty location",
		"ftp://host/x":        `unknown scheme "ftp"`,
		"file://otherhost/x":  "three slashes",
		"file://":             "no folder",
		"s3://%zz":            "invalid URL escape",
		"gs://bucket\x7f/pre": "invalid control character",
		"mem://":              "needs a build with -tags cloud",
		"s3://bucket/prefix":  "s3:// storage needs a build with -tags cloud (go build -tags cloud ./cmd/sluice)",
	} {
		if cloudBuild && strings.Contains(want, "-tags cloud") {
			continue
		}
		_, err := Open(context.Background(), loc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", loc, err, want)
		}
	}
}
