package csv

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

func TestTasks(t *testing.T) {
	env := plugintest.New(t)
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte("id;name;amount\n1;caf\xe9;12.50\n2;\"a;b\";-1\nbad\n"), 0o644)

	r := newTask[*Reader](t, "io.kestra.plugin.serdes.csv.CsvReader")
	r.From, r.FieldSeparator, r.Charset, r.InferTypes = path, ";", "ISO-8859-1", true
	if _, err := env.Run(r, "read"); err == nil || !strings.Contains(err.Error(), "in.csv:4: 1 fields, expected 3") {
		t.Fatalf("got %v", err)
	}
	r.OnMalformed = "skip"
	out, err := env.Run(r, "read")
	if err != nil {
		t.Fatal(err)
	}
	if out["count"] != int64(2) || out["skipped"] != int64(1) {
		t.Fatalf("outputs %v", out)
	}
	schema, got := env.ReadRows(out["uri"].(string))
	if schema.String() != "id int, name string, amount decimal" || got[0].Values[1].AsString() != "café" || got[0].Values[2].DecimalString() != "12.50" {
		t.Fatalf("%s %v", schema, got)
	}

	w := newTask[*Writer](t, "serdes.csv.Writer")
	w.From, w.AlwaysDelimitText = out["uri"].(string), true
	out2, err := env.Run(w, "write")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := storage.ParseURI(out2["uri"].(string))
	f, _ := env.Store.Open(context.Background(), u)
	b, _ := io.ReadAll(f)
	f.Close()
	if want := "\"id\",\"name\",\"amount\"\n\"1\",\"café\",\"12.50\"\n\"2\",\"a;b\",\"-1\"\n"; string(b) != want {
		t.Errorf("got %q want %q", b, want)
	}

	bad := newTask[*Writer](t, "serdes.csv.Writer")
	bad.FieldSeparator = ";;"
	if err := bad.Validate(); err == nil {
		t.Error("two-character separator accepted")
	}
}
