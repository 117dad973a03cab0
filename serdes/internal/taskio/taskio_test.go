package taskio

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/progress"
	"github.com/sluicehq/sluice/internal/rows"
)

func TestOpenStopsOnCancel(t *testing.T) {
	env := plugintest.New(t)
	path := filepath.Join(t.TempDir(), "f")
	os.WriteFile(path, []byte(strings.Repeat("x", 1000)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Open(ctx, env.RunContext("t"), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(f); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if _, err := Open(ctx, env.RunContext("t"), ""); err == nil {
		t.Error("empty from accepted")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(*rows.Row) error {
	w.n++
	if w.n == 3 {
		return errors.New("boom")
	}
	return nil
}
func (w *failWriter) Close() error { return nil }
func (w *failWriter) Abort() error { return nil }

func TestPump(t *testing.T) {
	s := &rows.Schema{Fields: []rows.Field{{Name: "a"}}}
	var in []rows.Row
	for i := 0; i < 10000; i++ {
		in = append(in, rows.Row{Values: []rows.Value{rows.Int(int64(i))}})
	}
	c := progress.NewCounter("t", nil)
	n, err := Pump(context.Background(), &failWriter{n: -100000}, rows.NewSliceReader(s, in), c, func() int64 { return 5 })
	if err != nil || n != 10000 || c.Rows() != 10000 || c.Bytes() != 5 {
		t.Fatalf("n=%d rows=%d bytes=%d err=%v", n, c.Rows(), c.Bytes(), err)
	}
	_, err = Pump(context.Background(), &failWriter{}, rows.NewSliceReader(s, in), c, nil)
	if err == nil || err.Error() != "row 3: boom" {
		t.Errorf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pump(ctx, &failWriter{n: -100000}, rows.NewSliceReader(s, in), c, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}
