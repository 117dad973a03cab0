package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for in, want := range map[string]string{
		"sluice:///ns/flow/executions/e/tasks/t/r/out.rows": "/ns/flow/executions/e/tasks/t/r/out.rows",
		"kestra:///io/kestra/tests/f/x.ion":                 "/io/kestra/tests/f/x.ion",
		"sluice:///a//b/./c":                                "/a/b/c",
	} {
		u, err := ParseURI(in)
		if err != nil || u.Path != want {
			t.Errorf("%s: %v %v", in, u, err)
		}
	}
	for _, bad := range []string{"s3://bucket/x", "sluice://host/x", "sluice:///a/../../etc/passwd", "sluice:///", "/tmp/x"} {
		if _, err := ParseURI(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	u := TaskRunURI("io.kestra.tests", "f", "E1", "query", "R1", "result.rows")
	if u.String() != "sluice:///io/kestra/tests/f/executions/E1/tasks/query/R1/result.rows" {
		t.Errorf("task run uri %s", u)
	}
}

func TestLocalAtomicPublish(t *testing.T) {
	ctx := context.Background()
	st, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := NewURI("/ns/f/executions/e1/tasks/a/r/data.txt")
	up, err := st.Create(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, "partial")
	if _, err := st.Stat(ctx, u); !errors.Is(err, ErrNotFound) {
		t.Fatalf("visible before commit: %v", err)
	}
	if infos, _ := st.List(ctx, ExecutionPrefix("ns", "f", "e1")); len(infos) != 0 {
		t.Fatalf("temp file listed: %v", infos)
	}
	up.Close() // discard
	if _, err := st.Stat(ctx, u); !errors.Is(err, ErrNotFound) {
		t.Fatal("discarded upload published")
	}
	entries, _ := os.ReadDir(filepath.Dir(st.File(u)))
	if len(entries) != 0 {
		t.Fatalf("leftover files %v", entries)
	}
	n, err := Put(ctx, st, u, strings.NewReader("complete"))
	if err != nil || n != 8 {
		t.Fatal(n, err)
	}
	r, err := st.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "complete" {
		t.Errorf("read %q", b)
	}
	infos, err := st.List(ctx, ExecutionPrefix("ns", "f", "e1"))
	if err != nil || len(infos) != 1 || infos[0].URI != u || infos[0].Size != 8 {
		t.Errorf("list %v %v", infos, err)
	}
	if err := st.DeletePrefix(ctx, ExecutionPrefix("ns", "f", "e1")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, u); !errors.Is(err, ErrNotFound) {
		t.Errorf("purge left the file: %v", err)
	}
}
