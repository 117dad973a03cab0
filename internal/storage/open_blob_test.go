//go:build cloud

package storage

import (
	"context"
	"io"
	"testing"
)

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

func TestOpenS3URL(t *testing.T) {
	s, err := Open(context.Background(), "s3://bucket/runs/prod?region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	b := s.(*Blob)
	defer b.Close()
	if b.Prefix() != "runs/prod/" {
		t.Errorf("prefix %q", b.Prefix())
	}
}
