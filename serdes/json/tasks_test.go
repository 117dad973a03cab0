package json

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/flows/plugin"
	"github.com/sluicehq/sluice/flows/plugin/plugintest"
	"github.com/sluicehq/sluice/internal/storage"
)

func newTask[T any](t *testing.T, id string) T {
	t.Helper()
	info, ok := plugin.Lookup(id)
	if !ok {
		t.Fatalf("%s not registered", id)
	}
	return info.New().(T)
}

func TestTasksRoundTrip(t *testing.T) {
	env := plugintest.New(t)
	in := "{\"id\":1,\"amount\":12.50,\"tags\":[\"a\"],\"when\":\"2021-01-02\"}\n{\"id\":2,\"amount\":-0.5,\"extra\":{\"k\":null}}\n"
	path := filepath.Join(t.TempDir(), "in.jsonl")
	os.WriteFile(path, []byte(in), 0o644)

	r := newTask[*Reader](t, "io.kestra.plugin.serdes.json.JsonReader")
	r.From = path
	out, err := env.Run(r, "read")
	if err != nil {
		t.Fatal(err)
	}
	if out["count"] != int64(2) {
		t.Fatalf("count %v", out["count"])
	}
	schema, got := env.ReadRows(out["uri"].(string))
	if strings.Join(schema.Names(), ",") != "id,amount,tags,when,extra" || len(got) != 2 {
		t.Fatalf("%v %d", schema.Names(), len(got))
	}

	w := newTask[*Writer](t, "serdes.json.Writer")
	w.From = out["uri"].(string)
	out2, err := env.Run(w, "write")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := storage.ParseURI(out2["uri"].(string))
	f, err := env.Store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	want := "{\"id\":1,\"amount\":12.50,\"tags\":[\"a\"],\"when\":\"2021-01-02\",\"extra\":null}\n{\"id\":2,\"amount\":-0.5,\"tags\":null,\"when\":null,\"extra\":{\"k\":null}}\n"
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

func TestReaderTaskErrorPublishesNothing(t *testing.T) {
	env := plugintest.New(t)
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(path, []byte("{\"a\":1}\n{\"a\":2}\n{\"a\":}\n"), 0o644)
	r := newTask[*Reader](t, "serdes.json.Reader")
	r.From = path
	_, err := env.Run(r, "read")
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:3:6:") {
		t.Fatalf("got %v", err)
	}
	files, _ := env.Store.List(context.Background(), storage.ExecutionPrefix("test", "flow", "exec1"))
	if len(files) != 0 {
		t.Errorf("published %v", files)
	}
}
